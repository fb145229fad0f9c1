"""The scene of one network or group: it mirrors the document and turns gestures into commands.

The scene never changes the model itself. It subscribes to the document's events to create,
update and delete its items (as orange-canvas-core's scene does), and it hands every edit to
its editor (:class:`~netbuilder.ui.canvas.protocols.Editor`) as a core command, which the
editor pushes on its undo stack.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QTransform
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
    Reconnect,
)
from netbuilder.core.graph import Document, Edge, Frame, Graph, Node
from netbuilder.core.inference import Analysis
from netbuilder.core.wires import wire_problem
from netbuilder.ui import theme
from netbuilder.ui.canvas.block_index import BlockIndex
from netbuilder.ui.canvas.edge_item import EdgeItem
from netbuilder.ui.canvas.frame_item import FrameItem
from netbuilder.ui.canvas.moving import MoveGesture
from netbuilder.ui.canvas.node_item import NodeItem, RerouteItem, shape_text
from netbuilder.ui.canvas.overview import OVERVIEW_BELOW_ZOOM, OverviewLayer
from netbuilder.ui.canvas.port_item import PortItem
from netbuilder.ui.canvas.protocols import Editor
from netbuilder.ui.canvas.routing import Rect, Segment, segments
from netbuilder.ui.canvas.routing import window as routing_window
from netbuilder.ui.canvas.wiring import WireGesture

#: Up to this many wires, every wire is routed again after blocks move (around where they
#: are now); a larger graph routes only the wires of the blocks that moved.
ROUTE_ALL_LIMIT = 200

_EVENTS = ("node_added", "node_removed", "edge_added", "edge_removed", "params_changed",
           "node_moved", "node_renamed", "node_bypassed", "frame_added", "frame_removed",
           "frame_changed")


class CanvasScene(QGraphicsScene):
    """The items of one graph, kept in step with the document through its events.

    Gestures: a drag from a port draws a wire (:class:`WireGesture`); a drag of nodes, or of
    a frame's title bar with the nodes inside, moves them in one undo step (a lone unwired
    node let go on the wire it lights up goes into it) (:class:`MoveGesture`); a
    double-click on a wire puts a reroute point there, on a node activates it (a group opens
    its definition), on empty canvas opens quick-add.
    """

    def __init__(self, editor: Editor, graph_name: str) -> None:
        super().__init__()
        self.editor = editor
        self.graph_name = graph_name
        self.snapping = True
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[str, EdgeItem] = {}
        self.frame_items: dict[str, FrameItem] = {}
        self.wire_gesture: WireGesture | None = None
        self.move_gesture: MoveGesture | None = None
        #: The wire a dragged block would go into if let go now (highlighted).
        self._insertion_wire: EdgeItem | None = None
        self._edges_of: dict[str, set[str]] = {}
        #: The blocks' rectangles, for routing (reroute points are not obstacles).
        self._blocks = BlockIndex()
        #: The wires drawn around blocks (others keep off their runs).
        self._routed: set[str] = set()
        self._route_timer = QTimer(self)
        self._route_timer.setSingleShot(True)
        self._route_timer.setInterval(0)
        self._route_timer.timeout.connect(self.route_all)
        #: Zoomed out below OVERVIEW_BELOW_ZOOM: the overview layer draws the graph.
        self.far = False
        self.overview: OverviewLayer | None = None
        # The BSP index keeps hit tests (hover, ports under the mouse) from asking every item
        # for its bounding rect in Python; measured, it costs a 100-block drag nothing.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(theme.current().canvas)
        self._rebuild()
        self.selectionChanged.connect(self._invalidate_overview)
        for event in _EVENTS:
            self.doc.events.connect(event, getattr(self, f"_on_{event}"))

    # ----- helpers ------------------------------------------------------------------------------
    @property
    def doc(self) -> Document:
        return self.editor.doc

    @property
    def graph(self) -> Graph:
        return self.doc.graph(self.graph_name)

    def zoom(self) -> float:
        """The zoom of the view showing this scene (1.0 without one)."""
        views = self.views()
        return views[0].transform().m11() if views else 1.0

    def detach(self) -> None:
        """Stops following the document (before the scene is thrown away)."""
        for event in _EVENTS:
            self.doc.events.disconnect(event, getattr(self, f"_on_{event}"))

    def _mine(self, graph: Graph) -> bool:
        return graph.name == self.graph_name and graph is self.doc.graphs.get(self.graph_name)

    def _rebuild(self) -> None:
        self.clear()
        self.node_items.clear()
        self._blocks.clear()
        self._routed.clear()
        self.edge_items.clear()
        self.frame_items.clear()
        self._edges_of.clear()
        self.overview = OverviewLayer(self)
        self.addItem(self.overview)
        graph = self.graph
        for frame in graph.frames.values():
            self._add_frame_item(frame)
        for node in graph.nodes.values():
            self._add_node_item(node)
        for edge in graph.edges.values():
            self._add_edge_item(edge, route=False)
        # Routed once every item is in: a hit test between two additions makes Qt update
        # its index each time (opening 1,000 blocks took ten times as long).
        self.route_all()
        self.apply_analysis(self.editor.analysis(self.graph_name))

    def _add_node_item(self, node: Node) -> NodeItem:
        spec = self.doc.catalogue.get(node.type)
        kind = RerouteItem if spec is not None and spec.role == "reroute" else NodeItem
        item = kind(node, spec, self.doc.input_ports(node), self.doc.output_ports(node))
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, self.far)
        self.addItem(item)
        self.node_items[node.id] = item
        self._index_block(item)
        self._invalidate_overview(item)
        return item

    def _add_edge_item(self, edge: Edge, route: bool = True) -> None:
        item = EdgeItem(edge.id)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, self.far)
        self.addItem(item)
        self.edge_items[edge.id] = item
        self._edges_of.setdefault(edge.source, set()).add(edge.id)
        self._edges_of.setdefault(edge.target, set()).add(edge.id)
        if route:
            self._route(edge)
        for node_id, ports, name in ((edge.source, "output_ports", edge.source_port),
                                     (edge.target, "input_ports", edge.target_port)):
            node_item = self.node_items.get(node_id)
            port = getattr(node_item, ports).get(name) if node_item is not None else None
            if port is not None:
                port.set_connected(True)

    def _add_frame_item(self, frame: Frame) -> None:
        item = FrameItem(frame)
        self.addItem(item)
        self.frame_items[frame.id] = item

    def _route(self, edge: Edge) -> None:
        """Moves an edge item's ends to its ports (or to the node's side if a port vanished:
        a placeholder for an unknown block type keeps its wires)."""
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
        blocks, ends, taken = self._obstacles_near(item, start_pos, end_pos,
                                                   (edge.source, edge.target))
        item.set_ends(start_pos, end_pos, blocks, ends, taken)
        if item.corners:
            self._routed.add(edge.id)
        else:
            self._routed.discard(edge.id)
        self._invalidate_overview()

    def _obstacles_near(self, wire: EdgeItem, start: QPointF, end: QPointF,
                        attached: tuple[str, str]
                        ) -> tuple[list[Rect], list[Rect], list[Segment]]:
        """What a wire from ``start`` to ``end`` may have to go around: the rectangles of the
        other blocks and of its own ends, and the runs of other routed wires (to keep off).
        Reroute points are not obstacles: they are part of other wires."""
        area = routing_window((start.x(), start.y()), (end.x(), end.y()))
        blocks: list[Rect] = []
        ends: list[Rect] = []
        for block_id, rect in self._blocks.near(area):
            (ends if block_id in attached else blocks).append(rect)
        taken: list[Segment] = []
        for edge_id in self._routed:
            other = self.edge_items.get(edge_id)
            if other is not None and other is not wire and other.corners and other.isVisible():
                taken += segments(other.corners)
        return sorted(blocks), sorted(ends), sorted(taken)

    def _schedule_routes(self) -> None:
        """Blocks moved, came or went: wires that pass them are routed again once the
        gesture or command is over (their own wires follow at once, see node_item_moved)."""
        if len(self.edge_items) <= ROUTE_ALL_LIMIT and not self._route_timer.isActive():
            self._route_timer.start()

    def route_all(self) -> None:
        """Routes every wire again (around the blocks where they are now)."""
        self._route_timer.stop()
        graph = self.graph
        for edge_id in list(self.edge_items):
            edge = graph.edges.get(edge_id)
            if edge is not None:
                self._route(edge)

    def _index_block(self, item: NodeItem) -> None:
        if isinstance(item, RerouteItem):
            return
        rect = item.mapRectToScene(item.body_rect())
        self._blocks.put(item.node.id, (rect.left(), rect.top(), rect.right(), rect.bottom()))

    def node_item_moved(self, item: NodeItem) -> None:
        """Called by a node item whenever it moves: its wires follow."""
        self._index_block(item)
        self._invalidate_overview(item)
        if self.move_gesture is not None:
            # While the mouse drags blocks, wires are routed once per mouse move, not once
            # per moved node (an edge between two moving nodes would be routed twice).
            self.move_gesture.node_moved(item.node.id)
            return
        self.route_wires_of([item.node.id])
        self._schedule_routes()

    def route_wires_of(self, node_ids: Iterable[str]) -> None:
        """Routes the wires of some blocks again (after they moved)."""
        edges = self.graph.edges
        wires = {edge_id for node_id in node_ids for edge_id in self._edges_of.get(node_id, ())}
        for edge_id in wires:
            edge = edges.get(edge_id)
            if edge is not None:
                self._route(edge)

    def _refresh_ports_connected(self, node_id: str) -> None:
        item = self.node_items.get(node_id)
        if item is None:
            return
        edges = [self.graph.edges[e] for e in self._edges_of.get(node_id, ())
                 if e in self.graph.edges]
        inputs = {e.target_port for e in edges if e.target == node_id}
        outputs = {e.source_port for e in edges if e.source == node_id}
        for port in item.input_ports.values():
            port.set_connected(port.name in inputs)
        for port in item.output_ports.values():
            port.set_connected(port.name in outputs)

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
        graph = self.graph
        for edge_id, edge_item in self.edge_items.items():
            edge = graph.edges.get(edge_id)
            if edge is None:
                continue
            spec = analysis.output_spec(edge.source, edge.source_port)
            if isinstance(self.node_items.get(edge.target), RerouteItem):
                # A wire bent by reroute points shows its shape once, on its last piece.
                edge_item.set_label("", broken=spec is None)
            else:
                edge_item.set_label(shape_text(spec) if spec else "?", broken=spec is None)
        self._invalidate_overview()

    # ----- level of detail ----------------------------------------------------------------------
    def set_detail(self, zoom: float) -> None:
        """The view's zoom changed: far out, one overview layer draws the whole graph."""
        far = zoom < OVERVIEW_BELOW_ZOOM
        if far == self.far or self.overview is None:
            return
        self.far = far
        no_contents = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
        for item in (*self.node_items.values(), *self.edge_items.values()):
            item.setFlag(no_contents, far)
        self.overview.show_for(far)

    def _invalidate_overview(self, item: NodeItem | None = None) -> None:
        if self.overview is None or not self.far:
            return
        if item is not None:
            self.overview.include(item.sceneBoundingRect())
        self.overview.invalidate()

    def content_rect(self) -> QRectF:
        """What there is to see: the blocks, frames and wires (fit and first look use it)."""
        rect = QRectF()
        for item in self.node_items.values():
            rect = rect.united(item.sceneBoundingRect())
        for edge in self.edge_items.values():
            # The wire itself, not its paint bounds (which leave room for a label): a fit
            # must not spend zoom on blank canvas.
            rect = rect.united(edge.wire_path().boundingRect())
        for frame in self.frame_items.values():
            rect = rect.united(frame.mapRectToScene(frame.rect()))
        return rect

    # ----- document events ----------------------------------------------------------------------
    def _on_node_added(self, graph: Graph, node: Node, index: int | None) -> None:
        if self._mine(graph):
            self._add_node_item(node)
            self._schedule_routes()
        self._refresh_group_uses(graph)

    def _on_node_removed(self, graph: Graph, node: Node) -> None:
        if self._mine(graph):
            item = self.node_items.pop(node.id, None)
            self._blocks.remove(node.id)
            if item is not None:
                self.removeItem(item)
            self._edges_of.pop(node.id, None)
            self._invalidate_overview()
            self._schedule_routes()
        self._refresh_group_uses(graph)

    def _on_edge_added(self, graph: Graph, edge: Edge, index: int | None) -> None:
        if self._mine(graph):
            self._add_edge_item(edge)

    def _on_edge_removed(self, graph: Graph, edge: Edge) -> None:
        if not self._mine(graph):
            return
        item = self.edge_items.pop(edge.id, None)
        self._routed.discard(edge.id)
        if item is not None:
            self.removeItem(item)
        self._invalidate_overview()
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
                item.place(QPointF(*node.position))

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
        self._index_block(item)
        self._invalidate_overview(item)
        self.route_wires_of([node.id])
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
            return self.content_rect()
        rect = QRectF()
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # ----- hit tests ------------------------------------------------------------------------------
    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                               Qt.SortOrder.DescendingOrder, QTransform()):
            if isinstance(item, PortItem) and item.isVisible():
                return item
        return None

    def node_item_at(self, pos: QPointF) -> NodeItem | None:
        return next((i for i in self.items(pos) if isinstance(i, NodeItem)), None)

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(pos):
            if isinstance(item, EdgeItem) and item.isVisible():
                return item
        return None

    # ----- wires: checking ------------------------------------------------------------------------
    def connection_problem(self, source: str, source_port: str, target: str, target_port: str,
                           ignore: str | None = None) -> str | None:
        """Why a wire from ``source`` to ``target`` cannot be drawn, or None if it can (see
        :func:`netbuilder.core.wires.wire_problem`; the new wire replaces one already on the
        target input, as :meth:`wire_command` does)."""
        return wire_problem(self.doc, self.graph, self.editor.analysis(self.graph_name),
                            source, source_port, target, target_port, ignore)

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

    # ----- mouse --------------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.move_gesture is not None:
            # A drag whose release never came (the view took it) ends without an edit.
            self.move_gesture = None
            self.show_insertion(None)
        if event.button() == Qt.MouseButton.LeftButton and self.wire_gesture is None:
            port = self.port_at(event.scenePos())
            if port is not None:
                self.wire_gesture = WireGesture(self, port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self.move_gesture = MoveGesture.after_press(self, self.mouseGrabberItem())

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.wire_gesture is not None:
            self.wire_gesture.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self.move_gesture is not None:
            self.move_gesture.move(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self.wire_gesture is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                gesture, self.wire_gesture = self.wire_gesture, None
                gesture.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            move, self.move_gesture = self.move_gesture, None
            if move is not None:
                move.finish()
            self._schedule_routes()  # wires that the moved blocks now lie on go around them

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()
        pos = event.scenePos()
        if event.button() != Qt.MouseButton.LeftButton or self.port_at(pos) is not None:
            return
        node = self.node_item_at(pos)
        if node is not None:
            self.editor.activate_item(self.graph_name, "node", node.node.id)
            return
        edge = self.edge_at(pos)
        if edge is not None:
            self.editor.add_block(self.graph_name, "reroute", pos, into_edge=edge.edge_id)
            return
        frame = self.frame_title_at(pos)
        if frame is not None:
            self.editor.activate_item(self.graph_name, "frame", frame.frame.id)
            return
        self.editor.request_quick_add(self.graph_name, pos, None)

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
        self.editor.show_context_menu(self.graph_name, QPointF(event.screenPos()), kind,
                                      item_id)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.wire_gesture is not None:
            gesture, self.wire_gesture = self.wire_gesture, None
            gesture.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    # ----- moving nodes and frames ----------------------------------------------------------------
    def frame_title_at(self, pos: QPointF) -> FrameItem | None:
        return next((i for i in self.items(pos) if isinstance(i, FrameItem)
                     and i.grips(i.mapFromScene(pos))), None)

    def nodes_inside(self, frame: FrameItem) -> list[str]:
        """The nodes that lie wholly (give or take a margin) inside a frame."""
        rect = frame.mapRectToScene(frame.rect())
        return [node_id for node_id, item in self.node_items.items()
                if rect.contains(item.sceneBoundingRect().adjusted(10, 10, -10, -10))]

    def insertion_commands(self, node_id: str, pos: QPointF) -> list[Command] | None:
        """Commands that put a lone, unwired node into the wire under the cursor at ``pos``,
        or None when there is no wire there or the node cannot go into one."""
        if not self.can_go_into_wire(node_id):
            return None
        wire = self.wire_under(pos)
        return self.insert_into_wire(node_id, wire.edge_id) if wire is not None else None

    def can_go_into_wire(self, node_id: str) -> bool:
        """Whether a node has no wires yet and has an input and an output to splice in."""
        graph = self.graph
        node = graph.nodes.get(node_id)
        if node is None or graph.edges_of(node_id):
            return False
        return bool(self.doc.input_ports(node)) and bool(self.doc.output_ports(node))

    def wire_under(self, pos: QPointF) -> EdgeItem | None:
        """The wire whose line (give or take the width a click gets) is under ``pos``."""
        for item in self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                               Qt.SortOrder.DescendingOrder, QTransform()):
            if isinstance(item, EdgeItem) and item.isVisible():
                return item
        return None

    def show_insertion(self, wire: EdgeItem | None) -> None:
        """Highlights the wire a block would go into if let go now (None: no wire)."""
        if wire is self._insertion_wire:
            return
        if self._insertion_wire is not None and self._insertion_wire.scene() is self:
            self._insertion_wire.set_highlighted(False)
        self._insertion_wire = wire
        if wire is not None:
            wire.set_highlighted(True)

    def insert_into_wire(self, node_id: str, edge_id: str) -> list[Command]:
        """The commands that route wire ``edge_id`` through the node ``node_id``."""
        graph = self.graph
        node, edge = graph.nodes[node_id], graph.edges[edge_id]
        inputs, outputs = self.doc.input_ports(node), self.doc.output_ports(node)
        return [
            Disconnect(self.graph_name, [edge.id]),
            Connect(self.graph_name, edge.source, edge.source_port, node_id, inputs[0].name),
            Connect(self.graph_name, node_id, outputs[0].name, edge.target, edge.target_port),
        ]

    def frame_item_resized(self, item: FrameItem) -> None:
        """The resize handle was let go: one step (not merged with the frame's last edit)."""
        if tuple(item.scene_rect()) == tuple(item.frame.rect):
            return
        resize = EditFrame(self.graph_name, item.frame.id, rect=item.scene_rect())
        if not self.editor.push(MacroCommand("Resize frame", [resize])):
            item.refresh(item.frame)
