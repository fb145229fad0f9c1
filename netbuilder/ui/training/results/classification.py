"""Classification results: the confusion matrix (click a cell for its samples) and the
worst mistakes; on 2-D inputs the decision regions too."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from netbuilder.train import results as kinds
from netbuilder.ui import theme
from netbuilder.ui.training.curves import PALETTE
from netbuilder.ui.training.results.base import ResultsView, caption
from netbuilder.ui.training.results.pictures import PictureGrid
from netbuilder.ui.training.results.plane import PlaneView

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord

#: Mistakes shown, worst first, and samples shown of one cell.
WORST = 24
CELL_SAMPLES = 32
#: Class names longer than this are cut on the axes.
NAME_CHARS = 10


class ConfusionMatrix(QWidget):
    """Counts of (true class, predicted class), shaded by the share of the true class's row.

    Signals:
        cell_clicked(int, int): the true and the predicted class of the cell clicked.
    """

    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: np.ndarray | None = None
        self.classes: tuple[str, ...] = ()
        self.selected: tuple[int, int] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)

    def sizeHint(self) -> QSize:
        return QSize(300, 260)

    def minimumSizeHint(self) -> QSize:
        return QSize(150, 130)

    def set_counts(self, counts: np.ndarray, classes: tuple[str, ...]) -> None:
        self.counts, self.classes = counts, classes
        if self.selected is not None and max(self.selected) >= len(counts):
            self.selected = None
        self.update()

    def _geometry(self) -> tuple[QRectF, float]:
        """The cells' area and one cell's side."""
        count = 0 if self.counts is None else len(self.counts)
        metrics = self.fontMetrics()
        names = [name[:NAME_CHARS] for name in self.classes] or [str(count)]
        label_width = max(metrics.horizontalAdvance(n) for n in names) + 6
        line = metrics.height()
        left, top = label_width + line + 2, line * 2 + 4
        room = min(self.width() - left - 4, self.height() - top - 4)
        side = max(room, 1) / max(count, 1)
        return QRectF(left, top, side * count, side * count), side

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        if self.counts is None:
            return None
        area, side = self._geometry()
        if not area.contains(point):
            return None
        column = int((point.x() - area.left()) // side)
        row = int((point.y() - area.top()) // side)
        count = len(self.counts)
        return (row, column) if 0 <= row < count and 0 <= column < count else None

    def cell_centre(self, row: int, column: int) -> QPointF:
        area, side = self._geometry()
        return QPointF(area.left() + (column + 0.5) * side, area.top() + (row + 0.5) * side)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is not None:
            self.selected = None if cell == self.selected else cell
            self.update()
            self.cell_clicked.emit(*cell)
        super().mousePressEvent(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        counts = self.counts
        if counts is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        colours = theme.current()
        base = QColor(theme.panel().base)
        right, wrong = QColor(PALETTE[2]), QColor(PALETTE[3])
        area, side = self._geometry()
        line = self.fontMetrics().height()
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        shares = counts / totals
        painter.setPen(colours.node_subtle)
        painter.drawText(QRectF(area.left(), 0, area.width(), line),
                         Qt.AlignmentFlag.AlignCenter, "predicted")
        painter.save()
        painter.translate(line * 0.5, area.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-area.height() / 2, -line / 2, area.height(), line),
                         Qt.AlignmentFlag.AlignCenter, "true")
        painter.restore()
        names = self.classes or tuple(str(i) for i in range(len(counts)))
        small = side < line * 1.1
        for index, name in enumerate(names[:len(counts)]):
            text = name[:NAME_CHARS]
            if not small or index % max(1, int(line // max(side, 1)) + 1) == 0:
                painter.drawText(QRectF(area.left() + index * side, line + 2, side, line),
                                 Qt.AlignmentFlag.AlignCenter, text if side > line else
                                 text[:2])
                painter.drawText(QRectF(line + 2, area.top() + index * side,
                                        area.left() - line - 6, side),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 text)
        for row in range(len(counts)):
            for column in range(len(counts)):
                share = float(shares[row, column])
                ink = right if row == column else wrong
                cell = QRectF(area.left() + column * side, area.top() + row * side, side, side)
                colour = _mix(base, ink, 0.12 + 0.88 * share if counts[row, column] else 0.0)
                painter.fillRect(cell.adjusted(0.5, 0.5, -0.5, -0.5), colour)
                if side >= line and counts[row, column]:
                    painter.setPen(colours.node_text)
                    painter.drawText(cell, Qt.AlignmentFlag.AlignCenter,
                                     str(int(counts[row, column])))
        if self.selected is not None:
            row, column = self.selected
            painter.setPen(colours.selection)
            painter.drawRect(QRectF(area.left() + column * side, area.top() + row * side,
                                    side, side).adjusted(1, 1, -1, -1))
        painter.end()


def _mix(base: QColor, ink: QColor, amount: float) -> QColor:
    return QColor(round(base.red() + (ink.red() - base.red()) * amount),
                  round(base.green() + (ink.green() - base.green()) * amount),
                  round(base.blue() + (ink.blue() - base.blue()) * amount))


class ClassificationView(ResultsView):
    """The confusion matrix beside the worst mistakes (or a clicked cell's samples)."""

    kind = kinds.CLASSIFICATION
    waiting = ("The confusion matrix over the validation data and the worst mistakes "
               "appear here during the first epoch.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cell: tuple[int, int] | None = None
        self._record: RunRecord | None = None
        self.matrix_title = caption("", self)
        self.matrix = ConfusionMatrix(self)
        self.matrix.setToolTip("Rows: the true class; columns: the predicted one. Click a "
                               "cell to see its samples, again to go back to the worst "
                               "mistakes.")
        self.matrix.cell_clicked.connect(self._cell_clicked)
        self.samples_title = caption("", self)
        self.pictures = PictureGrid("", self)
        self.lines = QListWidget(self)
        self.lines.setAlternatingRowColors(True)
        self.samples_stack = QStackedWidget(self)
        self.samples_stack.addWidget(self.pictures)
        self.samples_stack.addWidget(self.lines)
        self.plane_title = caption("Decision regions over the input plane", self)
        self.plane = PlaneView(self)
        left = _column(self, self.matrix_title, self.matrix)
        middle = _column(self, self.samples_title, self.samples_stack)
        self.plane_panel = _column(self, self.plane_title, self.plane)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        for panel in (left, middle, self.plane_panel):
            splitter.addWidget(panel)
        splitter.setChildrenCollapsible(False)
        for index, stretch in enumerate((2, 3, 2)):
            splitter.setStretchFactor(index, stretch)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.plane_panel.hide()

    def clear(self) -> None:
        self.matrix.counts = None
        self.matrix.update()
        self.matrix_title.setText("")
        self.samples_title.setText("")
        self.pictures.set_images(None)
        self.lines.clear()
        self.plane_panel.hide()
        self.cell = None
        self._record = None

    def draw(self, record: RunRecord) -> None:
        log = record.results
        latest = log.latest
        assert latest is not None
        if record is not self._record:
            self.cell, self.matrix.selected = None, None
            self._record = record
        if latest.confusion is not None:
            counts = np.asarray(latest.confusion)
            total = int(counts.sum())
            right = int(np.trace(counts))
            when = "end of epoch" if latest.final else "during epoch"
            self.matrix_title.setText(
                f"Confusion matrix · {latest.split}, {total:,} samples, "
                f"{right / max(total, 1):.1%} right · {when} {latest.epoch}")
            self.matrix.set_counts(counts, latest.classes)
        self._show_samples()
        if latest.boundary is not None and latest.extent is not None:
            self.plane.show_plane(latest.boundary, latest.extent, latest.points,
                                  latest.point_labels, len(latest.classes))
            self.plane_panel.show()
        else:
            self.plane_panel.hide()

    def _cell_clicked(self, row: int, column: int) -> None:
        self.cell = None if self.cell == (row, column) else (row, column)
        self._show_samples()

    def shown_indices(self) -> np.ndarray:
        """The samples shown: those of the clicked cell, else the worst mistakes."""
        record = self._record
        latest = record.results.latest if record is not None else None
        if latest is None or latest.true is None or latest.predicted is None:
            return np.zeros(0, dtype=np.int64)
        true, predicted = np.asarray(latest.true), np.asarray(latest.predicted)
        if self.cell is not None:
            row, column = self.cell
            return np.flatnonzero((true == row) & (predicted == column))
        wrong = np.flatnonzero(true != predicted)
        margin = np.asarray(latest.margin)[wrong] if latest.margin is not None else None
        order = np.argsort(-margin, kind="stable") if margin is not None else slice(None)
        return wrong[order][:WORST]

    def _show_samples(self) -> None:
        record = self._record
        if record is None or record.results.latest is None:
            return
        log, latest = record.results, record.results.latest
        indices = self.shown_indices()
        size = len(latest.confusion) if latest.confusion is not None else 0
        names = latest.classes or tuple(str(i) for i in range(size))
        true = np.asarray(latest.true) if latest.true is not None else None
        predicted = np.asarray(latest.predicted) if latest.predicted is not None else None
        if self.cell is not None:
            row, column = self.cell
            kept = min(len(indices), CELL_SAMPLES)
            among = (f" (among the first {len(true):,})" if true is not None
                     and latest.confusion is not None
                     and len(true) < int(np.asarray(latest.confusion).sum()) else "")
            self.samples_title.setText(
                f"True {_name(names, row)}, predicted {_name(names, column)}: "
                f"{len(indices):,} samples{among}" + (f", first {kept} shown" if len(indices)
                                                      > kept else ""))
            indices = indices[:CELL_SAMPLES]
        else:
            self.samples_title.setText(
                ("Worst mistakes, most confident first" if len(indices)
                 else "No mistakes among these samples") + " · click a matrix cell for its "
                "samples")
        notes = [f"{_name(names, int(true[i]))}→{_name(names, int(predicted[i]))}"
                 for i in indices] if true is not None and predicted is not None else []
        if log.samples is not None:
            self.samples_stack.setCurrentWidget(self.pictures)
            chosen = np.asarray(log.samples)[indices] if len(indices) else None
            self.pictures.set_images(chosen, notes=notes,
                                     columns=min(8, max(1, len(indices))))
        else:
            self.samples_stack.setCurrentWidget(self.lines)
            self.lines.clear()
            texts = log.sample_text or ()
            for index, note in zip(indices, notes, strict=False):
                text = texts[index] if index < len(texts) else f"sample {index}"
                self.lines.addItem(f"{note}   {text}")


def _name(names: tuple[str, ...], index: int) -> str:
    return names[index][:NAME_CHARS] if 0 <= index < len(names) else str(index)


def _column(parent: QWidget, title: QWidget, body: QWidget) -> QWidget:
    panel = QWidget(parent)
    layout = QVBoxLayout(panel)
    layout.setContentsMargins(2, 0, 2, 0)
    layout.setSpacing(2)
    layout.addWidget(title)
    layout.addWidget(body, 1)
    return panel
