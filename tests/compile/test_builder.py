"""Compiling graphs to torch.fx modules: structure, names, multi-port graphs, weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder.compile import CompiledNetwork, CompiledParts, compile_network, weights_dict
from netbuilder.core.builder import GraphBuilder
from tests.helpers import classifier_with_loss, mlp_document

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "format_v1.nbg"


def test_build_gives_an_fx_module_named_after_the_blocks() -> None:
    model = netbuilder.build(mlp_document())
    assert isinstance(model, torch.fx.GraphModule)
    assert [name for name, _ in model.named_children()] == ["flatten1", "dense1", "dense2"]
    assert "def forward(self, image)" in model.code
    assert model(torch.randn(5, 1, 4, 4)).shape == (5, 3)
    assert sum(p.numel() for p in model.parameters()) == 16 * 16 + 16 + 16 * 3 + 3


def test_losses_and_their_targets_are_left_out_of_the_model() -> None:
    model = netbuilder.build(classifier_with_loss())
    assert "label" not in model.code
    compiled = compile_network(classifier_with_loss())
    assert compiled.parts == CompiledParts(inputs=("image",), outputs=("output1",))
    assert "label" not in compiled.module.code


def test_the_public_model_is_a_plain_graph_module_and_the_parts_travel_beside_it() -> None:
    """Nothing is set onto the module: its type says all it has (and mypy can check it)."""
    model = netbuilder.build(classifier_with_loss())
    assert type(model).__mro__[1] is torch.fx.GraphModule
    assert not hasattr(model, "parts")
    compiled = compile_network(classifier_with_loss(), with_losses=True)
    assert isinstance(compiled, CompiledNetwork)
    assert isinstance(compiled.module, torch.fx.GraphModule)
    assert not hasattr(compiled.module, "parts")


def test_with_losses_takes_targets_and_returns_named_losses() -> None:
    compiled = compile_network(classifier_with_loss(), with_losses=True)
    assert compiled.parts.inputs == ("image", "label")
    assert compiled.parts.targets == ("label",)
    assert compiled.parts.losses == ("cross_entropy_loss1",)
    module = compiled.module
    outputs, losses = module(torch.randn(4, 1, 4, 4), torch.tensor([0, 1, 2, 0]))
    assert outputs[0].shape == (4, 3)
    assert set(losses) == {"cross_entropy_loss1"}
    losses["cross_entropy_loss1"].backward()
    assert module.dense1.weight.grad is not None


def test_group_instances_compile_to_nested_submodules() -> None:
    doc = netbuilder.load(GOLDEN)
    model = netbuilder.build(doc)
    keys = set(model.state_dict())
    assert {"res1.inner.weight", "res2.inner.weight", "classifier.weight"} <= keys
    # Two uses of one definition hold separate weights.
    assert model.res1.inner.weight.data_ptr() != model.res2.inner.weight.data_ptr()
    x = torch.randn(2, 8)
    with torch.no_grad():
        hidden = x + model.res1.inner(x)
        hidden = hidden + model.res2.inner(hidden)
        expected = model.classifier(hidden)
    torch.testing.assert_close(model(x), expected)


def test_skip_connections_multi_output_and_several_outputs() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[6, 8], name="tokens")
    attention = net.add("multi_head_attention", x, heads=2, name="attention")
    residual = net.add("add", (attention, "y"), x, name="residual")
    net.add("output", residual, name="encoded")
    net.add("output", (attention, "weights"), name="attention_map")
    model = netbuilder.build(doc)
    encoded, weights = model(torch.randn(3, 6, 8))
    assert encoded.shape == (3, 6, 8)
    assert weights.shape == (3, 2, 6, 6)
    assert compile_network(doc).parts.outputs == ("encoded", "attention_map")


def test_several_networks_build_separately() -> None:
    doc = netbuilder.new_document()
    for name, width in (("generator", 4), ("discriminator", 2)):
        net = GraphBuilder(doc, name)
        net.add("output", net.add("dense", net.add("input", shape=[3]), units=width))
    assert netbuilder.build(doc, "generator")(torch.randn(1, 3)).shape == (1, 4)
    assert netbuilder.build(doc, "discriminator")(torch.randn(1, 3)).shape == (1, 2)
    assert type(netbuilder.build(doc, "generator")).__name__ == "Generator"
    with pytest.raises(netbuilder.GraphError, match="no network or group named 'critic'"):
        netbuilder.build(doc, "critic")


def test_cycle_is_reported_on_its_nodes_and_refused_by_build() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    a = net.add("input", shape=[4])
    b = net.add("add", a, name="merge")
    c = net.add("dense", b, units=4, name="loop")
    net.connect(c, b, "x2")
    net.add("output", c)
    with pytest.raises(netbuilder.GraphError, match="cycle: merge → loop → merge"):
        netbuilder.build(doc)


def test_shape_mismatch_blames_the_block_and_keeps_other_shapes() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    a = net.add("input", shape=[4], name="a")
    b = net.add("input", shape=[5], name="b")
    s = net.add("add", a, b, name="sum")
    d = net.add("dense", s, units=2)
    net.add("output", d)
    side = net.add("dense", b, units=7, name="side")
    net.add("output", side)
    from netbuilder.core.inference import analyse

    analysis = analyse(doc, "model")
    (error,) = analysis.errors
    assert error.node == s.id and "same shape" in error.message
    assert analysis.output_spec(side.id, "y").shape == (7,)
    assert analysis.output_spec(d.id, "y") is None
    with pytest.raises(netbuilder.GraphError, match="node sum: all inputs must have the same"):
        netbuilder.build(doc)


def test_weights_round_trip_through_a_weights_file(tmp_path: Path) -> None:
    doc = mlp_document()
    trained = netbuilder.build(doc)
    path = tmp_path / "w.pt"
    torch.save(weights_dict({"model": trained}), path)
    again = netbuilder.build(doc, weights=path)
    x = torch.randn(2, 1, 4, 4)
    torch.testing.assert_close(again(x), trained(x))
    plain = tmp_path / "plain.pt"
    torch.save(trained.state_dict(), plain)
    torch.testing.assert_close(netbuilder.build(doc, weights=plain)(x), trained(x))


def test_weights_that_do_not_fit_are_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "w.pt"
    torch.save(weights_dict({"model": netbuilder.build(mlp_document(hidden=5))}), path)
    with pytest.raises(netbuilder.GraphFileError, match=r"do not fit network 'model': wrong "
                       r"size for dense1.weight"):
        netbuilder.build(mlp_document(), weights=path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(netbuilder.GraphFileError, match="not a readable weights file"):
        netbuilder.build(mlp_document(), weights=junk)


def test_weights_file_never_unpickles_code(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "netbuilder-weights", "networks": {"model": Evil()}}, path)
    with pytest.raises(netbuilder.GraphFileError, match="not a readable weights file"):
        netbuilder.build(mlp_document(), weights=path)
