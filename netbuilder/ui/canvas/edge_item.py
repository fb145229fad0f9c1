"""A wire: an S-shaped curve from an output port to an input port, labelled with its shape."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle, QStyleOptionGraphicsItem

from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import NO_TEXT_BELOW_ZOOM


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A cubic curve that leaves ``start`` and reaches ``end`` horizontally."""
    path = QPainterPath(start)
    reach = max(40.0, abs(end.x() - start.x()) * 0.5, min(120.0, abs(end.y() - start.y())))
    path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y()), end)
    return path


class WireLabelMixin:
    """Draws a small rounded label with the wire's tensor shape at its middle."""

    label: str

    def paint_label(self, painter: QPainter, path: QPainterPath, zoom: float) -> None:
        if not self.label or zoom < NO_TEXT_BELOW_ZOOM * 2:
            return
        colours = theme.current()
        font = QFont(painter.font())
        font.setPointSizeF(8)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        middle = path.pointAtPercent(0.5)
        width = metrics.horizontalAdvance(self.label) + 10
        box = QRectF(middle.x() - width / 2, middle.y() - 9, width, 18)
        painter.setPen(QPen(colours.node_border, 1.0))
        painter.setBrush(QBrush(colours.wire_label_bg))
        painter.drawRoundedRect(box, 9, 9)
        painter.setPen(colours.wire_label_text)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


class EdgeItem(WireLabelMixin, QGraphicsPathItem):
    """The canvas face of one edge. The scene moves its ends and sets its label."""

    def __init__(self, edge_id: str) -> None:
        super().__init__()
        self.edge_id = edge_id
        self.label = ""
        self.broken = False
        self.start = QPointF()
        self.end = QPointF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.start, self.end = start, end
        self.setPath(wire_path(start, end))

    def set_label(self, label: str, broken: bool = False) -> None:
        if (label, broken) != (self.label, self.broken):
            self.label, self.broken = label, broken
            self.update()

    def shape(self) -> QPainterPath:
        # A wire is thin: give it a wider invisible band so that it is easy to click.
        stroker = QPainterPathStroker()
        stroker.setWidth(12)
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:
        return self.path().boundingRect().adjusted(-60, -14, 60, 14)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        colour = colours.wire_selected if selected else colours.wire
        if self.broken and not selected:
            colour = colours.error
        pen = QPen(colour, 2.6 if selected or hovered else 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        self.paint_label(painter, self.path(),
                         option.levelOfDetailFromTransform(painter.worldTransform()))


class DraftWire(WireLabelMixin, QGraphicsPathItem):
    """The wire that follows the mouse while the user draws a connection."""

    def __init__(self) -> None:
        super().__init__()
        self.label = ""
        self.setZValue(5)

    def boundingRect(self) -> QRectF:
        return self.path().boundingRect().adjusted(-60, -14, 60, 14)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        pen = QPen(colours.wire_selected, 2.0, Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        self.paint_label(painter, self.path(),
                         option.levelOfDetailFromTransform(painter.worldTransform()))
