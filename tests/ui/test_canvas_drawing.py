"""What the canvas draws: levels of detail, reroute dots, bypassed blocks, refused wires.

Pixels are read from the view's own picture (``viewport().grab()``), the way a user sees it.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QGraphicsItem

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import SetBypass
from netbuilder.core.graph import Document
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import NO_TEXT_BELOW_ZOOM, SIMPLE_BELOW_ZOOM
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.document import DocumentWidget
from tests.ui.canvas_gestures import click, open_editor, point_of, port_point

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier
NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents


def _doc() -> Document:
    """image -> conv -> flat -> fc -> out in a row, and a second input below."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[1, 28, 28], name="image")
    x = net.add("conv2d", x, filters=4, name="conv")
    x = net.add("flatten", x, name="flat")
    x = net.add("dense", x, units=10, name="fc")
    net.add("output", x, name="out")
    net.add("input", shape=[4], name="extra")
    for index, node in enumerate(net.graph.nodes.values()):
        node.position = (index * 260.0, 0.0) if node.name != "extra" else (0.0, 300.0)
    return doc


@pytest.fixture
def editor(qtbot: Any) -> DocumentWidget:
    return open_editor(qtbot, _doc())


def _id(editor: DocumentWidget, name: str) -> str:
    node = editor.doc.graph("model").node_by_name(name)
    assert node is not None
    return node.id


def _picture(view: CanvasView) -> QImage:
    view.viewport().repaint()
    return view.viewport().grab().toImage()


def _close(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return (abs(a.red() - b.red()) + abs(a.green() - b.green())
            + abs(a.blue() - b.blue())) < tolerance


def _pixel(view: CanvasView, image: QImage, scene_pos: QPointF) -> QColor:
    return image.pixelColor(view.mapFromScene(scene_pos))


# ----- levels of detail ---------------------------------------------------------------------------
@pytest.mark.parametrize("zoom", [1.0, SIMPLE_BELOW_ZOOM - 0.1, NO_TEXT_BELOW_ZOOM - 0.08])
def test_blocks_stay_visible_at_every_level_of_detail(editor: DocumentWidget, zoom: float
                                                      ) -> None:
    view, scene = editor.current_view, editor.current_scene
    view.set_zoom(zoom)
    item = scene.node_items[_id(editor, "fc")]
    view.centerOn(item)
    image = _picture(view)
    canvas = theme.current().canvas
    # The body (or, further out, the coloured box) covers the block's middle.
    middle = item.mapToScene(item.body_rect().center() + QPointF(0, 8))
    assert not _close(_pixel(view, image, middle), canvas, 10)
    # Between blocks, and between the grid's lines: the canvas.
    gap = item.mapToScene(QPointF(item.body_rect().right() + 50, -50))
    assert _close(_pixel(view, image, gap), canvas)


def test_zoomed_far_out_one_layer_draws_the_graph(editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    view.set_zoom(NO_TEXT_BELOW_ZOOM - 0.08)
    assert scene.far and scene.overview is not None and scene.overview.isVisible()
    assert all(item.flags() & NO_CONTENTS for item in scene.node_items.values())
    assert all(item.flags() & NO_CONTENTS for item in scene.edge_items.values())
    view.set_zoom(1.0)
    assert not scene.far and not scene.overview.isVisible()
    assert not any(item.flags() & NO_CONTENTS for item in scene.node_items.values())


def test_far_out_blocks_can_still_be_clicked_and_dragged(qtbot: Any, editor: DocumentWidget
                                                        ) -> None:
    view, scene = editor.current_view, editor.current_scene
    view.set_zoom(0.15)
    view.centerOn(scene.content_rect().center())
    fc = _id(editor, "fc")
    item = scene.node_items[fc]
    grab = point_of(view, item.mapToScene(item.body_rect().center()))
    click(qtbot, view, grab)
    assert editor.selected_node_ids() == [fc]
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, NO_MODIFIER, grab)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, grab + QPoint(0, 6 * step))
    qtbot.mouseRelease(viewport, LEFT, NO_MODIFIER, grab + QPoint(0, 30))
    assert editor.doc.graph("model").nodes[fc].position[1] == pytest.approx(200, abs=10)
    # The layer follows: the block is drawn where it went.
    image = _picture(view)
    moved = item.mapToScene(item.body_rect().center())
    assert not _close(_pixel(view, image, moved), theme.current().canvas, 10)


