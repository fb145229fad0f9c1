"""TorchScript and ONNX exports: outputs equal the compiled module's, weights, failures.

Every example network is exported to both formats and run on example inputs of the export's
batch size and of another one: TorchScript must match the compiled module (in eval mode, with
the same weights) within 1e-5, ONNX run by onnxruntime within 1e-4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import netbuilder
from netbuilder.blocks import modules
from netbuilder.compile import compile_network, weights_dict
from netbuilder.compile.example_inputs import example_inputs
from netbuilder.compile.exchange import ExportError
from netbuilder.compile.onnx_export import export_onnx
from netbuilder.compile.torchscript_export import export_torchscript
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import GraphError, GraphFileError, NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.resources import example_path, list_examples

# Torch 2.13 marks torch.jit deprecated; loading an export is what a user of the file does.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")

TORCHSCRIPT_TOLERANCE = 1e-5
ONNX_TOLERANCE = 1e-4
#: The exporters trace with batch 2; the other sizes check that the batch stays free.
BATCHES = (2, 1, 5)


def _networks() -> list[tuple[str, str]]:
    pairs = []
    for name in list_examples():
        doc = netbuilder.load(example_path(name))
        pairs += [(name, network) for network in doc.networks]
    return pairs


NETWORKS = _networks()


def _doc(name: str) -> Document:
    return netbuilder.load(example_path(name))


def _reference(doc: Document, network: str, weights: Path | None = None,
               seed: int = 0) -> torch.nn.Module:
    """The compiled model in eval mode, initialised as an export with the same seed is."""
    torch.manual_seed(seed)
    return netbuilder.build(doc, network, weights=weights).eval()


def _input_names(doc: Document, network: str) -> tuple[str, ...]:
    """The Input blocks the compiled model takes, in the order its forward takes them."""
    return compile_network(doc, network).parts.inputs


def _as_tuple(value: Any) -> tuple[torch.Tensor, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _max_difference(got: tuple[Any, ...], expected: tuple[torch.Tensor, ...]) -> float:
    assert len(got) == len(expected)
    worst = 0.0
    for mine, theirs in zip(got, expected, strict=True):
        mine = torch.as_tensor(mine)
        assert mine.shape == theirs.shape and mine.dtype == theirs.dtype
        assert torch.isfinite(mine).all() and torch.isfinite(theirs).all()
        worst = max(worst, float((mine - theirs).abs().max()))
    return worst


def _run_torchscript(path: Path, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    loaded = torch.jit.load(str(path))
    with torch.no_grad():
        return _as_tuple(loaded(*inputs))


def _onnx_session(path: Path) -> Any:
    onnxruntime = pytest.importorskip("onnxruntime")
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _run_onnx(session: Any, names: tuple[str, ...], inputs: tuple[torch.Tensor, ...]
              ) -> tuple[torch.Tensor, ...]:
    feeds = {name: tensor.numpy() for name, tensor in zip(names, inputs, strict=True)}
    return tuple(torch.from_numpy(array) for array in session.run(None, feeds))


def _expected(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]
              ) -> tuple[torch.Tensor, ...]:
    with torch.no_grad():
        return _as_tuple(model(*inputs))


@pytest.fixture
def onnx_ready() -> None:
    """Skips where the onnx extra (and the exporter's onnxscript) is not installed."""
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")


# ---------------------------------------------------------------------------------------------
# example_inputs


@pytest.mark.parametrize(("name", "network"), NETWORKS)
def test_example_inputs_fit_the_compiled_module(name: str, network: str) -> None:
    doc = _doc(name)
    model = netbuilder.build(doc, network).eval()
    inputs = example_inputs(doc, network, batch=3, seed=4)
    assert len(inputs) == len(_input_names(doc, network))
    for tensor, input_name in zip(inputs, _input_names(doc, network), strict=True):
        node = doc.network(network).node_by_name(input_name)
        assert node is not None
        assert tensor.shape == (3, *node.params["shape"])
        assert tensor.dtype == {"float32": torch.float32, "int64": torch.int64}[
            node.params["dtype"]]
    model(*inputs)  # runs: token ids are inside the vocabulary
    again = example_inputs(doc, network, batch=3, seed=4)
    other = example_inputs(doc, network, batch=3, seed=5)
    assert all(torch.equal(a, b) for a, b in zip(inputs, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(inputs, other, strict=True))


def test_token_ids_stay_inside_the_smallest_vocabulary_they_reach() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    tokens = net.add("input", shape=[64], dtype="int64", name="tokens")
    small = net.add("embedding", tokens, vocab_size=5, dim=4)
    large = net.add("embedding", tokens, vocab_size=500, dim=4)
    net.add("output", net.add("add", small, large))
    ids = example_inputs(doc, batch=8)[0]
    assert ids.dtype == torch.int64
    assert int(ids.min()) >= 0 and int(ids.max()) == 4  # 512 draws cover all of 0..4
    netbuilder.build(doc)(ids)


def test_int_inputs_without_an_embedding_and_targets() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    image = net.add("input", shape=[6], name="image")
    net.add("input", shape=[], dtype="int64", name="label")  # read by no Output
    net.add("output", net.add("dense", image, units=2))
    (inputs,) = example_inputs(doc, batch=4)
    assert inputs.shape == (4, 6) and inputs.dtype == torch.float32


def test_example_inputs_refuse_bad_requests() -> None:
    with pytest.raises(GraphError, match="batch size"):
        example_inputs(_doc("mnist_cnn"), batch=0)
    with pytest.raises(GraphError):
        example_inputs(_doc("gan_mnist"), "nope")


# ---------------------------------------------------------------------------------------------
# TorchScript


@pytest.mark.parametrize(("name", "network"), NETWORKS)
def test_torchscript_equals_the_compiled_module(name: str, network: str, tmp_path: Path
                                               ) -> None:
    doc = _doc(name)
    target = tmp_path / "model.pt"
    torch.manual_seed(0)
    export_torchscript(doc, target, network)
    model = _reference(doc, network)
    for batch in BATCHES:
        inputs = example_inputs(doc, network, batch=batch, seed=batch)
        difference = _max_difference(_run_torchscript(target, inputs), _expected(model, inputs))
        assert difference <= TORCHSCRIPT_TOLERANCE, (batch, difference)
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


# ---------------------------------------------------------------------------------------------
# ONNX


@pytest.mark.parametrize(("name", "network"), NETWORKS)
def test_onnx_equals_the_compiled_module(name: str, network: str, tmp_path: Path,
                                         onnx_ready: None) -> None:
    doc = _doc(name)
    target = tmp_path / "model.onnx"
    torch.manual_seed(0)
    export_onnx(doc, target, network)
    model = _reference(doc, network)
    session = _onnx_session(target)
    parts = compile_network(doc, network).parts
    assert tuple(i.name for i in session.get_inputs()) == parts.inputs
    assert tuple(o.name for o in session.get_outputs()) == parts.outputs
    assert all(i.shape[0] == "batch" for i in session.get_inputs())
    for batch in BATCHES:
        inputs = example_inputs(doc, network, batch=batch, seed=batch)
        got = _run_onnx(session, parts.inputs, inputs)
        difference = _max_difference(got, _expected(model, inputs))
        assert difference <= ONNX_TOLERANCE, (batch, difference)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_onnx_opset_is_honoured(tmp_path: Path, onnx_ready: None) -> None:
    import onnx

    target = tmp_path / "model.onnx"
    export_onnx(_doc("regression_mlp"), target, opset=20)
    model = onnx.load(str(target))
    assert {(o.domain, o.version) for o in model.opset_import} >= {("", 20)}
    with pytest.raises(ExportError, match="opset"):
        export_onnx(_doc("regression_mlp"), tmp_path / "bad.onnx", opset=0)
    assert not (tmp_path / "bad.onnx").exists()


def test_onnx_without_its_packages_says_how_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import netbuilder.compile.onnx_export as onnx_export

    monkeypatch.setattr(onnx_export, "REQUIRED", ("netbuilder_no_such_package",))
    with pytest.raises(ExportError, match=r"netbuilder_no_such_package.*netbuilder\[onnx\]"):
        export_onnx(_doc("regression_mlp"), tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Weights files


def _perturbed_weights(doc: Document, network: str, path: Path) -> torch.nn.Module:
    """Saves a netbuilder weights file of perturbed weights; returns the matching model."""
    model = _reference(doc, network, seed=1)
    generator = torch.Generator().manual_seed(7)
    trained = {name for name, _ in model.named_parameters()}

    def perturb(value: torch.Tensor) -> torch.Tensor:
        # Relative noise keeps each layer's scale (saturated outputs would hide differences);
        # the small absolute part moves zero-initialised biases too.
        noise = torch.randn(value.shape, generator=generator)
        return value * (1 + 0.5 * noise) + 0.01 * torch.randn(value.shape, generator=generator)

    # Parameters move; buffers (a batch norm's running variance) must stay valid.
    state = {key: perturb(value) if key in trained else value
             for key, value in model.state_dict().items()}
    model.load_state_dict(state)
    torch.save(weights_dict({network: model}), path)
    return model


@pytest.mark.parametrize(("name", "network"), [("gan_mnist", "generator"),
                                               ("transformer_classifier", "model")])
@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_exports_carry_the_weights_of_a_weights_file(name: str, network: str, fmt: str,
                                                     tmp_path: Path) -> None:
    if fmt == "onnx":
        for package in ("onnx", "onnxruntime", "onnxscript"):
            pytest.importorskip(package)
    doc = _doc(name)
    weights = tmp_path / "weights.pt"
    perturbed = _perturbed_weights(doc, network, weights)
    fresh = _reference(doc, network, seed=0)
    target = tmp_path / f"model.{fmt}"
    torch.manual_seed(0)  # the same fresh initialisation as ``fresh``, before the weights load
    inputs = example_inputs(doc, network, batch=3, seed=3)
    if fmt == "torchscript":
        export_torchscript(doc, target, network, weights=weights)
        got = _run_torchscript(target, inputs)
        tolerance = TORCHSCRIPT_TOLERANCE
    else:
        export_onnx(doc, target, network, weights=weights)
        got = _run_onnx(_onnx_session(target), _input_names(doc, network), inputs)
        tolerance = ONNX_TOLERANCE
    assert _max_difference(got, _expected(perturbed, inputs)) <= tolerance
    # The file's weights, not the fresh ones: the outputs moved well past the tolerance.
    assert _max_difference(got, _expected(fresh, inputs)) > 100 * tolerance


@pytest.mark.parametrize("exporter", [export_torchscript, export_onnx])
def test_weights_that_do_not_fit_are_refused(exporter: Any, tmp_path: Path) -> None:
    if exporter is export_onnx:
        pytest.importorskip("onnxscript")
    weights = tmp_path / "weights.pt"
    doc = _doc("regression_mlp")
    torch.save(weights_dict({"model": netbuilder.build(_doc("mnist_cnn"))}), weights)
    with pytest.raises(GraphFileError, match="do not fit"):
        exporter(doc, tmp_path / "model.out", weights=weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.pt"]


# ---------------------------------------------------------------------------------------------
# Failures leave nothing behind


def _raise(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("exporter exploded\nsecond line")


@pytest.mark.parametrize(("exporter", "patched"), [
    (export_torchscript, "torch.jit.trace"),
    (export_torchscript, "torch.jit.save"),
    (export_onnx, "torch.export.export"),
    (export_onnx, "torch.onnx.export"),
])
def test_a_failing_export_leaves_no_file(exporter: Any, patched: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    if exporter is export_onnx:
        pytest.importorskip("onnxscript")
    monkeypatch.setattr(patched, _raise)
    target = tmp_path / "model.out"
    with pytest.raises(ExportError, match=r"export failed: exporter exploded$"):
        exporter(_doc("regression_mlp"), target)
    assert list(tmp_path.iterdir()) == []
    # An existing file survives a failed export unchanged.
    target.write_bytes(b"previous export")
    with pytest.raises(ExportError):
        exporter(_doc("regression_mlp"), target)
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("exporter", [export_torchscript, export_onnx])
def test_a_block_that_fails_is_named(exporter: Any, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if exporter is export_onnx:
        pytest.importorskip("onnxscript")
    doc = _doc("regression_mlp")
    model = netbuilder.build(doc)
    first_dense = next(name for name, module in model.named_modules()
                       if isinstance(module, modules.Dense))

    def broken(self: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        raise ValueError("cannot run")

    monkeypatch.setattr(modules.Dense, "forward", broken)
    with pytest.raises(ExportError, match=f"at block '{first_dense}': cannot run") as caught:
        exporter(doc, tmp_path / "model.out")
    assert caught.value.block == first_dense
    assert isinstance(caught.value, NetbuilderError)
    assert list(tmp_path.iterdir()) == []


def test_an_operator_onnx_cannot_translate_is_traced_to_its_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, onnx_ready: None) -> None:
    doc = _doc("regression_mlp")
    model = netbuilder.build(doc)
    first_dense = next(name for name, module in model.named_modules()
                       if isinstance(module, modules.Dense))
    plain_forward = modules.Dense.forward

    def with_cummax(self: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        # torch.export captures aten.cummax, which the ONNX translator has no function for.
        return torch.cummax(plain_forward(self, x), dim=1)[0]

    monkeypatch.setattr(modules.Dense, "forward", with_cummax)
    try:
        export_onnx(doc, tmp_path / "model.onnx")
    except ExportError as error:
        caught = error
    else:
        pytest.skip("this ONNX exporter translates aten.cummax; pick another operator")
    assert caught.block == first_dense
    message = str(caught)
    assert f"at block '{first_dense}'" in message and "aten.cummax" in message
    assert "\x1b" not in message and len(message.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exporter", [export_torchscript, export_onnx])
def test_an_unwritable_target_is_an_export_error(exporter: Any, tmp_path: Path) -> None:
    if exporter is export_onnx:
        pytest.importorskip("onnxscript")
    with pytest.raises(ExportError, match="cannot be written"):
        exporter(_doc("perceptron"), tmp_path / "missing" / "model.out")
    assert list(tmp_path.iterdir()) == []


def test_a_graph_with_errors_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    net.add("dense", net.add("input", shape=[4], name="x"))  # no Output block
    with pytest.raises(GraphError):
        export_torchscript(doc, tmp_path / "model.pt")
    assert list(tmp_path.iterdir()) == []
