"""Undoable edits: each command undoes exactly, redoes with the same ids and refuses bad edits.

Headless and torch-free: the graphs are small networks of the built-in catalogue, checked
with the pure-Python shape inference.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from netbuilder.blocks import CATALOGUE
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import (
    MAX_FRAGMENT_NODES,
    AddNetwork,
    AddNodes,
    Command,
    Connect,
    Disconnect,
    Group,
    MoveNodes,
    Paste,
    Reconnect,
    RemoveNetwork,
    RemoveNodes,
    RenameNetwork,
    RenameNode,
    SetParams,
    UndoStack,
    Ungroup,
    check_fragment,
    copy_fragment,
    fragment_from_text,
    fragment_to_text,
)
from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.graph import GROUP, Document, Edge, Graph, Node
from netbuilder.core.inference import analyse
from netbuilder.core.serialize import edge_to_dict, node_to_dict

Ids = dict[str, str]


# ----- helpers -----------------------------------------------------------------------------------
def snapshot(doc: Document) -> str:
    """Everything a command may touch, in document order (next_id may only grow)."""
    return json.dumps([
        {
            "name": graph.name,
            "kind": graph.kind,
            "nodes": [node_to_dict(node) for node in graph.nodes.values()],
            "edges": [edge_to_dict(edge) for edge in graph.edges.values()],
        }
        for graph in doc.graphs.values()
    ])


def mlp() -> tuple[Document, Ids]:
    """image (8) -> dense1 (16) -> relu1 -> dense2 (4) -> output1; ids by node name."""
    doc = Document(CATALOGUE)
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8], name="image")
    x = net.add("dense", x, units=16, activation="linear")
    x = net.add("relu", x)
    x = net.add("dense", x, units=4, activation="linear")
    net.add("output", x)
    net.layout()
    return doc, _ids(net.graph)


def residual() -> tuple[Document, Ids]:
    """image (8) -> dense1 -> dense2 -> add1(x1=dense2, x2=dense1) -> output1."""
    doc = Document(CATALOGUE)
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8], name="image")
    skip = net.add("dense", x, units=8)
    y = net.add("dense", skip, units=8, activation="tanh")
    net.add("output", net.add("add", y, skip))
    net.layout()
    return doc, _ids(net.graph)


def open_add() -> tuple[Document, Ids]:
    """image (8) -> add1.x1 -> dense1 (8) -> output1; add1.x2 is free."""
    doc = Document(CATALOGUE)
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8], name="image")
    net.add("output", net.add("dense", net.add("add", x), units=8))
    net.layout()
    return doc, _ids(net.graph)


def _ids(graph: Graph) -> Ids:
    return {node.name: node.id for node in graph.nodes.values()}


def edge_between(doc: Document, source: str, target: str, graph: str = "model") -> Edge:
    return next(e for e in doc.graphs[graph].edges.values()
                if (e.source, e.target) == (source, target))


def shapes_and_params(doc: Document, graph: str = "model") -> tuple[dict[str, Any], int]:
    """Output shape of every named node that is not a group, and the network's total."""
    analysis = analyse(doc, graph)
    assert analysis.ok, analysis.errors
    shapes = {
        flat.path.split(".")[-1]: str(analysis.flat[flat_id].outputs)
        for flat_id, flat in analysis.flat_graph.nodes.items()
        if flat_id in analysis.flat and flat.type not in ("group_input", "group_output")
    }
    return shapes, analysis.total_params


def assert_round_trip(doc: Document, command: Command) -> UndoStack:
    """Push, undo, redo, undo, redo: exact states each time and the same ids on every redo."""
    stack = UndoStack(doc)
    before = snapshot(doc)
    stack.push(command)
    after = snapshot(doc)
    next_id = doc.next_id
    assert after != before, "the command changed nothing"
    for _ in range(2):
        stack.undo()
        assert snapshot(doc) == before
        stack.redo()
        assert snapshot(doc) == after
        assert doc.next_id == next_id, "a redo drew new ids"
    return stack


# ----- every command round-trips ---------------------------------------------------------------
CommandFactory = Callable[[Document, Ids], Command]

