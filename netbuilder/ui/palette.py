"""The block palette: every block type by category, and a search box.

Browsing shows a tree of categories. Typing in the search box switches to a flat list of the
matching blocks, best match first (the same ranking as the quick-add popup); Enter adds the
first one, Down moves into the list. A block is added by a double-click (or Enter) or by
dragging it onto a canvas (see :func:`netbuilder.ui.canvas.view.block_mime_data`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QFont, QIcon, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.ui import block_docs, block_search, glyphs, theme
from netbuilder.ui.block_list import BlockList
from netbuilder.ui.canvas.view import block_mime_data

#: Block roles the palette leaves out: they appear by other means (grouping, wires).
HIDDEN_ROLES = ("group", "group_input", "group_output")

_TYPE_ROLE = Qt.ItemDataRole.UserRole


def category_icon(category: str, size: int = 16) -> QIcon:
    """The category's glyph on a rounded square of its colour (see :mod:`glyphs`)."""
    return glyphs.category_icon(category, size)


def block_tooltip(spec: BlockSpec) -> str:
    """What the block computes, in short, and its shapes."""
    return block_docs.tooltip_html(spec)


def matches(spec: BlockSpec, text: str) -> bool:
    """True if every word of ``text`` matches the block's title, id, aliases or category."""
    return block_search.match(spec, text) is not None


def addable(catalogue: Catalogue) -> list[BlockSpec]:
    """The blocks a user adds from the palette or the quick-add popup, in catalogue order."""
    return [spec for specs in catalogue.by_category().values() for spec in specs
            if spec.role not in HIDDEN_ROLES and spec.in_palette]


class _BlockTree(QTreeWidget):
    """The category tree; dragging an item carries the block type id."""

    def startDrag(self, supported: Qt.DropAction) -> None:
        item = self.currentItem()
        type_id = item.data(0, _TYPE_ROLE) if item is not None else None
        if item is None or not type_id:
            return
        drag = QDrag(self)
        drag.setMimeData(block_mime_data(type_id))
        drag.setPixmap(item.icon(0).pixmap(QSize(20, 20), self.devicePixelRatioF()))
        drag.exec(Qt.DropAction.CopyAction)


