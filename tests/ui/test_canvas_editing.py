"""Selecting, moving, deleting, copying, arranging, grouping and framing blocks by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import AddFrame, Connect, MoveNodes, SetParams
from netbuilder.core.graph import Document
from netbuilder.ui import edit_ops
from netbuilder.ui.canvas.geometry import GRID
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from tests.ui.canvas_gestures import (
    click,
    drag,
    drop_block,
    node_point,
    open_editor,
    point_of,
)

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def _row_doc() -> Document:
    """image -> fc1 -> fc2 -> fc3 -> out, in one row, with a loose dense block below."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8], name="image")
    for index in (1, 2, 3):
        x = net.add("dense", x, units=8, name=f"fc{index}")
    net.add("output", x, name="out")
    net.add("dense", units=4, name="spare")
    for index, node in enumerate(net.graph.nodes.values()):
        node.position = (index * 260.0, 0.0) if node.name != "spare" else (260.0, 240.0)
    return doc


def _ids(doc: Document, *names: str) -> list[str]:
    graph = doc.graph("model")
    return [graph.node_by_name(name).id for name in names]


def _saved(doc: Document) -> dict[str, Any]:
    return json.loads(fileformat.dumps(doc))


@pytest.fixture
def row(qtbot: Any) -> DocumentWidget:
    return open_editor(qtbot, _row_doc(), size=(1400, 700))


def _open_in(window: MainWindow, doc: Document) -> DocumentWidget:
    editor = window.add_document(doc)
    QApplication.processEvents()
    view = editor.current_view
    view.reset_zoom()
    view.centerOn(view.canvas.content_rect().center())
    view.setFocus()
    return editor


# ----- selecting ----------------------------------------------------------------------------------
def test_a_rubber_band_selects_the_blocks_it_touches(qtbot: Any, row: DocumentWidget) -> None:
    view, doc = row.current_view, row.doc
    start = point_of(view, QPointF(230, -60))
    end = point_of(view, QPointF(720, 150))
    drag(qtbot, view, start, end)
    assert row.selected_node_ids() == _ids(doc, "fc1", "fc2")


def test_ctrl_click_adds_and_removes_blocks_from_the_selection(qtbot: Any, row: DocumentWidget
                                                               ) -> None:
    view, doc = row.current_view, row.doc
    fc1, fc3, spare = _ids(doc, "fc1", "fc3", "spare")
    click(qtbot, view, node_point(view, fc1))
    click(qtbot, view, node_point(view, fc3), CTRL)
    click(qtbot, view, node_point(view, spare), CTRL)
    assert set(row.selected_node_ids()) == {fc1, fc3, spare}
    click(qtbot, view, node_point(view, fc3), CTRL)
    assert set(row.selected_node_ids()) == {fc1, spare}
    click(qtbot, view, node_point(view, fc3))
    assert row.selected_node_ids() == [fc3]


# ----- moving -------------------------------------------------------------------------------------
def test_dragging_a_selection_moves_it_as_one_undo_step(qtbot: Any, row: DocumentWidget) -> None:
    view, doc = row.current_view, row.doc
    fc1, fc2 = _ids(doc, "fc1", "fc2")
    row.current_scene.select_nodes([fc1, fc2])
    start = node_point(view, fc2)
    drag(qtbot, view, start, start + QPoint(83, 117), steps=12)
    graph = doc.graph("model")
    # Snapped to the grid, both moved by the same amount, in one step.
    assert graph.nodes[fc1].position == (260.0 + 80, 120.0)
    assert graph.nodes[fc2].position == (520.0 + 80, 120.0)
    assert row.undo_stack.count() == 1
    assert row.undo_stack.undoText() == "Move 2 blocks"
    row.undo_stack.undo()
    assert graph.nodes[fc1].position == (260.0, 0.0)
    assert row.current_scene.node_items[fc1].pos() == QPointF(260, 0)


