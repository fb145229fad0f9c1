"""Torch modules for the convolution and pooling blocks.

Like ``blocks.modules``, this file imports torch at import time, so only build functions import
it. The convolution modules subclass torch's own, so their weights stay at ``.weight`` /
``.bias`` and state_dict keys read like hand-written code. They add what torch lacks:
TensorFlow's "same" padding when it needs one more element at the end than at the start, and a
fused activation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812  (the name every torch user knows)

from netbuilder.blocks.modules import activation

Ints = tuple[int, ...]


def _pad_end(x: torch.Tensor, extra: Ints, value: float = 0.0) -> torch.Tensor:
    """Pads ``extra[i]`` elements after spatial dimension ``i`` (the asymmetric part of "same")."""
    if not any(extra):
        return x
    # F.pad lists (before, after) pairs from the last dimension backwards.
    pairs: list[int] = []
    for amount in reversed(extra):
        pairs += [0, amount]
    return F.pad(x, pairs, value=value)


def _pair(values: Ints) -> tuple[int, int]:
    """The two sizes of a 2-D window (torch types them as pairs; the shape rule made them)."""
    height, width = values
    return height, width


def _conv_activation(name: str) -> nn.Module:
    # Softmax of a conv layer runs over the channels (dim 1), as Keras' channels-last
    # Conv2D(activation="softmax") does: one class distribution per position.
    return activation(name, dim=1)


class _PaddedConv:
    """Adds an extra trailing pad (for asymmetric "same") and an activation to a conv class."""

    def __init__(self, in_channels: int, filters: int, kernel: Ints, stride: Ints,
                 padding: Ints, extra: Ints, dilation: Ints, groups: int, bias: bool,
                 act: str) -> None:
        super().__init__(in_channels, filters, kernel, stride=stride,  # type: ignore[call-arg]
                         padding=padding, dilation=dilation, groups=groups, bias=bias)
        self.extra = tuple(extra)
        self.activation = _conv_activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.activation(
            super().forward(_pad_end(x, self.extra)))  # type: ignore[misc]
        return y


class Conv1d(_PaddedConv, nn.Conv1d):
    """nn.Conv1d with a trailing pad for asymmetric "same" padding, and an activation."""


class Conv2d(_PaddedConv, nn.Conv2d):
    """nn.Conv2d with a trailing pad for asymmetric "same" padding, and an activation."""


class ConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d that can drop trailing output rows/columns, plus an activation.

    ``trim`` removes elements at the end of each spatial dimension: "same" padding crops
    (total // 2) at the start and the rest at the end, which torch's symmetric ``padding``
    alone cannot express.
    """

    def __init__(self, in_channels: int, filters: int, kernel: Ints, stride: Ints,
                 padding: Ints, output_padding: Ints, trim: Ints, dilation: Ints, groups: int,
                 bias: bool, act: str) -> None:
        super().__init__(in_channels, filters, _pair(kernel), stride=_pair(stride),
                         padding=_pair(padding), output_padding=_pair(output_padding),
                         dilation=_pair(dilation), groups=groups, bias=bias)
        self.trim = tuple(trim)
        self.activation = _conv_activation(act)

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        y = super().forward(x, output_size)
        if any(self.trim):
            height, width = y.shape[-2:]
            y = y[..., : height - self.trim[0], : width - self.trim[1]]
        activated: torch.Tensor = self.activation(y)
        return activated


class SamePool(nn.Module):
    """Max or average pooling with TensorFlow's asymmetric "same" padding.

    Only used when the padding differs between start and end; torch's own pooling covers the
    symmetric case. Max pooling pads with -inf, and average pooling divides by the number of
    real (unpadded) elements in each window, both as in Keras.
    """

    def __init__(self, kind: str, size: Ints, stride: Ints, before: Ints, after: Ints) -> None:
        super().__init__()
        self.kind = kind
        self.size = tuple(size)
        self.stride = tuple(stride)
        self.before = tuple(before)
        self.after = tuple(after)

    def _pad(self, x: torch.Tensor, value: float) -> torch.Tensor:
        pairs: list[int] = []
        for start, end in zip(reversed(self.before), reversed(self.after), strict=True):
            pairs += [start, end]
        return F.pad(x, pairs, value=value)

    def _pool(self, x: torch.Tensor, kind: str) -> torch.Tensor:
        if len(self.size) == 1:
            pool = F.max_pool1d if kind == "max" else F.avg_pool1d
        else:
            pool = F.max_pool2d if kind == "max" else F.avg_pool2d
        return pool(x, self.size, self.stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "max":
            return self._pool(self._pad(x, float("-inf")), "max")
        summed = self._pool(self._pad(x, 0.0), "avg")
        # The share of real elements in each window: padding must not dilute the average.
        ones = x.new_ones((1, 1, *x.shape[2:]))
        return summed / self._pool(self._pad(ones, 0.0), "avg")

    def extra_repr(self) -> str:
        return (f"kind={self.kind}, size={self.size}, stride={self.stride}, "
                f"pad_before={self.before}, pad_after={self.after}")
