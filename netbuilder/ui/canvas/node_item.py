"""A block on the canvas: header with its title, key parameters, ports, output shape, badge.

Drawing has three levels of detail, chosen from the zoom so that a zoomed-out graph stays
legible and cheap to paint: the full node; below :data:`SIMPLE_BELOW_ZOOM` a coloured box with
one large title; below :data:`NO_TEXT_BELOW_ZOOM` the box alone, which the scene's overview
layer then draws for all blocks at once (see :mod:`.overview`). A reroute point
(:class:`RerouteItem`) is a node drawn as a small dot on its wire.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QStyle,
    QStyleOptionGraphicsItem,
)

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.graph import Node
from netbuilder.core.inference import ERROR, Diagnostic, NodeInfo
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import (
    BADGE_RADIUS,
    CORNER_RADIUS,
    FOOTER_HEIGHT,
    GRID,
    HEADER_HEIGHT,
    HEADER_PADDING,
    MAX_NODE_WIDTH,
    NO_TEXT_BELOW_ZOOM,
    NODE_WIDTH,
    REROUTE_DOT_RADIUS,
    REROUTE_HEIGHT,
    REROUTE_PORT_RADIUS,
    REROUTE_WIDTH,
    ROW_HEIGHT,
    SIMPLE_BELOW_ZOOM,
    SIMPLE_TITLE_PIXELS,
    snap,
)
from netbuilder.ui.canvas.port_item import PortItem, paint_port

if TYPE_CHECKING:
    from netbuilder.core.blockspec import PortSpec
    from netbuilder.ui.canvas.thumbnail_item import ThumbnailItem

WHITE = QColor("#ffffff")
#: The header colour of a bypassed block (the overview uses it too).
BYPASSED = "#6b7280"
#: How much of a bypassed block shows through: dimmed, with its pass-through line on top.
BYPASSED_OPACITY = 0.45
REROUTE_TIP = ("<b>Reroute point</b>: drag it to bend the wire; Delete removes it and keeps "
               "the wire.")


def shape_text(spec: TensorSpec | None) -> str:
    """A shape as wires and nodes show it: ``32×26×26``, ``scalar``, ``16 int64``."""
    if spec is None:
        return "?"
    dims = "×".join(str(d) for d in spec.shape) if spec.shape else "scalar"
    return dims if spec.dtype == "float32" else f"{dims} {spec.dtype}"


def param_summary(spec: BlockSpec | None, params: dict[str, Any]) -> str:
    """The key parameters on one line: ``64 units · relu``."""
    if spec is None:
        return ""
    parts = []
    for name in spec.summary_params:
        try:
            param = spec.param(name)
        except KeyError:
            continue
        parts.append(_format_param(param, params.get(name)))
    return "  ·  ".join(part for part in parts if part)


def _format_param(param: ParamSpec, value: Any) -> str:
    if param.kind == "choice" or param.kind == "str":
        return str(value)
    if param.kind == "bool":
        return param.name.replace("_", " ") if value else ""
    if isinstance(value, list):
        text = "×".join(str(v) for v in value) if value else "()"
    else:
        text = f"{value:g}" if isinstance(value, float) else str(value)
    label = param.name.replace("_size", "").replace("_", " ")
    return f"{text} {label}" if param.name in ("units", "filters", "heads") else f"{label} {text}"


@lru_cache(maxsize=64)
def _font(point_size: float, bold: bool = False, pixel_size: int = 0) -> QFont:
    """A shared font: painting makes no QFont per node per frame."""
    font = QFont()
    if pixel_size:
        font.setPixelSize(pixel_size)
    else:
        font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


@lru_cache(maxsize=16)
def _header_path(width: float) -> QPainterPath:
    """The header band: rounded at the top, square where it meets the body."""
    header = QPainterPath()
    header.addRoundedRect(QRectF(0, 0, width, HEADER_HEIGHT), CORNER_RADIUS, CORNER_RADIUS)
    square = QPainterPath()
    square.addRect(QRectF(0, HEADER_HEIGHT / 2, width, HEADER_HEIGHT / 2))
    return header.united(square)


def _title_fonts() -> tuple[QFont, QFont]:
    """The header's fonts: the block type's title (bold) and the node's name."""
    return _font(9.5, bold=True), _font(8.5)