def test_wires_follow_a_block_while_it_is_dragged(qtbot: Any, row: DocumentWidget) -> None:
    view, doc, scene = row.current_view, row.doc, row.current_scene
    (fc2,) = _ids(doc, "fc2")
    into = doc.graph("model").edge_into(fc2, "x")
    start = node_point(view, fc2)
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, Qt.KeyboardModifier.NoModifier, start)
    qtbot.mouseMove(viewport, start + QPoint(20, 50))
    qtbot.mouseMove(viewport, start + QPoint(40, 100))
    port = scene.node_items[fc2].input_ports["x"].scene_anchor()
    assert scene.edge_items[into.id].end == port
    qtbot.mouseRelease(viewport, LEFT, Qt.KeyboardModifier.NoModifier, start + QPoint(40, 100))


def test_snapping_puts_ports_on_grid_lines_so_wires_run_straight(qtbot: Any, row: DocumentWidget
                                                                 ) -> None:
    view, doc, scene = row.current_view, row.doc, row.current_scene
    (fc2,) = _ids(doc, "fc2")
    start = node_point(view, fc2)
    drag(qtbot, view, start, start + QPoint(7, 3))  # a nudge off the grid snaps back onto it
    item = scene.node_items[fc2]
    assert item.pos().x() % GRID == 0 and item.pos().y() % GRID == 0
    into = scene.edge_items[doc.graph("model").edge_into(fc2, "x").id]
    assert into.start.y() == into.end.y()  # same row, straight wire
    for port in (*item.input_ports.values(), *item.output_ports.values()):
        assert port.scene_anchor().y() % GRID == 0


def test_a_refused_or_unchanged_drag_leaves_no_undo_step(qtbot: Any, row: DocumentWidget) -> None:
    view, doc = row.current_view, row.doc
    (fc2,) = _ids(doc, "fc2")
    start = node_point(view, fc2)
    drag(qtbot, view, start, start + QPoint(2, 1))
    assert row.undo_stack.count() == 0


# ----- keyboard edits in the window ---------------------------------------------------------------
def test_delete_duplicate_bypass_and_undo_from_the_keyboard(qtbot: Any, window: MainWindow
                                                            ) -> None:
    editor = _open_in(window, _row_doc())
    view, doc = editor.current_view, editor.doc
    graph = doc.graph("model")
    fc2, spare = _ids(doc, "fc2", "spare")
    click(qtbot, view, node_point(view, fc2))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_B)
    assert graph.nodes[fc2].bypassed
    qtbot.keyClick(view.viewport(), Qt.Key.Key_B)
    assert not graph.nodes[fc2].bypassed
    click(qtbot, view, node_point(view, spare))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_D, CTRL)
    assert len(graph.nodes) == 7
    copy = editor.selected_node_ids()
    assert len(copy) == 1 and graph.nodes[copy[0]].params["units"] == 4
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Delete)
    assert len(graph.nodes) == 6
    click(qtbot, view, node_point(view, fc2))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Delete)
    assert fc2 not in graph.nodes and not graph.edges_of(fc2)
    for _ in range(5):
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert _saved(doc) == _saved(_row_doc_like(doc))
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert graph.nodes[fc2].bypassed


def _row_doc_like(doc: Document) -> Document:
    """A fresh row document with ``doc``'s id counter (saved files compare equal then)."""
    fresh = _row_doc()
    fresh.next_id = doc.next_id
    return fresh


def test_delete_key_removes_selected_wires_and_frames(qtbot: Any, window: MainWindow) -> None:
    editor = _open_in(window, _row_doc())
    view, doc, scene = editor.current_view, editor.doc, editor.current_scene
    graph = doc.graph("model")
    editor.push(AddFrame("model", "Notes", (200, 200, 300, 200)))
    (frame_id,) = graph.frames
    (fc2,) = _ids(doc, "fc2")
    edge = graph.edge_into(fc2, "x")
    click(qtbot, view, point_of(view, scene.edge_items[edge.id].path().pointAtPercent(0.4)))
    click(qtbot, view, point_of(view, QPointF(300, 210)), CTRL)  # the frame's title bar
    assert scene.selected_edge_ids() == [edge.id]
    assert scene.selected_frame_ids() == [frame_id]
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Delete)
    assert edge.id not in graph.edges and frame_id not in graph.frames
    assert len(graph.nodes) == 6
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert edge.id in graph.edges and frame_id in graph.frames


