"""Cyclic garbage is collected on the GUI thread, never by a worker thread's allocations."""

from __future__ import annotations

import gc
from typing import Any

from netbuilder.ui.gc_guard import GuiThreadCollector


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
