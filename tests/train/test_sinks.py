"""Event sinks: the JSON-lines log and the run history hold every step of a run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train.data import load_dataset
from netbuilder.train.events import EpochEnd, Metrics
from netbuilder.train.loop import train
from netbuilder.train.runstore import RunInfo, RunStore
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.sinks import JsonLinesLog, RunStoreSink, Sinks
from tests.train.test_loop import SETTINGS, dataset, run

INFO = RunInfo("run", "test.nbg", "hash", "model", "classification", {}, "cpu", 10, 100,
               time.time())


def test_the_log_holds_every_step_with_its_number(tmp_path: Path) -> None:
    log = JsonLinesLog(tmp_path / "log.jsonl")
    events = run(SETTINGS.with_changes(batch_size=4, epochs=2), report_interval=0.0)
    for event in events:
        log.write(event)
    log.close()
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    steps = [r["steps"] for r in records if r["event"] == "metrics"]
    numbers = [s["first"] + k for s in steps for k in range(len(s["loss"]))]
    assert numbers == list(range(1, events[0].steps_per_epoch * 2 + 1))
    ends = [r for r in records if r["event"] == "epoch_end"]
    assert [e["step"] for e in ends] == [events[0].steps_per_epoch, numbers[-1]]


def _train_into_store(store: RunStore, settings: TrainingSettings, doc=None, data=None) -> int:
    sink = RunStoreSink(store, INFO)
    sinks = Sinks([sink])
    for event in train(doc or _doc(), data or dataset(), settings):
        sinks.write(event)
    sinks.close()
    assert sink.run_id is not None
    return sink.run_id


def _doc():
    from tests.helpers import classifier_with_loss

    return classifier_with_loss()


def test_the_run_history_gets_every_step_every_epoch_and_the_end(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    events = run(SETTINGS)
    run_id = _train_into_store(store, SETTINGS)
    store.close()
    store = RunStore(tmp_path / "runs.sqlite")
    row = store.run(run_id)
    assert row.status == "finished" and row.device == "cpu"
    first, values = store.steps(run_id)
    reported = np.concatenate([e.step_losses[:, 0] for e in events if isinstance(e, Metrics)])
    assert first == 1 and np.array_equal(values, reported)  # the same seed: the same steps
    assert row.samples_seen == 72 * 3
    epochs = store.epochs(run_id)
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert row.best_val_accuracy == max(e.val_accuracy for e in ends)
    assert row.metrics["test_accuracy"] is not None


def test_a_diverged_run_and_an_abandoned_one_are_recorded_as_such(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite")
    doc = netbuilder.load(example_path("char_rnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(lr=0.5, epochs=40)
    diverged = _train_into_store(store, settings, doc, load_dataset("hello_world",
                                                                    input_shape=(10, 8)))
    assert store.run(diverged).status == "diverged"
    assert "Lower the learning rate" in (store.run(diverged).message or "")
    sink = RunStoreSink(store, INFO)
    for event in train(_doc(), dataset(), SETTINGS):
        sink.write(event)
        if isinstance(event, EpochEnd):
            break  # the app closed mid-run
    sink.close()
    assert sink.run_id is not None and store.run(sink.run_id).status == "stopped"
