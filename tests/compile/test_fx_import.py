"""Importing nn.Modules with torch.fx: round trips, placeholders, refusals and files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

import netbuilder
from netbuilder.blocks import CATALOGUE
from netbuilder.compile.builder import compile_network
from netbuilder.compile.fx_import import (
    ModuleImportError,
    TargetError,
    import_module,
    import_target,
    load_target,
    write_import,
)
from netbuilder.core.errors import GraphError, GraphFileError, NetbuilderError, ShapeError
from netbuilder.core.inference import analyse
from netbuilder.core.tensor import TensorSpec

# --- networks written for the tests -------------------------------------------------------


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding="same", bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + x)


class TinyResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.stem_bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU()
        self.layer1 = nn.Sequential(Residual(8), Residual(8))
        self.down = nn.Conv2d(8, 16, 1, stride=2)
        self.layer2 = Residual(16)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(16 * 2 * 2, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.stem_bn(self.stem(x)))
        x = self.layer1(x)
        x = self.pool(self.layer2(self.down(x)))
        x = x.view(x.size(0), -1)
        return self.head(x)


class LSTMClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 12)
        self.lstm = nn.LSTM(12, 16, num_layers=2, batch_first=True)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(16, 4)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        steps, _ = self.lstm(self.embed(tokens))
        return self.out(self.drop(steps[:, -1]))


class BiLSTMRegressor(nn.Module):
    """Float input; a bidirectional LSTM's last step has no block: a PyTorch op placeholder."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(5, 6, batch_first=True, bidirectional=True)
        self.out = nn.Linear(12, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, _ = self.lstm(x)
        return torch.sigmoid(self.out(steps[:, -1]))


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)
        self.out = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y, _ = self.attn(x, x, x)
        y = self.norm(x + y)
        return self.out(y.mean(dim=1))


