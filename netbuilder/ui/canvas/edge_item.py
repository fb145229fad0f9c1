"""A wire: an S-shaped curve from an output port to an input port, labelled with its shape.

A wire whose curve would cross a block, or that runs backwards, is routed around the blocks
instead (:mod:`.routing`) and drawn as straight runs with rounded corners.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle, QStyleOptionGraphicsItem

from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import NO_LABEL_BELOW_ZOOM, SIMPLE_BELOW_ZOOM
from netbuilder.ui.canvas.routing import Point, Rect, Segment, path_hits, route

#: How far below its ends a backward wire loops (it clears a block's height).
BACKWARD_SAG = 110.0
#: How round a routed wire's corners are, at most.
CORNER_RADIUS = 12.0
#: A wire whose input lies this far left of its output counts as running backwards.
BACKWARDS = -20.0
#: The widest a refusal note on a draft wire gets, in scene units.
NOTE_WIDTH = 300.0

_LABEL_FONT: QFont | None = None


def _label_font() -> QFont:
    global _LABEL_FONT
    if _LABEL_FONT is None:
        _LABEL_FONT = QFont()
        _LABEL_FONT.setPointSizeF(8)
    return _LABEL_FONT


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A cubic curve that leaves ``start`` and reaches ``end`` horizontally.

    A wire running backwards (its input left of its output) loops below the row, so that it
    does not lie over the blocks between its ends.
    """
    path = QPainterPath(start)
    dx, dy = end.x() - start.x(), end.y() - start.y()
    if dx >= -20.0:
        reach = max(40.0, dx * 0.5, min(120.0, abs(dy)))
        path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y()),
                     end)
        return path
    reach = min(160.0, 60.0 + abs(dx) * 0.15)
    sag = max(0.0, BACKWARD_SAG - abs(dy) / 2)
    below = max(start.y(), end.y()) + sag
    path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(start.x() + reach, below),
                 QPointF(start.x() + dx / 2, below))
    path.cubicTo(QPointF(end.x() - reach, below), QPointF(end.x() - reach, end.y()), end)
    return path


def routed_wire_path(start: QPointF, end: QPointF, blocks: Sequence[Rect] = (),
                     ends: Sequence[Rect] = (), taken: Sequence[Segment] = ()
                     ) -> tuple[QPainterPath, list[Point] | None]:
    """The wire from ``start`` to ``end``, and its corners when it is routed.

    Its curve when that crosses none of ``blocks`` and runs forwards; else a route around
    ``blocks`` and its own ``ends`` (the blocks it attaches to) that keeps off the ``taken``
    runs of other routed wires; else (no route found) the curve after all.
    """
    curve = wire_path(start, end)
    backwards = end.x() - start.x() < BACKWARDS
    if not backwards and not _curve_hits(curve, blocks):
        return curve, None
    corners = route((start.x(), start.y()), (end.x(), end.y()), [*blocks, *ends], taken)
    return (rounded_path(corners), corners) if corners else (curve, None)


def rounded_path(points: Sequence[Point], radius: float = CORNER_RADIUS) -> QPainterPath:
    """Straight runs through ``points`` with each corner rounded (a quarter curve)."""
    path = QPainterPath(QPointF(*points[0]))
    for previous, corner, following in zip(points, points[1:], points[2:], strict=False):
        into = _length(previous, corner)
        out = _length(corner, following)
        r = min(radius, into / 2, out / 2)
        path.lineTo(QPointF(*_towards(corner, previous, r)))
        path.quadTo(QPointF(*corner), QPointF(*_towards(corner, following, r)))
    path.lineTo(QPointF(*points[-1]))
    return path


def path_points(path: QPainterPath) -> list[Point]:
    """A polyline close to ``path`` (curves flattened), for hit tests."""
    return [(polygon.at(i).x(), polygon.at(i).y()) for polygon in path.toSubpathPolygons()
            for i in range(polygon.size())]


def _curve_hits(curve: QPainterPath, blocks: Sequence[Rect]) -> bool:
    """Whether the curve passes through any of ``blocks`` (flattened once, and only when a
    block lies within its control points)."""
    box = curve.controlPointRect()
    # By hand: QRectF.intersects says no for the flat box of a straight wire.
    near = [b for b in blocks if not (box.right() < b[0] or b[2] < box.left()
                                      or box.bottom() < b[1] or b[3] < box.top())]
    if not near:
        return False
    points = path_points(curve)
    return any(path_hits(points, block) for block in near)


def _length(a: Point, b: Point) -> float:
    return abs(b[0] - a[0]) + abs(b[1] - a[1])  # runs are horizontal or vertical


def _towards(corner: Point, other: Point, distance: float) -> Point:
    length = _length(corner, other) or 1.0
    return (corner[0] + (other[0] - corner[0]) * distance / length,
            corner[1] + (other[1] - corner[1]) * distance / length)


class WireLabelMixin:
    """Draws a small rounded label with the wire's tensor shape at its middle."""

    label: str

    def paint_label(self, painter: QPainter, path: QPainterPath, zoom: float,
                    text_colour: QColor | None = None) -> None:
        if not self.label or zoom < NO_LABEL_BELOW_ZOOM:
            return
        colours = theme.current()
        font = _label_font()
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        middle = path.pointAtPercent(0.5)
        width = metrics.horizontalAdvance(self.label) + 10
        box = QRectF(middle.x() - width / 2, middle.y() - 9, width, 18)
        painter.setPen(QPen(colours.node_border, 1.0))
        painter.setBrush(QBrush(colours.wire_label_bg))
        painter.drawRoundedRect(box, 9, 9)
        painter.setPen(text_colour or colours.wire_label_text)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


