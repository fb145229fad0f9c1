"""Wires drawn, refused, reconnected, deleted, bent and inserted into, with the real mouse."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import Document
from netbuilder.ui.canvas.geometry import GRID, REROUTE_WIDTH
from netbuilder.ui.canvas.node_item import RerouteItem
from netbuilder.ui.canvas.view import block_mime_data
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from tests.ui.canvas_gestures import (
    StatusLog,
    click,
    drag,
    drop_block,
    node_point,
    open_editor,
    point_of,
    port_point,
    wire,
    wire_point,
)

Ends = tuple[str, str, str, str]


def _ends(doc: Document) -> set[Ends]:
    """The wires of the model network as (source name, port, target name, port)."""
    graph = doc.graph("model")
    name = {node_id: node.name for node_id, node in graph.nodes.items()}
    return {(name[e.source], e.source_port, name[e.target], e.target_port)
            for e in graph.edges.values()}


def _id(doc: Document, name: str) -> str:
    node = doc.graph("model").node_by_name(name)
    assert node is not None
    return node.id


def _chain_doc(wired: bool = True) -> Document:
    """image (1×28×28) -> flatten -> fc (dense 10) -> out, and a label input, in one row."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    image = net.add("input", shape=[1, 28, 28], name="image")
    flat = net.add("flatten", *([image] if wired else []), name="flat")
    fc = net.add("dense", *([flat] if wired else []), units=10, name="fc")
    net.add("output", *([fc] if wired else []), name="out")
    net.add("input", shape=[], dtype="int64", name="label")
    positions = {"image": (0, 0), "flat": (300, 0), "fc": (600, 0), "out": (900, 0),
                 "label": (0, 200)}
    for node in net.graph.nodes.values():
        node.position = positions[node.name]
    return doc


@pytest.fixture
def chain(qtbot: Any) -> DocumentWidget:
    return open_editor(qtbot, _chain_doc())


@pytest.fixture
def loose(qtbot: Any) -> DocumentWidget:
    return open_editor(qtbot, _chain_doc(wired=False))


# ----- drawing wires ------------------------------------------------------------------------------
def test_dragging_from_an_output_to_an_input_draws_a_wire(qtbot: Any, loose: DocumentWidget
                                                          ) -> None:
    doc, view = loose.doc, loose.current_view
    wire(qtbot, view, (_id(doc, "image"), "y"), (_id(doc, "flat"), "x"))
    assert _ends(doc) == {("image", "y", "flat", "x")}
    assert loose.undo_stack.count() == 1
    loose.undo_stack.undo()
    assert _ends(doc) == set()


def test_a_wire_can_be_drawn_from_an_input_back_to_an_output(qtbot: Any, loose: DocumentWidget
                                                             ) -> None:
    doc, view = loose.doc, loose.current_view
    drag(qtbot, view, port_point(view, _id(doc, "fc"), "x", output=False),
         port_point(view, _id(doc, "flat"), "y", output=True))
    assert _ends(doc) == {("flat", "y", "fc", "x")}


def test_a_wire_dropped_on_a_block_takes_its_free_input(qtbot: Any, loose: DocumentWidget) -> None:
    doc, view = loose.doc, loose.current_view
    drag(qtbot, view, port_point(view, _id(doc, "image"), "y", output=True),
         node_point(view, _id(doc, "flat")))
    assert _ends(doc) == {("image", "y", "flat", "x")}


def test_an_incompatible_wire_is_refused_with_its_reason(qtbot: Any, chain: DocumentWidget
                                                         ) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    log = StatusLog(chain)
    before, steps = _ends(doc), chain.undo_stack.count()
    viewport = view.viewport()
    start = port_point(view, _id(doc, "label"), "y", output=True)
    end = port_point(view, _id(doc, "fc"), "x", output=False)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, (start + end) / 2)
    qtbot.mouseMove(viewport, end)
    # While the wire hangs over the port: the port and the wire say no, the status bar why.
    target = scene.node_items[_id(doc, "fc")].input_ports["x"]
    assert target.verdict == "bad"
    assert scene.wire_gesture is not None and scene.wire_gesture.draft.refused
    assert log.errors and "int64" in log.errors[-1]
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert _ends(doc) == before
    assert chain.undo_stack.count() == steps
    assert "fc cannot take scalar int64" in log.errors[-1]
    assert target.verdict is None and scene.wire_gesture is None