class Placeholders(nn.Module):
    """Operations with no block: permute with the batch moved, matmul, chunk, scaling."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scores = torch.matmul(x, x.transpose(1, 2)) * 0.5
        a, b = self.proj(x).chunk(2, dim=-1)
        return F.softmax(scores, dim=-1), a - b


class Zoo(nn.Module):
    """Two inputs and assorted layers: transposed and 1-D convs, padded pooling, a GRU, cat."""

    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)
        self.squeeze = nn.AdaptiveAvgPool2d(2)
        self.flat = nn.Flatten()
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(28)
        self.conv = nn.Conv1d(5, 6, 3, padding=1)
        self.gru = nn.GRU(6, 7, batch_first=True)
        self.rnn = nn.RNN(7, 4, batch_first=True, nonlinearity="relu")
        self.head = nn.Linear(28 + 7 + 4, 2)

    def forward(self, image: torch.Tensor, series: torch.Tensor) -> torch.Tensor:
        a = self.pool(self.up(image))
        b = self.norm(self.act(self.flat(self.squeeze(torch.cat([a, image], dim=1)))))
        steps, _ = self.gru(self.conv(series).permute(0, 2, 1))
        last, _ = self.rnn(steps)
        return self.head(torch.cat((b, steps[:, -1], last[:, -1]), 1))


class CumSum(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=1)


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x)
        return x


class WithPReLU(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.act = nn.PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc(x))


# --- helpers ------------------------------------------------------------------------------


def _randomise_norms(module: nn.Module) -> None:
    """Batch-norm statistics away from 0 and 1, so that copying them is really tested."""
    generator = torch.Generator().manual_seed(1)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.running_mean.copy_(torch.randn(layer.num_features, generator=generator))
            layer.running_var.copy_(torch.rand(layer.num_features, generator=generator) + 0.5)
            with torch.no_grad():
                layer.weight.copy_(torch.randn(layer.num_features, generator=generator))
                layer.bias.copy_(torch.randn(layer.num_features, generator=generator))


def _round_trip(module: nn.Module, inputs: list, example: tuple[torch.Tensor, ...]
                ) -> tuple[nn.Module, object]:
    torch.manual_seed(0)
    result = import_module(module, inputs, name="net")
    assert analyse(result.doc, "net").errors == []
    compiled = compile_network(result.doc, "net").module
    compiled.load_state_dict(result.weights)  # strict
    module.eval()
    compiled.eval()
    with torch.no_grad():
        expected = module(*example)
        got = compiled(*example)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for want, have in zip(expected, got, strict=True):
            torch.testing.assert_close(have, want, rtol=1e-5, atol=1e-5)
    else:
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    return compiled, result


def _types(result: object) -> list[str]:
    return [node.type for node in result.doc.network("net").nodes.values()]


# --- round trips --------------------------------------------------------------------------


def test_resnet_with_skips_round_trips_with_its_weights() -> None:
    torch.manual_seed(0)
    module = TinyResNet()
    _randomise_norms(module)
    example = (torch.randn(5, 3, 16, 16),)
    _, result = _round_trip(module, [((3, 16, 16), "float32")], example)
    types = _types(result)
    assert types.count("conv2d") == 8 and types.count("batchnorm") == 7
    assert types.count("add") == 3 and "maxpool2d" in types and "flatten" in types
    assert types[0] == "input" and types[-1] == "output" and "torch_op" not in types
    assert result.warnings == []
    # Every weight of the module arrives: as many tensors as the module's state dict has.
    assert len(result.weights) == len(module.state_dict())
    graph = result.doc.network("net")
    conv = graph.node_by_name("layer1_0_conv2")
    assert conv.params["padding"] == "same" and conv.params["bias"] is False
    assert graph.node_by_name("stem").params["padding_size"] == [1, 1]
    # Laid out left to right: the head sits right of the stem.
    assert graph.node_by_name("head").position[0] > graph.node_by_name("stem").position[0]


def test_lstm_classifier_round_trips_and_keeps_the_last_step_as_a_block() -> None:
    torch.manual_seed(0)
    module = LSTMClassifier()
    tokens = torch.randint(0, 30, (4, 9))
    _, result = _round_trip(module, [tokens], (tokens,))
    assert _types(result) == ["input", "embedding", "lstm", "dropout", "dense", "output"]
    lstm = result.doc.network("net").node_by_name("lstm")
    assert lstm.params["return_sequences"] is False and lstm.params["layers"] == 2
    assert "lstm.rnn.weight_hh_l1" in result.weights
    assert result.warnings == []


def test_float_input_bidirectional_lstm_gets_a_placeholder_with_a_warning() -> None:
    torch.manual_seed(0)
    example = (torch.randn(3, 7, 5),)
    _, result = _round_trip(BiLSTMRegressor(), [TensorSpec((7, 5))], example)
    assert _types(result) == ["input", "lstm", "torch_op", "dense", "sigmoid", "output"]
    (warning,) = result.warnings
    assert "getitem" in warning and "PyTorch op" in warning


def test_self_attention_maps_to_the_attention_block() -> None:
    torch.manual_seed(0)
    example = (torch.randn(2, 5, 8),)
    _, result = _round_trip(Attention(), [((5, 8), "float32")], example)
    types = _types(result)
    assert "multi_head_attention" in types and "layernorm" in types and "add" in types
    assert "attn.attention.in_proj_weight" in result.weights
    # y.mean(dim=1) over the steps: the Global Average Pool block, not a PyTorch op.
    assert "global_avg_pool" in types and result.warnings == []


class MeanHead(nn.Module):
    """A conv net whose head averages the feature map with one of the ways torch writes it."""

    def __init__(self, how: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.head = nn.Linear(8, 2)
        self.how = how

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        means = (lambda: y.mean((2, 3)), lambda: y.mean(dim=(2, 3)),
                 lambda: torch.mean(y, dim=[-2, -1]), lambda: y.mean(dim=(-1, 2)))
        return self.head(means[self.how]())


@pytest.mark.parametrize("how", range(4))
def test_a_mean_over_the_feature_map_becomes_a_global_average_pool(how: int) -> None:
    example = (torch.randn(2, 3, 10, 10),)
    _, result = _round_trip(MeanHead(how), [((3, 10, 10), "float32")], example)
    assert _types(result) == ["input", "conv2d", "global_avg_pool", "dense", "output"]
    assert result.warnings == []
    pool = next(n for n in result.doc.network("net").nodes.values()
                if n.type == "global_avg_pool")
    assert pool.params == {"over": "spatial"}
    # Unlike a PyTorch op recorded at 10x10, the block follows the input's size.
    result.doc.network("net").node_by_name("x").params["shape"] = [3, 17, 13]
    analysis = analyse(result.doc, "net")
    assert analysis.ok and analysis.nodes[pool.id].macs == 8 * 15 * 11
    compiled = compile_network(result.doc, "net").module
    assert compiled(torch.randn(2, 3, 17, 13)).shape == (2, 2)


class Means(nn.Module):
    """Means that are not a global average pool stay PyTorch ops."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return x.mean(dim=-1), x.mean((2, 3), keepdim=True), x.mean(dim=1)


