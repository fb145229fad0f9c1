"""A block on the canvas: header with its title, key parameters, ports, output shape, badge."""

from __future__ import annotations

from collections.abc import Sequence
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
    HEADER_HEIGHT,
    NO_TEXT_BELOW_ZOOM,
    NODE_WIDTH,
    ROW_HEIGHT,
    SIMPLE_BELOW_ZOOM,
    snap,
)
from netbuilder.ui.canvas.port_item import PortItem

if TYPE_CHECKING:
    from netbuilder.core.blockspec import PortSpec


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
        self._summary = ""
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
        self._sync_ports(inputs, outputs)
        self._update_tooltip()
        self.update()

    def set_analysis(self, info: NodeInfo | None, diagnostics: list[Diagnostic]) -> None:
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

    # ----- layout -----------------------------------------------------------------------------
    def _rows(self) -> int:
        return max(len(self.input_ports), len(self.output_ports), 1)

    def _labelled_ports(self) -> bool:
        """Ports get name labels (and rows of their own) when a side has more than one."""
        return len(self.input_ports) > 1 or len(self.output_ports) > 1

    def _body_top(self) -> float:
        # With one port a side, the ports sit on the summary line: no empty row.
        return HEADER_HEIGHT + (ROW_HEIGHT if self._summary and self._labelled_ports() else 0.0)

    def _sync_ports(self, inputs: Sequence[PortSpec], outputs: Sequence[PortSpec]) -> None:
        for ports, wanted, is_output in ((self.input_ports, inputs, False),
                                         (self.output_ports, outputs, True)):
            # Ports are rebuilt in the wanted order; their layout follows below.
            names = [port.name for port in wanted]
            for name in list(ports):
                if name not in names:
                    item = ports.pop(name)
                    item.setParentItem(None)
                    if item.scene() is not None:
                        item.scene().removeItem(item)
            for name in names:
                if name not in ports:
                    ports[name] = PortItem(self, self.node.id, name, is_output)
            ordered = {name: ports[name] for name in names}
            ports.clear()
            ports.update(ordered)
        top = self._body_top()
        for index, item in enumerate(self.input_ports.values()):
            item.setPos(0.0, top + (index + 0.5) * ROW_HEIGHT)
        for index, item in enumerate(self.output_ports.values()):
            item.setPos(NODE_WIDTH, top + (index + 0.5) * ROW_HEIGHT)
        self._height = top + self._rows() * ROW_HEIGHT + FOOTER_HEIGHT

    def boundingRect(self) -> QRectF:
        margin = BADGE_RADIUS + 2
        return QRectF(-margin, -margin, NODE_WIDTH + 2 * margin, self._height + 2 * margin)

    def body_rect(self) -> QRectF:
        return QRectF(0, 0, NODE_WIDTH, self._height)

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
        if self.node.bypassed:
            painter.setOpacity(0.55)
        rect = self.body_rect()
        accent = colours.category(self.category)

        border = QPen(colours.selection if selected else colours.node_border,
                      2.2 if selected else 1.0)
        if self.node.bypassed:
            border.setStyle(Qt.PenStyle.DashLine)
        if self.has_error and not selected:
            border = QPen(colours.error, 1.6)
        painter.setPen(border)
        painter.setBrush(QBrush(colours.node_body))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), CORNER_RADIUS,
                              CORNER_RADIUS)
        square = QPainterPath()
        square.addRect(QRectF(0, HEADER_HEIGHT / 2, NODE_WIDTH, HEADER_HEIGHT / 2))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(accent if colours.name == "light" else accent.darker(125)))
        painter.drawPath(header.united(square))

        if zoom < NO_TEXT_BELOW_ZOOM:
            self._paint_badge(painter, colours)
            return
        title_font = QFont(painter.font())
        title_font.setPointSizeF(9.5)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(QColor("#ffffff"))
        metrics = QFontMetricsF(title_font)
        name_font = QFont(title_font)
        name_font.setBold(False)
        name_font.setPointSizeF(8.5)
        name_width = min(QFontMetricsF(name_font).horizontalAdvance(self.node.name) + 4, 90)
        title = metrics.elidedText(self.title, Qt.TextElideMode.ElideRight,
                                   NODE_WIDTH - 24 - name_width)
        painter.drawText(QRectF(10, 0, NODE_WIDTH - 20, HEADER_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        if zoom < SIMPLE_BELOW_ZOOM:
            self._paint_badge(painter, colours)
            return
        painter.setFont(name_font)
        painter.setPen(QColor(255, 255, 255, 190))
        name = QFontMetricsF(name_font).elidedText(self.node.name, Qt.TextElideMode.ElideRight,
                                                   name_width)
        painter.drawText(QRectF(10, 0, NODE_WIDTH - 20, HEADER_HEIGHT),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
        self._paint_body(painter, colours)
        self._paint_badge(painter, colours)

    def _paint_body(self, painter: QPainter, colours: theme.Theme) -> None:
        body_font = QFont(painter.font())
        body_font.setPointSizeF(8.5)
        body_font.setBold(False)
        painter.setFont(body_font)
        metrics = QFontMetricsF(body_font)
        if self._summary:
            painter.setPen(colours.node_text)
            text = metrics.elidedText(self._summary, Qt.TextElideMode.ElideRight, NODE_WIDTH - 20)
            painter.drawText(QRectF(10, HEADER_HEIGHT, NODE_WIDTH - 20, ROW_HEIGHT),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.setPen(colours.node_subtle)
        if self._labelled_ports():
            for name, item in self.input_ports.items():
                painter.drawText(QRectF(12, item.y() - ROW_HEIGHT / 2, NODE_WIDTH / 2,
                                        ROW_HEIGHT), Qt.AlignmentFlag.AlignVCenter, name)
        if len(self.output_ports) > 1:
            for name, item in self.output_ports.items():
                painter.drawText(QRectF(NODE_WIDTH / 2 - 12, item.y() - ROW_HEIGHT / 2,
                                        NODE_WIDTH / 2, ROW_HEIGHT),
                                 Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                                 name)
        footer_top = self._height - FOOTER_HEIGHT
        painter.setPen(QPen(colours.node_border, 1.0))
        painter.drawLine(QPointF(8, footer_top), QPointF(NODE_WIDTH - 8, footer_top))
        shape, params = self._footer_texts()
        painter.setPen(colours.error if self.has_error else colours.node_text)
        footer = QRectF(10, footer_top, NODE_WIDTH - 20, FOOTER_HEIGHT)
        painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(shape, Qt.TextElideMode.ElideRight,
                                            NODE_WIDTH - 90))
        painter.setPen(colours.node_subtle)
        painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         params)

    def _footer_texts(self) -> tuple[str, str]:
        if self.node.bypassed:
            return "bypassed", ""
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
        params = f"{count:,} params" if count else ""
        return shape, params

    def _paint_badge(self, painter: QPainter, colours: theme.Theme) -> None:
        if not self.diagnostics:
            return
        colour = colours.error if self.has_error else colours.warning
        centre = QPointF(NODE_WIDTH - 2, 2)
        painter.setOpacity(1.0)
        painter.setPen(QPen(colours.node_body, 2.0))
        painter.setBrush(QBrush(colour))
        painter.drawEllipse(centre, BADGE_RADIUS, BADGE_RADIUS)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(9)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(centre.x() - BADGE_RADIUS, centre.y() - BADGE_RADIUS,
                                2 * BADGE_RADIUS, 2 * BADGE_RADIUS),
                         Qt.AlignmentFlag.AlignCenter, "!")

    def _update_tooltip(self) -> None:
        lines = [f"<b>{self.title}</b> — {self.node.name}"]
        for diagnostic in self.diagnostics:
            mark = "✖" if diagnostic.severity == ERROR else "⚠"
            lines.append(f"{mark} {diagnostic.message}")
        if self.spec is not None:
            lines.append(self.spec.doc.split("\n\n")[0])
        self.setToolTip("<br>".join(lines))

    # ----- moving -----------------------------------------------------------------------------
    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and getattr(scene, "snapping", False):
                return QPointF(snap(value.x()), snap(value.y()))
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            scene = self.scene()
            if scene is not None and hasattr(scene, "node_item_moved"):
                scene.node_item_moved(self)
        return super().itemChange(change, value)
