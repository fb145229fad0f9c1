"""Running a read that might never end (a FIFO, /dev/zero) so that a regression fails, not hangs.

The call runs in a forked child with a deadline and a memory cap: a reader blocked on a FIFO is
killed at the deadline, one filling memory from /dev/zero stops with a MemoryError. Forking
copies the loaded test process in milliseconds, where a fresh interpreter would take seconds.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable

import pytest

#: Skip marker for the tests that need FIFOs and fork (POSIX).
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo") or not hasattr(os, "fork"),
                                reason="needs os.mkfifo and os.fork (POSIX)")
_MESSAGE_BYTES = 4096  # well under a pipe's buffer: the child never blocks writing it
_EXTRA_MEMORY = 1 << 30


def outcome(function: Callable[[], object], seconds: float = 20.0) -> str:
    """``"TypeName: message"`` of what ``function`` raised, or ``"returned <value>"``.

    Fails the test when the call is still running after ``seconds``.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's clean-up
        os.close(read_end)
        try:
            _cap_memory()
            text = f"returned {function()!r}"
        except BaseException as error:  # everything is reported to the parent
            text = f"{type(error).__name__}: {error}"
        os.write(write_end, text.encode("utf-8", "replace")[:_MESSAGE_BYTES])
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        _wait(pid, seconds)
        return pipe.read().decode("utf-8", "replace")


def _wait(pid: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"still reading after {seconds} s: the read is not bounded")
        time.sleep(0.005)


def _cap_memory() -> None:
    """Limits the child to its current address space plus 1 GiB (Linux; elsewhere no cap)."""
    if not sys.platform.startswith("linux"):
        return
    import resource

    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[0])
    size = pages * os.sysconf("SC_PAGE_SIZE") + _EXTRA_MEMORY
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (size, hard))
