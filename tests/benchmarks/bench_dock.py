"""Training from the dock: responsiveness, throughput, latency, control and memory, offscreen.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_dock [--runs 5] [--epochs 30] [--endurance-minutes 2]
                                          [--points 10000000] [--only curves,train,probes,...]
                                          [--device cpu|cuda]

Parts (targets from the issue "Train in the app"):

* ``curves``: one redraw of the loss curve holding N steps (default 10 million): the
  decimated envelope, the smoothed curve, ``setData`` and a real repaint; median < 8 ms and
  p95 < 16 ms.
* ``train``: mnist_cnn on the digits set, trained from the dock with every plot open and
  headless (the same engine, no Qt), interleaved ``--runs`` times: throughput ratio (target
  >= 0.95); while the dock trains (from its first step on), the lateness of a 1 ms QTimer (the
  GUI event loop's stalls: p99 < 20 ms, max < 50 ms), and apart from those the longest between
  Start and the first step and after the last one; the time from a report leaving the engine
  to its values being drawn, plus the report interval (a step's worst-case latency: p95 <
  150 ms).
* ``probes``: mnist_cnn trained from the dock with the activation viewer open on conv1 (its
  feature maps and the histograms of its activations, weights and gradients, a probe every
  0.4 s), against headless and against the dock with the viewer hidden, interleaved
  ``--runs`` times: throughput ratio (target >= 0.95), pictures drawn per second (target
  >= 2), and the GUI's stalls with the viewer open (in a third run: the 1 ms timer that
  measures them costs throughput).
* ``contention``: headless training with a thread beside it that takes 50 ms of CPU a
  second (about the GUI thread's cost, tests/benchmarks/bench_gui_cost.py), in 20 bursts, no
  Qt: hashing in the cache, copying 8 MB arrays, or Python passing the GIL back and forth;
  which kind of work costs the training what the dock loses.
* ``control``: how long Pause and Stop take to act (the engine checks once per step; < 100 ms).
* ``views_endurance``: mnist_cnn for ``--endurance-minutes`` with every view open (curves,
  activation viewer with histograms, block previews): the memory every five minutes.
* ``endurance``: the process's memory over a long run of the fast regression MLP (every step
  kept: 8 bytes a point allowed, target < 50 MB beyond that), then 20 short runs in a row
  (target < 20 MB leaked).
"""

# ruff: noqa: E402 (the allocator is set up before numpy and Qt are imported)
from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from netbuilder.train.host_memory import share_main_arena

# As the app does (netbuilder/cli.py), before numpy or Qt start threads: the dock trains on a
# worker thread.
share_main_arena()

import numpy as np
from PySide6.QtCore import QCoreApplication, QEventLoop, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.events import Event, Failed, Finished, Metrics, Started
from netbuilder.train.job import APP_REPORT_INTERVAL_S
from netbuilder.train.loop import train
from netbuilder.train.record import RunRecord
from netbuilder.train.settings import TrainingSettings


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _spin(app: QApplication, seconds: float, until: Callable[[], bool] | None = None,
          poll_ms: int = 20) -> None:
    """Runs the Qt event loop (as the app does: idle in C++, GIL released) for ``seconds``
    or until ``until()`` holds, looked at every ``poll_ms``; a polling Python loop would
    compete with the worker. Without ``until`` nothing polls: one timer ends the wait.

    While a measured run trains, poll slowly (``MEASURED_POLL_MS``): every wake-up of the GUI
    thread preempts one of torch's threads on two cores, and the app itself has no such timer
    (a 1 ms timer costs a run 5-10%; the old 20 ms poll, 50 wake-ups a second, was
    charged to the dock).
    """
    loop = QEventLoop()
    end = time.perf_counter() + seconds

    def check() -> None:
        if time.perf_counter() >= end or (until is not None and until()):
            loop.quit()

    timer = QTimer()
    if until is None:  # the time is up when the timer fires (a coarse timer may be early)
        timer.setSingleShot(True)
        timer.setInterval(max(0, round(seconds * 1000)))
        timer.timeout.connect(loop.quit)
    else:
        timer.setInterval(poll_ms)
        timer.timeout.connect(check)
    timer.start()
    check()
    if time.perf_counter() < end and not (until is not None and until()):
        loop.exec()
    timer.stop()


