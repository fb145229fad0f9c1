"""A flat list of blocks found by a search: category glyph, title with the matched letters in
bold, and the category on the right. The palette's search results and the quick-add popup
use it; items can be dragged onto a canvas."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QDrag, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from netbuilder.ui import block_docs, glyphs, theme
from netbuilder.ui.block_search import Match, Span
from netbuilder.ui.canvas.view import block_mime_data

TYPE_ROLE = Qt.ItemDataRole.UserRole
SPANS_ROLE = Qt.ItemDataRole.UserRole + 1
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex


class BlockItemDelegate(QStyledItemDelegate):
    """Paints a block item: icon, title with highlighted spans, and (optionally) its category."""

    def __init__(self, show_category: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_category = show_category

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height() + 8, 26))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        title = opt.text
        opt.text = ""  # the style draws the background, selection and icon; we draw the text
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        rect = rect.adjusted(2, 0, -6, 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (QPalette.ColorGroup.Normal if opt.state & QStyle.StateFlag.State_Active
                 else QPalette.ColorGroup.Inactive)
        ink = opt.palette.color(group, QPalette.ColorRole.HighlightedText if selected
                                else QPalette.ColorRole.Text)
        painter.save()
        category = index.data(CATEGORY_ROLE)
        if self.show_category and category:
            rect = self._paint_category(painter, rect, str(category), ink, selected, opt.font)
        spans = index.data(SPANS_ROLE) or ()
        accent = ink if selected else opt.palette.color(QPalette.ColorRole.Link)
        _paint_highlighted(painter, rect, title, tuple(spans), opt.font, ink, accent)
        painter.restore()

    @staticmethod
    def _paint_category(painter: QPainter, rect: QRect, category: str, ink: QColor,
                        selected: bool, font: QFont) -> QRect:
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
        metrics = QFontMetrics(small)
        # Rounded-up advance: elidedText measures exactly and would elide a hair-wider word.
        width = min(metrics.horizontalAdvance(category) + 2, rect.width() // 2)
        colour = QColor(ink) if selected else QColor(theme.current().node_subtle)
        if selected:
            colour.setAlphaF(0.8)
        painter.setFont(small)
        painter.setPen(colour)
        text = metrics.elidedText(category, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(rect.right() - width, rect.top(), width, rect.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, text)
        return rect.adjusted(0, 0, -(width + 10), 0)


def _paint_highlighted(painter: QPainter, rect: QRect, text: str, spans: tuple[Span, ...],
                       font: QFont, ink: QColor, accent: QColor) -> None:
    """Draws ``text`` left-aligned in ``rect``, the ``spans`` bold in ``accent``; elides."""
    bold = QFont(font)
    bold.setBold(True)
    runs: list[tuple[str, bool]] = []
    at = 0
    for start, end in spans:
        if start > at:
            runs.append((text[at:start], False))
        runs.append((text[start:end], True))
        at = end
    if at < len(text):
        runs.append((text[at:], False))
    x = rect.left()
    for chunk, strong in runs:
        metrics = QFontMetrics(bold if strong else font)
        room = rect.right() - x
        if room <= 0:
            break
        shown = metrics.elidedText(chunk, Qt.TextElideMode.ElideRight, room)
        painter.setFont(bold if strong else font)
        painter.setPen(accent if strong else ink)
        painter.drawText(QRect(x, rect.top(), room, rect.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown)
        x += metrics.horizontalAdvance(shown)
        if shown != chunk:
            break


class BlockList(QListWidget):
    """Search results: one item per :class:`Match`, draggable onto a canvas."""

    def __init__(self, show_category: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setItemDelegate(BlockItemDelegate(show_category, self))
        self.setUniformItemSizes(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)

    def set_matches(self, matches: list[Match]) -> None:
        """Shows ``matches`` in order and makes the first one current."""
        self.clear()
        for found in matches:
            spec = found.spec
            item = QListWidgetItem(glyphs.category_icon(spec.category), spec.title)
            item.setData(TYPE_ROLE, spec.type)
            item.setData(SPANS_ROLE, list(found.spans))
            item.setData(CATEGORY_ROLE, spec.category)
            item.setToolTip(block_docs.tooltip_html(spec))
            self.addItem(item)
        if self.count():
            self.setCurrentRow(0)

    def types(self) -> list[str]:
        """The block type ids shown, in order."""
        return [self.item(row).data(TYPE_ROLE) for row in range(self.count())]

    def current_type(self) -> str | None:
        item = self.currentItem()
        return item.data(TYPE_ROLE) if item is not None else None

    def move_current(self, step: int) -> None:
        """Moves the current row by ``step``, wrapping around."""
        if self.count():
            self.setCurrentRow((max(self.currentRow(), 0) + step) % self.count())

    def startDrag(self, supported: Qt.DropAction) -> None:
        type_id = self.current_type()
        if not type_id:
            return
        drag = QDrag(self)
        drag.setMimeData(block_mime_data(type_id))
        item = self.currentItem()
        drag.setPixmap(item.icon().pixmap(QSize(20, 20), self.devicePixelRatioF()))
        drag.exec(Qt.DropAction.CopyAction)