ROUND_TRIPS: dict[str, tuple[Callable[[], tuple[Document, Ids]], CommandFactory]] = {
    "add one": (mlp, lambda d, i: AddNodes.block("model", "dense", (5, 6), units=3)),
    "add with wires": (mlp, lambda d, i: AddNodes("model", [
        Node("a", "dense", "", {"units": 2}), Node("b", "relu", "act")],
        [Edge("w", "a", "y", "b", "x")])),
    "remove middle": (mlp, lambda d, i: RemoveNodes("model", [i["relu1"], i["dense1"]])),
    "remove with extra wire": (mlp, lambda d, i: RemoveNodes(
        "model", [i["dense2"]], [edge_between(d, i["image"], i["dense1"]).id])),
    "connect": (open_add, lambda d, i: Connect("model", i["image"], "y", i["add1"], "x2")),
    "disconnect": (mlp, lambda d, i: Disconnect("model", edge_between(d, i["relu1"],
                                                                      i["dense2"]).id)),
    "reconnect target": (open_add, lambda d, i: Reconnect(
        "model", edge_between(d, i["image"], i["add1"]).id, "target", i["add1"], "x2")),
    "reconnect source": (mlp, lambda d, i: Reconnect(
        "model", edge_between(d, i["relu1"], i["dense2"]).id, "source", i["dense1"], "y")),
    "set one": (mlp, lambda d, i: SetParams("model", i["dense1"], {"units": 32})),
    "set several": (mlp, lambda d, i: SetParams("model", [i["dense1"], i["dense2"]],
                                                {"bias": False, "activation": "tanh"})),
    "set adds a port": (residual, lambda d, i: SetParams("model", i["add1"], {"inputs": 3})),
    "move": (mlp, lambda d, i: MoveNodes("model", {
        i["dense1"]: (d.graphs["model"].nodes[i["dense1"]].position, (1.5, 2.0)),
        i["relu1"]: (d.graphs["model"].nodes[i["relu1"]].position, (-10, 7))})),
    "rename": (mlp, lambda d, i: RenameNode("model", i["dense1"], "encoder")),
    "paste": (mlp, lambda d, i: Paste("model", copy_fragment(d, "model", [
        i["dense1"], i["relu1"], i["dense2"]]))),
    "group": (residual, lambda d, i: Group("model", [i["dense2"], i["add1"]])),
    "group all": (mlp, lambda d, i: Group("model", [i["dense1"], i["relu1"], i["dense2"]],
                                          "body")),
    "add network": (mlp, lambda d, i: AddNetwork("second")),
    "add group": (mlp, lambda d, i: AddNetwork("block", GROUP)),
    "remove network": (mlp, lambda d, i: RemoveNetwork("model")),
    "rename network": (mlp, lambda d, i: RenameNetwork("model", "classifier")),
}


@pytest.mark.parametrize("case", list(ROUND_TRIPS))
def test_command_undoes_exactly_and_redoes_with_the_same_ids(case: str) -> None:
    build, make = ROUND_TRIPS[case]
    doc, ids = build()
    assert_round_trip(doc, make(doc, ids))


def test_ungroup_and_group_definition_commands_round_trip() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    group = Group("model", [ids["dense2"], ids["add1"]], "res")
    stack.push(group)
    assert group.instance_id is not None
    assert_round_trip(doc, AddNodes("res", [Node("k", "relu", "")]))
    assert_round_trip(doc, RenameNetwork("res", "resblock"))
    assert_round_trip(doc, Ungroup("model", group.instance_id))


# ----- the stack -------------------------------------------------------------------------------
def test_stack_undo_redo_texts_and_clean_state() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    changes: list[int] = []
    stack.events.connect("changed", lambda: changes.append(stack.index))
    assert stack.is_clean() and not stack.can_undo() and not stack.can_redo()

    stack.push(AddNodes.block("model", "dense"))
    stack.push(RenameNode("model", ids["relu1"], "act"))
    assert stack.undo_text() == "Rename relu1 to act" and not stack.is_clean()
    stack.set_clean()
    stack.undo()
    assert stack.redo_text() == "Rename relu1 to act" and stack.undo_text() == "Add Dense"
    assert not stack.is_clean()
    stack.redo()
    assert stack.is_clean()
    stack.undo()
    stack.push(MoveNodes("model", {ids["relu1"]: ((0, 0), (1, 1))}))
    assert not stack.can_redo() and len(stack) == 2
    assert not stack.is_clean()  # the saved state was dropped with the redo step
    assert changes == [1, 2, 2, 1, 2, 1, 2]
    stack.undo()
    stack.undo()
    stack.undo()  # nothing left: ignored, as in Qt
    assert stack.index == 0 and not stack.can_undo()


def test_a_refused_command_changes_neither_document_nor_stack() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    stack.push(RenameNode("model", ids["relu1"], "act"))
    stack.undo()
    before = snapshot(doc)
    with pytest.raises(GraphError):
        stack.push(Group("model", [ids["dense1"], ids["dense2"]]))  # relu1 lies between
    assert snapshot(doc) == before
    assert stack.can_redo() and len(stack) == 1


def test_stack_limit_forgets_the_oldest_steps() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc, limit=2)
    stack.set_clean()
    for name in ("a", "b", "c"):
        stack.push(RenameNode("model", ids["relu1"], name))
    assert len(stack) == 2 and stack.undo_text() == "Rename b to c"
    stack.undo()
    stack.undo()
    assert doc.graphs["model"].nodes[ids["relu1"]].name == "a"
    assert not stack.is_clean()  # the saved state was the forgotten step's


