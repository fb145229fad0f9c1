"""The recurrent and attention blocks: tutorial figures, final states, masks and error messages.

test_conformance.py already checks every worked example's shapes and parameter counts against
torch; this file checks what the examples cannot: the numbers the tutorials quote, which step a
bidirectional layer returns, attention weights, and the errors a user sees.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import pytest
import torch

from netbuilder.blocks import CATALOGUE
from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.tensor import TensorSpec

RECURRENT = ("simple_rnn", "lstm", "gru")


def _params(spec: BlockSpec, **overrides: Any) -> dict[str, Any]:
    return {**spec.default_params(), **overrides}


def _specs(**shapes: tuple[int, ...]) -> dict[str, TensorSpec]:
    return {port: TensorSpec(shape) for port, shape in shapes.items()}


def _trainable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _check(type_id: str, inputs: Mapping[str, TensorSpec], **overrides: Any
           ) -> tuple[dict[str, TensorSpec], int, torch.nn.Module]:
    """Infers, counts and builds one block; asserts the count matches torch's."""
    spec = CATALOGUE[type_id]
    params = _params(spec, **overrides)
    outputs = spec.infer_outputs(params, inputs)
    count = spec.count_params(params, inputs, outputs)
    torch.manual_seed(0)
    module = spec.build(params, inputs)
    assert count == _trainable(module)
    return outputs, count, module


# --- recurrent -----------------------------------------------------------------------------


def test_char_rnn_tutorial_figures() -> None:
    spec = CATALOGUE["simple_rnn"]
    outputs, count, _ = _check("simple_rnn", _specs(x=(10, 8)), units=50,
                               return_sequences=True)
    assert outputs == {"y": TensorSpec((10, 50))}
    assert count == 3_000
    params = _params(spec, units=50, return_sequences=True)
    assert spec.count_macs(params, _specs(x=(10, 8)), outputs) == 10 * (8 * 50 + 50 * 50)

    outputs, count, _ = _check("simple_rnn", _specs(x=(10, 50)), units=50)
    assert outputs == {"y": TensorSpec((50,))}
    assert count == 5_100


@pytest.mark.parametrize("type_id", RECURRENT)
@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (1, True), (3, False),
                                                        (2, True)])
def test_recurrent_counts_follow_pytorch(type_id: str, layers: int, bidirectional: bool) -> None:
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[type_id]
    directions = 2 if bidirectional else 1
    _, count, _ = _check(type_id, _specs(x=(4, 7)), units=5, layers=layers,
                         bidirectional=bidirectional)
    # Two bias vectors per gate set (Keras has one): by hand for the first layer.
    first = gates * 5 * (7 + 5 + 2) * directions
    above = gates * 5 * (5 * directions + 5 + 2) * directions * (layers - 1)
    assert count == first + above


@pytest.mark.parametrize("type_id", RECURRENT)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_step_is_the_final_hidden_state(type_id: str, bidirectional: bool) -> None:
    outputs, _, module = _check(type_id, _specs(x=(6, 3)), units=4, layers=2,
                                bidirectional=bidirectional)
    assert outputs["y"].shape == (8 if bidirectional else 4,)
    module.eval()
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        result = module(x)
        _, state = module.rnn(x)
    hidden = state[0] if type_id == "lstm" else state  # an LSTM also returns its cell state
    # h_n holds (layers × directions) final states; the top layer's come last.
    expected = torch.cat((hidden[-2], hidden[-1]), dim=1) if bidirectional else hidden[-1]
    torch.testing.assert_close(result, expected)


def test_return_sequences_returns_every_step() -> None:
    outputs, _, module = _check("gru", _specs(x=(5, 3)), units=4, bidirectional=True,
                                return_sequences=True)
    assert outputs == {"y": TensorSpec((5, 8))}
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(module(x), module.rnn(x)[0])


def test_recurrent_options_reach_torch() -> None:
    _, _, rnn = _check("simple_rnn", _specs(x=(5, 3)), activation="relu", layers=2,
                       dropout=0.3)
    assert rnn.rnn.nonlinearity == "relu"
    assert rnn.rnn.dropout == 0.3
    assert rnn.rnn.batch_first
    _, _, lstm = _check("lstm", _specs(x=(5, 3)), bidirectional=True)
    assert {"rnn.weight_ih_l0", "rnn.weight_hh_l0_reverse"} <= set(lstm.state_dict())


