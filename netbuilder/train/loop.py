"""The training loop: a plain generator of events, with no Qt and no per-step syncs.

The loop owns time (epochs, shuffling, pause and stop, learning-rate changes, reports,
checkpoints); a recipe's run (``netbuilder.train.supervised``, ``netbuilder.train.gan``) owns
the models and the step. The data set is moved to the device once and shuffled there every
epoch (``torch.randperm`` on the device). Losses are summed into a device vector; the loop
reads it back (one sync) about every ``report_interval`` seconds and at epoch ends, never per
step. The last partial batch of an epoch is kept (every sample is seen every epoch) unless the
``drop_last`` setting drops it, which the CUDA-graph path needs for static shapes.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from netbuilder.core.errors import GraphFileError, NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.train import sync
from netbuilder.train.checkpoint import save_checkpoint
from netbuilder.train.control import ProbeRequest, TrainingControl
from netbuilder.train.device import float32_matmuls
from netbuilder.train.events import EpochEnd, Event, Failed, Metrics, Results, Started
from netbuilder.train.failures import (
    DIVERGED_ADVICE,
    OOM_ADVICE,
    TrainingError,
    check_finite,
    describe_failure,
)
from netbuilder.train.host_memory import reused_between_steps
from netbuilder.train.optim import schedule_factor
from netbuilder.train.results import ResultsCadence
from netbuilder.train.run import Run
from netbuilder.train.settings import TrainingSettings

if TYPE_CHECKING:
    from netbuilder.train.data.base import Dataset

__all__ = ["TrainingError", "train"]

#: Steps the divergence check looks back over (across epochs: an epoch may be one step).
RECENT_STEPS = 32
# Seconds between checkpoints: an epoch of a few steps is not worth an fsync each (a tiny
# regression spent a fifth of its time saving). The last epoch is always saved.
CHECKPOINT_INTERVAL_S = 10.0


def train(doc: Document, dataset: Dataset, settings: TrainingSettings | None = None,
          control: TrainingControl | None = None, *, network: str | None = None,
          checkpoint: str | os.PathLike[str] | None = None,
          resume: str | os.PathLike[str] | None = None,
          initial_weights: str | os.PathLike[str] | None = None,
          report_interval: float = 0.1,
          probe_interval: float | None = None,
          checkpoint_interval: float = CHECKPOINT_INTERVAL_S,
          results_interval: float | None = None) -> Iterator[Event]:
    """Trains a network of ``doc`` on ``dataset``, yielding events as it goes.

    Args:
        doc: the document (compiled once here; later edits do not reach this run).
        dataset: a ``netbuilder.train.data.base.Dataset`` (CPU tensors).
        settings: how to train; None reads ``doc.training``. ``settings.recipe`` picks the run:
            classification, regression, perceptron, language_model, vae (one network) or gan
            (the generator and discriminator networks).
        control: stop, pause/resume and learning-rate changes from another thread.
        network: which network to train; None for the document's first (not used by gan).
        checkpoint: a file to save (atomically) at the end of an epoch, at most every
            ``checkpoint_interval`` seconds, and at the end of the run: the last epoch, or
            the last finished one when a stop comes before the next epoch's first step.
        resume: a checkpoint to continue from (its epoch count, weights, optimizer state and
            RNG states), giving the same result as an uninterrupted run on the CPU.
        initial_weights: a weights file (``train --save``, the dock's Save Weights) to start
            from instead of fresh weights; the optimizer starts afresh.
        report_interval: seconds between Metrics events (each costs one device sync).
        probe_interval: seconds between Probe events (every block's outputs and histograms on
            a few fixed samples); None for none. ``control.set_probe`` overrides it (which
            blocks, how often) from then on, mid-run too; while a probe is asked for, the run
            ends with one more, of the final weights.
        checkpoint_interval: the fewest seconds between two checkpoints (0: every epoch).
        results_interval: the fewest seconds between mid-epoch Results events (what the
            recipe's results view shows; also at epoch ends), taken while
            ``control.results_wanted``; None for none (``netbuilder.train.results``).

    Yields:
        Started, then Metrics, EpochEnd, Samples and Probe, then Finished; or Failed, which
        ends the run.
    """
    try:
        if settings is None:
            settings = TrainingSettings.from_doc(doc)
        with float32_matmuls(settings.tf32), reused_between_steps():
            run = make_run(doc, dataset, settings, network, resume, initial_weights)
            saver = _Checkpoints(run, checkpoint, checkpoint_interval)
            yield from _drive(run, control or TrainingControl(), saver, report_interval,
                              probe_interval, results_interval)
    except TrainingError as failure:
        yield Failed(failure.message, failure.advice, failure.kind)
    except torch.cuda.OutOfMemoryError as error:
        torch.cuda.empty_cache()
        yield Failed("out of GPU memory: " + str(error).split("\n")[0], OOM_ADVICE,
                     "out_of_memory")
    except GraphFileError as error:  # the checkpoint to resume from (weights: TrainingError)
        yield Failed(str(error), "Resume from a checkpoint that training of this same graph "
                     "wrote.", "input")
    except NetbuilderError as error:
        yield Failed(str(error), "Fix the blocks or settings named above, then train again.",
                     "input")
    except (RuntimeError, ValueError) as error:
        yield Failed(*describe_failure(error))


def make_run(doc: Document, dataset: Dataset, settings: TrainingSettings,
             network: str | None, resume: str | os.PathLike[str] | None,
             initial_weights: str | os.PathLike[str] | None = None) -> Run:
    """The run of ``settings.recipe``, set up and checked before any step."""
    return settings.recipe_spec.make_run(doc, dataset, settings, network, resume,
                                         initial_weights)


def data_network(doc: Document, settings: TrainingSettings, network: str | None) -> str:
    """The network whose Input the training data must fit (a GAN's discriminator)."""
    return settings.recipe_spec.data_network(doc, settings.extra, network)


def _drive(run: Run, control: TrainingControl, saver: _Checkpoints,
           report_interval: float, probe_interval: float | None,
           results_interval: float | None = None) -> Iterator[Event]:
    settings, device = run.settings, run.device
    recipe = settings.recipe_spec
    steps = run.steps_per_epoch()
    yield Started(settings.epochs, steps, str(device), run.fast_path, run.fallback_reason)
    n, batch = run.samples, settings.batch_size
    reader = _Reader(run, run.start_epoch * steps)
    stopped = False
    epoch_done = run.start_epoch
    last: dict[str, Any] = {}
    last_probe = -math.inf  # the first probe comes after the first step
    default_probe = None if probe_interval is None else ProbeRequest(None, probe_interval)
    served = default_probe.serial if default_probe is not None else -1
    stepped = False
    cadence = ResultsCadence(results_interval) if results_interval is not None else None
    for epoch in range(run.start_epoch, settings.epochs):
        lr = run.base_lr * schedule_factor(settings, epoch)
        run.set_lr(lr)
        run.train_mode()
        reader.new_epoch()
        order = torch.randperm(n, device=device, generator=run.shuffle)
        epoch_start = report_time = time.perf_counter()
        for index in range(steps):
            if control.paused:
                paused_at = time.perf_counter()
                control.wait_while_paused()
                pause = time.perf_counter() - paused_at
                epoch_start += pause
                report_time += pause
                last_probe += pause
                if cadence is not None:
                    cadence.paused(pause)
            if control.stopped:
                stopped = True
                if index == 0:
                    saver.flush()  # nothing has changed since the last epoch ended
                break
            new_lr = control.take_lr()
            if new_lr is not None:
                run.base_lr = new_lr
                lr = new_lr * schedule_factor(settings, epoch)
                run.set_lr(lr)
            rows = order[index * batch:(index + 1) * batch]
            run.step(rows)
            reader.stepped(rows.shape[0])
            now = time.perf_counter()
            if now - report_time >= report_interval or reader.full:
                yield reader.report(epoch + 1, index + 1, lr, now - report_time)
                report_time = now
            stepped = True
            request = control.probe_request(default_probe)
            if request is not None and (now - last_probe >= request.interval
                                        or request.serial != served):
                served = request.serial  # a new request is served at once
                probe = run.probe(epoch + 1, reader.step, request=request)
                last_probe = time.perf_counter()  # spaced from the end of this probe
                if probe is not None:
                    yield probe
            if control.has_text_requests:
                for text_request in control.take_text_requests():
                    yield run.reply(text_request)
            if cadence is not None and control.results_wanted and cadence.due(now):
                results = _results(run, epoch + 1, reader.step, final=False)
                cadence.taken(now, time.perf_counter())
                if results is not None:
                    yield results
        if reader.unread:
            # The steps since the last report, so that every step of the epoch is reported.
            yield reader.report(epoch + 1, steps, lr, time.perf_counter() - report_time)
        if stopped:
            break
        means = reader.epoch_means()
        rate = reader.epoch_seen / max(time.perf_counter() - epoch_start, 1e-9)
        diverged = recipe.divergence(reader.first_loss, reader.recent_losses())
        if diverged is not None:
            raise TrainingError(f"training diverged in epoch {epoch + 1}: {diverged}",
                                DIVERGED_ADVICE, kind="diverged")
        val_loss, val_accuracy = run.validate()
        epoch_done = epoch + 1
        epoch_loss = means.pop("loss")
        last = {"loss": epoch_loss, **means, "val_loss": val_loss, "val_accuracy": val_accuracy}
        saver.epoch_ended(epoch_done, last=epoch_done == settings.epochs)
        yield EpochEnd(epoch_done, epoch_loss, val_loss, val_accuracy, rate, means,
                       step=reader.step)
        yield from run.samples_at(epoch_done)
        now = time.perf_counter()
        if (cadence is not None and control.results_wanted
                and cadence.epoch_end_due(now, epoch_done == settings.epochs)):
            results = _results(run, epoch_done, reader.step, final=True)
            cadence.taken(now, time.perf_counter(), epoch_end=True)
            if results is not None:
                yield results
    if not stopped and epoch_done > run.start_epoch:
        higher = recipe.ended_higher(reader.first_loss, reader.recent_losses())
        if higher is not None:
            raise TrainingError(f"training diverged: {higher}", DIVERGED_ADVICE,
                                kind="diverged")
    request = control.probe_request(default_probe)
    if request is not None and stepped:
        probe = run.probe(epoch_done, reader.step, request=request)  # the final weights
        if probe is not None:
            yield probe
    yield run.finish(last, epoch_done, stopped)


def _results(run: Run, epoch: int, step: int, final: bool) -> Results | None:
    """The run's Results, or None when the network's outputs do not suit its view (a
    results view shows what it can; it never ends a run). Out of memory still does."""
    try:
        return run.results(epoch, step, final)
    except torch.cuda.OutOfMemoryError:
        raise
    except (RuntimeError, ValueError, IndexError, TypeError) as error:
        warnings.warn(f"no results this time: {error}", RuntimeWarning, stacklevel=2)
        return None


class _Checkpoints:
    """Saves the run's state at epoch ends, spaced in time.

    An epoch end that comes too soon after the last save is remembered, RNG states included,
    so that a stop before the next epoch's first step can still save exactly that epoch.
    """

    def __init__(self, run: Run, path: str | os.PathLike[str] | None, interval: float) -> None:
        self.run = run
        self.path = path
        self.interval = interval
        self._saved_at = -math.inf
        self._pending: tuple[int, torch.Tensor, torch.Tensor] | None = None

    def epoch_ended(self, epochs_done: int, last: bool) -> None:
        if self.path is None:
            return
        self._pending = (epochs_done, self.run.shuffle.get_state(), torch.get_rng_state())
        if last or time.perf_counter() - self._saved_at >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Saves the epoch end not saved yet, if there is one."""
        if self.path is None or self._pending is None:
            return
        epochs_done, shuffle_rng, torch_rng = self._pending
        state = self.run.state(epochs_done)
        # The next epoch's shuffle may already have drawn from these generators.
        state["shuffle_rng"], state["torch_rng"] = shuffle_rng, torch_rng
        save_checkpoint(self.path, state)
        self._pending = None
        self._saved_at = time.perf_counter()


class _Reader:
    """Reads the run's loss records back: one transfer per report, every step kept.

    The host counts the steps it ran since the last read, so it knows how many rows of the
    step log to copy without asking the device.
    """

    def __init__(self, run: Run, step: int) -> None:
        self.run = run
        self.step = step  # steps done in the whole run
        self.unread = 0
        self.unread_seen = 0
        self.totals = np.zeros(run.accumulator.numel())
        self.epoch_seen = 0
        self.first_loss = math.nan
        self._recent: list[np.ndarray] = []

    @property
    def full(self) -> bool:
        return self.unread >= self.run.step_log.capacity

    def new_epoch(self) -> None:
        self.run.accumulator.zero_()
        self.totals[:] = 0.0
        self.epoch_seen = 0

    def stepped(self, samples: int) -> None:
        self.step += 1
        self.unread += 1
        self.unread_seen += samples
        self.epoch_seen += samples

    def report(self, epoch: int, index: int, lr: float, seconds: float) -> Metrics:
        """A Metrics event with the mean losses and every step's losses since the last one."""
        log, width = self.run.step_log, self.run.accumulator.numel()
        values = sync.to_host(torch.cat([self.run.accumulator,
                                         log.rows(self.unread).reshape(-1)]))
        log.rewind()
        totals, rows = values[:width], values[width:].reshape(self.unread, width)
        means = _means(self.run, totals, self.totals, self.unread_seen)
        check_finite(means, epoch, index)
        rows = rows.astype(np.float32)
        if math.isnan(self.first_loss) and len(rows):
            self.first_loss = float(rows[0, 0])  # the loss at the initial weights
        self._recent = [*self._recent, rows[-RECENT_STEPS:, 0]][-RECENT_STEPS:]
        event = Metrics(epoch, self.step, means.pop("loss"),
                        self.unread_seen / max(seconds, 1e-9), lr, means, step_losses=rows,
                        samples=self.unread_seen)
        self.totals, self.unread, self.unread_seen = totals, 0, 0
        return event

    def epoch_means(self) -> dict[str, float]:
        return _means(self.run, self.totals, np.zeros_like(self.totals), self.epoch_seen)

    def recent_losses(self) -> list[float]:
        """The trained loss of the last :data:`RECENT_STEPS` steps (fewer at the start)."""
        if not self._recent:
            return []
        return np.concatenate(self._recent)[-RECENT_STEPS:].tolist()


def _means(run: Run, totals: Any, before: Any, count: int) -> dict[str, float]:
    """Mean loss (key "loss") and parts since ``before``, over ``count`` samples."""
    count = max(count, 1)
    values = [float(now - then) / count for now, then in zip(totals, before, strict=True)]
    return {"loss": values[0], **dict(zip(run.part_names, values[1:], strict=True))}
