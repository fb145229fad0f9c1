"""The far level of detail: the whole graph drawn by one item, when blocks are specks.

Zoomed out below :data:`OVERVIEW_BELOW_ZOOM`, a block shows no text and a wire no label, but
a thousand items each painting themselves still cost a thousand Python calls per frame. Then
the scene hands the drawing to one :class:`OverviewLayer`: its paint draws every wire as one
path and the blocks as one path per colour, and the items themselves paint nothing (they stay
in the scene, so that clicks, rubber bands and drags work as before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from netbuilder.ui import theme
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.geometry import NO_TEXT_BELOW_ZOOM
from netbuilder.ui.canvas.node_item import BYPASSED, NodeItem, RerouteItem

#: Below this zoom the overview layer draws the graph (blocks show no text there anyway).
OVERVIEW_BELOW_ZOOM = NO_TEXT_BELOW_ZOOM
#: How far beyond its blocks the layer reaches (wires loop below blocks; badges stick out).
MARGIN = 200.0


class DrawnGraph(Protocol):
    """What the layer draws from: the items of a scene's blocks and wires."""

    @property
    def node_items(self) -> Mapping[str, NodeItem]:
        """The blocks' items by node id."""

    @property
    def edge_items(self) -> Mapping[str, EdgeItem]:
        """The wires' items by edge id."""


class OverviewLayer(QGraphicsItem):
    """Draws all blocks and wires of a scene in one paint call; see the module docstring."""

    def __init__(self, scene: DrawnGraph) -> None:
        super().__init__()
        self._scene = scene
        self._dirty = True
        self._bounds = QRectF()
        self._wires = QPainterPath()
        self._blocks: dict[str, QPainterPath] = {}
        self._marked: dict[str, QPainterPath] = {}
        self.setZValue(0.5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)

    def show_for(self, far: bool) -> None:
        """Takes over the drawing (``far``) or hands it back to the items."""
        if far:
            self._dirty = True
            self._fit_bounds()
        self.setVisible(far)

    def invalidate(self) -> None:
        """Something drawn changed: the paths are rebuilt at the next paint, once."""
        self._dirty = True
        if self.isVisible():
            self.update()

    def include(self, rect: QRectF) -> None:
        """Grows the layer to hold ``rect`` (a block moved or was added out there)."""
        if self.isVisible() and not self._bounds.contains(rect):
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN))

    def _fit_bounds(self) -> None:
        rect = QRectF()
        for item in self._scene.node_items.values():
            rect = rect.united(item.sceneBoundingRect())
        self.prepareGeometryChange()
        # The margin holds wires that loop below their blocks (see wire_path).
        self._bounds = rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def _rebuild(self) -> None:
        colours = theme.current()
        scene = self._scene
        wires = QPainterPath()
        for edge in scene.edge_items.values():
            if edge.isVisible():
                wires.addPath(edge.wire_path())
        blocks: dict[str, QPainterPath] = {}
        marked = {"selected": QPainterPath(), "error": QPainterPath()}
        for item in scene.node_items.values():
            if isinstance(item, RerouteItem):
                continue  # a bend in a wire: the wire drawn through it is all there is to see
            rect = item.mapRectToScene(item.body_rect())
            # A bypassed block is grey, as up close: it computes nothing.
            colour = BYPASSED if item.node.bypassed else colours.category(item.category).name()
            blocks.setdefault(colour, QPainterPath()).addRect(rect)
            for mark, on in (("selected", item.isSelected()), ("error", item.has_error)):
                if on:
                    marked[mark].addRect(rect)
        self._wires, self._blocks, self._marked = wires, blocks, marked
        self._dirty = False

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        if self._dirty:
            self._rebuild()
        colours = theme.current()
        # Blocks are a few pixels here: anti-aliasing would cost most of the frame and show
        # nothing (aliased hairlines and rectangles take Qt's fast paths).
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(_hairline(colours.wire, 1.0))
        painter.drawPath(self._wires)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, path in self._blocks.items():
            painter.setBrush(QBrush(QColor(colour).darker(125) if colours.name == "dark"
                                    else QColor(colour)))
            painter.drawPath(path)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for mark, mark_colour, width in (("error", colours.error, 2.0),
                                         ("selected", colours.selection, 2.0)):
            painter.setPen(_hairline(mark_colour, width))
            painter.drawPath(self._marked[mark])


def _hairline(colour: QColor, width: float) -> QPen:
    """A pen as wide on screen at any zoom."""
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    return pen
