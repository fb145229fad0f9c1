"""One open document: its undo stack, a canvas per network, live shape checking.

:class:`DocumentWidget` is the only place that pushes edits: views and docks hand it core
commands through :meth:`DocumentWidget.push`. It implements the scene's ``Editor`` protocol.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

import netbuilder
from netbuilder.core.commands import AddNodes, Command, RemoveFrames, RemoveNodes
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import GROUP, Document, Graph
from netbuilder.core.inference import Analysis, ShapeCache, analyse
from netbuilder.ui.canvas.geometry import GRID, snap
from netbuilder.ui.canvas.scene import CanvasScene, PortRef
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.undo import QtCommand

#: Shape inference waits this long after the last edit (typing in a spin box is one run).
CHECK_DELAY_MS = 60

_MODEL_EVENTS = ("graph_added", "graph_removed", "graph_renamed", "node_added", "node_removed",
                 "edge_added", "edge_removed", "params_changed", "node_renamed",
                 "node_bypassed")


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
        self._analyses: dict[str, Analysis] = {}
        self._cache = ShapeCache()
        self._scenes: dict[str, CanvasScene] = {}
        self._views: dict[str, CanvasView] = {}

        self.tabs = QTabWidget(self)
        self.tabs.setTabPosition(QTabWidget.TabPosition.South)
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_graph_tab)
        self.tabs.currentChanged.connect(lambda _: self.selection_changed.emit())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self.check_now)
        for event in _MODEL_EVENTS:
            self.doc.events.connect(event, self._on_model_changed)
        self.undo_stack.cleanChanged.connect(lambda _: self.title_changed.emit())

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

    def detach(self) -> None:
        """Disconnects from the model before the widget goes away."""
        self._check_timer.stop()
        for event in _MODEL_EVENTS:
            self.doc.events.disconnect(event, self._on_model_changed)
        for scene in self._scenes.values():
            scene.detach()

    # ----- canvases -----------------------------------------------------------------------------
    def open_graph(self, name: str) -> CanvasView:
        """Shows the tab of a network or group definition, creating it when needed."""
        if name not in self._views:
            scene = CanvasScene(self, name)
            view = CanvasView(scene, self)
            view.block_dropped.connect(lambda type_id, pos, g=name: self.add_block(g, type_id,
                                                                                     pos))
            view.quick_add = lambda pos, g=name: self.request_quick_add(g, pos, None)
            scene.selectionChanged.connect(self.selection_changed)
            self._scenes[name], self._views[name] = scene, view
            graph = self.doc.graph(name)
            label = f"{name}" if graph.kind != GROUP else f"group: {name}"
            index = self.tabs.addTab(view, label)
            if graph.kind != GROUP:
                # Networks stay open: only group definitions get a close button.
                self.tabs.tabBar().setTabButton(index, self.tabs.tabBar().ButtonPosition
                                                .RightSide, None)
            QTimer.singleShot(0, view.show_start)
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
        """Applies ``command`` as one undo step; shows the reason and returns False if refused."""
        try:
            command.redo(self.doc)
        except (NetbuilderError, ValueError) as error:
            self.show_status(str(error), error=True)
            return False
        self.undo_stack.push(QtCommand(self.doc, command))
        return True

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Groups the pushes inside into one undo step (all undone if one raises)."""
        self.undo_stack.beginMacro(text)
        ok = False
        try:
            yield
            ok = True
        finally:
            self.undo_stack.endMacro()
            if not ok:
                self.undo_stack.undo()

    def add_block(self, graph: str, type_id: str, scene_pos: QPointF,
                  source: PortRef | None = None) -> str | None:
        """Adds a block at ``scene_pos``, wired to ``source`` or dropped into a wire there."""
        spec = self.doc.catalogue.get(type_id)
        if spec is None:
            self.show_status(f"unknown block type '{type_id}'", error=True)
            return None
        position = (snap(scene_pos.x() - GRID * 4), snap(scene_pos.y() - GRID * 2))
        add = AddNodes.block(graph, type_id, position)
        with self.macro(f"Add {spec.title}"):
            if not self.push(add):
                return None
            node_id = add.node_ids[0]
            scene = self.open_graph(graph).canvas
            if source is not None:
                self._wire_new_block(scene, node_id, source)
            else:
                item = scene.node_items[node_id]
                for command in scene.insertion_commands(node_id, item.sceneBoundingRect()) or []:
                    self.push(command)
        scene.select_nodes([node_id])
        return node_id

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
        scene = self.current_scene
        if scene is None:
            return
        nodes, edges, frames = (scene.selected_node_ids(), scene.selected_edge_ids(),
                                scene.selected_frame_ids())
        if not (nodes or edges or frames):
            return
        with self.macro("Delete"):
            if nodes or edges:
                self.push(RemoveNodes(scene.graph_name, nodes, edges))
            if frames:
                self.push(RemoveFrames(scene.graph_name, frames))

    # ----- shape checking -------------------------------------------------------------------------
    def _on_model_changed(self, **_: object) -> None:
        self._check_timer.start()
        self.title_changed.emit()

    def check_now(self) -> None:
        """Runs shape inference on every network (and open group) and shows the results."""
        self._check_timer.stop()
        analyses: dict[str, Analysis] = {}
        for name, graph in self.doc.graphs.items():
            if graph.kind != GROUP or name in self._views:
                analyses[name] = analyse(self.doc, graph, self._cache)
        self._analyses = analyses
        for name, scene in self._scenes.items():
            scene.apply_analysis(analyses.get(name))
        self._sync_tabs()
        self.analysed.emit()

    def analysis(self, graph: str) -> Analysis | None:
        return self._analyses.get(graph)

    def analyses(self) -> dict[str, Analysis]:
        return dict(self._analyses)

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
        netbuilder.save(self.doc, path)
        self.path = path
        self.undo_stack.setClean()
        self.title_changed.emit()

    def graphs(self) -> dict[str, Graph]:
        return dict(self.doc.graphs)
