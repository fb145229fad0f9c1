"""The live record of one run: everything the training dock draws, kept from the events.

:class:`RunRecord` is an event sink (:mod:`netbuilder.train.sinks`). It holds every step's
losses in :class:`~netbuilder.train.series.StepSeries` (appended in numpy batches, one per
report), the per-epoch figures, the learning rate at each report, the latest probe and the
latest samples of each kind (older ones are dropped: memory stays flat), the progress, and how
the run ended. It is plain Python and numpy: the app's worker thread never touches it, the GUI
thread feeds it the events it drains, and a run reopened from the history becomes one too.
"""

from __future__ import annotations

import csv
import math
import os
import time
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netbuilder.train.events import (
    EpochEnd,
    Event,
    Failed,
    Finished,
    Metrics,
    Probe,
    Samples,
    Started,
)
from netbuilder.train.series import StepSeries


@dataclass
class EpochFigures:
    """The figures of the finished epochs, as parallel lists."""

    epochs: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)  # NaN where there is none
    val_accuracy: list[float] = field(default_factory=list)


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
        self.lr_steps: list[int] = []
        self.lr_values: list[float] = []
        self.started: Started | None = None
        self.outcome: Finished | Failed | None = None
        self.probe: Probe | None = None
        self.samples: dict[str, Samples] = {}
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
            figures = self.epochs
            figures.epochs.append(event.epoch)
            figures.steps.append(event.step)
            figures.loss.append(event.loss)
            figures.val_loss.append(math.nan if event.val_loss is None else event.val_loss)
            figures.val_accuracy.append(math.nan if event.val_accuracy is None
                                        else event.val_accuracy)
            self.epoch = event.epoch
        elif isinstance(event, Probe):
            self.probe = event  # only the latest is kept
        elif isinstance(event, Samples):
            self.samples[f"{event.kind}:{event.label}"] = event
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
            self.lr_steps.append(event.first_step)
            self.lr_values.append(event.lr)
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
        index = bisect_left(ends, step)
        if index < len(ends):
            return self.epochs.epochs[index]
        return math.ceil(step / self.started.steps_per_epoch)

    def has_accuracy(self) -> bool:
        return any(not math.isnan(v) for v in self.epochs.val_accuracy)

    # ----- export --------------------------------------------------------------------------
    def csv_rows(self) -> Iterator[list[Any]]:
        """Header, then one row per step: its losses, and the epoch figures on the step that
        ended each epoch (so the file holds every step, never a sample of them)."""
        names = list(self.series)
        yield ["step", "epoch", *names, "val_loss", "val_accuracy", "lr"]
        loss = self.series["loss"]
        columns = [self.series[name].values for name in names]
        first = loss.first_step
        epoch_at = dict(zip(self.epochs.steps, range(len(self.epochs.steps)), strict=True))
        lr_index = 0
        epoch_index = 0
        ends = self.epochs.steps
        for offset in range(len(loss)):
            step = first + offset
            while lr_index + 1 < len(self.lr_steps) and self.lr_steps[lr_index + 1] <= step:
                lr_index += 1
            while epoch_index < len(ends) and ends[epoch_index] < step:
                epoch_index += 1
            epoch = (self.epochs.epochs[epoch_index] if epoch_index < len(ends)
                     else self.epoch_of(step))
            row: list[Any] = [step, epoch]
            row += [_text(column[offset], np.float32) if offset < len(column) else ""
                    for column in columns]
            at = epoch_at.get(step)
            if at is None:
                row += ["", ""]
            else:
                row += [_text(self.epochs.val_loss[at]), _text(self.epochs.val_accuracy[at])]
            row.append(_text(self.lr_values[lr_index]) if self.lr_values else "")
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
