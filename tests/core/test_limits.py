"""Document caps (blocks, wires, frames) and group expansion sized before it happens.

The editor's commands keep a document within the caps the loader applies, and nested group
definitions are sized from the definitions, so that a small hostile file is refused at once.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.core import fileformat, flatten, graph
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import (
    AddFrame,
    AddNodes,
    Connect,
    Paste,
    SetParams,
    UndoStack,
    copy_fragment,
)
from netbuilder.core.errors import GraphError
from netbuilder.core.graph import GROUP, Document, Node
from netbuilder.core.inference import analyse


def _chain(blocks: int) -> Document:
    """input -> relu x blocks -> output."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4])
    for _ in range(blocks):
        x = net.add("relu", x)
    net.add("output", x)
    return doc


def _saved(doc: Document) -> str:
    """The file text, less the id counter (a refused edit may still have drawn ids)."""
    data = json.loads(fileformat.dumps(doc))
    del data["next_id"]
    return json.dumps(data)


# ----- caps on blocks, wires and frames -------------------------------------------------------
def test_paste_past_the_block_cap_is_refused_and_changes_nothing(monkeypatch) -> None:
    doc = _chain(3)  # 5 blocks
    monkeypatch.setattr(graph, "MAX_NODES", 8)
    stack = UndoStack(doc)
    fragment = copy_fragment(doc, "model", [n.id for n in doc.network().nodes.values()])
    before = _saved(doc)
    with pytest.raises(GraphError, match=r"cannot add 5 blocks: the document holds 5 blocks "
                                         r"and may hold at most 8"):
        stack.push(Paste("model", fragment))
    assert _saved(doc) == before and len(stack) == 0
    stack.push(AddNodes.block("model", "relu"))  # one more still fits
    assert sum(len(g.nodes) for g in doc.graphs.values()) == 6


def test_wires_and_frames_have_caps_too(monkeypatch) -> None:
    doc = _chain(1)  # 2 wires
    net = doc.network()
    monkeypatch.setattr(graph, "MAX_EDGES", 2)
    monkeypatch.setattr(graph, "MAX_FRAMES", 1)
    stack = UndoStack(doc)
    stack.push(AddNodes.block("model", "relu", name="spare"))
    spare = net.node_by_name("spare")
    source = net.node_by_name("input1")
    with pytest.raises(GraphError, match=r"cannot add wire .*holds 2 wires and may hold at "
                                         r"most 2"):
        stack.push(Connect("model", source.id, "y", spare.id, "x"))
    stack.push(AddFrame("model", "note", (0, 0, 10, 10)))
    with pytest.raises(GraphError, match="holds 1 frames and may hold at most 1"):
        stack.push(AddFrame("model", "another", (0, 0, 10, 10)))
    # GraphBuilder (scripts, import) goes through the same mutators.
    with pytest.raises(GraphError, match="may hold at most 2"):
        GraphBuilder(doc, "model").connect(source, spare, "x")


def test_the_loader_applies_the_same_caps(monkeypatch) -> None:
    text = fileformat.dumps(_chain(3))  # 5 blocks, 4 wires
    monkeypatch.setattr(fileformat, "MAX_EDGES", 3)
    with pytest.raises(netbuilder.GraphFileError, match="more than 3 wires"):
        netbuilder.loads(text)
    monkeypatch.setattr(fileformat, "MAX_NODES", 4)
    with pytest.raises(netbuilder.GraphFileError, match="more than 4 blocks"):
        netbuilder.loads(text)


@settings(max_examples=40, deadline=None)
@given(cap=st.integers(3, 30), batches=st.lists(st.integers(1, 12), min_size=1, max_size=8))
def test_no_sequence_of_additions_passes_the_cap(cap: int, batches: list[int]) -> None:
    doc = _chain(1)  # 3 blocks
    stack = UndoStack(doc)
    old = graph.MAX_NODES
    graph.MAX_NODES = cap  # hypothesis runs the body many times: no monkeypatch fixture here
    try:
        for size in batches:
            held = sum(len(g.nodes) for g in doc.graphs.values())
            nodes = [Node(f"k{i}", "relu", "") for i in range(size)]
            if held + size > cap:
                with pytest.raises(GraphError, match="may hold at most"):
                    stack.push(AddNodes("model", nodes))
            else:
                stack.push(AddNodes("model", nodes))
            assert sum(len(g.nodes) for g in doc.graphs.values()) <= max(cap, 3)
    finally:
        graph.MAX_NODES = old


# ----- nested groups, sized before they are expanded ------------------------------------------
def _nested(levels: int, uses: int) -> Document:
    """Each level uses the level below ``uses`` times: uses**levels blocks if expanded."""
    doc = netbuilder.new_document()
    for level in range(levels):
        group = GraphBuilder(doc, f"level{level}", GROUP)
        x = group.add("group_input", name="x")
        for _ in range(uses):
            x = group.add("group", x, group=f"level{level - 1}") if level else group.add(
                "relu", x)
        group.add("group_output", x, name="y")
    net = GraphBuilder(doc, "model")
    net.add("output", net.add("group", net.add("input", shape=[4]), group=f"level{levels - 1}",
                              name="top"))
    return doc


def _nested_size(levels: int, uses: int) -> int:
    size = uses + 2  # level0: its relus and its two ports
    for _ in range(levels - 1):
        size = 2 + uses * size
    return size


