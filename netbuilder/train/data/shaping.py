"""Fitting loaded samples to the shape of the graph's Input block."""

from __future__ import annotations

import math

import torch

from netbuilder.train.data.base import DataError, DataSplit


def fit_x(x: torch.Tensor, input_shape: tuple[int, ...] | None, source: str) -> torch.Tensor:
    """Reshape ``x`` so that each sample has ``input_shape``.

    Only a reshape that keeps every value is done (784 <-> 1x28x28, 28x28 <-> 1x28x28): a
    resize or a crop would hide a wrong choice of data set.

    Args:
        x: samples, first dimension counts them.
        input_shape: the Input block's shape without the batch, or None to keep x as it is.
        source: names the data in an error message.

    Raises:
        DataError: the per-sample sizes differ; the message names both shapes.
    """
    if input_shape is None:
        return x
    want = tuple(int(d) for d in input_shape)
    have = tuple(x.shape[1:])
    if have == want:
        return x
    if math.prod(have) == math.prod(want):
        return x.reshape((x.shape[0], *want))
    raise DataError(
        f"{source}: samples are shaped {_fmt(have)} but the graph's Input expects {_fmt(want)}"
    )


def fit_split(
    split: DataSplit | None, input_shape: tuple[int, ...] | None, source: str
) -> DataSplit | None:
    """:func:`fit_x` applied to a split's inputs (None passes through)."""
    if split is None:
        return None
    return DataSplit(fit_x(split.x, input_shape, source), split.y)


def _fmt(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")" if shape else "() (a scalar)"


def pixel_range(value: object, source: str) -> tuple[float, float]:
    """The ``range`` option checked: two rising numbers, e.g. (0, 1) or (-1, 1)."""
    try:
        low, high = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise DataError(f"{source}: range must be two numbers, got {value!r}") from exc
    if not low < high:
        raise DataError(f"{source}: range must rise (low < high), got {value!r}")
    return low, high
