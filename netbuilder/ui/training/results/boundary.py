"""The perceptron's results: its decision boundary over the 2-D plane, with the points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

from netbuilder.train import results as kinds
from netbuilder.ui.training.results.base import ResultsView, caption
from netbuilder.ui.training.results.plane import PlaneView
from netbuilder.ui.training.results.regression import RegressionView

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord


class BoundaryView(ResultsView):
    """The regions the model gives each answer, the data points coloured by their label.

    On inputs that are not 2-D there is no plane to draw: predicted against true instead.
    """

    kind = kinds.BOUNDARY
    waiting = "The decision boundary and the data points appear here as training starts."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = caption("", self)
        self.plane = PlaneView(self)
        self.fallback = RegressionView(self)
        self.fallback.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.plane, 1)
        layout.addWidget(self.fallback, 1)

    def clear(self) -> None:
        self.title.setText("")
        self.plane.image.clear()
        self.plane.points.clear()
        self.fallback.clear()

    def draw(self, record: RunRecord) -> None:
        latest = record.results.latest
        assert latest is not None
        if latest.boundary is None or latest.extent is None:
            self.plane.hide()
            self.title.hide()
            self.fallback.show()
            self.fallback.draw(record)
            return
        self.fallback.hide()
        self.plane.show()
        self.title.show()
        labels = latest.point_labels
        wrong = ""
        if labels is not None and latest.points is not None:
            count = _misplaced(latest.boundary, latest.extent, latest.points, labels)
            wrong = f" · {count} points on the wrong side"
        when = "end of epoch" if latest.final else "during epoch"
        self.title.setText(f"Decision boundary · {when} {latest.epoch}, step "
                           f"{latest.step:,}{wrong}")
        self.plane.show_plane(latest.boundary, latest.extent, latest.points, labels, 0)


def _misplaced(boundary: np.ndarray, extent: tuple[float, float, float, float],
               points: np.ndarray, labels: np.ndarray) -> int:
    """How many points fall in a region of another answer (read off the grid)."""
    x0, x1, y0, y1 = extent
    side_y, side_x = boundary.shape
    columns = np.clip(((points[:, 0] - x0) / (x1 - x0) * side_x).astype(int), 0, side_x - 1)
    rows = np.clip(((points[:, 1] - y0) / (y1 - y0) * side_y).astype(int), 0, side_y - 1)
    answers = boundary[rows, columns]
    return int(np.sum(np.rint(answers) != np.rint(labels)))
