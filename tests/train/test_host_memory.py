"""The allocator keeps a run's freed memory for the next step (Linux with glibc).

Each case runs in a fresh interpreter: glibc fixes its arena limit at a thread's first
allocation, so the order of calls matters, as it does in the app.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc's allocator only")

#: Allocates, touches and frees a 64 MiB block ten times (on a worker thread with
#: ``thread``), then prints the page faults of the last nine rounds.
_ROUNDS = """
import ctypes, resource, threading
from netbuilder.train import host_memory

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
SIZE = 64 << 20

def rounds(out):
    for index in range(10):
        if index == 1:
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        block = libc.malloc(SIZE)
        ctypes.memset(block, 1, SIZE)
        libc.free(block)
    out.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)

{setup}
out = []
if {thread}:
    worker = threading.Thread(target=rounds, args=(out,))
    worker.start()
    worker.join()
else:
    rounds(out)
print(out[0])
"""


def _faults(setup: str, thread: bool) -> int:
    code = textwrap.dedent(_ROUNDS).format(setup=setup, thread=thread)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.strip())


#: A 64 MiB block is 16,384 pages: faulted in afresh each round unless it is kept.
FRESH = 9 * 16_384


def test_freed_blocks_are_given_back_by_default() -> None:
    assert _faults("", thread=False) >= FRESH * 0.9


def test_a_run_keeps_freed_blocks_for_the_next_step() -> None:
    assert _faults("host_memory.keep_freed_memory()", thread=False) < FRESH * 0.01


def test_a_worker_thread_keeps_them_only_in_the_shared_main_arena() -> None:
    keep = "host_memory.keep_freed_memory()"
    assert _faults(keep, thread=True) >= FRESH * 0.9
    assert _faults("host_memory.share_main_arena(); " + keep, thread=True) < FRESH * 0.01


def test_the_end_of_a_run_gives_the_memory_back() -> None:
    code = textwrap.dedent("""
        import ctypes
        from netbuilder.train import host_memory

        def resident_mb():
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * 4096 / 2**20

        libc = ctypes.CDLL("libc.so.6")
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        with host_memory.reused_between_steps():
            block = libc.malloc(256 << 20)
            ctypes.memset(block, 1, 256 << 20)
            libc.free(block)
            held = resident_mb()
        print(held - resident_mb())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert float(done.stdout) > 200  # MB handed back when the run ended


def test_a_job_gives_back_its_data_set_when_it_ends(tmp_path: Path) -> None:
    """After a run, the app's process does not keep the freed data set (a second release
    once the job's data set is gone: the engine's own comes while it is still held)."""
    data = tmp_path / "rows.npz"
    rows = 3_200_000  # 128 MB of inputs
    np.savez(data, x=np.ones((rows, 10), np.float32), y=np.ones((rows, 1), np.float32))
    code = textwrap.dedent(f"""
        import netbuilder
        from netbuilder.core import fileformat
        from netbuilder.resources import example_path
        from netbuilder.train.control import TrainingControl
        from netbuilder.train.events import Started
        from netbuilder.train.job import TrainingJob, run_job
        from netbuilder.train.settings import TrainingSettings

        def resident_mb():
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * 4096 / 2**20

        doc = netbuilder.load(example_path("regression_mlp"))
        settings = TrainingSettings.from_doc(doc).with_changes(
            epochs=1, device="cpu", dataset={str(data)!r})
        job = TrainingJob(doc_text=fileformat.dumps(doc), document="rows", settings=settings,
                          data=settings.dataset)
        control = TrainingControl()
        run_job(job, control, lambda event: control.stop())  # a first run loads torch's parts
        before = resident_mb()
        peak = []

        def stop_at_start(event):
            if isinstance(event, Started):
                peak.append(resident_mb())
                control.stop()

        control = TrainingControl()
        run_job(job, control, stop_at_start)
        print(peak[0] - before, resident_mb() - before)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    held, kept = (float(value) for value in done.stdout.split())
    assert held > 100  # the data set was in memory while the run went
    assert kept < 32, f"{kept:.0f} MB kept after the job ended"
