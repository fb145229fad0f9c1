"""The headless ``netbuilder train`` run: a progress bar on stderr, a JSON-lines log, weights.

The same engine as the app (:func:`netbuilder.train.loop.train`); this module only turns its
events into text and files. Qt-free, so it runs on a server with no display.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

import torch

from netbuilder.compile.builder import describe_errors
from netbuilder.compile.weights import weights_payload
from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import GraphError, NetbuilderError, printable
from netbuilder.core.graph import Document
from netbuilder.core.inference import analyse
from netbuilder.train.checkpoint import load_checkpoint
from netbuilder.train.data import load_dataset
from netbuilder.train.events import EpochEnd, Failed, Finished, Metrics, Started
from netbuilder.train.loop import data_network, train
from netbuilder.train.readiness import graph_blockers, input_shape
from netbuilder.train.scratch import scratch_folder
from netbuilder.train.settings import SettingsError, TrainingSettings
from netbuilder.train.sinks import JsonLinesLog, Sinks
from netbuilder.train.tensorboard import TensorBoardLog

if TYPE_CHECKING:
    from netbuilder.train.data.base import Dataset

BAR_WIDTH = 24
#: How often the bar is redrawn on a terminal (each draw is cheap; the engine reports ~10/s).
REDRAW_S = 0.1
#: Seconds between probes (activation and gradient histograms) when writing TensorBoard files.
PROBE_INTERVAL_S = 2.0


class TrainingFailedError(NetbuilderError):
    """The run ended with a Failed event: the message and its advice, for one error line."""


class OptionError(NetbuilderError):
    """A command-line option names a path that the run cannot use."""


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

    Everything that can be checked without the data is checked before the data set is read:
    the settings, the graph (naming the block at fault) and the paths to write.

    Raises:
        NetbuilderError: bad input (settings, data, graph, paths); TrainingFailedError when
            the run fails (NaN loss, out of memory); KeyboardInterrupt after saving a
            checkpoint.
    """
    settings = _settings(doc, options)
    network = doc.network(options.network).name
    data_source = options.data or settings.dataset
    if not data_source:
        raise NetbuilderError(f"{source}: no data: name a data set in the graph's training "
                              "settings or pass --data PATH")
    check_graph(doc, settings, network)
    check_paths(options)
    shape = input_shape(doc, data_network(doc, settings, network))
    dataset = load_dataset(data_source, input_shape=shape, seed=settings.seed)
    # Looked up now, not at import: a test harness or an embedding app may swap sys.stderr.
    out = sys.stderr if out is None else out
    with scratch_folder() as scratch:
        return _train(doc, source, options, settings, network, dataset, scratch, out)


def _train(doc: Document, source: str, options: TrainOptions, settings: TrainingSettings,
           network: str, dataset: Dataset, scratch: Path, out: IO[str]) -> Finished:
    checkpoint = scratch / "checkpoint.pt"
    progress = _Progress(out)
    sinks = Sinks([progress])
    try:
        if options.log is not None:
            sinks.sinks.append(_open_output("--log", options.log, JsonLinesLog))
        if options.tensorboard is not None:
            sinks.sinks.append(_open_output("--tensorboard", options.tensorboard,
                                            TensorBoardLog))
        # Probes feed TensorBoard's histograms; nothing else here shows them.
        probe_interval = PROBE_INTERVAL_S if options.tensorboard is not None else None
        for event in train(doc, dataset, settings, network=network, checkpoint=checkpoint,
                           resume=options.resume, probe_interval=probe_interval):
            sinks.write(event)
            if isinstance(event, Failed):
                message = event.message.rstrip().rstrip(".")
                raise TrainingFailedError(f"{message}. {event.advice}")
            if isinstance(event, Finished):
                if options.save is not None:
                    save_weights(checkpoint, options.save)
                return event
        raise TrainingFailedError("training ended without a result")
    except KeyboardInterrupt:
        progress.newline()
        if checkpoint.exists():
            folders = [_cwd(), _data_folder(options.data or settings.dataset),
                       Path(tempfile.gettempdir())]
            _report_kept(keep_checkpoint(checkpoint, _kept_name(source), folders), out)
        else:
            print("netbuilder: interrupted before the first epoch ended; no checkpoint to "
                  "keep", file=out)
        raise
    finally:
        sinks.close()


def _settings(doc: Document, options: TrainOptions) -> TrainingSettings:
    """The document's settings with the command line's overrides, each checked."""
    settings = TrainingSettings.from_doc(doc)
    for key, value in (("epochs", options.epochs), ("batch_size", options.batch_size),
                       ("lr", options.lr), ("device", options.device)):
        if value is not None:
            try:
                settings = settings.with_changes(**{key: value})
            except SettingsError as error:
                option = "--" + key.replace("_", "-")
                raise SettingsError(f"{option} {value}: {error}") from None
    return settings


