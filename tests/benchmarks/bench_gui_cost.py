"""The GUI thread's cost of a streaming run, in CPU milliseconds per second: replayed, so
the figure does not swing with the machine's load.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_gui_cost [--replays 5] [--epochs 3]

bench_dock's ``train`` part compares the dock's throughput with a headless run's; on a
2-core machine that ratio moves by about 5% from one run to the next, more than most changes
to the GUI's work. This part records the events of one real mnist_cnn run from the dock
(every plot open, block previews on), then replays them into the same dock at their
recorded times from a stand-in worker that trains nothing, and measures the GUI thread's CPU
time per second of the run: with the dock shown, with it hidden, and with the window idle.
On two cores, each millisecond of it cost the run about two: the GUI preempts one of torch's
two threads, and the other waits for it at the end of the operation.
"""

# ruff: noqa: E402 (the allocator is set up before numpy and Qt are imported)
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from netbuilder.train.host_memory import share_main_arena

# As the app does (netbuilder/cli.py), before numpy or Qt start threads.
share_main_arena()

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import QApplication

import netbuilder.train.job as job_module
from tests.benchmarks import bench_dock

#: One recorded event: seconds since the run's start, and what the engine emitted.
Recorded = tuple[float, Any]


@contextlib.contextmanager
def _run_job_as(stand_in: Callable[[Any, Any, Callable[[Any], None]], Any]) -> Iterator[None]:
    """The dock's worker calls ``stand_in`` instead of the engine's run_job meanwhile."""
    real_run_job = job_module.run_job
    job_module.run_job = stand_in  # type: ignore[assignment]
    try:
        yield
    finally:
        job_module.run_job = real_run_job


def record_run(app: QApplication, window: Any, epochs: int) -> list[Recorded]:
    """Trains mnist_cnn from the dock once and returns what its worker emitted, timed."""
    recorded: list[Recorded] = []
    real_run_job = job_module.run_job

    def recording_run_job(job: Any, control: Any, emit: Callable[[Any], None]) -> Any:
        began = time.perf_counter()

        def keep(item: Any) -> None:
            recorded.append((time.perf_counter() - began, item))
            emit(item)

        return real_run_job(job, control, keep)

    with _run_job_as(recording_run_job):
        bench_dock.dock_rate(app, window, epochs, None, [])
    return recorded


def replay_cost(app: QApplication, window: Any, recorded: list[Recorded]) -> float:
    """GUI-thread CPU ms per second while the dock takes ``recorded`` at its own pace."""

    def replaying_run_job(job: Any, control: Any, emit: Callable[[Any], None]) -> Any:
        began = time.perf_counter()
        for at, item in recorded:
            wait = began + at - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            emit(item)
        return recorded[-1][1]

    with _run_job_as(replaying_run_job):
        cpu, wall = time.thread_time(), time.perf_counter()
        bench_dock.dock_rate(app, window, 1, None, [])
        return 1000 * (time.thread_time() - cpu) / (time.perf_counter() - wall)


def idle_cost(app: QApplication, seconds: float = 5.0) -> float:
    """GUI-thread CPU ms per second of the open window with nothing running."""
    cpu, wall = time.thread_time(), time.perf_counter()
    bench_dock._spin(app, seconds)
    return 1000 * (time.thread_time() - cpu) / (time.perf_counter() - wall)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replays", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QStandardPaths.setTestModeEnabled(True)  # the history goes to a throwaway place
    QCoreApplication.setApplicationName(f"netbuilder-bench-{os.getpid()}")
    window = bench_dock._app_window(app)
    bench_dock.dock_rate(app, window, 1, None, [])  # warm-up: torch's first steps are slow
    recorded = record_run(app, window, args.epochs)
    steps = sum(getattr(item, "samples", 0) for _at, item in recorded) // 128
    shown = [replay_cost(app, window, recorded) for _ in range(args.replays)]
    window.training_dock.hide()
    hidden = [replay_cost(app, window, recorded) for _ in range(args.replays)]
    idle = idle_cost(app)
    print(f"GUI thread while mnist_cnn streams (a recorded run of {recorded[-1][0]:.1f} s, "
          f"{steps:,} steps, replayed {args.replays} times; median, CPU ms per second):")
    print(f"  dock shown {statistics.median(shown):.1f} {[round(v, 1) for v in shown]}, "
          f"dock hidden {statistics.median(hidden):.1f} {[round(v, 1) for v in hidden]}, "
          f"idle window {idle:.1f}")
    for editor in window.editors():
        editor.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
