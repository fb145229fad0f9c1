"""The Problems dock: every error and warning of the document; a click shows the block."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.inference import ERROR
from netbuilder.ui import theme
from netbuilder.ui.document import DocumentWidget

_REF_ROLE = Qt.ItemDataRole.UserRole


class ProblemsWidget(QWidget):
    """Lists the diagnostics of the current document.

    Signals:
        problem_activated(graph, node_id): a problem was clicked (node_id may be None).
    """

    problem_activated = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor: DocumentWidget | None = None
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Problem", "Block", "Network"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)

    def set_editor(self, editor: DocumentWidget | None) -> None:
        if self.editor is not None:
            try:
                self.editor.analysed.disconnect(self.refresh)
            except (RuntimeError, TypeError):
                pass
        self.editor = editor
        if editor is not None:
            editor.analysed.connect(self.refresh)
        self.refresh()

    def count(self) -> int:
        return self.tree.topLevelItemCount()

    def refresh(self) -> None:
        self.tree.clear()
        if self.editor is None:
            return
        colours = theme.current()
        for graph_name, analysis in self.editor.analyses().items():
            graph = self.editor.doc.graph(graph_name)
            for diagnostic in analysis.diagnostics:
                node = graph.nodes.get(diagnostic.node) if diagnostic.node else None
                mark = "✖" if diagnostic.severity == ERROR else "⚠"
                item = QTreeWidgetItem([f"{mark}  {diagnostic.message}",
                                        node.name if node else "", graph_name])
                item.setForeground(0, QBrush(colours.error if diagnostic.severity == ERROR
                                             else colours.warning))
                item.setToolTip(0, diagnostic.message)
                item.setData(0, _REF_ROLE, (graph_name, diagnostic.node))
                self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(1)

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        graph, node_id = item.data(0, _REF_ROLE)
        self.problem_activated.emit(graph, node_id)