def block_width(title: str, name: str, summary: str) -> float:
    """How wide a block is drawn: as wide as its header (title and name side by side) and
    its summary line need, on the grid, from NODE_WIDTH up to MAX_NODE_WIDTH (beyond, the
    text is elided and the tooltip says it in full)."""
    title_font, name_font = _title_fonts()
    header = (QFontMetricsF(title_font).horizontalAdvance(title)
              + QFontMetricsF(name_font).horizontalAdvance(name) + HEADER_PADDING)
    line = QFontMetricsF(_font(8.5)).horizontalAdvance(summary) + 20
    wanted = max(NODE_WIDTH, header, line)
    return min(MAX_NODE_WIDTH, math.ceil(wanted / GRID) * GRID)


@lru_cache(maxsize=1024)
def _simple_title(title: str, pixels: int, width: float, height: float
                  ) -> tuple[QFont, Qt.AlignmentFlag, str]:
    """How a far-away block's title is set: font, flags and text (elided when needed).

    Cached: zooming repaints every block in view at each step, with the same few titles.
    """
    font = _font(0, bold=True, pixel_size=pixels)
    metrics = QFontMetricsF(font)
    flags = Qt.AlignmentFlag.AlignCenter
    if metrics.horizontalAdvance(title) <= width:
        return font, flags, title
    if " " in title:
        # Two lines: "Max Pool" over "2D" reads better than "Max Po…".
        font = _font(0, bold=True, pixel_size=max(1, min(pixels, round(height * 0.4))))
        return font, flags | Qt.TextFlag.TextWordWrap, title
    return font, flags, metrics.elidedText(title, Qt.TextElideMode.ElideRight, width)


