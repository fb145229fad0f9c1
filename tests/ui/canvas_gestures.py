"""Real mouse and keyboard gestures on a canvas, for the canvas, document and by-hand tests.

Everything here goes through the view's viewport as a user's input would (``qtbot.mousePress``,
``mouseMove``, ``mouseRelease``): the scene turns the gestures into commands on its own. Drops
from the palette are the exception TERRAIN.md explains: ``QDrag.exec()`` runs a platform drag
loop that offscreen input cannot drive, so :func:`drop_block` sends the drag-and-drop events
the view would receive, carrying the palette's own MIME data.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from netbuilder.ui.canvas.view import CanvasView, block_mime_data
from netbuilder.ui.document import DocumentWidget

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def point_of(view: CanvasView, scene_pos: QPointF) -> QPoint:
    """Where a scene position is on the viewport."""
    return view.mapFromScene(scene_pos)


def port_point(view: CanvasView, node_id: str, port: str, output: bool) -> QPoint:
    """The viewport position of a port of a node."""
    item = view.canvas.node_items[node_id]
    ports = item.output_ports if output else item.input_ports
    return point_of(view, ports[port].scene_anchor())


def node_point(view: CanvasView, node_id: str) -> QPoint:
    """A point where a press grabs the node itself (its header; a reroute point's dot)."""
    return point_of(view, view.canvas.node_items[node_id].grab_point())


def wire_point(view: CanvasView, edge_id: str, at: float = 0.5) -> QPoint:
    """A point on a wire (``at`` is the fraction of its length)."""
    item = view.canvas.edge_items[edge_id]
    return point_of(view, item.path().pointAtPercent(at))


def drag(qtbot: object, view: CanvasView, start: QPoint, end: QPoint, steps: int = 6,
         button: Qt.MouseButton = LEFT, modifier: Qt.KeyboardModifier = NO_MODIFIER) -> None:
    """Press at ``start``, move to ``end`` in ``steps`` steps, release there."""
    viewport = view.viewport()
    qtbot.mousePress(viewport, button, modifier, start)
    for step in range(1, steps + 1):
        fraction = step / steps
        qtbot.mouseMove(viewport, QPoint(round(start.x() + (end.x() - start.x()) * fraction),
                                         round(start.y() + (end.y() - start.y()) * fraction)))
    qtbot.mouseRelease(viewport, button, modifier, end)


def click(qtbot: object, view: CanvasView, pos: QPoint,
          modifier: Qt.KeyboardModifier = NO_MODIFIER) -> None:
    qtbot.mouseClick(view.viewport(), LEFT, modifier, pos)


def wire(qtbot: object, view: CanvasView, source: tuple[str, str], target: tuple[str, str]
         ) -> None:
    """Drags a wire from an output port (node id, port) to an input port."""
    drag(qtbot, view, port_point(view, *source, output=True),
         port_point(view, *target, output=False))


def drop_block(view: CanvasView, type_id: str, pos: QPoint) -> None:
    """Drops a palette block at ``pos`` of the viewport, as the palette's QDrag would."""
    data = block_mime_data(type_id)
    _send_drop(view, data, pos)


def _send_drop(view: CanvasView, data: QMimeData, pos: QPoint) -> None:
    viewport = view.viewport()
    action = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, action, data, buttons, modifiers)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted(), "the canvas refused the drag"
    move = QDragMoveEvent(pos, action, data, buttons, modifiers)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(pos), action, data, buttons, modifiers)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted(), "the canvas did not take the drop"


# ----- set-up ---------------------------------------------------------------------------------
def open_editor(qtbot: object, doc: object, size: tuple[int, int] = (1000, 640)
                ) -> DocumentWidget:
    """A document widget on ``doc``, shown at 100% zoom with the graph's items in view."""
    editor = DocumentWidget(doc)
    qtbot.addWidget(editor)
    editor.resize(*size)
    editor.show()
    qtbot.waitExposed(editor)
    view = editor.current_view
    assert view is not None
    # The first look at a graph (view.show_start) waits for the event loop: let it pass, so
    # that it does not change the zoom under the test's mouse.
    QApplication.processEvents()
    view.reset_zoom()
    rect = view.canvas.content_rect()
    view.centerOn(rect.center() if not rect.isEmpty() else QPointF(0, 0))
    return editor


class StatusLog:
    """Records what a document widget says in the status bar."""

    def __init__(self, editor: DocumentWidget) -> None:
        self.messages: list[tuple[str, bool]] = []
        editor.status_message.connect(lambda text, error: self.messages.append((text, error)))

    @property
    def errors(self) -> list[str]:
        return [text for text, error in self.messages if error]
