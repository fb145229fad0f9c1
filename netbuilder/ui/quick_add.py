"""The quick-add popup: type to filter blocks, Enter to add one where the cursor is."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.ui.palette import HIDDEN_ROLES, category_icon, matches

_TYPE_ROLE = Qt.ItemDataRole.UserRole


class QuickAddPopup(QFrame):
    """A small searchable list of blocks shown at the cursor.

    Args:
        catalogue: the block types.
        accepts: keeps only the blocks for which it returns True (when a wire was dropped
            on empty canvas: the blocks that can take that wire).
        parent: the window the popup belongs to.

    Signals:
        chosen(type_id): a block was picked (Enter or a click); the popup then closes.
    """

    chosen = Signal(str)

    def __init__(self, catalogue: Catalogue, accepts: Callable[[BlockSpec], bool] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add block…")
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(280, 340)
        for spec in catalogue:
            if spec.role in HIDDEN_ROLES or (accepts is not None and not accepts(spec)):
                continue
            item = QListWidgetItem(category_icon(spec.category), f"{spec.title}")
            item.setData(_TYPE_ROLE, spec.type)
            item.setToolTip(spec.doc.split("\n\n")[0])
            item.setData(Qt.ItemDataRole.UserRole + 1, spec)
            self.list.addItem(item)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._pick)
        self.list.itemClicked.connect(self._pick)
        self._filter("")

    def popup_at(self, global_pos: QPoint) -> None:
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def visible_types(self) -> list[str]:
        return [self.list.item(i).data(_TYPE_ROLE) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def _filter(self, text: str) -> None:
        first = None
        for index in range(self.list.count()):
            item = self.list.item(index)
            hide = bool(text) and not matches(item.data(Qt.ItemDataRole.UserRole + 1), text)
            item.setHidden(hide)
            if not hide and first is None:
                first = item
        self.list.setCurrentItem(first)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down move in the list and Enter picks, while typing stays in the search box.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                visible = [self.list.item(i) for i in range(self.list.count())
                           if not self.list.item(i).isHidden()]
                if visible:
                    current = self.list.currentItem()
                    index = visible.index(current) if current in visible else -1
                    step = 1 if key == Qt.Key.Key_Down else -1
                    self.list.setCurrentItem(visible[(index + step) % len(visible)])
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.list.currentItem() is not None:
                    self._pick(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)

    def _pick(self, item: QListWidgetItem) -> None:
        type_id = item.data(_TYPE_ROLE)
        self.close()
        self.chosen.emit(type_id)
