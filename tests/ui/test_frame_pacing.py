"""Paced redraws: the throttle behind the live views, the progress line, and the dock drawing
a streaming run at a bounded rate yet always ending on its last figures."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtGui import QColor

from netbuilder.train.events import EpochEnd, Finished, Metrics, Started
from netbuilder.train.record import RunRecord
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.throttle import Throttle
from netbuilder.ui.training.progress_line import ProgressLine
from tests.ui.test_training_dock import moons_document, ready


def test_the_throttle_calls_at_once_then_once_more_after_the_interval(qtbot: Any) -> None:
    calls: list[float] = []
    throttle = Throttle(80, lambda: calls.append(time.monotonic()))
    throttle.request()
    assert len(calls) == 1 and not throttle.pending
    for _ in range(5):  # within the interval: folded into one trailing call
        throttle.request()
    assert len(calls) == 1 and throttle.pending
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2_000)
    assert calls[1] - calls[0] >= 0.075
    qtbot.wait(200)
    assert len(calls) == 2, "a trailing call is made once, not repeated"


def test_flush_calls_now_and_cancels_the_trailing_call(qtbot: Any) -> None:
    calls: list[int] = []
    throttle = Throttle(60, lambda: calls.append(1))
    throttle.request()
    throttle.request()
    assert throttle.pending
    throttle.flush()
    assert len(calls) == 2 and not throttle.pending
    qtbot.wait(150)
    assert len(calls) == 2


def test_the_progress_line_fills_its_fraction(qtbot: Any) -> None:
    line = ProgressLine()
    qtbot.addWidget(line)
    line.resize(200, 6)
    line.show()
    line.set_fraction(1.7)
    assert line.fraction == 1.0
    line.set_fraction(-1)
    assert line.fraction == 0.0
    line.set_fraction(0.5)
    image = line.grab().toImage()
    highlight = line.palette().highlight().color()

    def near(x: int, colour: QColor) -> bool:
        pixel = image.pixelColor(x, 3)
        return all(abs(a - b) <= 40 for a, b in zip(pixel.getRgb()[:3], colour.getRgb()[:3],
                                                    strict=True))

    assert near(50, highlight), "the done half is drawn in the highlight colour"
    assert not near(150, highlight), "the rest is the track"


def _stream(dock: Any, reports: int) -> RunRecord:
    """Feeds a run's reports to the dock as the runner does, one drain per report."""
    session = dock.session
    session.record = record = RunRecord("paced")
    dock.curves.show_record(record)
    session._events([Started(1, reports * 10, "cpu", "eager")])
    for index in range(reports):
        losses = np.full((10, 1), 1.0 / (index + 1), dtype=np.float32)
        session._events([Metrics(1, (index + 1) * 10, float(losses.mean()), 1000.0, 0.01,
                                 step_losses=losses, samples=80)])
    return record


def test_a_streaming_run_is_drawn_at_a_bounded_rate_and_ends_on_its_last_step(
        qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document())
    redraws: list[int] = []
    original = dock.curves.refresh
    dock.curves.refresh = lambda: (redraws.append(1), original())  # type: ignore[method-assign]
    record = _stream(dock, 40)  # 40 reports in one burst: far within one frame
    assert len(redraws) <= 2, "reports arriving together are drawn together"
    session = dock.session
    session._events([EpochEnd(1, 0.1, None, None, 1000.0, step=400),
                     Finished({"loss": 0.025}, None, None)])
    assert not record.running
    # The end is drawn at once: the curve and the figures show the last step.
    drawn = dock.curves.lines.points("raw")[0].copy()
    original()  # what a redraw now would show: nothing newer is left undrawn
    assert np.array_equal(drawn, dock.curves.lines.points("raw")[0])
    assert drawn[-1] > 390  # the envelope's last column ends at the run's last steps
    assert "step 400 of 400" in dock.progress_text.text()
    assert dock.progress.fraction == 1.0


def test_a_request_within_the_tolerance_is_served_at_once(qtbot: Any) -> None:
    calls: list[float] = []
    throttle = Throttle(100, lambda: calls.append(time.monotonic()), tolerance_ms=40)
    throttle.request()
    qtbot.wait(75)  # 25 ms early: within the tolerance, as the drain tick after next comes
    throttle.request()
    assert len(calls) == 2 and not throttle.pending
    throttle.request()  # far too early: a trailing call, a tolerance after the interval
    assert throttle.pending
    qtbot.waitUntil(lambda: len(calls) == 3, timeout=2_000)
    assert calls[2] - calls[1] >= 0.12  # past the interval (a coarse timer: 5% early at most)
