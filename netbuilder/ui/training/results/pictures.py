"""Pictures from numpy: (N, C, H, W) values in [0, 1] tiled into one image, drawn to fit.

Tiling is numpy; the one Qt object per picture is the QImage a :class:`PictureGrid` paints,
scaled to its size.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from netbuilder.ui import theme

#: Pixels of background between tiles.
GAP = 1
#: The most a picture is enlarged (a few samples of 28x28 would otherwise fill the panel).
MAX_SCALE = 3.0


def tile(images: np.ndarray, columns: int | None = None) -> np.ndarray:
    """``images`` (N, C, H, W) in [0, 1] as one uint8 picture, row by row.

    Returns:
        (rows*H + gaps, columns*W + gaps) for grey pictures, (.., .., 3) for colour ones.
    """
    count, channels, height, width = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    colour = channels == 3
    shape = (rows * (height + GAP) - GAP, columns * (width + GAP) - GAP)
    out = np.zeros((*shape, 3) if colour else shape, dtype=np.uint8)
    values = np.clip(np.nan_to_num(images, nan=0.0), 0.0, 1.0)
    values = (values * 255.0 + 0.5).astype(np.uint8)
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + GAP), column * (width + GAP)
        picture = values[index].transpose(1, 2, 0) if colour else values[index, 0]
        out[top:top + height, left:left + width] = picture
    return out


def to_qimage(pixels: np.ndarray) -> QImage:
    """A uint8 (H, W) or (H, W, 3) array as a QImage that owns a copy of the pixels."""
    pixels = np.ascontiguousarray(pixels)
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


class PictureGrid(QWidget):
    """Pictures tiled in a grid, scaled to fit (at most MAX_SCALE times), with a title; a
    click tells which tile.

    Signals:
        clicked(int): the index of the picture clicked.
    """

    clicked = Signal(int)

    def __init__(self, title: str = "", parent: QWidget | None = None,
                 minimum: int = 96) -> None:
        super().__init__(parent)
        self.title = title
        self.notes: list[str] = []
        self._image: QImage | None = None
        self._grid = (0, 0, 0, 0)  # columns, rows, tile width, tile height
        self.count = 0
        self._minimum = minimum
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(240, 200)

    def minimumSizeHint(self) -> QSize:
        return QSize(self._minimum, self._minimum)

    def set_images(self, images: np.ndarray | None, title: str | None = None,
                   columns: int | None = None, notes: list[str] | None = None) -> None:
        """Shows ``images`` (N, C, H, W) in [0, 1]; None shows the title alone.

        ``notes`` are short lines under each picture (a label and a prediction, say).
        """
        if title is not None:
            self.title = title
        self.notes = notes or []
        if images is None or len(images) == 0:
            self._image, self.count = None, 0
        else:
            count = len(images)
            columns = columns or max(1, math.ceil(math.sqrt(count)))
            self._grid = (columns, math.ceil(count / columns), images.shape[3],
                          images.shape[2])
            self._image = to_qimage(tile(images, columns))
            self.count = count
        self.update()

    @property
    def has_image(self) -> bool:
        return self._image is not None

    def _layout(self) -> tuple[QRect, float]:
        """Where the tiled image goes and its scale (whole pixels where it fits)."""
        title_height = self.fontMetrics().height() + 4 if self.title else 0
        note_height = self.fontMetrics().height() if self.notes else 0
        area = self.rect().adjusted(2, title_height, -2, -2)
        image = self._image
        if image is None or image.width() == 0:
            return area, 1.0
        rows = self._grid[1]
        room_h = area.height() - rows * note_height
        scale = min(area.width() / image.width(), max(room_h, 1) / image.height(), MAX_SCALE)
        width, height = int(image.width() * scale), int(image.height() * scale)
        full_height = height + rows * note_height
        left = area.left() + (area.width() - width) // 2
        return QRect(left, area.top() + max(0, (area.height() - full_height) // 2), width,
                     height), scale

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        colours = theme.current()
        if self.title:
            painter.setPen(colours.node_subtle)
            painter.drawText(self.rect().adjusted(2, 0, -2, 0),
                             Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter,
                             self.title)
        image = self._image
        if image is None:
            painter.end()
            return
        target, scale = self._layout()
        if not self.notes:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, image)
            painter.end()
            return
        # One row of pictures, then a line of notes under it.
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        columns, rows, width, height = self._grid
        note_height = self.fontMetrics().height()
        row_pixels = (height + GAP) * scale
        for row in range(rows):
            source = QRectF(0, row * (height + GAP), image.width(), height)
            top = target.top() + row * (row_pixels + note_height)
            painter.drawImage(QRectF(target.left(), top, target.width(), height * scale),
                              image, source)
            painter.setPen(colours.node_text)
            for column in range(columns):
                index = row * columns + column
                if index >= len(self.notes):
                    break
                cell = QRectF(target.left() + column * (width + GAP) * scale,
                              top + height * scale, width * scale, note_height)
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, self.notes[index])
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position().x(), event.position().y())
        if index is not None:
            self.clicked.emit(index)
        super().mousePressEvent(event)

    def index_at(self, x: float, y: float) -> int | None:
        """The picture under a point of the widget, or None."""
        if self._image is None:
            return None
        target, scale = self._layout()
        columns, rows, width, height = self._grid
        note = self.fontMetrics().height() if self.notes else 0
        column = int((x - target.left()) // ((width + GAP) * scale))
        row = int((y - target.top()) // ((height + GAP) * scale + note))
        index = row * columns + column
        inside = 0 <= column < columns and 0 <= row < rows and index < self.count
        return index if inside else None


def background() -> QColor:
    return QColor(theme.panel().base)
