"""Guards against the PySide6 6.12.0 crash on CPython 3.11.

In 6.12.0 every ``Signal.emit()`` drops a reference to ``True``; after some thousands of emits
the interpreter aborts with ``Fatal Python error: bool_dealloc`` (exit 134), sometimes after
pytest already printed its summary. pyproject.toml keeps PySide6-Essentials below 6.12 and this
test makes a bad upgrade fail loudly instead of crashing later in someone's training run.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

EMITS = 100_000


class _Source(QObject):
    changed = Signal(bool)
    counted = Signal(int)


def test_100k_signal_emits_do_not_crash_the_interpreter(qapp, qtbot) -> None:
    source = _Source()
    received: list[int] = []
    flags = 0

    def on_changed(value: bool) -> None:
        nonlocal flags
        flags += value

    source.changed.connect(on_changed)
    source.counted.connect(received.append)
    true_refs_before = sys.getrefcount(True)

    for index in range(EMITS):
        source.changed.emit(True)
        source.counted.emit(index)

    assert flags == EMITS
    assert len(received) == EMITS
    assert received[-1] == EMITS - 1
    # Immortal in 3.12+, where the count is a large constant; on 3.10/3.11 a leak of one
    # reference per emit shows here long before the interpreter aborts.
    assert sys.getrefcount(True) >= true_refs_before - 10
    # Let Qt run its event loop once more: the 6.12.0 abort often came on a later event.
    qtbot.wait(10)