def test_macro_is_one_step() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    before = snapshot(doc)
    stack.begin_macro("Tidy")
    stack.push(RenameNode("model", ids["relu1"], "act"))
    stack.begin_macro("inner")
    stack.push(SetParams("model", ids["dense1"], {"units": 5}))
    stack.push(SetParams("model", ids["dense1"], {"units": 6}))  # merges inside the macro
    stack.end_macro()
    stack.begin_macro("empty")
    stack.end_macro()
    with pytest.raises(RuntimeError):
        stack.undo()
    stack.end_macro()
    after = snapshot(doc)
    assert len(stack) == 1 and stack.undo_text() == "Tidy"
    stack.undo()
    assert snapshot(doc) == before
    stack.redo()
    assert snapshot(doc) == after
    with pytest.raises(RuntimeError):
        stack.end_macro()


def test_macro_context_undoes_everything_when_a_step_fails() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    before = snapshot(doc)
    def failing_edit() -> None:
        with stack.macro("Bad"):
            stack.push(RenameNode("model", ids["relu1"], "act"))
            stack.push(SetParams("model", ids["dense1"], {"units": -1}))

    with pytest.raises(ParamError):
        failing_edit()
    assert snapshot(doc) == before and len(stack) == 0
    with stack.macro("Good"):
        stack.push(RenameNode("model", ids["relu1"], "act"))
    assert len(stack) == 1


# ----- SetParams -----------------------------------------------------------------------------
def test_successive_edits_of_one_field_merge_into_one_step() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    before = snapshot(doc)
    for units in (1, 12, 128):
        stack.push(SetParams("model", ids["dense1"], {"units": units}))
    assert len(stack) == 1
    assert doc.graphs["model"].nodes[ids["dense1"]].params["units"] == 128
    merged = snapshot(doc)
    stack.undo()
    assert snapshot(doc) == before
    stack.redo()
    assert snapshot(doc) == merged

    stack.push(SetParams("model", ids["dense1"], {"bias": False}))  # another field
    stack.push(SetParams("model", [ids["dense1"], ids["dense2"]], {"bias": True}))
    stack.push(SetParams("model", ids["dense2"], {"units": 9}))  # another node
    assert len(stack) == 4


def test_no_merge_into_the_saved_step() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    stack.push(SetParams("model", ids["dense1"], {"units": 1}))
    stack.set_clean()
    stack.push(SetParams("model", ids["dense1"], {"units": 2}))
    assert len(stack) == 2
    stack.undo()
    assert stack.is_clean()


def test_bad_values_are_refused_before_anything_changes() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    before = snapshot(doc)
    both = [ids["dense1"], ids["relu1"]]
    with pytest.raises(ParamError, match="relu1: ReLU has no parameter 'units'") as caught:
        stack.push(SetParams("model", both, {"units": 3}))  # dense1 would accept it
    assert caught.value.param == "units"
    with pytest.raises(ParamError, match="must be at least 1") as caught:
        stack.push(SetParams("model", ids["dense1"], {"units": 0}))
    assert caught.value.param == "units"
    with pytest.raises(ParamError, match="must be one of"):
        stack.push(SetParams("model", ids["dense1"], {"activation": "swish!"}))
    with pytest.raises(ParamError, match="must be an integer"):
        stack.push(SetParams("model", ids["dense1"], {"units": True}))
    assert snapshot(doc) == before and len(stack) == 0


def test_fewer_inputs_drop_the_wire_and_undo_brings_it_back() -> None:
    doc = Document(CATALOGUE)
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4])
    add = net.add("add", x, x, x, inputs=3)
    assert len(net.graph.incoming(add.id)) == 3
    stack = assert_round_trip(doc, SetParams("model", add.id, {"inputs": 2}))
    assert [e.target_port for e in net.graph.incoming(add.id)] == ["x1", "x2"]
    stack.undo()
    assert [e.target_port for e in net.graph.incoming(add.id)] == ["x1", "x2", "x3"]


# ----- RemoveNodes -------------------------------------------------------------------------------
def test_remove_restores_nodes_and_edges_at_their_places() -> None:
    doc, ids = residual()
    graph = doc.graphs["model"]
    nodes, edges = list(graph.nodes), list(graph.edges)
    stack = UndoStack(doc)
    # Out of document order on purpose, with an edge of a node that stays.
    stack.push(RemoveNodes("model", [ids["add1"], ids["dense1"]],
                           [edge_between(doc, ids["dense1"], ids["dense2"]).id]))
    assert list(graph.nodes) == [ids["image"], ids["dense2"], ids["output1"]]
    assert graph.edges == {}
    assert stack.undo_text() == "Delete 2 blocks"
    stack.undo()
    assert list(graph.nodes) == nodes
    assert list(graph.edges) == edges