#: How often a wait during a measured run looks whether the run has ended.
MEASURED_POLL_MS = 250


def _rss_mb() -> float:
    """Resident memory now (Linux: from /proc), in MB."""
    try:
        with open("/proc/self/statm") as stream:
            pages = int(stream.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----- curves -----------------------------------------------------------------------------------
def bench_curves(app: QApplication, points: int) -> None:
    from netbuilder.ui.training.curves import CurvesView

    record = RunRecord("bench")
    record.write(Started(10, points // 10, "cpu", "eager"))
    rng = np.random.default_rng(0)
    batch = 100_000
    made = time.perf_counter()
    for start in range(0, points, batch):
        count = min(batch, points - start)
        values = (np.exp(-np.arange(start, start + count) / points * 5) +
                  rng.random(count) * 0.1).astype(np.float32).reshape(-1, 1)
        record.write(Metrics(1, start + count, float(values.mean()), 1.0, 0.001,
                             step_losses=values, samples=count))
    made = time.perf_counter() - made
    view = CurvesView()
    view.resize(900, 260)
    view.show()
    view.show_record(record)
    _spin(app, 0.3)
    view.refresh()  # the smoothed copy for the default weight is made once
    record.write(Started(10, points // 10 + 100_000, "cpu", "eager"))  # room for new steps
    streaming, zoomed = [], []
    box = view.loss_plot.getViewBox()
    for index in range(240):
        zoom = index % 4 == 1
        if zoom:  # a redraw after a user zoom: new ranges, so the axes are drawn anew too
            box.setXRange(points * 0.2, points * 0.2 + points / (10 + index), padding=0)
        elif index % 4 == 2:
            view.fit()
        started = time.perf_counter()
        if not zoom:  # a report's worth of new steps, as a live run brings
            step = record.step
            fresh = (0.01 + rng.random(1000) * 0.1).astype(np.float32).reshape(-1, 1)
            record.write(Metrics(1, step + 1000, 0.05, 1.0, 0.001, step_losses=fresh,
                                 samples=1000))
        view.refresh()
        view.plots.viewport().repaint()
        (zoomed if zoom else streaming).append((time.perf_counter() - started) * 1000)
    streaming, zoomed = streaming[5:], zoomed[2:]
    print(f"curves: {points:,} steps (made in {made:.1f} s): redraw while streaming median "
          f"{statistics.median(streaming):.2f} ms, p95 {_percentile(streaming, 95):.2f} ms "
          f"(targets < 8 / < 16 ms); after a zoom median {statistics.median(zoomed):.2f} ms, "
          f"p95 {_percentile(zoomed, 95):.2f} ms")
    view.close()


# ----- training ----------------------------------------------------------------------------------
#: MNIST-shaped random data, large enough that an epoch (128 steps) outweighs its end.
SAMPLES = 16_384
_DATA: dict[str, str] = {}
#: Where mnist_cnn trains, headless and from the dock (``--device``): the CPU by default.
_DEVICE = {"name": "cpu"}


def _data_file() -> str:
    if "path" not in _DATA:
        import tempfile

        folder = tempfile.mkdtemp(prefix="netbuilder-bench-")
        rng = np.random.default_rng(0)
        path = os.path.join(folder, "digits_like.npz")
        np.savez(path, x=rng.random((SAMPLES, 1, 28, 28), dtype=np.float32),
                 y=rng.integers(0, 10, SAMPLES))
        _DATA["path"] = path
    return _DATA["path"]


def _mnist(epochs: int) -> tuple[netbuilder.Document, TrainingSettings]:
    doc = netbuilder.load(example_path("mnist_cnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(epochs=epochs,
                                                           device=_DEVICE["name"],
                                                           dataset=_data_file())
    doc.training.update(settings.to_dict())
    return doc, settings


def headless_rate(epochs: int, load: tuple[str, float] | None = None) -> float:
    """Samples/s of ``netbuilder train``'s engine with no GUI, in a process of its own.

    Not in this process: once a thread has run torch's OpenMP kernels, training on another
    thread of the same process runs about a third slower (measured: 5,500 -> 3,600 samples/s
    on this 2-core machine), and the app's GUI thread never runs a torch operation.
    """
    import subprocess

    code = ("import sys; from tests.benchmarks.bench_dock import _run_headless; "
            f"print(_run_headless({epochs}, {_data_file()!r}, {_DEVICE['name']!r}, "
            f"{load!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=os.path.dirname(os.path.dirname(os.path.dirname(
                              os.path.abspath(__file__)))))
    return float(done.stdout.strip().splitlines()[-1])


def _run_headless(epochs: int, data: str, device: str = "cpu",
                  load: tuple[str, float] | None = None) -> float:
    """The headless measurement itself (run by :func:`headless_rate` in a subprocess).

    ``load``: a thread beside the training meanwhile, (kind, CPU milliseconds a second); see
    :func:`bench_contention`.
    """
    _DATA["path"] = data
    _DEVICE["name"] = device
    _headless(1)  # warm-up: torch's first convolutions are slow
    if load is None:
        return _headless(epochs)
    with _cpu_load(*load):
        return _headless(epochs)


#: The kinds of load :func:`bench_contention` puts beside the training: what each burst does.
LOAD_KINDS = ("compute", "memory", "interpreter")


@contextmanager
def _cpu_load(kind: str, ms_per_s: float) -> Iterator[None]:
    """A thread taking ``ms_per_s`` of CPU each second, in 20 bursts (the dock's drain rate).

    Kinds: ``compute`` hashes a block that stays in the cache, without the GIL (the cores
    alone); ``memory`` copies 8 MB arrays, without the GIL (the cores and the caches and
    memory bandwidth, as painting into a window's buffers does); ``interpreter`` runs short
    Python between calls that let go of the GIL (the GIL passed back and forth thousands of
    times a second, as the GUI thread's Qt callbacks do).
    """
    stop = threading.Event()
    burst = ms_per_s / 20 / 1000
    block = bytes(1 << 16) if kind == "compute" else bytes(4096)
    source = np.ones(2 << 20 if kind == "memory" else 1, dtype=np.float32)
    target = np.empty_like(source)

    def one_burst(end: float) -> None:
        while time.thread_time() < end:
            if kind == "memory":
                np.copyto(target, source)
            elif kind == "interpreter":
                for _ in range(20):
                    pass
                hashlib.sha256(block).digest()  # over 2 KB: hashed without the GIL
            else:
                hashlib.sha256(block).digest()

    def work() -> None:
        due = time.perf_counter()
        while True:
            due += 0.05
            if stop.wait(max(0.0, due - time.perf_counter())):
                return
            one_burst(time.thread_time() + burst)

    thread = threading.Thread(target=work, name="cpu-load", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _headless(epochs: int) -> float:
    import tempfile

    doc, settings = _mnist(epochs)
    dataset = load_dataset(settings.dataset, input_shape=(1, 28, 28))
    samples, began, last = 0, 0.0, 0.0
    checkpoint = os.path.join(tempfile.mkdtemp(), "run.ckpt")
    for event in train(doc, dataset, settings, report_interval=0.1, checkpoint=checkpoint):
        if isinstance(event, Started):
            began = time.perf_counter()
        elif isinstance(event, Metrics):
            samples += event.samples
            last = time.perf_counter()
    # From the first step to the last: both measures leave out loading and the final test.
    return samples / (last - began)


class _Stalls:
    """The lateness of a 1 ms timer: how long the GUI thread could not run its events."""

    def __init__(self) -> None:
        #: Lateness while the run steps (from its first report on the GUI thread).
        self.gaps: list[float] = []
        #: Lateness between Start and the first report: the app's reaction to Start (its
        #: panels switch to the run) while the worker builds the model and loads the data.
        self.start_gaps: list[float] = []
        #: Lateness from the run's last event on: the app takes the run in (its history row,
        #: weights, final views).
        self.end_gaps: list[float] = []
        self._phase = "start"
        #: The longest stalls of all runs: (ms, seconds into the run, runs so far).
        self.worst: list[tuple[float, float, int]] = []
        self._last = self._began = time.perf_counter()
        self._runs = 0
        self.timer = QTimer()
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000 - 1.0
        {"start": self.start_gaps, "training": self.gaps, "end": self.end_gaps}[
            self._phase].append(gap)
        if gap > 20 and self._phase == "training":
            self.worst.append((gap, self._last - self._began, self._runs))
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.start_gaps.clear()
        self.end_gaps.clear()
        self._phase = "start"
        self._runs += 1
        self._last = self._began = time.perf_counter()
        self.timer.start()

    def training(self) -> None:
        """The run's first report reached the GUI: from now on it trains at full speed."""
        if self._phase == "start":
            self._phase = "training"
            self._began = time.perf_counter()

    def ended(self) -> None:
        """The run's last event reached the GUI."""
        self._phase = "end"

    def describe_worst(self) -> str:
        """The longest stalls: how long, when in which run (to find their cause)."""
        worst = sorted(self.worst, reverse=True)[:5]
        return ", ".join(f"{ms:.0f} ms at {at:.1f} s of run {run}" for ms, at, run in worst)

    def stop(self) -> None:
        self.timer.stop()


QUEUED: list[float] = []


def dock_rate(app: QApplication, window: Any, epochs: int, stalls: _Stalls | None,
              latencies: list[float], prepare: Callable[[Any], None] | None = None) -> float:
    """Samples/s of a run from the dock, every plot open; fills stalls and latencies.

    ``prepare(window)`` runs once the document is open, before Start (opens a view).
    """
    from netbuilder.ui.training import runner as runner_module
    from netbuilder.ui.training.session import State

    doc, _settings = _mnist(epochs)
    for editor in window.editors():
        editor.undo_stack.setClean()
        window.remove_document(editor)
    window.add_document(doc, title="mnist_cnn")
    dock = window.training
    _spin(app, 5.0, lambda: dock.start_button.isEnabled() and dock._preview_key is None)
    if prepare is not None:
        prepare(window)
    # The document's first paint, its block previews and the view just opened settle before
    # Start, as they do before a person's click; measured from the click on, they made a
    # stall of 50-70 ms that belongs to opening the document.
    _spin(app, 0.5)
    sent: dict[int, float] = {}
    span = {"samples": 0, "first": 0.0, "last": 0.0}
    original_work = runner_module.TrainingRunner._work

    def timed_work(self: Any, job: Any, control: TrainingControl) -> None:
        from netbuilder.train.job import run_job

        def emit(item: Any) -> None:
            now = time.perf_counter()
            if isinstance(item, Started):
                span["first"] = now
            elif isinstance(item, Metrics):
                sent[id(item)] = now
                span["samples"] += item.samples
                span["last"] = now
            self._queue.put(item)

        run_job(job, control, emit)

    runner_module.TrainingRunner._work = timed_work  # type: ignore[method-assign]
    session = dock.session
    drawn: list[float] = []
    pending: list[float] = []
    queued = QUEUED
    original_refresh = dock.curves.refresh

    def on_events(events: list[Event]) -> None:
        now = time.perf_counter()
        for event in events:
            if stalls is not None and isinstance(event, Metrics):
                stalls.training()
            elif stalls is not None and isinstance(event, Finished | Failed):
                stalls.ended()
            if id(event) in sent:
                at = sent.pop(id(event))
                queued.append((now - at) * 1000)
                pending.append(at)

    def timed_refresh() -> None:
        original_refresh()
        now = time.perf_counter()  # the values are in the plot now (painted this tick)
        drawn.extend((now - at) * 1000 for at in pending)
        pending.clear()

    dock.curves.refresh = timed_refresh  # type: ignore[method-assign]

    try:
        assert dock.start()
        # Ahead of the session's own slot, which draws: the reports are then pending when
        # the refresh comes.
        session.runner.events_ready.disconnect(session._events)
        session.runner.events_ready.connect(on_events)
        session.runner.events_ready.connect(session._events)
        if stalls is not None:
            stalls.start()
        _spin(app, 600, lambda: session.state is State.IDLE, MEASURED_POLL_MS)
        if stalls is not None:
            stalls.stop()
    finally:
        runner_module.TrainingRunner._work = original_work  # type: ignore[method-assign]
        dock.curves.refresh = original_refresh  # type: ignore[method-assign]
    record = session.record
    assert record is not None and record.outcome is not None, "the run did not end"
    # A step waits at most one report interval in the engine before its report leaves.
    latencies += [value + APP_REPORT_INTERVAL_S * 1000 for value in drawn]
    return span["samples"] / max(span["last"] - span["first"], 1e-9)


def _app_window(app: QApplication, dock_shown: bool = True) -> Any:
    """The main window at 1366x768, set up as ``netbuilder.ui.app.main`` sets it up.

    Garbage collection too: what lives as long as the app is frozen (torch's first-step
    imports too, once the app's warm-up has made them) and collections run on
    the GUI thread (left automatic, a full collection of torch's and Qt's objects would run
    in whichever thread allocates, the training thread included).
    """
    from netbuilder.ui.app import settle_garbage_collection, warm_up_training
    from netbuilder.ui.main_window import MainWindow

    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    if dock_shown:
        window.training_dock.show()
        window.training_dock.raise_()
    if not _COLLECTOR:
        _COLLECTOR.append(settle_garbage_collection(app))
        warm_up = warm_up_training(app)
        _spin(app, 60, lambda: not warm_up.running)
    return window


_COLLECTOR: list[Any] = []


def bench_train(app: QApplication, runs: int, epochs: int) -> None:
    window = _app_window(app)
    stalls = _Stalls()
    headless, docked, probed, latencies, gaps, start_gaps, end_gaps = [], [], [], [], [], [], []
    for _ in range(runs):
        headless.append(headless_rate(epochs))
        docked.append(dock_rate(app, window, epochs, None, latencies))
        probed.append(dock_rate(app, window, epochs, stalls, latencies))
        gaps += stalls.gaps
        start_gaps += stalls.start_gaps
        end_gaps += stalls.end_gaps
        gc.collect()
    ratio = statistics.median(docked) / statistics.median(headless)
    print(f"train (mnist_cnn on {_DEVICE['name']}, {SAMPLES:,} samples, {epochs} epochs, "
          f"median of {runs}): headless "
          f"{statistics.median(headless):,.0f} samples/s, dock {statistics.median(docked):,.0f}"
          f" samples/s, ratio {ratio:.3f} (target >= 0.95); with the 1 ms stall probe on "
          f"{statistics.median(probed) / statistics.median(headless):.3f}")
    print(f"  each run: headless {[round(v) for v in headless]}, "
          f"dock {[round(v) for v in docked]}, "
          f"dock with the probe {[round(v) for v in probed]}")
    print(f"  GUI stalls (1 ms timer lateness): p50 {_percentile(gaps, 50):.1f} ms, p99 "
          f"{_percentile(gaps, 99):.1f} ms, max {max(gaps):.1f} ms (targets p99 < 20, max < 50)")
    print(f"  the longest: {stalls.describe_worst() or 'none over 20 ms'}")
    print(f"  from Start to the first step (the panels switch; the worker builds the model and "
          f"loads the data): max {max(start_gaps):.1f} ms; after the last step (the history "
          f"row, the weights, the final views): max {max(end_gaps, default=0):.1f} ms")
    print(f"  report to GUI thread: p50 {_percentile(QUEUED, 50):.0f} ms, p95 "
          f"{_percentile(QUEUED, 95):.0f} ms")
    print(f"  step to screen: p50 {_percentile(latencies, 50):.0f} ms, p95 "
          f"{_percentile(latencies, 95):.0f} ms (target p95 < 150 ms)")
    for editor in window.editors():
        editor.undo_stack.setClean()
    window.close()


#: The load :func:`bench_contention` puts beside the training, in CPU milliseconds a second:
#: about what the dock's GUI thread takes while mnist_cnn streams (bench_gui_cost.py).
LOAD_MS = 50.0


def bench_contention(runs: int, epochs: int) -> None:
    """What a thread's load beside the training costs it, with no Qt at all.

    The dock's GUI thread takes about 50 CPU milliseconds a second while mnist_cnn streams
    (tests/benchmarks/bench_gui_cost.py); torch's threads take every core. This puts a load of
    that size beside headless training, in 20 bursts a second like the dock's, of each kind
    in :data:`LOAD_KINDS`, interleaved ``runs`` times: which kind of work costs the training
    what the dock loses.
    """
    loads: list[tuple[str, float] | None] = [None, *((kind, LOAD_MS) for kind in LOAD_KINDS)]
    rates: dict[str, list[float]] = {_load_name(load): [] for load in loads}
    for _ in range(runs):
        for load in loads:
            rates[_load_name(load)].append(headless_rate(epochs, load))
    base = statistics.median(rates["none"])
    print(f"contention (mnist_cnn on {_DEVICE['name']}, {epochs} epochs, median of {runs}): "
          f"headless {base:,.0f} samples/s; with {LOAD_MS:g} ms a second of work beside it: "
          + ", ".join(f"{kind} {statistics.median(rates[kind]) / base:.3f}"
                      for kind in LOAD_KINDS))
    each = ", ".join(f"{name} {[round(v) for v in measured]}" for name, measured in rates.items())
    print(f"  each run (samples/s): {each}")


def _load_name(load: tuple[str, float] | None) -> str:
    return "none" if load is None else load[0]


# ----- the activation viewer ------------------------------------------------------------------
def _viewer_on_conv1(window: Any) -> None:
    """Selects conv1 on the canvas and shows the Activations tab (as a user's click does)."""
    editor = window.current_editor
    graph = editor.doc.graph(editor.current_graph)
    editor.current_scene.select_nodes([n.id for n in graph.nodes.values() if n.name == "conv1"])
    window.training.views.setCurrentWidget(window.training.activations)


def _viewer_hidden(window: Any) -> None:
    window.training.views.setCurrentWidget(window.training.curves)


def bench_probes(app: QApplication, runs: int, epochs: int) -> None:
    window = _app_window(app)
    viewer = window.training.activations
    drawn: list[float] = []
    original_redraw = viewer.redraw

    def counted_redraw() -> None:
        before = viewer.shown_probe
        original_redraw()
        if viewer.shown_probe is not before:
            drawn.append(time.perf_counter())

    viewer.redraw = counted_redraw  # type: ignore[method-assign]
    stalls = _Stalls()
    headless, hidden, shown, gaps, rates, start_gaps, end_gaps = [], [], [], [], [], [], []
    try:
        for _ in range(runs):
            headless.append(headless_rate(epochs))
            hidden.append(dock_rate(app, window, epochs, None, [], _viewer_hidden))
            drawn.clear()
            shown.append(dock_rate(app, window, epochs, None, [], _viewer_on_conv1))
            if len(drawn) > 1:
                rates.append((len(drawn) - 1) / (drawn[-1] - drawn[0]))
            # The stalls in a run of their own: the 1 ms timer that measures them wakes the
            # GUI a thousand times a second and costs the run about 5% (see ``train``).
            dock_rate(app, window, epochs, stalls, [], _viewer_on_conv1)
            gaps += stalls.gaps
            start_gaps += stalls.start_gaps
            end_gaps += stalls.end_gaps
            print(f"  run {len(shown)}: headless {headless[-1]:,.0f}, viewer hidden "
                  f"{hidden[-1]:,.0f}, viewer shown {shown[-1]:,.0f} samples/s", flush=True)
            gc.collect()
    finally:
        viewer.redraw = original_redraw  # type: ignore[method-assign]
    base = statistics.median(headless)
    print(f"probes (mnist_cnn on {_DEVICE['name']}, {SAMPLES:,} samples, {epochs} epochs, "
          f"median of {runs}): "
          f"headless {base:,.0f} samples/s; dock, viewer hidden "
          f"{statistics.median(hidden):,.0f} ({statistics.median(hidden) / base:.3f}); "
          f"dock, viewer on conv1 with histograms {statistics.median(shown):,.0f} "
          f"({statistics.median(shown) / base:.3f}, target >= 0.95; "
          f"{statistics.median(shown) / statistics.median(hidden):.3f} of the hidden viewer's)")
    print(f"  each run: headless {[round(v) for v in headless]}, hidden "
          f"{[round(v) for v in hidden]}, shown {[round(v) for v in shown]}")
    if rates:
        print(f"  pictures drawn: median {statistics.median(rates):.2f} a second (target >= 2)")
    print(f"  GUI stalls with the viewer open: p50 {_percentile(gaps, 50):.1f} ms, p99 "
          f"{_percentile(gaps, 99):.1f} ms, max {max(gaps):.1f} ms (targets p99 < 20, max < 50)")
    print(f"  the longest: {stalls.describe_worst() or 'none over 20 ms'}")
    print(f"  from Start to the first step: max {max(start_gaps):.1f} ms; after the last step: "
          f"max {max(end_gaps, default=0):.1f} ms")
    for editor in window.editors():
        editor.undo_stack.setClean()
    window.close()


# ----- control ------------------------------------------------------------------------------------
def bench_control() -> None:
    """Time from pause()/stop() to the engine's last step, the run on a worker thread as in
    the app (the engine checks the control before every step)."""
    import queue
    import threading

    doc, settings = _mnist(1000)
    dataset = load_dataset(settings.dataset, input_shape=(1, 28, 28))
    pause_delays, stop_delays = [], []
    for _ in range(5):
        control = TrainingControl()
        arrivals: queue.Queue[tuple[float, Any]] = queue.Queue()

        def work(control: TrainingControl = control,
                 arrivals: queue.Queue[tuple[float, Any]] = arrivals) -> None:
            for event in train(doc, dataset, settings, control, report_interval=0.0):
                arrivals.put((time.perf_counter(), event))
            arrivals.put((time.perf_counter(), None))

        worker = threading.Thread(target=work)
        worker.start()
        steps = 0
        while steps < 30:  # every step reports (report_interval 0)
            _, event = arrivals.get()
            if isinstance(event, Metrics):
                steps += len(event.step_losses)
        asked = time.perf_counter()
        control.pause()
        last = asked
        while True:  # the step under way still reports; then nothing until resumed
            try:
                at, event = arrivals.get(timeout=1.0)
            except queue.Empty:
                break
            if isinstance(event, Metrics):
                last = at
        pause_delays.append((last - asked) * 1000)
        asked = time.perf_counter()
        control.resume()
        control.stop()
        while True:
            at, event = arrivals.get()
            if event is None:
                stop_delays.append((at - asked) * 1000)
                break
        worker.join()
    print(f"control: pause acts after {statistics.median(pause_delays):.0f} ms, stop ends the "
          f"run after {statistics.median(stop_delays):.0f} ms (median of 5, mnist_cnn at batch "
          f"{settings.batch_size}; max {max(pause_delays):.0f} / {max(stop_delays):.0f} ms; "
          "target < 100 ms)")


# ----- memory ---------------------------------------------------------------------------------
def _past_warm_up(app: QApplication, session: Any, minutes: float) -> tuple[float, float, int]:
    """Lets a run started for ``minutes`` through its first minute (a quarter of a short
    run): what any run pays once (torch's thread pools and kernels, the compiled model, the
    data set, the run store) is left out of the growth measured from there on.

    Returns:
        The seconds waited, the memory then (MB) and the loss points recorded by then.
    """
    warm_up = min(60.0, minutes * 60 / 4)
    _spin(app, warm_up)
    gc.collect()
    return warm_up, _rss_mb(), len(session.record.series["loss"])


def _stopped_after(app: QApplication, session: Any,
                   first_points: int) -> tuple[int, float, float]:
    """Stops a run measured since ``first_points`` were recorded.

    Returns:
        The steps recorded since, the memory while it still ran (MB) and the MB the 8 bytes
        a point allowed for them.
    """
    from netbuilder.ui.training.session import State

    points = len(session.record.series["loss"]) - first_points
    during = _rss_mb()
    session.stop()
    _spin(app, 10, lambda: session.state is State.IDLE)
    return points, during, points * 8 / 2**20


def bench_endurance(app: QApplication, minutes: float) -> None:
    from netbuilder.ui.training.session import State

    window = _app_window(app, dock_shown=False)
    doc = netbuilder.load(example_path("regression_mlp"))
    doc.training.update(epochs=10_000_000, device="cpu")
    window.add_document(doc, title="regression_mlp")
    dock = window.training
    _spin(app, 5.0, lambda: dock.start_button.isEnabled() and dock._preview_key is None)
    gc.collect()
    idle = _rss_mb()
    assert dock.start()
    session = dock.session
    warm_up, before, first_points = _past_warm_up(app, session, minutes)
    _spin(app, minutes * 60 - warm_up)
    held = sum(series.nbytes for series in session.record.series.values()) / 2**20
    points, during, allowance = _stopped_after(app, session, first_points)
    print(f"endurance: {minutes:g} min of regression_mlp; starting the run took "
          f"+{before - idle:.1f} MB in its first {warm_up:.0f} s, then {points:,} more steps "
          f"kept: memory +{during - before:.1f} MB, of which {allowance:.1f} MB are the 8 "
          f"bytes a point allowed: +{during - before - allowance:.1f} MB beyond (target < 50 "
          f"MB); the record's arrays hold {held:.1f} MB (raw, pyramid, smoothed, spare capacity)")
    doc.training.update(epochs=3)
    for editor in window.editors():
        editor.undo_stack.setClean()
        window.remove_document(editor)
    sizes = []
    for index in range(21):
        small = netbuilder.load(example_path("regression_mlp"))
        small.training.update(epochs=20, device="cpu")
        window.add_document(small, title=f"run {index}")
        _spin(app, 5.0, lambda: dock.start_button.isEnabled() and dock._preview_key is None)
        assert dock.start()
        _spin(app, 120, lambda: dock.session.state is State.IDLE, MEASURED_POLL_MS)
        for editor in window.editors():
            editor.undo_stack.setClean()
            window.remove_document(editor)
        QCoreApplication.processEvents()
        gc.collect()
        sizes.append(_rss_mb())
    print(f"  20 runs in a row: memory {sizes[0]:.0f} -> {sizes[-1]:.0f} MB "
          f"({sizes[-1] - sizes[0]:+.1f} MB; target < 20 MB)")
    window.close()


def bench_views_endurance(app: QApplication, minutes: float) -> None:
    """mnist_cnn trained for ``minutes`` with every view open: the curves, the activation
    viewer on conv1 with its histograms, the block previews; the memory, every five minutes.
    """

    window = _app_window(app)
    doc, _settings = _mnist(1_000_000)
    window.add_document(doc, title="mnist_cnn")
    dock = window.training
    _spin(app, 5.0, lambda: dock.start_button.isEnabled() and dock._preview_key is None)
    _viewer_on_conv1(window)
    _spin(app, 0.5)
    assert dock.start()
    session = dock.session
    warm_up, before, first_points = _past_warm_up(app, session, minutes)
    began = time.perf_counter()
    marks = []
    while (elapsed := time.perf_counter() - began) < minutes * 60 - warm_up:
        _spin(app, min(300.0, minutes * 60 - warm_up - elapsed))
        marks.append(f"{(time.perf_counter() - began + warm_up) / 60:.0f} min "
                     f"{_rss_mb() - before:+.1f} MB")
    histories = window.training.activations.histories.values()
    rows = max((len(history) for history in histories), default=0)
    points, during, allowance = _stopped_after(app, session, first_points)
    print(f"views endurance: {minutes:g} min of mnist_cnn with the curves, the activation "
          f"viewer on conv1 with histograms and the block previews open; after the first "
          f"{warm_up:.0f} s, {points:,} more steps: memory {during - before:+.1f} MB, "
          f"{during - before - allowance:+.1f} MB beyond 8 bytes a point; along the way: "
          f"{', '.join(marks)}; the longest histogram history holds {rows} rows")
    for editor in window.editors():
        editor.undo_stack.setClean()
    window.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--endurance-minutes", type=float, default=2.0)
    parser.add_argument("--only", default="curves,train,probes,control,endurance")
    parser.add_argument("--device", default="cpu",
                        help="where mnist_cnn trains in the train and probes parts (cpu, cuda)")
    args = parser.parse_args(argv)
    _DEVICE["name"] = args.device
    app = QApplication.instance() or QApplication(sys.argv[:1])
    QStandardPaths.setTestModeEnabled(True)  # the history goes to a throwaway place
    QCoreApplication.setApplicationName(f"netbuilder-bench-{os.getpid()}")
    parts = args.only.split(",")
    if "curves" in parts:
        bench_curves(app, args.points)
    if "train" in parts:
        bench_train(app, args.runs, args.epochs)
    if "probes" in parts:
        bench_probes(app, args.runs, args.epochs)
    if "contention" in parts:
        bench_contention(args.runs, args.epochs)
    if "control" in parts:
        bench_control()
    if "endurance" in parts:
        bench_endurance(app, args.endurance_minutes)
    if "views_endurance" in parts:
        bench_views_endurance(app, args.endurance_minutes)


if __name__ == "__main__":
    main()