def test_copy_and_paste_within_and_across_documents(qtbot: Any, window: MainWindow) -> None:
    first = _open_in(window, _row_doc())
    view, doc = first.current_view, first.doc
    fc1, fc2 = _ids(doc, "fc1", "fc2")
    first.current_scene.select_nodes([fc1, fc2])
    qtbot.keyClick(view.viewport(), Qt.Key.Key_C, CTRL)
    text = QApplication.clipboard().text()
    assert json.loads(text)["format"] == "netbuilder-fragment"
    qtbot.keyClick(view.viewport(), Qt.Key.Key_V, CTRL)
    graph = doc.graph("model")
    pasted = first.selected_node_ids()
    assert [graph.nodes[n].name for n in pasted] == ["fc4", "fc5"]
    assert len(graph.edges) == 5  # the wire between the two copies came along
    qtbot.keyClick(view.viewport(), Qt.Key.Key_V, CTRL)
    again = first.selected_node_ids()
    assert {graph.nodes[n].position for n in again}.isdisjoint(
        {graph.nodes[n].position for n in pasted})

    second = window.new_document()
    QApplication.processEvents()
    second.current_view.setFocus()
    qtbot.keyClick(second.current_view.viewport(), Qt.Key.Key_V, CTRL)
    other = second.doc.graph("model")
    assert sorted(n.name for n in other.nodes.values()) == ["fc1", "fc2"]
    assert len(other.edges) == 1
    visible = second.current_view.mapToScene(
        second.current_view.viewport().rect()).boundingRect()
    assert all(visible.contains(QPointF(*n.position)) for n in other.nodes.values())
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert not other.nodes
    assert len(graph.nodes) == 10  # the first document kept its pastes


def test_cut_removes_and_paste_brings_back(qtbot: Any, row: DocumentWidget) -> None:
    doc = row.doc
    (spare,) = _ids(doc, "spare")
    row.current_scene.select_nodes([spare])
    edit_ops.cut_selection(row)
    assert spare not in doc.graph("model").nodes
    edit_ops.paste(row)
    assert doc.graph("model").node_by_name("spare") is not None
    edit_ops.paste(row, "not a fragment")
    assert doc.graph("model").node_by_name("spare2") is None


# ----- arranging ----------------------------------------------------------------------------------
def test_align_and_spread_are_one_step_each(row: DocumentWidget) -> None:
    doc = row.doc
    graph = doc.graph("model")
    fc1, fc3, spare = _ids(doc, "fc1", "fc3", "spare")
    row.current_scene.select_nodes([fc1, fc3, spare])
    edit_ops.align(row, "top")
    assert {graph.nodes[n].position[1] for n in (fc1, fc3, spare)} == {0.0}
    edit_ops.align(row, "spread_x")
    assert [graph.nodes[n].position[0] for n in (fc1, spare, fc3)] == [260.0, 520.0, 780.0]
    row.current_scene.select_nodes([fc1, spare])
    edit_ops.align(row, "left")
    assert graph.nodes[spare].position == (260.0, 0.0)
    assert row.undo_stack.count() == 3
    assert row.undo_stack.undoText() == "Align left"
    for _ in range(3):
        row.undo_stack.undo()
    assert graph.nodes[spare].position == (260.0, 240.0)
    assert graph.nodes[fc3].position == (780.0, 0.0)


def test_auto_layout_puts_blocks_in_layers_left_to_right(row: DocumentWidget) -> None:
    doc = row.doc
    graph = doc.graph("model")
    row.push(MoveNodes("model", {n: (graph.nodes[n].position, (0.0, 0.0)) for n in graph.nodes}))
    edit_ops.auto_layout(row)
    chain = [graph.nodes[n].position for n in _ids(doc, "image", "fc1", "fc2", "fc3", "out")]
    # The chain reads like text: left to right, folded onto bands below when the view is
    # too narrow for all of it.
    assert chain == sorted(chain, key=lambda p: (p[1], p[0])) and len(set(chain)) == 5
    assert row.undo_stack.undoText() == "Auto layout"
    assert all(x % GRID == 0 and y % GRID == 0 for x, y in chain)
    # And then the whole of it is in view, at a zoom where it reads.
    view = row.current_view
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(
        row.current_scene.content_rect())
    assert view.zoom >= 0.6