# ----- Connect, Disconnect, Reconnect ---------------------------------------------------------
def test_connect_refuses_with_a_clear_reason() -> None:
    doc, ids = open_add()
    stack = UndoStack(doc)
    other = doc.add_graph("other")
    doc.add_node(other, Node(doc.new_id("n"), "relu", "stray"))
    stray = next(iter(other.nodes))
    before = snapshot(doc)
    refusals = {
        "add1 has no input named 'x9' (its inputs: x1, x2)":
            Connect("model", ids["image"], "y", ids["add1"], "x9"),
        "image has no output named 'out' (its outputs: y)":
            Connect("model", ids["image"], "out", ids["add1"], "x2"),
        "output1 has no output named 'y' (it has no outputs)":
            Connect("model", ids["output1"], "y", ids["add1"], "x2"),
        "input 'x1' of add1 is already connected (from image.y)":
            Connect("model", ids["image"], "y", ids["add1"], "x1"),
        "connecting dense1 to add1 would make a cycle: add1 → dense1 → add1":
            Connect("model", ids["dense1"], "y", ids["add1"], "x2"),
        "connecting add1 to add1 would make a cycle: add1 → add1":
            Connect("model", ids["add1"], "y", ids["add1"], "x2"),
        "cannot connect stray: it is in 'other', not in 'model'":
            Connect("model", stray, "y", ids["add1"], "x2"),
        "'model' has no node with id 'n999'":
            Connect("model", "n999", "y", ids["add1"], "x2"),
        "no network or group named 'nowhere'":
            Connect("nowhere", ids["image"], "y", ids["add1"], "x2"),
    }
    for message, command in refusals.items():
        with pytest.raises(GraphError) as caught:
            stack.push(command)
        assert message in str(caught.value)
    assert snapshot(doc) == before and len(stack) == 0


def test_connect_gives_the_edge_id_and_text() -> None:
    doc, ids = open_add()
    stack = UndoStack(doc)
    connect = Connect("model", ids["image"], "y", ids["add1"], "x2")
    stack.push(connect)
    assert connect.edge_id in doc.graphs["model"].edges
    assert stack.undo_text() == "Connect image → add1"
    assert analyse(doc, "model").ok


def test_reconnect_checks_like_connect_but_ignores_its_own_wire() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    wire = edge_between(doc, ids["dense1"], ids["relu1"])
    with pytest.raises(GraphError, match="would make a cycle"):
        stack.push(Reconnect("model", wire.id, "source", ids["dense2"], "y"))
    with pytest.raises(GraphError, match="already connected"):
        stack.push(Reconnect("model", wire.id, "target", ids["dense2"], "x"))
    stack.push(Reconnect("model", wire.id, "target", ids["relu1"], "x"))  # onto itself: fine
    with pytest.raises(GraphError, match="'source' and a 'target'"):
        Reconnect("model", wire.id, "middle", ids["relu1"], "x")


def test_disconnect_several_and_unknown_wire() -> None:
    doc, ids = mlp()
    wires = [edge_between(doc, ids["image"], ids["dense1"]).id,
             edge_between(doc, ids["dense2"], ids["output1"]).id]
    stack = assert_round_trip(doc, Disconnect("model", wires))
    assert stack.undo_text() == "Disconnect 2 wires"
    with pytest.raises(GraphError, match="no wire with id 'e999'"):
        stack.push(Disconnect("model", "e999"))


# ----- AddNodes, MoveNodes, RenameNode -----------------------------------------------------------
def test_add_nodes_fills_defaults_names_and_checks() -> None:
    doc, _ = mlp()
    stack = UndoStack(doc)
    add = AddNodes("model", [Node("a", "linear_layer", ""), Node("b", "dense", "dense1")])
    stack.push(add)
    graph = doc.graphs["model"]
    first, second = (graph.nodes[i] for i in add.node_ids)
    assert first.type == "dense" and first.name == "dense3"  # alias resolved, fresh name
    assert first.params == CATALOGUE["dense"].default_params()
    assert second.name == "dense4"  # dense1 is taken
    assert stack.undo_text() == "Add 2 blocks"
    with pytest.raises(GraphError, match="unknown block type 'teleport'"):
        stack.push(AddNodes.block("model", "teleport"))
    with pytest.raises(ParamError, match="Dense: parameter 'units' must be at least 1"):
        stack.push(AddNodes.block("model", "dense", units=0))
    with pytest.raises(GraphError, match="the added wires make a cycle: dense5 → relu2 → dense5"):
        stack.push(AddNodes("model", [Node("a", "dense", ""), Node("b", "relu", "")],
                            [Edge("1", "a", "y", "b", "x"), Edge("2", "b", "y", "a", "x")]))
    with pytest.raises(GraphError, match="no group definition named 'ghost'"):
        stack.push(AddNodes.block("model", "group", group="ghost"))
    assert len(stack) == 1


def test_move_nodes_is_one_step_back_to_the_old_positions() -> None:
    doc, ids = mlp()
    graph = doc.graphs["model"]
    old = graph.nodes[ids["dense1"]].position
    # The view already moved its items during the drag; the model learns on release.
    stack = UndoStack(doc)
    stack.push(MoveNodes("model", {ids["dense1"]: (old, (300, 40))}))
    assert graph.nodes[ids["dense1"]].position == (300.0, 40.0)
    assert stack.undo_text() == "Move dense1"
    stack.undo()
    assert graph.nodes[ids["dense1"]].position == old
    with pytest.raises(GraphError, match="two finite numbers"):
        MoveNodes("model", {ids["dense1"]: (old, (float("nan"), 0))})


