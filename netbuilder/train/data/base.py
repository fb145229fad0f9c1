"""The containers every loader returns, and the error they raise on bad input."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch

from netbuilder.core.errors import NetbuilderError


class DataError(NetbuilderError):
    """A data set cannot be loaded: the message names the file (or set) and what is wrong."""


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
