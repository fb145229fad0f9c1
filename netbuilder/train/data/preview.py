"""A look at a data set before training: its shapes, classes, split sizes and a few samples.

The training dock loads the chosen data set in the background with :func:`preview` and shows
what it holds, and the recipe checks (:meth:`netbuilder.train.recipes.Recipe.blockers`) read
its :class:`~netbuilder.train.recipes.DataInfo` to say, before Start, whether the data fit the
graph. Nothing here keeps tensors: the samples come back as small numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from netbuilder.train.data import load_dataset
from netbuilder.train.data.base import Dataset
from netbuilder.train.recipes import DataInfo

#: Samples shown in the preview.
SAMPLES = 8


@dataclass(frozen=True)
class DataPreview:
    """What the dock shows of a data set.

    Attributes:
        info: shapes, classes and split sizes.
        images: (n, channels, height, width) float32 in [0, 1] when the samples are
            pictures; None otherwise.
        labels: the label of each shown sample ("7", "cat", "0.42").
        text: the start of a text corpus, for text data.
        rows: the first samples of other data, as short lines of numbers.
    """

    info: DataInfo
    images: np.ndarray | None = None
    labels: list[str] = field(default_factory=list)
    text: str | None = None
    rows: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: "1,618 train · 179 test · 10 classes · 1×28×28 → label"."""
        info = self.info
        parts = [f"{count:,} {name}" for name, count in info.sizes.items()]
        if info.classes:
            parts.append(f"{len(info.classes)} classes")
        if info.vocab:
            parts.append(f"{len(info.vocab)} characters")
        shape = _shape(info.sample_shape)
        if info.target_shape is None:
            target = "no targets"
        elif info.integer_targets:
            target = "label" if not info.vocab else "next character"
        else:
            target = _shape(info.target_shape) if info.target_shape else "a number"
        parts.append(f"{shape} → {target}")
        return " · ".join(parts)


def preview(source: str | Path, input_shape: tuple[int, ...] | None = None, seed: int = 0,
            count: int = SAMPLES) -> DataPreview:
    """Loads ``source`` as training would and describes it.

    Raises:
        DataError: the data cannot be loaded or do not fit ``input_shape`` (the message says
            which shapes differ).
    """
    dataset = load_dataset(source, input_shape=input_shape, seed=seed)
    return describe(dataset, count)


def describe(dataset: Dataset, count: int = SAMPLES) -> DataPreview:
    """The preview of a loaded data set."""
    train = dataset.train
    sizes = {"train": len(train)}
    for name, split in (("validation", dataset.val), ("test", dataset.test)):
        if split is not None and len(split):
            sizes[name] = len(split)
    y = train.y
    pixel_range = dataset.meta.get("pixel_range")
    info = DataInfo(
        name=dataset.name, sample_shape=tuple(int(d) for d in train.x.shape[1:]),
        target_shape=None if y is None else tuple(int(d) for d in y.shape[1:]),
        integer_targets=y is not None and not y.is_floating_point(),
        classes=tuple(dataset.classes or ()), vocab=dataset.vocab or "", sizes=sizes,
        pixel_range=tuple(pixel_range) if pixel_range is not None else None)
    x = train.x[:count]
    labels = [_label(dataset, y[i]) for i in range(min(count, len(train)))] if y is not None \
        else []
    if dataset.vocab:
        text = dataset.meta.get("text")
        return DataPreview(info, labels=labels, text=str(text)[:400] if text else None)
    images = _as_images(x, pixel_range)
    if images is not None:
        return DataPreview(info, images=images, labels=labels)
    rows = [_row(sample) for sample in x[:4]]
    return DataPreview(info, labels=labels[:4], rows=rows)


def _label(dataset: Dataset, value: torch.Tensor) -> str:
    if value.numel() == 1 and not value.is_floating_point():
        index = int(value.reshape(-1)[0])
        if dataset.vocab and 0 <= index < len(dataset.vocab):
            return repr(dataset.vocab[index])
        if dataset.classes and 0 <= index < len(dataset.classes):
            return str(dataset.classes[index])
        return str(index)
    values = value.reshape(-1)[:3].tolist()
    text = ", ".join(f"{v:.3g}" for v in values)
    return text + (", …" if value.numel() > 3 else "")


def _as_images(x: torch.Tensor, pixel_range: object) -> np.ndarray | None:
    """Samples as pictures in [0, 1], when they look like pictures."""
    x = x.detach().float()
    if x.ndim == 2 and x.shape[1] >= 16 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]:
        side = math.isqrt(x.shape[1])
        x = x.reshape(-1, 1, side, side)
    if x.ndim == 3 and x.shape[1] >= 8 and x.shape[2] >= 8:
        x = x.unsqueeze(1)
    if x.ndim != 4 or x.shape[1] not in (1, 3) or min(x.shape[2], x.shape[3]) < 4:
        return None
    if pixel_range is None:
        low, high = float(x.min()), float(x.max())
        x = (x - low) / max(high - low, 1e-12)
    return x.clamp(0.0, 1.0).numpy()


def _row(sample: torch.Tensor) -> str:
    values = sample.reshape(-1).float()[:8].tolist()
    text = "  ".join(f"{v:.3g}" for v in values)
    return text + ("  …" if sample.numel() > 8 else "")


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape)) if shape else "scalar"
