"""One plot item for the lines a run streams, cheap enough to redraw ten times a second.

pyqtgraph's PlotDataItem serves any data in any style and pays for it at each ``setData``:
dozens of Python calls, a new bounding rect that the scene re-indexes and reports to the view
box, then a paint through several more layers. The loss plot replaces its streaming lines
(every step, smoothed, a GAN's parts) ten times a second on the GUI thread, which shares the
machine's cores with the training. This item takes points already decimated to about two a
pixel column (:meth:`StepSeries.envelope`) and draws each line with one ``drawPolyline`` a
finite stretch. Its extent is the view box's visible rect, which changes only with the view,
so a new frame only marks that rect for repainting.

It takes no part in auto-ranging: the curves view sets the ranges itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget


@dataclass
class _Line:
    pen: QPen
    #: The finite stretches, ready to draw.
    polygons: list[QPolygonF] = field(default_factory=list)
    #: The values as given (NaN for gaps): what the view's y range is fitted to.
    values: np.ndarray = field(default_factory=lambda: np.empty(0))


class StreamLines(pg.GraphicsObject):
    """Named polylines in the view box's data coordinates, each replaced whole at a frame."""

    def __init__(self) -> None:
        super().__init__()
        self._lines: dict[str, _Line] = {}
        self._rect = QRectF()

    # ----- the lines -----------------------------------------------------------------------------
    def add_line(self, name: str, pen: QPen) -> None:
        """Declares line ``name``: lines are drawn in the order declared, the last on top."""
        self._lines[name] = _Line(pen)

    def remove_line(self, name: str) -> None:
        if self._lines.pop(name, None) is not None:
            self.update()

    def names(self) -> list[str]:
        return list(self._lines)

    def pen(self, name: str) -> QPen:
        return self._lines[name].pen

    def set_pen(self, name: str, pen: QPen) -> None:
        self._lines[name].pen = pen
        self.update()

    def set_points(self, name: str, xs: np.ndarray, ys: np.ndarray) -> None:
        """Replaces line ``name``'s points; a non-finite value breaks the line (a gap)."""
        line = self._lines[name]
        line.values = np.asarray(ys, dtype=np.float64)
        line.polygons = _stretches(np.asarray(xs, dtype=np.float64), line.values)
        self.update()

    def values(self, name: str) -> np.ndarray:
        """Line ``name``'s values as last given, gaps included."""
        return self._lines[name].values

    def points(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Line ``name``'s points as drawn (gaps left out)."""
        polygons = self._lines[name].polygons
        if not polygons:
            return np.empty(0), np.empty(0)
        data = np.concatenate([pg.functions.ndarray_from_qpolygonf(p) for p in polygons])
        return data[:, 0].copy(), data[:, 1].copy()

    def clear(self) -> None:
        """Empties every line (the pens stay)."""
        for line in self._lines.values():
            line.polygons = []
            line.values = np.empty(0)
        self.update()

    # ----- as a graphics item --------------------------------------------------------------------
    def viewRangeChanged(self) -> None:
        """The visible rect is the item's extent, so it changes with the view alone."""
        box = self.getViewBox()
        rect = QRectF() if box is None else QRectF(box.viewRect())
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def boundingRect(self) -> QRectF:
        return self._rect

    def dataBounds(self, ax: int, frac: float = 1.0,
                   orthoRange: object = None) -> None:  # noqa: N803
        """Left out of the view box's auto-range (the curves view sets the ranges)."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        for line in self._lines.values():
            if line.polygons:
                painter.setPen(line.pen)
                for polygon in line.polygons:
                    painter.drawPolyline(polygon)


def _stretches(xs: np.ndarray, ys: np.ndarray) -> list[QPolygonF]:
    """The finite stretches of a line, as polygons filled straight from the arrays."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    if finite.all():
        return [_polygon(xs, ys)] if len(xs) else []
    # Where the mask steps up a stretch starts; where it steps down, it ends.
    edges = np.diff(np.concatenate(([False], finite, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return [_polygon(xs[a:b], ys[a:b]) for a, b in zip(starts, stops, strict=True)]


def _polygon(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    polygon = pg.functions.create_qpolygonf(len(xs))
    points = pg.functions.ndarray_from_qpolygonf(polygon)
    points[:, 0] = xs
    points[:, 1] = ys
    return polygon
