"""A comment frame: a tinted box with a title and a note, drawn behind the nodes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsSceneMouseEvent,
    QStyle,
    QStyleOptionGraphicsItem,
)

from netbuilder.core.graph import Frame
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import snap

TITLE_HEIGHT = 28.0
HANDLE = 14.0
MIN_SIZE = (120.0, 70.0)


class FrameItem(QGraphicsObject):
    """The canvas face of one frame. Dragging it moves the nodes inside (the scene does that);
    the handle at the bottom-right corner resizes it."""

    def __init__(self, frame: Frame) -> None:
        super().__init__()
        self.frame = frame
        self.size = (frame.rect[2], frame.rect[3])
        self.resizing = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(-10)
        self.refresh(frame)

    def refresh(self, frame: Frame) -> None:
        self.prepareGeometryChange()
        self.frame = frame
        x, y, width, height = frame.rect
        self.size = (width, height)
        self.setPos(QPointF(x, y))
        self.setToolTip(frame.text)
        self.update()

    def scene_rect(self) -> tuple[float, float, float, float]:
        return (self.pos().x(), self.pos().y(), self.size[0], self.size[1])

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, *self.size).adjusted(-2, -2, 2, 2)

    def handle_rect(self) -> QRectF:
        width, height = self.size
        return QRectF(width - HANDLE, height - HANDLE, HANDLE, HANDLE)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        tint = colours.frame(self.frame.color)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(tint)
        fill.setAlpha(38)
        painter.setBrush(QBrush(fill))
        painter.setPen(QPen(colours.selection if selected else tint, 1.6 if selected else 1.0))
        rect = QRectF(0, 0, *self.size)
        painter.drawRoundedRect(rect, 8, 8)
        font = QFont(painter.font())
        font.setPointSizeF(11)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(tint.lighter(130) if colours.name == "dark" else tint.darker(130))
        painter.drawText(QRectF(12, 0, rect.width() - 24, TITLE_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         self.frame.title)
        if self.frame.text:
            font.setBold(False)
            font.setPointSizeF(9)
            painter.setFont(font)
            painter.setPen(colours.node_subtle)
            painter.drawText(QRectF(12, TITLE_HEIGHT, rect.width() - 24, 40),
                             Qt.TextFlag.TextWordWrap, self.frame.text)
        painter.setPen(QPen(tint, 1.4))
        corner = self.handle_rect()
        for step in (4, 8):
            painter.drawLine(QPointF(corner.right() - step, corner.bottom() - 2),
                             QPointF(corner.right() - 2, corner.bottom() - step))

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
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and getattr(scene, "snapping", False):
                return QPointF(snap(value.x()), snap(value.y()))
        return super().itemChange(change, value)
