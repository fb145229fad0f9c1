"""A comment frame: a tinted box with a title and a note, drawn behind the nodes.

Only the frame's title bar and its rim catch the mouse: a press inside the frame falls
through to the canvas, so that a rubber band can select the nodes inside a frame without
taking the frame along. Dragging the title bar moves the frame and the nodes inside it (the
scene moves those); the handle at the bottom-right corner resizes it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyle,
    QStyleOptionGraphicsItem,
)

from netbuilder.core.graph import Frame
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import GRID, snap

TITLE_HEIGHT = 30.0
HANDLE = 16.0
#: How wide the rim is that grabs the frame (scene units).
RIM = 6.0
MIN_SIZE = (120.0, 70.0)
#: The on-screen size of a frame's title, in pixels, at any zoom (see _paint_title).
TITLE_PIXELS = 14.0
#: Below this zoom the title stops growing (the view's smallest zoom).
MIN_TITLE_ZOOM = 0.1
#: Below this zoom the title goes above the frame, at TITLE_PIXELS on screen.
TITLE_ABOVE_BELOW_ZOOM = 0.45


class FrameItem(QGraphicsObject):
    """The canvas face of one frame; it reads the model and never changes it."""

    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame
        self.size = (frame.rect[2], frame.rect[3])
        self.resizing = False
        self._placing = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setZValue(-10)
        self.refresh(frame)

    def refresh(self, frame: Frame) -> None:
        self.prepareGeometryChange()
        self.frame = frame
        x, y, width, height = frame.rect
        self.size = (width, height)
        self._placing = True
        try:
            self.setPos(QPointF(x, y))
        finally:
            self._placing = False
        self.setToolTip(f"<b>{frame.title}</b><br>{frame.text}" if frame.text else frame.title)
        self.update()

    def scene_rect(self) -> tuple[float, float, float, float]:
        return (self.pos().x(), self.pos().y(), self.size[0], self.size[1])

    def rect(self) -> QRectF:
        return QRectF(0, 0, *self.size)

    def boundingRect(self) -> QRectF:
        # Room above for the title, which is drawn there when zoomed out.
        return self.rect().adjusted(-2, -TITLE_PIXELS / MIN_TITLE_ZOOM * 1.4 - 2, 2, 2)

    def handle_rect(self) -> QRectF:
        width, height = self.size
        return QRectF(width - HANDLE, height - HANDLE, HANDLE, HANDLE)

    def title_rect(self) -> QRectF:
        return QRectF(0, 0, self.size[0], TITLE_HEIGHT)

    def shape(self) -> QPainterPath:
        """The title bar, the rim and the resize handle: the parts that catch the mouse."""
        outer = QPainterPath()
        outer.addRect(self.rect())
        inner = QPainterPath()
        inner.addRect(self.rect().adjusted(RIM, TITLE_HEIGHT, -RIM, -RIM))
        handle = QPainterPath()
        handle.addRect(self.handle_rect())
        return outer.subtracted(inner).united(handle)

    def grips(self, pos: QPointF) -> bool:
        """Whether a press at ``pos`` (item coordinates) takes the frame."""
        return self.shape().contains(pos)

    # ----- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        tint = colours.frame(self.frame.color)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(tint)
        fill.setAlpha(34)
        rect = self.rect()
        painter.setBrush(QBrush(fill))
        width = (2.0 if selected else 1.2) / min(1.0, max(zoom, 0.1))
        painter.setPen(QPen(colours.selection if selected else tint, width))
        painter.drawRoundedRect(rect, 8, 8)
        title_height = self._paint_title(painter, colours, tint, zoom)
        if self.frame.text and zoom >= 0.45:
            font = QFont(painter.font())
            font.setBold(False)
            font.setPointSizeF(9)
            painter.setFont(font)
            painter.setPen(colours.node_subtle)
            painter.drawText(QRectF(12, title_height, rect.width() - 24,
                                    max(0.0, rect.height() - title_height - HANDLE)),
                             Qt.TextFlag.TextWordWrap, self.frame.text)
        painter.setPen(QPen(tint, 1.6))
        corner = self.handle_rect()
        for step in (4, 8, 12):
            painter.drawLine(QPointF(corner.right() - step, corner.bottom() - 3),
                             QPointF(corner.right() - 3, corner.bottom() - step))

    def _paint_title(self, painter: QPainter, colours: theme.Theme, tint: QColor,
                     zoom: float) -> float:
        """Draws the title bar and returns its height.

        Zoomed out, the title keeps its size on screen: once it no longer fits the bar it
        is drawn above the frame, where it hides no block (and names the area from afar).
        """
        band = QPainterPath()
        band.addRoundedRect(QRectF(0, 0, self.size[0], TITLE_HEIGHT), 8, 8)
        square = QPainterPath()
        square.addRect(QRectF(0, TITLE_HEIGHT / 2, self.size[0], TITLE_HEIGHT / 2))
        strip = QColor(tint)
        strip.setAlpha(70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(strip))
        painter.drawPath(band.united(square))
        pixels = TITLE_PIXELS / max(zoom, MIN_TITLE_ZOOM)
        inside = zoom >= TITLE_ABOVE_BELOW_ZOOM
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(round(min(max(pixels, 15.0), TITLE_HEIGHT * 0.6) if inside else pixels))
        painter.setFont(font)
        painter.setPen(tint.lighter(150) if colours.name == "dark" else tint.darker(140))
        text = QFontMetricsF(font).elidedText(self.frame.title, Qt.TextElideMode.ElideRight,
                                              self.size[0] - 24)
        if inside:
            box = QRectF(12, 0, self.size[0] - 24, TITLE_HEIGHT)
            align = Qt.AlignmentFlag.AlignVCenter
        else:
            box = QRectF(4, -pixels * 1.4, self.size[0] - 8, pixels * 1.4)
            align = Qt.AlignmentFlag.AlignBottom
        painter.drawText(box, align | Qt.AlignmentFlag.AlignLeft, text)
        return TITLE_HEIGHT

    # ----- mouse ------------------------------------------------------------------------------
    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        on_handle = self.handle_rect().contains(event.pos())
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if on_handle
                       else Qt.CursorShape.SizeAllCursor)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.handle_rect().contains(event.pos()):
            self.resizing = True
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.resizing:
            self.prepareGeometryChange()
            self.size = (max(MIN_SIZE[0], snap(event.pos().x())),
                         max(MIN_SIZE[1], snap(event.pos().y())))
            self.update()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.resizing:
            self.resizing = False
            scene = self.scene()
            if scene is not None and hasattr(scene, "frame_item_resized"):
                scene.frame_item_resized(self)
            return
        super().mouseReleaseEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._placing:
            scene = self.scene()
            if scene is not None and getattr(scene, "snapping", False):
                return QPointF(snap(value.x(), GRID), snap(value.y(), GRID))
        return super().itemChange(change, value)
