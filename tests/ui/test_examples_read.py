"""Every bundled example opens whole and legible in a 1366x768 window, with no wire across a
block, and a saved document opens again where its canvas looked.

Legible means the canvas draws each block in full detail (title, name, parameters, shape,
parameter count: from SIMPLE_BELOW_ZOOM up) with its smallest text, the 8.5 pt body font
(11 px at 96 dpi), at least 6 px high on screen. The zoom that gives is LEGIBLE_ZOOM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder import resources
from netbuilder.core.builder import GraphBuilder
from netbuilder.ui.canvas.edge_item import path_points
from netbuilder.ui.canvas.geometry import SIMPLE_BELOW_ZOOM
from netbuilder.ui.canvas.node_item import RerouteItem
from netbuilder.ui.canvas.routing import path_hits
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.main_window import MainWindow
from tests.ui.canvas_gestures import drag, node_point, open_editor, point_of

EXAMPLES = sorted(path.stem for path in resources.examples_dir().glob("*.nbg"))
#: The smallest on-screen height, in pixels, of the smallest text on a block.
LEGIBLE_TEXT_PIXELS = 6.0


def legible_zoom() -> float:
    body = QFont()
    body.setPointSizeF(8.5)  # the body font of netbuilder/ui/canvas/node_item.py
    return max(SIMPLE_BELOW_ZOOM, LEGIBLE_TEXT_PIXELS / QFontInfo(body).pixelSize())


def _open(window: MainWindow, name: str) -> Any:
    editor = window.open_file(resources.example_path(name), as_copy=True)
    assert editor is not None
    QApplication.processEvents()  # the first look at each canvas waits for the event loop
    return editor


def _crossings(scene: CanvasScene) -> list[str]:
    """Each wire that passes through a block it does not attach to, as 'wire over block'."""
    scene.route_all()
    graph = scene.graph
    found = []
    for edge_id, item in scene.edge_items.items():
        edge = graph.edges[edge_id]
        points = path_points(item.wire_path())
        for node_id, node in scene.node_items.items():
            if node_id in (edge.source, edge.target) or isinstance(node, RerouteItem):
                continue
            rect = node.mapRectToScene(node.body_rect())
            if path_hits(points, (rect.left(), rect.top(), rect.right(), rect.bottom())):
                found.append(f"{graph.nodes[edge.source].name}->"
                             f"{graph.nodes[edge.target].name} over {node.node.name}")
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_an_example_opens_whole_and_legible(window: MainWindow, name: str) -> None:
    editor = _open(window, name)
    assert window.size().width() == 1366 and window.size().height() == 768
    for graph_name in editor.doc.graphs:
        view = editor.open_graph(graph_name)
        QApplication.processEvents()
        seen = view.mapToScene(view.viewport().rect()).boundingRect()
        assert seen.contains(view.canvas.content_rect()), f"{graph_name} is not all in view"
        assert view.zoom >= legible_zoom(), \
            f"{graph_name} opens at {view.zoom:.0%}, below {legible_zoom():.0%}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_wire_of_an_example_crosses_a_block(window: MainWindow, name: str) -> None:
    editor = _open(window, name)
    for graph_name in editor.doc.graphs:
        assert _crossings(editor.open_graph(graph_name).canvas) == []


def test_a_wire_routes_around_a_block_dragged_onto_it(qtbot: Any) -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    source = net.add("input", shape=[8], name="source")
    far = net.add("relu", source, name="far")
    loose = net.add("dense", units=4, name="loose")
    far.position, loose.position = (900.0, 0.0), (300.0, 300.0)
    editor = open_editor(qtbot, doc, size=(1300, 700))
    view, scene = editor.current_view, editor.current_scene
    wire = scene.edge_items[doc.network().edge_into(far.id, "x").id]
    # One cubic (a move and a curve of three elements) while nothing is in the way.
    assert wire.wire_path().elementCount() == 4
    # Drag the loose block onto the middle of the wire (off its middle: no insertion).
    item = scene.node_items[loose.id]
    target = QPointF(450.0 + item.body_rect().width() / 2, 15.0)  # where its header goes
    drag(qtbot, view, node_point(view, loose.id), point_of(view, target))
    QApplication.processEvents()  # wires that pass moved blocks are routed after the drag
    assert doc.network().edges_of(loose.id) == []
    assert _crossings(scene) == []
    rect = item.mapRectToScene(item.body_rect())
    assert rect.left() < 540 < rect.right() and rect.top() < 40 < rect.bottom(), \
        "the block lies where the wire ran"
    assert wire.wire_path().elementCount() > 4, "routed: straight runs and rounded corners"


def test_a_saved_document_opens_where_its_canvas_looked(window: MainWindow, tmp_path: Path
                                                        ) -> None:
    editor = _open(window, "gan_mnist")
    view = editor.open_graph("generator")
    view.set_zoom(1.3)
    view.centerOn(400, 300)
    state = view.view_state()
    path = tmp_path / "gan.nbg"
    editor.save(path)
    assert netbuilder.load(path).view["canvas"]["generator"] == state
    assert window.close_tab(window.tabs.indexOf(editor))

    again = window.open_file(path)
    assert again is not None and again is not editor
    QApplication.processEvents()
    view = again.open_graph("generator")
    assert view.zoom == pytest.approx(1.3, abs=0.001)
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - 400) <= 2 and abs(centre.y() - 300) <= 2
    # Saved again untouched: the same bytes.
    again.save(tmp_path / "again.nbg")
    assert (tmp_path / "again.nbg").read_bytes() == path.read_bytes()


def test_a_document_without_a_saved_view_opens_fitted_and_follows_resizes(
        window: MainWindow) -> None:
    editor = _open(window, "mnist_cnn")
    view = editor.current_view
    opened = view.zoom
    window.resize(1000, 700)
    QApplication.processEvents()
    assert view.zoom < opened
    assert view.mapToScene(view.viewport().rect()).boundingRect().contains(
        view.canvas.content_rect())
    # Once the user zooms, a resize leaves the zoom alone.
    view.zoom_in()
    zoom = view.zoom
    window.resize(1366, 768)
    QApplication.processEvents()
    assert view.zoom == zoom
