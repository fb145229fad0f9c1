"""Cyclic garbage is collected on the GUI thread, never by a worker thread's allocations."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from netbuilder.ui.gc_guard import GuiThreadCollector, collect_between_runs


def _cycles(count: int) -> None:
    for _ in range(count):
        node: list[Any] = []
        node.append(node)


def test_the_timer_collects_what_automatic_collection_would(qtbot: Any) -> None:
    was_enabled = gc.isenabled()
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()
        gc.collect()
        threshold = gc.get_threshold()[0]
        _cycles(threshold * 3)
        assert gc.get_count()[0] > threshold  # nothing collected behind the timer's back
        qtbot.waitUntil(lambda: gc.get_count()[0] < threshold, timeout=3000)
    finally:
        collector.stop()
        if not was_enabled:
            gc.disable()  # the session's own collector is still in charge
    assert gc.isenabled() or not was_enabled


def test_between_runs_the_young_generations_are_emptied_and_the_oldest_when_due() -> None:
    gc.collect()
    _cycles(500)
    collect_between_runs()
    # The young generations' survivors moved to the oldest; no young collection is due (a
    # thread left by another test may allocate a little meanwhile).
    assert gc.get_count()[1] == 0 and gc.get_count()[0] < gc.get_threshold()[0]
    for _ in range(gc.get_threshold()[2]):
        gc.collect(1)  # the middle generation's collections that make a full one due
    assert gc.get_count()[2] >= gc.get_threshold()[2]
    collect_between_runs()
    assert gc.get_count()[1:] == (0, 0)  # the full collection came between runs


def test_a_run_from_the_dock_collects_at_its_start_and_end(
        qtbot: Any, window: Any, monkeypatch: Any) -> None:
    from netbuilder.ui.training import session as session_module
    from tests.ui.test_training_dock import finished, moons_document, ready

    calls: list[object] = []
    monkeypatch.setattr(session_module, "collect_between_runs",
                        lambda: calls.append(window.training.session.state))
    dock = ready(qtbot, window, moons_document(epochs=1))
    assert dock.start()
    assert len(calls) == 1  # before the worker started
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5_000)


def test_the_apps_warm_up_imports_the_first_steps_modules_and_freezes_them(
        tmp_path: Path) -> None:
    """In a fresh interpreter: freezing reaches every object of the process."""
    code = textwrap.dedent("""
        import gc, sys, time
        from PySide6.QtCore import QCoreApplication, QEventLoop
        from netbuilder.ui.app import create_application, warm_up_training
        app = create_application()
        frozen = gc.get_freeze_count()
        task = warm_up_training(app)
        end = time.monotonic() + 60
        while task.running and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        grown = gc.get_freeze_count() - frozen
        # A run's first optimizer step now imports nothing more.
        import torch
        modules = len(sys.modules)
        layer = torch.nn.Linear(3, 2)
        optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
        layer(torch.ones(4, 3)).sum().backward()
        optimizer.step()
        print(task.running, grown, len(sys.modules) - modules)
    """)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, check=True, cwd=Path(__file__).parents[2])
    running, grown, new_modules = done.stdout.split()[-3:]
    assert running == "False"
    assert int(grown) > 50_000  # torch's optimizer imports, out of the collector's reach
    assert int(new_modules) == 0
