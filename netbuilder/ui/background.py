"""Runs slow, Qt-free work (an export, an import) off the GUI thread.

The work is a plain callable; it must not touch widgets. Its result or its error comes back as
a signal, delivered on the GUI thread because the :class:`BackgroundTask` lives there.

The work runs on a plain Python thread, not a QRunnable: a Python subclass of QRunnable
handed to QThreadPool has a wrapper the GUI thread's garbage collector may reach while the
pool still runs it, which aborted the process now and then in tests.
"""

from __future__ import annotations

import contextlib
import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from netbuilder.core.errors import NetbuilderError


class BackgroundTask(QObject):
    """One call of ``work`` on a worker thread.

    Signals:
        succeeded(object): the value ``work`` returned.
        failed(str): the message of the error it raised: a :class:`NetbuilderError`'s own
            words, or the type and text of anything else (a bug: the traceback goes to stderr).
    """

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.running = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.running = True
        self.succeeded.connect(self._done)
        self.failed.connect(self._done)
        # A daemon thread: quitting the app mid-export must not wait for it. Exports write
        # atomically, so a cut-off one leaves the target file as it was.
        self._thread = threading.Thread(target=self.run_here, name="netbuilder-background",
                                        daemon=True)
        self._thread.start()

    def _done(self, _value: object = None) -> None:
        self.running = False

    def run_here(self) -> None:
        """Runs the work on the calling thread (the worker thread calls this)."""
        try:
            value = self._work()
        except NetbuilderError as error:
            self._tell(self.failed, str(error))
        except MemoryError:
            self._tell(self.failed, "out of memory")
        except Exception as error:  # a bug must reach the user, not kill a pool thread
            traceback.print_exc()
            self._tell(self.failed, f"internal error: {type(error).__name__}: {error}")
        else:
            self._tell(self.succeeded, value)

    @staticmethod
    def _tell(signal: object, value: object) -> None:
        # The task's owner (a closed window) may be gone: then no one waits for the answer.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)  # type: ignore[attr-defined]

