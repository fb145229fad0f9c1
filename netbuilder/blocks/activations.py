"""Activation functions as blocks of their own, and the names layers accept for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, require_float, require_rank
from netbuilder.core.blockspec import BlockSpec, Example
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec

#: The activation names a Dense or Conv block accepts, in the order the inspector lists them.
ACTIVATIONS = (
    "linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax",
    "step", "sign",
)


def activation_param(default: str = "linear") -> ParamSpec:
    """The ``activation`` parameter shared by layers that end in a non-linearity."""
    return ParamSpec(
        "activation", "choice", default,
        "Applied to the output: linear (none), relu, leaky_relu (slope 0.2), sigmoid, tanh, "
        "gelu, softmax or log_softmax (over the last axis), step (Heaviside) or sign.",
        choices=ACTIVATIONS,
    )


def _same_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    return spec


def _axis_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = _same_shape(params, inputs)
    require_rank(spec, tuple(range(1, 9)), "of features")
    axis = params["axis"]
    if not -spec.rank <= axis < spec.rank:
        raise ShapeError(f"axis {axis} does not exist in a {spec.rank}-D input", "axis")
    return spec


def _elementwise(type_id: str, title: str, formula: str, torch_name: str) -> BlockSpec:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from netbuilder.blocks.modules import activation

        return activation(torch_name)

    return BlockSpec(
        type=type_id,
        title=title,
        category="Activation",
        doc=f"{formula}, element by element.\n\nInput shape: any.\nOutput shape: the same.",
        infer=_same_shape,
        build=build,
        examples=(Example({"x": (10,)}), Example({"x": (3, 8, 8)})),
    )


def _build_leaky(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    return nn.LeakyReLU(params["slope"])


def _softmax_like(type_id: str, title: str, formula: str) -> BlockSpec:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from torch import nn

        axis = params["axis"]
        dim = axis if axis < 0 else axis + 1  # the batch dimension comes first in torch
        return nn.Softmax(dim) if type_id == "softmax" else nn.LogSoftmax(dim)

    return BlockSpec(
        type=type_id,
        title=title,
        category="Activation",
        doc=(f"{formula} along `axis` (counted without the batch dimension; -1 is the last)."
             "\n\nInput shape: any with at least one axis.\nOutput shape: the same."),
        params=(ParamSpec("axis", "int", -1, "The axis whose entries sum to one.",
                          minimum=-8, maximum=7),),
        infer=_axis_shape,
        build=build,
        examples=(Example({"x": (10,)}), Example({"x": (4, 6)}, {"axis": 0})),
    )


SPECS = (
    _elementwise("linear", "Linear (identity)", "Passes its input through: f(x) = x",
                 "linear"),
    _elementwise("relu", "ReLU", "Rectified linear unit: max(0, x)", "relu"),
    BlockSpec(
        type="leaky_relu",
        title="LeakyReLU",
        category="Activation",
        doc=("x where x > 0, else slope * x, element by element.\n\n"
             "Input shape: any.\nOutput shape: the same."),
        params=(ParamSpec("slope", "float", 0.2, "Gradient for negative inputs (GANs use 0.2).",
                          minimum=0.0, maximum=1.0),),
        infer=_same_shape,
        build=_build_leaky,
        summary_params=("slope",),
        examples=(Example({"x": (10,)}), Example({"x": (3, 4, 4)}, {"slope": 0.01})),
    ),
    _elementwise("sigmoid", "Sigmoid", "Logistic function 1 / (1 + exp(-x))", "sigmoid"),
    _elementwise("tanh", "Tanh", "Hyperbolic tangent", "tanh"),
    _elementwise("gelu", "GELU", "Gaussian error linear unit x * Phi(x)", "gelu"),
    _elementwise("step", "Step", "Heaviside step: 1 where x >= 0, else 0", "step"),
    _elementwise("sign", "Sign", "+1 where x >= 0, else -1", "sign"),
    _softmax_like("softmax", "Softmax", "exp(x) / sum(exp(x))"),
    _softmax_like("log_softmax", "Log-softmax", "log(softmax(x))"),
)
