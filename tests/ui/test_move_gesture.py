"""The move gesture (netbuilder/ui/canvas/moving.py): dragging blocks and frames, real mouse.

The canvas tests check what a drag does to the document; these check the gesture object
itself: when the scene starts one, what it holds, that it batches the wires' routing, that it
ends in exactly one undo step (or none), and that a refused step puts the items back.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import Command
from netbuilder.core.graph import Document
from netbuilder.ui import edit_ops
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.document import DocumentWidget
from tests.ui.canvas_gestures import drag, node_point, open_editor, point_of, wire_point

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def _doc() -> Document:
    """image -> fc1 -> fc2 -> out in one row, and an unwired dropout block below."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[8], name="image")
    x = net.add("dense", x, units=8, name="fc1")
    x = net.add("dense", x, units=8, name="fc2")
    net.add("output", x, name="out")
    net.add("dropout", name="spare")
    positions = {"image": (0.0, 0.0), "fc1": (260.0, 0.0), "fc2": (520.0, 0.0),
                 "out": (780.0, 0.0), "spare": (260.0, 240.0)}
    for node in net.graph.nodes.values():
        node.position = positions[node.name]
    return doc


def _id(doc: Document, name: str) -> str:
    node = doc.graph("model").node_by_name(name)
    assert node is not None
    return node.id


def _view(row: DocumentWidget) -> CanvasView:
    view = row.current_view
    assert view is not None
    return view


def _scene(row: DocumentWidget) -> CanvasScene:
    scene = row.current_scene
    assert scene is not None
    return scene


@pytest.fixture
def row(qtbot: Any) -> DocumentWidget:
    return open_editor(qtbot, _doc(), size=(1400, 700))


def _frame_fc1_and_fc2(row: DocumentWidget) -> str:
    _scene(row).select_nodes([_id(row.doc, "fc1"), _id(row.doc, "fc2")])
    edit_ops.add_frame(row, "Hidden layers")
    (frame_id,) = row.doc.graph("model").frames
    _scene(row).clearSelection()
    return frame_id


def test_a_press_on_a_block_starts_a_gesture_holding_the_selection(qtbot: Any,
                                                                   row: DocumentWidget) -> None:
    view, scene = _view(row), _scene(row)
    fc1, fc2 = _id(row.doc, "fc1"), _id(row.doc, "fc2")
    scene.select_nodes([fc1, fc2])
    start = node_point(view, fc2)
    qtbot.mousePress(view.viewport(), LEFT, NO_MODIFIER, start)
    gesture = scene.move_gesture
    assert gesture is not None and gesture.frame is None
    assert gesture.pressed == {fc1: QPointF(260, 0), fc2: QPointF(520, 0)}
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MODIFIER, start)
    assert scene.move_gesture is None
    assert row.undo_stack.count() == 0  # a click is no move


def test_a_press_on_empty_canvas_starts_no_move(qtbot: Any, row: DocumentWidget) -> None:
    view, scene = _view(row), _scene(row)
    empty = point_of(view, QPointF(600, 400))
    qtbot.mousePress(view.viewport(), LEFT, NO_MODIFIER, empty)
    assert scene.move_gesture is None
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MODIFIER, empty)


