"""Regression results: predicted against true values, with the line where they agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from netbuilder.train import results as kinds
from netbuilder.ui import theme
from netbuilder.ui.training.curves import PALETTE
from netbuilder.ui.training.results.base import ResultsView, caption
from netbuilder.ui.training.results.plane import PlaneView

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord


class RegressionView(ResultsView):
    """Each sample as a point (true, predicted); on the diagonal the model is exact."""

    kind = kinds.REGRESSION
    waiting = "Predicted against true values appear here during the first epoch."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = caption("", self)
        self.plot = pg.PlotWidget(self)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "true")
        self.plot.setLabel("left", "predicted")
        self.diagonal = pg.PlotDataItem()
        self.plot.addItem(self.diagonal)
        self.points = pg.ScatterPlotItem(size=6, pxMode=True)
        self.plot.addItem(self.points)
        self.plane = PlaneView(self)
        self.plane.hide()
        body = QHBoxLayout()
        body.addWidget(self.plot, 2)
        body.addWidget(self.plane, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addLayout(body, 1)
        self._range: tuple[float, float] | None = None
        self._apply_theme()
        theme.notifier().changed.connect(self._apply_theme)

    def clear(self) -> None:
        self.points.clear()
        self.diagonal.clear()
        self.title.setText("")
        self.plane.hide()
        self._range = None

    def draw(self, record: RunRecord) -> None:
        latest = record.results.latest
        assert latest is not None
        if latest.true is None or latest.predicted is None:
            return
        true = np.asarray(latest.true, dtype=np.float64)
        predicted = np.asarray(latest.predicted, dtype=np.float64)
        xs, ys = true[:, 0], predicted[:, 0]
        error = float(np.sqrt(np.mean((predicted - true) ** 2))) if true.shape == \
            predicted.shape else float("nan")
        when = "end of epoch" if latest.final else "during epoch"
        more = f" (first of {true.shape[1]} outputs)" if true.shape[1] > 1 else ""
        self.title.setText(f"Predicted against true · {latest.split}, {len(xs):,} samples"
                           f"{more} · RMSE {error:.4g} · {when} {latest.epoch}")
        self.points.setData(xs, ys)
        finite = np.concatenate([xs, ys])
        finite = finite[np.isfinite(finite)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            # The range grows to take every point but does not jump back and forth.
            if self._range is not None:
                low, high = min(low, self._range[0]), max(high, self._range[1])
            if self._range != (low, high):
                self._range = (low, high)
                self.plot.setRange(xRange=(low, high), yRange=(low, high), padding=0.05)
                self.diagonal.setData([low, high], [low, high])
        if latest.boundary is not None and latest.extent is not None:
            self.plane.show_plane(latest.boundary, latest.extent, latest.points,
                                  latest.point_labels, 0)
            self.plane.show()

    def _apply_theme(self, _name: str = "") -> None:
        colours = theme.current()
        self.plot.setBackground(QColor(theme.panel().base))
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setPen(pg.mkPen(colours.node_subtle))
            self.plot.getAxis(axis).setTextPen(pg.mkPen(colours.node_subtle))
        dot = QColor(PALETTE[0])
        dot.setAlpha(170)
        self.points.setBrush(pg.mkBrush(dot))
        self.points.setPen(None)
        self.diagonal.setPen(pg.mkPen(colours.node_subtle, width=1,
                                      style=Qt.PenStyle.DashLine))
