"""Attention blocks: multi-head attention, the Transformer encoder layer, positional encoding.

Sequences are (steps, features) per sample, batch first. Counts follow PyTorch's
nn.MultiheadAttention, which projects the query, key and value to the full embedding size
and splits it among the heads (Keras' MultiHeadAttention sizes each head with ``key_dim``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.blocks._rules import only_input, require_float
from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec, format_shape


def _sequence(spec: TensorSpec, what: str) -> tuple[int, int]:
    """(steps, features) of a port that must carry a float sequence."""
    require_float(spec, what)
    if spec.rank != 2:
        raise ShapeError(
            f"expects {what} as a sequence (steps, features) per sample, got "
            f"{format_shape(spec.shape)}")
    steps, features = spec.shape
    return steps, features


def _require_heads_divide(features: int, heads: int) -> None:
    if features % heads:
        raise ShapeError(
            f"{heads} heads cannot split {features} features evenly: the feature size must "
            f"be a multiple of heads (try {_divisors_hint(features)})", "heads")


def _divisors_hint(features: int) -> str:
    divisors = [d for d in range(1, min(features, 16) + 1) if features % d == 0]
    return "heads = " + ", ".join(str(d) for d in divisors)


def _attention_macs(query_steps: int, context_steps: int, embed: int, context_dim: int
                    ) -> int:
    """Multiply-accumulates of one attention pass with full-size projections."""
    projections = query_steps * embed * embed * 2 + context_steps * context_dim * embed * 2
    scores_and_mix = 2 * query_steps * context_steps * embed  # Q K^T, then weights × V
    return projections + scores_and_mix


def _attention_param_count(embed: int, context_dim: int, bias: bool) -> int:
    # Query, key and value projections (the last two from the context), the output projection,
    # then their biases: 3 × embed in the input projection, embed in the output one.
    weights = embed * embed + 2 * embed * context_dim + embed * embed
    return weights + (4 * embed if bias else 0)


# --- multi-head attention ----------------------------------------------------------------


def _is_cross(params: Mapping[str, Any]) -> bool:
    return params.get("mode") == "cross"


def _attention_ports(params: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    if _is_cross(params):
        return (PortSpec("query", "the sequence that asks: (steps, features)"),
                PortSpec("context", "the sequence attended over, giving keys and values"))
    return (PortSpec("x", "the sequence that attends over itself"),)


def _query_context(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]
                   ) -> tuple[TensorSpec, TensorSpec]:
    if _is_cross(params):
        return inputs["query"], inputs["context"]
    spec = only_input(inputs)
    return spec, spec


def _mha_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]
               ) -> dict[str, TensorSpec]:
    query, context = _query_context(params, inputs)
    what = "query" if _is_cross(params) else "input"
    query_steps, embed = _sequence(query, what)
    context_steps, _ = _sequence(context, "context")
    _require_heads_divide(embed, params["heads"])
    if params["causal"] and _is_cross(params):
        raise ShapeError("a causal mask applies to self-attention only: switch causal off "
                         "or set mode to self", "causal")
    return {"y": query,
            "weights": TensorSpec((params["heads"], query_steps, context_steps))}


def _mha_params(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                outputs: Mapping[str, TensorSpec]) -> int:
    query, context = _query_context(params, inputs)
    return _attention_param_count(query.shape[-1], context.shape[-1], params["bias"])


def _mha_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
              outputs: Mapping[str, TensorSpec]) -> int:
    query, context = _query_context(params, inputs)
    return _attention_macs(query.shape[0], context.shape[0], query.shape[1], context.shape[1])


def _build_mha(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.torch_sequence import MultiHeadAttention

    query, context = _query_context(params, inputs)
    return MultiHeadAttention(query.shape[-1], params["heads"], params["dropout"],
                              params["bias"], context.shape[-1], params["causal"])


MULTI_HEAD_ATTENTION = BlockSpec(
    type="multi_head_attention",
    title="Multi-Head Attention",
    category="Attention",
    doc=(
        "Scaled dot-product attention in several heads: each query step takes a weighted "
        "mean of the context's value vectors, weighted by softmax(q · k / √(features / "
        "heads)). In self mode the sequence attends over itself; in cross mode the query "
        "attends over a second sequence (e.g. a decoder over an encoder's output), whose "
        "feature size may differ. The `weights` output gives each head's attention map; "
        "each row sums to 1 when evaluating (while training, dropout zeroes and rescales "
        "some weights).\n\n"
        "Input shape: self: x (steps, features); cross: query (steps, features) and context "
        "(context_steps, context_features). features must be a multiple of heads.\n"
        "Output shape: y like the query (steps, features); weights (heads, steps, "
        "context_steps)."
    ),
    params=(
        ParamSpec("mode", "choice", "self", "self: one input attends over itself; cross: "
                  "a query input attends over a separate context input.",
                  choices=("self", "cross")),
        ParamSpec("heads", "int", 4, "Number of attention heads; must divide the query's "
                  "feature size.", minimum=1, maximum=1024),
        ParamSpec("dropout", "float", 0.0, "Dropout on the attention weights while "
                  "training.", minimum=0.0, maximum=0.99),
        ParamSpec("bias", "bool", True, "Learn biases in the query, key, value and output "
                  "projections."),
        ParamSpec("causal", "bool", False, "Self mode only: each step attends to itself and "
                  "earlier steps, never later ones (for next-token prediction)."),
    ),
    inputs=_attention_ports,
    outputs=(PortSpec("y", "the attended sequence, shaped like the query"),
             PortSpec("weights", "attention weights per head (heads, steps, context_steps)")),
    infer=_mha_shape,
    build=_build_mha,
    count_params=_mha_params,
    count_macs=_mha_macs,
    summary_params=("mode", "heads"),
    examples=(
        Example({"x": (10, 32)}, {"heads": 4}),
        Example({"query": (7, 16), "context": (12, 24)},
                {"mode": "cross", "heads": 2, "bias": False}, "context of another width"),
        Example({"x": (5, 8)}, {"heads": 2, "causal": True, "dropout": 0.1}),
    ),
)


# --- Transformer encoder layer -------------------------------------------------------------


def _encoder_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> TensorSpec:
    spec = only_input(inputs)
    _, d_model = _sequence(spec, "input")
    _require_heads_divide(d_model, params["heads"])
    return spec


def _encoder_params(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                    outputs: Mapping[str, TensorSpec]) -> int:
    d_model = only_input(inputs).shape[-1]
    ff_dim: int = params["ff_dim"]
    attention = _attention_param_count(d_model, d_model, True)
    feed_forward = d_model * ff_dim + ff_dim + ff_dim * d_model + d_model
    norms = 2 * 2 * d_model  # two LayerNorms, each with a scale and a shift
    return attention + feed_forward + norms


def _encoder_macs(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec],
                  outputs: Mapping[str, TensorSpec]) -> int:
    steps, d_model = only_input(inputs).shape
    ff_dim: int = params["ff_dim"]
    feed_forward = 2 * steps * d_model * ff_dim
    norms = 2 * 2 * steps * d_model  # as the LayerNorm block counts them
    return _attention_macs(steps, steps, d_model, d_model) + feed_forward + norms


def _build_encoder(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from torch import nn

    return nn.TransformerEncoderLayer(
        only_input(inputs).shape[-1], params["heads"], dim_feedforward=params["ff_dim"],
        dropout=params["dropout"], activation=params["activation"], batch_first=True,
        norm_first=params["norm_first"])


TRANSFORMER_ENCODER_LAYER = BlockSpec(
    type="transformer_encoder_layer",
    title="Transformer Encoder Layer",
    category="Attention",
    doc=(
        "One Transformer encoder layer: multi-head self-attention, then a two-layer "
        "feed-forward network (d_model → ff_dim → d_model), each wrapped in a residual "
        "connection and a LayerNorm. Stack several for an encoder; put a Positional Encoding "
        "in front so that the order of the steps counts.\n\n"
        "Input shape: (steps, d_model); d_model must be a multiple of heads.\n"
        "Output shape: the same."
    ),
    params=(
        ParamSpec("heads", "int", 4, "Number of attention heads; must divide d_model.",
                  minimum=1, maximum=1024),
        ParamSpec("ff_dim", "int", 128, "Width of the hidden layer of the feed-forward "
                  "network.", minimum=1, maximum=1_000_000),
        ParamSpec("dropout", "float", 0.1, "Dropout on the attention weights and after each "
                  "sub-layer while training.", minimum=0.0, maximum=0.99),
        ParamSpec("activation", "choice", "relu", "Non-linearity of the feed-forward "
                  "network: relu (the original Transformer) or gelu (BERT, GPT).",
                  choices=("relu", "gelu")),
        ParamSpec("norm_first", "bool", False, "Normalise before each sub-layer (pre-norm, "
                  "steadier to train deep stacks) instead of after it (the original)."),
    ),
    infer=_encoder_shape,
    build=_build_encoder,
    count_params=_encoder_params,
    count_macs=_encoder_macs,
    summary_params=("heads", "ff_dim"),
    examples=(
        Example({"x": (10, 32)}, {"heads": 4, "ff_dim": 64}),
        Example({"x": (6, 16)}, {"heads": 2, "ff_dim": 32, "activation": "gelu",
                                 "norm_first": True, "dropout": 0.0}),
    ),
)


# --- positional encoding -------------------------------------------------------------------


def _positional_shape(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]
                      ) -> TensorSpec:
    spec = only_input(inputs)
    steps, _ = _sequence(spec, "input")
    if steps > params["max_length"]:
        raise ShapeError(f"the sequence has {steps} steps but the encoding table holds "
                         f"max_length = {params['max_length']}: raise max_length",
                         "max_length")
    # An odd d_model is fine: the last feature gets a sine with no cosine partner.
    return spec


def _build_positional(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    from netbuilder.blocks.modules import PositionalEncoding

    return PositionalEncoding(params["max_length"], only_input(inputs).shape[-1],
                              params["dropout"])


POSITIONAL_ENCODING = BlockSpec(
    type="positional_encoding",
    title="Positional Encoding",
    category="Attention",
    doc=(
        "Adds the fixed sinusoidal position signal of \"Attention Is All You Need\" to each "
        "step, so that attention, which ignores order, can tell the steps apart: feature 2i "
        "gets sin(pos / 10000^(2i / d_model)), feature 2i + 1 the cosine. Nothing is "
        "learned; the table is rebuilt, not saved.\n\n"
        "Input shape: (steps, d_model) with steps ≤ max_length, e.g. an Embedding's output.\n"
        "Output shape: the same."
    ),
    params=(
        ParamSpec("max_length", "int", 512, "The longest sequence the encoding table "
                  "covers.", minimum=1, maximum=100_000),
        ParamSpec("dropout", "float", 0.0, "Dropout after adding the encoding while "
                  "training (0.1 in the original Transformer).", minimum=0.0, maximum=0.99),
    ),
    infer=_positional_shape,
    build=_build_positional,
    count_macs=lambda p, i, o: only_input(i).size,  # one addition per value, as Add counts
    summary_params=("max_length",),
    examples=(
        Example({"x": (10, 32)}),
        Example({"x": (7, 5)}, {"max_length": 7, "dropout": 0.1}, "odd d_model, full table"),
    ),
)

SPECS = (MULTI_HEAD_ATTENTION, TRANSFORMER_ENCODER_LAYER, POSITIONAL_ENCODING)
