"""The main window: document tabs, the palette, inspector and problems docks, menus, status bar.

The window arranges and routes; the work lives in focused modules: :mod:`.actions` (commands,
shortcuts, menus), :mod:`.files` (new, open, save, close, recovery), :mod:`.editing` (quick
add, context menus, networks), :mod:`.exchange` (export and import, in the background),
:mod:`.shortcuts` (single keys, the shortcuts dialog),
:mod:`.recovery` (autosave), :mod:`.status` (the status bar read-outs), :mod:`.recent` (the
recent-files menu) and :mod:`.window_state` (layout and theme kept between sessions).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import netbuilder
from netbuilder.core.graph import Document
from netbuilder.ui import actions, edit_ops, recovery, theme, window_state
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.editing import EditCommands
from netbuilder.ui.exchange import ExchangeCommands
from netbuilder.ui.files import FileCommands, display_name, nbg_paths
from netbuilder.ui.inspector import InspectorWidget
from netbuilder.ui.live_preview import LivePreview
from netbuilder.ui.palette import PaletteWidget
from netbuilder.ui.problems import ProblemsWidget
from netbuilder.ui.recent import RecentMenu
from netbuilder.ui.shortcuts import ShortcutsDialog, SingleKeyGuard
from netbuilder.ui.status import StatusIndicators
from netbuilder.ui.training.dock import TrainingDock

APP_NAME = "netbuilder"
#: Dock sizes that leave the canvas most of a 1366x768 screen.
PALETTE_WIDTH, INSPECTOR_WIDTH, PROBLEMS_HEIGHT, TRAINING_HEIGHT = 210, 280, 96, 310
_UNTITLED = "untitled_name"


class MainWindow(QMainWindow):
    """The netbuilder window. Each tab holds a :class:`DocumentWidget`.

    The window is the host of its command modules (:class:`FileCommands`,
    :class:`EditCommands`, :class:`ExchangeCommands`): each states what it needs of the
    window as a protocol (``FileHost``, ``EditHost``, ``ExchangeHost``), and none imports
    this module.

    Attributes:
        actions_by_name: every command, by the names of :data:`actions.ACTIONS`.
        files: the file commands (new, open, save, close, recover).
        edits: the editing commands that need the window (quick add, networks…).
        exchange: File ▸ Export and File ▸ Import PyTorch Module, run in the background.
        autosaver: writes modified documents to recovery files every 30 seconds.
        block_palette: the Blocks dock's palette.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.setAcceptDrops(True)
        self.undo_group = QUndoGroup(self)
        self.autosaver = recovery.Autosaver(display_name, self)
        self.autosaver.failed.connect(lambda message: self.show_status(message, error=True))
        # The command modules get the window as their host (see ui/shell.py): they see only
        # the few methods their protocols name.
        self.files = FileCommands(self, self.autosaver, self)
        self.edits = EditCommands(self, self)
        self.exchange = ExchangeCommands(self, self)
        self.statusBar().addPermanentWidget(self.exchange.busy)
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self.theme_actions: dict[str, QAction] = {}

        self._build_centre()
        self._build_docks()
        self.previews = LivePreview(self)  # each block's output on a sample, under the block
        self.status = StatusIndicators(self.statusBar(), self)
        self.training.progress_changed.connect(self.status.training.setText)
        self.actions_by_name = self._build_actions()
        self.menus = actions.build_menus(self.menuBar(), self.actions_by_name, {
            "@recent": self._add_recent_menu, "@theme": self._add_theme_menu,
            "@docks": self._add_dock_toggles})
        # Single-key shortcuts (F, B, Tab, Delete) act on the canvas, never in a text field.
        self.key_guard = SingleKeyGuard(self.tabs, self)
        for watched in (self, self.palette_dock, self.inspector_dock, self.problems_dock,
                        self.training_dock):
            watched.installEventFilter(self.key_guard)
        theme.notifier().changed.connect(self._repaint_for_theme)
        window_state.restore(self)
        self.update_state()

    # ----- set-up -------------------------------------------------------------------------------
    def _build_centre(self) -> None:
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("documents")
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(lambda _: self._current_document_changed())
        self.empty_hint = QLabel(
            "<p style='font-size:15px'>No document open</p>"
            "<p><a href='new'>New graph</a> (Ctrl+N) &nbsp;·&nbsp; <a href='open'>Open…</a> "
            "(Ctrl+O) &nbsp;·&nbsp; <a href='gallery'>Example gallery…</a></p>"
            "<p>or drop a .nbg file here</p>", self)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.linkActivated.connect(lambda name: self.actions_by_name[name].trigger())
        centre = QWidget(self)
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        layout.addWidget(self.empty_hint)
        self.setCentralWidget(centre)

    def _build_docks(self) -> None:
        # Not `palette`: that name would hide QWidget.palette(), the widget's colours.
        self.block_palette = PaletteWidget(netbuilder.new_document().catalogue, self)
        self.block_palette.block_activated.connect(self.edits.add_block_at_centre)
        self.inspector = InspectorWidget(self)
        self.problems = ProblemsWidget(self)
        self.problems.problem_activated.connect(self._problem_activated)
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        # The side docks run the full height and Problems sits under the canvas only: on a
        # 768-pixel screen the palette and the inspector need every row they can get.
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.palette_dock: QDockWidget = self._dock("Blocks", self.block_palette, left)
        self.inspector_dock: QDockWidget = self._dock("Inspector", self.inspector, right)
        self.problems.counts_changed.connect(self._problem_counts_changed)
        self.problems_dock: QDockWidget = self._dock("Problems", self.problems,
                                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.training: TrainingDock = TrainingDock(self)
        self.training.problems_changed.connect(self.problems.set_extra_problems)
        self.training.status.connect(self.show_status)
        self.training_dock: QDockWidget = self._dock("Training", self.training,
                                                     Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.problems_dock, self.training_dock)
        self.problems_dock.raise_()
        self.resizeDocks([self.palette_dock, self.inspector_dock],
                         [PALETTE_WIDTH, INSPECTOR_WIDTH], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [PROBLEMS_HEIGHT], Qt.Orientation.Vertical)
        # The two share the bottom: each tab keeps a height of its own, so the canvas keeps
        # most of a 768-pixel screen while editing and the curves get room while training.
        self._bottom_heights = {self.problems_dock: PROBLEMS_HEIGHT,
                                self.training_dock: TRAINING_HEIGHT}
        self._bottom_shown: QDockWidget = self.problems_dock
        for dock in self._bottom_heights:
            # After the tab switch is laid out: a resize asked for before takes no effect.
            dock.visibilityChanged.connect(
                lambda shown, d=dock: QTimer.singleShot(0, lambda: self._bottom_tab_shown(d))
                if shown else None)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetMovable | features.DockWidgetClosable
                         | features.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _bottom_tab_shown(self, dock: QDockWidget) -> None:
        other = self.training_dock if dock is self.problems_dock else self.problems_dock
        if (other.isFloating() or dock.isFloating() or not dock.isVisible()
                or dock is self._bottom_shown):
            return
        # The tab that was up leaves at the height the user gave it.
        if self._bottom_shown is other and other.height() > 0:
            self._bottom_heights[other] = other.height()
        self._bottom_shown = dock
        # Tabified docks resize together (Qt ignores a resize of one tab alone).
        height = self._bottom_heights[dock]
        self.resizeDocks([dock, other], [height, height], Qt.Orientation.Vertical)

    def _build_actions(self) -> dict[str, QAction]:
        existing = {"undo": self.undo_group.createUndoAction(self, "&Undo"),
                    "redo": self.undo_group.createRedoAction(self, "&Redo")}
        built = actions.build_actions(self, self._slots(), existing)
        built["snap"].setChecked(True)
        built["block_previews"].setChecked(self.previews.enabled)
        return built

    def _slots(self) -> dict[str, Callable[[], object]]:
        doc, view = self._with_editor, self._with_view
        slots: dict[str, Callable[[], object]] = {
            "new": self.new_document, "open": self.open_dialog, "gallery": self.open_gallery,
            "save": self.save, "save_as": self.save_as,
            "import_module": self.exchange.import_dialog, "export": self.exchange.export_dialog,
            "close": lambda: self.close_tab(self.tabs.currentIndex()), "quit": self.close,
            "cut": doc(edit_ops.cut_selection), "copy": doc(edit_ops.copy_selection),
            "paste": doc(edit_ops.paste), "duplicate": doc(edit_ops.duplicate),
            "delete": doc(lambda e: e.delete_selection()),
            "select_all": doc(edit_ops.select_all), "rename": self.edits.rename_selected,
            "bypass": doc(edit_ops.toggle_bypass), "group": doc(edit_ops.group_selection),
            "ungroup": doc(edit_ops.ungroup_selection), "frame": doc(edit_ops.add_frame),
            "quick_add": self.edits.quick_add_at_cursor, "layout": doc(edit_ops.auto_layout),
            "zoom_in": view("zoom_in"), "zoom_out": view("zoom_out"),
            "zoom_reset": view("reset_zoom"), "fit": view("fit"), "snap": self._apply_snap,
            "block_previews": lambda: self.previews.set_enabled(
                self.actions_by_name["block_previews"].isChecked()),
            "next_document": lambda: self._step_document(1),
            "previous_document": lambda: self._step_document(-1),
            "add_network": self.edits.add_network, "rename_network": self.edits.rename_network,
            "remove_network": self.edits.remove_network, "shortcuts": self.show_shortcuts,
            "train_start": self._train(self.training.start),
            "train_pause": self._train(self.training.toggle_pause),
            "train_stop": self._train(self.training.stop),
            "train_continue": self._train(lambda: self.training.start(resume=True)),
            "about": self.show_about,
        }
        for spec in actions.ACTIONS:
            if spec.name.startswith("align_"):
                how = spec.name.removeprefix("align_")
                slots[spec.name] = doc(partial(edit_ops.align, how=how))
        return slots

    def _train(self, operation: Callable[[], object]) -> Callable[[], None]:
        """A Training menu command: shows the dock, then acts."""
        def run() -> None:
            self.training_dock.show()
            self.training_dock.raise_()
            operation()
        return run

    def _with_editor(self, operation: Callable[[DocumentWidget], object]) -> Callable[[], None]:
        def run() -> None:
            editor = self.current_editor
            if editor is not None:
                operation(editor)
        return run

    def _with_view(self, method: str) -> Callable[[], None]:
        def run() -> None:
            editor = self.current_editor
            view = editor.current_view if editor else None
            if view is not None:
                getattr(view, method)()
        return run

    def _add_recent_menu(self, menu: QMenu) -> None:
        self.recent_menu = RecentMenu(menu)
        self.recent_menu.open_requested.connect(self.open_file)
        menu.addMenu(self.recent_menu)

    def _add_theme_menu(self, menu: QMenu) -> None:
        themes = menu.addMenu("&Theme")
        group = QActionGroup(self)
        chosen = window_state.saved_theme()
        for name in window_state.THEMES:
            action = themes.addAction(name.capitalize())
            action.setCheckable(True)
            action.setChecked(name == chosen)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            group.addAction(action)
            self.theme_actions[name] = action

    def _add_dock_toggles(self, menu: QMenu) -> None:
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock,
                     self.training_dock):
            menu.addAction(dock.toggleViewAction())

    # ----- documents ----------------------------------------------------------------------------
    @property
    def current_editor(self) -> DocumentWidget | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentWidget) else None

    def editors(self) -> list[DocumentWidget]:
        widgets = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [widget for widget in widgets if isinstance(widget, DocumentWidget)]

    def add_document(self, doc: Document, path: Path | None = None,
                     title: str | None = None) -> DocumentWidget:
        """Shows ``doc`` in a new tab (unmodified); ``title`` names a document with no file."""
        editor = DocumentWidget(doc, path, self)
        if title:
            editor.setProperty(_UNTITLED, title)
        self.undo_group.addStack(editor.undo_stack)
        editor.status_message.connect(self.show_status)
        editor.title_changed.connect(self.update_state)
        editor.analysed.connect(self.update_state)
        editor.selection_changed.connect(self._selection_changed)
        editor.quick_add_requested.connect(self.edits.show_quick_add)
        editor.context_menu_requested.connect(self.edits.context_menu)
        editor.item_activated.connect(self.edits.item_activated)
        editor.undo_stack.setClean()
        self.autosaver.track(editor)
        self.tabs.setCurrentIndex(self.tabs.addTab(editor, display_name(editor)))
        self._apply_snap()
        self._current_document_changed()
        self.focus_editor(editor)
        return editor

    def remove_document(self, editor: DocumentWidget) -> None:
        """Closes a document's tab without asking (see :meth:`close_tab` for the question)."""
        self.autosaver.forget(editor)
        self.undo_group.removeStack(editor.undo_stack)
        self._retire(editor)
        self.tabs.removeTab(self.tabs.indexOf(editor))
        editor.deleteLater()
        self._current_document_changed()

    @staticmethod
    def _retire(editor: DocumentWidget) -> None:
        """Quietens a document widget that is about to be destroyed.

        Its scenes emit selection changes, and its undo stack emits cleanChanged, while the
        C++ objects are torn down; Python slots reached then find half-deleted objects.
        """
        editor.blockSignals(True)
        editor.detach()
        editor.undo_stack.clear()

    def focus_editor(self, editor: DocumentWidget) -> None:
        """Shows the document's tab and gives its canvas the keyboard."""
        self.tabs.setCurrentWidget(editor)
        view = editor.current_view
        if view is not None:
            view.setFocus()

    def _step_document(self, step: int) -> None:
        count = self.tabs.count()
        if count > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    # The file commands, kept on the window as its public API.
    def new_document(self) -> DocumentWidget:
        return self.files.new_document()

    def open_file(self, path: Path, as_copy: bool = False) -> DocumentWidget | None:
        return self.files.open_file(Path(path), as_copy)

    def open_dialog(self) -> None:
        self.files.open_dialog()

    def open_gallery(self) -> None:
        self.files.open_gallery()

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def close_tab(self, index: int) -> bool:
        """Closes the document in tab ``index``, asking first if it has unsaved changes."""
        editor = self.tabs.widget(index)
        if not isinstance(editor, DocumentWidget):
            return True
        return self.files.close_editor(editor)

    def autosave(self) -> None:
        """Writes every modified document to its recovery file now (the timer does it too)."""
        self.autosaver.save_now()

    def offer_recovery(self) -> int:
        """After a crash: offers to reopen what the last session had not saved."""
        return self.files.recover()

    # ----- window events ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.confirm_close_all():
            event.ignore()
            return
        window_state.save(self)
        for editor in self.editors():
            self._retire(editor)  # stops and joins each document's training run
        self.training.shutdown()
        self.previews.shutdown()
        self.autosaver.shutdown()
        event.accept()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_graph_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_graph_files(event)

    @staticmethod
    def _accept_graph_files(event: QDragMoveEvent) -> None:
        """Accepts a drag that carries .nbg files (to open on drop), ignores any other."""
        if nbg_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if not nbg_paths(event.mimeData()):
            event.ignore()
            return
        event.acceptProposedAction()
        self.files.open_dropped(event.mimeData())

    # ----- view settings ------------------------------------------------------------------------
    def _apply_snap(self) -> None:
        enabled = self.actions_by_name["snap"].isChecked()
        for editor in self.editors():
            for name in editor.graphs():
                scene = editor.scene(name)
                if scene is not None:
                    scene.snapping = enabled

    def _problem_counts_changed(self, errors: int, warnings: int) -> None:
        parts = [f"{errors} error{'s' if errors != 1 else ''}" if errors else "",
                 f"{warnings} warning{'s' if warnings != 1 else ''}" if warnings else ""]
        counts = ", ".join(part for part in parts if part)
        self.problems_dock.setWindowTitle(f"Problems ({counts})" if counts else "Problems")

    def set_theme(self, name: str) -> None:
        """Switches to "dark", "light" or "system" and remembers the choice."""
        theme.apply(name)
        window_state.remember_theme(name)
        if name in self.theme_actions:
            self.theme_actions[name].setChecked(True)

    def _repaint_for_theme(self, _name: str = "") -> None:
        """Canvases take the new theme's colours (after a menu choice or a desktop change)."""
        for editor in self.editors():
            for graph in editor.graphs():
                view = editor.view(graph)
                if view is not None:
                    view.canvas.setBackgroundBrush(theme.current().canvas)
                    view.resetCachedContent()  # the grid's cached picture has the old colours
                    for item in view.canvas.items():
                        item.update()
                    view.viewport().update()
        self.problems.refresh()

    def raise_inspector(self) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()

    def edit_block_name(self) -> None:
        """F2: the inspector's name field, shown, focused and selected."""
        self.raise_inspector()
        self.inspector.name_edit.setFocus()
        self.inspector.name_edit.selectAll()

    # ----- state --------------------------------------------------------------------------------
    def _current_document_changed(self) -> None:
        editor = self.current_editor
        if editor is not None:
            self.undo_group.setActiveStack(editor.undo_stack)
        else:
            # Qt takes None for "no active stack"; the PySide6 stubs leave it out.
            self.undo_group.setActiveStack(None)  # type: ignore[arg-type]
        self.problems.set_editor(editor)
        self.training.set_editor(editor)
        self.previews.set_editor(editor, self.training.session)
        self._selection_changed()

    def _selection_changed(self) -> None:
        editor = self.current_editor
        if editor is None:
            self.inspector.show_nodes(None, None, [])
        else:
            self.inspector.show_nodes(editor, editor.current_graph, editor.selected_node_ids())
        self.update_state()

    def update_state(self) -> None:
        """Refreshes tab titles, the window title, enabled actions and the status bar."""
        editor = self.current_editor
        has_doc = editor is not None
        self.tabs.setVisible(has_doc)
        self.empty_hint.setVisible(not has_doc)
        for action in self.actions_by_name.values():
            if action.property("needs_document"):
                action.setEnabled(has_doc)
        for widget in self.editors():
            index = self.tabs.indexOf(widget)
            mark = " •" if widget.modified else ""
            self.tabs.setTabText(index, f"{display_name(widget)}{mark}")
            self.tabs.setTabToolTip(index, str(widget.path or "Not saved yet"))
        if editor is None:
            self.setWindowTitle(APP_NAME)
            self.setWindowModified(False)
        else:
            # Qt shows "*" in place of [*] while the window is modified.
            self.setWindowTitle(f"{display_name(editor)}[*] — {APP_NAME}")
            self.setWindowModified(editor.modified)
            self._watch_zoom(editor)
        self.status.show(editor)

    def _watch_zoom(self, editor: DocumentWidget) -> None:
        view = editor.current_view
        if view is not None and not view.property("zoom_watched"):
            view.zoom_changed.connect(lambda _: self.status.show(self.current_editor))
            view.setProperty("zoom_watched", True)

    def _problem_activated(self, graph: str, node_id: object) -> None:
        editor = self.current_editor
        if editor is not None:
            editor.focus_node(graph, node_id if isinstance(node_id, str) else None)

    # ----- messages -----------------------------------------------------------------------------
    def show_status(self, message: str, error: bool = False) -> None:
        colour = theme.current().error.name() if error else ""
        self.statusBar().setStyleSheet(f"QStatusBar {{ color: {colour}; }}" if error else "")
        self.statusBar().showMessage(message, 8000 if error else 4000)

    def show_error(self, headline: str, detail: str) -> None:
        """A modal error message (tests replace ``QMessageBox.critical``)."""
        QMessageBox.critical(self, headline, f"<b>{html.escape(headline)}</b><br><br>"
                             f"{html.escape(detail).replace(chr(10), '<br>')}")

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help ▸ Keyboard Shortcuts, generated from the menus; not modal, so it can stay open."""
        if self._shortcuts_dialog is None:
            self._shortcuts_dialog = ShortcutsDialog(self.menus.values(), self)
        self._shortcuts_dialog.show()
        self._shortcuts_dialog.raise_()
        return self._shortcuts_dialog

    def show_about(self) -> None:
        QMessageBox.about(self, "About netbuilder",
                          f"<b>netbuilder {netbuilder.__version__}</b><p>Design neural networks "
                          "as graphs, see every shape as you draw, compile to PyTorch.</p>")