def test_rename_node_refuses_bad_and_taken_names() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    with pytest.raises(GraphError, match="already has a node named 'dense2'"):
        stack.push(RenameNode("model", ids["dense1"], "dense2"))
    with pytest.raises(GraphError, match="is not allowed"):
        stack.push(RenameNode("model", ids["dense1"], "class"))
    assert len(stack) == 0


# ----- copy and paste ----------------------------------------------------------------------------
def test_paste_gives_fresh_ids_names_and_positions_and_only_inner_wires() -> None:
    doc, ids = mlp()
    graph = doc.graphs["model"]
    fragment = copy_fragment(doc, "model", [ids["relu1"], ids["dense1"]])
    assert [n["name"] for n in fragment["nodes"]] == ["dense1", "relu1"]  # document order
    assert len(fragment["edges"]) == 1
    text = fragment_to_text(fragment)
    paste = Paste("model", fragment_from_text(text), offset=(10, 20))
    stack = assert_round_trip(doc, paste)
    assert stack.undo_text() == "Paste 2 blocks"
    pasted = [graph.nodes[i] for i in paste.node_ids]
    assert [n.name for n in pasted] == ["dense3", "relu2"]
    assert not set(paste.node_ids) & set(ids.values())
    original = graph.nodes[ids["dense1"]].position
    assert pasted[0].position == (original[0] + 10, original[1] + 20)
    assert [(e.source, e.target) for e in graph.edges.values()
            if e.source in paste.node_ids or e.target in paste.node_ids] == \
        [(paste.node_ids[0], paste.node_ids[1])]

    # Into another graph, the names are free and kept.
    other = Paste("other", fragment)
    stack.push(AddNetwork("other"))
    stack.push(other)
    assert [doc.graphs["other"].nodes[i].name for i in other.node_ids] == ["dense1", "relu1"]


def test_paste_keeps_only_wires_with_both_ends_in_the_fragment() -> None:
    doc, ids = mlp()
    fragment = copy_fragment(doc, "model", [ids["dense1"], ids["relu1"]])
    fragment["edges"].append({"id": "e77", "source": ids["image"], "source_port": "y",
                              "target": ids["dense1"], "target_port": "x"})
    paste = Paste("model", fragment)
    UndoStack(doc).push(paste)
    assert len([e for e in doc.graphs["model"].edges.values()
                if e.target in paste.node_ids]) == 1


HOSTILE = {
    "not JSON": ("dense1 -> relu1", "not a netbuilder fragment"),
    "NaN": ('{"format": "netbuilder-fragment", "nodes": [], "edges": [], "x": NaN}',
            "NaN is not a number"),
    "deeply nested": ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
    "a list": ("[1, 2]", "is a JSON object, not a list"),
    "another format": ('{"format": "netbuilder-graph", "nodes": [], "edges": []}',
                       "not a netbuilder fragment"),
    "unknown field": ('{"format": "netbuilder-fragment", "nodes": [], "edges": [], "run": 1}',
                      "unknown field 'run'"),
    "nodes not a list": ('{"format": "netbuilder-fragment", "nodes": {}, "edges": []}',
                         "'nodes' must be a list, not an object"),
    "node not an object": ('{"format": "netbuilder-fragment", "nodes": [7], "edges": []}',
                           "each node must be an object"),
    "edge without ends": (json.dumps({"format": "netbuilder-fragment", "nodes": [],
                                      "edges": [{"id": "e1"}]}), "edge e1: missing 'source'"),
}


def _node_text(**changes: Any) -> str:
    node = {"id": "n1", "name": "dense1", "type": "dense", "type_version": 1,
            "params": {"units": 3}, "position": [0, 0]}
    node.update(changes)
    return json.dumps({"format": "netbuilder-fragment", "nodes": [node], "edges": []})


HOSTILE.update({
    "position a text": (_node_text(position="left"), "'position' must be two finite numbers"),
    "name a number": (_node_text(name=5), "'name' must be a non-empty text"),
    "params a list": (_node_text(params=[1]), "'params' must be an object"),
    "params nested": (_node_text(params={"a": [[[[[[[[[[1]]]]]]]]]]}), "nested more than 8"),
    "huge integer": (_node_text(params={"units": 10**30}), "integer too large"),
    "duplicate ids": (json.dumps({"format": "netbuilder-fragment", "edges": [], "nodes": [
        json.loads(_node_text())["nodes"][0]] * 2}), "node id 'n1' is used twice"),
})


@pytest.mark.parametrize("case", list(HOSTILE))
def test_paste_refuses_hostile_text(case: str) -> None:
    text, message = HOSTILE[case]
    with pytest.raises(ValueError, match=None) as caught:
        fragment_from_text(text)
    assert message in str(caught.value)


