"""One open document: its undo stack, a canvas per network, live shape checking.

:class:`DocumentWidget` is the only place that pushes edits: views and docks hand it core
commands through :meth:`DocumentWidget.push`. It implements the scene's ``Editor`` protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

import netbuilder
from netbuilder.core.commands import (
    AddNodes,
    Command,
    Connect,
    MacroCommand,
    RemoveFrames,
    RemoveNodes,
)
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import GROUP, Document, Graph
from netbuilder.core.inference import Analysis, ShapeCache, analyse, group_context
from netbuilder.core.wires import reroute_bridges
from netbuilder.ui.canvas.geometry import (
    GRID,
    HEADER_HEIGHT,
    NODE_WIDTH,
    REROUTE_WIDTH,
    ROW_HEIGHT,
    snap,
)
from netbuilder.ui.canvas.protocols import PortRef
from netbuilder.ui.canvas.scene import CanvasScene
from netbuilder.ui.canvas.view import VIEW_KEY, CanvasView
from netbuilder.ui.undo import QtCommand

#: Shape inference waits this long after the last edit (typing in a spin box is one run).
CHECK_DELAY_MS = 60

_MODEL_EVENTS = ("graph_added", "graph_removed", "graph_renamed", "node_added", "node_removed",
                 "edge_added", "edge_removed", "params_changed", "node_renamed",
                 "node_bypassed")
_GRAPH_EVENTS = ("graph_added", "graph_removed", "graph_renamed")


def weights_beside(path: Path | None) -> Path | None:
    """The trained weights that lie next to a saved graph (``cnn.nbg`` -> ``cnn.pt``)."""
    if path is None:
        return None
    candidate = path.with_suffix(".pt")
    return candidate if candidate.is_file() else None


class DocumentWidget(QWidget):
    """A document in the window: tabs of canvases over one model and one undo stack.

    Signals:
        analysed(): new shape inference results are available (:meth:`analysis`).
        selection_changed(): the selected nodes of the current canvas changed.
        status_message(text, is_error): a short message for the status bar.
        title_changed(): the file name or the modified flag changed.
        quick_add_requested(graph, scene_pos, source): the canvas asks for the quick-add
            popup (Tab, a double-click on empty canvas, or a wire dropped on empty canvas).
        context_menu_requested(graph, screen_pos, kind, item_id): a right-click.
        item_activated(graph, kind, item_id): a double-click on a node or frame.
    """

    analysed = Signal()
    selection_changed = Signal()
    status_message = Signal(str, bool)
    title_changed = Signal()
    quick_add_requested = Signal(str, QPointF, object)
    context_menu_requested = Signal(str, QPointF, str, object)
    item_activated = Signal(str, str, str)

    def __init__(self, doc: Document, path: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.path = path
        self.undo_stack = QUndoStack(self)
        self._macro: list[Command] | None = None  # the pushes of an open macro()
        self._analyses: dict[str, Analysis] = {}
        self._cache = ShapeCache()
        self._scenes: dict[str, CanvasScene] = {}
        self._views: dict[str, CanvasView] = {}
        self._close_hooks: list[Callable[[], object]] = []
        #: The trained weights this document goes with (exported, saved, trained on from):
        #: those beside its file when it opens, later its last run's or a loaded file.
        self.weights: Path | None = weights_beside(path)
        self.weights_origin = f"{self.weights.name}, beside the file" if self.weights else ""

        self.tabs = QTabWidget(self)
        self.tabs.setTabPosition(QTabWidget.TabPosition.South)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_graph_tab)
        # Signal to signal, not through a lambda: a lambda outlives this widget's C++ half and
        # fails when the children it owns emit while they are destroyed.
        self.tabs.currentChanged.connect(self.selection_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)
        for event in _MODEL_EVENTS:
            self.doc.events.connect(event, self._on_model_changed)
        for event in _GRAPH_EVENTS:
            # Tabs follow networks at once: commands right after a rename must find them.
            self.doc.events.connect(event, self._on_graphs_changed)
        self.undo_stack.cleanChanged.connect(self.title_changed)

        self.check_now()
        for name, graph in doc.graphs.items():
            if graph.kind != GROUP:
                self.open_graph(name)
        if self.tabs.count():
            self.tabs.setCurrentIndex(0)

    # ----- identity -----------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.path.name if self.path else "Untitled"

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def add_close_hook(self, hook: Callable[[], object]) -> None:
        """Calls ``hook`` when the document closes (before the widget goes): a companion such
        as the document's training run stops there. Hooks run even with signals blocked."""
        self._close_hooks.append(hook)

    def detach(self) -> None:
        """Disconnects from the model before the widget goes away."""
        hooks, self._close_hooks = self._close_hooks, []
        for hook in hooks:
            hook()
        self._check_timer.stop()
        for event in _MODEL_EVENTS:
            self.doc.events.disconnect(event, self._on_model_changed)
        for event in _GRAPH_EVENTS:
            self.doc.events.disconnect(event, self._on_graphs_changed)
        for scene in self._scenes.values():
            scene.detach()
            # A scene clears its selection as it is destroyed; no one should hear that.
            scene.blockSignals(True)

    # ----- canvases -----------------------------------------------------------------------------
    def open_graph(self, name: str) -> CanvasView:
        """Shows the tab of a network or group definition, creating it when needed."""
        if name not in self._views:
            scene = CanvasScene(self, name)
            view = CanvasView(scene, self)
            # The scene's name, read at call time: a network can be renamed while open.
            view.block_dropped.connect(
                lambda type_id, pos, s=scene: self.add_block(s.graph_name, type_id, pos))
            view.quick_add = lambda pos, s=scene: self.request_quick_add(s.graph_name, pos, None)
            scene.selectionChanged.connect(self.selection_changed)
            self._scenes[name], self._views[name] = scene, view
            graph = self.doc.graph(name)
            label = f"{name}" if graph.kind != GROUP else f"group: {name}"
            index = self.tabs.addTab(view, label)
            if graph.kind != GROUP:
                # Networks stay open: only group definitions get a close button.
                self.tabs.tabBar().setTabButton(index, self.tabs.tabBar().ButtonPosition
                                                .RightSide, None)
            if graph.kind == GROUP:
                self.check_now()  # a definition's shapes come from its first use
            # With the view as context, the call is dropped if the view is gone by then.
            QTimer.singleShot(0, view, view.show_start)
        view = self._views[name]
        self.tabs.setCurrentWidget(view)
        return view

    def _close_graph_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        for name, candidate in list(self._views.items()):
            if candidate is view:
                if self.doc.graphs.get(name) is not None and self.doc.graph(name).kind != GROUP:
                    self.show_status("Networks stay open; delete one from the Network menu.")
                    return
                self._drop_canvas(name)

    def _drop_canvas(self, name: str) -> None:
        view = self._views.pop(name, None)
        scene = self._scenes.pop(name, None)
        if view is not None:
            self.tabs.removeTab(self.tabs.indexOf(view))
            view.deleteLater()
        if scene is not None:
            scene.detach()
            scene.deleteLater()

    @property
    def current_graph(self) -> str | None:
        view = self.tabs.currentWidget()
        for name, candidate in self._views.items():
            if candidate is view:
                return name
        return None

    @property
    def current_view(self) -> CanvasView | None:
        name = self.current_graph
        return self._views.get(name) if name else None

    @property
    def current_scene(self) -> CanvasScene | None:
        name = self.current_graph
        return self._scenes.get(name) if name else None

    def scene(self, graph: str) -> CanvasScene | None:
        return self._scenes.get(graph)

    def view(self, graph: str) -> CanvasView | None:
        return self._views.get(graph)

    def selected_node_ids(self) -> list[str]:
        scene = self.current_scene
        return scene.selected_node_ids() if scene else []

    def focus_node(self, graph: str, node_id: str | None) -> None:
        """Selects a node and centres the view on it (the problems list does this)."""
        view = self.open_graph(graph)
        if node_id is not None:
            view.canvas.select_nodes([node_id])
            view.center_on_node(node_id)
        view.setFocus()

    # ----- editing ------------------------------------------------------------------------------
    def push(self, command: Command) -> bool:
        """Applies ``command`` as one undo step; shows the reason and returns False if refused.

        Inside :meth:`macro`, the command joins the macro's step instead.
        """
        try:
            command.redo(self.doc)
        except (NetbuilderError, ValueError) as error:
            self.show_status(str(error), error=True)
            return False
        if self._macro is not None:
            self._macro.append(command)
        else:
            self.undo_stack.push(QtCommand(self.doc, command))
        return True

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Groups the pushes inside into one undo step (all undone if one raises).

        The step is a core MacroCommand built here rather than a QUndoStack macro: Qt would
        leave an empty step on the stack when every push inside was refused.
        """
        if self._macro is not None:  # nested: the outer macro takes the pushes
            yield
            return
        self._macro = []
        ok = False
        try:
            yield
            ok = True
        finally:
            done, self._macro = self._macro, None
            if not ok:
                for command in reversed(done):
                    command.undo(self.doc)
            elif done:
                # Wrapped even when alone: a lone command must not merge into the step before.
                label = done[0].text if len(done) == 1 and done[0].text else text
                self.undo_stack.push(QtCommand(self.doc, MacroCommand(label, done)))

    def add_block(self, graph: str, type_id: str, scene_pos: QPointF,
                  source: PortRef | None = None, *, into_edge: str | None = None
                  ) -> str | None:
        """Adds a block at ``scene_pos`` as one undo step, and returns its id.

        Args:
            graph: the network or group to add to.
            type_id: the block type.
            scene_pos: where the mouse is: the block's header (its dot, for a reroute point;
                its first port, for a block wired to ``source``) lands there.
            source: a port whose wire was dropped on empty canvas: the block is wired to it.
            into_edge: a wire to put the block into (a double-click puts reroute points
                there). With neither, a block dropped on a wire goes into that wire.

        Returns:
            The new node's id, or None if the block was refused (the status bar says why).
        """
        spec = self.doc.catalogue.get(type_id)
        if spec is None:
            self.show_status(f"unknown block type '{type_id}'", error=True)
            return None
        add = AddNodes.block(graph, type_id, drop_position(spec.role, scene_pos, source))
        with self.macro(f"Add {spec.title}"):
            if not self.push(add):
                return None
            node_id = add.node_ids[0]
            scene = self.open_graph(graph).canvas
            if source is not None:
                self._wire_new_block(scene, node_id, source)
            else:
                self._insert_new_block(scene, node_id, into_edge, scene_pos)
        scene.select_nodes([node_id])
        return node_id

    def _insert_new_block(self, scene: CanvasScene, node_id: str, edge_id: str | None,
                          scene_pos: QPointF) -> None:
        """Puts a new block into a wire (``edge_id``, or the wire under the cursor at
        ``scene_pos``): all of it or (if refused) none of it."""
        scene.show_insertion(None)
        if edge_id is not None and edge_id in scene.graph.edges:
            steps = scene.insert_into_wire(node_id, edge_id)
        else:
            steps = scene.insertion_commands(node_id, scene_pos) or []
        if steps:
            self.push(MacroCommand("Insert into wire", steps))

    def _wire_new_block(self, scene: CanvasScene, node_id: str, source: PortRef) -> None:
        node = self.doc.graph(scene.graph_name).nodes[node_id]
        other, port, from_output = source
        if from_output:
            inputs = self.doc.input_ports(node)
            if inputs:
                self.push(scene.wire_command((other, port), (node_id, inputs[0].name)))
        else:
            outputs = self.doc.output_ports(node)
            if outputs:
                self.push(scene.wire_command((node_id, outputs[0].name), (other, port)))

    def delete_selection(self) -> None:
        """Deletes the selected blocks, wires and frames as one step. A deleted reroute
        point keeps its wire: the wire then runs straight from its source to its targets."""
        scene = self.current_scene
        if scene is None:
            return
        nodes, edges, frames = (scene.selected_node_ids(), scene.selected_edge_ids(),
                                scene.selected_frame_ids())
        if not (nodes or edges or frames):
            return
        bridges = reroute_bridges(self.doc, scene.graph, nodes, edges)
        with self.macro("Delete"):
            if nodes or edges:
                self.push(RemoveNodes(scene.graph_name, nodes, edges))
            for source, source_port, target, target_port in bridges:
                self.push(Connect(scene.graph_name, source, source_port, target, target_port))
            if frames:
                self.push(RemoveFrames(scene.graph_name, frames))

    # ----- shape checking -------------------------------------------------------------------------
    def _on_model_changed(self, **_: object) -> None:
        # The title follows the undo stack's clean state (cleanChanged), not every event: a
        # paste of 500 blocks would otherwise redraw the window title 500 times.
        self._check_timer.start()

    def check_now(self) -> None:
        """Runs shape inference on every network (and open group) and shows the results."""
        self._check_timer.stop()
        analyses: dict[str, Analysis] = {}
        for name, graph in self.doc.graphs.items():
            if graph.kind != GROUP:
                analyses[name] = analyse(self.doc, graph, self._cache)
        for name, graph in self.doc.graphs.items():
            if graph.kind == GROUP and name in self._views:
                # A definition shows the shapes of its first use.
                context = group_context(self.doc, name, analyses)
                analyses[name] = analyse(self.doc, graph, self._cache, context)
        self._analyses = analyses
        for name, scene in self._scenes.items():
            scene.apply_analysis(analyses.get(name))
        self._sync_tabs()
        self.analysed.emit()

    def analysis(self, graph: str) -> Analysis | None:
        return self._analyses.get(graph)

    def analyses(self) -> dict[str, Analysis]:
        return dict(self._analyses)

    def _on_graphs_changed(self, graph: Graph, **details: object) -> None:
        renamed = details.get("old")
        if isinstance(renamed, str) and renamed in self._analyses:
            self._analyses[graph.name] = self._analyses.pop(renamed)
        # Results for graphs that are gone must not outlive them until the next check.
        self._analyses = {k: v for k, v in self._analyses.items() if k in self.doc.graphs}
        if isinstance(renamed, str) and renamed in self._views:
            self._rename_canvas(renamed, graph)
        self._sync_tabs()

    def _rename_canvas(self, old: str, graph: Graph) -> None:
        view, scene = self._views.pop(old), self._scenes.pop(old)
        scene.graph_name = graph.name
        self._views[graph.name], self._scenes[graph.name] = view, scene
        label = graph.name if graph.kind != GROUP else f"group: {graph.name}"
        self.tabs.setTabText(self.tabs.indexOf(view), label)

    def _sync_tabs(self) -> None:
        """Networks added, removed or renamed (by commands) get, lose or rename their tab."""
        for name in list(self._views):
            if name not in self.doc.graphs:
                self._drop_canvas(name)
        for name, graph in self.doc.graphs.items():
            if graph.kind != GROUP and name not in self._views:
                current = self.tabs.currentIndex()
                self.open_graph(name)
                self.tabs.setCurrentIndex(max(current, 0))

    # ----- Editor protocol ----------------------------------------------------------------------
    def show_status(self, message: str, error: bool = False) -> None:
        self.status_message.emit(message, error)

    def request_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        self.quick_add_requested.emit(graph, scene_pos, source)

    def activate_item(self, graph: str, kind: str, item_id: str) -> None:
        if kind == "node":
            node = self.doc.graph(graph).nodes.get(item_id)
            if node is not None and node.type == "group" and node.params.get("group") in \
                    self.doc.graphs:
                self.open_graph(node.params["group"])
                return
        self.item_activated.emit(graph, kind, item_id)

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: str | None) -> None:
        self.context_menu_requested.emit(graph, QPointF(screen_pos), kind, item_id)

    def global_pos_of(self, graph: str, scene_pos: QPointF) -> QPoint:
        view = self.open_graph(graph)
        return view.viewport().mapToGlobal(view.mapFromScene(scene_pos))

    # ----- files --------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Writes the document (atomically) and marks the undo stack clean.

        Raises:
            GraphFileError: the file cannot be written; the document stays modified.
        """
        self.doc.view[VIEW_KEY] = {name: view.view_state() for name, view in self._views.items()}
        netbuilder.save(self.doc, path)
        self.path = path
        self.undo_stack.setClean()
        self.title_changed.emit()

    def graphs(self) -> dict[str, Graph]:
        return dict(self.doc.graphs)


def drop_position(role: str, scene_pos: QPointF, source: PortRef | None = None
                  ) -> tuple[float, float]:
    """Where a new block's top-left corner goes so that the mouse holds the right part of it.

    A palette block hangs from its header; a block made from a dropped wire puts its first
    port where the wire ended; a reroute point centres its dot on the click.
    """
    x, y = scene_pos.x(), scene_pos.y()
    port_y = HEADER_HEIGHT + ROW_HEIGHT / 2
    if role == "reroute":
        x, y = x - REROUTE_WIDTH / 2, y - GRID
    elif source is not None and source[2]:
        y -= port_y
    elif source is not None:
        x, y = x - NODE_WIDTH, y - port_y
    else:
        x, y = x - GRID * 4, y - GRID * 2
    return snap(x), snap(y)