# ----- groups -------------------------------------------------------------------------------------
def test_group_then_double_click_opens_its_definition_and_edits_reach_every_use(
        qtbot: Any, row: DocumentWidget) -> None:
    doc = row.doc
    fc1, fc2 = _ids(doc, "fc1", "fc2")
    row.check_now()
    params_before = row.analysis("model").total_params
    row.current_scene.select_nodes([fc1, fc2])
    edit_ops.group_selection(row)
    (instance,) = row.selected_node_ids()
    graph = doc.graph("model")
    group_name = graph.nodes[instance].params["group"]
    row.check_now()
    assert row.analysis("model").total_params == params_before
    # A second use of the same group.
    row.current_scene.select_nodes([instance])
    edit_ops.duplicate(row)
    (copy,) = row.selected_node_ids()
    row.push(Connect("model", _ids(doc, "image")[0], "y", copy, "x"))
    view = row.current_view
    qtbot.mouseDClick(view.viewport(), LEFT, pos=node_point(view, instance))
    assert row.current_graph == group_name
    definition = doc.graph(group_name)
    inner = next(n for n in definition.nodes.values() if n.name == "fc1")
    row.push(SetParams(group_name, inner.id, {"units": 16}))
    row.check_now()
    analysis = row.analysis("model")
    # 8->16->8 in the group instead of 8->8->8: both uses change.
    assert analysis.nodes[instance].params == analysis.nodes[copy].params == (
        8 * 16 + 16 + 16 * 8 + 8)


def test_ungroup_puts_the_blocks_back(qtbot: Any, row: DocumentWidget) -> None:
    doc = row.doc
    before = {n.name for n in doc.graph("model").nodes.values()}
    fc1, fc2 = _ids(doc, "fc1", "fc2")
    row.current_scene.select_nodes([fc1, fc2])
    edit_ops.group_selection(row)
    edit_ops.ungroup_selection(row)
    assert {n.name for n in doc.graph("model").nodes.values()} == before
    assert len(row.selected_node_ids()) == 2


# ----- frames -------------------------------------------------------------------------------------
def _framed(row: DocumentWidget) -> str:
    """Frames fc1 and fc2 (with the selection, as the menu does); returns the frame id."""
    fc1, fc2 = _ids(row.doc, "fc1", "fc2")
    row.current_scene.select_nodes([fc1, fc2])
    edit_ops.add_frame(row, "Hidden layers")
    (frame_id,) = row.doc.graph("model").frames
    return frame_id


def test_a_frame_wraps_the_selection_with_room_for_its_title(row: DocumentWidget) -> None:
    frame_id = _framed(row)
    frame = row.doc.graph("model").frames[frame_id]
    item = row.current_scene.frame_items[frame_id]
    fc1, fc2 = _ids(row.doc, "fc1", "fc2")
    assert sorted(row.current_scene.nodes_inside(item)) == sorted([fc1, fc2])
    assert frame.title == "Hidden layers"
    assert row.current_scene.selected_frame_ids() == [frame_id]


def test_dragging_a_frame_moves_the_blocks_inside_in_one_step(qtbot: Any, row: DocumentWidget
                                                              ) -> None:
    frame_id = _framed(row)
    row.current_scene.clearSelection()
    view, graph = row.current_view, row.doc.graph("model")
    fc1, fc2, fc3 = _ids(row.doc, "fc1", "fc2", "fc3")
    item = row.current_scene.frame_items[frame_id]
    title = point_of(view, item.mapToScene(QPointF(60, 12)))
    steps = row.undo_stack.count()
    drag(qtbot, view, title, title + QPoint(100, 200))
    assert graph.nodes[fc1].position == (360.0, 200.0)
    assert graph.nodes[fc2].position == (620.0, 200.0)
    assert graph.nodes[fc3].position == (780.0, 0.0)
    assert graph.frames[frame_id].rect[:2] == (item.pos().x(), item.pos().y())
    assert row.undo_stack.count() == steps + 1
    row.undo_stack.undo()
    assert graph.nodes[fc1].position == (260.0, 0.0)
    assert row.current_scene.node_items[fc1].pos() == QPointF(260, 0)