def test_dropout_with_one_layer_builds_without_torch_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when given dropout with one layer
        _, _, module = _check("lstm", _specs(x=(5, 3)), layers=1, dropout=0.5)
    assert module.rnn.dropout == 0.0


@pytest.mark.parametrize("type_id", RECURRENT)
def test_recurrent_rejects_a_flat_vector(type_id: str) -> None:
    spec = CATALOGUE[type_id]
    with pytest.raises(ShapeError, match=r"expects a sequence \(steps, features\) per sample, "
                                         r"got \(8,\): put a Reshape") as error:
        spec.infer_outputs(spec.default_params(), _specs(x=(8,)))
    assert error.value.param is None


def test_recurrent_rejects_token_ids() -> None:
    spec = CATALOGUE["lstm"]
    with pytest.raises(ShapeError, match="Embedding"):
        spec.infer_outputs(spec.default_params(), {"x": TensorSpec((10,), "int64")})


def test_recurrent_aliases() -> None:
    assert CATALOGUE["SimpleRNN"] is CATALOGUE["simple_rnn"]
    assert CATALOGUE["LSTM"] is CATALOGUE["lstm"]
    assert CATALOGUE["GRU"] is CATALOGUE["gru"]


# --- multi-head attention ------------------------------------------------------------------


def test_attention_ports_follow_the_mode() -> None:
    spec = CATALOGUE["multi_head_attention"]
    assert [p.name for p in spec.input_ports(_params(spec))] == ["x"]
    assert [p.name for p in spec.input_ports(_params(spec, mode="cross"))] == ["query",
                                                                               "context"]
    assert [p.name for p in spec.output_ports(_params(spec))] == ["y", "weights"]


def test_self_attention_shapes_and_counts() -> None:
    outputs, count, _ = _check("multi_head_attention", _specs(x=(10, 32)), heads=4)
    assert outputs == {"y": TensorSpec((10, 32)), "weights": TensorSpec((4, 10, 10))}
    assert count == 4 * 32 * 32 + 4 * 32  # q, k, v and output projections with biases
    spec = CATALOGUE["multi_head_attention"]
    macs = spec.count_macs(_params(spec, heads=4), _specs(x=(10, 32)), outputs)
    assert macs == 4 * 10 * 32 * 32 + 2 * 10 * 10 * 32


@pytest.mark.parametrize("bias", [True, False])
def test_cross_attention_takes_a_context_of_another_width(bias: bool) -> None:
    outputs, count, _ = _check("multi_head_attention", _specs(query=(7, 16), context=(12, 24)),
                               mode="cross", heads=2, bias=bias)
    assert outputs == {"y": TensorSpec((7, 16)), "weights": TensorSpec((2, 7, 12))}
    assert count == 2 * 16 * 16 + 2 * 16 * 24 + (4 * 16 if bias else 0)


@pytest.mark.parametrize(("overrides", "shapes"), [
    ({}, {"x": (6, 8)}),
    ({"causal": True}, {"x": (6, 8)}),
    ({"mode": "cross"}, {"query": (5, 8), "context": (9, 3)}),
])
def test_attention_weights_rows_sum_to_one(overrides: dict[str, Any],
                                           shapes: dict[str, tuple[int, ...]]) -> None:
    outputs, _, module = _check("multi_head_attention", _specs(**shapes), heads=2,
                                dropout=0.2, **overrides)
    module.eval()  # dropout rescales the weights only while training
    tensors = [torch.randn(3, *shape) for shape in shapes.values()]
    with torch.no_grad():
        y, weights = module(*tensors)
    assert tuple(y.shape) == (3, *outputs["y"].shape)
    assert tuple(weights.shape) == (3, *outputs["weights"].shape)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(weights.shape[:-1]))
    assert (weights >= 0).all()


def test_causal_attention_never_looks_ahead() -> None:
    _, _, module = _check("multi_head_attention", _specs(x=(6, 8)), heads=2, causal=True)
    module.eval()
    x = torch.randn(1, 6, 8)
    changed = x.clone()
    changed[:, 3:] = torch.randn(1, 3, 8)
    with torch.no_grad():
        y, weights = module(x)
        y_changed, _ = module(changed)
    assert (weights.triu(1) == 0).all()
    torch.testing.assert_close(y[:, :3], y_changed[:, :3])
    assert not torch.allclose(y[:, 3:], y_changed[:, 3:])


