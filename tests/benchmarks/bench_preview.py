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
    for open_editor in window.editors():
        open_editor.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main()