def test_other_means_stay_pytorch_ops() -> None:
    example = (torch.randn(2, 3, 4, 5),)
    _, result = _round_trip(Means(), [((3, 4, 5), "float32")], example)
    assert _types(result).count("torch_op") == 3 and len(result.warnings) == 3


class Encoder(nn.Module):
    """nn.TransformerEncoder with two layers and a final LayerNorm, then a mean over steps."""

    def __init__(self, norm: bool = True) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True,
                                           activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(16) if norm else None,
                                             enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x).mean(dim=1))


@pytest.mark.parametrize("norm", [True, False])
def test_a_transformer_encoder_becomes_its_layers(norm: bool) -> None:
    torch.manual_seed(0)
    example = (torch.randn(3, 7, 16),)
    _, result = _round_trip(Encoder(norm), [((7, 16), "float32")], example)
    graph = result.doc.network("net")
    names = [n.name for n in graph.nodes.values()]
    assert names == ["x", "encoder_layers_0", "encoder_layers_1",
                     *(["encoder_norm"] if norm else []), "mean", "head", "output"]
    assert graph.node_by_name("encoder_layers_1").params == {
        "heads": 4, "ff_dim": 32, "dropout": 0.0, "activation": "gelu", "norm_first": False}
    assert graph.node_by_name("mean").params == {"over": "sequence"}
    assert "encoder_layers_1.self_attn.in_proj_weight" in result.weights
    assert result.warnings == []


def test_two_inputs_and_assorted_layers_round_trip() -> None:
    torch.manual_seed(0)
    example = (torch.randn(3, 4, 10, 10), torch.randn(3, 5, 12))
    _, result = _round_trip(Zoo(), [((4, 10, 10), "float32"), ((5, 12), "float32")],
                            example)
    graph = result.doc.network("net")
    expected = {"up": "conv_transpose2d", "squeeze": "adaptive_avg_pool", "flat": "flatten",
                "act": "gelu", "norm": "layernorm", "conv": "conv1d", "gru": "gru",
                "rnn": "simple_rnn", "head": "dense", "permute": "permute",
                "cat": "concatenate", "cat_1": "concatenate", "pool": "torch_op"}
    assert {name: graph.node_by_name(name).type for name in expected} == expected
    assert graph.node_by_name("pool").params["function"] == "F.avg_pool2d"
    assert graph.node_by_name("rnn").params["activation"] == "relu"
    assert [n.name for n in graph.nodes.values() if n.type == "input"] == ["image", "series"]
    # The GRU's steps feed the RNN too, so its last step stays a PyTorch op; the RNN's own
    # last step folds into the block (return_sequences off).
    assert graph.node_by_name("gru").params["return_sequences"] is True
    assert graph.node_by_name("rnn").params["return_sequences"] is False
    assert len(result.warnings) == 2
    assert "'pool'" in result.warnings[0] and "operator.getitem" in result.warnings[1]


