"""Choosing the data set, and a look at it: shapes, classes, split sizes, a few samples.

The built-in sets train offline; a file or folder from the user's disk works too (MNIST IDX,
CSV, .npy/.npz, image folders, text). The preview loads in the background
(:class:`~netbuilder.ui.background.BackgroundTask`) as training would, shaped to the network's
Input, so what it shows is what training gets, and a set that does not fit says which shapes
differ before Start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from netbuilder.train.data import BUILTIN
from netbuilder.train.data.preview import DataPreview

#: What each built-in set is, for the chooser's tooltips.
DESCRIPTIONS = {
    "linearly_separable": "200 points in 2-D, two classes a line can split (the perceptron's)",
    "xor": "200 points in 2-D: the XOR pattern no single neuron can learn",
    "moons": "200 points in 2-D: two interleaved half-moons",
    "circles": "200 points in 2-D: a ring around a disc",
    "spirals": "200 points in 2-D: two intertwined spirals",
    "regression_rows": "100 rows of 10 numbers and a target (the regression tutorial's)",
    "token_sequences": "2,000 sequences of 16 tokens, two classes (for attention)",
    "digits": "1,797 handwritten digits, 28x28, ten classes (an offline MNIST stand-in)",
    "hello_world": "the text 'hello world', for next-character models",
    "tiny_corpus": "a few hundred characters of simple English sentences",
}
_FILE, _FOLDER = "\x00file", "\x00folder"
THUMBNAIL = 34
#: Thumbnails in the row (the settings column is about 330 pixels wide).
THUMBNAILS = 7


class DataChooser(QWidget):
    """A combo box of the built-in sets plus "File…" and "Folder…".

    Signals:
        chosen(str): a data set was picked (a built-in name or a path).
    """

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QComboBox(self)
        self.box.setToolTip("The data to train on")
        self.box.setMinimumContentsLength(14)
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for name in BUILTIN:
            self.box.addItem(name, name)
            self.box.setItemData(self.box.count() - 1, DESCRIPTIONS.get(name, ""),
                                 Qt.ItemDataRole.ToolTipRole)
        self.box.insertSeparator(self.box.count())
        self.box.addItem("File…", _FILE)
        self.box.addItem("Folder of images or IDX files…", _FOLDER)
        self.box.activated.connect(self._activated)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box, 1)
        self._current = ""

    def show_source(self, source: str) -> None:
        """Shows ``source`` as chosen (adding a path to the list), emitting nothing."""
        self._current = source
        self.box.blockSignals(True)
        try:
            index = self.box.findData(source)
            if index < 0 and source:
                self.box.insertItem(0, Path(source).name or source, source)
                self.box.setItemData(0, source, Qt.ItemDataRole.ToolTipRole)
                index = 0
            self.box.setCurrentIndex(index)
        finally:
            self.box.blockSignals(False)

    def _activated(self, index: int) -> None:
        value = self.box.itemData(index)
        if value == _FILE:
            path, _ = QFileDialog.getOpenFileName(
                self, "Data to train on", "",
                "Data files (*.csv *.npz *.npy *.txt *.idx *-ubyte *-ubyte.gz *.gz);;"
                "All files (*)")
        elif value == _FOLDER:
            path = QFileDialog.getExistingDirectory(self, "Folder of data")
        else:
            path = value
        if not path:
            self.show_source(self._current)  # cancelled: back to what was chosen
            return
        self.show_source(path)
        self.chosen.emit(path)


class DataPreviewView(QWidget):
    """The summary line and a row of sample thumbnails (or text, or rows of numbers).

    The dock shows the cached preview again at every readiness check (each edit, each run's
    start and end): the same preview keeps the thumbnails it has instead of building new ones.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "subtle")
        self.samples = QHBoxLayout()
        self.samples.setSpacing(3)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setProperty("role", "subtle")
        self.detail.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addLayout(self.samples)
        layout.addWidget(self.detail)
        self._thumbnails: list[QLabel] = []
        self._shown: DataPreview | None = None

    def show_loading(self, source: str) -> None:
        self._clear()
        self.summary.setText(f"Loading {Path(source).name or source}…")

    def show_error(self, message: str) -> None:
        self._clear()
        self.summary.setText(message)

    def show_preview(self, preview: DataPreview) -> None:
        if preview is self._shown:
            return
        self._clear()
        self._shown = preview
        self.summary.setText(preview.summary())
        if preview.images is not None:
            images = preview.images[:THUMBNAILS]
            for image, label in zip(images, preview.labels or [""] * len(images),
                                    strict=False):
                self._add_thumbnail(image, label)
            self.samples.addStretch(1)
        elif preview.text:
            self.detail.setText("“" + preview.text[:160].replace("\n", " ") + "…”")
            self.detail.show()
        elif preview.rows:
            lines = [f"{row}   → {label}" if label else row
                     for row, label in zip(preview.rows, preview.labels or [""] * len(
                         preview.rows), strict=False)]
            self.detail.setText("\n".join(lines[:3]))
            self.detail.show()

    def _add_thumbnail(self, image: np.ndarray, label: str) -> None:
        pixels = (np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
        if pixels.shape[0] == 1:
            plane = np.ascontiguousarray(pixels[0])
            picture = QImage(plane.data, plane.shape[1], plane.shape[0], plane.strides[0],
                             QImage.Format.Format_Grayscale8).copy()
        else:
            rgb = np.ascontiguousarray(np.transpose(pixels[:3], (1, 2, 0)))
            picture = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0],
                             QImage.Format.Format_RGB888).copy()
        thumb = QLabel(self)
        thumb.setPixmap(QPixmap.fromImage(picture).scaled(
            THUMBNAIL, THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation))
        thumb.setToolTip(f"label: {label}" if label else "")
        self.samples.addWidget(thumb)
        self._thumbnails.append(thumb)

    def _clear(self) -> None:
        for thumb in self._thumbnails:
            self.samples.removeWidget(thumb)
            # Out of the layout but still shown until the deferred delete, which a call from
            # outside the event loop (a script, dock.start()) postpones indefinitely: it would
            # stay painted where the row was, over a summary that has since grown.
            thumb.hide()
            thumb.deleteLater()
        self._thumbnails.clear()
        self._shown = None
        while self.samples.count():
            self.samples.takeAt(0)
        self.detail.hide()

    @property
    def thumbnail_count(self) -> int:
        return len(self._thumbnails)
