"""A 2-D input plane: the model's answer as a coloured map under the data points."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from netbuilder.ui import theme
from netbuilder.ui.training.curves import PALETTE

#: Points beyond this many classes are all drawn in the last colour.
MAX_COLOURS = len(PALETTE)


class PlaneView(pg.PlotWidget):
    """Decision regions (or output values) over the plane, the points on top.

    Class regions take the class's colour, faded; a single output is a grey ramp. The view
    range is fixed to the plane (no auto-range per frame).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.image = pg.ImageItem()
        self.addItem(self.image)
        self.points = pg.ScatterPlotItem(size=7, pxMode=True)
        self.addItem(self.points)
        self.setMinimumSize(160, 140)
        self._extent: tuple[float, float, float, float] | None = None
        self._brushes = [pg.mkBrush(colour) for colour in PALETTE]  # made once, shared
        self._outline = pg.mkPen(theme.panel().base, width=1)
        self._apply_theme()
        theme.notifier().changed.connect(self._apply_theme)

    def show_plane(self, boundary: np.ndarray, extent: tuple[float, float, float, float],
                   points: np.ndarray | None, labels: np.ndarray | None,
                   classes: int) -> None:
        """Draws the answers ``boundary`` (rows: y, columns: x) over ``extent``."""
        x0, x1, y0, y1 = extent
        self.image.setImage(self._colours(boundary, classes), autoLevels=False)
        self.image.setRect(x0, y0, x1 - x0, y1 - y0)
        if extent != self._extent:
            self.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
            self._extent = extent
        if points is None:
            self.points.clear()
            return
        marks = np.zeros(len(points)) if labels is None else np.nan_to_num(labels)
        ids = np.clip(np.rint(marks), 0, MAX_COLOURS - 1).astype(np.int64)
        self.points.setData(points[:, 0], points[:, 1], brush=[self._brushes[i] for i in ids],
                            pen=self._outline)

    def _colours(self, boundary: np.ndarray, classes: int) -> np.ndarray:
        """(W, H, 4) uint8 for ImageItem (which reads x first): class colours or a ramp."""
        values = np.nan_to_num(boundary.T.astype(np.float64))
        base = np.array(_rgb(theme.panel().base), dtype=np.float64)
        if classes >= 2 or _few_values(values):
            ids = np.clip(np.rint(values), 0, MAX_COLOURS - 1).astype(np.int64)
            table = np.array([_rgb(c) for c in PALETTE], dtype=np.float64)
            rgb = 0.55 * base + 0.45 * table[ids]
        else:
            low, high = float(values.min()), float(values.max())
            level = (values - low) / max(high - low, 1e-9)
            ink = np.array(_rgb(PALETTE[0]), dtype=np.float64)
            rgb = base + (ink - base) * (0.15 + 0.6 * level[..., None])
        alpha = np.full((*values.shape, 1), 255.0)
        return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)

    def _apply_theme(self, _name: str = "") -> None:
        colours = theme.current()
        self._outline = pg.mkPen(theme.panel().base, width=1)
        self.setBackground(QColor(theme.panel().base))
        for axis in ("left", "bottom"):
            self.getAxis(axis).setPen(pg.mkPen(colours.node_subtle))
            self.getAxis(axis).setTextPen(pg.mkPen(colours.node_subtle))


def _few_values(values: np.ndarray) -> bool:
    """Whether the answers are class ids (a perceptron's 0/1, a sign's -1/+1)."""
    unique = np.unique(values)
    return unique.size <= 2 and bool(np.all(np.isin(unique, (-1.0, 0.0, 1.0))))


def _rgb(colour: str) -> tuple[int, int, int]:
    """A colour's red, green and blue, 0-255."""
    value = QColor(colour)
    return value.red(), value.green(), value.blue()
