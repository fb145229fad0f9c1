"""Fully connected layers, the single neuron, and embeddings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, require_rank
from netbuilder.blocks.activations import activation_param
from netbuilder.core.blockspec import BlockSpec, Example
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec


def _dense_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_rank(spec, tuple(range(1, 9)), "(features) or (..., features)")
    if spec.dtype != "float32":
        raise ShapeError("receives int64 values (token ids or labels): put an Embedding "
                         "block in front to turn ids into vectors")
    return TensorSpec(spec.shape[:-1] + (_units(params),))


def _units(params: Mapping[str, Any]) -> int:
    units: int = params.get("units", 1)
    return units


def _dense_params(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                  outputs: Mapping[str, TensorSpec]) -> int:
    features = only_input(inputs).shape[-1]
    return features * _units(params) + (_units(params) if params["bias"] else 0)


def _dense_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                outputs: Mapping[str, TensorSpec]) -> int:
    spec = only_input(inputs)
    rows = spec.size // spec.shape[-1]
    return rows * spec.shape[-1] * _units(params)


def _build_dense(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import Dense

    return Dense(only_input(inputs).shape[-1], _units(params), params["bias"],
                 params["activation"])


DENSE = BlockSpec(
    type="dense",
    title="Dense",
    category="Dense",
    doc=(
        "Fully connected layer: y = activation(W x + b). Each of `units` neurons sees every "
        "input feature; the number of input features comes from the wire.\n\n"
        "Input shape: (features) or (..., features): the last axis is mixed.\n"
        "Output shape: (units) or (..., units)."
    ),
    params=(
        ParamSpec("units", "int", 64, "Number of neurons (output features).",
                  minimum=1, maximum=1_000_000),
        activation_param("relu"),
        ParamSpec("bias", "bool", True, "Add a learned bias to each neuron."),
    ),
    infer=_dense_shape,
    build=_build_dense,
    count_params=_dense_params,
    count_macs=_dense_macs,
    summary_params=("units", "activation"),
    aliases=("linear_layer", "fully_connected"),
    examples=(
        Example({"x": (10,)}, {"units": 10, "activation": "relu"}),
        Example({"x": (1600,)}, {"units": 128}),
        Example({"x": (5, 8)}, {"units": 3, "activation": "softmax", "bias": False}),
    ),
)

NEURON = BlockSpec(
    type="neuron",
    title="Neuron",
    category="Dense",
    doc=(
        "A single artificial neuron: y = f(w · x + b), the perceptron of the first tutorials. "
        "The same as Dense with one unit.\n\n"
        "Input shape: (features).\nOutput shape: (1)."
    ),
    params=(activation_param("step"), ParamSpec("bias", "bool", True, "Add a learned bias b.")),
    infer=_dense_shape,
    build=_build_dense,
    count_params=_dense_params,
    count_macs=_dense_macs,
    summary_params=("activation",),
    examples=(Example({"x": (2,)}), Example({"x": (4,)}, {"activation": "sigmoid"})),
)


def _embedding_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    if spec.dtype != "int64":
        raise ShapeError("expects int64 token ids (set the Input's dtype to int64), got "
                         "float32 values")
    return TensorSpec(spec.shape + (params["dim"],))


def _build_embedding(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    return nn.Embedding(params["vocab_size"], params["dim"])


EMBEDDING = BlockSpec(
    type="embedding",
    title="Embedding",
    category="Dense",
    doc=(
        "Looks up a learned vector for each token id (0 ≤ id < vocab_size).\n\n"
        "Input shape: (seq_len) int64 token ids, or any int64 shape.\n"
        "Output shape: (seq_len, dim)."
    ),
    params=(
        ParamSpec("vocab_size", "int", 32, "Number of distinct tokens.", minimum=1,
                  maximum=10_000_000),
        ParamSpec("dim", "int", 32, "Length of each token's vector.", minimum=1,
                  maximum=100_000),
    ),
    infer=_embedding_shape,
    build=_build_embedding,
    count_params=lambda p, i, o: p["vocab_size"] * p["dim"],
    summary_params=("vocab_size", "dim"),
    examples=(
        Example({"x": TensorSpec((16,), "int64")}),
        Example({"x": TensorSpec((4, 5), "int64")}, {"vocab_size": 8, "dim": 3}),
    ),
)

SPECS = (DENSE, NEURON, EMBEDDING)
