"""The Problems dock: every error and warning of the document; a click shows the block.

The list follows the document's shape checks (``DocumentWidget.analysed``). Errors come
before warnings. A refresh that finds the same problems leaves the list untouched, and one
that changes it keeps the selected problem selected while it is still there.
"""

from __future__ import annotations

import contextlib
import html
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.inference import ERROR, Diagnostic
from netbuilder.ui import block_docs, glyphs, theme
from netbuilder.ui.document import DocumentWidget

_REF_ROLE = Qt.ItemDataRole.UserRole
NO_PROBLEMS = "No problems: ready to train (F5, or the Training tab)"


@dataclass(frozen=True)
class Problem:
    """One row of the list: a diagnostic with the names the user knows."""

    graph: str
    node: str | None
    message: str
    severity: str
    block: str = ""
    block_type: str = ""
    param: str | None = None

    @property
    def key(self) -> tuple[str, str | None, str]:
        return self.graph, self.node, self.message


def collect(editor: DocumentWidget) -> list[Problem]:
    """The document's problems: errors first, then warnings, each in graph and node order.

    An empty network lists nothing here ("no Input", "no Output" would greet every new
    document in red); the training checks say what to add first instead.
    """
    found: list[Problem] = []
    for graph_name, analysis in editor.analyses().items():
        if graph_name not in editor.doc.graphs:
            continue
        graph = editor.doc.graph(graph_name)
        if not graph.nodes:
            continue
        for diagnostic in analysis.diagnostics:
            found.append(_problem(editor, graph_name, graph.nodes.get(diagnostic.node or ""),
                                  diagnostic))
    return sorted(found, key=lambda p: p.severity != ERROR)  # stable: keeps the graph order


def _problem(editor: DocumentWidget, graph: str, node: object, diagnostic: Diagnostic
             ) -> Problem:
    name = getattr(node, "name", "")
    type_id = getattr(node, "type", "")
    spec = editor.doc.catalogue.get(type_id) if type_id else None
    return Problem(graph, diagnostic.node, diagnostic.message, diagnostic.severity, name,
                   spec.title if spec else type_id, diagnostic.param)


class ProblemsWidget(QWidget):
    """Lists the diagnostics of the current document.

    Signals:
        problem_activated(graph, node_id): a problem was clicked (node_id may be None).
        counts_changed(errors, warnings): the number of problems changed.
    """

    problem_activated = Signal(str, object)
    counts_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor: DocumentWidget | None = None
        self._shown: list[Problem] = []
        self._extra: list[Problem] = []
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Problem", "Block", "Network"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 160)
        header.resizeSection(2, 110)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.empty = QLabel(self)
        self.empty.setProperty("role", "subtle")
        self._empty_icon = QLabel(self)
        empty_page = QWidget(self)
        empty_row = QHBoxLayout(empty_page)
        empty_row.addStretch(1)
        empty_row.addWidget(self._empty_icon)
        empty_row.addWidget(self.empty)
        empty_row.addStretch(1)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tree)
        self.stack.addWidget(empty_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        theme.notifier().changed.connect(self._theme_changed)
        self.refresh()

    def set_editor(self, editor: DocumentWidget | None) -> None:
        """Shows the problems of ``editor`` (None: no document)."""
        if self.editor is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.editor.analysed.disconnect(self.refresh)
        self.editor = editor
        if editor is not None:
            editor.analysed.connect(self.refresh)
        self.refresh()

    def count(self) -> int:
        return self.tree.topLevelItemCount()

    def problems(self) -> list[Problem]:
        """The problems listed, in order."""
        return list(self._shown)

    def item_for(self, node_id: str) -> QTreeWidgetItem | None:
        """The first row about ``node_id``."""
        for row, problem in enumerate(self._shown):
            if problem.node == node_id:
                return self.tree.topLevelItem(row)
        return None

    def set_extra_problems(self, problems: list[Problem]) -> None:
        """Rows another panel contributes (what keeps the document from training), listed
        after the graph's own problems."""
        self._extra = list(problems)
        self.refresh()

    def refresh(self) -> None:
        problems = collect(self.editor) if self.editor is not None else []
        problems += [p for p in self._extra if p not in problems]
        if problems != self._shown or (not self.count() and problems):
            self._rebuild(problems)
        self._show_empty_state()

    # ----- drawing -------------------------------------------------------------------------------
    def _rebuild(self, problems: list[Problem]) -> None:
        selected = self._selected_key()
        scroll = self.tree.verticalScrollBar().value()
        self.tree.clear()
        self._shown = list(problems)
        multi_graph = len({p.graph for p in problems}) > 1 or (
            self.editor is not None and len(self.editor.doc.networks) > 1)
        for problem in problems:
            self.tree.addTopLevelItem(self._item(problem))
        self.tree.setColumnHidden(2, not multi_graph)
        self.tree.verticalScrollBar().setValue(scroll)
        for row, problem in enumerate(problems):
            if problem.key == selected:
                item = self.tree.topLevelItem(row)
                if item is not None:
                    self.tree.setCurrentItem(item)
                break
        else:
            self.tree.clearSelection()
        errors = sum(p.severity == ERROR for p in problems)
        self.counts_changed.emit(errors, len(problems) - errors)
        self._show_empty_state()

    def _item(self, problem: Problem) -> QTreeWidgetItem:
        block = problem.block or "—"
        message = block_docs.sentence(problem.message)
        item = QTreeWidgetItem([message, block, problem.graph])
        item.setIcon(0, glyphs.severity_icon("error" if problem.severity == ERROR
                                             else "warning"))
        severity = "Error" if problem.severity == ERROR else "Warning"
        where = f" in {problem.block} ({problem.block_type})" if problem.block else ""
        param = f"<br>Parameter: <code>{problem.param}</code>" if problem.param else ""
        item.setToolTip(0, f"<b>{severity}</b>{where}<br>{html.escape(message)}{param}"
                           "<br><i>Click to show the block.</i>")
        item.setToolTip(1, problem.block_type)
        item.setData(0, _REF_ROLE, (problem.graph, problem.node))
        return item

    def _show_empty_state(self) -> None:
        if self.count():
            self.stack.setCurrentWidget(self.tree)
            return
        has_document = self.editor is not None
        self.empty.setText(NO_PROBLEMS if has_document else "No document open")
        self._empty_icon.setVisible(has_document)
        self._empty_icon.setPixmap(glyphs.severity_icon("ok").pixmap(
            QSize(16, 16), self.devicePixelRatioF()))
        self.stack.setCurrentIndex(1)

    def _selected_key(self) -> tuple[str, str | None, str] | None:
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        row = self.tree.indexOfTopLevelItem(item)
        return self._shown[row].key if 0 <= row < len(self._shown) else None

    def _theme_changed(self, _name: str) -> None:
        self._rebuild(self._shown)

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        graph, node_id = item.data(0, _REF_ROLE)
        self.problem_activated.emit(graph, node_id)