def test_a_new_block_far_out_paints_through_the_layer(editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    view.set_zoom(0.15)
    node_id = editor.add_block("model", "dense", QPointF(600, 600))
    assert scene.node_items[node_id].flags() & NO_CONTENTS
    view.centerOn(QPointF(600, 600))
    image = _picture(view)
    item = scene.node_items[node_id]
    assert not _close(_pixel(view, image, item.mapToScene(item.body_rect().center())),
                      theme.current().canvas, 10)


# ----- reroute points, bypass, refused wires ------------------------------------------------------
def test_a_reroute_point_is_a_dot_on_its_wire(editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    edge = editor.doc.graph("model").edge_into(_id(editor, "fc"), "x")
    node_id = editor.add_block("model", "reroute", QPointF(740, 40), into_edge=edge.id)
    item = scene.node_items[node_id]
    view.centerOn(item)
    assert _close(_pixel(view, _picture(view), item.grab_point()),
                  theme.current().wire_selected)  # a new point comes selected
    scene.clearSelection()
    image = _picture(view)
    assert _close(_pixel(view, image, item.grab_point()), theme.current().wire)
    # No block around it: a little off the dot, the canvas shows.
    assert _close(_pixel(view, image, item.grab_point() + QPointF(0, 18)),
                  theme.current().canvas)


def test_a_bypassed_block_shows_its_input_running_through(editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    conv = _id(editor, "conv")
    item = scene.node_items[conv]
    view.centerOn(item)
    port_y = item.input_ports["x"].pos().y()
    through = item.mapToScene(QPointF(item.body_rect().center().x(), port_y))
    before = _pixel(view, _picture(view), through)
    editor.push(SetBypass("model", [conv], True))
    after = _pixel(view, _picture(view), through)
    assert not _close(before, theme.current().warning)
    assert _close(after, theme.current().warning, 60)
    assert "Bypassed" in item.toolTip()


def test_a_refused_wire_says_why_beside_its_end(qtbot: Any, editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    view.centerOn(QPointF(400, 150))
    viewport = view.viewport()
    start = port_point(view, _id(editor, "extra"), "y", output=True)
    end = port_point(view, _id(editor, "conv"), "x", output=False)
    qtbot.mousePress(viewport, LEFT, NO_MODIFIER, start)
    qtbot.mouseMove(viewport, (start + end) / 2)
    qtbot.mouseMove(viewport, end)
    draft = scene.wire_gesture.draft
    assert draft.reason is not None and "conv cannot take 4" in draft.reason
    note = draft.mapRectToScene(draft.boundingRect())
    assert note.contains(draft.path().currentPosition() + QPointF(20, 20))
    image = _picture(view)
    assert _close(_pixel(view, image, view.mapToScene(end) + QPointF(30, 16)),
                  theme.current().wire_label_bg, 20)
    qtbot.mouseRelease(viewport, LEFT, NO_MODIFIER, end)
    assert scene.wire_gesture is None and draft.scene() is None


def test_a_free_port_is_a_ring_and_a_wired_one_a_dot(editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    extra = scene.node_items[_id(editor, "extra")]
    view.centerOn(QPointF(400, 150))
    image = _picture(view)
    colours = theme.current()
    free = extra.output_ports["y"]
    wired = scene.node_items[_id(editor, "image")].output_ports["y"]
    assert not free.connected and wired.connected
    assert _close(_pixel(view, image, free.scene_anchor()), colours.node_body)
    assert _close(_pixel(view, image, wired.scene_anchor()), colours.port)


def test_hovering_a_port_highlights_it(qtbot: Any, editor: DocumentWidget) -> None:
    view, scene = editor.current_view, editor.current_scene
    port = scene.node_items[_id(editor, "extra")].output_ports["y"]
    view.centerOn(port)
    qtbot.mouseMove(view.viewport(), point_of(view, port.scene_anchor()))
    qtbot.waitUntil(lambda: port.active, timeout=1000)
    assert not port.flags() & NO_CONTENTS
    image = _picture(view)
    assert _close(_pixel(view, image, port.scene_anchor()), theme.current().port_hover)
    qtbot.mouseMove(view.viewport(), point_of(view, port.scene_anchor() + QPointF(0, 80)))
    qtbot.waitUntil(lambda: not port.active, timeout=1000)
    assert port.flags() & NO_CONTENTS


def test_a_header_is_as_wide_as_its_title_and_name(qtbot: Any) -> None:
    from PySide6.QtGui import QFont, QFontMetricsF

    from netbuilder.ui.canvas.geometry import MAX_NODE_WIDTH, NODE_WIDTH

    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    short = net.add("dense", units=4, name="fc")
    wide = net.add("kl_divergence_loss", name="kl_loss")
    huge = net.add("dense", units=4, name="a_name_far_too_long_for_any_block_header_at_all")
    editor = open_editor(qtbot, doc)
    items = editor.current_scene.node_items
    assert items[short.id].body_rect().width() == NODE_WIDTH
    item = items[wide.id]
    title, name = QFont(), QFont()
    title.setPointSizeF(9.5)
    title.setBold(True)
    name.setPointSizeF(8.5)
    needed = (QFontMetricsF(title).horizontalAdvance(item.title)
              + QFontMetricsF(name).horizontalAdvance("kl_loss"))
    assert NODE_WIDTH < item.body_rect().width() <= MAX_NODE_WIDTH
    assert item.body_rect().width() >= needed + 20
    # Wider than any block may be: elided on the canvas, whole in the tooltip.
    assert items[huge.id].body_rect().width() == MAX_NODE_WIDTH
    assert "a_name_far_too_long_for_any_block_header_at_all" in items[huge.id].toolTip()
    # The ports sit on the block's edges, whatever its width.
    port = next(iter(item.output_ports.values()))
    assert port.pos().x() == item.body_rect().width()