def test_a_wire_that_succeeds_leaves_no_message(qtbot: Any, loose: DocumentWidget) -> None:
    # The pressed port was once judged as the wire's own target: every drag said "a wire
    # joins an output to an input" in red, and the message stayed after the wire was drawn.
    doc, view = loose.doc, loose.current_view
    log = StatusLog(loose)
    wire(qtbot, view, (_id(doc, "image"), "y"), (_id(doc, "flat"), "x"))
    assert _ends(doc) == {("image", "y", "flat", "x")}
    assert log.errors == []


def test_a_refusal_shows_only_while_its_port_is_under_the_mouse(qtbot: Any, chain: DocumentWidget
                                                                ) -> None:
    doc, view = chain.doc, chain.current_view
    log = StatusLog(chain)
    viewport = view.viewport()
    start = port_point(view, _id(doc, "label"), "y", output=True)
    refusing = port_point(view, _id(doc, "fc"), "x", output=False)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, (start + refusing) / 2)
    assert log.messages == []
    qtbot.mouseMove(viewport, refusing)
    assert log.messages[-1][1] and "int64" in log.messages[-1][0]
    # Away from the port, the refusal is taken back; the release on empty canvas says nothing.
    empty = refusing + QPoint(0, 150)
    qtbot.mouseMove(viewport, empty)
    assert log.messages[-1] == ("", False)
    count = len(log.messages)
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    assert chain.current_scene.wire_gesture is None
    assert log.messages[count:] == []


def test_an_abandoned_refusal_is_cleared_when_the_gesture_ends(qtbot: Any, chain: DocumentWidget
                                                               ) -> None:
    doc, view = chain.doc, chain.current_view
    log = StatusLog(chain)
    viewport = view.viewport()
    start = port_point(view, _id(doc, "label"), "y", output=True)
    refusing = port_point(view, _id(doc, "fc"), "x", output=False)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, (start + refusing) / 2)
    qtbot.mouseMove(viewport, refusing)
    assert log.errors
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    assert log.messages[-1] == ("", False)


def test_a_wire_that_would_make_a_cycle_is_refused(qtbot: Any, chain: DocumentWidget) -> None:
    doc, view = chain.doc, chain.current_view
    log = StatusLog(chain)
    before = _ends(doc)
    wire(qtbot, view, (_id(doc, "fc"), "y"), (_id(doc, "flat"), "x"))
    assert _ends(doc) == before
    assert "cycle" in log.errors[-1]


def test_an_output_cannot_be_wired_to_an_output(qtbot: Any, loose: DocumentWidget) -> None:
    doc, view = loose.doc, loose.current_view
    log = StatusLog(loose)
    drag(qtbot, view, port_point(view, _id(doc, "image"), "y", output=True),
         port_point(view, _id(doc, "flat"), "y", output=True))
    assert _ends(doc) == set()
    assert "output (right side) to an input" in log.errors[-1]


def test_a_wire_onto_a_taken_input_replaces_the_old_wire_in_one_step(qtbot: Any,
                                                                     chain: DocumentWidget
                                                                     ) -> None:
    doc, view = chain.doc, chain.current_view
    steps = chain.undo_stack.count()
    wire(qtbot, view, (_id(doc, "image"), "y"), (_id(doc, "fc"), "x"))
    assert ("image", "y", "fc", "x") in _ends(doc)
    assert ("flat", "y", "fc", "x") not in _ends(doc)
    assert chain.undo_stack.count() == steps + 1
    chain.undo_stack.undo()
    assert ("flat", "y", "fc", "x") in _ends(doc)


