"""The view onto a canvas scene: zoom, pan, fit, a grid, and drops from the palette."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import SupportsFloat, TypeGuard

from PySide6.QtCore import QLineF, QMimeData, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from netbuilder.core.layout import FIT_MARGIN as LAYOUT_FIT_MARGIN
from netbuilder.ui import theme
from netbuilder.ui.canvas.frame_item import FrameItem
from netbuilder.ui.canvas.geometry import GRID
from netbuilder.ui.canvas.scene import CanvasScene

#: The MIME type the palette puts a block type id in when it is dragged.
BLOCK_MIME = "application/x-netbuilder-block"

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
#: Below this zoom the grid is not drawn: its lines would be a few pixels apart.
GRID_BELOW_ZOOM = 0.35
#: The blank kept around a fitted graph, in pixels (the layout plans with the same).
FIT_MARGIN = round(LAYOUT_FIT_MARGIN)
ZOOM_STEP = 1.2
#: The key of the file's view section under which each canvas keeps its zoom and centre.
VIEW_KEY = "canvas"


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
        # Fitting the graph at each resize, until the user zooms or pans (the first fit
        # can come before the window has its final size).
        self._fitting = False
        self._started = False
        self._restored: dict[str, object] | None = None
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
        # The grid is drawn once into a pixmap and blitted: without it, each repainted block
        # (a preview thumbnail, every 2 s while a run trains) rebuilt the grid lines over the
        # bounding rect of all the repainted ones, about 2 ms of Python a paint. Qt redraws
        # the cache when the view zooms and extends it when it scrolls; a theme change
        # resets it (MainWindow._repaint_for_theme).
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
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
        self._touched()
        self.set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._touched()
        self.set_zoom(self.zoom / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self._touched()
        self.set_zoom(1.0)

    def fit(self, rect: QRectF | None = None) -> None:
        """Shows ``rect`` (default: every item) as large as fits, at most at 100%."""
        rect = rect if rect is not None and not rect.isEmpty() else self.canvas.content_rect()
        if rect.isEmpty():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        area = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        if area.width() <= 0 or area.height() <= 0:
            area = self.viewport().rect()
        # The margin is in pixels: a fixed margin in scene units cost a large graph a tenth of
        # its zoom for blank canvas.
        factor = min(area.width() / rect.width(), area.height() / rect.height())
        self.set_zoom(min(1.0, factor))
        self.centerOn(rect.center())
        self._zoomed()

    def show_start(self) -> None:
        """The first look at a graph: the view its file was saved with, else the whole of it
        (the layout folds a long network into bands so that the whole reads). Until the
        user zooms or pans, a resized window fits the graph again."""
        self._started = True
        if not self.restore_state(self._saved_state()):
            self.fit()
            self._fitting = True

    # ----- the view saved with the file ---------------------------------------------------------
    def view_state(self) -> dict[str, object]:
        """Where the view looks: ``{"zoom": 0.75, "centre": [x, y]}`` (for the file's view
        section). A restored view nobody moved gives back exactly what it was given, so
        that saving an unchanged document writes the same bytes."""
        saved = self._saved_state()
        if not self._started and isinstance(saved, dict):
            return dict(saved)  # saved again before it was even shown
        centre = self.mapToScene(self.viewport().rect().center())
        state: dict[str, object] = {"zoom": round(self.zoom, 3),
                                    "centre": [round(centre.x()), round(centre.y())]}
        restored = self._restored
        if restored is not None and _same_view(state, restored):
            return dict(restored)
        return state

    def _saved_state(self) -> object:
        saved = self.canvas.doc.view.get(VIEW_KEY, {})
        return saved.get(self.canvas.graph_name) if isinstance(saved, dict) else None

    def restore_state(self, state: object) -> bool:
        """Shows what :meth:`view_state` gave; False (and no change) if ``state`` is not one."""
        if not isinstance(state, dict):
            return False
        zoom, centre = state.get("zoom"), state.get("centre")
        if not (_is_number(zoom) and isinstance(centre, list) and len(centre) == 2
                and all(_is_number(v) for v in centre)):
            return False
        self.set_zoom(float(zoom))
        self.centerOn(float(centre[0]), float(centre[1]))
        self._restored = {"zoom": zoom, "centre": list(centre)}
        self._fitting = False
        return True

    def _touched(self) -> None:
        """The user moved the view: a resize no longer fits the graph again."""
        self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitting:
            self.fit()

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
        self._touched()
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
        self._touched()
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
            # The wire the block would go into lights up before the drop.
            pos = self.mapToScene(event.position().toPoint())
            splices = self._splices(_block_type(event.mimeData()))
            self.canvas.show_insertion(self.canvas.wire_under(pos) if splices else None)
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.canvas.show_insertion(None)
        super().dragLeaveEvent(event)

    def _splices(self, type_id: str) -> bool:
        """Whether a new block of ``type_id`` has an input and an output (it can go into a
        wire)."""
        spec = self.canvas.doc.catalogue.get(type_id)
        if spec is None:
            return False
        params = spec.default_params()
        return bool(spec.input_ports(params)) and bool(spec.output_ports(params))

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        self.canvas.show_insertion(None)
        if not data.hasFormat(BLOCK_MIME):
            event.ignore()
            return
        type_id = _block_type(data)
        self.block_dropped.emit(type_id, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    # ----- background ---------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        rect = QRectF(rect)  # Qt passes a QRectF; the stubs allow a QRect too
        colours = theme.current()
        painter.fillRect(rect, colours.canvas)
        if self.zoom < GRID_BELOW_ZOOM:
            return  # a grid this dense is noise
        for step, colour in ((GRID * 2, colours.grid_minor), (GRID * 10, colours.grid_major)):
            painter.setPen(QPen(colour, 0))
            painter.drawLines(_grid_lines(rect, step))


def _block_type(data: QMimeData) -> str:
    return bytes(data.data(BLOCK_MIME).data()).decode("utf-8", "replace")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _same_view(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two view states differ by no more than rounding (a zoom step of 0.001, a
    scroll step of a pixel or two)."""
    try:
        zoom_a, zoom_b = _as_float(a["zoom"]), _as_float(b["zoom"])
        centre_a, centre_b = _as_floats(a["centre"]), _as_floats(b["centre"])
        return (abs(zoom_a - zoom_b) <= 0.0015
                and all(abs(p - q) <= 2.0 / max(zoom_a, 0.1)
                        for p, q in zip(centre_a, centre_b, strict=True)))
    except (KeyError, TypeError, ValueError):
        return False


def _as_float(value: object) -> float:
    """A view state's number as a float; TypeError if it is none."""
    if not isinstance(value, SupportsFloat | str):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _as_floats(values: object) -> list[float]:
    """A view state's list of numbers as floats; TypeError if it is none."""
    if not isinstance(values, list | tuple):
        raise TypeError(f"not a list: {values!r}")
    return [_as_float(value) for value in values]


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