def test_operations_without_blocks_become_pytorch_op_placeholders() -> None:
    torch.manual_seed(0)
    example = (torch.randn(3, 4, 6),)
    _, result = _round_trip(Placeholders(), [((4, 6), "float32")], example)
    graph = result.doc.network("net")
    ops = {n.params["function"] for n in graph.nodes.values() if n.type == "torch_op"}
    assert {"torch.matmul", "operator.mul", "Tensor.chunk", "operator.sub"} <= ops
    assert graph.node_by_name("transpose").type == "permute"
    assert graph.node_by_name("softmax").type == "softmax"
    assert len(result.warnings) == len(ops)
    assert all(warning.startswith("node '") for warning in result.warnings)


# --- refusals -----------------------------------------------------------------------------


def test_a_function_off_the_allow_list_is_refused_naming_the_node() -> None:
    with pytest.raises(ModuleImportError, match=r"node 'cumsum' \(torch.cumsum\).*allow-list"):
        import_module(CumSum(), [((4,), "float32")])


def test_control_flow_fx_cannot_trace_is_a_clear_error() -> None:
    with pytest.raises(ModuleImportError, match="control flow"):
        import_module(Branchy(), [((4,), "float32")], source="nets:Branchy")


def test_a_leaf_module_with_weights_and_no_block_is_refused_by_name() -> None:
    with pytest.raises(ModuleImportError,
                       match=r"module 'act' \(torch.nn.modules.activation.PReLU\) holds weights"):
        import_module(WithPReLU(), [((4,), "float32")])


def test_wrong_input_count_and_bad_inputs_are_refused() -> None:
    with pytest.raises(ModuleImportError, match="takes 1 tensors"):
        import_module(CumSum(), [((4,), "float32"), ((4,), "float32")])
    with pytest.raises(ModuleImportError, match="dtype"):
        import_module(CumSum(), [((4,), "float16")])
    with pytest.raises(ModuleImportError, match="network name"):
        import_module(CumSum(), [((4,), "float32")], name="not a name")


# --- the PyTorch op block -----------------------------------------------------------------


def test_the_placeholder_refuses_shapes_it_was_not_recorded_for() -> None:
    spec = CATALOGUE["torch_op"]
    params = {**spec.default_params(), "function": "Tensor.permute",
              "args": '[{"input": 0}, 0, 2, 1]', "input_shapes": "4x6",
              "output_shapes": "6x4"}
    assert spec.infer_outputs(params, {"x1": TensorSpec((4, 6))}) == {"y": TensorSpec((6, 4))}
    with pytest.raises(ShapeError, match="recorded for inputs"):
        spec.infer_outputs(params, {"x1": TensorSpec((5, 6))})


@pytest.mark.parametrize("function", ["os.system", "builtins.eval", "torch.save",
                                      "torch.hub.load", "Tensor.__reduce_ex__"])
def test_a_hostile_file_cannot_name_a_function_off_the_allow_list(tmp_path: Path,
                                                                   function: str) -> None:
    result = import_module(BiLSTMRegressor(), [((7, 5), "float32")], name="net")
    path, _ = write_import(result, tmp_path / "ok.nbg")
    data = json.loads(path.read_text())
    (node,) = [n for n in data["networks"][0]["nodes"] if n["type"] == "torch_op"]
    node["params"]["function"] = function
    node["params"]["args"] = '["echo hacked"]'
    hostile = tmp_path / "hostile.nbg"
    hostile.write_text(json.dumps(data))
    doc = netbuilder.load(hostile)
    with pytest.raises(GraphError, match="function"):
        netbuilder.build(doc)
    spec = CATALOGUE["torch_op"]
    params = {**spec.default_params(), "function": function}
    with pytest.raises(ShapeError, match="allow-list"):
        spec.build(params, {"x1": TensorSpec((1,))})


