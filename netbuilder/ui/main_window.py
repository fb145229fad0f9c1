"""The main window: document tabs, the palette, inspector and problems docks, and the menus."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import netbuilder
from netbuilder import resources
from netbuilder.core import fileformat
from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.commands import AddNetwork, EditFrame, RemoveNetwork, RenameNetwork
from netbuilder.core.errors import NetbuilderError, ShapeError
from netbuilder.core.graph import GROUP, Document
from netbuilder.core.tensor import TensorSpec
from netbuilder.ui import edit_ops, recent, recovery, theme
from netbuilder.ui.canvas.scene import PortRef
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.frame_dialog import FrameDialog
from netbuilder.ui.gallery import GalleryDialog
from netbuilder.ui.inspector import InspectorWidget
from netbuilder.ui.palette import PaletteWidget
from netbuilder.ui.problems import ProblemsWidget
from netbuilder.ui.quick_add import QuickAddPopup

APP_NAME = "netbuilder"
FILE_FILTER = "netbuilder graphs (*.nbg);;All files (*)"


class MainWindow(QMainWindow):
    """The netbuilder window. Each tab holds a :class:`DocumentWidget`."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.resize(1360, 820)
        self.undo_group = QUndoGroup(self)
        self.actions_by_name: dict[str, QAction] = {}
        self._document_ids: dict[DocumentWidget, str] = {}
        self._popup: QuickAddPopup | None = None

        self.tabs = QTabWidget(self)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._current_document_changed)
        self.empty_hint = QLabel("No document open.\n\nFile ▸ New (Ctrl+N), File ▸ Open "
                                 "(Ctrl+O) or File ▸ Example Gallery.", self)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.tabs)
        centre_layout.addWidget(self.empty_hint)
        self.setCentralWidget(centre)

        self.palette = PaletteWidget(netbuilder.new_document().catalogue, self)
        self.palette.block_activated.connect(self.add_block_at_centre)
        self.inspector = InspectorWidget(self)
        self.problems = ProblemsWidget(self)
        self.problems.problem_activated.connect(self._problem_activated)
        self.palette_dock = self._dock("Blocks", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 300],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [120], Qt.Orientation.Vertical)

        self.totals_label = QLabel(self)
        self.zoom_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.totals_label)
        self.statusBar().addPermanentWidget(self.zoom_label)
        self._build_actions()
        self._build_menus()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(recovery.AUTOSAVE_INTERVAL_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self._update_state()

    # ----- set-up -------------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, name: str, text: str, slot: Callable[[], object],
                shortcut: str | QKeySequence.StandardKey | list | None = None,
                tip: str = "", needs_document: bool = True) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        elif shortcut is not None:
            action.setShortcut(shortcut)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        action.setProperty("needs_document", needs_document)
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def _with_doc(self, operation: Callable[[DocumentWidget], object]) -> Callable[[], None]:
        def run() -> None:
            editor = self.current_editor
            if editor is not None:
                operation(editor)
        return run

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        a = self._action
        a("new", "&New", self.new_document, key.New, "Start an empty graph", False)
        a("open", "&Open…", self.open_dialog, key.Open, "Open a .nbg file", False)
        a("gallery", "Example &Gallery…", self.open_gallery, "Ctrl+Shift+O",
          "Open one of the bundled examples", False)
        a("save", "&Save", self.save, key.Save)
        a("save_as", "Save &As…", self.save_as, "Ctrl+Shift+S")
        a("close", "&Close", lambda: self.close_tab(self.tabs.currentIndex()), key.Close)
        a("quit", "&Quit", self.close, key.Quit, needs_document=False)

        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcuts(QKeySequence.StandardKey.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.actions_by_name["undo"], self.actions_by_name["redo"] = undo, redo
        self.addAction(undo)
        self.addAction(redo)
        a("cut", "Cu&t", self._with_doc(edit_ops.cut_selection), key.Cut)
        a("copy", "&Copy", self._with_doc(edit_ops.copy_selection), key.Copy)
        a("paste", "&Paste", self._with_doc(edit_ops.paste), key.Paste)
        a("duplicate", "&Duplicate", self._with_doc(edit_ops.duplicate), "Ctrl+D")
        a("delete", "&Delete", self._with_doc(lambda e: e.delete_selection()),
          [QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
        a("select_all", "Select &All", self._with_doc(edit_ops.select_all), key.SelectAll)
        a("rename", "&Rename Block…", self.rename_selected, "F2")
        a("bypass", "&Bypass Block", self._with_doc(edit_ops.toggle_bypass), "B",
          "Let the selected blocks pass their input through (a quick ablation)")
        a("group", "&Group", self._with_doc(edit_ops.group_selection), "Ctrl+G",
          "Make the selection a reusable group")
        a("ungroup", "&Ungroup", self._with_doc(edit_ops.ungroup_selection), "Ctrl+Shift+G")
        a("frame", "Add &Frame", self._with_doc(edit_ops.add_frame), "Ctrl+Shift+F",
          "Frame the selection with a comment")
        a("quick_add", "&Quick Add…", self.quick_add_at_cursor, "Tab")

        a("layout", "Auto &Layout", self._with_doc(edit_ops.auto_layout), "Ctrl+L",
          "Arrange the network in layers, left to right")
        for how, text in (("left", "Align &Left"), ("right", "Align &Right"),
                          ("top", "Align &Top"), ("bottom", "Align &Bottom"),
                          ("middle", "Align &Middles"), ("spread_x", "Spread &Horizontally"),
                          ("spread_y", "Spread &Vertically")):
            a(f"align_{how}", text, self._with_doc(lambda e, h=how: edit_ops.align(e, h)))

        a("zoom_in", "Zoom &In", self._with_view("zoom_in"),
          [QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+=")])
        a("zoom_out", "Zoom &Out", self._with_view("zoom_out"), key.ZoomOut)
        a("zoom_reset", "&Actual Size", self._with_view("reset_zoom"), "Ctrl+0")
        a("fit", "&Fit to Window", self._with_view("fit"), "F")
        snap_action = a("snap", "&Snap to Grid", self._toggle_snap)
        snap_action.setCheckable(True)
        snap_action.setChecked(True)

        a("add_network", "&Add Network…", self.add_network)
        a("rename_network", "&Rename Network…", self.rename_network)
        a("remove_network", "&Delete Network", self.remove_network)
        a("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, key.HelpContents,
          needs_document=False)
        a("about", "&About netbuilder", self.show_about, needs_document=False)

    def _with_view(self, method: str) -> Callable[[], None]:
        def run() -> None:
            editor = self.current_editor
            view = editor.current_view if editor else None
            if view is not None:
                getattr(view, method)()
        return run

    def _build_menus(self) -> None:
        bar = self.menuBar()
        act = self.actions_by_name
        file_menu = bar.addMenu("&File")
        for name in ("new", "open", "gallery"):
            file_menu.addAction(act[name])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        for name in ("save", "save_as", "close"):
            file_menu.addAction(act[name])
        file_menu.addSeparator()
        file_menu.addAction(act["quit"])

        edit = bar.addMenu("&Edit")
        for name in ("undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete",
                     None, "select_all", "rename", "bypass", None, "group", "ungroup", "frame",
                     None, "quick_add"):
            edit.addSeparator() if name is None else edit.addAction(act[name])

        arrange = bar.addMenu("&Arrange")
        arrange.addAction(act["layout"])
        arrange.addSeparator()
        for how in ("left", "right", "top", "bottom", "middle", "spread_x", "spread_y"):
            arrange.addAction(act[f"align_{how}"])

        view = bar.addMenu("&View")
        for name in ("zoom_in", "zoom_out", "zoom_reset", "fit", None, "snap"):
            view.addSeparator() if name is None else view.addAction(act[name])
        view.addSeparator()
        themes = view.addMenu("&Theme")
        group = QActionGroup(self)
        for name in ("system", "dark", "light"):
            action = themes.addAction(name.capitalize())
            action.setCheckable(True)
            action.setChecked(name == "system")
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            group.addAction(action)
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())

        network = bar.addMenu("&Network")
        for name in ("add_network", "rename_network", "remove_network"):
            network.addAction(act[name])

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(act["shortcuts"])
        help_menu.addAction(act["about"])

    # ----- documents --------------------------------------------------------------------------------
    @property
    def current_editor(self) -> DocumentWidget | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentWidget) else None

    def editors(self) -> list[DocumentWidget]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())
                if isinstance(self.tabs.widget(i), DocumentWidget)]

    def add_document(self, doc: Document, path: Path | None = None,
                     title: str | None = None) -> DocumentWidget:
        editor = DocumentWidget(doc, path, self)
        if title:
            editor.setProperty("untitled_name", title)
        self._document_ids[editor] = uuid.uuid4().hex
        self.undo_group.addStack(editor.undo_stack)
        editor.status_message.connect(self.show_status)
        editor.title_changed.connect(self._update_state)
        editor.analysed.connect(self._update_state)
        editor.selection_changed.connect(self._selection_changed)
        editor.quick_add_requested.connect(self.show_quick_add)
        editor.context_menu_requested.connect(self.show_context_menu)
        editor.item_activated.connect(self._item_activated)
        index = self.tabs.addTab(editor, self._tab_title(editor))
        self.tabs.setCurrentIndex(index)
        self._current_document_changed(index)
        return editor

    def _tab_title(self, editor: DocumentWidget) -> str:
        name = editor.title if editor.path else (editor.property("untitled_name") or "Untitled")
        return f"{name}{' •' if editor.modified else ''}"

    def new_document(self) -> DocumentWidget:
        doc = netbuilder.new_document()
        doc.add_graph("model")
        editor = self.add_document(doc)
        editor.undo_stack.setClean()
        return editor

    def open_dialog(self) -> None:
        start = str(resources.examples_dir()) if not recent.recent_files() else str(
            recent.recent_files()[0].parent)
        path, _ = QFileDialog.getOpenFileName(self, "Open graph", start, FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path, as_copy: bool = False) -> DocumentWidget | None:
        """Opens a file in a new tab (or shows its tab); a bad file leaves everything as is."""
        path = Path(path)
        for editor in self.editors():
            if editor.path is not None and not as_copy and editor.path.resolve() == \
                    path.resolve():
                self.tabs.setCurrentWidget(editor)
                return editor
        try:
            doc = netbuilder.load(path)
        except netbuilder.GraphFileError as error:
            self.show_error(f"Cannot open {path.name}", str(error))
            return None
        if as_copy:
            doc.path = None
            return self.add_document(doc, None, title=f"{path.stem} (example)")
        recent.add_recent(path)
        return self.add_document(doc, path)

    def open_gallery(self) -> None:
        dialog = GalleryDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen is not None:
            self.open_file(dialog.chosen, as_copy=True)

    def save(self) -> bool:
        editor = self.current_editor
        if editor is None:
            return False
        if editor.path is None:
            return self.save_as()
        return self._save_to(editor, editor.path)

    def save_as(self) -> bool:
        editor = self.current_editor
        if editor is None:
            return False
        suggestion = str(editor.path or Path.home() / f"{editor.property('untitled_name') or 'untitled'}.nbg".replace(" (example)", ""))
        path, _ = QFileDialog.getSaveFileName(self, "Save graph as", suggestion, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(fileformat.SUFFIX):
            path += fileformat.SUFFIX
        return self._save_to(editor, Path(path))

    def _save_to(self, editor: DocumentWidget, path: Path) -> bool:
        try:
            editor.save(path)
        except NetbuilderError as error:
            self.show_error(f"Cannot save {path.name}", str(error))
            return False
        recent.add_recent(path)
        recovery.discard(self._document_ids[editor])
        self.show_status(f"Saved {path.name}")
        self._update_state()
        return True

    def close_tab(self, index: int) -> bool:
        editor = self.tabs.widget(index)
        if not isinstance(editor, DocumentWidget):
            return True
        if editor.modified and not self._confirm_discard(editor):
            return False
        recovery.discard(self._document_ids.pop(editor, ""))
        self.undo_group.removeStack(editor.undo_stack)
        editor.detach()
        self.tabs.removeTab(index)
        editor.deleteLater()
        self._update_state()
        return True

    def _confirm_discard(self, editor: DocumentWidget) -> bool:
        self.tabs.setCurrentWidget(editor)
        answer = QMessageBox.question(
            self, "Unsaved changes", f"Save the changes to {self._tab_title(editor).rstrip(' •')}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        for editor in list(self.editors()):
            if editor.modified and not self._confirm_discard(editor):
                event.ignore()
                return
        for editor in list(self.editors()):
            recovery.discard(self._document_ids.get(editor, ""))
            editor.detach()
        event.accept()

    def autosave(self) -> None:
        """Writes every modified document to its recovery file."""
        for editor in self.editors():
            document_id = self._document_ids[editor]
            if editor.modified:
                try:
                    recovery.write(document_id, fileformat.dumps(editor.doc), editor.path,
                                   self._tab_title(editor).rstrip(" •"))
                except (NetbuilderError, OSError) as error:
                    self.show_status(f"Autosave failed: {error}", error=True)
            else:
                recovery.discard(document_id)

    def offer_recovery(self) -> None:
        """After a crash: offers to reopen what the last session had not saved."""
        found = recovery.left_over()
        if not found:
            return
        names = "\n".join(f"• {item.title}" for item in found)
        answer = QMessageBox.question(
            self, "Recover unsaved work",
            f"netbuilder did not close cleanly last time. Recover these documents?\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes)
        for item in found:
            if answer == QMessageBox.StandardButton.Yes:
                try:
                    doc = netbuilder.load(item.path)
                except netbuilder.GraphFileError as error:
                    self.show_error("Cannot recover a document", str(error))
                else:
                    original = Path(item.original) if item.original else None
                    editor = self.add_document(doc, original, title=f"{item.title} (recovered)")
                    # Recovered work is unsaved work: the title shows it as modified.
                    editor.undo_stack.resetClean()
                    self._update_state()
            recovery.discard_file(item.path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = recent.recent_files()
        for path in paths:
            action = self.recent_menu.addAction(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_file(p))
        if not paths:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear", recent.clear_recent)

    # ----- drops ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.toLocalFile().endswith(fileformat.SUFFIX) for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if url.toLocalFile().endswith(fileformat.SUFFIX):
                self.open_file(Path(url.toLocalFile()))
        event.acceptProposedAction()

    # ----- editing helpers -----------------------------------------------------------------------------
    def add_block_at_centre(self, type_id: str) -> None:
        editor = self.current_editor
        view = editor.current_view if editor else None
        if editor is None or view is None or editor.current_graph is None:
            return
        centre = view.mapToScene(view.viewport().rect().center())
        editor.add_block(editor.current_graph, type_id, centre)

    def quick_add_at_cursor(self) -> None:
        editor = self.current_editor
        view = editor.current_view if editor else None
        if editor is None or view is None or editor.current_graph is None:
            return
        position = view.mapToScene(view.mapFromGlobal(self.cursor().pos()))
        if not view.viewport().rect().contains(view.mapFromScene(position)):
            position = view.mapToScene(view.viewport().rect().center())
        self.show_quick_add(editor.current_graph, position, None)

    def show_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        editor = self.current_editor
        if editor is None:
            return
        accepts = self._accepts_from(editor, graph, source) if source else None
        popup = QuickAddPopup(editor.doc.catalogue, accepts, self)
        popup.chosen.connect(lambda type_id: editor.add_block(graph, type_id, scene_pos,
                                                              source))
        self._popup = popup
        popup.popup_at(editor.global_pos_of(graph, scene_pos))

    @staticmethod
    def _accepts_from(editor: DocumentWidget, graph: str, source: PortRef
                      ) -> Callable[[BlockSpec], bool]:
        """Blocks that can take the wire being dropped (by their default params)."""
        node_id, port, from_output = source
        analysis = editor.analysis(graph)
        spec_in: TensorSpec | None = analysis.output_spec(node_id, port) if analysis and \
            from_output else None

        def accepts(spec: BlockSpec) -> bool:
            params = spec.default_params()
            ports = spec.input_ports(params) if from_output else spec.output_ports(params)
            if not ports:
                return False
            if spec_in is None or len(spec.input_ports(params)) != 1:
                return True
            try:
                spec.infer_outputs(params, {ports[0].name: spec_in})
            except ShapeError as error:
                return error.param is not None
            except Exception:  # a rule tripping on an odd input: leave the block out
                return False
            return True
        return accepts

    def rename_selected(self) -> None:
        editor = self.current_editor
        if editor is None:
            return
        nodes = editor.selected_node_ids()
        if len(nodes) != 1:
            self.show_status("Select one block to rename.")
            return
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.name_edit.setFocus()
        self.inspector.name_edit.selectAll()

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: object) -> None:
        act = self.actions_by_name
        menu = QMenu(self)
        if kind == "node":
            for name in ("rename", "bypass", "duplicate", "copy", "cut", "delete", None,
                         "group", "ungroup", "frame"):
                menu.addSeparator() if name is None else menu.addAction(act[name])
        elif kind in ("edge", "frame"):
            menu.addAction(act["delete"])
            if kind == "frame":
                menu.addAction("Edit Frame…", lambda: self._item_activated(graph, "frame",
                                                                           str(item_id)))
        else:
            for name in ("quick_add", "paste", None, "select_all", "layout", "fit"):
                menu.addSeparator() if name is None else menu.addAction(act[name])
        menu.popup(QPoint(int(screen_pos.x()), int(screen_pos.y())))

    def _item_activated(self, graph: str, kind: str, item_id: str) -> None:
        editor = self.current_editor
        if editor is None:
            return
        if kind == "frame":
            frame = editor.doc.graph(graph).frames.get(item_id)
            if frame is None:
                return
            dialog = FrameDialog(frame, self)
            if dialog.exec() == QDialog.DialogCode.Accepted:
                changes = {k: v for k, v in dialog.values().items() if getattr(frame, k) != v}
                if changes:
                    editor.push(EditFrame(graph, item_id, **changes))
        else:
            self.inspector_dock.show()
            self.inspector_dock.raise_()

    def add_network(self) -> None:
        editor = self.current_editor
        if editor is None:
            return
        name, ok = QInputDialog.getText(self, "Add network", "Name of the new network:")
        if ok and name and editor.push(AddNetwork(name.strip())):
            editor.open_graph(name.strip())

    def rename_network(self) -> None:
        editor = self.current_editor
        graph = editor.current_graph if editor else None
        if editor is None or graph is None:
            return
        name, ok = QInputDialog.getText(self, "Rename network", "New name:", text=graph)
        if ok and name and name.strip() != graph:
            editor.push(RenameNetwork(graph, name.strip()))

    def remove_network(self) -> None:
        editor = self.current_editor
        graph = editor.current_graph if editor else None
        if editor is None or graph is None:
            return
        if editor.doc.graph(graph).kind != GROUP and len(editor.doc.networks) == 1:
            self.show_status("A document keeps at least one network.", error=True)
            return
        editor.push(RemoveNetwork(graph))

    def _toggle_snap(self) -> None:
        enabled = self.actions_by_name["snap"].isChecked()
        for editor in self.editors():
            for name in editor.graphs():
                scene = editor.scene(name)
                if scene is not None:
                    scene.snapping = enabled

    def set_theme(self, name: str) -> None:
        theme.apply(name)
        for editor in self.editors():
            for graph in editor.graphs():
                view = editor.view(graph)
                if view is not None:
                    view.canvas.setBackgroundBrush(theme.current().canvas)
                    for item in view.canvas.items():
                        item.update()
                    view.viewport().update()

    # ----- state --------------------------------------------------------------------------------------
    def _current_document_changed(self, index: int) -> None:
        editor = self.current_editor
        if editor is not None:
            self.undo_group.setActiveStack(editor.undo_stack)
        self.problems.set_editor(editor)
        self._selection_changed()
        self._update_state()

    def _selection_changed(self) -> None:
        editor = self.current_editor
        if editor is None:
            self.inspector.show_nodes(None, None, [])
            return
        self.inspector.show_nodes(editor, editor.current_graph, editor.selected_node_ids())
        view = editor.current_view
        if view is not None and not view.property("zoom_hooked"):
            view.zoom_changed.connect(lambda _: self._update_state())
            view.setProperty("zoom_hooked", True)
        self._update_state()

    def _update_state(self) -> None:
        editor = self.current_editor
        has_doc = editor is not None
        self.tabs.setVisible(has_doc or self.tabs.count() > 0)
        self.empty_hint.setVisible(not has_doc)
        for action in self.actions_by_name.values():
            if action.property("needs_document"):
                action.setEnabled(has_doc)
        for editor_index in range(self.tabs.count()):
            widget = self.tabs.widget(editor_index)
            if isinstance(widget, DocumentWidget):
                self.tabs.setTabText(editor_index, self._tab_title(widget))
                self.tabs.setTabToolTip(editor_index, str(widget.path or ""))
        if editor is None:
            self.setWindowTitle(APP_NAME)
            self.totals_label.setText("")
            self.zoom_label.setText("")
            return
        self.setWindowTitle(f"{self._tab_title(editor).rstrip(' •')}[*] — {APP_NAME}")
        self.setWindowModified(editor.modified)
        parts, errors = [], 0
        for name, analysis in editor.analyses().items():
            if editor.doc.graph(name).kind == GROUP:
                continue
            parts.append(f"{name}: {analysis.total_params:,} params")
            errors += len(analysis.errors)
        if errors:
            parts.append(f"{errors} problem{'s' if errors > 1 else ''}")
        self.totals_label.setText("   ·   ".join(parts) + "  ")
        view = editor.current_view
        self.zoom_label.setText(f"  {view.zoom * 100:.0f}%  " if view else "")

    def _problem_activated(self, graph: str, node_id: object) -> None:
        editor = self.current_editor
        if editor is not None:
            editor.focus_node(graph, node_id if isinstance(node_id, str) else None)

    def show_status(self, message: str, error: bool = False) -> None:
        colour = theme.current().error.name() if error else ""
        self.statusBar().setStyleSheet(f"QStatusBar {{ color: {colour}; }}" if error else "")
        self.statusBar().showMessage(message, 8000 if error else 4000)

    def show_error(self, headline: str, detail: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, headline, headline, parent=self)
        box.setInformativeText(detail)
        box.exec()

    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(dialog)
        rows = [(action.text().replace("&", "").rstrip("…"),
                 ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                           for s in action.shortcuts()))
                for action in self.actions_by_name.values() if action.shortcuts()]
        rows += [("Pan", "Middle drag, or Space + drag"), ("Zoom", "Mouse wheel"),
                 ("Wire", "Drag from a port to a port"),
                 ("Add block", "Double-click empty canvas, or drag from the palette"),
                 ("Cancel a wire", "Esc")]
        table.setColumnCount(2)
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels(["Command", "Keys"])
        for row, (name, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        dialog.resize(520, 620)
        dialog.exec()

    def show_about(self) -> None:
        QMessageBox.about(self, "About netbuilder",
                          f"<b>netbuilder {netbuilder.__version__}</b><p>Design neural networks "
                          "as graphs, see every shape as you draw, compile to PyTorch.</p>")
