"""The quick-add popup: type to filter blocks, arrows to choose, Enter to add one.

It opens at the cursor (Tab, a double-click on empty canvas, or a wire dropped on empty
canvas). The list ranks blocks as the palette's search does: a title that starts with what
was typed comes before one that merely contains it; matched letters are bold and each block's
category shows on the right. When a wire was dropped, ``accepts`` keeps only the blocks that
can take it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.ui import block_search, glyphs
from netbuilder.ui.block_list import BlockList
from netbuilder.ui.palette import addable

_TYPE_ROLE = Qt.ItemDataRole.UserRole
#: Rows the popup shows without scrolling.
VISIBLE_ROWS = 12
#: The narrowest the popup gets (its search box and footer read well).
MIN_WIDTH = 260
#: What a row needs beside its icon and texts: margins, the gaps around the icon, the gap
#: between title and category (see netbuilder/ui/block_list.py).
ROW_PADDING = 44


class QuickAddPopup(QFrame):
    """A small searchable list of blocks shown at the cursor.

    Args:
        catalogue: the block types.
        accepts: keeps only the blocks for which it returns True (when a wire was dropped
            on empty canvas: the blocks that can take that wire).
        parent: the window the popup belongs to.
        hint: a line above the list saying what the list is for (e.g. the wire's shape).

    Signals:
        chosen(type_id): a block was picked (Enter or a click); the popup then closes.
    """

    chosen = Signal(str)

    def __init__(self, catalogue: Catalogue, accepts: Callable[[BlockSpec], bool] | None = None,
                 parent: QWidget | None = None, hint: str = "") -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("quickAdd")
        self._specs = [spec for spec in addable(catalogue)
                       if accepts is None or _safely(accepts, spec)]
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add block…")
        self.search.addAction(glyphs.search_icon(), QLineEdit.ActionPosition.LeadingPosition)
        self.hint = QLabel(hint or ("Blocks that can take this wire" if accepts else ""), self)
        self.hint.setProperty("role", "subtle")
        self.hint.setVisible(bool(self.hint.text()))
        self.list = BlockList(show_category=True, parent=self)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing always goes to the search box
        self.empty = QLabel(self)
        self.empty.setProperty("role", "subtle")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMinimumHeight(56)  # a message, not a squeezed line
        self.footer = QLabel("↑↓ choose   ·   Enter add   ·   Esc close", self)
        self.footer.setProperty("role", "subtle")
        small = self.footer.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.footer.setFont(small)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(4)
        for widget in (self.search, self.hint, self.list, self.empty, self.footer):
            layout.addWidget(widget)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemClicked.connect(self._pick)
        self.list.itemActivated.connect(self._pick)
        self._filter("")
        self._fit_to_content()

    def _fit_to_content(self) -> None:
        """As tall as its rows (up to VISIBLE_ROWS, then it scrolls) and as wide as its
        longest title beside its category: no blank rows, no cut-off row, no elided title.
        The size then stays while the user types, so that the popup does not jump."""
        count = self.list.count()
        if count:
            rows = min(VISIBLE_ROWS, count)
            frame = 2 * self.list.frameWidth()
            self.list.setFixedHeight(rows * self.list.sizeHintForRow(0) + frame)
            scrollbar = self.list.verticalScrollBar().sizeHint().width() \
                if count > VISIBLE_ROWS else 0
            self.list.setMinimumWidth(self._widest_row() + scrollbar + frame)
        self.resize(max(self.sizeHint().width(), MIN_WIDTH), self.sizeHint().height())

    def _widest_row(self) -> int:
        """The width a row needs: icon, title, gap, category (as BlockItemDelegate draws)."""
        title = self.list.fontMetrics()
        small = QFont(self.list.font())
        small.setPointSizeF(max(small.pointSizeF() * 0.9, 7.0))
        category = QFontMetrics(small)
        icon = self.list.iconSize().width() if self.list.iconSize().isValid() else 16
        widest = max((title.horizontalAdvance(spec.title) + category.horizontalAdvance(
            spec.category) for spec in self._specs), default=0)
        return widest + icon + ROW_PADDING

    # ----- showing -------------------------------------------------------------------------------
    def popup_at(self, global_pos: QPoint) -> None:
        """Shows the popup with its top-left corner at ``global_pos``, kept on the screen."""
        self.move(_on_screen(QRect(global_pos, self.size())))
        self.show()
        self.search.setFocus()

    def visible_types(self) -> list[str]:
        """The blocks listed now, best match first."""
        return self.list.types()

    def current_type(self) -> str | None:
        """The block Enter would add."""
        return self.list.current_type()

    # ----- filtering and choosing ----------------------------------------------------------------
    def _filter(self, text: str) -> None:
        found = block_search.search(self._specs, text)
        self.list.set_matches(found)
        self.list.setVisible(bool(found))
        self.empty.setVisible(not found)
        if not self._specs:
            self.empty.setText("No block can take this wire.")
        elif not found:
            self.empty.setText(f"No block matches “{text.strip()}”.")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down move in the list and Enter picks, while typing stays in the search box.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._key(event)
        return super().eventFilter(watched, event)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        steps: dict[int, int] = {  # keyed by int: event.key() gives an int, not a Qt.Key
            Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: VISIBLE_ROWS - 1, Qt.Key.Key_PageUp: 1 - VISIBLE_ROWS}
        if key in steps:
            step = steps[key]
            if abs(step) > 1:  # page keys stop at the ends instead of wrapping
                row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
                self.list.setCurrentRow(row)
            else:
                self.list.move_current(step)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.list.currentItem() is not None:
                self._pick(self.list.currentItem())
            return True
        if key == Qt.Key.Key_Escape:
            self.close()
            return True
        return False

    def _pick(self, item: QListWidgetItem) -> None:
        type_id = item.data(_TYPE_ROLE)
        self.close()
        self.chosen.emit(type_id)


def _safely(accepts: Callable[[BlockSpec], bool], spec: BlockSpec) -> bool:
    """``accepts(spec)``; a filter that raises leaves the block out instead of the popup."""
    try:
        return bool(accepts(spec))
    except Exception:
        return False


def _on_screen(rect: QRect) -> QPoint:
    """The top-left corner that keeps ``rect`` inside the screen it starts on."""
    screen = QGuiApplication.screenAt(rect.topLeft()) or QGuiApplication.primaryScreen()
    if screen is None:
        return rect.topLeft()
    area = screen.availableGeometry()
    x = min(max(rect.left(), area.left()), area.right() - rect.width())
    y = rect.top()
    if y + rect.height() > area.bottom():
        y = max(area.top(), rect.top() - rect.height())  # open upwards near the bottom edge
    return QPoint(x, y)