def test_escape_cancels_a_wire_being_drawn(qtbot: Any, loose: DocumentWidget) -> None:
    doc, view, scene = loose.doc, loose.current_view, loose.current_scene
    viewport = view.viewport()
    start = port_point(view, _id(doc, "image"), "y", output=True)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, start + QPoint(80, 30))
    assert scene.wire_gesture is not None
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    assert scene.wire_gesture is None
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       port_point(view, _id(doc, "flat"), "x", output=False))
    assert _ends(doc) == set()
    assert not any(item.__class__.__name__ == "DraftWire" for item in scene.items())


# ----- shapes on wires ----------------------------------------------------------------------------
def test_every_wire_shows_its_tensor_shape(chain: DocumentWidget) -> None:
    doc, scene = chain.doc, chain.current_scene
    labels = {}
    for edge in doc.graph("model").edges.values():
        source = doc.graph("model").nodes[edge.source].name
        labels[source] = scene.edge_items[edge.id].label
    assert labels == {"image": "1×28×28", "flat": "784", "fc": "10"}


def test_a_new_wire_gets_its_shape_after_the_check(qtbot: Any, loose: DocumentWidget) -> None:
    doc, view = loose.doc, loose.current_view
    wire(qtbot, view, (_id(doc, "image"), "y"), (_id(doc, "flat"), "x"))
    (edge_id,) = doc.graph("model").edges
    item = loose.current_scene.edge_items[edge_id]
    qtbot.waitUntil(lambda: item.label == "1×28×28", timeout=2000)


# ----- wires dropped on empty canvas: quick add ---------------------------------------------------
def test_a_wire_dropped_on_empty_canvas_asks_for_quick_add_and_wires_the_block(
        qtbot: Any, loose: DocumentWidget) -> None:
    doc, view = loose.doc, loose.current_view
    requests: list[tuple[str, QPointF, object]] = []
    loose.quick_add_requested.connect(lambda *args: requests.append(args))
    start = port_point(view, _id(doc, "image"), "y", output=True)
    drop = point_of(view, QPointF(300, 400))
    drag(qtbot, view, start, drop)
    assert len(requests) == 1
    graph, scene_pos, source = requests[0]
    assert (graph, source) == ("model", (_id(doc, "image"), "y", True))
    assert view.mapFromScene(scene_pos) == drop
    # What the popup does with the block the user picks:
    node_id = loose.add_block(graph, "conv2d", scene_pos, source)
    assert node_id is not None
    conv = doc.graph("model").nodes[node_id].name
    assert ("image", "y", conv, "x") in _ends(doc)
    port = loose.current_scene.node_items[node_id].input_ports["x"]
    assert port.scene_anchor().y() == pytest.approx(scene_pos.y(), abs=GRID / 2)
    loose.undo_stack.undo()
    assert node_id not in doc.graph("model").nodes and _ends(doc) == set()


def test_a_wire_dropped_from_an_input_gets_a_block_that_feeds_it(qtbot: Any,
                                                                 loose: DocumentWidget) -> None:
    doc, view = loose.doc, loose.current_view
    requests: list[Any] = []
    loose.quick_add_requested.connect(lambda *args: requests.append(args))
    drag(qtbot, view, port_point(view, _id(doc, "out"), "x", output=False),
         point_of(view, QPointF(700, 350)))
    graph, scene_pos, source = requests[0]
    assert source == (_id(doc, "out"), "x", False)
    node_id = loose.add_block(graph, "dense", scene_pos, source)
    name = doc.graph("model").nodes[node_id].name
    assert (name, "y", "out", "x") in _ends(doc)


def test_clicking_a_port_without_dragging_changes_nothing(qtbot: Any, chain: DocumentWidget
                                                          ) -> None:
    doc, view = chain.doc, chain.current_view
    requests: list[Any] = []
    chain.quick_add_requested.connect(lambda *args: requests.append(args))
    before = _ends(doc)
    click(qtbot, view, port_point(view, _id(doc, "fc"), "x", output=False))
    click(qtbot, view, port_point(view, _id(doc, "fc"), "y", output=True))
    assert _ends(doc) == before and requests == []
    assert all(item.isVisible() for item in chain.current_scene.edge_items.values())


