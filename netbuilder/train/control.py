"""Thread-safe controls for a running training loop: stop, pause/resume, learning rate."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class TextRequest:
    """Text asked of a running language model: ``length`` characters after ``prompt``."""

    id: int
    prompt: str
    temperature: float
    length: int


class TrainingControl:
    """Set from any thread (the GUI's); the loop polls it once per step at no sync cost."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        # Set means running: the loop waits on it while paused.
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._lr: float | None = None
        self._results_wanted = True
        self._text_requests: list[TextRequest] = []
        self._next_request = 1

    def stop(self) -> None:
        """Ends the run after the current step (also while paused)."""
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def set_lr(self, lr: float) -> None:
        """Asks the loop to use this base learning rate from its next step on."""
        if not lr > 0:
            raise ValueError(f"learning rate must be > 0, got {lr!r}")
        with self._lock:
            self._lr = float(lr)

    def take_lr(self) -> float | None:
        """The learning rate asked for since the last call, or None (used by the loop)."""
        with self._lock:
            lr, self._lr = self._lr, None
        return lr

    def wait_while_paused(self, poll_s: float = 0.05) -> None:
        """Blocks while paused; returns at once when running or stopped."""
        while not self._running.wait(poll_s):
            if self._stop.is_set():
                return

    # ----- results views (netbuilder.train.results) -----------------------------------------
    def show_results(self, wanted: bool) -> None:
        """Whether a results view is shown: while not, the loop takes no Results."""
        self._results_wanted = bool(wanted)

    @property
    def results_wanted(self) -> bool:
        return self._results_wanted

    def request_text(self, prompt: str, temperature: float, length: int) -> int:
        """Asks the loop to write text from the run's latest weights; returns the request's
        id, which its TextReply event carries."""
        with self._lock:
            request = TextRequest(self._next_request, prompt, float(temperature), int(length))
            self._next_request += 1
            self._text_requests.append(request)
        return request.id

    @property
    def has_text_requests(self) -> bool:
        """Any text asked for (read per step without the lock: a list's truth is atomic)."""
        return bool(self._text_requests)

    def take_text_requests(self) -> list[TextRequest]:
        """The requests since the last call, oldest first (used by the loop)."""
        with self._lock:
            taken, self._text_requests = self._text_requests, []
        return taken