def test_paste_refuses_a_million_nodes_before_reading_them() -> None:
    text = ('{"format": "netbuilder-fragment", "edges": [], "nodes": ['
            + ",".join(["{}"] * 10**6) + "]}")
    with pytest.raises(ValueError, match="at most 10,000 nodes; this one has 1,000,000"):
        fragment_from_text(text)
    with pytest.raises(ValueError, match="at most"):
        check_fragment({"format": "netbuilder-fragment", "edges": [],
                        "nodes": [{}] * (MAX_FRAGMENT_NODES + 1)})


def test_paste_refuses_other_content_types_and_empty_fragments() -> None:
    with pytest.raises(ValueError, match="must be text, got bytes"):
        fragment_from_text(b"{}")
    with pytest.raises(ValueError, match="too long"):
        fragment_from_text(" " * (16 * 1024 * 1024 + 1))
    with pytest.raises(ValueError, match="no block"):
        Paste("model", {"format": "netbuilder-fragment", "nodes": [], "edges": []})


def test_paste_of_wires_that_break_the_rules_changes_nothing() -> None:
    doc, _ = mlp()
    node = json.loads(_node_text())["nodes"][0]
    relu = dict(node, id="n2", name="relu1", type="relu", params={})
    two_into_one = {"format": "netbuilder-fragment", "nodes": [node, relu], "edges": [
        {"id": "a", "source": "n1", "source_port": "y", "target": "n2", "target_port": "x"},
        {"id": "b", "source": "n1", "source_port": "y", "target": "n2", "target_port": "x"}]}
    cycle = {"format": "netbuilder-fragment", "nodes": [node, relu], "edges": [
        {"id": "a", "source": "n1", "source_port": "y", "target": "n2", "target_port": "x"},
        {"id": "b", "source": "n2", "source_port": "y", "target": "n1", "target_port": "x"}]}
    stack = UndoStack(doc)
    before = snapshot(doc)
    with pytest.raises(GraphError, match="already connected"):
        stack.push(Paste("model", two_into_one))
    with pytest.raises(GraphError, match="make a cycle"):
        stack.push(Paste("model", cycle))
    newer = dict(node, type_version=99)
    with pytest.raises(GraphError, match=r"cannot paste: .*newer than this netbuilder"):
        stack.push(Paste("model", {"format": "netbuilder-fragment", "nodes": [newer],
                                   "edges": []}))
    assert snapshot(doc) == before


# ----- Group and Ungroup -------------------------------------------------------------------------
def test_group_keeps_shapes_and_parameter_counts() -> None:
    doc, ids = residual()
    expected = shapes_and_params(doc)
    stack = UndoStack(doc)
    group = Group("model", [ids["add1"], ids["dense2"]])
    stack.push(group)
    assert stack.undo_text() == "Group 2 blocks as group1"
    assert shapes_and_params(doc) == expected

    definition = doc.graphs["group1"]
    assert definition.kind == GROUP
    # dense1 feeds both dense2.x and add1.x2: one port, named after the first port it feeds.
    kinds = [(n.type, n.name) for n in definition.nodes.values()]
    assert kinds == [("group_input", "x"), ("dense", "dense2"), ("add", "add1"),
                     ("group_output", "y")]
    instance = doc.graphs["model"].nodes[group.instance_id]
    assert (instance.type, instance.name, instance.params) == ("group", "group1",
                                                               {"group": "group1"})
    assert list(doc.graphs["model"].nodes).index(instance.id) == 2  # where dense2 was
    assert {(e.source, e.target_port) for e in doc.graphs["model"].incoming(instance.id)} == \
        {(ids["dense1"], "x")}


def test_group_names_one_port_per_outside_output() -> None:
    doc, ids = residual()
    expected = shapes_and_params(doc)
    group = Group("model", [ids["add1"]], "merge")
    UndoStack(doc).push(group)
    ports = [(n.type, n.name) for n in doc.graphs["merge"].nodes.values()]
    assert ports == [("group_input", "x1"), ("group_input", "x2"), ("add", "add1"),
                     ("group_output", "y")]
    assert shapes_and_params(doc) == expected


def test_group_refusals() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    with pytest.raises(GraphError, match="relu1 lie\\(s\\) on a path between selected blocks"):
        stack.push(Group("model", [ids["dense1"], ids["dense2"]]))
    with pytest.raises(GraphError, match="image cannot go into a group"):
        stack.push(Group("model", [ids["image"], ids["dense1"]]))
    with pytest.raises(GraphError, match="already exists"):
        stack.push(Group("model", [ids["dense1"]], "model"))
    with pytest.raises(GraphError, match="is not allowed"):
        stack.push(Group("model", [ids["dense1"]], "my group"))
    with pytest.raises(GraphError, match="select at least one"):
        Group("model", [])
    assert len(stack) == 0


