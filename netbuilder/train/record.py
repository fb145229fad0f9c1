"""The live record of one run: everything the training dock draws, kept from the events.

:class:`RunRecord` is an event sink (:mod:`netbuilder.train.sinks`). It holds every step's
losses in :class:`~netbuilder.train.series.StepSeries` (appended in numpy batches, one per
report), the per-epoch figures, the learning rate where it changed, the latest probe and the
latest samples of each kind (older ones are dropped: memory stays flat), the progress, and how
the run ended. It is plain Python and numpy: the app's worker thread never touches it, the GUI
thread feeds it the events it drains, and a run reopened from the history becomes one too.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from netbuilder.train.events import (
    EpochEnd,
    Event,
    Failed,
    Finished,
    Metrics,
    Probe,
    Results,
    Samples,
    Started,
    TextReply,
)
from netbuilder.train.results import ResultsLog
from netbuilder.train.series import StepSeries


class Columns:
    """Parallel numpy columns that grow by appending rows (amortised doubling).

    Arrays, not lists: a long run of short epochs has hundreds of thousands of rows (a float
    in a list costs 32 bytes, here 8), and the plots read them without converting.
    """

    def __init__(self, columns: dict[str, Any]) -> None:
        self._count = 0
        self._data = {name: np.empty(64, dtype) for name, dtype in columns.items()}

    def __len__(self) -> int:
        return self._count

    def append(self, *row: float) -> None:
        if self._count == len(next(iter(self._data.values()))):
            for name, column in self._data.items():
                grown = np.empty(2 * len(column), column.dtype)
                grown[:self._count] = column
                self._data[name] = grown
        for column, value in zip(self._data.values(), row, strict=True):
            column[self._count] = value
        self._count += 1

    def column(self, name: str) -> np.ndarray:
        """A read-only view of the filled part of one column."""
        view = self._data[name][:self._count]
        view.flags.writeable = False
        return view


class EpochFigures(Columns):
    """The figures of the finished epochs; NaN where an epoch had no validation figure."""

    def __init__(self) -> None:
        super().__init__({"epochs": np.int64, "steps": np.int64, "loss": np.float64,
                          "val_loss": np.float64, "val_accuracy": np.float64})

    def add(self, epoch: int, step: int, loss: float, val_loss: float | None,
            val_accuracy: float | None) -> None:
        self.append(epoch, step, loss, math.nan if val_loss is None else val_loss,
                    math.nan if val_accuracy is None else val_accuracy)

    @property
    def epochs(self) -> np.ndarray:
        return self.column("epochs")

    @property
    def steps(self) -> np.ndarray:
        return self.column("steps")

    @property
    def loss(self) -> np.ndarray:
        return self.column("loss")

    @property
    def val_loss(self) -> np.ndarray:
        return self.column("val_loss")

    @property
    def val_accuracy(self) -> np.ndarray:
        return self.column("val_accuracy")


class RunRecord:
    """Everything known about one run so far.

    Args:
        name: what the dock calls the run.
        clock: seconds (monotonic), for elapsed time and ETA; tests pass their own.
    """

    def __init__(self, name: str = "run", clock: Any = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self.series: dict[str, StepSeries] = {"loss": StepSeries()}
        self.epochs = EpochFigures()
        # The learning rate from each step on where it changed (a schedule: every epoch).
        self.lr_changes = Columns({"steps": np.int64, "values": np.float64})
        self.started: Started | None = None
        self.outcome: Finished | Failed | None = None
        self.probe: Probe | None = None
        self.samples: dict[str, Samples] = {}
        #: The results views' data (netbuilder.train.results), and the latest text reply.
        self.results = ResultsLog()
        self.text_reply: TextReply | None = None
        self.step = 0
        self.epoch = 0
        self.samples_seen = 0
        self.samples_per_s = 0.0
        self.lr: float | None = None
        self._start_time: float | None = None
        self._end_time: float | None = None
        self._first_step = 0  # step count before this run's first step (a resumed run's)

    # ----- the sink ----------------------------------------------------------------------------
    def write(self, event: Event) -> None:
        if isinstance(event, Started):
            self.started = event
            self._start_time = self.clock()
        elif isinstance(event, Metrics):
            self._metrics(event)
        elif isinstance(event, EpochEnd):
            self.epochs.add(event.epoch, event.step, event.loss, event.val_loss,
                            event.val_accuracy)
            self.epoch = event.epoch
        elif isinstance(event, Probe):
            self.probe = event  # only the latest is kept
        elif isinstance(event, Samples):
            self.samples[f"{event.kind}:{event.label}"] = event
        elif isinstance(event, Results):
            self.results.write(event)
        elif isinstance(event, TextReply):
            self.text_reply = event
        elif isinstance(event, Finished | Failed):
            self.outcome = event
            self._end_time = self.clock()

    def close(self) -> None:
        if self._end_time is None and self._start_time is not None:
            self._end_time = self.clock()

    def _metrics(self, event: Metrics) -> None:
        rows = event.step_losses
        if rows is not None and len(rows):
            names = ["loss", *event.parts]
            if not len(self.series["loss"]):
                self._first_step = event.first_step - 1
                for name in names:
                    self.series[name] = StepSeries(event.first_step)
            for column, name in enumerate(names[:rows.shape[1]]):
                self.series.setdefault(name, StepSeries(event.first_step)).append(
                    np.ascontiguousarray(rows[:, column], dtype=np.float32))
        if self.lr != event.lr:
            self.lr_changes.append(event.first_step, event.lr)
        self.lr = event.lr
        self.step, self.epoch = event.step, max(self.epoch, event.epoch - 1)
        self.samples_seen += event.samples
        self.samples_per_s = event.samples_per_s

    # ----- what the dock shows -------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.started is not None and self.outcome is None

    @property
    def total_steps(self) -> int:
        """Steps the whole run will take (its resumed part included); 0 before it starts."""
        if self.started is None:
            return 0
        return self.started.total_epochs * self.started.steps_per_epoch

    @property
    def progress(self) -> float:
        """How far the run is, 0 to 1."""
        total = self.total_steps
        return min(1.0, self.step / total) if total else 0.0

    @property
    def elapsed(self) -> float:
        if self._start_time is None:
            return 0.0
        end = self._end_time if self._end_time is not None else self.clock()
        return max(0.0, end - self._start_time)

    @property
    def eta(self) -> float | None:
        """Seconds left at the pace so far; None before there is a pace."""
        done = self.step - self._first_step
        left = self.total_steps - self.step
        if done <= 0 or self._end_time is not None:
            return None
        return self.elapsed / done * max(left, 0)

    def epoch_of(self, step: float) -> int:
        """The (1-based) epoch a step belongs to."""
        if self.started is None or self.started.steps_per_epoch <= 0:
            return 0
        ends = self.epochs.steps
        index = int(np.searchsorted(ends, step, side="left"))
        if index < len(ends):
            return int(self.epochs.epochs[index])
        return math.ceil(step / self.started.steps_per_epoch)

    def has_accuracy(self) -> bool:
        return bool(np.isfinite(self.epochs.val_accuracy).any())

    # ----- export --------------------------------------------------------------------------
    def csv_rows(self) -> Iterator[list[Any]]:
        """Header, then one row per step: its losses, and the epoch figures on the step that
        ended each epoch (so the file holds every step, never a sample of them)."""
        names = list(self.series)
        yield ["step", "epoch", *names, "val_loss", "val_accuracy", "lr"]
        loss = self.series["loss"]
        columns = [self.series[name].values for name in names]
        first = loss.first_step
        epoch_at = {int(step): at for at, step in enumerate(self.epochs.steps.tolist())}
        lr_steps = self.lr_changes.column("steps").tolist()
        lr_values = self.lr_changes.column("values").tolist()
        lr_index = 0
        epoch_index = 0
        ends = self.epochs.steps.tolist()  # plain ints: read once per step below
        epoch_numbers = self.epochs.epochs.tolist()
        for offset in range(len(loss)):
            step = first + offset
            while lr_index + 1 < len(lr_steps) and lr_steps[lr_index + 1] <= step:
                lr_index += 1
            while epoch_index < len(ends) and ends[epoch_index] < step:
                epoch_index += 1
            epoch = (epoch_numbers[epoch_index] if epoch_index < len(ends)
                     else self.epoch_of(step))
            row: list[Any] = [step, epoch]
            row += [_text(column[offset], np.float32) if offset < len(column) else ""
                    for column in columns]
            at = epoch_at.get(step)
            if at is None:
                row += ["", ""]
            else:
                row += [_text(self.epochs.val_loss[at]), _text(self.epochs.val_accuracy[at])]
            row.append(_text(lr_values[lr_index]) if lr_values else "")
            yield row

    def write_csv(self, path: str | os.PathLike[str]) -> int:
        """Writes :meth:`csv_rows` to ``path``; returns the number of steps written."""
        count = 0
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            for row in self.csv_rows():
                writer.writerow(row)
                count += 1
        return count - 1


def _text(value: Any, kind: Any = float) -> str:
    """A number as the fewest digits that read back the same (an empty cell for NaN)."""
    value = float(value)
    if math.isnan(value):
        return ""
    return str(np.float32(value)) if kind is np.float32 else repr(value)
