"""Block previews while editing: from an edit to the thumbnails on the canvas, offscreen.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_preview [--edits 40] [--endurance-edits 300]

Opens the CNN example (mnist_cnn, on the built-in digits) in the main window, as a user
would, waits for its first thumbnails, then makes ``--edits`` edits through the document's
undo stack (conv1's filter count, and the hidden layer's units, in turn: each changes
thumbnails of several blocks) and times each one from the push to the moment the thumbnails
of that edit are on the blocks (the LivePreview's ``applied`` signal, with the new shapes
checked). The time includes the shape check's debounce (``CHECK_DELAY_MS``), the snapshot,
the preview thread's run and the GUI's poll. Target: within 300 ms on the CPU.

Then ``--endurance-edits`` more edits without pause between them (each replacing the one
before: most previews are superseded) and the process's resident memory before and after:
built blocks and thumbnails are latest-only, so it should stay flat.

Last, the GUI thread's own share on a large graph: a residual MLP of ``--big-nodes`` blocks
(tests/benchmarks/bench_graph_core.py's, 10 wide, on regression_rows), edited at its first
dense block (every thumbnail downstream changes) and at its last; the time spent in the
preview's GUI slots per edit (the snapshot handed to the thread; the thumbnails put on the
blocks) and the edit-to-thumbnails latency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QEventLoop, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from netbuilder.core.commands import SetParams
from netbuilder.resources import example_path
from netbuilder.ui.document import CHECK_DELAY_MS
from netbuilder.ui.main_window import MainWindow


def _spin(seconds: float, until: Callable[[], bool]) -> bool:
    """Runs the event loop until ``until()`` or ``seconds`` pass; whether it came true."""
    loop = QEventLoop()
    end = time.perf_counter() + seconds

    def check() -> None:
        if until() or time.perf_counter() >= end:
            loop.quit()

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(check)
    timer.start()
    if not until():
        loop.exec()
    timer.stop()
    return until()


def _rss_mb() -> float:
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=40)
    parser.add_argument("--endurance-edits", type=int, default=300)
    parser.add_argument("--big-nodes", type=int, default=1000)
    parser.add_argument("--big-edits", type=int, default=10)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    QStandardPaths.setTestModeEnabled(True)
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    window.open_file(example_path("mnist_cnn"), as_copy=True)
    editor = window.current_editor
    assert editor is not None
    previews = window.previews
    applied: list[tuple[int, float]] = []
    previews.applied.connect(lambda generation: applied.append((generation,
                                                                time.perf_counter())))
    graph = editor.doc.graph("model")
    ids = {node.name: node.id for node in graph.nodes.values()}
    items = editor.scene("model").node_items

    def shown(name: str) -> tuple[int, ...] | None:
        badge = items[ids[name]].thumbnail
        return None if badge is None or badge.thumbnail is None else badge.thumbnail.shape

    started = time.perf_counter()
    assert _spin(60, lambda: shown("conv1") is not None), "no first thumbnails"
    print(f"first thumbnails (data set loaded): {1000 * (time.perf_counter() - started):.0f} ms")

    latencies = []
    for index in range(args.edits):
        if index % 2 == 0:
            filters = 31 if index % 4 == 0 else 32
            name, values, expect = "conv1", {"filters": filters}, (filters, 26, 26)
        else:
            units = 127 if index % 4 == 1 else 128
            name, values, expect = "hidden", {"units": units}, (units,)
        _spin(0.05, lambda: False)  # the edits of a person, not a script
        applied.clear()
        start = time.perf_counter()
        editor.push(SetParams("model", ids[name], values))
        ok = _spin(10, lambda n=name, e=expect: bool(applied) and shown(n) == e)
        assert ok, f"edit {index}: thumbnails never showed {expect}"
        latencies.append(1000 * (applied[-1][1] - start))
    values = np.asarray(latencies)
    print(f"edit -> thumbnails set, {args.edits} edits of mnist_cnn "
          f"(includes the {CHECK_DELAY_MS} ms shape-check debounce): "
          f"median {statistics.median(latencies):.0f} ms, p95 {np.percentile(values, 95):.0f} ms,"
          f" max {values.max():.0f} ms (target: within 300 ms)")

    before = _rss_mb()
    for index in range(args.endurance_edits):
        editor.push(SetParams("model", ids["hidden"], {"units": 64 + index % 64}))
        editor.check_now()
        app.processEvents()
    final = 64 + (args.endurance_edits - 1) % 64
    _spin(30, lambda: shown("hidden") == (final,) and not previews.worker.busy)
    for _ in range(3):  # a few more rounds of edits after the settle, to see a trend
        for index in range(50):
            editor.push(SetParams("model", ids["hidden"], {"units": 64 + index}))
            editor.check_now()
            app.processEvents()
        _spin(30, lambda: shown("hidden") == (113,) and not previews.worker.busy)
    after = _rss_mb()
    print(f"memory over {args.endurance_edits + 150} rapid edits: {before:.0f} MB -> "
          f"{after:.0f} MB ({after - before:+.1f} MB); previews run to the end: "
          f"{previews.worker.runs}")
    bench_big_graph(window, args.big_nodes, args.big_edits)
    for open_editor in window.editors():
        open_editor.undo_stack.setClean()
    window.close()


def bench_big_graph(window: MainWindow, nodes: int, edits: int) -> None:
    from netbuilder.ui import live_preview
    from tests.benchmarks.bench_graph_core import residual_mlp

    previews = window.previews
    spent: dict[str, list[float]] = {"snapshot": [], "show": []}

    def timed(function: Callable[..., object], bucket: list[float]) -> Callable[..., object]:
        def run(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                bucket.append(1000 * (time.perf_counter() - start))
        return run

    # The GUI thread's two costs: the snapshot in refresh(), the thumbnails in _collect().
    live_preview.snapshot = timed(  # type: ignore[assignment]
        live_preview.snapshot, spent["snapshot"])
    previews._show = timed(previews._show, spent["show"])  # type: ignore[method-assign]
    doc = residual_mlp(nodes, width=10)
    doc.training.update({"recipe": "regression", "dataset": "regression_rows"})
    editor = window.add_document(doc, title="big")
    applied: list[float] = []
    previews.applied.connect(lambda _generation: applied.append(time.perf_counter()))
    items = editor.scene("model").node_items
    dense = [n.id for n in editor.doc.graph("model").nodes.values() if n.type == "dense"]
    assert _spin(120, lambda: items[dense[-1]].thumbnail is not None), "no thumbnails"
    shown = sum(1 for item in items.values() if item.thumbnail is not None)
    for where, node in (("first dense", dense[0]), ("last dense", dense[-1])):
        for bucket in spent.values():
            bucket.clear()
        latencies = []
        for index in range(edits):
            _spin(0.05, lambda: False)
            applied.clear()
            start = time.perf_counter()
            editor.push(SetParams("model", node, {"activation": "relu" if index % 2 == 0
                                                  else "linear"}))
            assert _spin(30, lambda: bool(applied) and not previews.worker.busy)
            latencies.append(1000 * (applied[-1] - start))
        print(f"{nodes}-block graph, {shown} thumbnails, edits of the {where}: edit -> "
              f"thumbnails median {statistics.median(latencies):.0f} ms; GUI thread per edit: "
              f"snapshot {statistics.median(spent['snapshot']):.1f} ms, thumbnails set "
              f"{statistics.median(spent['show']):.1f} ms")
    editor.undo_stack.setClean()


if __name__ == "__main__":
    main()