def test_group_then_ungroup_gives_the_same_network() -> None:
    doc, ids = residual()
    expected = shapes_and_params(doc)
    names = [n.name for n in doc.graphs["model"].nodes.values()]
    positions = {n.name: n.position for n in doc.graphs["model"].nodes.values()}
    stack = UndoStack(doc)
    group = Group("model", [ids["dense2"], ids["add1"]], "res")
    stack.push(group)
    assert group.instance_id is not None
    ungroup = Ungroup("model", group.instance_id)
    stack.push(ungroup)
    assert stack.undo_text() == "Ungroup res"
    assert "res" not in doc.graphs  # its last use is gone
    assert shapes_and_params(doc) == expected
    assert [n.name for n in doc.graphs["model"].nodes.values()] == names
    assert {n.name: n.position for n in doc.graphs["model"].nodes.values()} == positions
    assert not set(ungroup.node_ids) & set(ids.values())  # fresh ids


def test_ungroup_keeps_a_definition_that_others_use() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    group = Group("model", [ids["dense2"], ids["add1"]], "res")
    stack.push(group)
    fragment = copy_fragment(doc, "model", [group.instance_id])
    paste = Paste("model", fragment)
    stack.push(paste)
    (second,) = paste.node_ids
    stack.push(Connect("model", group.instance_id, "y", second, "x"))
    stack.push(Reconnect("model", next(iter(doc.graphs["model"].incoming(
        ids["output1"]))).id, "source", second, "y"))
    expected = shapes_and_params(doc)
    assert expected[1] == 3 * (8 * 8 + 8)  # dense1, and the dense of each use of res

    stack.push(Ungroup("model", second))
    assert "res" in doc.graphs
    assert shapes_and_params(doc)[1] == expected[1]
    stack.push(Ungroup("model", group.instance_id))
    assert "res" not in doc.graphs
    assert shapes_and_params(doc)[1] == expected[1]
    while stack.can_undo():
        stack.undo()
    assert snapshot(doc) == snapshot(residual()[0])


def test_ungroup_refusals() -> None:
    doc, ids = mlp()
    stack = UndoStack(doc)
    with pytest.raises(GraphError, match="dense1 is not a use of a group"):
        stack.push(Ungroup("model", ids["dense1"]))
    lost = Node(doc.new_id("n"), "group", "lost", {"group": "gone"})  # as a file may hold
    doc.add_node(doc.graphs["model"], lost)
    with pytest.raises(GraphError, match="group 'gone' of lost does not exist"):
        stack.push(Ungroup("model", lost.id))


def test_group_port_edits_follow_on_every_use() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    group = Group("model", [ids["dense2"], ids["add1"]], "res")
    stack.push(group)
    definition = doc.graphs["res"]
    port_in = definition.node_by_name("x")
    port_out = definition.node_by_name("y")
    assert port_in is not None and port_out is not None
    before = snapshot(doc)

    stack.push(RenameNode("res", port_in.id, "features"))
    assert doc.input_ports(doc.graphs["model"].nodes[group.instance_id])[0].name == "features"
    assert [e.target_port for e in doc.graphs["model"].incoming(group.instance_id)] == \
        ["features"]
    assert analyse(doc, "model").ok
    stack.push(RemoveNodes("res", [port_out.id]))
    assert doc.graphs["model"].outgoing(group.instance_id) == []
    stack.undo()
    stack.undo()
    assert snapshot(doc) == before


def test_a_group_cannot_hold_itself() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    stack.push(Group("model", [ids["dense2"], ids["add1"]], "res"))
    stack.push(AddNetwork("outer", GROUP))
    stack.push(AddNodes.block("outer", "group", group="res"))
    with pytest.raises(GraphError, match="group 'res' cannot hold a use of 'outer'"):
        stack.push(AddNodes.block("res", "group", group="outer"))
    with pytest.raises(GraphError, match="'res' cannot hold a use of 'res'"):
        stack.push(Paste("res", copy_fragment(doc, "outer", list(doc.graphs["outer"].nodes))))


# ----- networks ----------------------------------------------------------------------------------
def test_network_commands() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    stack.push(Group("model", [ids["dense2"], ids["add1"]], "res"))
    with pytest.raises(GraphError, match="group 'res' is used by res"):
        stack.push(RemoveNetwork("res"))
    with pytest.raises(GraphError, match="already exists"):
        stack.push(AddNetwork("model"))
    with pytest.raises(GraphError, match="not 'folder'"):
        AddNetwork("x", "folder")

    stack.push(RenameNetwork("res", "resblock"))
    instance = doc.graphs["model"].node_by_name("res")
    assert instance is not None and instance.params == {"group": "resblock"}
    assert analyse(doc, "model").ok
    stack.undo()
    assert instance.params == {"group": "res"}
    stack.push(RemoveNetwork("model"))
    assert stack.undo_text() == "Delete network model"
    stack.push(RemoveNetwork("res"))  # no use left
    assert list(doc.graphs) == []
    stack.undo()
    stack.undo()
    assert list(doc.graphs) == ["model", "res"]


