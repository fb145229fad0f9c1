"""The scene of one network or group: it mirrors the document and turns gestures into commands.

The scene never changes the model itself. It subscribes to the document's events to create,
update and delete its items (as orange-canvas-core's scene does), and it hands every edit to
its :class:`Editor` as a core command, which the editor pushes on its undo stack.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
)

from netbuilder.core.commands import (
    Command,
    Connect,
    Disconnect,
    EditFrame,
    MacroCommand,
    MoveNodes,
    Reconnect,
    check_connection,
)
from netbuilder.core.errors import GraphError, NetbuilderError, ParamError, ShapeError
from netbuilder.core.graph import Document, Edge, Frame, Graph, Node
from netbuilder.core.inference import Analysis
from netbuilder.ui import theme
from netbuilder.ui.canvas.edge_item import DraftWire, EdgeItem, wire_path
from netbuilder.ui.canvas.frame_item import FrameItem
from netbuilder.ui.canvas.node_item import NodeItem, shape_text
from netbuilder.ui.canvas.port_item import PortItem

#: Where a wire being drawn starts: (node id, port name, True if it is an output port).
PortRef = tuple[str, str, bool]

_EVENTS = ("node_added", "node_removed", "edge_added", "edge_removed", "params_changed",
           "node_moved", "node_renamed", "node_bypassed", "frame_added", "frame_removed",
           "frame_changed")


class Editor(Protocol):
    """What a scene needs from the widget that owns the document and its undo stack."""

    doc: Document

    def push(self, command: Command) -> bool:
        """Applies ``command`` as one undo step; False (and a status message) if refused."""

    def analysis(self, graph: str) -> Analysis | None:
        """The latest shape inference of ``graph``, or None before the first one."""

    def show_status(self, message: str, error: bool = False) -> None:
        """Shows a short message in the status bar."""

    def request_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        """Opens the quick-add popup at ``scene_pos``; a chosen block is wired to ``source``."""

    def activate_item(self, graph: str, kind: str, item_id: str) -> None:
        """A double-click on a node (``kind == "node"``) or a frame."""

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: str | None) -> None:
        """A right-click on a node, a wire, a frame or (``kind == "canvas"``) empty canvas."""


class CanvasScene(QGraphicsScene):
    """The items of one graph, kept in step with the document through its events."""

    def __init__(self, editor: Editor, graph_name: str) -> None:
        super().__init__()
        self.editor = editor
        self.graph_name = graph_name
        self.snapping = True
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[str, EdgeItem] = {}
        self.frame_items: dict[str, FrameItem] = {}
        self._draft: DraftWire | None = None
        self._draft_from: PortRef | None = None
        self._draft_hidden: str | None = None  # the edge picked up to move one of its ends
        self._hover_port: PortItem | None = None
        self._press_positions: dict[str, QPointF] = {}
        self._frame_drag: tuple[FrameItem, QPointF, dict[str, QPointF]] | None = None
        self._edges_of: dict[str, set[str]] = {}
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(theme.current().canvas)
        self._rebuild()
        for event in _EVENTS:
            self.doc.events.connect(event, getattr(self, f"_on_{event}"))

    # ----- helpers ------------------------------------------------------------------------------
    @property
    def doc(self) -> Document:
        return self.editor.doc

    @property
    def graph(self) -> Graph:
        return self.doc.graph(self.graph_name)

    def detach(self) -> None:
        """Stops following the document (before the scene is thrown away)."""
        for event in _EVENTS:
            self.doc.events.disconnect(event, getattr(self, f"_on_{event}"))

    def _mine(self, graph: Graph) -> bool:
        return graph.name == self.graph_name and graph is self.doc.graphs.get(self.graph_name)

    def _rebuild(self) -> None:
        self.clear()
        self.node_items.clear()
        self.edge_items.clear()
        self.frame_items.clear()
        self._edges_of.clear()
        graph = self.graph
        for frame in graph.frames.values():
            self._add_frame_item(frame)
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges.values():
            self._add_edge_item(edge)
        self.apply_analysis(self.editor.analysis(self.graph_name))

    def _add_node_item(self, node: Node) -> NodeItem:
        item = NodeItem(node, self.doc.catalogue.get(node.type), self.doc.input_ports(node),
                        self.doc.output_ports(node))
        self.addItem(item)
        self.node_items[node.id] = item
        return item

    def _add_edge_item(self, edge: Edge) -> None:
        item = EdgeItem(edge.id)
        self.addItem(item)
        self.edge_items[edge.id] = item
        self._edges_of.setdefault(edge.source, set()).add(edge.id)
        self._edges_of.setdefault(edge.target, set()).add(edge.id)
        self._route(edge)

    def _add_frame_item(self, frame: Frame) -> None:
        item = FrameItem(frame)
        self.addItem(item)
        self.frame_items[frame.id] = item

    def _route(self, edge: Edge) -> None:
        """Moves an edge item's ends to its ports (or to the node's edge if a port vanished)."""
        item = self.edge_items.get(edge.id)
        source, target = self.node_items.get(edge.source), self.node_items.get(edge.target)
        if item is None or source is None or target is None:
            return
        start = source.output_ports.get(edge.source_port)
        end = target.input_ports.get(edge.target_port)
        start_pos = start.scene_anchor() if start else source.mapToScene(QPointF(
            source.body_rect().right(), source.body_rect().center().y()))
        end_pos = end.scene_anchor() if end else target.mapToScene(QPointF(
            0, target.body_rect().center().y()))
        item.set_ends(start_pos, end_pos)
        for port, exists in ((start, True), (end, True)):
            if port is not None:
                port.connected = exists
                port.update()

    def node_item_moved(self, item: NodeItem) -> None:
        """Called by a node item while it moves: its wires follow."""
        for edge_id in self._edges_of.get(item.node.id, ()):
            edge = self.graph.edges.get(edge_id)
            if edge is not None:
                self._route(edge)

    def _refresh_ports_connected(self, node_id: str) -> None:
        item = self.node_items.get(node_id)
        if item is None:
            return
        graph = self.graph
        for port in item.input_ports.values():
            port.connected = graph.edge_into(node_id, port.name) is not None
            port.update()
        used = {e.source_port for e in graph.outgoing(node_id)}
        for port in item.output_ports.values():
            port.connected = port.name in used
            port.update()

    # ----- analysis ---------------------------------------------------------------------------
    def apply_analysis(self, analysis: Analysis | None) -> None:
        """Shows new inference results: node footers and badges, wire labels."""
        if analysis is None:
            return
        by_node: dict[str, list] = {}
        for diagnostic in analysis.diagnostics:
            if diagnostic.node is not None:
                by_node.setdefault(diagnostic.node, []).append(diagnostic)
        for node_id, item in self.node_items.items():
            item.set_analysis(analysis.nodes.get(node_id), by_node.get(node_id, []))
        for edge_id, item in self.edge_items.items():
            edge = self.graph.edges.get(edge_id)
            if edge is None:
                continue
            spec = analysis.output_spec(edge.source, edge.source_port)
            item.set_label(shape_text(spec) if spec else "?", broken=spec is None)

    # ----- document events ----------------------------------------------------------------------
    def _on_node_added(self, graph: Graph, node: Node, index: int | None) -> None:
        if self._mine(graph):
            self._add_node_item(node)
        self._refresh_group_uses(graph)

    def _on_node_removed(self, graph: Graph, node: Node) -> None:
        if self._mine(graph):
            item = self.node_items.pop(node.id, None)
            if item is not None:
                self.removeItem(item)
            self._edges_of.pop(node.id, None)
        self._refresh_group_uses(graph)

    def _on_edge_added(self, graph: Graph, edge: Edge, index: int | None) -> None:
        if self._mine(graph):
            self._add_edge_item(edge)
            self._refresh_ports_connected(edge.source)
            self._refresh_ports_connected(edge.target)

    def _on_edge_removed(self, graph: Graph, edge: Edge) -> None:
        if not self._mine(graph):
            return
        item = self.edge_items.pop(edge.id, None)
        if item is not None:
            self.removeItem(item)
        for end in (edge.source, edge.target):
            self._edges_of.get(end, set()).discard(edge.id)
            self._refresh_ports_connected(end)

    def _on_params_changed(self, graph: Graph, node: Node) -> None:
        if self._mine(graph):
            self._refresh_node(node)
        self._refresh_group_uses(graph)

    def _on_node_renamed(self, graph: Graph, node: Node, old: str) -> None:
        self._on_params_changed(graph, node)

    def _on_node_bypassed(self, graph: Graph, node: Node) -> None:
        if self._mine(graph):
            self._refresh_node(node)

    def _on_node_moved(self, graph: Graph, node: Node) -> None:
        if self._mine(graph) and node.id in self.node_items:
            item = self.node_items[node.id]
            if (item.pos().x(), item.pos().y()) != node.position:
                item.setPos(QPointF(*node.position))

    def _on_frame_added(self, graph: Graph, frame: Frame, index: int | None) -> None:
        if self._mine(graph):
            self._add_frame_item(frame)

    def _on_frame_removed(self, graph: Graph, frame: Frame) -> None:
        if self._mine(graph):
            item = self.frame_items.pop(frame.id, None)
            if item is not None:
                self.removeItem(item)

    def _on_frame_changed(self, graph: Graph, frame: Frame) -> None:
        if self._mine(graph) and frame.id in self.frame_items:
            self.frame_items[frame.id].refresh(frame)

    def _refresh_node(self, node: Node) -> None:
        item = self.node_items.get(node.id)
        if item is None:
            return
        item.refresh(node, self.doc.catalogue.get(node.type), self.doc.input_ports(node),
                     self.doc.output_ports(node))
        self.node_item_moved(item)
        self._refresh_ports_connected(node.id)

    def _refresh_group_uses(self, changed: Graph) -> None:
        """A group definition changed: the ports of its uses in this scene may have too."""
        if changed.kind != "group":
            return
        for item in self.node_items.values():
            if item.node.type == "group" and item.node.params.get("group") == changed.name:
                self._refresh_node(item.node)

    # ----- selection ------------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        """Selected nodes in document order."""
        chosen = {i.node.id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [node_id for node_id in self.graph.nodes if node_id in chosen]

    def selected_edge_ids(self) -> list[str]:
        return [i.edge_id for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def selected_frame_ids(self) -> list[str]:
        return [i.frame.id for i in self.selectedItems() if isinstance(i, FrameItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None:
                item.setSelected(True)

    def items_rect(self, node_ids: list[str] | None = None) -> QRectF:
        """The bounding rectangle of some nodes (all items when None)."""
        if node_ids is None:
            return self.itemsBoundingRect()
        rect = QRectF()
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # ----- wires: drawing, checking ---------------------------------------------------------------
    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                               Qt.SortOrder.DescendingOrder, QTransform()):
            if isinstance(item, PortItem):
                return item
        return None

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem):
                return item
        return None

    def connection_problem(self, source: str, source_port: str, target: str, target_port: str,
                           ignore: str | None = None) -> str | None:
        """Why a wire from ``source`` to ``target`` cannot be drawn, or None if it can.

        Structural refusals (direction, cycles, other graphs) come from the core. Beyond
        those, a wire is refused when the target's shape rule rejects it for a reason no
        parameter can fix (a wrong rank or dtype); a mismatch a parameter can fix is
        allowed and shown as an error badge.
        """
        graph = self.graph
        occupant = graph.edge_into(target, target_port)
        try:
            check_connection(self.doc, graph, source, source_port, target, target_port,
                             ignore=ignore or (occupant.id if occupant else None))
        except GraphError as error:
            return str(error)
        return self._shape_problem(source, source_port, target, target_port)

    def _shape_problem(self, source: str, source_port: str, target: str, target_port: str
                       ) -> str | None:
        analysis = self.editor.analysis(self.graph_name)
        node = self.graph.nodes[target]
        spec = self.doc.catalogue.get(node.type)
        if analysis is None or spec is None or spec.role not in ("layer", "loss", "output"):
            return None
        incoming = analysis.output_spec(source, source_port)
        if incoming is None:
            return None
        inputs = {}
        for port in spec.input_ports(node.params):
            if port.name == target_port:
                inputs[port.name] = incoming
                continue
            edge = self.graph.edge_into(target, port.name)
            other = analysis.output_spec(edge.source, edge.source_port) if edge else None
            if other is None:
                return None  # not all inputs known yet: nothing to judge
            inputs[port.name] = other
        try:
            spec.infer_outputs(node.params, inputs)
        except ShapeError as error:
            if error.param is None:
                return f"{node.name} cannot take {shape_text(incoming)}: {error}"
        except (ParamError, NetbuilderError, ValueError, TypeError):
            return None
        return None

    def _start_wire(self, port: PortItem) -> None:
        self._draft_hidden = None
        if not port.is_output:
            edge = self.graph.edge_into(port.node_id, port.name)
            if edge is not None:
                # Pick up the existing wire by its end: it now follows the mouse.
                self._draft_hidden = edge.id
                self.edge_items[edge.id].setVisible(False)
                self._draft_from = (edge.source, edge.source_port, True)
            else:
                self._draft_from = (port.node_id, port.name, False)
        else:
            self._draft_from = (port.node_id, port.name, True)
        self._draft = DraftWire()
        analysis = self.editor.analysis(self.graph_name)
        node_id, port_name, is_output = self._draft_from
        spec = analysis.output_spec(node_id, port_name) if analysis and is_output else None
        self._draft.label = shape_text(spec) if spec else ""
        self.addItem(self._draft)

    def _anchor_of(self, ref: PortRef) -> QPointF:
        node_id, port_name, is_output = ref
        item = self.node_items[node_id]
        ports = item.output_ports if is_output else item.input_ports
        return ports[port_name].scene_anchor()

    def _update_wire(self, pos: QPointF) -> None:
        assert self._draft is not None and self._draft_from is not None
        anchor = self._anchor_of(self._draft_from)
        start, end = (anchor, pos) if self._draft_from[2] else (pos, anchor)
        self._draft.setPath(wire_path(start, end))
        port = self.port_at(pos)
        if port is not self._hover_port and self._hover_port is not None:
            self._hover_port.set_verdict(None)
        self._hover_port = port
        if port is not None:
            problem = self._problem_for(port)
            port.set_verdict("bad" if problem else "good")
            if problem:
                self.editor.show_status(problem, error=True)

    def _problem_for(self, port: PortItem) -> str | None:
        assert self._draft_from is not None
        node_id, port_name, from_output = self._draft_from
        if port.is_output == from_output:
            return "a wire joins an output (right side) to an input (left side)"
        if from_output:
            return self.connection_problem(node_id, port_name, port.node_id, port.name,
                                           ignore=self._draft_hidden)
        return self.connection_problem(port.node_id, port.name, node_id, port_name)

    def _finish_wire(self, pos: QPointF) -> None:
        assert self._draft_from is not None
        draft_from, hidden = self._draft_from, self._draft_hidden
        self._cancel_wire()
        port = self.port_at(pos)
        if port is None:
            if hidden is not None:
                self.editor.push(Disconnect(self.graph_name, [hidden]))
            else:
                self.editor.request_quick_add(self.graph_name, pos, draft_from)
            return
        node_id, port_name, from_output = draft_from
        if hidden is not None and port.node_id == self.graph.edges[hidden].target \
                and port.name == self.graph.edges[hidden].target_port:
            return  # dropped back where it was
        self._draft_from, self._draft_hidden = draft_from, hidden
        problem = self._problem_for(port)
        self._draft_from = self._draft_hidden = None
        if problem:
            self.editor.show_status(problem, error=True)
            return
        if from_output:
            source, target = (node_id, port_name), (port.node_id, port.name)
        else:
            source, target = (port.node_id, port.name), (node_id, port_name)
        self.editor.push(self.wire_command(source, target, moving=hidden))

    def wire_command(self, source: tuple[str, str], target: tuple[str, str],
                     moving: str | None = None) -> Command:
        """The command that draws ``source`` -> ``target``, replacing a wire already there."""
        graph = self.graph
        occupant = graph.edge_into(*target)
        steps: list[Command] = []
        if occupant is not None and occupant.id != moving:
            steps.append(Disconnect(self.graph_name, [occupant.id]))
        if moving is not None:
            steps.append(Reconnect(self.graph_name, moving, "target", *target))
        else:
            steps.append(Connect(self.graph_name, *source, *target))
        if len(steps) == 1:
            return steps[0]
        names = (graph.nodes[source[0]].name, graph.nodes[target[0]].name)
        return MacroCommand(f"Connect {names[0]} to {names[1]}", steps)

    def _cancel_wire(self) -> None:
        if self._draft is not None:
            self.removeItem(self._draft)
        if self._draft_hidden is not None and self._draft_hidden in self.edge_items:
            self.edge_items[self._draft_hidden].setVisible(True)
        if self._hover_port is not None:
            self._hover_port.set_verdict(None)
        self._draft = None
        self._draft_from = None
        self._draft_hidden = None
        self._hover_port = None

    # ----- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_at(event.scenePos())
            if port is not None:
                self._start_wire(port)
                self._update_wire(event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {node_id: item.pos() for node_id, item
                                     in self.node_items.items() if item.isSelected()}
            frame = next((i for i in self.selectedItems() if isinstance(i, FrameItem)
                          and i.isUnderMouse()), None)
            if frame is None:
                frame = next((i for i in self.items(event.scenePos())
                              if isinstance(i, FrameItem)), None)
            if frame is not None and not frame.resizing and frame.isSelected():
                inside = self._nodes_inside(frame)
                self._frame_drag = (frame, frame.pos(), {
                    node_id: self.node_items[node_id].pos() for node_id in inside})

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._draft is not None:
            self._update_wire(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self._frame_drag is not None:
            frame, start, nodes = self._frame_drag
            delta = frame.pos() - start
            for node_id, origin in nodes.items():
                item = self.node_items[node_id]
                if not item.isSelected():
                    item.setPos(origin + delta)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._draft is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_wire(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._commit_moves()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        items = [i for i in self.items(event.scenePos())
                 if isinstance(i, NodeItem | FrameItem)]
        if not items:
            self.editor.request_quick_add(self.graph_name, event.scenePos(), None)
            event.accept()
            return
        item = items[0]
        if isinstance(item, NodeItem):
            self.editor.activate_item(self.graph_name, "node", item.node.id)
        else:
            self.editor.activate_item(self.graph_name, "frame", item.frame.id)
        event.accept()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        kind, item_id = "canvas", None
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                kind, item_id = "node", item.node.id
                if not item.isSelected():
                    self.select_nodes([item.node.id])
                break
            if isinstance(item, EdgeItem):
                kind, item_id = "edge", item.edge_id
                break
            if isinstance(item, FrameItem):
                kind, item_id = "frame", item.frame.id
                break
        self.editor.show_context_menu(self.graph_name, event.screenPos(), kind, item_id)
        event.accept()

    def _nodes_inside(self, frame: FrameItem) -> list[str]:
        rect = frame.sceneBoundingRect()
        return [node_id for node_id, item in self.node_items.items()
                if rect.contains(item.sceneBoundingRect().adjusted(10, 10, -10, -10))]

    def _commit_moves(self) -> None:
        """After a drag: one MoveNodes (and frame) step, and a drop onto a wire inserts."""
        frame_drag, self._frame_drag = self._frame_drag, None
        pressed, self._press_positions = self._press_positions, {}
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        graph = self.graph
        for node_id, item in self.node_items.items():
            node = graph.nodes.get(node_id)
            if node is None:
                continue
            now = (item.pos().x(), item.pos().y())
            if now != tuple(node.position):
                moves[node_id] = (tuple(node.position), now)
        steps: list[Command] = []
        if moves:
            steps.append(MoveNodes(self.graph_name, moves))
        if frame_drag is not None:
            frame_item = frame_drag[0]
            rect = frame_item.scene_rect()
            if tuple(rect) != tuple(frame_item.frame.rect):
                steps.append(EditFrame(self.graph_name, frame_item.frame.id, rect=rect))
        if not steps:
            return
        insert = self._insertion(list(moves)) if len(moves) == 1 and pressed else None
        if insert is not None:
            steps += insert
        command = steps[0] if len(steps) == 1 else MacroCommand(
            "Insert block into wire" if insert else "Move frame", steps)
        self.editor.push(command)

    def _insertion(self, moved: list[str]) -> list[Command] | None:
        """Commands that put a lone, unwired node into the wire it was dropped on."""
        (node_id,) = moved
        return self.insertion_commands(node_id, self.node_items[node_id].sceneBoundingRect())

    def insertion_commands(self, node_id: str, area: QRectF) -> list[Command] | None:
        graph = self.graph
        node = graph.nodes[node_id]
        if graph.edges_of(node_id):
            return None
        inputs, outputs = self.doc.input_ports(node), self.doc.output_ports(node)
        if not inputs or not outputs:
            return None
        for item in self.items(area):
            if not isinstance(item, EdgeItem) or not item.isVisible():
                continue
            edge = graph.edges[item.edge_id]
            return [
                Disconnect(self.graph_name, [edge.id]),
                Connect(self.graph_name, edge.source, edge.source_port, node_id,
                        inputs[0].name),
                Connect(self.graph_name, node_id, outputs[0].name, edge.target,
                        edge.target_port),
            ]
        return None

    def frame_item_resized(self, item: FrameItem) -> None:
        self.editor.push(EditFrame(self.graph_name, item.frame.id, rect=item.scene_rect()))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self._draft is not None:
            self._cancel_wire()
            event.accept()
            return
        super().keyPressEvent(event)


def item_is_node(item: QGraphicsItem) -> bool:
    return isinstance(item, NodeItem)
