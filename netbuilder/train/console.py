"""The headless ``netbuilder train`` run: a progress bar on stderr, a JSON-lines log, weights.

The same engine as the app (:func:`netbuilder.train.loop.train`); this module only turns its
events into text and files. Qt-free, so it runs on a server with no display.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import torch

from netbuilder.compile.weights import weights_payload
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.fileformat import write_atomic
from netbuilder.core.graph import Document
from netbuilder.train.checkpoint import load_checkpoint
from netbuilder.train.data import load_dataset
from netbuilder.train.events import EpochEnd, Failed, Finished, Metrics, Started
from netbuilder.train.loop import data_network, train
from netbuilder.train.readiness import input_shape
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.sinks import JsonLinesLog, Sinks
from netbuilder.train.tensorboard import TensorBoardLog

BAR_WIDTH = 24
#: How often the bar is redrawn on a terminal (each draw is cheap; the engine reports ~10/s).
REDRAW_S = 0.1
#: Seconds between probes (activation and gradient histograms) when writing TensorBoard files.
PROBE_INTERVAL_S = 2.0


class TrainingFailedError(NetbuilderError):
    """The run ended with a Failed event: the message and its advice, for one error line."""


@dataclass
class TrainOptions:
    """What the command line asked for; None keeps the document's own setting."""

    epochs: int | None = None
    batch_size: int | None = None
    lr: float | None = None
    device: str | None = None
    data: str | None = None
    log: Path | None = None
    save: Path | None = None
    resume: Path | None = None
    network: str | None = None
    tensorboard: Path | None = None


def run_training(doc: Document, source: str, options: TrainOptions,
                 out: IO[str] | None = None) -> Finished:
    """Trains ``doc`` as the options say, drawing progress on ``out`` (standard error).

    Raises:
        NetbuilderError: bad input (settings, data, graph); TrainingFailedError when the run fails
            (NaN loss, out of memory); KeyboardInterrupt after saving a checkpoint.
    """
    changes = {key: value for key, value in (("epochs", options.epochs),
                                             ("batch_size", options.batch_size),
                                             ("lr", options.lr), ("device", options.device))
               if value is not None}
    settings = TrainingSettings.from_doc(doc).with_changes(**changes)
    network = doc.network(options.network).name
    data_source = options.data or settings.dataset
    if not data_source:
        raise NetbuilderError(f"{source}: no data: name a data set in the graph's training "
                              "settings or pass --data PATH")
    shape = input_shape(doc, data_network(doc, settings, network))
    dataset = load_dataset(data_source, input_shape=shape, seed=settings.seed)
    # Looked up now, not at import: a test harness or an embedding app may swap sys.stderr.
    out = sys.stderr if out is None else out
    scratch = Path(tempfile.mkdtemp(prefix="netbuilder-train-"))
    checkpoint = scratch / "checkpoint.pt"
    progress = _Progress(out)
    sinks = Sinks([progress])
    try:
        if options.log is not None:
            sinks.sinks.append(JsonLinesLog(options.log))
        if options.tensorboard is not None:
            sinks.sinks.append(TensorBoardLog(options.tensorboard))
        # Probes feed TensorBoard's histograms; nothing else here shows them.
        probe_interval = PROBE_INTERVAL_S if options.tensorboard is not None else None
        for event in train(doc, dataset, settings, network=network, checkpoint=checkpoint,
                           resume=options.resume, probe_interval=probe_interval):
            sinks.write(event)
            if isinstance(event, Failed):
                raise TrainingFailedError(f"{event.message}. {event.advice}")
            if isinstance(event, Finished):
                if options.save is not None:
                    save_weights(checkpoint, options.save)
                return event
        raise TrainingFailedError("training ended without a result")
    except KeyboardInterrupt:
        progress.newline()
        if checkpoint.exists():
            kept = Path.cwd() / f"{Path(source).stem}-interrupted.ckpt"
            shutil.copyfile(checkpoint, kept)
            epochs = load_checkpoint(kept)["epoch"]
            # Checkpoints are spaced in time, so this may be a little behind the last epoch.
            print(f"netbuilder: interrupted; the state after epoch {epochs} is saved in {kept} "
                  f"(continue with --resume {kept.name})", file=out)
        raise
    finally:
        sinks.close()
        shutil.rmtree(scratch, ignore_errors=True)


def save_weights(checkpoint: Path, target: Path) -> None:
    """Writes the trained networks' weights as a netbuilder weights file (atomically)."""
    networks = load_checkpoint(checkpoint)["networks"]
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder) / "weights.pt"
        torch.save(weights_payload(networks), staging)
        write_atomic(target, staging.read_bytes())


class _Progress:
    """``epoch 3/10 [#####-----] 45%  loss 0.412  val acc 93.1%  1,234 samples/s  ETA 0:12``."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.epochs = 1
        self.steps = 1
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.val = ""
        self.drawn = False

    def write(self, event: Any) -> None:
        if isinstance(event, Started):
            self.epochs, self.steps = event.total_epochs, max(1, event.steps_per_epoch)
            self.start = time.perf_counter()
            note = f" ({event.fallback_reason})" if event.fallback_reason else ""
            print(f"training on {event.device}, {event.fast_path} step{note}", file=self.out)
        elif isinstance(event, Metrics) and self.tty:
            now = time.perf_counter()
            if now - self.last_draw >= REDRAW_S:
                self.last_draw = now
                self._draw(event.epoch, event.step, event.loss, event.samples_per_s)
        elif isinstance(event, EpochEnd):
            if event.val_accuracy is not None:
                self.val = f"  val acc {event.val_accuracy * 100:.1f}%"
            elif event.val_loss is not None:
                self.val = f"  val loss {event.val_loss:.4g}"
            elif event.parts:
                self.val = "".join(f"  {name} {value:.4g}" for name, value in event.parts.items()
                                   if name != "g_loss")
            self._draw(event.epoch, event.step, event.loss, event.samples_per_s)
            if not self.tty:
                self.out.write("\n")
        elif isinstance(event, Finished):
            self.newline()
            parts = [f"done in {time.perf_counter() - self.start:.1f} s"]
            if event.test_accuracy is not None:
                parts.append(f"test accuracy {event.test_accuracy * 100:.2f}%")
            if event.test_loss is not None:
                parts.append(f"test loss {event.test_loss:.4g}")
            print(", ".join(parts), file=self.out)
        elif isinstance(event, Failed):
            self.newline()

    def _draw(self, epoch: int, step: int, loss: float, rate: float) -> None:
        total = self.epochs * self.steps
        done = min(1.0, step / total) if total else 1.0
        filled = int(done * BAR_WIDTH)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / done - elapsed if done > 0 else 0.0
        line = (f"epoch {epoch}/{self.epochs} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
                f"{done * 100:3.0f}%  loss {loss:.4g}{self.val}  {rate:,.0f} samples/s  "
                f"ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        self.out.write(("\r" + line + "\x1b[K") if self.tty else line)
        self.out.flush()
        self.drawn = self.tty

    def close(self) -> None:
        self.newline()

    def newline(self) -> None:
        if self.drawn:
            self.out.write("\n")
            self.drawn = False