# ----- moving and deleting wires ------------------------------------------------------------------
def test_dragging_a_wire_end_to_another_input_reconnects_it(qtbot: Any, chain: DocumentWidget
                                                            ) -> None:
    doc, view = chain.doc, chain.current_view
    graph = doc.graph("model")
    edge_id = graph.edge_into(_id(doc, "fc"), "x").id
    steps = chain.undo_stack.count()
    drag(qtbot, view, port_point(view, _id(doc, "fc"), "x", output=False),
         port_point(view, _id(doc, "out"), "x", output=False))
    # The wire keeps its id and moves its end; out's old wire (from fc) makes way, in one step.
    assert graph.edges[edge_id].target == _id(doc, "out")
    assert _ends(doc) == {("image", "y", "flat", "x"), ("flat", "y", "out", "x")}
    assert chain.undo_stack.count() == steps + 1
    chain.undo_stack.undo()
    assert _ends(doc) == {("image", "y", "flat", "x"), ("flat", "y", "fc", "x"),
                          ("fc", "y", "out", "x")}


def test_dragging_a_wire_end_onto_empty_canvas_deletes_the_wire(qtbot: Any,
                                                                chain: DocumentWidget) -> None:
    doc, view = chain.doc, chain.current_view
    drag(qtbot, view, port_point(view, _id(doc, "fc"), "x", output=False),
         point_of(view, QPointF(500, 300)))
    assert ("flat", "y", "fc", "x") not in _ends(doc)
    assert chain.undo_stack.undoText().startswith("Disconnect")
    chain.undo_stack.undo()
    assert ("flat", "y", "fc", "x") in _ends(doc)


def test_a_wire_end_dropped_back_on_its_port_changes_nothing(qtbot: Any, chain: DocumentWidget
                                                             ) -> None:
    doc, view = chain.doc, chain.current_view
    before, steps = _ends(doc), chain.undo_stack.count()
    port = port_point(view, _id(doc, "fc"), "x", output=False)
    viewport = view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, port)
    qtbot.mouseMove(viewport, port + QPoint(60, 60))
    qtbot.mouseMove(viewport, port)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, port)
    assert _ends(doc) == before and chain.undo_stack.count() == steps
    assert all(item.isVisible() for item in chain.current_scene.edge_items.values())


def test_a_selected_wire_is_deleted_with_the_delete_key(qtbot: Any, chain: DocumentWidget
                                                        ) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    click(qtbot, view, wire_point(view, edge_id, 0.3))
    assert scene.selected_edge_ids() == [edge_id]
    chain.delete_selection()  # what the window's Delete action calls (see the window test)
    assert ("flat", "y", "fc", "x") not in _ends(doc)
    chain.undo_stack.undo()
    assert ("flat", "y", "fc", "x") in _ends(doc)


# ----- inserting into wires -----------------------------------------------------------------------
def test_a_palette_block_dropped_on_a_wire_goes_into_it(qtbot: Any, chain: DocumentWidget) -> None:
    doc, view = chain.doc, chain.current_view
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    drop_block(view, "dropout", wire_point(view, edge_id, 0.5))
    names = {n.type: n.name for n in doc.graph("model").nodes.values()}
    assert {("flat", "y", names["dropout"], "x"), (names["dropout"], "y", "fc", "x")} <= \
        _ends(doc)
    assert ("flat", "y", "fc", "x") not in _ends(doc)
    chain.undo_stack.undo()  # one step takes the block and its wiring away
    assert "dropout" not in {n.type for n in doc.graph("model").nodes.values()}
    assert ("flat", "y", "fc", "x") in _ends(doc)