def test_a_small_file_of_exploding_groups_is_refused_at_once() -> None:
    text = fileformat.dumps(_nested(7, 12))  # 12 uses a level, 7 levels: 42 million blocks
    assert len(text) < 50_000
    start = time.perf_counter()
    with pytest.raises(netbuilder.GraphFileError) as caught:
        netbuilder.loads(text, "bomb.nbg")
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"took {elapsed:.2f} s to refuse"
    message = str(caught.value)
    assert "\n" not in message and message.startswith("bomb.nbg: ")
    size = flatten.format_count(_nested_size(7, 12))
    assert f"network 'model' expands to {flatten.format_count(_nested_size(7, 12) + 2)} " \
        in message and f"(top uses group 'level6', {size} blocks)" in message


def test_analysis_refuses_an_oversized_use_without_expanding_it() -> None:
    doc = _nested(8, 40)  # built in code, as a script may: 40**8 = 6.9e+12 blocks
    start = time.perf_counter()
    analysis = analyse(doc, "model")
    assert time.perf_counter() - start < 0.5
    top = doc.network().node_by_name("top")
    message = "group 'level7' expands to 6.9e+12 blocks, more than the 100,000 a network may hold"
    assert [(d.node, d.message) for d in analysis.errors] == [(top.id, message)]
    assert len(analysis.flat_graph.nodes) == 3  # input, the refused use, output


def test_editing_cannot_make_a_network_expand_past_the_cap(monkeypatch) -> None:
    doc = _nested(2, 3)  # model: input, output and level1 (2 ports + 3 uses of 5) = 19
    monkeypatch.setattr(flatten, "MAX_FLAT_NODES", 20)
    stack = UndoStack(doc)
    before = _saved(doc)
    # One more relu in level0 counts three times, once per use of level0 in level1.
    with pytest.raises(GraphError, match=r"network 'model' expands to 22 blocks through its "
                                         r"groups, more than the 20 a network may hold \(top "
                                         r"uses group 'level1', 20 blocks\)"):
        stack.push(AddNodes.block("level0", "relu"))
    with pytest.raises(GraphError, match="network 'model' expands to 24 blocks"):
        stack.push(AddNodes.block("model", "group", group="level0"))
    assert _saved(doc) == before and len(stack) == 0
    top = doc.network().node_by_name("top")
    stack.push(SetParams("model", top.id, {"group": "level0"}))  # 7 blocks
    monkeypatch.setattr(flatten, "MAX_FLAT_NODES", 18)
    with pytest.raises(GraphError, match="network 'model' expands to 19 blocks"):
        stack.push(SetParams("model", top.id, {"group": "level1"}))
    assert top.params["group"] == "level0"


def _random_groups() -> st.SearchStrategy[list[list[tuple[int, bool]]]]:
    """Per group level: its uses of lower levels, as (level below it, bypassed)."""
    def level(index: int) -> st.SearchStrategy[list[tuple[int, bool]]]:
        if index == 0:
            return st.just([])
        return st.lists(st.tuples(st.integers(0, index - 1), st.booleans()), max_size=4)

    return st.integers(1, 5).flatmap(
        lambda count: st.tuples(*[level(i) for i in range(count)]).map(list))


@settings(max_examples=60, deadline=None)
@given(levels=_random_groups(), plain=st.integers(0, 3), missing=st.booleans())
def test_sizes_from_the_definitions_equal_what_flatten_builds(
        levels: list[list[tuple[int, bool]]], plain: int, missing: bool) -> None:
    doc = netbuilder.new_document()
    for index, uses in enumerate(levels):
        group = GraphBuilder(doc, f"g{index}", GROUP)
        group.add("group_input", name="x")
        for _ in range(plain):
            group.add("relu")
        for below, bypassed in uses:
            group.add("group", group=f"g{below}").bypassed = bypassed
    net = GraphBuilder(doc, "model")
    net.add("input", shape=[4])
    net.add("group", group=f"g{len(levels) - 1}")
    if missing:
        net.add("group").params["group"] = "nowhere"
    sizes = flatten.expanded_sizes(doc)
    for name in doc.graphs:
        assert sizes[name] == len(flatten.flatten(doc, doc.graphs[name]).nodes), name


def _use(node_id: str, name: str, group: str) -> dict[str, object]:
    return {"id": node_id, "name": name, "type": "group", "type_version": 1,
            "params": {"group": group}, "position": [0, 0], "bypassed": False}


def test_groups_that_contain_each_other_are_sized_and_reported() -> None:
    # Commands refuse a group that holds itself; a hand-written file can still say so.
    data = json.loads(fileformat.dumps(_chain(0)))
    data["groups"] = [
        {"name": "a", "frames": [], "edges": [], "nodes": [_use("n90", "use_b", "b")]},
        {"name": "b", "frames": [], "edges": [], "nodes": [_use("n91", "use_a", "a")]},
    ]
    data["networks"][0]["nodes"].append(_use("n92", "use", "a"))
    doc = netbuilder.loads(json.dumps(data))
    # model: input, output, then a -> b -> a again, which stays one node.
    assert flatten.expanded_sizes(doc) == {"model": 3, "a": 1, "b": 1}
    messages = [d.message for d in analyse(doc, "model").errors]
    assert messages == ["group 'a' contains itself"]
