"""The loss plot's streaming lines: one lightweight item drawn from decimated points."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor

from netbuilder.train.events import Metrics, Started
from netbuilder.train.record import RunRecord
from netbuilder.ui.training.curves import CurvesView
from netbuilder.ui.training.stream_lines import StreamLines


def _plot_with_line(qtbot: Any, colour: str = "#ff0000") -> tuple[pg.PlotWidget, StreamLines]:
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(300, 200)
    plot.setBackground("w")
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    lines = StreamLines()
    lines.add_line("line", pg.mkPen(colour, width=3))
    plot.addItem(lines, ignoreBounds=True)
    plot.setXRange(0, 10, padding=0)
    plot.setYRange(0, 10, padding=0)
    plot.show()
    qtbot.waitExposed(plot)
    return plot, lines


def _red_columns(plot: pg.PlotWidget) -> np.ndarray:
    """The picture's columns that hold a red pixel."""
    image = plot.grab().toImage()
    found = [x for x in range(image.width())
             if any(QColor(image.pixel(x, y)).red() > 200 and QColor(image.pixel(x, y)).green()
                    < 80 for y in range(0, image.height(), 2))]
    return np.array(found)


def test_a_line_is_drawn_where_its_points_are(qtbot: Any) -> None:
    plot, lines = _plot_with_line(qtbot)
    assert not len(_red_columns(plot)), "nothing is drawn before the points come"
    lines.set_points("line", np.array([0.0, 5.0]), np.array([5.0, 5.0]))
    columns = _red_columns(plot)
    width = plot.grab().width()
    # From the left edge to the middle of the plot, not beyond it.
    assert columns.min() < 0.1 * width and 0.4 * width < columns.max() < 0.6 * width


def test_a_non_finite_value_breaks_the_line_into_stretches(qtbot: Any) -> None:
    plot, lines = _plot_with_line(qtbot)
    xs = np.arange(10, dtype=np.float64)
    ys = np.array([1, 2, np.nan, 4, 5, 6, np.inf, 8, 9, 9], dtype=np.float64)
    lines.set_points("line", xs, ys)
    drawn_x, drawn_y = lines.points("line")
    assert drawn_x.tolist() == [0, 1, 3, 4, 5, 7, 8, 9]  # the gaps are left out
    assert np.isfinite(drawn_y).all()
    assert np.isnan(lines.values("line")[2]), "the values keep their gaps for the y range"
    # The stretch from 3 to 5 is drawn; between 1 and 3 (around the NaN) nothing is.
    columns = set(_red_columns(plot).tolist())
    width = plot.grab().width()
    assert any(0.32 * width < c < 0.48 * width for c in columns)
    assert not any(0.13 * width < c < 0.27 * width for c in columns)


def test_the_extent_follows_the_view_and_not_the_data(qtbot: Any) -> None:
    plot, lines = _plot_with_line(qtbot)
    lines.set_points("line", np.array([0.0, 1000.0]), np.array([0.0, 1000.0]))
    rect = lines.boundingRect()
    assert (rect.left(), rect.right()) == (0.0, 10.0), "new points do not move the extent"
    plot.setXRange(2, 4, padding=0)
    rect = lines.boundingRect()
    assert (rect.left(), rect.right()) == (2.0, 4.0)
    assert lines.dataBounds(0) is None, "the item takes no part in auto-ranging"


def test_clear_empties_the_lines_and_keeps_their_pens(qtbot: Any) -> None:
    plot, lines = _plot_with_line(qtbot)
    lines.set_points("line", np.array([0.0, 9.0]), np.array([1.0, 9.0]))
    assert len(_red_columns(plot))
    lines.clear()
    assert not len(_red_columns(plot)) and lines.names() == ["line"]
    assert lines.pen("line").color().name() == "#ff0000"


@pytest.fixture
def view(qtbot: Any) -> CurvesView:
    """A curves view on screen, the size of the dock's."""
    curves = CurvesView()
    qtbot.addWidget(curves)
    curves.resize(900, 260)
    curves.show()
    qtbot.waitExposed(curves)
    return curves


def _gan_record(steps: int) -> RunRecord:
    record = RunRecord("gan")
    record.write(Started(1, steps, "cpu", "eager"))
    losses = np.stack([np.linspace(2.0, 1.0, steps), np.linspace(1.5, 0.5, steps),
                       np.linspace(2.0, 1.0, steps)], axis=1).astype(np.float32)
    losses[steps // 2, 0] = 50.0  # one spike in the loss
    record.write(Metrics(1, steps, float(losses[:, 0].mean()), 100.0, 0.01,
                         parts={"d_loss": 1.0, "g_loss": 1.5}, step_losses=losses,
                         samples=steps * 8))
    return record


def test_the_curves_view_streams_loss_smoothing_and_parts_through_one_item(
        view: CurvesView) -> None:
    view.show_record(_gan_record(400))
    lines = view.lines
    # The loss, its smoothing and the discriminator's part (the generator's is the loss).
    assert lines.names() == ["raw", "smooth", "d_loss"]
    raw_x, raw_y = lines.points("raw")
    assert raw_x[0] == 1 and raw_x[-1] == 400
    assert raw_y.max() == 50.0, "the decimation keeps the spike"
    assert lines.points("smooth")[1].max() < 50.0
    assert "d_loss" in view.key.text() and "g_loss" not in view.key.text()
    colours = {lines.pen(name).color().name() for name in ("smooth", "d_loss")}
    colours.add(pg.mkPen(view.val_loss.opts["pen"]).color().name())
    assert len(colours) == 3, "the part, the loss and the validation points differ in colour"
    low, high = view.loss_plot.getViewBox().viewRange()[1]
    assert low < 0.5 and high >= 50.0, "the y range holds every line"
    view.log_box.setChecked(True)
    assert np.isclose(lines.points("raw")[1].max(), np.log10(50.0))
    view.show_record(None)
    assert lines.names() == ["raw", "smooth"] and not len(lines.points("raw")[0])


def test_a_falling_loss_moves_the_y_range_a_few_times_not_every_frame(view: CurvesView) -> None:
    record = RunRecord("falling")
    frames, per_frame = 200, 5
    record.write(Started(1, frames * per_frame, "cpu", "eager"))
    view.show_record(record)
    ranges = []
    for frame in range(frames):
        steps = np.arange(frame * per_frame, (frame + 1) * per_frame)
        losses = (2.3 * np.exp(-steps / 250.0)).astype(np.float32).reshape(-1, 1)
        record.write(Metrics(1, (frame + 1) * per_frame, float(losses.mean()), 100.0, 0.01,
                             step_losses=losses, samples=per_frame * 8))
        view.refresh()
        low, high = view.loss_plot.getViewBox().viewRange()[1]
        assert low <= float(losses.min()) and float(losses.max()) <= high + 1e-6
        if not ranges or ranges[-1] != (low, high):
            ranges.append((low, high))
    # The loss falls from 2.3 to 0.04 over 200 frames: the range follows it in a few jumps.
    assert 2 <= len(ranges) <= 15, len(ranges)
