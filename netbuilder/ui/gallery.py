"""The example gallery: a card per bundled example with a thumbnail; picking one opens a copy."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

import netbuilder
from netbuilder import resources
from netbuilder.core.commands import Command
from netbuilder.core.graph import GROUP, Document
from netbuilder.core.inference import Analysis, analyse
from netbuilder.ui import theme
from netbuilder.ui.canvas.protocols import PortRef
from netbuilder.ui.canvas.scene import CanvasScene

THUMBNAIL = QSize(264, 140)
_PAD = 10
CARD = QSize(THUMBNAIL.width() + 2 * _PAD, THUMBNAIL.height() + 112)
_PATH_ROLE = Qt.ItemDataRole.UserRole
_DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 1
_FOOTER_ROLE = Qt.ItemDataRole.UserRole + 2


class _ReadOnlyEditor:
    """Just enough of the editor protocol to draw a scene that nobody edits."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._analyses = {name: analyse(doc, graph) for name, graph in doc.graphs.items()}

    def push(self, command: Command) -> bool:
        return False

    def add_block(self, graph: str, type_id: str, scene_pos: QPointF,
                  source: PortRef | None = None, *, into_edge: str | None = None
                  ) -> str | None:
        return None

    def analysis(self, graph: str) -> Analysis | None:
        return self._analyses.get(graph)

    def analyses(self) -> dict[str, Analysis]:
        return dict(self._analyses)

    def show_status(self, message: str, error: bool = False) -> None:
        pass

    def request_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        pass

    def activate_item(self, graph: str, kind: str, item_id: str) -> None:
        pass

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: str | None) -> None:
        pass


def render_thumbnail(doc: Document, size: QSize = THUMBNAIL, graph: str | None = None
                     ) -> QPixmap:
    """A picture of a network (default: the first), centred in ``size`` on the canvas colour."""
    colours = theme.current()
    pixmap = QPixmap(size)
    pixmap.fill(colours.canvas)
    name = graph or next(iter(doc.networks), None)
    if name is None:
        return pixmap
    scene = CanvasScene(_ReadOnlyEditor(doc), name)
    try:
        items = scene.content_rect()
        if items.isEmpty():
            return pixmap
        # The whole network, never a cropped part: the layout folds a long one into bands,
        # so that it keeps a shape that fits a card.
        source = items.adjusted(-24, -24, 24, 24)
        painter = QPainter(pixmap)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing
                               | QPainter.RenderHint.SmoothPixmapTransform)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source,
                     Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
    finally:
        scene.detach()
    return pixmap


def summary_line(doc: Document) -> str:
    """``2 networks · 1,097,744 params`` (groups count where they are used)."""
    editor = _ReadOnlyEditor(doc)
    networks = [name for name, graph in doc.graphs.items() if graph.kind != GROUP]
    params = sum(editor.analyses()[name].built_params for name in networks)
    count = len(networks)
    return f"{count} network{'s' if count != 1 else ''} · {params:,} params"


def wrap_lines(text: str, metrics: QFontMetrics, width: int, lines: int) -> list[str]:
    """Word-wraps ``text`` to at most ``lines`` lines of ``width`` pixels, eliding the last."""
    words, result, line = text.split(), [], ""
    for index, word in enumerate(words):
        candidate = f"{line} {word}".strip()
        if metrics.horizontalAdvance(candidate) <= width or not line:
            line = candidate
            continue
        result.append(line)
        if len(result) == lines - 1:
            rest = " ".join([word, *words[index + 1:]])
            result.append(metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            return result
        line = word
    if line:
        result.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width))
    return result


