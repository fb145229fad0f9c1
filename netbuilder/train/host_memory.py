"""How the C allocator treats the memory a training step frees (Linux with glibc only).

PyTorch's CPU tensors come from ``malloc`` and go back with ``free``, every step. Left to its
defaults, glibc gives large blocks back to the system as soon as they are freed (``mmap`` for
blocks over its threshold, trimming the heap's top), so the next step touches fresh pages
again: about 3,000 page faults a step for mnist_cnn at batch 128, a tenth of the CPU time.
During a run the allocator keeps what is freed for the next step; the run's end gives it back.

A thread other than the main one gets an arena of its own, whose heaps are unmapped whenever
they empty, whatever the thresholds: the app, which trains on a worker thread, asks for one
arena for every thread before it starts any (:func:`share_main_arena`).

Measured on the 2-core development machine (the README's Speed section): mnist_cnn at batch
128, 4,240-4,700 -> 6,340-6,480 samples/s; page faults in 3 epochs of 16,384 digits, 1.2
million -> about 9 thousand.

Elsewhere (macOS, Windows, musl) these functions do nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import sys
from collections.abc import Iterator
from functools import cache

# mallopt parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: Blocks up to this size come from the heap and stay there once freed, during a run. Well
#: above a step's largest buffer on the CPU (a batch of activations, a convolution's
#: workspace), below what a whole data set copied at once would take.
KEEP_BYTES = 1 << 30


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def share_main_arena() -> bool:
    """Makes every thread allocate from the main arena; returns whether it could.

    Takes effect only if called before any thread other than the main one has allocated
    (glibc fixes the arena limit at the first such allocation): call it first thing in a
    process that will train on a worker thread.
    """
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_ARENA_MAX, 1))


def keep_freed_memory() -> bool:
    """Keeps freed blocks up to :data:`KEEP_BYTES` in the process for reuse; returns
    whether the allocator took the setting."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, KEEP_BYTES)
                and libc.mallopt(_M_TRIM_THRESHOLD, KEEP_BYTES))


def release_freed_memory() -> None:
    """Gives the freed memory the allocator holds back to the system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@contextlib.contextmanager
def reused_between_steps() -> Iterator[None]:
    """For the length of a run: freed memory is kept for the next step, then given back."""
    keep_freed_memory()
    try:
        yield
    finally:
        release_freed_memory()
