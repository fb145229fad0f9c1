"""Pure-Python helpers that several blocks' shape rules and counts share."""

from __future__ import annotations

from collections.abc import Mapping

from netbuilder.core.errors import ShapeError
from netbuilder.core.tensor import TensorSpec, format_shape


def only_input(inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    """The spec on a single-input block's port."""
    (spec,) = inputs.values()
    return spec


def require_float(spec: TensorSpec, what: str = "input") -> None:
    if spec.dtype != "float32":
        raise ShapeError(
            f"{what} holds {spec.dtype} values (indices or labels); this block needs "
            "float32 activations: put an Embedding or a one-hot step in front"
        )


def require_rank(spec: TensorSpec, ranks: tuple[int, ...], layout: str, what: str = "input"
                 ) -> None:
    """Raises a ShapeError unless the spec has one of ``ranks`` (batch excluded).

    Args:
        spec: the incoming tensor.
        ranks: the allowed numbers of dimensions.
        layout: how the block reads them, e.g. ``"(channels, height, width)"``.
        what: the name of the port in the message.
    """
    if spec.rank not in ranks:
        dims = " or ".join(str(r) for r in ranks)
        raise ShapeError(
            f"expects {dims}-D {what} {layout} per sample, got {format_shape(spec.shape)}"
        )


def conv_output_length(size: int, kernel: int, stride: int, padding: int, dilation: int,
                       param: str = "kernel_size") -> int:
    """Output length of one spatial dimension of a convolution or pooling window."""
    span = dilation * (kernel - 1) + 1
    length = (size + 2 * padding - span) // stride + 1
    if length < 1:
        raise ShapeError(
            f"window of {span} (kernel {kernel}, dilation {dilation}) does not fit an input "
            f"of {size} with padding {padding}", param)
    return length


def same_padding(kernel: int, dilation: int, param: str = "kernel_size") -> int:
    """The symmetric padding that keeps the length at stride 1 ("same")."""
    span = dilation * (kernel - 1)
    if span % 2:
        raise ShapeError(
            f"'same' padding needs an odd kernel span; kernel {kernel} with dilation "
            f"{dilation} cannot be padded evenly: use an odd kernel", param)
    return span // 2


def product(values: tuple[int, ...] | list[int]) -> int:
    total = 1
    for value in values:
        total *= value
    return total
