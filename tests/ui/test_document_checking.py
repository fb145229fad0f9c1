"""Live shape checking in the document widget, error badges, and editing a broken file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage

import netbuilder
from netbuilder import resources
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import SetParams
from netbuilder.core.graph import Document
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import GRID, snap
from netbuilder.ui.canvas.node_item import NodeItem
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.document import CHECK_DELAY_MS, DocumentWidget
from tests.ui.canvas_gestures import click, drag, node_point, open_editor, port_point


def _conv_doc() -> Document:
    """image (1×28×28) -> conv (3×3) -> flat -> fc -> out, in one row."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[1, 28, 28], name="image")
    x = net.add("conv2d", x, filters=4, kernel_size=3, name="conv")
    x = net.add("flatten", x, name="flat")
    x = net.add("dense", x, units=10, name="fc")
    net.add("output", x, name="out")
    for index, node in enumerate(net.graph.nodes.values()):
        node.position = (index * 260.0, 0.0)
    return doc


def _node(doc: Document, name: str) -> str:
    node = doc.graph("model").node_by_name(name)
    assert node is not None
    return node.id


def _render(view: CanvasView, item: NodeItem) -> QImage:
    """What the view shows of the item at 100%, with its margins (where the badge sits)."""
    view.centerOn(item)
    view.viewport().repaint()
    area = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    return view.viewport().grab(area).toImage()


def _has_colour(image: QImage, colour: QColor, area: QRectF) -> bool:
    for x in range(int(area.left()), int(area.right())):
        for y in range(int(area.top()), int(area.bottom())):
            pixel = image.pixelColor(x, y)
            if abs(pixel.red() - colour.red()) + abs(pixel.green() - colour.green()) + \
                    abs(pixel.blue() - colour.blue()) < 30:
                return True
    return False


# ----- debounced checking ------------------------------------------------------------------------
def test_shapes_are_checked_shortly_after_an_edit_once_per_burst(qtbot: Any) -> None:
    editor = open_editor(qtbot, _conv_doc())
    runs: list[int] = []
    editor.analysed.connect(lambda: runs.append(1))
    conv = _node(editor.doc, "conv")
    for filters in (5, 6, 7, 8):  # typing in a spin box: one check for the burst
        editor.push(SetParams("model", conv, {"filters": filters}))
    assert runs == []  # not yet: the check waits for the edits to pause
    assert editor.analysis("model").nodes[conv].outputs["y"].shape == (4, 26, 26)
    qtbot.waitUntil(lambda: len(runs) == 1, timeout=CHECK_DELAY_MS * 20)
    assert editor.analysis("model").nodes[conv].outputs["y"].shape == (8, 26, 26)
    qtbot.wait(CHECK_DELAY_MS * 3)
    assert runs == [1]


def test_moving_a_block_does_not_rerun_the_check(qtbot: Any) -> None:
    editor = open_editor(qtbot, _conv_doc())
    runs: list[int] = []
    editor.analysed.connect(lambda: runs.append(1))
    view = editor.current_view
    start = node_point(view, _node(editor.doc, "fc"))
    drag(qtbot, view, start, start + QPoint(40, 60))
    qtbot.wait(CHECK_DELAY_MS * 3)
    assert runs == [] and editor.undo_stack.count() == 1


# ----- error badges -------------------------------------------------------------------------------
def test_the_block_that_causes_an_error_gets_the_badge(qtbot: Any) -> None:
    editor = open_editor(qtbot, _conv_doc())
    doc, scene, view = editor.doc, editor.current_scene, editor.current_view
    conv, flat, fc = _node(doc, "conv"), _node(doc, "flat"), _node(doc, "fc")
    editor.push(SetParams("model", conv, {"kernel_size": 40}))  # bigger than the image
    qtbot.waitUntil(lambda: scene.node_items[conv].has_error, timeout=2000)
    item = scene.node_items[conv]
    assert "kernel" in item.diagnostics[0].message
    assert item.diagnostics[0].param == "kernel_size"
    # Only the cause is blamed: the blocks after it simply have no shape.
    assert not scene.node_items[flat].diagnostics and not scene.node_items[fc].diagnostics
    assert scene.node_items[fc].info is None
    image = _render(view, item)
    margin = -item.boundingRect().left()
    badge = QRectF(margin + item.body_rect().right() - 8, margin - 6, 12, 12)
    assert _has_colour(image, theme.current().error, badge)
    assert "✖" in item.toolTip()
    editor.undo_stack.undo()
    qtbot.waitUntil(lambda: not scene.node_items[conv].diagnostics, timeout=2000)
    assert scene.node_items[fc].info is not None
    qtbot.wait(1)  # the item repaints in the event loop
    assert not _has_colour(_render(view, item), theme.current().error, badge)


