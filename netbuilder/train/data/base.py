"""The containers every loader returns, and the error they raise on bad input."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from netbuilder.core.errors import NetbuilderError

#: Most classes a labelled set may have (ImageNet-21k has about 21,000). A larger label is a
#: mistake or a hostile file: its class list alone would fill the memory.
MAX_CLASSES = 100_000
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class DataError(NetbuilderError):
    """A data set cannot be loaded: the message names the file (or set) and what is wrong."""


def class_ids(labels: np.ndarray, where: str) -> np.ndarray:
    """Labels checked as class ids (whole numbers from 0 to MAX_CLASSES - 1), as int64.

    Checked before any cast: a float 1e308 or a uint64 2**63 would wrap in int64.

    Args:
        labels: the labels as read, of any numeric dtype and shape.
        where: names the file (and array or column) in messages.

    Raises:
        DataError: a label is NaN or infinite, not whole, negative, or MAX_CLASSES or more;
            the message names ``where``, the first such value and the limit.
    """
    if labels.dtype.kind not in "biuf":
        raise DataError(f"{where}: labels of dtype {labels.dtype} are not class ids")
    if labels.size == 0:
        return labels.astype(np.int64)
    if labels.dtype.kind == "f":
        finite = np.isfinite(labels)
        if not finite.all():
            bad = labels[~finite].flat[0]
            raise DataError(f"{where}: label {bad} is not a class id (NaN and infinity never are)")
        whole = labels == np.floor(labels)
        if not whole.all():
            bad = labels[~whole].flat[0]
            raise DataError(f"{where}: label {bad} is not a class id (a whole number >= 0)")
    low, high = labels.min(), labels.max()
    if low < 0:
        raise DataError(f"{where}: label {_show(low)} is negative; class ids count from 0")
    if high >= MAX_CLASSES:
        raise DataError(f"{where}: label {_show(high)} is too large a class id (netbuilder "
                        f"takes up to {MAX_CLASSES:,} classes, ids 0 to {MAX_CLASSES - 1:,})")
    return labels.astype(np.int64)


def check_float32(values: np.ndarray, where: str) -> None:
    """Refuses floats that turn into infinity or NaN as float32, the dtype training uses.

    Raises:
        DataError: a value is NaN, infinite, or beyond float32's range (about 3.4e38).
    """
    if values.dtype.kind != "f" or values.size == 0:
        return
    if not np.isfinite(values).all():
        raise DataError(f"{where}: NaN or infinity is not allowed in data")
    if values.dtype.itemsize > 4:
        top = float(np.abs(values).max())
        if top > _FLOAT32_MAX:
            raise DataError(f"{where}: {top:g} is beyond the float32 range netbuilder trains "
                            f"in (at most {_FLOAT32_MAX:.3g})")


def class_names(*labels: torch.Tensor | None) -> list[str] | None:
    """"0", "1", ... up to the highest id in any of these (checked) int64 label tensors."""
    present = [y for y in labels if y is not None and y.numel()]
    if not present:
        return None
    return [str(c) for c in range(max(int(y.max()) for y in present) + 1)]


def _show(value: np.generic) -> str:
    """A label as a person wrote it: 7 not 7.0, and 1e+308 rather than 309 digits."""
    number = value.item()
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number)


@dataclass
class DataSplit:
    """One split of a data set, kept on the CPU.

    Attributes:
        x: inputs; the first dimension counts samples.
        y: targets (int64 class ids or floats), first dimension samples; None for x-only data.
    """

    x: torch.Tensor
    y: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if self.y is not None and self.y.shape[0] != self.x.shape[0]:
            raise DataError(
                f"{self.x.shape[0]} inputs but {self.y.shape[0]} targets: the counts must match"
            )

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def take(self, index: torch.Tensor) -> DataSplit:
        """The samples at ``index`` (a 1-D int64 tensor), as a new split."""
        return DataSplit(self.x[index], None if self.y is None else self.y[index])


@dataclass
class Dataset:
    """A named data set: a train split and optional validation and test splits.

    Attributes:
        name: the built-in name or the file name it came from.
        train: the split to train on.
        val: the validation split, if the source has one.
        test: the test split, if the source has one.
        classes: class names, for classification.
        vocab: the characters, in index order, for text.
        meta: anything else a recipe may need, e.g. ``{"pixel_range": (0.0, 1.0)}``.
    """

    name: str
    train: DataSplit
    val: DataSplit | None = None
    test: DataSplit | None = None
    classes: list[str] | None = None
    vocab: str | None = None
    meta: dict = field(default_factory=dict)

    def with_validation(self, fraction: float, seed: int) -> Dataset:
        """Split a validation set off train when there is none (Keras' validation_split).

        Args:
            fraction: share of train samples to hold out, in (0, 1).
            seed: seeds the shuffle, so the same seed holds out the same samples.

        Returns:
            ``self`` if a validation split exists already, else a new Dataset.

        Raises:
            DataError: the fraction is out of range or leaves a split empty.
        """
        if self.val is not None:
            return self
        if not 0.0 < fraction < 1.0:
            raise DataError(f"{self.name}: validation fraction must be in (0, 1), got {fraction}")
        n = len(self.train)
        n_val = round(n * fraction)
        if n_val < 1 or n_val >= n:
            raise DataError(
                f"{self.name}: a validation fraction of {fraction} of {n} samples leaves "
                "a split empty"
            )
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(n, generator=generator)
        return replace(
            self, train=self.train.take(order[n_val:]), val=self.train.take(order[:n_val])
        )
