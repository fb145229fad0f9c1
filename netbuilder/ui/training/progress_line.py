"""A thin progress line for the training dock that repaints with the rest of the window.

QProgressBar repaints itself at once, synchronously, whenever its value moves a pixel: while
a short run trains that is every GUI tick, and each of those out-of-band repaints cost about
0.8 ms of the GUI thread (a whole flush of the window's backing store), time the training
thread's kernels then waited for on a 2-core machine. This line only asks for an update, which
Qt folds into the paint that the curves' redraw of the same tick needs anyway.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

#: The line's height in pixels.
HEIGHT = 6


class ProgressLine(QWidget):
    """How far a run has got, as a filled line: ``set_fraction(0.4)`` fills 40% of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fraction = 0.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(HEIGHT)
        self.setAccessibleName("Training progress")

    @property
    def fraction(self) -> float:
        """The part done, from 0 to 1."""
        return self._fraction

    def set_fraction(self, fraction: float) -> None:
        """Shows ``fraction`` (clamped to [0, 1]); repaints only when a pixel changes."""
        fraction = min(max(float(fraction), 0.0), 1.0)
        if round(fraction * self.width()) != round(self._fraction * self.width()):
            self.update()
        self._fraction = fraction
        self.setAccessibleDescription(f"{fraction * 100:.0f}%")

    def sizeHint(self) -> QSize:
        return QSize(120, HEIGHT)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        palette = self.palette()
        track = QRectF(self.rect())
        radius = track.height() / 2
        painter.setBrush(palette.color(QPalette.ColorRole.Mid))
        painter.drawRoundedRect(track, radius, radius)
        if self._fraction > 0:
            done = QRectF(track)
            done.setWidth(max(track.width() * self._fraction, track.height()))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(done, radius, radius)
        painter.end()