class EdgeItem(WireLabelMixin, QGraphicsPathItem):
    """The canvas face of one edge. The scene moves its ends and sets its label."""

    def __init__(self, edge_id: str) -> None:
        super().__init__()
        self.edge_id = edge_id
        self.label = ""
        self.broken = False
        #: A dragged block would go into this wire if let go now.
        self.highlighted = False
        self.start = QPointF()
        self.end = QPointF()
        self._obstacles: tuple[tuple[Rect, ...], tuple[Rect, ...], tuple[Segment, ...]] = (
            (), (), ())
        #: The corners of the wire when it is routed around blocks, else None (a curve).
        self.corners: list[Point] | None = None
        self._hit_shape: QPainterPath | None = None
        # Qt asks for the bounding rect of every item on every repaint: computing it from
        # the path each time made a zoomed-out 1,000-block graph paint at half speed.
        self._bounds = QRectF()
        self._path = QPainterPath()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)

    def set_ends(self, start: QPointF, end: QPointF, blocks: Sequence[Rect] = (),
                 ends: Sequence[Rect] = (), taken: Sequence[Segment] = ()) -> None:
        """Draws the wire from ``start`` to ``end``, around ``blocks`` (the other blocks
        near it) and its own ``ends``, off the ``taken`` runs of other routed wires, when it
        has to be routed (see :func:`routed_wire_path`)."""
        obstacles = (tuple(blocks), tuple(ends), tuple(taken))
        if (start == self.start and end == self.end and obstacles == self._obstacles
                and not self.path().isEmpty()):
            return
        self.start, self.end, self._obstacles = start, end, obstacles
        self._hit_shape = None
        path, self.corners = routed_wire_path(start, end, blocks, ends, taken)
        self.prepareGeometryChange()
        self._bounds = path.boundingRect().adjusted(-60, -14, 60, 14)
        self._path = path  # path() hands out a copy on each call
        self.setPath(path)

    def wire_path(self) -> QPainterPath:
        """The wire's curve (without the copy that ``path()`` makes)."""
        return self._path

    def set_highlighted(self, highlighted: bool) -> None:
        if highlighted != self.highlighted:
            self.highlighted = highlighted
            self.update()

    def set_label(self, label: str, broken: bool = False) -> None:
        if (label, broken) != (self.label, self.broken):
            self.label, self.broken = label, broken
            self.update()

    def shape(self) -> QPainterPath:
        # A wire is thin: give it a wider invisible band so that it is easy to click. Hit
        # tests ask for it often (hover, rubber band), so it is made once per path.
        if self._hit_shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._hit_shape = stroker.createStroke(self._path)
        return self._hit_shape

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        colour = colours.wire_selected if selected or self.highlighted else colours.wire
        if self.highlighted:
            # The wire a dragged block would go into: thick, in the selection colour.
            pen = QPen(colour, 5.0)
            pen.setCosmetic(zoom < SIMPLE_BELOW_ZOOM)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        elif zoom < SIMPLE_BELOW_ZOOM:
            # Far away: a hairline as wide on screen at any zoom, cheap to stroke.
            pen = QPen(colour, 2.0 if selected else 1.0)
            pen.setCosmetic(True)
        else:
            pen = QPen(colour, 2.6 if selected or hovered else 1.8)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.broken:
            # No known shape (something upstream is wrong): dashed, not red, so that the
            # red stays on the block that causes the problem.
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        self.paint_label(painter, self._path, zoom)


class DraftWire(WireLabelMixin, QGraphicsPathItem):
    """The wire that follows the mouse while the user draws a connection.

    It is dashed while it looks for a port; over a port that refuses it, it turns red and
    says why beside its end (the status bar says it too).
    """

    def __init__(self) -> None:
        super().__init__()
        self.label = ""
        self.reason: str | None = None
        self.setZValue(5)

    @property
    def refused(self) -> bool:
        return self.reason is not None

    def set_reason(self, reason: str | None) -> None:
        """Why the port under the wire's end refuses it (None: it does not)."""
        if reason != self.reason:
            self.prepareGeometryChange()
            self.reason = reason
            self.update()

    def _note_rect(self) -> QRectF:
        end = self.path().currentPosition()
        metrics = QFontMetricsF(_label_font())
        text = metrics.boundingRect(QRectF(0, 0, NOTE_WIDTH - 16, 400),
                                    int(Qt.TextFlag.TextWordWrap), self.reason or "")
        return QRectF(end.x() + 14, end.y() + 14, text.width() + 16, text.height() + 10)

    def boundingRect(self) -> QRectF:
        rect = self.path().boundingRect().adjusted(-60, -14, 60, 14)
        return rect.united(self._note_rect().adjusted(-2, -2, 2, 2)) if self.reason else rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        colour = colours.error if self.refused else colours.wire_selected
        pen = QPen(colour, 2.0, Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        self.paint_label(painter, self.path(),
                         option.levelOfDetailFromTransform(painter.worldTransform()),
                         colours.error if self.refused else None)
        if self.reason:
            self._paint_note(painter, colours)

    def _paint_note(self, painter: QPainter, colours: theme.Theme) -> None:
        note = self._note_rect()
        painter.setPen(QPen(colours.error, 1.2))
        painter.setBrush(QBrush(colours.wire_label_bg))
        painter.drawRoundedRect(note, 6, 6)
        painter.setFont(_label_font())
        painter.setPen(colours.node_text)
        painter.drawText(note.adjusted(8, 5, -8, -5), int(Qt.TextFlag.TextWordWrap),
                         self.reason or "")
