"""Recurrent layers: SimpleRNN, LSTM and GRU over (steps, features) sequences, batch first.

Parameter counts follow PyTorch, which learns two bias vectors per gate set (b_ih and b_hh)
where Keras learns one; the same layer therefore counts ``gates * units`` more parameters
per layer and direction here than in Keras, by design.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, require_float
from netbuilder.core.blockspec import BlockSpec, BuildFn, CountRule, Example
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec, format_shape

#: Gate sets per cell: each has an input matrix, a recurrent matrix and two bias vectors.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def _directions(params: Mapping[str, Any]) -> int:
    return 2 if params["bidirectional"] else 1


def _sequence_input(inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    require_float(spec)
    if spec.rank != 2:
        raise ShapeError(
            f"expects a sequence (steps, features) per sample, got {format_shape(spec.shape)}: "
            "put a Reshape in front to make one")
    return spec


def _recurrent_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    steps, _ = _sequence_input(inputs).shape
    width = params["units"] * _directions(params)
    return TensorSpec((steps, width) if params["return_sequences"] else (width,))


def _layer_sizes(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> list[int]:
    """The input size of each stacked layer: the wire's features, then the layer below's."""
    features = only_input(inputs).shape[-1]
    below = params["units"] * _directions(params)
    return [features] + [below] * (params["layers"] - 1)


def _counters(cell: str) -> tuple[CountRule, CountRule]:
    gates = GATES[cell]

    def count_params(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                     outputs: Mapping[str, TensorSpec]) -> int:
        units: int = params["units"]
        # Per layer and direction: W_ih (gates*units x in), W_hh (gates*units x units), b_ih, b_hh.
        per_direction = sum(gates * units * (size + units + 2)
                            for size in _layer_sizes(params, inputs))
        return per_direction * _directions(params)

    def count_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                   outputs: Mapping[str, TensorSpec]) -> int:
        # The two matrix products per step dominate; element-wise gate products are left out.
        units: int = params["units"]
        steps = only_input(inputs).shape[0]
        per_step = sum(gates * units * (size + units) for size in _layer_sizes(params, inputs))
        return steps * per_step * _directions(params)

    return count_params, count_macs


def _builder(cell: str) -> BuildFn:
    def build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
        from netbuilder.blocks.torch_sequence import Recurrent

        return Recurrent(cell, only_input(inputs).shape[-1], params["units"], params["layers"],
                         params["bidirectional"], params["return_sequences"], params["dropout"],
                         params.get("activation", "tanh"))

    return build


def _common_params(units: int) -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("units", "int", units, "Size of the hidden state of each direction.",
                  minimum=1, maximum=100_000),
        ParamSpec("layers", "int", 1, "How many recurrent layers to stack, each reading the "
                  "sequence the one below returns.", minimum=1, maximum=64),
        ParamSpec("bidirectional", "bool", False, "Also read the sequence backwards and join "
                  "both directions' outputs (doubles the output features)."),
        ParamSpec("return_sequences", "bool", False, "Return the output of every step "
                  "(steps, units × directions) instead of the final state only."),
        ParamSpec("dropout", "float", 0.0, "Dropout between stacked layers while training; "
                  "PyTorch applies it only when layers > 1 (never after the last layer).",
                  minimum=0.0, maximum=0.99),
    )


_SHAPES = (
    "Input shape: (steps, features); the input size comes from the wire.\n"
    "Output shape: (steps, units × directions) with return_sequences, else "
    "(units × directions): the final state, where a bidirectional layer joins the forward "
    "direction's last step to the backward direction's first."
)

_COUNTING = (
    "Parameters are counted as PyTorch learns them, with two bias vectors per gate set; "
    "Keras learns one, so its count is lower by {gates} × units per layer and direction."
)


def _recurrent_block(cell: str, type_id: str, title: str, summary: str, units: int,
                     extra: tuple[ParamSpec, ...], examples: tuple[Example, ...],
                     alias: str) -> BlockSpec:
    count_params, count_macs = _counters(cell)
    return BlockSpec(
        type=type_id,
        title=title,
        category="Recurrent",
        doc=f"{summary} {_COUNTING.format(gates=GATES[cell])}\n\n{_SHAPES}",
        params=_common_params(units) + extra,
        infer=_recurrent_shape,
        build=_builder(cell),
        count_params=count_params,
        count_macs=count_macs,
        summary_params=("units", "return_sequences"),
        aliases=(alias,),
        examples=examples,
    )


SIMPLE_RNN = _recurrent_block(
    "rnn", "simple_rnn", "SimpleRNN",
    "Elman recurrent layer: h_t = activation(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), one "
    "step after another.",
    units=32,
    extra=(ParamSpec("activation", "choice", "tanh", "The non-linearity of the hidden state: "
                     "tanh (the usual) or relu.", choices=("tanh", "relu")),),
    examples=(
        Example({"x": (10, 8)}, {"units": 50, "return_sequences": True},
                "char-RNN tutorial, first layer: 3,000 parameters"),
        Example({"x": (10, 50)}, {"units": 50},
                "char-RNN tutorial, second layer: the last step, 5,100 parameters"),
        Example({"x": (6, 4)}, {"units": 5, "layers": 2, "bidirectional": True,
                                "activation": "relu", "dropout": 0.2}),
    ),
    alias="SimpleRNN",
)

LSTM = _recurrent_block(
    "lstm", "lstm", "LSTM",
    "Long short-term memory: input, forget and output gates steer a cell state, which lets "
    "the layer carry information across many steps.",
    units=64,
    extra=(),
    examples=(
        Example({"x": (20, 16)}, {"units": 32}),
        Example({"x": (12, 8)}, {"units": 16, "bidirectional": True,
                                 "return_sequences": True}),
        Example({"x": (5, 3)}, {"units": 4, "layers": 3, "bidirectional": True,
                                "dropout": 0.1}),
    ),
    alias="LSTM",
)

GRU = _recurrent_block(
    "gru", "gru", "GRU",
    "Gated recurrent unit: reset and update gates blend the previous hidden state with a new "
    "candidate; lighter than an LSTM.",
    units=64,
    extra=(),
    examples=(
        Example({"x": (20, 16)}, {"units": 32, "return_sequences": True}),
        Example({"x": (9, 6)}, {"units": 8, "layers": 2, "dropout": 0.3}),
        Example({"x": (7, 5)}, {"units": 6, "bidirectional": True}),
    ),
    alias="GRU",
)

SPECS = (SIMPLE_RNN, LSTM, GRU)
