"""Every bundled example trains from the dock: opened as a user opens it, ready to train
(Start enabled, nothing in the Problems panel about training), and a run started with the
Train button streams steps to the curve until it is stopped, ending as stopped, not failed."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

import netbuilder
from netbuilder.resources import example_path, list_examples
from netbuilder.train.events import Finished
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.training.session import State
from tests.ui.test_training_dock import ready


@pytest.mark.parametrize("name", list_examples())
def test_the_example_trains_from_the_dock(qtbot: Any, window: MainWindow, name: str) -> None:
    doc = netbuilder.load(example_path(name))
    doc.training["device"] = "cpu"
    dock = ready(qtbot, window, doc, name, timeout=60_000)
    assert not dock.blockers
    qtbot.mouseClick(dock.start_button, Qt.MouseButton.LeftButton)
    session = dock.session
    qtbot.waitUntil(lambda: session.record is not None and session.record.step >= 3,
                    timeout=60_000)
    qtbot.mouseClick(dock.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: session.state is State.IDLE, timeout=30_000)
    record = session.record
    assert isinstance(record.outcome, Finished), record.outcome
    assert record.outcome.metrics.get("stopped")
    assert len(record.series["loss"]) == record.step >= 3  # every step it took is kept
