"""Blocks that rearrange or join tensors: Flatten, Reshape, Permute, Add, Concatenate, Multiply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, product
from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec, format_shape


def _flatten_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    return TensorSpec((spec.size,), spec.dtype)


def _build_flatten(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    return nn.Flatten()


FLATTEN = BlockSpec(
    type="flatten",
    title="Flatten",
    category="Structure",
    doc=(
        "Unrolls each sample into one long vector, e.g. before Dense layers.\n\n"
        "Input shape: any, e.g. (64, 5, 5).\nOutput shape: (product of the sizes), e.g. (1600)."
    ),
    infer=_flatten_shape,
    build=_build_flatten,
    examples=(Example({"x": (64, 5, 5)}), Example({"x": (10,)})),
)


def _reshape_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    target = list(params["shape"])
    if target.count(-1) > 1:
        raise ShapeError("only one size may be -1 (inferred)", "shape")
    if -1 in target:
        known = product([d for d in target if d != -1])
        if spec.size % known:
            raise ShapeError(f"cannot reshape {format_shape(spec.shape)} ({spec.size} values) "
                             f"to {format_shape(tuple(target))}", "shape")
        target[target.index(-1)] = spec.size // known
    if product(target) != spec.size:
        raise ShapeError(f"cannot reshape {format_shape(spec.shape)} ({spec.size} values) to "
                         f"{format_shape(tuple(target))} ({product(target)} values)", "shape")
    return TensorSpec(tuple(target), spec.dtype)


def _build_reshape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import Reshape

    return Reshape(tuple(params["shape"]))


RESHAPE = BlockSpec(
    type="reshape",
    title="Reshape",
    category="Structure",
    doc=(
        "Gives each sample a new shape with the same number of values; one size may be -1 "
        "to be worked out.\n\nInput shape: any, e.g. (784).\n"
        "Output shape: `shape`, e.g. (1, 28, 28)."
    ),
    params=(ParamSpec("shape", "ints", [1, 28, 28], "The new sizes; one of them may be -1.",
                      minimum=-1, maximum=1_000_000, min_length=1),),
    infer=_reshape_shape,
    build=_build_reshape,
    summary_params=("shape",),
    examples=(Example({"x": (784,)}), Example({"x": (2, 6)}, {"shape": [3, -1]})),
)


def _permute_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    dims = params["dims"]
    if sorted(dims) != list(range(1, spec.rank + 1)):
        raise ShapeError(f"dims must list each of 1..{spec.rank} once for a {spec.rank}-D "
                         f"input, got {dims}", "dims")
    return TensorSpec(tuple(spec.shape[d - 1] for d in dims), spec.dtype)


def _build_permute(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import Permute

    return Permute(tuple(params["dims"]))


PERMUTE = BlockSpec(
    type="permute",
    title="Permute",
    category="Structure",
    doc=(
        "Reorders the axes of each sample; `dims` numbers them from 1 (the batch stays first). "
        "[2, 1] turns (steps, features) into (features, steps) for a Conv1D.\n\n"
        "Input shape: any.\nOutput shape: the input's sizes in the order of `dims`."
    ),
    params=(ParamSpec("dims", "ints", [2, 1], "The new order of the axes, counted from 1.",
                      minimum=1, maximum=16, min_length=1),),
    infer=_permute_shape,
    build=_build_permute,
    summary_params=("dims",),
    examples=(Example({"x": (10, 3)}), Example({"x": (2, 3, 4)}, {"dims": [3, 1, 2]})),
)


def _merge_ports(params: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    count = params.get("inputs", 2)
    count = count if isinstance(count, int) and 2 <= count <= 8 else 2
    return tuple(PortSpec(f"x{i}") for i in range(1, count + 1))


def _merge_count_param() -> ParamSpec:
    return ParamSpec("inputs", "int", 2, "How many tensors to join.", minimum=2, maximum=8)


def _same_shapes(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    specs = list(inputs.values())
    first = specs[0]
    for port, spec in inputs.items():
        if spec.shape != first.shape:
            raise ShapeError(
                f"all inputs must have the same shape: x1 is {format_shape(first.shape)} but "
                f"{port} is {format_shape(spec.shape)}")
        if spec.dtype != "float32":
            raise ShapeError(f"{port} holds {spec.dtype} values; expected float32")
    return first


def _elementwise_merge(type_id: str, title: str, what: str, module: str) -> BlockSpec:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from netbuilder.blocks import modules

        return getattr(modules, module)()

    return BlockSpec(
        type=type_id,
        title=title,
        category="Merge",
        doc=(f"{what} its inputs element by element (a residual connection adds).\n\n"
             "Input shape: `inputs` tensors of one shape.\nOutput shape: that shape."),
        params=(_merge_count_param(),),
        inputs=_merge_ports,
        infer=_same_shapes,
        build=build,
        count_macs=lambda p, i, o: (len(i) - 1) * next(iter(i.values())).size,
        examples=(Example({"x1": (8, 4, 4), "x2": (8, 4, 4)}),
                  Example({"x1": (5,), "x2": (5,), "x3": (5,)}, {"inputs": 3})),
    )


def _concat_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    specs = list(inputs.values())
    rank = specs[0].rank
    axis = params["axis"]
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} does not exist in a {rank}-D input", "axis")
    axis %= rank
    total = 0
    for port, spec in inputs.items():
        if spec.rank != rank:
            raise ShapeError(f"{port} is {spec.rank}-D but x1 is {rank}-D")
        others = spec.shape[:axis] + spec.shape[axis + 1:]
        expected = specs[0].shape[:axis] + specs[0].shape[axis + 1:]
        if others != expected:
            raise ShapeError(
                f"{port} {format_shape(spec.shape)} does not match x1 "
                f"{format_shape(specs[0].shape)} outside axis {params['axis']}")
        total += spec.shape[axis]
    shape = list(specs[0].shape)
    shape[axis] = total
    return TensorSpec(tuple(shape), specs[0].dtype)


def _build_concat(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import Concatenate

    return Concatenate(params["axis"])


CONCATENATE = BlockSpec(
    type="concatenate",
    title="Concatenate",
    category="Merge",
    doc=(
        "Joins its inputs along `axis` (counted without the batch; 0 is channels, -1 the "
        "last axis).\n\nInput shape: tensors that agree on every other axis.\n"
        "Output shape: the same, with the sizes along `axis` added up."
    ),
    params=(_merge_count_param(),
            ParamSpec("axis", "int", -1, "The axis to join along (-1 = last).", minimum=-8,
                      maximum=7)),
    inputs=_merge_ports,
    infer=_concat_shape,
    build=_build_concat,
    summary_params=("axis",),
    aliases=("concat",),
    examples=(Example({"x1": (4,), "x2": (6,)}),
              Example({"x1": (2, 5, 5), "x2": (3, 5, 5), "x3": (1, 5, 5)},
                      {"inputs": 3, "axis": 0})),
)

SPECS = (
    FLATTEN, RESHAPE, PERMUTE,
    _elementwise_merge("add", "Add", "Adds", "Add"),
    CONCATENATE,
    _elementwise_merge("multiply", "Multiply", "Multiplies", "Multiply"),
)
