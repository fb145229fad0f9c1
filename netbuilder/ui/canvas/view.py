"""The view onto a canvas scene: zoom, pan, fit, a grid, and drops from the palette."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QLineF, QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from netbuilder.ui import theme
from netbuilder.ui.canvas.frame_item import FrameItem
from netbuilder.ui.canvas.geometry import GRID
from netbuilder.ui.canvas.scene import CanvasScene

#: The MIME type the palette puts a block type id in when it is dragged.
BLOCK_MIME = "application/x-netbuilder-block"

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
#: Below this zoom the grid is not drawn: its lines would be a few pixels apart.
GRID_BELOW_ZOOM = 0.35
#: The smallest zoom at which a graph opens: node text stays legible.
READABLE_ZOOM = 0.8
ZOOM_STEP = 1.2


def block_mime_data(type_id: str) -> QMimeData:
    """What the palette's drag carries (tests send the same to drop a block)."""
    data = QMimeData()
    data.setData(BLOCK_MIME, type_id.encode("utf-8"))
    data.setText(type_id)
    return data


class CanvasView(QGraphicsView):
    """Shows one :class:`CanvasScene`.

    Signals:
        block_dropped(type_id, scene_pos): a palette block was dropped on the canvas.
        zoom_changed(factor): the zoom level changed (1.0 = 100%).
    """

    block_dropped = Signal(str, QPointF)
    zoom_changed = Signal(float)

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self._panning = False
        self._pan_start = QPointF()
        self._space_held = False
        self._frames_before_band: set[str] = set()
        #: Called with a scene position when Tab asks for the quick-add popup.
        self.quick_add: Callable[[QPointF], None] | None = None
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        # Keys zoom about the centre; the wheel zooms about the mouse (zoom_at).
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # A large scene rect lets the user pan beyond the items, as on paper.
        self.setSceneRect(QRectF(-20000, -20000, 40000, 40000))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)

    # ----- zoom ---------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        scale = factor / self.zoom
        if not math.isclose(scale, 1.0):
            self.scale(scale, scale)
            self._zoomed()

    def _zoomed(self) -> None:
        self.canvas.set_detail(self.zoom)
        self.zoom_changed.emit(self.zoom)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit(self, rect: QRectF | None = None) -> None:
        """Shows ``rect`` (default: every item) as large as fits, at most at 100%."""
        rect = rect if rect is not None and not rect.isEmpty() else self.canvas.content_rect()
        if rect.isEmpty():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-60, -60, 60, 60)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.set_zoom(1.0)
        elif self.zoom < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM)
        self.centerOn(rect.center())
        self._zoomed()

    def show_start(self) -> None:
        """The first look at a graph: all of it if it fits readably, else its inputs."""
        rect = self.canvas.content_rect()
        self.fit()
        if rect.isEmpty() or self.zoom >= READABLE_ZOOM:
            return
        self.set_zoom(READABLE_ZOOM)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        self.centerOn(rect.left() - 40 + visible.width() / 2, rect.center().y())

    def center_on_node(self, node_id: str) -> None:
        item = self.canvas.node_items.get(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            super().wheelEvent(event)
            return
        self.zoom_at(self.zoom * (ZOOM_STEP ** (delta / 120)), event.position())
        event.accept()

    def zoom_at(self, factor: float, viewport_pos: QPointF) -> None:
        """Zooms so that the scene point under ``viewport_pos`` stays there (the wheel).

        Qt's own AnchorUnderMouse anchors at the last mouse *move*, which a wheel turned
        without moving the mouse (or a test's wheel event) does not update.
        """
        held = self.mapToScene(viewport_pos.toPoint())
        self.set_zoom(factor)
        self.pan_by(QPointF(viewport_pos.toPoint() - self.mapFromScene(held)))

    # ----- panning ------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space_held):
            self._panning = True
            self._pan_start = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        # Frames selected before a Ctrl + rubber band stay selected; see _keep_frames_whole.
        adding = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        self._frames_before_band = set(self.canvas.selected_frame_ids()) if adding else set()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning:
            self.pan_by(event.position() - self._pan_start)
            self._pan_start = event.position()
            event.accept()
            return
        super().mouseMoveEvent(event)
        band = self.rubberBandRect()
        if not band.isEmpty():
            self._keep_frames_whole(self.mapToScene(band).boundingRect())

    def pan_by(self, delta: QPointF) -> None:
        """Moves the view by ``delta`` viewport pixels (the canvas follows the hand)."""
        self.horizontalScrollBar().setValue(round(self.horizontalScrollBar().value() - delta.x()))
        self.verticalScrollBar().setValue(round(self.verticalScrollBar().value() - delta.y()))

    def _keep_frames_whole(self, band: QRectF) -> None:
        """A rubber band takes a frame only when it holds all of it: dragging a band over
        the nodes in a frame selects those nodes, not their frame."""
        for item in self.canvas.selectedItems():
            if isinstance(item, FrameItem) and item.frame.id not in self._frames_before_band \
                    and not band.contains(item.mapRectToScene(item.rect())):
                item.setSelected(False)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning and event.button() in (Qt.MouseButton.MiddleButton,
                                                Qt.MouseButton.LeftButton):
            self._panning = False
            self.setCursor(Qt.CursorShape.OpenHandCursor if self._space_held
                           else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Tab and self.quick_add is not None:
            self.quick_add(self.mapToScene(self.mapFromGlobal(self.cursor().pos())))
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab opens quick-add on the canvas instead of moving the focus away.
        return False

    # ----- drops from the palette ---------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if not data.hasFormat(BLOCK_MIME):
            event.ignore()
            return
        type_id = bytes(data.data(BLOCK_MIME).data()).decode("utf-8", "replace")
        self.block_dropped.emit(type_id, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    # ----- background ---------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        colours = theme.current()
        painter.fillRect(rect, colours.canvas)
        if self.zoom < GRID_BELOW_ZOOM:
            return  # a grid this dense is noise
        for step, colour in ((GRID * 2, colours.grid_minor), (GRID * 10, colours.grid_major)):
            painter.setPen(QPen(colour, 0))
            painter.drawLines(_grid_lines(rect, step))


def _grid_lines(rect: QRectF, step: float) -> list[QLineF]:
    """The vertical and horizontal grid lines through ``rect``, ``step`` apart."""
    lines = []
    x = math.floor(rect.left() / step) * step
    while x < rect.right():
        lines.append(QLineF(x, rect.top(), x, rect.bottom()))
        x += step
    y = math.floor(rect.top() / step) * step
    while y < rect.bottom():
        lines.append(QLineF(rect.left(), y, rect.right(), y))
        y += step
    return lines
