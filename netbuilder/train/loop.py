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
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.train import sync
from netbuilder.train.checkpoint import save_checkpoint
from netbuilder.train.control import TrainingControl
from netbuilder.train.events import EpochEnd, Event, Failed, Metrics, Started
from netbuilder.train.failures import OOM_ADVICE, TrainingError, check_finite
from netbuilder.train.optim import schedule_factor
from netbuilder.train.run import Run
from netbuilder.train.settings import TrainingSettings

if TYPE_CHECKING:
    from netbuilder.train.data.base import Dataset

__all__ = ["TrainingError", "train"]


def train(doc: Document, dataset: Dataset, settings: TrainingSettings | None = None,
          control: TrainingControl | None = None, *, network: str | None = None,
          checkpoint: str | os.PathLike[str] | None = None,
          resume: str | os.PathLike[str] | None = None,
          report_interval: float = 0.1,
          probe_interval: float | None = None) -> Iterator[Event]:
    """Trains a network of ``doc`` on ``dataset``, yielding events as it goes.

    Args:
        doc: the document (compiled once here; later edits do not reach this run).
        dataset: a ``netbuilder.train.data.base.Dataset`` (CPU tensors).
        settings: how to train; None reads ``doc.training``. ``settings.recipe`` picks the run:
            classification, regression, perceptron, language_model, vae (one network) or gan
            (the generator and discriminator networks).
        control: stop, pause/resume and learning-rate changes from another thread.
        network: which network to train; None for the document's first (not used by gan).
        checkpoint: a file to save (atomically) after every epoch.
        resume: a checkpoint to continue from (its epoch count, weights, optimizer state and
            RNG states), giving the same result as an uninterrupted run on the CPU.
        report_interval: seconds between Metrics events (each costs one device sync).
        probe_interval: seconds between Probe events (activations and gradient histograms on
            a few fixed samples); None for none.

    Yields:
        Started, then Metrics, EpochEnd, Samples and Probe, then Finished; or Failed, which
        ends the run.
    """
    try:
        if settings is None:
            settings = TrainingSettings.from_doc(doc)
        run = make_run(doc, dataset, settings, network, resume)
        yield from _drive(run, control or TrainingControl(), checkpoint, report_interval,
                          probe_interval)
    except TrainingError as failure:
        yield Failed(failure.message, failure.advice)
    except torch.cuda.OutOfMemoryError as error:
        torch.cuda.empty_cache()
        yield Failed("out of GPU memory: " + str(error).split("\n")[0], OOM_ADVICE)
    except NetbuilderError as error:
        yield Failed(str(error), "Fix the blocks or settings named above, then train again.")
    except (RuntimeError, ValueError) as error:
        yield Failed(f"{type(error).__name__}: {error}",
                     "Check the network's shapes and the training settings.")


def make_run(doc: Document, dataset: Dataset, settings: TrainingSettings,
             network: str | None, resume: str | os.PathLike[str] | None) -> Run:
    """The run of ``settings.recipe``, set up and checked before any step."""
    if settings.recipe == "gan":
        from netbuilder.train.gan import GanRun

        return GanRun(doc, dataset, settings, resume)
    from netbuilder.train.supervised import SupervisedRun

    return SupervisedRun(doc, dataset, settings, network, resume)


def data_network(doc: Document, settings: TrainingSettings, network: str | None) -> str:
    """The network whose Input the training data must fit (a GAN's discriminator)."""
    if settings.recipe == "gan":
        from netbuilder.train.gan import network_names

        return network_names(doc, settings)[1]
    return doc.network(network).name


def _drive(run: Run, control: TrainingControl, checkpoint: str | os.PathLike[str] | None,
           report_interval: float, probe_interval: float | None) -> Iterator[Event]:
    settings, device = run.settings, run.device
    steps = run.steps_per_epoch()
    yield Started(settings.epochs, steps, str(device), run.fast_path, run.fallback_reason)
    n, batch = run.samples, settings.batch_size
    global_step = run.start_epoch * steps
    stopped = False
    epoch_done = run.start_epoch
    last: dict[str, Any] = {}
    last_probe = -math.inf  # the first probe comes after the first step
    for epoch in range(run.start_epoch, settings.epochs):
        lr = run.base_lr * schedule_factor(settings, epoch)
        run.set_lr(lr)
        run.train_mode()
        run.accumulator.zero_()
        order = torch.randperm(n, device=device, generator=run.shuffle)
        epoch_start = report_time = time.perf_counter()
        seen = reported_seen = 0
        reported = [0.0] * run.accumulator.numel()
        for index in range(steps):
            if control.paused:
                paused_at = time.perf_counter()
                control.wait_while_paused()
                pause = time.perf_counter() - paused_at
                epoch_start += pause
                report_time += pause
                last_probe += pause
            if control.stopped:
                stopped = True
                break
            new_lr = control.take_lr()
            if new_lr is not None:
                run.base_lr = new_lr
                lr = new_lr * schedule_factor(settings, epoch)
                run.set_lr(lr)
            rows = order[index * batch:(index + 1) * batch]
            run.step(rows)
            seen += rows.shape[0]
            global_step += 1
            now = time.perf_counter()
            if now - report_time >= report_interval:
                totals = sync.to_host(run.accumulator)
                means = _means(run, totals, reported, seen - reported_seen)
                check_finite(means, epoch + 1, index + 1)
                yield Metrics(epoch + 1, global_step, means.pop("loss"),
                              (seen - reported_seen) / (now - report_time), lr, means)
                reported, reported_seen, report_time = totals, seen, now
            if probe_interval is not None and now - last_probe >= probe_interval:
                probe = run.probe(epoch + 1, global_step)
                last_probe = -math.inf  # the first probe comes after the first step
                if probe is not None:
                    yield probe
        if stopped:
            break
        totals = sync.to_host(run.accumulator)
        means = _means(run, totals, [0.0] * len(totals), seen)
        check_finite(means, epoch + 1, steps)
        rate = seen / max(time.perf_counter() - epoch_start, 1e-9)
        val_loss, val_accuracy = run.validate()
        epoch_done = epoch + 1
        epoch_loss = means.pop("loss")
        last = {"loss": epoch_loss, **means, "val_loss": val_loss, "val_accuracy": val_accuracy}
        if checkpoint is not None:
            save_checkpoint(checkpoint, run.state(epoch_done))
        yield EpochEnd(epoch_done, epoch_loss, val_loss, val_accuracy, rate, means)
        yield from run.samples_at(epoch_done)
    yield run.finish(last, epoch_done, stopped)


def _means(run: Run, totals: list[float], before: list[float], count: int) -> dict[str, float]:
    """Mean loss (key "loss") and parts since ``before``, over ``count`` samples."""
    count = max(count, 1)
    values = [(now - then) / count for now, then in zip(totals, before, strict=True)]
    return {"loss": values[0], **dict(zip(run.part_names, values[1:], strict=True))}