class NodeItem(QGraphicsObject):
    """The canvas face of one node; it reads the model and never changes it.

    The scene calls :meth:`refresh` when the node's params, name or bypass flag change and
    :meth:`set_analysis` when shape inference has new results.
    """

    def __init__(self, node: Node, spec: BlockSpec | None, inputs: Sequence[PortSpec],
                 outputs: Sequence[PortSpec]) -> None:
        super().__init__()
        self.node = node
        self.spec = spec
        self.info: NodeInfo | None = None
        self.diagnostics: list[Diagnostic] = []
        self.input_ports: dict[str, PortItem] = {}
        self.output_ports: dict[str, PortItem] = {}
        self._height = 0.0
        self._width = NODE_WIDTH
        self._bounds = QRectF()
        self._summary = ""
        self._placing = False
        #: The badge showing the block's output on a sample (.thumbnail_item); None: none.
        self.thumbnail: ThumbnailItem | None = None
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        # Redrawing text is what costs while panning; a cached pixmap per zoom level is cheap.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.refresh(node, spec, inputs, outputs)
        self.setPos(QPointF(*node.position))

    # ----- model -> item ----------------------------------------------------------------------
    def refresh(self, node: Node, spec: BlockSpec | None, inputs: Sequence[PortSpec],
                outputs: Sequence[PortSpec]) -> None:
        """Re-reads the node (params, name, ports) and lays the item out again."""
        self.prepareGeometryChange()
        self.node, self.spec = node, spec
        self._summary = param_summary(spec, node.params)
        self._width = block_width(self.title, node.name, self._summary)
        self._sync_ports(inputs, outputs)
        self._update_tooltip()
        self.update()

    def set_analysis(self, info: NodeInfo | None, diagnostics: list[Diagnostic]) -> None:
        """Shows new inference results; unchanged results cost nothing (1,000-node graphs)."""
        if info == self.info and diagnostics == self.diagnostics:
            return
        self.info = info
        self.diagnostics = diagnostics
        self._update_tooltip()
        self.update()

    def output_spec(self, port: str) -> TensorSpec | None:
        return None if self.info is None else self.info.outputs.get(port)

    @property
    def title(self) -> str:
        if self.spec is None:
            return f"? {self.node.type}"
        if self.spec.role == "group":
            return str(self.node.params.get("group") or "Group")
        return self.spec.title

    @property
    def category(self) -> str:
        return self.spec.category if self.spec else "Structure"

    @property
    def has_error(self) -> bool:
        return any(d.severity == ERROR for d in self.diagnostics)

    def grab_point(self) -> QPointF:
        """A scene point where a press grabs the node itself (its header), not a port."""
        return self.mapToScene(QPointF(self._width / 2, HEADER_HEIGHT / 2))

    # ----- layout -----------------------------------------------------------------------------
    def _rows(self) -> int:
        return max(len(self.input_ports), len(self.output_ports), 1)

    def _labelled_ports(self) -> bool:
        """Ports get name labels (and rows of their own) when a side has more than one."""
        return len(self.input_ports) > 1 or len(self.output_ports) > 1

    def _body_top(self) -> float:
        # With one port a side, the ports sit on the summary line: no empty row.
        return HEADER_HEIGHT + (ROW_HEIGHT if self._summary and self._labelled_ports() else 0.0)

    def _make_port(self, name: str, is_output: bool) -> PortItem:
        return PortItem(self, self.node.id, name, is_output)

    def _sync_ports(self, inputs: Sequence[PortSpec], outputs: Sequence[PortSpec]) -> None:
        for ports, wanted, is_output in ((self.input_ports, inputs, False),
                                         (self.output_ports, outputs, True)):
            # Ports are rebuilt in the wanted order; their layout follows below.
            names = [port.name for port in wanted]
            for name in list(ports):
                if name not in names:
                    item = ports.pop(name)
                    # Qt takes None for "no parent"; the PySide6 stubs leave it out.
                    item.setParentItem(None)  # type: ignore[arg-type]
                    if item.scene() is not None:
                        item.scene().removeItem(item)
            for name in names:
                if name not in ports:
                    ports[name] = self._make_port(name, is_output)
            ordered = {name: ports[name] for name in names}
            ports.clear()
            ports.update(ordered)
        self._layout_ports()

    def _layout_ports(self) -> None:
        top = self._body_top()
        for index, item in enumerate(self.input_ports.values()):
            item.setPos(0.0, top + (index + 0.5) * ROW_HEIGHT)
        for index, item in enumerate(self.output_ports.values()):
            item.setPos(self._width, top + (index + 0.5) * ROW_HEIGHT)
        self._height = top + self._rows() * ROW_HEIGHT + FOOTER_HEIGHT
        margin = BADGE_RADIUS + 2
        self._bounds = self.body_rect().adjusted(-margin, -margin, margin, margin)
        if self.thumbnail is not None:
            self.thumbnail.follow(self.body_rect())

    def boundingRect(self) -> QRectF:
        # Cached: Qt asks for it for every item on every repaint.
        return self._bounds

    def body_rect(self) -> QRectF:
        return QRectF(0, 0, self._width, self._height)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.body_rect(), CORNER_RADIUS, CORNER_RADIUS)
        return path

    # ----- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        zoom = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if zoom < SIMPLE_BELOW_ZOOM:
            self._paint_simple(painter, colours, zoom, selected)
        else:
            self._paint_full(painter, colours, selected)
        if self.node.bypassed:
            self._paint_bypass(painter, colours, zoom)
        if zoom >= SIMPLE_BELOW_ZOOM:
            self._paint_ports(painter)  # further out, ports are specks: the wires show them
        self._paint_badge(painter, colours)

    def _paint_ports(self, painter: QPainter) -> None:
        """The idle ports (an active port paints itself on top)."""
        for port in (*self.input_ports.values(), *self.output_ports.values()):
            if port.drawn_by_node:
                paint_port(painter, port.pos(), port.radius, port.connected)

    def _border(self, colours: theme.Theme, selected: bool, zoom: float = 1.0) -> QPen:
        # Widths grow as the zoom shrinks, so that selection and errors still show from afar.
        scale = max(1.0, 1.0 / max(zoom, 0.05)) if zoom < SIMPLE_BELOW_ZOOM else 1.0
        if selected:
            return QPen(colours.selection, 2.2 * scale)
        if self.has_error:
            return QPen(colours.error, 1.6 * scale)
        if self.node.bypassed:
            return QPen(colours.warning, 1.2 * scale, Qt.PenStyle.DashLine)
        return QPen(colours.node_border, 1.0)

    def _accent(self, colours: theme.Theme) -> QColor:
        if self.node.bypassed:
            return QColor(BYPASSED)  # a bypassed block loses its colour: it computes nothing
        accent = colours.category(self.category)
        return accent if colours.name == "light" else accent.darker(125)

    def _paint_full(self, painter: QPainter, colours: theme.Theme, selected: bool) -> None:
        if self.node.bypassed:
            painter.setOpacity(BYPASSED_OPACITY)
        rect = self.body_rect()
        painter.setPen(self._border(colours, selected))
        painter.setBrush(QBrush(colours.node_body))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        self._paint_header(painter, colours)
        self._paint_titles(painter)
        self._paint_body(painter, colours)
        painter.setOpacity(1.0)

    def _paint_header(self, painter: QPainter, colours: theme.Theme) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(self._accent(colours)))
        painter.drawPath(_header_path(self._width))

    def _paint_titles(self, painter: QPainter) -> None:
        title_font, name_font = _title_fonts()
        name_metrics = QFontMetricsF(name_font)
        # The name gives way first (down to a third of the header): the title says what
        # the block is, and the tooltip holds both in full.
        name_width = min(name_metrics.horizontalAdvance(self.node.name) + 4,
                         max(90.0, self._width - 34
                             - QFontMetricsF(title_font).horizontalAdvance(self.title)))
        title = QFontMetricsF(title_font).elidedText(self.title, Qt.TextElideMode.ElideRight,
                                                     self._width - 24 - name_width)
        box = QRectF(10, 0, self._width - 20, HEADER_HEIGHT)
        painter.setFont(title_font)
        painter.setPen(WHITE)
        painter.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        painter.setFont(name_font)
        painter.setPen(QColor(255, 255, 255, 190))
        name = name_metrics.elidedText(self.node.name, Qt.TextElideMode.ElideRight, name_width)
        painter.drawText(box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)

    def _paint_simple(self, painter: QPainter, colours: theme.Theme, zoom: float,
                      selected: bool) -> None:
        """Far away: a box in the category colour with a title that stays readable."""
        rect = self.body_rect()
        if self.node.bypassed:
            painter.setOpacity(BYPASSED_OPACITY)
        painter.setPen(self._border(colours, selected, zoom))
        painter.setBrush(QBrush(self._accent(colours)))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        painter.setOpacity(1.0)
        if zoom < NO_TEXT_BELOW_ZOOM:
            return
        self._paint_simple_title(painter, rect.adjusted(8, 4, -8, -4), zoom)

    def _paint_simple_title(self, painter: QPainter, box: QRectF, zoom: float) -> None:
        """The title as large as the box allows, on two lines when one is too narrow."""
        pixels = round(min(SIMPLE_TITLE_PIXELS / zoom, box.height() * 0.5))
        font, flags, text = _simple_title(self.title, max(1, pixels), box.width(), box.height())
        painter.setFont(font)
        painter.setPen(WHITE)
        painter.drawText(box, flags, text)

    def _paint_bypass(self, painter: QPainter, colours: theme.Theme, zoom: float) -> None:
        """A bypassed block: its input runs straight through it to its output, drawn on top."""
        first_in = next(iter(self.input_ports.values()), None)
        first_out = next(iter(self.output_ports.values()), None)
        if first_in is None or first_out is None:
            return
        width = 2.2 if zoom >= SIMPLE_BELOW_ZOOM else 2.2 / max(zoom, 0.05)
        pen = QPen(colours.warning, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        start, end = first_in.pos(), first_out.pos()
        path = QPainterPath(start)
        middle = (start.x() + end.x()) / 2
        path.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
        painter.drawPath(path)
        if zoom < SIMPLE_BELOW_ZOOM:
            return
        font = _font(7.5, bold=True)
        painter.setFont(font)
        label = "BYPASSED"
        width = QFontMetricsF(font).horizontalAdvance(label) + 12
        tag = QRectF(self._width - width - 8, self._height - FOOTER_HEIGHT + 7, width, 16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colours.warning))
        painter.drawRoundedRect(tag, 8, 8)
        painter.setPen(colours.node_body)
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_body(self, painter: QPainter, colours: theme.Theme) -> None:
        body_font = _font(8.5)
        painter.setFont(body_font)
        metrics = QFontMetricsF(body_font)
        if self._summary:
            painter.setPen(colours.node_text)
            text = metrics.elidedText(self._summary, Qt.TextElideMode.ElideRight, self._width - 20)
            painter.drawText(QRectF(10, HEADER_HEIGHT, self._width - 20, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.setPen(colours.node_subtle)
        if self._labelled_ports():
            for name, item in self.input_ports.items():
                painter.drawText(QRectF(12, item.y() - ROW_HEIGHT / 2, self._width / 2,
                                        ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter, name)
        if len(self.output_ports) > 1:
            for name, item in self.output_ports.items():
                painter.drawText(QRectF(self._width / 2 - 12, item.y() - ROW_HEIGHT / 2,
                                        self._width / 2, ROW_HEIGHT),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 name)
        footer_top = self._height - FOOTER_HEIGHT
        painter.setPen(QPen(colours.node_border, 1.0))
        painter.drawLine(QPointF(8, footer_top), QPointF(self._width - 8, footer_top))
        shape, params = self._footer_texts()
        painter.setPen(colours.error if self.has_error else colours.node_text)
        footer = QRectF(10, footer_top, self._width - 20, FOOTER_HEIGHT)
        # The shape gives way to the parameter count (the tooltip and the wires show shapes).
        room = self._width - 20 - (metrics.horizontalAdvance(params) + 8 if params else 0)
        painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(shape, Qt.TextElideMode.ElideRight, room))
        painter.setPen(colours.node_subtle)
        painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         params)

    def _footer_texts(self) -> tuple[str, str]:
        if self.has_error:
            return "error: " + self.diagnostics[0].message, ""
        if self.info is None:
            return "shape unknown", ""
        role = self.spec.role if self.spec else "layer"
        if role == "output":
            spec = next(iter(self.info.inputs.values()), None)
            return f"returns {shape_text(spec)}", ""
        outputs = list(self.info.outputs.values())
        shape = "  ".join(shape_text(s) for s in outputs[:2]) if outputs else ""
        count = self.info.params
        # A bypassed block has no parameters in use; its tag takes the right-hand side.
        params = f"{count:,} params" if count and not self.node.bypassed else ""
        return shape, params

    def _paint_badge(self, painter: QPainter, colours: theme.Theme) -> None:
        if not self.diagnostics:
            return
        colour = colours.error if self.has_error else colours.warning
        centre = QPointF(self.body_rect().right() - 2, 2)
        painter.setOpacity(1.0)
        painter.setPen(QPen(colours.node_body, 2.0))
        painter.setBrush(QBrush(colour))
        painter.drawEllipse(centre, BADGE_RADIUS, BADGE_RADIUS)
        painter.setFont(_font(9, bold=True))
        painter.setPen(WHITE)
        painter.drawText(QRectF(centre.x() - BADGE_RADIUS, centre.y() - BADGE_RADIUS,
                                2 * BADGE_RADIUS, 2 * BADGE_RADIUS),
                         Qt.AlignmentFlag.AlignCenter, "!")

    def _update_tooltip(self) -> None:
        lines = [f"<b>{self.title}</b> — {self.node.name}"]
        if self.node.bypassed:
            lines.append("Bypassed: passes its input on unchanged (B restores it).")
        for diagnostic in self.diagnostics:
            mark = "✖" if diagnostic.severity == ERROR else "⚠"
            lines.append(f"{mark} {diagnostic.message}")
        if self.spec is not None:
            lines.append(self.spec.doc.split("\n\n")[0])
        self.setToolTip("<br>".join(lines))

    # ----- moving -----------------------------------------------------------------------------
    def place(self, pos: QPointF) -> None:
        """Puts the item where the model (or a frame it rides in) says, without snapping:
        snapping is for the user's drags, and must not move a node the file put off-grid."""
        self._placing = True
        try:
            self.setPos(pos)
        finally:
            self._placing = False

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if not self._placing and scene is not None and getattr(scene, "snapping", False):
                return QPointF(snap(value.x()), snap(value.y()))
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            scene = self.scene()
            if scene is not None and hasattr(scene, "node_item_moved"):
                scene.node_item_moved(self)
        return super().itemChange(change, value)


class RerouteItem(NodeItem):
    """A reroute point: a dot on a wire that the user drags to bend the wire around blocks.

    Its ports sit on either side of the dot and only show when the mouse is on them; the
    wire is drawn through the dot, so that the point reads as part of the wire.
    """

    def _make_port(self, name: str, is_output: bool) -> PortItem:
        return PortItem(self, self.node.id, name, is_output, radius=REROUTE_PORT_RADIUS,
                        drawn_by_node=False)

    def _layout_ports(self) -> None:
        for item in self.input_ports.values():
            item.setPos(0.0, GRID)
        for item in self.output_ports.values():
            item.setPos(REROUTE_WIDTH, GRID)
        self._height = REROUTE_HEIGHT
        self._bounds = self.body_rect().adjusted(-4, -4, 4, 4)

    def body_rect(self) -> QRectF:
        return QRectF(0, 0, REROUTE_WIDTH, REROUTE_HEIGHT)

    def _centre(self) -> QPointF:
        return QPointF(REROUTE_WIDTH / 2, GRID)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        reach = REROUTE_DOT_RADIUS + 3
        path.addEllipse(self._centre(), reach, reach)
        return path

    def grab_point(self) -> QPointF:
        return self.mapToScene(self._centre())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        colours = theme.current()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        wire = QPen(colours.wire, 1.8)
        painter.setPen(wire)
        painter.drawLine(QPointF(0, GRID), QPointF(REROUTE_WIDTH, GRID))
        ring = colours.error if self.has_error else (
            colours.selection if selected else colours.node_body)
        painter.setPen(QPen(ring, 2.0))
        painter.setBrush(QBrush(colours.wire_selected if selected else colours.wire))
        painter.drawEllipse(self._centre(), REROUTE_DOT_RADIUS, REROUTE_DOT_RADIUS)

    def _update_tooltip(self) -> None:
        lines = [REROUTE_TIP, *(d.message for d in self.diagnostics)]
        self.setToolTip("<br>".join(lines))