def test_dragging_an_unwired_block_onto_a_wire_inserts_it(qtbot: Any, chain: DocumentWidget
                                                          ) -> None:
    doc, view = chain.doc, chain.current_view
    node_id = chain.add_block("model", "dropout", QPointF(400, 400))
    assert node_id is not None
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    target = wire_point(view, edge_id, 0.5)
    drag(qtbot, view, node_point(view, node_id), target)
    name = doc.graph("model").nodes[node_id].name
    assert {("flat", "y", name, "x"), (name, "y", "fc", "x")} <= _ends(doc)
    chain.undo_stack.undo()  # the move and the insertion are one step
    assert ("flat", "y", "fc", "x") in _ends(doc)
    assert doc.graph("model").nodes[node_id].position == (360.0, 380.0)


def test_the_wire_a_dragged_block_would_go_into_lights_up_before_the_release(
        qtbot: Any, chain: DocumentWidget) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    node_id = chain.add_block("model", "dropout", QPointF(400, 400))
    assert node_id is not None
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    wire_item = scene.edge_items[edge_id]
    viewport = view.viewport()
    start, target = node_point(view, node_id), wire_point(view, edge_id, 0.5)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, (start + target) / 2)
    assert not wire_item.highlighted
    qtbot.mouseMove(viewport, target)
    assert wire_item.highlighted
    # Off the wire again, before letting go: no longer.
    qtbot.mouseMove(viewport, target + QPoint(0, 60))
    assert not wire_item.highlighted
    qtbot.mouseMove(viewport, target)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       target)
    name = doc.graph("model").nodes[node_id].name
    assert {("flat", "y", name, "x"), (name, "y", "fc", "x")} <= _ends(doc)
    assert not any(item.highlighted for item in scene.edge_items.values())


def test_a_block_let_go_with_the_cursor_off_the_wire_is_only_moved(
        qtbot: Any, chain: DocumentWidget) -> None:
    # A block whose body covers a wire, dropped with the cursor on empty canvas, was once
    # spliced into that wire: the user saw nothing that said so.
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    node_id = chain.add_block("model", "dropout", QPointF(400, 400))
    assert node_id is not None
    before = _ends(doc)
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    on_wire = scene.edge_items[edge_id].wire_path().pointAtPercent(0.5)
    # The header (where the mouse holds the block) 30 above the wire: the body covers it.
    target = point_of(view, on_wire + QPointF(0, -30))
    drag(qtbot, view, node_point(view, node_id), target)
    item = scene.node_items[node_id]
    assert item.sceneBoundingRect().contains(on_wire)
    assert _ends(doc) == before
    assert chain.undo_stack.undoText().startswith("Move")


def test_a_palette_block_dropped_beside_a_wire_is_not_put_into_it(
        qtbot: Any, chain: DocumentWidget) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    before = _ends(doc)
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    beside = wire_point(view, edge_id, 0.5) + QPoint(0, 30)
    drop_block(view, "dropout", beside)
    assert _ends(doc) == before
    assert not any(item.highlighted for item in scene.edge_items.values())


def test_a_palette_drag_over_a_wire_lights_it_up(qtbot: Any, chain: DocumentWidget) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    viewport, data = view.viewport(), block_mime_data("dropout")
    action, button = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    no_key = Qt.KeyboardModifier.NoModifier
    on_wire = wire_point(view, edge_id, 0.5)
    QApplication.sendEvent(viewport, QDragEnterEvent(on_wire, action, data, button, no_key))
    QApplication.sendEvent(viewport, QDragMoveEvent(on_wire, action, data, button, no_key))
    assert scene.edge_items[edge_id].highlighted
    QApplication.sendEvent(viewport, QDragLeaveEvent())
    assert not scene.edge_items[edge_id].highlighted
    # An Input has no input port: it cannot go into a wire, and no wire lights up for it.
    data = block_mime_data("input")
    QApplication.sendEvent(viewport, QDragEnterEvent(on_wire, action, data, button, no_key))
    QApplication.sendEvent(viewport, QDragMoveEvent(on_wire, action, data, button, no_key))
    assert not scene.edge_items[edge_id].highlighted
    QApplication.sendEvent(viewport, QDragLeaveEvent())


