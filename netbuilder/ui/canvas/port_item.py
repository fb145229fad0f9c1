"""A port: the round handle where wires start (outputs, right) and end (inputs, left).

An idle port is drawn by its node, into the node's cached picture: a graph of 1,000 blocks
has 2,000 ports, and painting each as an item of its own costs more than the blocks do. The
port item itself only catches the mouse, and paints while it is *active*: under the mouse,
or judged by a wire being dragged over it (green: fits; red: refused).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent, QStyleOptionGraphicsItem

from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import PORT_RADIUS

#: How far beyond its drawn circle a port still catches the mouse.
HIT_MARGIN = 4.0
GOOD = QColor("#4caf50")


def paint_port(painter: QPainter, centre: QPointF, radius: float, connected: bool,
               fill: QColor | None = None) -> None:
    """A port as a ring (free) or a dot (wired, or ``fill`` given: active)."""
    colours = theme.current()
    if connected or fill is not None:
        painter.setPen(QPen(colours.node_body, 1.5))
        painter.setBrush(QBrush(fill or colours.port))
    else:
        # A free port is a ring: it reads as "something can plug in here".
        painter.setPen(QPen(colours.port, 2.0))
        painter.setBrush(QBrush(colours.node_body))
    painter.drawEllipse(centre, radius, radius)


class PortItem(QGraphicsItem):
    """One input or output port of a node item.

    Attributes:
        node_id: the node the port belongs to.
        name: the port name (``x``, ``y``, ``mu``...).
        is_output: True for an output port (a wire starts here).
        radius: the drawn radius; the mouse is caught :data:`HIT_MARGIN` beyond it.
        connected: a wire is attached (drawn filled).
        verdict: None, ``"good"`` or ``"bad"`` while a wire is dragged over the port.
        drawn_by_node: the node paints the idle port (False for a reroute point's ports,
            which only show while active).
    """

    def __init__(self, parent: QGraphicsItem, node_id: str, name: str, is_output: bool,
                 radius: float = PORT_RADIUS, drawn_by_node: bool = True) -> None:
        super().__init__(parent)
        self.node_id = node_id
        self.name = name
        self.is_output = is_output
        self.radius = radius
        self.connected = False
        self.verdict: str | None = None
        self.drawn_by_node = drawn_by_node
        self._hovered = False
        reach = radius + HIT_MARGIN
        self._bounds = QRectF(-reach, -reach, 2 * reach, 2 * reach)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        self._sync_contents()

    @property
    def active(self) -> bool:
        return self._hovered or self.verdict is not None

    def boundingRect(self) -> QRectF:
        return self._bounds

    def scene_anchor(self) -> QPointF:
        """Where wires attach, in scene coordinates."""
        return self.scenePos()

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            parent = self.parentItem()
            if parent is not None:
                parent.update()  # the node draws the idle port

    def set_verdict(self, verdict: str | None) -> None:
        if verdict != self.verdict:
            self.verdict = verdict
            self._sync_contents()

    def _sync_contents(self) -> None:
        # Idle: no contents, so Qt skips this item when painting (the node drew it).
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not self.active)
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        if not self.active:
            return
        colours = theme.current()
        fill = colours.port_hover if self._hovered else colours.port
        if self.verdict == "good":
            fill = GOOD
        elif self.verdict == "bad":
            fill = colours.error
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_port(painter, QPointF(0, 0), self.radius + 1.5, True, fill)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered = True
        self._sync_contents()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self._hovered = False
        self._sync_contents()
