"""The thread that computes the canvas's block previews, always for the latest edit only.

The editor hands it the document as .nbg text after each edit (:meth:`PreviewThread.request`);
a request replaces the one still waiting, and a run in progress gives up between two blocks
when a newer request comes, so the thread never works on an outdated graph for long and never
queues edits up. Outcomes are collected with :meth:`PreviewThread.take` (the GUI polls while
it waits for one): no Qt object is touched from the thread, and only numpy data leave it.

The thread runs torch's kernels single-threaded. One sample is far too little work to share
between cores: on a busy two-core machine a preview of the CNN example took 50-150 ms with two
OpenMP threads (each kernel waits for the slower thread) and 2-10 ms with one. OpenMP's thread
count is a per-thread setting, so the training thread keeps all its cores, and since this
thread never starts an OpenMP team, no idle team of its own competes with training's.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
import traceback
from dataclasses import dataclass, field

import netbuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.train.block_preview import BlockPreviewer, Thumbnail

#: How long :meth:`PreviewThread.shutdown` waits for a run to give up.
JOIN_TIMEOUT_S = 2.0
#: The thread ends after this long without a request (the next one starts a new thread; the
#: loaded sample and the built blocks stay): a window dropped without closing leaves nothing
#: running for long.
IDLE_EXIT_S = 30.0


@dataclass(frozen=True)
class PreviewOutcome:
    """What one request gave.

    Attributes:
        generation: the request's number (the caller's: it shows only its latest).
        thumbnails: network name -> node id -> thumbnail (empty without a data set).
        error: why there are none (the data set could not be loaded), else None.
    """

    generation: int
    thumbnails: dict[str, dict[str, Thumbnail]] = field(default_factory=dict)
    error: str | None = None


class PreviewThread:
    """A worker thread, started by a request, that runs :class:`BlockPreviewer`.

    Attributes:
        runs: previews computed to the end so far (tests read it).
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._pending: tuple[int, str, str | None] | None = None
        self._outcomes: list[PreviewOutcome] = []
        self._closing = False
        self._thread: threading.Thread | None = None
        self._working = False  # the thread runs a request
        self._cancelled = False  # cancel() was called during that run
        self.runs = 0
        self._previewer = BlockPreviewer()

    @property
    def busy(self) -> bool:
        """A request waits or runs."""
        with self._wake:
            return self._pending is not None or self._working

    def request(self, generation: int, doc_text: str, weights: str | None = None) -> None:
        """Previews the document ``doc_text`` (its .nbg text) as request ``generation``,
        with the trained ``weights`` file where it fits (see :class:`BlockPreviewer`)."""
        with self._wake:
            if self._closing:
                return
            self._pending = (generation, doc_text, weights)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="netbuilder-preview",
                                                daemon=True)
                self._thread.start()
            self._wake.notify()

    def cancel(self) -> None:
        """Drops the waiting request; a run in progress gives up."""
        with self._wake:
            self._pending = None
            self._cancelled = True

    def take(self) -> list[PreviewOutcome]:
        """The outcomes finished since the last call, oldest first."""
        with self._wake:
            outcomes, self._outcomes = self._outcomes, []
        return outcomes

    def shutdown(self, timeout: float = JOIN_TIMEOUT_S) -> bool:
        """Stops the thread (a run gives up at its next block); whether it ended in time."""
        with self._wake:
            self._closing = True
            self._pending = None
            self._wake.notify()
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # ----- the worker thread --------------------------------------------------------------------
    def _superseded(self) -> bool:
        return self._pending is not None or self._closing or self._cancelled

    def _loop(self) -> None:
        single_threaded_kernels()
        while True:
            with self._wake:
                if self._pending is None and not self._closing:
                    self._wake.wait(IDLE_EXIT_S)
                if self._closing or self._pending is None:
                    self._thread = None  # idle: the next request starts a new thread
                    return
                assert self._pending is not None
                (generation, text, weights), self._pending = self._pending, None
                self._working, self._cancelled = True, False
            try:
                outcome = self._run(generation, text, weights)
            finally:
                with self._wake:
                    self._working = False
            if outcome is not None:
                with self._wake:
                    self._outcomes.append(outcome)
                    self.runs += 1

    def _run(self, generation: int, text: str, weights: str | None) -> PreviewOutcome | None:
        try:
            doc = netbuilder.loads(text, "the edited graph")
            thumbnails = self._previewer.run(doc, stop=self._superseded, weights=weights)
        except NetbuilderError as error:
            return PreviewOutcome(generation, error=str(error))
        except Exception as error:  # a bug: say so, keep the thread for the next edit
            traceback.print_exc()
            return PreviewOutcome(generation, error=f"internal error: {error}")
        return None if thumbnails is None else PreviewOutcome(generation, thumbnails)


def single_threaded_kernels() -> None:
    """Makes torch's OpenMP kernels run on the calling thread alone (other threads keep theirs).

    Calls ``omp_set_num_threads(1)`` in the OpenMP runtime the process loaded (torch's
    own libgomp on Linux), which sets the calling thread's count only. Does nothing where no
    OpenMP runtime can be found (the kernels then keep their threads: slower, not wrong).
    """
    for path in _loaded_openmp_runtimes():
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(path).omp_set_num_threads(1)
            return


def _loaded_openmp_runtimes() -> list[str]:
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps
                     if "/libgomp" in line or "/libiomp" in line or "/libomp" in line}
    except OSError:
        return []
    return sorted(paths)