# ----- reroute points -----------------------------------------------------------------------------
def test_a_double_click_on_a_wire_puts_a_reroute_point_there(qtbot: Any, chain: DocumentWidget
                                                             ) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    where = wire_point(view, edge_id, 0.5)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    reroutes = [n for n in doc.graph("model").nodes.values() if n.type == "reroute"]
    assert len(reroutes) == 1
    point = reroutes[0]
    assert {("flat", "y", point.name, "x"), (point.name, "y", "fc", "x")} <= _ends(doc)
    item = scene.node_items[point.id]
    # A dot on the wire, not a block: small, centred where the user clicked.
    assert isinstance(item, RerouteItem)
    assert item.body_rect().width() == REROUTE_WIDTH
    assert (view.mapFromScene(item.grab_point()) - where).manhattanLength() <= 2 * GRID
    assert chain.undo_stack.count() == 1
    # The bent wire shows its shape once, after the point.
    chain.check_now()
    labels = sorted(scene.edge_items[e.id].label for e in doc.graph("model").edges.values()
                    if point.id in (e.source, e.target))
    assert labels == ["", "784"]


def test_a_reroute_point_bends_its_wire_when_dragged(qtbot: Any, chain: DocumentWidget) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    node_id = chain.add_block("model", "reroute", QPointF(560, 40), into_edge=edge_id)
    assert node_id is not None
    grab = point_of(view, scene.node_items[node_id].grab_point())
    drag(qtbot, view, grab, grab + QPoint(0, 150))
    node = doc.graph("model").nodes[node_id]
    assert node.position[1] == pytest.approx(180.0, abs=GRID)
    into = doc.graph("model").edge_into(node_id, "x")
    item = scene.edge_items[into.id]
    assert item.end == scene.node_items[node_id].input_ports["x"].scene_anchor()
    # Ports stay on grid lines, so a wire between two snapped items can run straight.
    assert item.end.y() % GRID == 0


def test_deleting_a_reroute_point_keeps_the_wire(qtbot: Any, chain: DocumentWidget) -> None:
    doc, view, scene = chain.doc, chain.current_view, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    node_id = chain.add_block("model", "reroute", QPointF(560, 40), into_edge=edge_id)
    click(qtbot, view, point_of(view, scene.node_items[node_id].grab_point()))
    assert scene.selected_node_ids() == [node_id]
    chain.delete_selection()
    assert node_id not in doc.graph("model").nodes
    assert ("flat", "y", "fc", "x") in _ends(doc)
    chain.undo_stack.undo()
    assert node_id in doc.graph("model").nodes


def test_a_reroute_point_draws_as_a_dot(qtbot: Any, chain: DocumentWidget) -> None:
    doc, scene = chain.doc, chain.current_scene
    edge_id = doc.graph("model").edge_into(_id(doc, "fc"), "x").id
    node_id = chain.add_block("model", "reroute", QPointF(560, 40), into_edge=edge_id)
    item = scene.node_items[node_id]
    rect = item.boundingRect()
    assert rect.width() < 40 and rect.height() < 30
    # Its ports hide until the mouse is on them: the wire looks continuous.
    assert all(p.radius < 4 for p in (*item.input_ports.values(), *item.output_ports.values()))


# ----- the whole way, in the window ---------------------------------------------------------------
def test_in_the_window_a_dropped_wire_opens_quick_add_and_the_pick_is_wired(
        qtbot: Any, window: MainWindow) -> None:
    editor = window.add_document(_chain_doc(wired=False))
    QApplication.processEvents()
    view = editor.current_view
    view.reset_zoom()
    view.centerOn(QPointF(450, 100))
    doc = editor.doc
    drag(qtbot, view, port_point(view, _id(doc, "image"), "y", output=True),
         point_of(view, QPointF(200, 320)))
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None, timeout=2000)
    popup = QApplication.activePopupWidget()
    search = popup.focusWidget()
    qtbot.keyClicks(search, "conv 2d")
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None, timeout=2000)
    conv = next(n for n in doc.graph("model").nodes.values() if n.type == "conv2d")
    assert ("image", "y", conv.name, "x") in _ends(doc)
    assert editor.undo_stack.count() == 1  # the block and its wire: one step
