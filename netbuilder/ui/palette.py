"""The block palette: every block type by category, with a search box; drag or double-click."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.ui import theme
from netbuilder.ui.canvas.view import block_mime_data

#: Block roles the palette leaves out: they appear by other means (grouping, wires).
HIDDEN_ROLES = ("group", "group_input", "group_output")

_TYPE_ROLE = Qt.ItemDataRole.UserRole


def category_icon(category: str, size: int = 14) -> QIcon:
    """A filled circle in the category's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.current().category(category))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def block_tooltip(spec: BlockSpec) -> str:
    """The block's doc as a tooltip: what it computes and its shapes."""
    paragraphs = [p.replace("\n", "<br>") for p in spec.doc.split("\n\n")]
    return f"<b>{spec.title}</b><p>" + "</p><p>".join(paragraphs) + "</p>"


def matches(spec: BlockSpec, text: str) -> bool:
    """True if every word of ``text`` occurs in the block's title, id, category or aliases."""
    haystack = " ".join((spec.title, spec.type, spec.category, *spec.aliases)).lower()
    return all(word in haystack for word in text.lower().split())


class _BlockTree(QTreeWidget):
    """The tree; dragging an item carries the block type id (see ``block_mime_data``)."""

    def startDrag(self, supported: Qt.DropAction) -> None:
        item = self.currentItem()
        type_id = item.data(0, _TYPE_ROLE) if item else None
        if not type_id:
            return
        drag = QDrag(self)
        drag.setMimeData(block_mime_data(type_id))
        drag.setPixmap(item.icon(0).pixmap(QSize(18, 18)))
        drag.exec(Qt.DropAction.CopyAction)


class PaletteWidget(QWidget):
    """Blocks by category with a search box.

    Signals:
        block_activated(type_id): a block was double-clicked (or chosen with Enter).
    """

    block_activated = Signal(str)

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.tree = _BlockTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setIndentation(12)
        self.tree.setUniformRowHeights(True)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._fill()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._activated)

    def _fill(self) -> None:
        self.tree.clear()
        for category, specs in self.catalogue.by_category().items():
            shown = [s for s in specs if s.role not in HIDDEN_ROLES]
            if not shown:
                continue
            head = QTreeWidgetItem([category])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            self.tree.addTopLevelItem(head)
            for spec in shown:
                item = QTreeWidgetItem([spec.title])
                item.setData(0, _TYPE_ROLE, spec.type)
                item.setIcon(0, category_icon(category))
                item.setToolTip(0, block_tooltip(spec))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                head.addChild(item)
            head.setExpanded(True)

    def items(self) -> list[QTreeWidgetItem]:
        """Every block item (not category headings), in order."""
        found = []
        for index in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(index)
            found += [head.child(i) for i in range(head.childCount())]
        return found

    def item_for(self, type_id: str) -> QTreeWidgetItem | None:
        return next((i for i in self.items() if i.data(0, _TYPE_ROLE) == type_id), None)

    def visible_types(self) -> list[str]:
        return [i.data(0, _TYPE_ROLE) for i in self.items() if not i.isHidden()]

    def _filter(self, text: str) -> None:
        for index in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(index)
            shown = 0
            for child_index in range(head.childCount()):
                item = head.child(child_index)
                spec = self.catalogue[item.data(0, _TYPE_ROLE)]
                hide = bool(text) and not matches(spec, text)
                item.setHidden(hide)
                shown += not hide
            head.setHidden(shown == 0)

    def _activate_first(self) -> None:
        visible = self.visible_types()
        if visible:
            self.block_activated.emit(visible[0])

    def _activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_id = item.data(0, _TYPE_ROLE)
        if type_id:
            self.block_activated.emit(type_id)