def test_renaming_a_group_back_leaves_broken_uses_alone() -> None:
    doc, ids = residual()
    stack = UndoStack(doc)
    stack.push(Group("model", [ids["dense2"], ids["add1"]], "res"))
    # A broken use that already names "block" (a file may hold one).
    doc.add_node(doc.graphs["model"], Node(doc.new_id("n"), "group", "lost", {"group": "block"}))
    before = snapshot(doc)
    rename = assert_round_trip(doc, RenameNetwork("res", "block"))
    assert doc.graphs["model"].node_by_name("res").params == {"group": "block"}
    rename.undo()
    assert snapshot(doc) == before
    assert doc.graphs["model"].node_by_name("lost").params == {"group": "block"}


# ----- events ------------------------------------------------------------------------------------
class Mirror:
    """A view's copy of the document, kept only from the events (as the Qt scene will be)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.graphs: dict[str, dict[str, Any]] = {}
        for index, graph in enumerate(doc.graphs.values()):
            self.on_graph_added(graph, index)
        for event in ("graph_added", "graph_removed", "graph_renamed", "node_added",
                      "node_removed", "edge_added", "edge_removed", "params_changed",
                      "node_moved", "node_renamed"):
            doc.events.connect(event, getattr(self, f"on_{event}"))

    def on_graph_added(self, graph: Graph, index: int) -> None:
        items = [(k, v) for k, v in self.graphs.items() if k != graph.name]
        items.insert(index, (graph.name, {
            "kind": graph.kind,
            "nodes": {n.id: node_to_dict(n) for n in graph.nodes.values()},
            "edges": {e.id: edge_to_dict(e) for e in graph.edges.values()},
        }))
        self.graphs = dict(items)

    def on_graph_removed(self, graph: Graph) -> None:
        del self.graphs[graph.name]

    def on_graph_renamed(self, graph: Graph, old: str) -> None:
        # The uses of a renamed group follow through params_changed events.
        self.graphs = {(graph.name if k == old else k): v for k, v in self.graphs.items()}

    def on_node_added(self, graph: Graph, node: Node, index: int | None) -> None:
        self._insert(graph, "nodes", node.id, node_to_dict(node), index)

    def on_node_removed(self, graph: Graph, node: Node) -> None:
        del self.graphs[graph.name]["nodes"][node.id]

    def on_edge_added(self, graph: Graph, edge: Edge, index: int | None) -> None:
        self._insert(graph, "edges", edge.id, edge_to_dict(edge), index)

    def on_edge_removed(self, graph: Graph, edge: Edge) -> None:
        del self.graphs[graph.name]["edges"][edge.id]

    def on_params_changed(self, graph: Graph, node: Node) -> None:
        self.graphs[graph.name]["nodes"][node.id]["params"] = json.loads(json.dumps(node.params))

    def on_node_moved(self, graph: Graph, node: Node) -> None:
        self.graphs[graph.name]["nodes"][node.id]["position"] = node_to_dict(node)["position"]

    def on_node_renamed(self, graph: Graph, node: Node, old: str) -> None:
        self.graphs[graph.name]["nodes"][node.id]["name"] = node.name

    def _insert(self, graph: Graph, key: str, item_id: str, item: dict[str, Any],
                index: int | None) -> None:
        items = list(self.graphs[graph.name][key].items())
        items.insert(len(items) if index is None else index, (item_id, json.loads(
            json.dumps(item))))
        self.graphs[graph.name][key] = dict(items)

    def snapshot(self) -> str:
        return json.dumps([
            {"name": name, "kind": g["kind"], "nodes": list(g["nodes"].values()),
             "edges": list(g["edges"].values())}
            for name, g in self.graphs.items()
        ])


def test_events_let_a_listener_mirror_the_document() -> None:
    doc, ids = residual()
    mirror = Mirror(doc)
    stack = UndoStack(doc)
    group = Group("model", [ids["dense2"], ids["add1"]], "res")
    image = doc.graphs["model"].nodes[ids["image"]]
    steps: list[Callable[[], Command]] = [
        lambda: AddNodes.block("model", "relu", (1, 2)),
        lambda: SetParams("model", ids["dense1"], {"units": 6}),
        lambda: SetParams("model", ids["dense1"], {"units": 8}),
        lambda: MoveNodes("model", {ids["image"]: (image.position, (3, 4))}),
        lambda: RenameNode("model", ids["dense1"], "stem"),
        lambda: Paste("model", copy_fragment(doc, "model", [ids["add1"], ids["output1"]])),
        lambda: group,
        lambda: RenameNetwork("res", "block"),
        lambda: Ungroup("model", group.instance_id or ""),
        lambda: Connect("model", ids["output1"], "y", ids["dense1"], "x"),  # refused
        lambda: RemoveNodes("model", [ids["dense1"]]),
        lambda: AddNetwork("second"),
        lambda: RemoveNetwork("model"),
    ]
    for step in steps:
        with contextlib.suppress(GraphError):  # a refused step must leave the mirror in step
            stack.push(step())
        assert mirror.snapshot() == snapshot(doc)
    while stack.can_undo():
        stack.undo()
        assert mirror.snapshot() == snapshot(doc)
    while stack.can_redo():
        stack.redo()
        assert mirror.snapshot() == snapshot(doc)
