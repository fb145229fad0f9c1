"""Pooling: max and average windows, global average and adaptive average pooling.

Window pooling shares its arithmetic with the convolutions (``_rules``), including Keras'
"same" padding: the output is ceil(input / stride) long, the odd extra pad goes at the end,
max pooling never picks a pad and average pooling does not count pads in its mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netbuilder.blocks._rules import (
    DIMS,
    Ints,
    conv_output_length,
    expand_ints,
    only_input,
    product,
    require_float,
    require_rank,
    same_padding_split,
)
from netbuilder.core.blockspec import BlockSpec, BuildFn, Example, ShapeRule
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec


def layout(rank: int) -> str:
    """How a ``rank``-D pooling reads its input, e.g. ``(channels, height, width)``."""
    return "(" + ", ".join(("channels",) + DIMS[rank]) + ")"


@dataclass(frozen=True)
class PoolGeometry:
    """A pooling window per spatial dimension, its padding and the output's spatial sizes."""

    size: Ints
    stride: Ints
    before: Ints
    after: Ints
    out: Ints


def pool_geometry(params: Mapping[str, Any], spec: TensorSpec, rank: int) -> PoolGeometry:
    """Window, stride (0 = the window size), padding and output sizes of a window pooling.

    Raises:
        ShapeError: wrong rank or dtype, or a "valid" window larger than the input.
    """
    require_float(spec)
    require_rank(spec, (rank + 1,), layout(rank))
    size = expand_ints(params["pool_size"], rank, "pool_size")
    steps = expand_ints(params["stride"], rank, "stride")
    stride = tuple(step or window for step, window in zip(steps, size, strict=True))
    before, after, out = [], [], []
    for i, length in enumerate(spec.shape[1:]):
        if params["padding"] == "same":
            start, end = same_padding_split(length, size[i], stride[i])
            before.append(start)
            after.append(end)
            out.append(-(-length // stride[i]))
            continue
        before.append(0)
        after.append(0)
        try:
            out.append(conv_output_length(length, size[i], stride[i], 0, 1, "pool_size"))
        except ShapeError:
            raise ShapeError(
                f"along the {DIMS[rank][i]}: a window of {size[i]} does not fit an input of "
                f"{length}; use a smaller pool_size or 'same' padding", "pool_size") from None
    return PoolGeometry(size, stride, tuple(before), tuple(after), tuple(out))


def _window_rule(rank: int) -> ShapeRule:
    def infer(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
        spec = only_input(inputs)
        geometry = pool_geometry(params, spec, rank)  # checks the rank before shape[0]
        return TensorSpec((spec.shape[0], *geometry.out))

    return infer


def _avg_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
              outputs: Mapping[str, TensorSpec]) -> int:
    # One addition per window element; max pooling compares and has no multiply-accumulates.
    rank = only_input(inputs).rank - 1
    return only_input(outputs).size * product(expand_ints(params["pool_size"], rank,
                                                          "pool_size"))


def _build_window(kind: str, rank: int) -> BuildFn:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from torch import nn

        from netbuilder.blocks.torch_conv import SamePool

        found = pool_geometry(params, only_input(inputs), rank)
        if found.before != found.after:
            # torch pads both ends alike; an uneven "same" needs the extra pad at the end.
            return SamePool(kind, found.size, found.stride, found.before, found.after)
        if kind == "max":
            cls = nn.MaxPool1d if rank == 1 else nn.MaxPool2d
            return cls(found.size, found.stride, padding=found.before)
        average = nn.AvgPool1d if rank == 1 else nn.AvgPool2d
        # count_include_pad=False: the mean is over real elements only, as in Keras. torch types
        # the sizes as tuples of exactly 1 or 2; the geometry holds one entry per spatial axis.
        return average(found.size, found.stride, padding=found.before,  # type: ignore[arg-type]
                       count_include_pad=False)

    return build


def window_params(rank: int) -> tuple[ParamSpec, ...]:
    """The params of a ``rank``-D max or average pooling."""
    per_dim = "one number, or [height, width]" if rank == 2 else "one number"
    return (
        ParamSpec("pool_size", "int_or_ints", 2, f"Size of the window: {per_dim}.",
                  minimum=1, maximum=4096, length=rank),
        ParamSpec("stride", "int_or_ints", 0, f"Step between windows: {per_dim}; 0 means the "
                  "same as pool_size (windows side by side, no overlap).", minimum=0,
                  maximum=4096, length=rank),
        ParamSpec("padding", "choice", "valid", "valid: drop the windows that would overhang "
                  "the edge; same: pad so the output is ceil(input / stride) long (pads are "
                  "never picked or averaged).", choices=("valid", "same")),
    )


def _window_block(kind: str, rank: int, examples: tuple[Example, ...],
                  aliases: tuple[str, ...] = ()) -> BlockSpec:
    what = "maximum" if kind == "max" else "mean"
    return BlockSpec(
        type=f"{kind}pool{rank}d",
        title=f"{'Max' if kind == 'max' else 'Average'} Pool {rank}D",
        category="Pooling",
        doc=(
            f"Keeps the {what} of each pool_size window, channel by channel, shrinking the "
            f"{'length' if rank == 1 else 'height and width'} (no weights). `stride` 0 means "
            "windows side by side (stride = pool_size). padding 'valid' drops windows that "
            "overhang the edge; 'same' gives ceil(input / stride) outputs, padding at the end "
            "when uneven (Keras' rule), and pads never count"
            + (" in the mean." if kind == "avg" else ".") + "\n\n"
            f"Input shape: {layout(rank)}.\n"
            f"Output shape: (channels, {', '.join('out_' + d for d in DIMS[rank])}), each out "
            "= floor((in - pool_size) / stride) + 1 (ceil(in / stride) with 'same')"
            + ("; e.g. (32, 26, 26) with pool_size 2 gives (32, 13, 13)." if rank == 2
               else ".")
        ),
        params=window_params(rank),
        infer=_window_rule(rank),
        build=_build_window(kind, rank),
        count_macs=_avg_macs if kind == "avg" else lambda p, i, o: 0,
        summary_params=("pool_size",),
        aliases=aliases,
        examples=examples,
    )


def _examples_1d() -> tuple[Example, ...]:
    return (
        Example({"x": (8, 21)}, note="pool 2: 21 -> 10 (the last element is dropped)"),
        Example({"x": (8, 20)}, {"pool_size": 3, "stride": 2, "padding": "same"},
                "same, uneven padding: ceil(20 / 2) = 10"),
        Example({"x": (4, 30)}, {"pool_size": 4, "stride": 1}, "overlapping windows: 27"),
    )


def _examples_2d() -> tuple[Example, ...]:
    return (
        Example({"x": (32, 26, 26)}, note="the MNIST tutorial: 32×13×13"),
        Example({"x": (3, 7, 7)}, {"padding": "same"}, "same, uneven padding: 4×4"),
        Example({"x": (4, 9, 8)}, {"pool_size": [3, 2], "stride": [2, 1]},
                "rectangular window and stride: 4×7"),
    )


MAXPOOL1D = _window_block("max", 1, _examples_1d())
MAXPOOL2D = _window_block("max", 2, _examples_2d(), ("max_pooling2d",))
AVGPOOL1D = _window_block("avg", 1, _examples_1d())
AVGPOOL2D = _window_block("avg", 2, _examples_2d(), ("average_pooling2d",))


def _global_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    if params["over"] == "sequence":
        if spec.rank != 2:
            raise ShapeError(f"over='sequence' expects a 2-D input (steps, features) per "
                             f"sample, got {spec.rank}-D; use over='spatial' for "
                             "(channels, ...) inputs", "over")
        return TensorSpec((spec.shape[1],))
    if spec.rank < 2:
        raise ShapeError("over='spatial' expects (channels, ...) with at least one spatial "
                         f"axis, got a {spec.rank}-D input", "over")
    return TensorSpec((spec.shape[0],))


def _build_global(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import GlobalAvgPool

    return GlobalAvgPool(params["over"])


GLOBAL_AVG_POOL = BlockSpec(
    type="global_avg_pool",
    title="Global Average Pool",
    category="Pooling",
    doc=(
        "Averages away every position, keeping one number per channel (over='spatial', "
        "e.g. after the last Conv2D instead of Flatten) or per feature (over='sequence', "
        "e.g. after a Transformer encoder).\n\n"
        "Input shape: (channels, ...) for spatial; (steps, features) for sequence.\n"
        "Output shape: (channels) for spatial; (features) for sequence."
    ),
    params=(ParamSpec("over", "choice", "spatial", "spatial: mean over every axis after the "
                      "channels; sequence: mean over the steps (first axis).",
                      choices=("spatial", "sequence")),),
    infer=_global_shape,
    build=_build_global,
    count_macs=lambda p, i, o: only_input(i).size,
    summary_params=("over",),
    examples=(
        Example({"x": (64, 5, 5)}),
        Example({"x": (10, 16)}, {"over": "sequence"}),
        Example({"x": (8, 30)}, note="spatial over a 1-D signal"),
    ),
)


def _adaptive_size(params: Mapping[str, Any], spec: TensorSpec) -> Ints:
    require_float(spec)
    require_rank(spec, (2, 3), "(channels, length) or (channels, height, width)")
    return expand_ints(params["output_size"], spec.rank - 1, "output_size")


def _adaptive_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    size = _adaptive_size(params, spec)  # checks the rank before the channels are read
    return TensorSpec((spec.shape[0], *size))


def _adaptive_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                   outputs: Mapping[str, TensorSpec]) -> int:
    # Bin i of n over a length L spans [floor(i L / n), ceil((i + 1) L / n)), as in torch.
    spec = only_input(inputs)
    reads = spec.shape[0]
    for length, bins in zip(spec.shape[1:], _adaptive_size(params, spec), strict=True):
        reads *= sum(-(-(i + 1) * length // bins) - i * length // bins for i in range(bins))
    return reads


def _build_adaptive(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    spec = only_input(inputs)
    size = _adaptive_size(params, spec)
    return nn.AdaptiveAvgPool1d(size) if spec.rank == 2 else nn.AdaptiveAvgPool2d(size)


ADAPTIVE_AVG_POOL = BlockSpec(
    type="adaptive_avg_pool",
    title="Adaptive Average Pool",
    category="Pooling",
    doc=(
        "Averages over output_size bins per spatial axis, whatever the input size, so the "
        "layers after it see a fixed shape (as torchvision's classifiers do with 7×7). 1-D for "
        "(channels, length) inputs, 2-D for (channels, height, width).\n\n"
        "Input shape: (channels, length) or (channels, height, width).\n"
        "Output shape: (channels, output_size) or (channels, out_height, out_width)."
    ),
    params=(ParamSpec("output_size", "int_or_ints", 1, "Number of bins per axis: one number, "
                      "or one per spatial axis ([height, width] for images).", minimum=1,
                      maximum=4096, min_length=1),),
    infer=_adaptive_shape,
    build=_build_adaptive,
    count_macs=_adaptive_macs,
    summary_params=("output_size",),
    examples=(
        Example({"x": (16, 9, 9)}, {"output_size": 3}),
        Example({"x": (16, 10, 7)}, {"output_size": [4, 2]}),
        Example({"x": (8, 50)}, {"output_size": 5}),
    ),
)

SPECS = (MAXPOOL1D, MAXPOOL2D, AVGPOOL1D, AVGPOOL2D, GLOBAL_AVG_POOL, ADAPTIVE_AVG_POOL)
