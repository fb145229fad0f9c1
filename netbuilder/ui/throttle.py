"""Calls a slow GUI update at most once per interval, and never drops the last request.

Live views get new data many times a second, but each redraw takes the GUI thread's time,
which a training thread on the same cores waits for. A :class:`Throttle` runs the update at
once when the last run is at least ``interval_ms`` old, else once more when the interval is
over (the trailing run), so the screen always ends on the latest data.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Rate-limits ``update`` to one call per ``interval_ms``.

    Args:
        interval_ms: the time between two calls.
        update: what to call (looked up at each call through the callable given: pass a
            lambda to reach a method that may be replaced later).
        parent: the owner (the trailing timer dies with it).
        tolerance_ms: a request up to this much early is served at once, and the trailing
            call waits this much longer. Requests that come on a timer's ticks (a queue
            drained every 50 ms) are then served on every other tick, with what that tick
            brought, instead of by a trailing call between two ticks that shows only the
            previous tick's data (which made the wait for the screen up to a tick longer).
    """

    def __init__(self, interval_ms: int, update: Callable[[], None],
                 parent: QObject | None = None, tolerance_ms: int = 0) -> None:
        super().__init__(parent)
        self.interval_s = interval_ms / 1000
        self.tolerance_s = tolerance_ms / 1000
        self._update = update
        self._last = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> bool:
        """A trailing call is due."""
        return self._timer.isActive()

    def request(self) -> None:
        """Calls the update now if the interval has passed since the last, else later."""
        wait = self._last + self.interval_s - time.monotonic()
        if wait <= self.tolerance_s:
            self.flush()
        elif not self._timer.isActive():
            self._timer.start(max(1, round((wait + self.tolerance_s) * 1000)))

    def flush(self) -> None:
        """Calls the update now (and cancels a trailing call)."""
        self._timer.stop()
        self._last = time.monotonic()
        self._update()
