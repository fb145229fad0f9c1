"""A one-line label for text that changes several times a second (training progress).

A QLabel whose text changes width asks its layout to recompute (``updateGeometry``), and the
request climbs to the window: while a run streamed, the dock's progress line and the status
bar's read-out relaid out the dock, the status bar and the main window four times a second,
about 0.7 ms of the GUI thread each time, time the training thread waited for on a 2-core
machine. :class:`LiveLabel` only repaints itself for a new text; its size hint grows in steps
of :data:`WIDTH_STEP_PX` when a text needs more room, so a run asks for a new layout a few
times at most.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

#: The size hint grows by this much at a time (a wider text rarely needs a new layout).
WIDTH_STEP_PX = 48
#: The width it can be squeezed to; a longer text is elided at its end.
MINIMUM_WIDTH_PX = 40


class LiveLabel(QLabel):
    """A QLabel (styled as one) whose :meth:`setText` repaints instead of relaying out.

    The width it asks for only grows while it shows text, and drops to nothing when the text
    is cleared (an idle status bar keeps no blank space).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._hint_width = 0
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        if text == self._text:
            return
        self._text = text
        self.setAccessibleName(text)
        needed = self.fontMetrics().horizontalAdvance(text) + self._margins_width()
        width = self._hint_width
        if not text:
            width = 0
        elif needed > width:
            width = math.ceil(needed / WIDTH_STEP_PX) * WIDTH_STEP_PX
        if width != self._hint_width:
            self._hint_width = width
            self.updateGeometry()
        self.update()

    def _margins_width(self) -> int:
        margins = self.contentsMargins()
        return margins.left() + margins.right() + 2 * self.margin()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        height = self.fontMetrics().height() + margins.top() + margins.bottom()
        return QSize(self._hint_width, height + 2 * self.margin())

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        return QSize(min(hint.width(), MINIMUM_WIDTH_PX), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)  # the frame and the style's background, no text
        if not self._text:
            return
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        area = self.contentsRect().adjusted(self.margin(), 0, -self.margin(), 0)
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight,
                                              area.width())
        painter.drawText(area, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         shown)
        painter.end()