class PaletteWidget(QWidget):
    """Blocks by category with a search box.

    Signals:
        block_activated(type_id): a block was double-clicked, or chosen with Enter.
    """

    block_activated = Signal(str)

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self._specs = addable(catalogue)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Type to find a block; Enter adds the first match, "
                               "Down moves into the list")
        self._search_action = self.search.addAction(
            glyphs.search_icon(), QLineEdit.ActionPosition.LeadingPosition)
        self.tree = self._make_tree()
        # The icon tells the category: the narrow dock keeps its width for the titles.
        self.results = BlockList(show_category=False, parent=self)
        self.results.itemActivated.connect(self._result_activated)
        self.no_match = QLabel(self)
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.no_match.setWordWrap(True)
        self.no_match.setProperty("role", "subtle")
        self.no_match.setContentsMargins(8, 16, 8, 8)
        self.stack = QStackedWidget(self)
        for page in (self.tree, self.results, self.no_match):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.stack)
        self._fill_tree()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first)
        self.search.installEventFilter(self)
        self.results.installEventFilter(self)
        theme.notifier().changed.connect(self._theme_changed)

    # ----- building ------------------------------------------------------------------------------
    def _make_tree(self) -> _BlockTree:
        tree = _BlockTree(self)
        tree.setHeaderHidden(True)
        tree.setDragEnabled(True)
        tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        tree.setIndentation(10)
        tree.setUniformRowHeights(True)
        tree.setIconSize(QSize(16, 16))
        tree.setAnimated(True)
        tree.setExpandsOnDoubleClick(True)
        tree.itemActivated.connect(self._tree_activated)
        return tree

    def _fill_tree(self) -> None:
        self.tree.clear()
        groups: dict[str, list[BlockSpec]] = {}
        for spec in self._specs:
            groups.setdefault(spec.category, []).append(spec)
        for category, specs in groups.items():
            head = QTreeWidgetItem([category])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = QFont(head.font(0))
            font.setBold(True)
            head.setFont(0, font)
            head.setForeground(0, theme.current().node_subtle)
            head.setSizeHint(0, QSize(0, 24))
            self.tree.addTopLevelItem(head)
            for spec in specs:
                item = QTreeWidgetItem([spec.title])
                item.setData(0, _TYPE_ROLE, spec.type)
                item.setIcon(0, category_icon(category))
                item.setToolTip(0, block_tooltip(spec))
                item.setSizeHint(0, QSize(0, 22))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                head.addChild(item)
            head.setExpanded(True)

    def _theme_changed(self, _name: str) -> None:
        expanded = {head.text(0) for head in self._headings() if head.isExpanded()}
        self._fill_tree()
        for head in self._headings():
            head.setExpanded(head.text(0) in expanded)
        self._search_action.setIcon(glyphs.search_icon())
        self._filter(self.search.text())

    # ----- queries (tests and the window) --------------------------------------------------------
    def items(self) -> list[QTreeWidgetItem]:
        """Every block item of the category tree (not the headings), in order."""
        found = []
        for head in self._headings():
            children = (head.child(i) for i in range(head.childCount()))
            found += [child for child in children if child is not None]
        return found

    def _headings(self) -> list[QTreeWidgetItem]:
        """The category headings of the tree, in order."""
        heads = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [head for head in heads if head is not None]

    def item_for(self, type_id: str) -> QTreeWidgetItem | None:
        return next((i for i in self.items() if i.data(0, _TYPE_ROLE) == type_id), None)

    def visible_types(self) -> list[str]:
        """The blocks shown now: all of them in category order, or the search results."""
        if self.search.text().strip():
            return self.results.types()
        return [i.data(0, _TYPE_ROLE) for i in self.items()]

    def result_item(self, type_id: str) -> QListWidgetItem | None:
        """The search-result item of a block, if it is shown."""
        for row in range(self.results.count()):
            if self.results.item(row).data(_TYPE_ROLE) == type_id:
                return self.results.item(row)
        return None

    # ----- searching -----------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        if not text.strip():
            self.stack.setCurrentWidget(self.tree)
            return
        found = block_search.search(self._specs, text)
        self.results.set_matches(found)
        if found:
            self.stack.setCurrentWidget(self.results)
        else:
            self.no_match.setText(f"No block matches “{text.strip()}”.")
            self.stack.setCurrentWidget(self.no_match)

    def _activate_first(self) -> None:
        type_id = self.results.current_type() if self.search.text().strip() else None
        if type_id:
            self.block_activated.emit(type_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if watched is self.search:
                return self._search_key(event)
            if watched is self.results and event.key() == Qt.Key.Key_Up \
                    and self.results.currentRow() <= 0:
                self.search.setFocus()  # Up from the first result goes back to typing
                return True
        return super().eventFilter(watched, event)

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            return True
        if key == Qt.Key.Key_Down:
            view = self.stack.currentWidget()
            if view is self.results and self.results.count():
                self.results.setFocus()
                self.results.setCurrentRow(min(1, self.results.count() - 1)
                                           if self.results.currentRow() == 0 else 0)
            elif view is self.tree:
                self.tree.setFocus()
                first = self.items()[0] if self.items() else None
                if first is not None and self.tree.currentItem() is None:
                    self.tree.setCurrentItem(first)
            return True
        return False

    # ----- activation ----------------------------------------------------------------------------
    def _tree_activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_id = item.data(0, _TYPE_ROLE)
        if type_id:
            self.block_activated.emit(type_id)

    def _result_activated(self, item: QListWidgetItem) -> None:
        type_id = item.data(_TYPE_ROLE)
        if type_id:
            self.block_activated.emit(type_id)
