"""The example gallery: a thumbnail of every bundled example; pick one to open a copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

import netbuilder
from netbuilder import resources
from netbuilder.core.commands import Command
from netbuilder.core.graph import Document
from netbuilder.core.inference import Analysis, analyse
from netbuilder.ui import theme
from netbuilder.ui.canvas.scene import CanvasScene, PortRef

THUMBNAIL = QSize(260, 150)
_PATH_ROLE = Qt.ItemDataRole.UserRole


class _ReadOnlyEditor:
    """Just enough of the editor protocol to draw a scene that nobody edits."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._analyses = {name: analyse(doc, graph) for name, graph in doc.networks.items()}

    def push(self, command: Command) -> bool:
        return False

    def analysis(self, graph: str) -> Analysis | None:
        return self._analyses.get(graph)

    def show_status(self, message: str, error: bool = False) -> None:
        pass

    def request_quick_add(self, graph: str, scene_pos: QPointF, source: PortRef | None) -> None:
        pass

    def activate_item(self, graph: str, kind: str, item_id: str) -> None:
        pass

    def show_context_menu(self, graph: str, screen_pos: QPointF, kind: str,
                          item_id: str | None) -> None:
        pass


def render_thumbnail(doc: Document, size: QSize = THUMBNAIL) -> QPixmap:
    """A picture of the document's first network, scaled to fit ``size``."""
    pixmap = QPixmap(size)
    pixmap.fill(theme.current().canvas)
    if not doc.networks:
        return pixmap
    editor = _ReadOnlyEditor(doc)
    scene = CanvasScene(editor, next(iter(doc.networks)))
    try:
        source = scene.itemsBoundingRect().adjusted(-30, -30, 30, 30)
        painter = QPainter(pixmap)
        painter.setRenderHints(QPainter.RenderHint.Antialiasing
                               | QPainter.RenderHint.TextAntialiasing)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source,
                     Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
    finally:
        scene.detach()
    return pixmap


class GalleryDialog(QDialog):
    """Lists the examples with thumbnails; :attr:`chosen` is the picked example's path."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Example gallery")
        self.chosen: Path | None = None
        self.list = QListWidget(self)
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMBNAIL)
        self.list.setGridSize(QSize(THUMBNAIL.width() + 24, THUMBNAIL.height() + 56))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setSpacing(6)
        for name in resources.list_examples():
            path = resources.example_path(name)
            try:
                doc = netbuilder.load(path)
            except netbuilder.GraphFileError:
                continue
            title = str(doc.metadata.get("title") or name)
            item = QListWidgetItem(QIcon(render_thumbnail(doc)), title)
            item.setToolTip(str(doc.metadata.get("description", "")))
            item.setData(_PATH_ROLE, str(path))
            self.list.addItem(item)
        hint = QLabel("Every example trains offline on built-in data. Opening one opens a "
                      "copy: saving asks where to put it.", self)
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _: self._accept())
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        self.resize(900, 640)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = Path(item.data(_PATH_ROLE))
            self.accept()
