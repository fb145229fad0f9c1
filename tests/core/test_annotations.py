"""Bypass flags, reroute points and comment frames: model, commands, inference, compile."""

from __future__ import annotations

import json

import pytest
import torch

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import (
    AddFrame,
    EditFrame,
    RemoveFrames,
    SetBypass,
    UndoStack,
)
from netbuilder.core.errors import GraphError
from netbuilder.core.inference import analyse
from tests.helpers import mlp_document


def test_bypassed_block_passes_its_input_through_and_holds_no_weights() -> None:
    doc = mlp_document()
    graph = doc.network()
    dense1 = graph.node_by_name("dense1")
    stack = UndoStack(doc)
    before = analyse(doc, graph).total_params
    stack.push(SetBypass("model", dense1.id, True))
    analysis = analyse(doc, graph)
    assert analysis.output_spec(dense1.id, "y").shape == (16,)  # the flattened input
    assert analysis.total_params == before - (16 * 16 + 16)
    model = netbuilder.build(doc)
    assert "dense1" not in dict(model.named_children())
    x = torch.randn(2, 1, 4, 4)
    torch.testing.assert_close(model(x), model.dense2(x.flatten(1)))
    stack.undo()
    assert not dense1.bypassed and analyse(doc, graph).total_params == before


def test_bypass_survives_a_save_and_refuses_inputs() -> None:
    doc = mlp_document()
    graph = doc.network()
    stack = UndoStack(doc)
    stack.push(SetBypass("model", graph.node_by_name("dense1").id, True))
    again = netbuilder.loads(fileformat.dumps(doc))
    assert again.network().node_by_name("dense1").bypassed
    with pytest.raises(GraphError, match="image cannot be bypassed"):
        stack.push(SetBypass("model", graph.node_by_name("image").id, True))


def test_bypassed_group_use_skips_its_whole_definition() -> None:
    doc = netbuilder.load("tests/data/format_v2.nbg")
    model = netbuilder.build(doc)
    assert "res2" not in dict(model.named_children())
    assert analyse(doc, "model").total_params == 72 + 27


def test_reroute_point_is_invisible_to_the_model() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[3])
    bend = net.add("reroute", x)
    net.add("output", net.add("dense", bend, units=2))
    assert analyse(doc, "model").output_spec(bend.id, "y").shape == (3,)
    model = netbuilder.build(doc)
    assert [name for name, _ in model.named_children()] == ["dense1"]


def test_frame_commands_undo_redo_and_merge() -> None:
    doc = mlp_document()
    stack = UndoStack(doc)
    add = AddFrame("model", "Encoder", (0, 0, 400, 200), text="the feature extractor")
    stack.push(add)
    graph = doc.network()
    frame = graph.frames[add.frame_id]
    stack.push(EditFrame("model", frame.id, title="E"))
    stack.push(EditFrame("model", frame.id, title="Encoder part"))
    assert len(stack) == 2 and frame.title == "Encoder part"  # the two title edits merged
    stack.push(EditFrame("model", frame.id, rect=(10, 10, 500, 260)))
    saved = json.loads(fileformat.dumps(doc))["networks"][0]["frames"]
    assert saved == [{"id": frame.id, "title": "Encoder part", "text": "the feature extractor",
                      "rect": [10, 10, 500, 260], "color": "blue"}]
    stack.push(RemoveFrames("model", [frame.id]))
    assert graph.frames == {}
    for _ in range(4):
        stack.undo()
    assert graph.frames == {}
    stack.redo()
    assert graph.frames[add.frame_id].title == "Encoder"
    with pytest.raises(GraphError, match="positive width"):
        AddFrame("model", "x", (0, 0, 0, 10))


def test_group_definition_takes_its_shapes_from_its_first_use() -> None:
    from netbuilder.core.inference import analyse_document, group_context

    doc = netbuilder.load("tests/data/format_v2.nbg")
    alone = analyse(doc, "residual")
    inner = doc.graph("residual").node_by_name("inner")
    assert alone.output_spec(inner.id, "y") is None  # no use given: shapes unknown
    context = group_context(doc, "residual", analyse_document(doc))
    assert context == {"x": netbuilder.core.tensor.TensorSpec((8,))}
    placed = analyse(doc, "residual", group_inputs=context)
    assert placed.output_spec(inner.id, "y").shape == (8,)
    assert placed.ok