def test_the_totals_follow_each_edit(qtbot: Any) -> None:
    editor = open_editor(qtbot, _conv_doc())
    before = editor.analysis("model").total_params
    editor.push(SetParams("model", _node(editor.doc, "fc"), {"units": 20}))
    qtbot.waitUntil(lambda: editor.analysis("model").total_params != before, timeout=2000)
    assert editor.analysis("model").total_params == 40 + 4 * 26 * 26 * 20 + 20


# ----- a broken file ------------------------------------------------------------------------------
def _broken_file(tmp_path: Path) -> Path:
    """The CNN example with an unknown block type in the middle and a kernel too large."""
    data = json.loads(resources.example_path("mnist_cnn").read_text(encoding="utf-8"))
    nodes = {node["name"]: node for node in data["networks"][0]["nodes"]}
    nodes["pool2"]["type"] = "mystery_pool"
    nodes["pool2"]["params"]["secret"] = [1, 2, 3]
    nodes["conv1"]["params"]["kernel_size"] = 40
    path = tmp_path / "broken.nbg"
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    return path


def test_a_broken_file_opens_and_stays_editable(qtbot: Any, tmp_path: Path) -> None:
    path = _broken_file(tmp_path)
    doc = netbuilder.load(path)
    editor = open_editor(qtbot, doc)
    editor.path = path
    scene, view, graph = editor.current_scene, editor.current_view, doc.graph("model")
    mystery, conv1, conv2 = _node(doc, "pool2"), _node(doc, "conv1"), _node(doc, "conv2")
    hidden = _node(doc, "hidden")
    # The placeholder shows, keeps its wires, and carries the blame for its type.
    placeholder = scene.node_items[mystery]
    assert placeholder.title == "? mystery_pool"
    assert placeholder.has_error and "unknown block type" in placeholder.diagnostics[0].message
    assert len([e for e in graph.edges.values() if mystery in (e.source, e.target)]) == 2
    assert scene.node_items[conv1].has_error
    assert "kernel" in scene.node_items[conv1].diagnostics[0].message

    # Fix the kernel, move the placeholder, delete it and wire around it, then undo it all.
    editor.push(SetParams("model", conv1, {"kernel_size": 3}))
    qtbot.waitUntil(lambda: not scene.node_items[conv1].diagnostics, timeout=2000)
    grab = node_point(view, mystery)
    start_y = graph.nodes[mystery].position[1]
    drag(qtbot, view, grab, grab + QPoint(0, 120))
    assert graph.nodes[mystery].position[1] == snap(start_y + 120, GRID)
    click(qtbot, view, node_point(view, mystery))
    editor.delete_selection()
    assert mystery not in graph.nodes
    view.centerOn(scene.node_items[conv2].sceneBoundingRect().center())
    drag(qtbot, view, port_point(view, conv2, "y", output=True),
         port_point(view, hidden, "x", output=False))
    assert graph.edge_into(hidden, "x").source == conv2
    qtbot.waitUntil(lambda: scene.node_items[hidden].info is not None, timeout=2000)
    assert editor.undo_stack.count() == 4
    while editor.undo_stack.canUndo():
        editor.undo_stack.undo()
    assert mystery in graph.nodes and scene.node_items[mystery].title == "? mystery_pool"

    # Saved again, the placeholder keeps its type and params.
    copy = tmp_path / "again.nbg"
    editor.save(copy)
    saved = {n["name"]: n for n in json.loads(copy.read_text())["networks"][0]["nodes"]}
    assert saved["pool2"]["type"] == "mystery_pool"
    assert saved["pool2"]["params"]["secret"] == [1, 2, 3]
    assert saved["conv1"]["params"]["kernel_size"] == 40
    assert not editor.modified


def test_a_placeholder_cannot_be_edited_and_says_why(qtbot: Any, tmp_path: Path) -> None:
    doc = netbuilder.load(_broken_file(tmp_path))
    editor = open_editor(qtbot, doc)
    messages: list[str] = []
    editor.status_message.connect(lambda text, error: messages.append(text))
    assert not editor.push(SetParams("model", _node(doc, "pool2"), {"pool_size": 3}))
    assert "unknown block type 'mystery_pool'" in messages[-1]
    assert editor.undo_stack.count() == 0


def test_a_document_with_several_networks_gets_a_tab_each(qtbot: Any) -> None:
    doc = _conv_doc()
    GraphBuilder(doc, "critic").add("input", shape=[4], name="x")
    editor = open_editor(qtbot, doc)
    assert editor.tabs.count() == 2
    assert editor.current_graph == "model"
    assert isinstance(editor, DocumentWidget)
    editor.open_graph("critic")
    assert editor.current_graph == "critic"
    assert editor.current_scene.graph_name == "critic"
    assert editor.global_pos_of("critic", QPointF(0, 0)) is not None
    qtbot.keyClick(editor.current_view.viewport(), Qt.Key.Key_Escape)
