"""Convolutions: Conv1D, Conv2D and the transposed (upsampling) Conv2D.

The input channels always come from the wire; the user sets only ``filters``. All shape
arithmetic lives in :func:`conv_geometry`, which the shape rule, the counts and the build
function share, so that the prediction and the built module cannot disagree.

"same" padding follows Keras/TensorFlow rather than PyTorch (which refuses padding="same" with
a stride above 1): the output is ceil(input / stride) long for any kernel, stride and
dilation, and when the padding cannot be split evenly the extra zero goes at the end.
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
from netbuilder.blocks.activations import activation_param
from netbuilder.core.blockspec import BlockSpec, BuildFn, Example, ShapeRule
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec

#: Largest kernel, stride, dilation or padding the inspector accepts.
MAX_WINDOW = 4096


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a convolution's shape, counts and torch module need, per spatial dimension.

    Attributes:
        in_channels: channels of the input (from the wire).
        kernel, stride, dilation: the expanded window params.
        padding: the symmetric padding handed to torch.
        extra: zeros added after the end of each dimension (conv "same" when uneven).
        output_padding: torch's output_padding (transposed conv only).
        trim: elements dropped from the end of each output dimension (transposed "same").
        out: the output's spatial sizes.
    """

    in_channels: int
    kernel: Ints
    stride: Ints
    dilation: Ints
    padding: Ints
    extra: Ints
    output_padding: Ints
    trim: Ints
    out: Ints


def layout(rank: int) -> str:
    """How a ``rank``-D convolution reads its input, e.g. ``(channels, height, width)``."""
    return "(" + ", ".join(("channels",) + DIMS[rank]) + ")"


def check_groups(channels: int, filters: int, groups: int) -> None:
    """Raises a ShapeError (param ``groups``) unless groups divides channels and filters."""
    for what, count in (("input channels", channels), ("filters", filters)):
        if count % groups:
            raise ShapeError(
                f"groups={groups} must divide both the input channels ({channels}) and the "
                f"filters ({filters}), but {what} ({count}) do not split into {groups} equal "
                "groups", "groups")


def _window(params: Mapping[str, Any], rank: int) -> tuple[Ints, Ints, Ints]:
    return (expand_ints(params["kernel_size"], rank, "kernel_size"),
            expand_ints(params["stride"], rank, "stride"),
            expand_ints(params["dilation"], rank, "dilation"))