def test_the_corner_handle_resizes_a_frame(qtbot: Any, row: DocumentWidget) -> None:
    frame_id = _framed(row)
    view, graph = row.current_view, row.doc.graph("model")
    x, y, width, height = graph.frames[frame_id].rect
    corner = point_of(view, QPointF(x + width - 5, y + height - 5))
    drag(qtbot, view, corner, corner + QPoint(120, 60))
    assert graph.frames[frame_id].rect == (x, y, width + 120, height + 60)
    row.undo_stack.undo()
    assert graph.frames[frame_id].rect == (x, y, width, height)


def test_a_rubber_band_inside_a_frame_selects_blocks_not_the_frame(qtbot: Any,
                                                                   row: DocumentWidget) -> None:
    frame_id = _framed(row)
    view = row.current_view
    x, y, width, height = row.doc.graph("model").frames[frame_id].rect
    start = point_of(view, QPointF(x + 10, y + 40))
    drag(qtbot, view, start, point_of(view, QPointF(x + 200, y + height + 40)))
    assert row.current_scene.selected_frame_ids() == []
    assert row.selected_node_ids() == _ids(row.doc, "fc1")
    # A band around all of it takes the frame too.
    drag(qtbot, view, point_of(view, QPointF(x - 20, y - 20)),
         point_of(view, QPointF(x + width + 20, y + height + 20)))
    assert row.current_scene.selected_frame_ids() == [frame_id]


def test_double_click_on_a_frame_title_asks_to_edit_it(qtbot: Any, row: DocumentWidget) -> None:
    frame_id = _framed(row)
    activated: list[tuple[str, str, str]] = []
    row.item_activated.connect(lambda *args: activated.append(args))
    item = row.current_scene.frame_items[frame_id]
    view = row.current_view
    qtbot.mouseDClick(view.viewport(), LEFT, pos=point_of(view, item.mapToScene(QPointF(60, 12))))
    assert activated == [("model", "frame", frame_id)]


def test_double_click_on_empty_canvas_asks_for_quick_add(qtbot: Any, row: DocumentWidget) -> None:
    requests: list[Any] = []
    row.quick_add_requested.connect(lambda *args: requests.append(args))
    view = row.current_view
    qtbot.mouseDClick(view.viewport(), LEFT, pos=point_of(view, QPointF(600, 400)))
    assert len(requests) == 1 and requests[0][0] == "model" and requests[0][2] is None


# ----- zoom, pan, fit -----------------------------------------------------------------------------
def test_wheel_zooms_around_the_mouse(qtbot: Any, row: DocumentWidget) -> None:
    view = row.current_view
    viewport = view.viewport()
    where = QPoint(300, 200)
    under = view.mapToScene(where)
    event = QWheelEvent(QPointF(where), QPointF(viewport.mapToGlobal(where)), QPoint(0, 0),
                        QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)
    assert view.zoom == pytest.approx(1.2)
    assert (view.mapToScene(where) - under).manhattanLength() < 2


def test_zoom_keys_and_fit(qtbot: Any, window: MainWindow) -> None:
    editor = _open_in(window, _row_doc())
    view = editor.current_view
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Equal, CTRL)
    assert view.zoom == pytest.approx(1.2)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Minus, CTRL)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Minus, CTRL)
    assert view.zoom == pytest.approx(1 / 1.2)
    view.set_zoom(3.0)
    view.centerOn(5000, 5000)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_F)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(view.canvas.content_rect())
    qtbot.keyClick(view.viewport(), Qt.Key.Key_0, CTRL)
    assert view.zoom == pytest.approx(1.0)