def test_placeholder_arguments_must_be_plain_data() -> None:
    spec = CATALOGUE["torch_op"]
    base = {**spec.default_params(), "function": "Tensor.reshape", "input_shapes": "6",
            "output_shapes": "2x3"}
    for args in ('[{"input": 0}, {"call": "os.system"}]', '[{"input": 3}]', "not json"):
        with pytest.raises(ShapeError):
            spec.infer_outputs({**base, "args": args}, {"x1": TensorSpec((6,))})


# --- files and targets --------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "shape"), [(TinyResNet, (3, 16, 16)),
                                                (Placeholders, (4, 6))])
def test_the_saved_graph_loads_back_and_builds_with_its_weights(
        tmp_path: Path, factory: type[nn.Module], shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    module = factory()
    _randomise_norms(module)
    result = import_module(module, [(shape, "float32")], name="imported")
    path, weights = write_import(result, tmp_path / "imported.nbg")
    assert weights == tmp_path / "imported.pt"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imported.nbg", "imported.pt"]
    stored = torch.load(weights, weights_only=True)
    assert stored["format"] == "netbuilder-weights" and stored["version"] == 1
    rebuilt = netbuilder.build(netbuilder.load(path), "imported", weights=weights)
    rebuilt.eval()
    module.eval()
    x = torch.randn(2, *shape)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x), rtol=1e-5, atol=1e-5)


def test_load_target_builds_the_class_and_explains_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "user_nets_for_import.py").write_text(textwrap.dedent("""
        from torch import nn

        class Good(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 2)

            def forward(self, x):
                return self.fc(x).tanh()

        class NeedsArgs(nn.Module):
            def __init__(self, width):
                super().__init__()

        class NotAModule:
            pass
    """))
    module = load_target("user_nets_for_import:Good", tmp_path)
    assert isinstance(module, nn.Module)
    result = import_target("user_nets_for_import:Good", [TensorSpec((3,))],
                           search_path=tmp_path)
    assert [n.type for n in result.doc.network("model").nodes.values()] == [
        "input", "dense", "tanh", "output"]
    cases = {
        "no_colon": "is not MODULE:CLASS",
        "user_nets_for_import:NeedsArgs": r"needs arguments \(width\)",
        "user_nets_for_import:NotAModule": "is not an nn.Module class",
        "user_nets_for_import:Missing": "has no 'Missing'",
        "no_such_module_here:Net": "no module named 'no_such_module_here'",
    }
    for spec, message in cases.items():
        with pytest.raises(TargetError, match=message) as caught:
            load_target(spec, tmp_path)
        assert isinstance(caught.value, NetbuilderError)


def test_the_import_never_replaces_a_weights_file_nobody_named(tmp_path: Path) -> None:
    """OUT.pt beside the graph may be a TorchScript export: refused unless forced or named."""
    result = import_module(Placeholders(), [((4, 6), "float32")], name="imported")
    kept = tmp_path / "imported.pt"
    kept.write_bytes(b"a TorchScript file")
    with pytest.raises(GraphFileError, match="already exists"):
        write_import(result, tmp_path / "imported.nbg")
    assert kept.read_bytes() == b"a TorchScript file" and not (tmp_path / "imported.nbg").exists()
    write_import(result, tmp_path / "imported.nbg", kept)  # named: the user's to replace
    kept.write_bytes(b"again")
    write_import(result, tmp_path / "imported.nbg", force=True)
    assert kept.read_bytes() != b"again"


def test_the_command_line_refuses_before_running_the_module(tmp_path: Path, capsys) -> None:
    from netbuilder.cli import main

    (tmp_path / "out.pt").write_bytes(b"keep me")
    code = main(["import", "no_such_module_here:Net", "-o", str(tmp_path / "out.nbg"),
                 "--input", "4", "--path", str(tmp_path)])
    assert code == 2 and "already exists" in capsys.readouterr().err
    assert (tmp_path / "out.pt").read_bytes() == b"keep me"