def _fit(dim: str, size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """conv_output_length, with the dimension named and a way out in the message."""
    try:
        return conv_output_length(size, kernel, stride, padding, dilation)
    except ShapeError as error:
        raise ShapeError(f"along the {dim}: {error}; use a smaller kernel_size or dilation, "
                         "or 'same' padding", error.param) from None


def conv_geometry(params: Mapping[str, Any], spec: TensorSpec, rank: int) -> ConvGeometry:
    """The geometry of a forward convolution over ``rank`` spatial dimensions.

    Raises:
        ShapeError: the input has the wrong rank or dtype, the groups do not divide, or the
            window does not fit the (padded) input.
    """
    require_float(spec)
    require_rank(spec, (rank + 1,), layout(rank))
    channels, sizes = spec.shape[0], spec.shape[1:]
    check_groups(channels, params["filters"], params["groups"])
    kernel, stride, dilation = _window(params, rank)
    mode = params["padding"]
    explicit = expand_ints(params["padding_size"], rank, "padding_size")
    padding, extra, out = [], [], []
    for i, size in enumerate(sizes):
        before = after = 0
        if mode == "same":
            before, after = same_padding_split(size, kernel[i], stride[i], dilation[i])
        elif mode == "explicit":
            before = after = explicit[i]
        padding.append(before)
        extra.append(after - before)
        out.append(_fit(DIMS[rank][i], size + after - before, kernel[i], stride[i], before,
                        dilation[i]))
    zeros = (0,) * rank
    return ConvGeometry(channels, kernel, stride, dilation, tuple(padding), tuple(extra), zeros,
                        zeros, tuple(out))


def transpose_geometry(params: Mapping[str, Any], spec: TensorSpec, rank: int) -> ConvGeometry:
    """The geometry of a transposed convolution over ``rank`` spatial dimensions.

    Output length: (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    + output_padding; with "same" padding exactly size * stride.
    """
    require_float(spec)
    require_rank(spec, (rank + 1,), layout(rank))
    channels, sizes = spec.shape[0], spec.shape[1:]
    check_groups(channels, params["filters"], params["groups"])
    kernel, stride, dilation = _window(params, rank)
    mode = params["padding"]
    explicit = expand_ints(params["padding_size"], rank, "padding_size")
    asked = expand_ints(params["output_padding"], rank, "output_padding")
    if mode == "same" and any(asked):
        raise ShapeError("'same' padding chooses the output padding itself (the output is "
                         "input × stride): set output_padding to 0, or use explicit padding",
                         "output_padding")
    padding, output_padding, trim, out = [], [], [], []
    for i, size in enumerate(sizes):
        span = dilation[i] * (kernel[i] - 1) + 1
        if mode == "same":
            # The full output is (size - 1) * stride + span long; crop the surplus, the odd
            # one at the end, or pad the shortfall (a kernel smaller than the stride) at the end.
            surplus = span - stride[i]
            pad = max(surplus, 0) // 2
            padding.append(pad)
            output_padding.append(max(-surplus, 0))
            trim.append(max(surplus, 0) - 2 * pad)
            out.append(size * stride[i])
            continue
        pad = explicit[i] if mode == "explicit" else 0
        if asked[i] >= max(stride[i], dilation[i]):
            raise ShapeError(
                f"output_padding ({asked[i]}) must be smaller than the stride ({stride[i]}) "
                f"or the dilation ({dilation[i]}): it only picks among the sizes a stride can "
                "map back to", "output_padding")
        length = (size - 1) * stride[i] - 2 * pad + span + asked[i]
        if length < 1:
            raise ShapeError(
                f"along the {DIMS[rank][i]}: padding {pad} on each side crops the whole "
                f"output ({length + 2 * pad} long before cropping)", "padding_size")
        padding.append(pad)
        output_padding.append(asked[i])
        trim.append(0)
        out.append(length)
    return ConvGeometry(channels, kernel, stride, dilation, tuple(padding), (0,) * rank,
                        tuple(output_padding), tuple(trim), tuple(out))


def _shape_rule(rank: int, transpose: bool) -> ShapeRule:
    geometry = transpose_geometry if transpose else conv_geometry

    def infer(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
        found = geometry(params, only_input(inputs), rank)
        return TensorSpec((params["filters"], *found.out))

    return infer


def _weights(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
             outputs: Mapping[str, TensorSpec]) -> int:
    # Both kinds hold filters × (channels / groups) × kernel weights, and one bias per filter.
    channels = only_input(inputs).shape[0]
    rank = only_input(inputs).rank - 1
    kernel = expand_ints(params["kernel_size"], rank, "kernel_size")
    filters: int = params["filters"]
    groups: int = params["groups"]
    weights = filters * (channels // groups) * product(kernel)
    return weights + (filters if params["bias"] else 0)


def _conv_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
               outputs: Mapping[str, TensorSpec]) -> int:
    # Every output value is one dot product over (channels / groups) × kernel inputs.
    spec = only_input(inputs)
    kernel = expand_ints(params["kernel_size"], spec.rank - 1, "kernel_size")
    groups: int = params["groups"]
    return only_input(outputs).size * (spec.shape[0] // groups) * product(kernel)


def _transpose_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                    outputs: Mapping[str, TensorSpec]) -> int:
    # Every input value is scattered into (filters / groups) × kernel outputs.
    spec = only_input(inputs)
    kernel = expand_ints(params["kernel_size"], spec.rank - 1, "kernel_size")
    per_group: int = params["filters"] // params["groups"]
    return spec.size * per_group * product(kernel)


def _build_conv(rank: int) -> BuildFn:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from netbuilder.blocks.torch_conv import Conv1d, Conv2d

        found = conv_geometry(params, only_input(inputs), rank)
        cls = Conv1d if rank == 1 else Conv2d
        return cls(found.in_channels, params["filters"], found.kernel, found.stride,
                   found.padding, found.extra, found.dilation, params["groups"],
                   params["bias"], params["activation"])

    return build


def _build_transpose(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.torch_conv import ConvTranspose2d

    found = transpose_geometry(params, only_input(inputs), 2)
    return ConvTranspose2d(found.in_channels, params["filters"], found.kernel, found.stride,
                           found.padding, found.output_padding, found.trim, found.dilation,
                           params["groups"], params["bias"], params["activation"])


def _window_param(name: str, default: int, rank: int, help: str, minimum: int = 1,
                  enabled_when: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> ParamSpec:
    return ParamSpec(name, "int_or_ints", default, help, minimum=minimum, maximum=MAX_WINDOW,
                     length=rank, enabled_when=enabled_when)


def conv_params(rank: int, transpose: bool = False) -> tuple[ParamSpec, ...]:
    """The params of a ``rank``-D convolution (``transpose`` adds output_padding)."""
    per_dim = "one number, or [height, width]" if rank == 2 else "one number"
    same = ("same: output = input × stride (Keras' rule)" if transpose else
            "same: output = ceil(input / stride), extra zero at the end when uneven (Keras' "
            "rule, also for strides above 1)")
    explicit = ("crop padding_size from each side of the output" if transpose else
                "padding_size zeros on each side")
    params = [
        ParamSpec("filters", "int", 32, "Number of output channels (feature maps); the input "
                  "channels come from the wire.", minimum=1, maximum=100_000),
        _window_param("kernel_size", 4 if transpose else 3, rank,
                      f"Size of the sliding window: {per_dim}."),
        _window_param("stride", 2 if transpose else 1, rank,
                      f"Step between window positions: {per_dim}."),
        ParamSpec("padding", "choice", "same" if transpose else "valid",
                  f"valid: no padding; {same}; explicit: {explicit}.",
                  choices=("valid", "same", "explicit")),
        _window_param("padding_size", 0, rank,
                      f"Zeros on each side of each dimension ({per_dim}); used only when "
                      "padding is explicit, ignored otherwise.", minimum=0,
                      enabled_when=(("padding", ("explicit",)),)),
    ]
    if transpose:
        params.append(_window_param(
            "output_padding", 0, rank,
            "Extra rows/columns at the end of the output, to pick among the sizes a stride "
            "can map back to; must be below the stride or dilation. 0 with same padding.",
            minimum=0))
    params += [
        _window_param("dilation", 1, rank, "Spacing between kernel taps: 1 is a plain kernel; "
                      "more widens the window without adding weights."),
        ParamSpec("groups", "int", 1, "Split channels and filters into this many independent "
                  "groups; both must divide evenly (groups = channels is depthwise).",
                  minimum=1, maximum=100_000),
        activation_param("linear" if transpose else "relu"),
        ParamSpec("bias", "bool", True, "Add a learned bias to each output channel."),
    ]
    return tuple(params)


_COMMON_DOC = (
    "padding: 'valid' adds none; 'same' pads so the output is ceil(input / stride) long "
    "(Keras' rule: unlike PyTorch it allows strides above 1 and even kernels, putting the odd "
    "extra zero at the end); 'explicit' adds `padding_size` zeros on each side (`padding_size` "
    "is ignored otherwise). `groups` must divide both the input channels and `filters`. "
    "A softmax activation runs over the channels."
)

CONV1D = BlockSpec(
    type="conv1d",
    title="Conv 1D",
    category="Convolution",
    doc=(
        "Slides `filters` learned kernels along a sequence: each output channel is "
        "activation(sum over input channels and kernel taps + bias). The input channels come "
        "from the wire. " + _COMMON_DOC + "\n\n"
        "Input shape: (channels, length); a (steps, features) sequence needs a Permute "
        "[2, 1] first.\n"
        "Output shape: (filters, out_length), out_length = floor((length + 2 * padding - "
        "dilation * (kernel_size - 1) - 1) / stride) + 1 (ceil(length / stride) with 'same')."
    ),
    params=conv_params(1),
    infer=_shape_rule(1, transpose=False),
    build=_build_conv(1),
    count_params=_weights,
    count_macs=_conv_macs,
    summary_params=("filters", "kernel_size", "activation"),
    examples=(
        Example({"x": (4, 50)}, {"filters": 8, "kernel_size": 5}, "valid: 50 - 5 + 1 = 46"),
        Example({"x": (4, 51)}, {"filters": 8, "kernel_size": 4, "stride": 2,
                                 "padding": "same"},
                "same with stride 2 and an even kernel: ceil(51 / 2) = 26"),
        Example({"x": (6, 32)}, {"filters": 9, "kernel_size": 3, "padding": "explicit",
                                 "padding_size": 2, "dilation": 2, "groups": 3,
                                 "bias": False},
                "dilated, grouped, explicit padding 2 keeps 32"),
    ),
)

CONV2D = BlockSpec(
    type="conv2d",
    title="Conv 2D",
    category="Convolution",
    doc=(
        "Slides `filters` learned kernels over an image: each output channel is "
        "activation(sum over input channels and the kernel window + bias). The input channels "
        "come from the wire. " + _COMMON_DOC + "\n\n"
        "Input shape: (channels, height, width).\n"
        "Output shape: (filters, out_height, out_width), each out = floor((in + 2 * padding - "
        "dilation * (kernel_size - 1) - 1) / stride) + 1 (ceil(in / stride) with 'same'); "
        "e.g. (1, 28, 28) with 32 filters of 3×3 gives (32, 26, 26)."
    ),
    params=conv_params(2),
    infer=_shape_rule(2, transpose=False),
    build=_build_conv(2),
    count_params=_weights,
    count_macs=_conv_macs,
    summary_params=("filters", "kernel_size", "activation"),
    aliases=("conv2D", "convolution2d"),
    examples=(
        Example({"x": (1, 28, 28)}, {"filters": 32, "kernel_size": 3},
                "the MNIST tutorial: 32×26×26, 320 params"),
        Example({"x": (3, 32, 32)}, {"filters": 16, "kernel_size": [3, 5], "stride": 2,
                                     "padding": "same"},
                "rectangular kernel, same padding with stride 2: 16×16×16"),
        Example({"x": (8, 12, 10)}, {"filters": 8, "kernel_size": 3, "padding": "explicit",
                                     "padding_size": [1, 2], "dilation": [1, 2], "groups": 8,
                                     "activation": "softmax"},
                "depthwise (groups = channels), dilated along the width"),
    ),
)

CONV_TRANSPOSE2D = BlockSpec(
    type="conv_transpose2d",
    title="Conv Transpose 2D",
    category="Convolution",
    doc=(
        "Transposed convolution (sometimes called deconvolution): each input value scatters a "
        "learned kernel into a larger output, so a stride of 2 doubles height and width, as in "
        "GAN generators and decoders. The input channels come from the wire. padding: 'valid' "
        "crops nothing; 'same' makes the output exactly input × stride (Keras' rule; it sets "
        "the output padding itself, so `output_padding` must be 0); 'explicit' crops "
        "`padding_size` on each side (`padding_size` is ignored otherwise). `output_padding` "
        "(valid and explicit only) adds rows/columns at the end. `groups` must divide both the "
        "input channels and `filters`. A softmax activation runs over the channels.\n\n"
        "Input shape: (channels, height, width).\n"
        "Output shape: (filters, out_height, out_width), each out = (in - 1) * stride - "
        "2 * padding + dilation * (kernel_size - 1) + output_padding + 1 (in × stride with "
        "'same'); e.g. (64, 7, 7) gives (32, 14, 14) with the defaults."
    ),
    params=conv_params(2, transpose=True),
    infer=_shape_rule(2, transpose=True),
    build=_build_transpose,
    count_params=_weights,
    count_macs=_transpose_macs,
    summary_params=("filters", "kernel_size", "stride"),
    examples=(
        Example({"x": (64, 7, 7)}, note="defaults: 4×4 kernel, stride 2, same: 14×14"),
        Example({"x": (16, 5, 5)}, {"filters": 8, "kernel_size": 3, "padding": "explicit",
                                    "padding_size": 1, "output_padding": 1},
                "(5 - 1) * 2 - 2 + 3 + 1 = 10"),
        Example({"x": (4, 4, 5)}, {"filters": 6, "kernel_size": [2, 3], "stride": [1, 3],
                                   "padding": "valid", "dilation": [1, 2], "groups": 2,
                                   "activation": "tanh", "bias": False},
                "valid, rectangular kernel and stride, dilated, grouped: 6×5×17"),
    ),
)

SPECS = (CONV1D, CONV2D, CONV_TRANSPOSE2D)
