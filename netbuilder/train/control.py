"""Thread-safe controls for a running training loop: stop, pause/resume, learning rate, and
which blocks to probe."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

#: Marks a control whose probes were never set: the loop then keeps its own probe_interval.
_UNSET = object()


@dataclass(frozen=True)
class ProbeRequest:
    """What a viewer asks the loop to probe (set through ``TrainingControl.set_probe``).

    Attributes:
        blocks: the block (module) names whose outputs travel to the host; a group
            instance's name takes every block inside it; None takes every block.
        interval: seconds between probes.
        sample: which probe sample's outputs are kept (0 to ``PROBE_SAMPLES - 1``).
        serial: a new request is served at the next step, whatever the interval.
    """

    blocks: frozenset[str] | None
    interval: float
    sample: int = 0
    serial: int = 0

    def wants(self, block: str) -> bool:
        """Whether ``block``'s output is asked for (itself or a group instance around it)."""
        if self.blocks is None:
            return True
        parts = block.split(".")
        return any(".".join(parts[:end]) in self.blocks for end in range(1, len(parts) + 1))


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
        self._probe: object = _UNSET
        self._probe_serial = 0
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

    def set_probe(self, blocks: Iterable[str] | None, interval: float | None,
                  sample: int = 0) -> None:
        """Asks the loop to probe these blocks every ``interval`` seconds, from its next step.

        Args:
            blocks: block names (a group instance's name covers the blocks inside it); None
                for every block.
            interval: seconds between probes; None stops probing.
            sample: which probe sample's outputs to keep.
        """
        with self._lock:
            self._probe_serial += 1
            self._probe = None if interval is None else ProbeRequest(
                None if blocks is None else frozenset(blocks), float(interval), int(sample),
                self._probe_serial)

    def probe_request(self, default: ProbeRequest | None = None) -> ProbeRequest | None:
        """What to probe now: the last :meth:`set_probe`, or ``default`` before any.

        One attribute read, no lock: the loop calls it every step.
        """
        probe = self._probe
        return default if probe is _UNSET else probe  # type: ignore[return-value]

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
