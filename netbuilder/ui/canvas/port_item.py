"""A port: the round handle where wires start (outputs, right) and end (inputs, left)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent, QStyleOptionGraphicsItem

from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import PORT_RADIUS


class PortItem(QGraphicsItem):
    """One input or output port of a node item.

    Attributes:
        node_id: the node the port belongs to.
        name: the port name (``x``, ``y``, ``mu``...).
        is_output: True for an output port (a wire starts here).
    """

    def __init__(self, parent: QGraphicsItem, node_id: str, name: str, is_output: bool) -> None:
        super().__init__(parent)
        self.node_id = node_id
        self.name = name
        self.is_output = is_output
        self.connected = False
        #: None, "good" or "bad" while a wire is dragged over the port.
        self.verdict: str | None = None
        self._hovered = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:
        reach = PORT_RADIUS + 4
        return QRectF(-reach, -reach, 2 * reach, 2 * reach)

    def scene_anchor(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        radius = PORT_RADIUS + (1.5 if self._hovered or self.verdict else 0.0)
        fill = colours.port_hover if self._hovered else colours.port
        if self.verdict == "good":
            fill = QColor("#4caf50")
        elif self.verdict == "bad":
            fill = colours.error
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colours.node_body, 1.5))
        painter.setBrush(QBrush(fill if self.connected or self._hovered or self.verdict
                                else colours.node_body))
        if not (self.connected or self._hovered or self.verdict):
            painter.setPen(QPen(fill, 2.0))
        painter.drawEllipse(QPointF(0, 0), radius, radius)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered = False
        self.update()

    def set_verdict(self, verdict: str | None) -> None:
        if verdict != self.verdict:
            self.verdict = verdict
            self.update()