class _CardDelegate(QStyledItemDelegate):
    """Paints an example as a card: thumbnail, title, two lines of description, a summary."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        return CARD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        card = QRectF(option.rect).adjusted(4, 4, -4, -4)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = palette.color(QPalette.ColorRole.Highlight) if selected else \
            palette.color(QPalette.ColorRole.Mid)
        painter.setPen(QPen(border, 2.0 if selected else 1.0))
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase if hovered or selected
                                       else QPalette.ColorRole.Base))
        painter.drawRoundedRect(card, 8, 8)

        thumb = QRect(int(card.left()) + _PAD - 4, int(card.top()) + _PAD - 4,
                      THUMBNAIL.width(), THUMBNAIL.height())
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(thumb), 5, 5)
        painter.setClipPath(clip)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon):
            painter.drawPixmap(thumb, icon.pixmap(THUMBNAIL))
        painter.setClipping(False)

        text_left, width = thumb.left(), thumb.width()
        y = thumb.bottom() + 10
        title_font = QFont(option.font)
        title_font.setBold(True)
        title_font.setPointSizeF(option.font.pointSizeF() * 1.08)
        painter.setFont(title_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        title_metrics = QFontMetrics(title_font)
        title = title_metrics.elidedText(str(index.data(Qt.ItemDataRole.DisplayRole)),
                                         Qt.TextElideMode.ElideRight, width)
        painter.drawText(text_left, y + title_metrics.ascent(), title)
        y += title_metrics.height() + 4

        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.92)
        painter.setFont(small)
        metrics = QFontMetrics(small)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        for line in wrap_lines(str(index.data(_DESCRIPTION_ROLE) or ""), metrics, width, 3):
            painter.drawText(text_left, y + metrics.ascent(), line)
            y += metrics.height()
        footer = str(index.data(_FOOTER_ROLE) or "")
        painter.setPen(palette.color(QPalette.ColorRole.Link))
        painter.drawText(text_left, int(card.bottom()) - 10 - metrics.descent(), footer)
        painter.restore()


class GalleryDialog(QDialog):
    """Lists the examples as cards; :attr:`chosen` is the picked example's path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Example gallery")
        self.chosen: Path | None = None
        self.list = QListWidget(self)
        self.list.setObjectName("gallery")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMBNAIL)
        self.list.setGridSize(CARD)
        self.list.setUniformItemSizes(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setSpacing(0)
        self.list.setMouseTracking(True)  # hover highlight
        self.list.setItemDelegate(_CardDelegate(self.list))
        self.list.setFrameShape(QListWidget.Shape.NoFrame)
        self._fill()

        heading = QLabel("<b style='font-size:15px'>Start from an example</b><br>"
                         "Every example trains offline on built-in data. Opening one opens a "
                         "copy: saving asks where to put it.", self)
        heading.setWordWrap(True)
        self.details = QLabel(self)
        self.details.setWordWrap(True)
        self.details.setMinimumHeight(QFontMetrics(self.font()).height() * 3)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _: self._accept())
        self.list.currentItemChanged.connect(self._show_details)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        # Three cards a row, and the dialog still fits a 1366x768 screen.
        self.resize(CARD.width() * 3 + 60, 700)
        if self.list.count():
            self.list.setCurrentRow(0)
        self.open_button.setEnabled(self.list.count() > 0)

    def _fill(self) -> None:
        for name in resources.list_examples():
            path = resources.example_path(name)
            try:
                doc = netbuilder.load(path)
            except netbuilder.GraphFileError:
                continue  # a broken example must not keep the others from showing
            description = str(doc.metadata.get("description", ""))
            item = QListWidgetItem(QIcon(render_thumbnail(doc)),
                                   str(doc.metadata.get("title") or name))
            item.setToolTip(f"<b>{html.escape(name)}.nbg</b><p>{html.escape(description)}</p>")
            item.setData(_PATH_ROLE, str(path))
            item.setData(_DESCRIPTION_ROLE, description)
            item.setData(_FOOTER_ROLE, summary_line(doc))
            item.setSizeHint(CARD)
            self.list.addItem(item)

    def _show_details(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.details.clear()
            return
        self.details.setText(f"<b>{html.escape(item.text())}</b> &nbsp;·&nbsp; "
                             f"{html.escape(str(item.data(_FOOTER_ROLE)))}<br>"
                             f"{html.escape(str(item.data(_DESCRIPTION_ROLE)))}")

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = Path(item.data(_PATH_ROLE))
            self.accept()