def test_a_long_drag_is_one_undo_step_with_wires_routed_once_per_move(
        qtbot: Any, row: DocumentWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    view, scene, graph = _view(row), _scene(row), row.doc.graph("model")
    fc1, fc2 = _id(row.doc, "fc1"), _id(row.doc, "fc2")
    scene.select_nodes([fc1, fc2])
    routed: list[set[str]] = []
    route = scene.route_wires_of

    def counting(node_ids: Any) -> None:
        routed.append(set(node_ids))
        route(node_ids)

    monkeypatch.setattr(scene, "route_wires_of", counting)
    start = node_point(view, fc2)
    drag(qtbot, view, start, start + QPoint(100, 160), steps=20)
    # Both blocks move on each mouse move; their wires (the one between them too) are routed
    # once for both, not once per block.
    assert routed and len(routed) <= 20
    assert all(ids == {fc1, fc2} for ids in routed)
    assert graph.nodes[fc1].position == (360.0, 160.0)
    assert row.undo_stack.count() == 1
    assert row.undo_stack.undoText() == "Move 2 blocks"
    row.undo_stack.undo()
    assert graph.nodes[fc1].position == (260.0, 0.0)
    assert scene.node_items[fc2].pos() == QPointF(520, 0)


def test_a_frame_drag_carries_its_blocks_along_as_the_mouse_moves(qtbot: Any,
                                                                  row: DocumentWidget) -> None:
    frame_id = _frame_fc1_and_fc2(row)
    view, scene, graph = _view(row), _scene(row), row.doc.graph("model")
    fc1, fc2, out = (_id(row.doc, name) for name in ("fc1", "fc2", "out"))
    item = scene.frame_items[frame_id]
    title = point_of(view, item.mapToScene(QPointF(60, 12)))
    steps = row.undo_stack.count()
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, NO_MODIFIER, title)
    gesture = scene.move_gesture
    assert gesture is not None and gesture.frame is item and not gesture.pressed
    assert set(gesture.carried) == {fc1, fc2}
    for step in range(1, 6):
        qtbot.mouseMove(viewport, title + QPoint(20 * step, 40 * step))
    # Before the release the blocks already ride along; the model has not changed yet.
    assert scene.node_items[fc1].pos() == QPointF(360, 200)
    assert graph.nodes[fc1].position == (260.0, 0.0)
    qtbot.mouseRelease(viewport, LEFT, NO_MODIFIER, title + QPoint(100, 200))
    assert graph.nodes[fc1].position == (360.0, 200.0)
    assert graph.nodes[fc2].position == (620.0, 200.0)
    assert graph.nodes[out].position == (780.0, 0.0)  # outside the frame: stays
    assert graph.frames[frame_id].rect[:2] == (item.pos().x(), item.pos().y())
    assert row.undo_stack.count() == steps + 1
    assert row.undo_stack.undoText() == "Move frame"
    row.undo_stack.undo()
    assert graph.nodes[fc2].position == (520.0, 0.0)
    assert scene.node_items[fc2].pos() == QPointF(520, 0)


def test_a_block_dragged_over_a_wire_and_back_leaves_no_step_and_no_light(
        qtbot: Any, row: DocumentWidget) -> None:
    view, scene = _view(row), _scene(row)
    spare = _id(row.doc, "spare")
    edge = row.doc.graph("model").edge_into(_id(row.doc, "fc2"), "x")
    assert edge is not None
    edge_id = edge.id
    start, on_wire = node_point(view, spare), wire_point(view, edge_id, 0.5)
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, NO_MODIFIER, start)
    qtbot.mouseMove(viewport, on_wire)
    assert scene.edge_items[edge_id].highlighted
    qtbot.mouseMove(viewport, start)
    qtbot.mouseRelease(viewport, LEFT, NO_MODIFIER, start)
    assert row.undo_stack.count() == 0
    assert not any(item.highlighted for item in scene.edge_items.values())


def test_a_refused_drag_puts_the_blocks_and_the_frame_back(
        qtbot: Any, row: DocumentWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    frame_id = _frame_fc1_and_fc2(row)
    view, scene = _view(row), _scene(row)
    fc1 = _id(row.doc, "fc1")
    item = scene.frame_items[frame_id]
    frame_at = item.pos()
    refused: list[Command] = []

    def refuse(command: Command) -> bool:
        refused.append(command)
        return False

    monkeypatch.setattr(row, "push", refuse)
    title = point_of(view, item.mapToScene(QPointF(60, 12)))
    drag(qtbot, view, title, title + QPoint(100, 200))
    assert len(refused) == 1
    assert scene.node_items[fc1].pos() == QPointF(260, 0)
    assert item.pos() == frame_at
