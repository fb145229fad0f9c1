"""Runs one training job off the GUI thread and hands its events back in batches.

The job (:func:`netbuilder.train.job.run_job`) runs on a plain Python thread; Qt's thread pool
aborted under the export tests (see ``netbuilder/ui/gc_guard.py``), and a QThread would add
nothing: the loop is a generator that never returns to an event loop. The thread puts events
on a queue; a GUI timer drains it about 20 times a second and emits them as one list, so the
GUI does one update per tick however fast the engine steps (one signal per step halved a
worker's throughput in a probe). Of several probes or samples queued in one tick, only the
latest of each kind is handed on.

Only plain Python and numpy data cross the thread: the job holds the document as text, events
hold numbers and arrays. The thread never touches a Qt object, and the GUI thread never runs a
torch operation: once one thread has run torch's OpenMP kernels, training on another thread of
the same process ran a third slower (tests/benchmarks/bench_dock.py measures the dock against
a headless run in a process of its own).

The interpreter's switch interval stays at its default (5 ms). A shorter one (1 ms), once
needed against GUI stalls, no longer shortens them (the GUI thread's garbage collection and
the allocator are settled at start-up now) and cost the run about 2% on two cores: at 5 ms,
the stalls while mnist_cnn trains were p99 3.8 ms and 30 ms at most.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from netbuilder.train.control import TrainingControl
from netbuilder.train.events import Probe, Samples
from netbuilder.train.job import RunFiles, TrainingJob, run_job

#: How often the GUI looks at the queue (about 20 Hz).
DRAIN_INTERVAL_MS = 50
#: How long closing waits for the worker to stop.
JOIN_TIMEOUT_S = 2.0


class TrainingRunner(QObject):
    """Starts a job on a worker thread, forwards its events, stops it on request.

    Signals:
        events_ready(list): the events drained in one tick, in order (GUI thread).
        ended(object): the job's :class:`RunFiles` once its thread has finished.
    """

    events_ready = Signal(list)
    ended = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.control = TrainingControl()
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self.drain)
        self._files: RunFiles | None = None

    @property
    def running(self) -> bool:
        """A job was started and its end has not been handed on yet."""
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self.running and self.control.paused

    def start(self, job: TrainingJob) -> None:
        """Starts ``job`` on a new worker thread.

        Raises:
            RuntimeError: a job is still running.
        """
        if self._thread is not None:
            raise RuntimeError("a training run is still going; stop it first")
        self.control = TrainingControl()
        self._files = None
        self._thread = threading.Thread(target=self._work, args=(job, self.control),
                                        name="netbuilder-training", daemon=True)
        self._thread.start()
        self._timer.start()

    def _work(self, job: TrainingJob, control: TrainingControl) -> None:
        # The worker's only link to the GUI: the queue (thread-safe, no Qt).
        run_job(job, control, self._queue.put)

    # ----- control (any time; they act within a step) -------------------------------------------
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def set_lr(self, lr: float) -> None:
        self.control.set_lr(lr)

    # ----- the GUI side ----------------------------------------------------------------------
    def drain(self) -> None:
        """Hands on what the worker queued (the timer calls this; tests may too)."""
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        files = [item for item in items if isinstance(item, RunFiles)]
        events = latest_only([item for item in items if not isinstance(item, RunFiles)])
        if events:
            self.events_ready.emit(events)
        if files:
            self._files = files[-1]
        thread = self._thread
        if thread is not None and self._files is not None and not thread.is_alive():
            self._finish()

    def _finish(self) -> None:
        self._timer.stop()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_TIMEOUT_S)
        self._thread = None
        files, self._files = self._files, None
        self.ended.emit(files)

    def shutdown(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Stops the job and waits for its thread (closing a document or the app).

        Returns:
            Whether the thread ended within ``timeout`` seconds. Its last events are handed on.
        """
        thread = self._thread
        if thread is None:
            return True
        self.control.stop()
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            thread.join(timeout=0.02)
        stopped = not thread.is_alive()
        self.drain()
        if self._thread is not None and stopped:
            self._finish()
        return stopped


def latest_only(events: list[Any]) -> list[Any]:
    """``events`` without the probes and samples that a later one of their kind replaces."""
    last_probe = max((i for i, e in enumerate(events) if isinstance(e, Probe)), default=-1)
    last_samples: dict[tuple[str, str], int] = {}
    for index, event in enumerate(events):
        if isinstance(event, Samples):
            last_samples[(event.kind, event.label)] = index
    kept = set(last_samples.values())
    return [e for i, e in enumerate(events)
            if not (isinstance(e, Probe) and i != last_probe)
            and not (isinstance(e, Samples) and i not in kept)]
