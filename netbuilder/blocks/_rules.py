"""Pure-Python helpers that several blocks' shape rules and counts share."""

from __future__ import annotations

from collections.abc import Mapping

from netbuilder.core.errors import ShapeError
from netbuilder.core.tensor import TensorSpec, format_shape

#: A size per spatial dimension.
Ints = tuple[int, ...]

#: The names of the spatial dimensions by rank, for layouts and error messages.
DIMS = {1: ("length",), 2: ("height", "width")}


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
        raise ShapeError(f"expects {_ranks_text(ranks)} {what} {layout} per sample, got "
                         f"{format_shape(spec.shape)}")


def _ranks_text(ranks: tuple[int, ...]) -> str:
    """``2-D``, ``2-D or 3-D``, or for a long run ``at least 1-D``."""
    if len(ranks) > 2 and list(ranks) == list(range(ranks[0], ranks[0] + len(ranks))):
        return f"at least {ranks[0]}-D"
    return " or ".join(f"{r}-D" for r in ranks)


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


def expand_ints(value: int | list[int], rank: int, param: str) -> tuple[int, ...]:
    """Expands an ``int_or_ints`` value to ``rank`` integers, blaming ``param`` on a bad length.

    The param spec usually fixes the list length already; this guards the blocks whose rank
    follows from the input (and params that reach a rule without validation).
    """
    if isinstance(value, list):
        if len(value) != rank:
            raise ShapeError(f"needs one number or a list of {rank} (one per spatial axis), "
                             f"got a list of {len(value)}", param)
        return tuple(value)
    return (value,) * rank


def same_padding_split(size: int, kernel: int, stride: int, dilation: int = 1
                       ) -> tuple[int, int]:
    """Keras/TensorFlow "same" padding of one dimension as (before, after).

    The output length is ceil(size / stride) for any kernel and stride; when the total padding
    is odd, the extra element goes after (at the end), as in TensorFlow.
    """
    span = dilation * (kernel - 1) + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2
