"""What the results views cost: the engine's Results events and the views' drawing, offscreen.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_results [--runs 3] [--epochs 3] [--only engine,draw]

Parts:

* ``engine``: mnist_cnn on the digits set, headless, interleaved ``--runs`` times with no
  Results and with Results as the dock asks for them (``RESULTS_INTERVAL_S`` mid-epoch, every
  epoch end): the throughput ratio (target >= 0.98), and how long one Results takes for each
  bundled example's recipe (milliseconds, median of the ones taken).
* ``draw``: each results view drawing a fresh Results of its kind (``show_record``), the
  median and worst of 20 (milliseconds; the views draw at most a few times a second).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.events import EpochEnd, Event, Results
from netbuilder.train.loop import make_run, train
from netbuilder.train.readiness import input_shape
from netbuilder.train.results import RESULTS_INTERVAL_S
from netbuilder.train.settings import TrainingSettings

#: One bundled example of each results kind.
KIND_EXAMPLES = ("mnist_cnn", "regression_mlp", "perceptron", "char_rnn", "gan_mnist",
                 "vae_mnist")


def _setup(name: str, epochs: int) -> tuple[Any, Any, TrainingSettings]:
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=epochs)
    network = settings.recipe_spec.data_network(doc, settings.extra, None)
    dataset = load_dataset(settings.dataset, input_shape=input_shape(doc, network),
                           seed=settings.seed)
    return doc, dataset, settings


def _throughput(name: str, epochs: int, results: bool) -> tuple[float, list[Event]]:
    """Samples per second over the whole run (epoch ends included), and its events."""
    doc, dataset, settings = _setup(name, epochs)
    control = TrainingControl()
    events: list[Event] = []
    started = time.perf_counter()
    for event in train(doc, dataset, settings, control,
                       results_interval=RESULTS_INTERVAL_S if results else None):
        events.append(event)
    elapsed = time.perf_counter() - started
    seen = sum(1 for e in events if isinstance(e, EpochEnd)) * len(dataset.train.x)
    return seen / elapsed, events


def bench_engine(runs: int, epochs: int) -> None:
    plain, shown = [], []
    for _ in range(runs):
        plain.append(_throughput("mnist_cnn", epochs, results=False)[0])
        rate, events = _throughput("mnist_cnn", epochs, results=True)
        shown.append(rate)
    taken = sum(1 for e in events if isinstance(e, Results))
    ratio = statistics.median(shown) / statistics.median(plain)
    print(f"engine  mnist_cnn {epochs} epochs x{runs}: {statistics.median(plain):,.0f} "
          f"samples/s without Results, {statistics.median(shown):,.0f} with ({taken} "
          f"Results a run): ratio {ratio:.3f}")
    for name in KIND_EXAMPLES:
        doc, dataset, settings = _setup(name, 1)
        run = make_run(doc, dataset, settings, None, None)
        run.step(torch.arange(min(settings.batch_size, run.samples)))
        costs = []
        for index in range(5):
            begin = time.perf_counter()
            run.results(1, index, final=False)
            costs.append((time.perf_counter() - begin) * 1000)
        print(f"engine  one Results of {name} ({settings.recipe_spec.results}): "
              f"{statistics.median(costs):.1f} ms")


def bench_draw() -> None:
    from PySide6.QtWidgets import QApplication

    from netbuilder.train.record import RunRecord
    from netbuilder.ui.training.results import VIEWS

    app = QApplication.instance() or QApplication(sys.argv)
    for name in KIND_EXAMPLES:
        events = _events_with_results(name)
        results = [e for e in events if isinstance(e, Results)]
        view = VIEWS[results[0].kind]()
        view.resize(1000, 400)
        view.show()
        record = RunRecord(name)
        costs = []
        for index in range(20):
            record.write(results[index % len(results)])
            begin = time.perf_counter()
            view.show_record(record)
            view.repaint()
            costs.append((time.perf_counter() - begin) * 1000)
            app.processEvents()
        print(f"draw    {results[0].kind:<14} median {statistics.median(costs):5.1f} ms, "
              f"max {max(costs):5.1f} ms")
        view.close()


def _events_with_results(name: str) -> list[Event]:
    """One epoch of the example with every Results the loop may take."""
    doc, dataset, settings = _setup(name, 1)
    return list(train(doc, dataset, settings, results_interval=0.0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--only", default="engine,draw")
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    if "engine" in parts:
        bench_engine(args.runs, args.epochs)
    if "draw" in parts:
        bench_draw()
    return 0


if __name__ == "__main__":
    sys.exit(main())