def test_middle_drag_and_space_drag_pan(qtbot: Any, row: DocumentWidget) -> None:
    view = row.current_view
    centre = view.viewport().rect().center()
    before = view.mapToScene(centre)
    drag(qtbot, view, centre, centre + QPoint(100, 50), button=Qt.MouseButton.MiddleButton)
    moved = view.mapToScene(centre)
    assert (before - moved).x() == pytest.approx(100, abs=2)
    assert (before - moved).y() == pytest.approx(50, abs=2)
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, centre, centre + QPoint(-100, -50))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert (view.mapToScene(centre) - before).manhattanLength() < 3
    assert row.undo_stack.count() == 0 and row.selected_node_ids() == []


# ----- undo and redo ------------------------------------------------------------------------------
def _one_step(editor: DocumentWidget, action: Any) -> None:
    """``action`` makes exactly one undo step, which undoes and redoes exactly (but for the
    id counter, which never goes back, so that an id is never given twice)."""

    def state() -> dict[str, Any]:
        saved = _saved(editor.doc)
        saved.pop("next_id")
        return saved

    before, steps = state(), editor.undo_stack.count()
    action()
    after = state()
    assert after != before, "the gesture changed nothing"
    assert editor.undo_stack.count() == steps + 1, editor.undo_stack.undoText()
    editor.undo_stack.undo()
    assert state() == before, editor.undo_stack.redoText()
    editor.undo_stack.redo()
    assert state() == after, editor.undo_stack.undoText()


def test_every_gesture_is_one_step_that_undoes_and_redoes_exactly(qtbot: Any,
                                                                   row: DocumentWidget) -> None:
    view, scene, doc = row.current_view, row.current_scene, row.doc
    graph = doc.graph("model")
    image, fc1, fc2, fc3, out, spare = _ids(doc, "image", "fc1", "fc2", "fc3", "out", "spare")

    def port(node: str, name: str, output: bool) -> QPoint:
        item = scene.node_items[node]
        ports = item.output_ports if output else item.input_ports
        return point_of(view, ports[name].scene_anchor())

    def wire_of(target: str) -> str:
        return graph.edge_into(target, "x").id

    start = node_point(view, fc2)
    _one_step(row, lambda: drag(qtbot, view, start, start + QPoint(0, 60)))
    _one_step(row, lambda: drag(qtbot, view, port(fc2, "y", True), port(spare, "x", False)))
    _one_step(row, lambda: drag(qtbot, view, port(spare, "x", False), port(out, "x", False)))
    _one_step(row, lambda: drag(qtbot, view, port(out, "x", False),
                                point_of(view, QPointF(600, 500))))
    _one_step(row, lambda: drop_block(view, "dropout",
                                      point_of(view, scene.edge_items[wire_of(fc1)]
                                               .path().pointAtPercent(0.5))))
    _one_step(row, lambda: qtbot.mouseDClick(
        view.viewport(), LEFT, pos=point_of(view, scene.edge_items[wire_of(fc3)]
                                            .path().pointAtPercent(0.5))))
    scene.select_nodes([fc3])
    _one_step(row, lambda: edit_ops.toggle_bypass(row))
    _one_step(row, lambda: edit_ops.duplicate(row))
    scene.select_nodes([fc1, spare])
    _one_step(row, lambda: edit_ops.align(row, "top"))
    _one_step(row, lambda: edit_ops.auto_layout(row))
    scene.select_nodes([fc3])
    _one_step(row, lambda: edit_ops.group_selection(row))
    # Undo and redo dropped the selection with the item: select the group block again.
    scene.select_nodes([n.id for n in graph.nodes.values() if n.type == "group"])
    _one_step(row, lambda: edit_ops.ungroup_selection(row))
    _one_step(row, lambda: edit_ops.add_frame(row, "Notes"))
    frame = scene.frame_items[next(iter(graph.frames))]
    title = point_of(view, frame.mapToScene(QPointF(40, 10)))
    _one_step(row, lambda: drag(qtbot, view, title, title + QPoint(40, 40)))
    corner = point_of(view, frame.mapToScene(frame.handle_rect().center()))
    _one_step(row, lambda: drag(qtbot, view, corner, corner + QPoint(60, 30)))
    scene.select_nodes([image])
    _one_step(row, lambda: row.delete_selection())
