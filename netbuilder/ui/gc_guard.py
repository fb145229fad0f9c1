"""Python's cyclic garbage collection, run on the GUI thread only.

Left automatic, the collector runs in whichever thread happens to allocate, and a worker
thread (an export, an import, later training) then finalises Python-owned Qt objects that
belong to the GUI thread, while the GUI thread may be delivering events to them: seen as a
pure virtual call and an abort in tests/ui/test_exchange.py. So while the app runs, automatic
collection is off and a timer on the GUI thread collects with the usual generation thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the allocation counts, in milliseconds.
CHECK_INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Turns automatic collection off and collects from a GUI-thread timer instead.

    Create it on the GUI thread; :meth:`stop` (or destroying it) turns automatic collection
    back on.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(CHECK_INTERVAL_MS)

    def check(self) -> None:
        """Collects the oldest generation whose allocation count passed its threshold."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self, resume_automatic: bool = True) -> None:
        """Stops the timed collections; ``resume_automatic`` gives collection back to Python
        (leave it off when the process is about to end anyway)."""
        self._timer.stop()
        if resume_automatic:
            gc.enable()


def collect_between_runs() -> None:
    """Empties the young generations while no run streams (at a run's start and end).

    The timer collects a generation when its count passes the threshold, and a collection
    scans every object in that generation. What survived young collections piled up in the
    middle one across runs (about 125,000 objects after a few runs of mnist_cnn: the
    documents' items, the records, the models' modules), and its collection, due at some
    point in a later run, stalled the GUI for about 50 ms mid-run. Collected here, the middle
    generation holds what one run leaves at most; the oldest is collected here too when its
    turn has come, so a full collection rarely falls inside a run.
    """
    counts, thresholds = gc.get_count(), gc.get_threshold()
    gc.collect(2 if counts[2] >= thresholds[2] else 1)