def check_graph(doc: Document, settings: TrainingSettings, network: str) -> None:
    """Refuses a graph that cannot train, naming the block at fault (the data left out).

    The same checks the compiler makes (shapes, params, wiring) and the recipe's own (a loss
    block, one target Input), without building the modules.

    Raises:
        GraphError: the first problem found.
    """
    recipe = settings.recipe_spec
    for name in recipe.trained_networks(doc, settings.extra, network):
        if name in doc.networks:
            analysis = analyse(doc, doc.network(name))
            if analysis.errors:
                raise GraphError(describe_errors(doc, analysis))
    found = graph_blockers(doc, network, settings)
    if found:
        blocker = found[0]
        where = f"{doc.path}: " if doc.path else ""
        graph = doc.graphs.get(blocker.graph or "")
        node = graph.nodes.get(blocker.node or "") if graph is not None else None
        if graph is not None and node is not None:
            where += f"network '{graph.name}', node {node.name}: "
        raise GraphError(where + blocker.message)


def check_paths(options: TrainOptions) -> None:
    """Refuses, before any training, a path that the run could not read or write at the end.

    Raises:
        OptionError: the option, the path and what is wrong with it.
    """
    for option, path in (("--save", options.save), ("--log", options.log)):
        if path is not None:
            _check_output(option, path)
    if (options.tensorboard is not None and options.tensorboard.exists()
            and not options.tensorboard.is_dir()):
        raise OptionError(f"--tensorboard {options.tensorboard}: is a file, not a folder")
    resume = options.resume
    if resume is not None:
        if resume.is_dir():
            raise OptionError(f"--resume {resume}: is a folder, not a checkpoint file")
        if not resume.exists():
            raise OptionError(f"--resume {resume}: no such checkpoint file")


def _check_output(option: str, path: Path) -> None:
    folder = path.parent
    if path.is_dir():
        raise OptionError(f"{option} {path}: is a folder; name a file to write")
    if not folder.exists():
        raise OptionError(f"{option} {path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OptionError(f"{option} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OptionError(f"{option} {path}: cannot be written (no permission)")


def _open_output(option: str, path: Path, sink: Callable[[Path], Any]) -> Any:
    """A file sink at ``path``; an OSError is bad input that names the option."""
    try:
        return sink(path)
    except OSError as error:
        raise OptionError(f"{option} {path}: cannot be written ({error.strerror or error})"
                          ) from None


def keep_checkpoint(checkpoint: Path, name: str, folders: list[Path | None]) -> Path | None:
    """Copies ``checkpoint`` as ``name`` into the first of ``folders`` that takes it.

    Written atomically (a temporary file renamed), so that a second interrupt during the copy
    never leaves half a checkpoint under the final name.

    Returns:
        Where it is, or None when no folder could take it.
    """
    for folder in folders:
        if folder is None:
            continue
        target = folder / name
        try:
            write_atomic(target, lambda stream: _copy_into(checkpoint, stream))
        except NetbuilderError:
            continue
        return target
    return None


def _copy_into(source: Path, stream: BinaryIO) -> None:
    with source.open("rb") as handle:
        shutil.copyfileobj(handle, stream)


def _report_kept(kept: Path | None, out: IO[str]) -> None:
    if kept is None:
        print("netbuilder: interrupted; the checkpoint could not be kept (no folder tried "
              "could be written)", file=out)
        return
    epochs = load_checkpoint(kept)["epoch"]
    elsewhere = "" if kept.parent == _cwd() else " (the current folder cannot be written)"
    # Checkpoints are spaced in time, so this may be a little behind the last epoch.
    print(printable(f"netbuilder: interrupted; the state after epoch {epochs} is saved in "
                    f"{kept}{elsewhere} (continue with --resume {shlex.quote(str(kept))})"),
          file=out)


def _kept_name(source: str) -> str:
    return f"{Path(source).stem or 'netbuilder'}-interrupted.ckpt"


def _cwd() -> Path | None:
    try:
        return Path.cwd()
    except OSError:  # the folder was removed under the process
        return None


def _data_folder(data: str) -> Path | None:
    """The folder of a data file or folder given by path (None for a built-in set)."""
    try:
        path = Path(data)
        if path.is_dir():
            return path
        return path.parent if path.exists() else None
    except (OSError, ValueError):  # a name no file system takes (an embedded NUL)
        return None


def save_weights(checkpoint: Path, target: Path) -> None:
    """Writes the trained networks' weights as a netbuilder weights file (atomically)."""
    payload = weights_payload(load_checkpoint(checkpoint)["networks"])
    write_atomic(target, lambda stream: torch.save(payload, stream))


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
            # The fallback reason may quote torch, which quotes the graph's names.
            print(printable(f"training on {event.device}, {event.fast_path} step{note}"),
                  file=self.out)
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

