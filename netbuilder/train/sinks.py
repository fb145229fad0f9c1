"""Where training events go: one small interface shared by every consumer of a run.

The loop yields events (:mod:`netbuilder.train.events`); each consumer is an
:class:`EventSink`: the command line's progress bar and JSON-lines log, the TensorBoard writer,
the run history (:class:`RunStoreSink`) and the app's live record. Each reads what it needs
from the events themselves (a Metrics event carries every step's losses, an EpochEnd its step),
so none re-derives the run's position from another.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from netbuilder.train.events import (
    EpochEnd,
    Event,
    Failed,
    Finished,
    Metrics,
    Samples,
    Started,
)
from netbuilder.train.runstore import RunInfo, RunStore

#: How often the run history commits what it has buffered: a killed app loses at most this.
FLUSH_INTERVAL_S = 1.0


class EventSink(Protocol):
    """A consumer of one run's events."""

    def write(self, event: Event) -> None:
        """Takes one event, in the order the loop yielded them."""

    def close(self) -> None:
        """The run is over (or abandoned): write what is buffered, release files."""


class Sinks:
    """Several sinks fed as one, in order."""

    def __init__(self, sinks: Iterable[EventSink | None]) -> None:
        self.sinks = [sink for sink in sinks if sink is not None]

    def write(self, event: Event) -> None:
        for sink in self.sinks:
            sink.write(event)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def step_series(event: Metrics, part_names: Iterable[str]) -> dict[str, Any]:
    """A Metrics event's per-step losses by series name: "loss", then each part."""
    if event.step_losses is None:
        return {}
    names = ["loss", *part_names]
    return {name: event.step_losses[:, column] for column, name in enumerate(names)
            if column < event.step_losses.shape[1]}


class JsonLinesLog:
    """``netbuilder train --log``: one JSON object per line, flushed as it goes.

    A ``metrics`` line carries its steps' losses too (``steps``: the first step number and
    every step's value of each series), so the log holds every step of the run.
    """

    def __init__(self, path: Path) -> None:
        self.stream = open(path, "w", encoding="utf-8")  # noqa: SIM115  (closed in close())
        self.step = 0

    def write(self, event: Event) -> None:
        record: dict[str, Any] | None = None
        if isinstance(event, Metrics):
            self.step = event.step
            series = step_series(event, event.parts)
            record = {"event": "metrics", "epoch": event.epoch, "step": event.step,
                      "loss": _number(event.loss), "val_loss": None, "val_accuracy": None,
                      "samples_per_s": _number(event.samples_per_s), "lr": event.lr,
                      **{name: _number(value) for name, value in event.parts.items()},
                      "steps": {"first": event.first_step,
                                **{name: [_number(v) for v in values.tolist()]
                                   for name, values in series.items()}}}
        elif isinstance(event, EpochEnd):
            self.step = event.step
            record = {"event": "epoch_end", "epoch": event.epoch, "step": event.step,
                      "loss": _number(event.loss), "val_loss": _number(event.val_loss),
                      "val_accuracy": _number(event.val_accuracy),
                      "samples_per_s": _number(event.samples_per_s),
                      **{name: _number(value) for name, value in event.parts.items()}}
        elif isinstance(event, Samples) and event.kind == "text":
            record = {"event": "sample", "epoch": event.epoch, "step": self.step,
                      "label": event.label, "text": event.text}
        elif isinstance(event, Finished):
            metrics = {k: v for k, v in event.metrics.items() if k != "confusion_matrix"}
            record = {"event": "finished", "epoch": metrics.get("epochs_done"),
                      "step": self.step, "loss": _number(metrics.get("loss")),
                      "val_loss": _number(metrics.get("val_loss")),
                      "val_accuracy": _number(metrics.get("val_accuracy")),
                      "samples_per_s": None, "test_loss": _number(event.test_loss),
                      "test_accuracy": _number(event.test_accuracy)}
            if "sample" in metrics:
                record["sample"] = metrics["sample"]
        elif isinstance(event, Failed):
            record = {"event": "failed", "kind": event.kind, "message": event.message,
                      "advice": event.advice}
        if record is not None:
            self.stream.write(json.dumps(record) + "\n")
            self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


#: How a run ended, as the run history records it, by Failed.kind.
FAILED_STATUS = {"diverged": "diverged"}


class RunStoreSink:
    """Writes one run into the run history: every step, every epoch, how it ended.

    Args:
        store: the history.
        info: what the run is (written when it starts).
        clock: seconds, for the flush interval (tests pass their own).
    """

    def __init__(self, store: RunStore, info: RunInfo,
                 clock: Any = time.monotonic) -> None:
        self.store, self.info, self.clock = store, info, clock
        self.run_id: int | None = None
        self.part_names: tuple[str, ...] = ()
        self.samples_seen = 0
        self.best_val_loss: float | None = None
        self.best_val_accuracy: float | None = None
        self.ended = False
        self._last_flush = clock()

    def open(self) -> int:
        """Creates the run's row now (before the first event); returns its id."""
        if self.run_id is None:
            self.run_id = self.store.create_run(self.info)
        return self.run_id

    def write(self, event: Event) -> None:
        if isinstance(event, Started):
            self.store.update_run(self.open(), device=event.device)
            return
        if self.run_id is None:
            self.open()
        assert self.run_id is not None
        run_id = self.run_id
        if isinstance(event, Metrics):
            self.part_names = tuple(event.parts)
            for name, values in step_series(event, event.parts).items():
                self.store.append_steps(run_id, name, event.first_step, values)
            self.samples_seen += event.samples
            self.store.update_run(run_id, samples_seen=self.samples_seen)
        elif isinstance(event, EpochEnd):
            self._best(event)
            self.store.add_epoch(run_id, event.epoch, event.step, event.loss, event.val_loss,
                                 event.val_accuracy, None, event.samples_per_s, event.parts)
            self.store.update_run(run_id, final_loss=event.loss,
                                  best_val_loss=self.best_val_loss,
                                  best_val_accuracy=self.best_val_accuracy)
        elif isinstance(event, Finished):
            status = "stopped" if event.metrics.get("stopped") else "finished"
            metrics = {**event.metrics, "test_loss": event.test_loss,
                       "test_accuracy": event.test_accuracy}
            self.store.finish_run(run_id, status, metrics=metrics, ended=time.time(),
                                  best_val_loss=self.best_val_loss,
                                  best_val_accuracy=self.best_val_accuracy)
            self.ended = True
            return
        elif isinstance(event, Failed):
            self.store.finish_run(run_id, FAILED_STATUS.get(event.kind, "failed"),
                                  message=f"{event.message}. {event.advice}", ended=time.time())
            self.ended = True
            return
        if self.clock() - self._last_flush >= FLUSH_INTERVAL_S:
            self.store.flush()
            self._last_flush = self.clock()

    def _best(self, event: EpochEnd) -> None:
        if event.val_loss is not None and (self.best_val_loss is None
                                           or event.val_loss < self.best_val_loss):
            self.best_val_loss = event.val_loss
        if event.val_accuracy is not None and (self.best_val_accuracy is None
                                               or event.val_accuracy > self.best_val_accuracy):
            self.best_val_accuracy = event.val_accuracy

    def close(self) -> None:
        """Ends a run that stopped without a last event (the app closed): it was stopped."""
        if self.run_id is not None and not self.ended:
            self.store.finish_run(self.run_id, "stopped", ended=time.time())
            self.ended = True
        self.store.flush()