def test_heads_must_divide_the_features() -> None:
    spec = CATALOGUE["multi_head_attention"]
    with pytest.raises(ShapeError, match=r"3 heads cannot split 10 features evenly: the "
                                         r"feature size must be a multiple of heads "
                                         r"\(try heads = 1, 2, 5, 10\)") as error:
        spec.infer_outputs(_params(spec, heads=3), _specs(x=(4, 10)))
    assert error.value.param == "heads"


def test_cross_attention_heads_follow_the_query_not_the_context() -> None:
    spec = CATALOGUE["multi_head_attention"]
    params = _params(spec, mode="cross", heads=4)
    spec.infer_outputs(params, _specs(query=(3, 8), context=(5, 6)))  # 6 is no multiple: fine
    with pytest.raises(ShapeError) as error:
        spec.infer_outputs(params, _specs(query=(3, 6), context=(5, 8)))
    assert error.value.param == "heads"


def test_causal_cross_attention_is_refused() -> None:
    spec = CATALOGUE["multi_head_attention"]
    with pytest.raises(ShapeError, match="causal mask applies to self-attention only") as error:
        spec.infer_outputs(_params(spec, mode="cross", causal=True),
                           _specs(query=(3, 8), context=(3, 8)))
    assert error.value.param == "causal"


def test_attention_names_the_port_with_a_bad_rank() -> None:
    spec = CATALOGUE["multi_head_attention"]
    with pytest.raises(ShapeError, match=r"expects context as a sequence \(steps, features\) "
                                         r"per sample, got \(8,\)") as error:
        spec.infer_outputs(_params(spec, mode="cross"), _specs(query=(3, 8), context=(8,)))
    assert error.value.param is None


# --- Transformer encoder layer and positional encoding ------------------------------------


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_counts(norm_first: bool) -> None:
    outputs, count, module = _check("transformer_encoder_layer", _specs(x=(10, 32)), heads=4,
                                    ff_dim=64, norm_first=norm_first, activation="gelu")
    assert outputs == {"y": TensorSpec((10, 32))}
    attention, feed_forward, norms = 4 * 32 * 32 + 4 * 32, 2 * 32 * 64 + 64 + 32, 4 * 32
    assert count == attention + feed_forward + norms
    assert module.norm_first is norm_first
    assert module.self_attn.batch_first


def test_encoder_layer_heads_error() -> None:
    spec = CATALOGUE["transformer_encoder_layer"]
    with pytest.raises(ShapeError, match="5 heads cannot split 32 features evenly") as error:
        spec.infer_outputs(_params(spec, heads=5), _specs(x=(10, 32)))
    assert error.value.param == "heads"


def test_positional_encoding_rejects_long_sequences() -> None:
    spec = CATALOGUE["positional_encoding"]
    assert spec.infer_outputs(_params(spec, max_length=16), _specs(x=(16, 8)))["y"].shape \
        == (16, 8)
    with pytest.raises(ShapeError, match=r"the sequence has 17 steps but the encoding table "
                                         r"holds max_length = 16: raise max_length") as error:
        spec.infer_outputs(_params(spec, max_length=16), _specs(x=(17, 8)))
    assert error.value.param == "max_length"


@pytest.mark.parametrize("d_model", [1, 5, 8])
def test_positional_encoding_adds_sines_and_cosines(d_model: int) -> None:
    outputs, count, module = _check("positional_encoding", _specs(x=(7, d_model)),
                                    max_length=7)
    assert outputs == {"y": TensorSpec((7, d_model))}
    assert count == 0
    module.eval()
    x = torch.randn(2, 7, d_model)
    with torch.no_grad():
        added = module(x) - x
    position = torch.arange(7, dtype=torch.float32)
    torch.testing.assert_close(added[0, :, 0], torch.sin(position))  # feature 0: rate 1
    if d_model > 1:
        torch.testing.assert_close(added[1, :, 1], torch.cos(position))
    assert module.state_dict() == {}  # the table is rebuilt, never saved


def test_blocks_import_without_torch() -> None:
    code = ("import sys, netbuilder.blocks.recurrent, netbuilder.blocks.attention; "
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
