"""The netbuilder window, for now a read-only summary of a graph file.

A placeholder until the node editor lands: one tab per network, each a table of the network's
blocks with their output shapes, parameter counts and problems, as shape inference sees them.
Window construction (:class:`MainWindow`) is separate from file loading (:meth:`open_file`)
so that tests can build a window from a document made in code.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSpacerItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import netbuilder
from netbuilder import resources
from netbuilder.core.graph import Document, Graph, Node
from netbuilder.core.inference import ERROR, Analysis, Diagnostic, analyse_document
from netbuilder.core.tensor import TensorSpec, format_shape

APP_NAME = "netbuilder"
DEFAULT_EXAMPLE = "mnist_cnn"
FILE_FILTER = "netbuilder graphs (*.nbg);;All files (*)"

#: Columns of a network's table, in order.
COLUMNS = ("Node", "Block", "Output shape", "Parameters", "Problems")
COL_NODE, COL_BLOCK, COL_SHAPE, COL_PARAMS, COL_PROBLEMS = range(len(COLUMNS))

# Row and header padding: Qt's defaults pack rows at text height, which reads as cramped.
_TABLE_STYLE = """
QTreeView::item { padding: 4px 10px 4px 6px; }
QHeaderView::section {
    padding: 6px 10px 6px 6px;
    border: none;
    border-bottom: 1px solid palette(mid);
    border-right: 1px solid palette(midlight);
    background: palette(window);
    font-weight: 600;
}
"""
_ERROR_MARK, _WARNING_MARK = "✖", "⚠"

_ERROR_COLOUR = QColor("#c62828")
_WARNING_COLOUR = QColor("#a15c00")
_MUTED_COLOUR = QColor("#757575")


def format_count(value: int) -> str:
    """A parameter count with thousands separators: ``225,034``."""
    return f"{value:,}"


def format_spec(spec: TensorSpec) -> str:
    """A tensor spec as the UI shows it: ``(32, 26, 26)``, with the dtype when not float32."""
    text = format_shape(spec.shape) if spec.shape else "scalar"
    return text if spec.dtype == "float32" else f"{text} {spec.dtype}"


def format_outputs(outputs: dict[str, TensorSpec]) -> str:
    """One port shows its shape alone; several show ``port: shape`` each."""
    if len(outputs) == 1:
        return format_spec(next(iter(outputs.values())))
    return ",  ".join(f"{port}: {format_spec(spec)}" for port, spec in outputs.items())


class NetworkTable(QTreeWidget):
    """The blocks of one network: name, block, output shape, parameters and problems.

    Args:
        doc: the document the network belongs to (for block titles).
        graph: the network.
        analysis: shape inference results for ``graph``.
    """

    def __init__(self, doc: Document, graph: Graph, analysis: Analysis,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.analysis = analysis
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)  # flat for now; group instances may expand later
        self.setAlternatingRowColors(True)
        self.setStyleSheet(_TABLE_STYLE)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.header().setStretchLastSection(True)
        self.header().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft
                                          | Qt.AlignmentFlag.AlignVCenter)
        self.headerItem().setTextAlignment(COL_PARAMS, Qt.AlignmentFlag.AlignRight
                                           | Qt.AlignmentFlag.AlignVCenter)
        self._fill(doc)
        for column in range(COL_PROBLEMS):
            self.resizeColumnToContents(column)
            # Breathing room: a column sized exactly to its widest text looks cramped.
            self.setColumnWidth(column, self.columnWidth(column) + 24)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def _fill(self, doc: Document) -> None:
        by_node: dict[str | None, list[Diagnostic]] = {}
        for diagnostic in self.analysis.diagnostics:
            by_node.setdefault(diagnostic.node, []).append(diagnostic)
        # Problems of the network as a whole (no Input, no Output) come first: they explain
        # why everything below may lack a shape.
        for diagnostic in by_node.get(None, []):
            item = QTreeWidgetItem(["(network)", "", "", "", ""])
            _set_problems(item, [diagnostic])
            item.setForeground(COL_NODE, QBrush(_MUTED_COLOUR))
            self.addTopLevelItem(item)
        for node in self.graph.nodes.values():
            self.addTopLevelItem(self._node_item(doc, node, by_node.get(node.id, [])))

    def _node_item(self, doc: Document, node: Node, problems: list[Diagnostic]
                   ) -> QTreeWidgetItem:
        spec = doc.catalogue.get(node.type)
        if spec is None:
            title = f"unknown type '{node.type}'"
        elif spec.role == "group" and node.params.get("group"):
            title = f"{spec.title}: {node.params['group']}"
        else:
            title = spec.title
        info = self.analysis.nodes.get(node.id)
        shape = format_outputs(info.outputs) if info is not None and info.outputs else ""
        params = format_count(info.params) if info is not None and info.params else ""
        if info is None and spec is not None and spec.output_ports(node.params):
            shape = "?"  # inference could not get here: upstream or this node is broken
        item = QTreeWidgetItem([node.name, title, shape, params, ""])
        item.setData(COL_NODE, Qt.ItemDataRole.UserRole, node.id)
        item.setTextAlignment(COL_PARAMS, Qt.AlignmentFlag.AlignRight
                              | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(COL_NODE, f"{node.name} ({node.id})")
        if spec is not None:
            item.setToolTip(COL_BLOCK, spec.doc.split("\n\n", 1)[0])
        if shape == "?":
            item.setForeground(COL_SHAPE, QBrush(_MUTED_COLOUR))
        _set_problems(item, problems)
        return item

    def item_for_node(self, node_id: str) -> QTreeWidgetItem | None:
        """The row of node ``node_id``, or None."""
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item.data(COL_NODE, Qt.ItemDataRole.UserRole) == node_id:
                return item
        return None


def _set_problems(item: QTreeWidgetItem, problems: Sequence[Diagnostic]) -> None:
    if not problems:
        return
    errors = [d for d in problems if d.severity == ERROR]
    item.setText(COL_PROBLEMS, "    ".join(
        f"{_ERROR_MARK if d.severity == ERROR else _WARNING_MARK} {d.message}" for d in problems))
    item.setToolTip(COL_PROBLEMS, "\n".join(
        f"{d.severity}: {d.message}" + (f" (parameter '{d.param}')" if d.param else "")
        for d in problems))
    item.setForeground(COL_PROBLEMS, QBrush(_ERROR_COLOUR if errors else _WARNING_COLOUR))
    if errors:
        font = QFont(item.font(COL_NODE))
        font.setBold(True)
        item.setFont(COL_NODE, font)
        item.setForeground(COL_NODE, QBrush(_ERROR_COLOUR))


def _summary_text(graph: Graph, analysis: Analysis) -> str:
    errors = len(analysis.errors)
    warnings = len(analysis.diagnostics) - errors
    parts = [
        f"{len(graph.nodes)} block{'s' * (len(graph.nodes) != 1)}",
        f"{format_count(analysis.total_params)} parameters",
    ]
    if errors or warnings:
        parts.append(f"{errors} error{'s' * (errors != 1)}, "
                     f"{warnings} warning{'s' * (warnings != 1)}")
    else:
        parts.append("no problems")
    return "   ·   ".join(parts)


class MainWindow(QMainWindow):
    """The app window: a tab per network of the open document.

    Args:
        doc: the document to show, or None for an empty window.
        path: the file ``doc`` came from (for the title), or None.
    """

    def __init__(self, doc: Document | None = None, path: str | Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: Document | None = None
        self.path: Path | None = None
        self.analyses: dict[str, Analysis] = {}
        self.resize(1100, 680)
        self.setMinimumSize(QSize(640, 400))
        icon = resources.icon_path()
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.empty_label = QLabel(
            "No graph open.\n\nFile ▸ Open… (Ctrl+O) opens a .nbg file.", self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #757575; font-size: 14pt;")
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addWidget(self.tabs)
        layout.addWidget(self.empty_label)
        self.setCentralWidget(central)

        self.params_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.params_label)
        self._make_menus()
        self.set_document(doc, path)

    # ----- menus --------------------------------------------------------------------------
    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.setStatusTip("Open a netbuilder graph (.nbg)")
        self.open_action.triggered.connect(self.choose_file)
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        # QKeySequence.Quit is empty on some desktops (Windows): say Ctrl+Q outright.
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

    # ----- document -----------------------------------------------------------------------
    def set_document(self, doc: Document | None, path: str | Path | None = None) -> None:
        """Shows ``doc`` (None: an empty window), replacing what was shown."""
        self.doc = doc
        self.path = Path(path) if path is not None else None
        self.tabs.clear()
        self.analyses = analyse_document(doc) if doc is not None else {}
        if doc is not None:
            for name, graph in doc.networks.items():
                self.tabs.addTab(self._network_page(doc, graph, self.analyses[name]), name)
        has_tabs = self.tabs.count() > 0
        self.tabs.setVisible(has_tabs)
        self.empty_label.setVisible(not has_tabs)
        if doc is not None and not has_tabs:
            self.empty_label.setText("This document holds no network.")
        self.setWindowTitle(self._title())
        self._update_status()

    def _network_page(self, doc: Document, graph: Graph, analysis: Analysis) -> QWidget:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 10, 4, 4)
        layout.setSpacing(8)
        summary = QLabel(_summary_text(graph, analysis), page)
        summary.setObjectName("summary")
        summary.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(summary)
        layout.addWidget(NetworkTable(doc, graph, analysis, page))
        return page

    def _title(self) -> str:
        if self.path is not None:
            return f"{APP_NAME} — {self.path.name}"
        return APP_NAME

    def total_params(self) -> int:
        """Parameters of every network of the document together."""
        return sum(analysis.total_params for analysis in self.analyses.values())

    def _update_status(self) -> None:
        if self.doc is None:
            self.params_label.setText("")
            return
        text = f"Total parameters: {format_count(self.total_params())}"
        if len(self.analyses) > 1:
            each = ", ".join(f"{name} {format_count(a.total_params)}"
                             for name, a in self.analyses.items())
            text += f"  ({each})"
        self.params_label.setText(text)
        errors = sum(len(a.errors) for a in self.analyses.values())
        if errors:
            where = ", ".join(name for name, a in self.analyses.items() if a.errors)
            self.statusBar().showMessage(
                f"{errors} error{'s' * (errors != 1)} in {where}: fix "
                f"{'it' if errors == 1 else 'them'} before training")
        else:
            self.statusBar().clearMessage()

    def table(self, network: str) -> NetworkTable:
        """The table of the network called ``network``."""
        for index in range(self.tabs.count()):
            if self.tabs.tabText(index) == network:
                table = self.tabs.widget(index).findChild(NetworkTable)
                if table is not None:
                    return table
        raise KeyError(network)

    # ----- files --------------------------------------------------------------------------
    def open_file(self, path: str | Path) -> bool:
        """Loads ``path`` and shows it; on failure explains why in a message box.

        Returns:
            True if the file was opened; False if it could not be (the window keeps what it
            showed before).
        """
        try:
            doc = netbuilder.load(path)
        except netbuilder.GraphFileError as error:
            self.show_error(f"Cannot open {Path(path).name}", str(error))
            return False
        self.set_document(doc, path)
        return True

    def choose_file(self) -> None:
        """File ▸ Open: asks for a .nbg file and opens it."""
        start = str(self.path.parent if self.path is not None else resources.examples_dir())
        chosen, _ = QFileDialog.getOpenFileName(self, "Open graph", start, FILE_FILTER)
        if chosen:
            self.open_file(chosen)

    def show_error(self, title: str, message: str) -> None:
        """A modal error box: ``title`` as its headline, ``message`` below it.

        The headline goes inside the box too, not only in its title bar, which some desktops
        (macOS, bare X11) do not show.
        """
        box = QMessageBox(QMessageBox.Icon.Critical, title, f"<b>{html.escape(title)}</b>",
                          QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setInformativeText(message)
        # QMessageBox wraps the message to a narrow column; a spacer gives it room to read.
        layout = box.layout()
        if isinstance(layout, QGridLayout):
            layout.addItem(QSpacerItem(480, 0, QSizePolicy.Policy.Minimum,
                                       QSizePolicy.Policy.Expanding),
                           layout.rowCount(), 0, 1, layout.columnCount())
        box.exec()


def default_path() -> Path | None:
    """The example opened when no file is named (None if it is not installed)."""
    try:
        return resources.example_path(DEFAULT_EXAMPLE)
    except KeyError:
        return None


def main(path: str | None = None) -> int:
    """Runs the app on ``path`` (default: the MNIST CNN example) until its window closes.

    A file that fails to load is explained in a message box (and on stderr) and the window
    opens empty, so that File ▸ Open can try another.

    Returns:
        The Qt event loop's exit code (0 on a normal quit).
    """
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    # Matches packaging/netbuilder.desktop, so that Wayland shells show the right icon.
    app.setDesktopFileName(APP_NAME)
    icon = resources.icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))

    window = MainWindow()
    target = Path(path) if path is not None else default_path()
    error: str | None = None
    if target is None:
        window.statusBar().showMessage(
            f"The '{DEFAULT_EXAMPLE}' example is not installed: use File ▸ Open.")
    else:
        try:
            window.set_document(netbuilder.load(target), target)
        except netbuilder.GraphFileError as exc:
            error = str(exc)
    window.show()
    if error is not None:
        # After show(): the message box then sits over the window it belongs to.
        print(f"netbuilder: {error}", file=sys.stderr)
        window.show_error(f"Cannot open {target.name}", error)
    return app.exec()
