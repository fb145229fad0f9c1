"""The training loop: a plain generator of events, with no Qt and no per-step syncs.

The data set is moved to the device once and shuffled there every epoch (``torch.randperm`` on
the device, ``index_select`` into the batch). Losses are summed into a device tensor; the loop
reads it back (one sync) about every ``report_interval`` seconds and at epoch ends, never per
step. The last partial batch of an epoch is kept (every sample is seen every epoch) unless the
``drop_last`` setting drops it, which the CUDA-graph path needs for static shapes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from netbuilder.compile import compile_network
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.core.tensor import format_shape
from netbuilder.train import fast
from netbuilder.train.checkpoint import load_checkpoint, save_checkpoint
from netbuilder.train.control import TrainingControl
from netbuilder.train.device import resolve_device
from netbuilder.train.events import EpochEnd, Event, Failed, Finished, Metrics, Started
from netbuilder.train.optim import make_optimizer, schedule_factor, set_lr
from netbuilder.train.recipes import (
    Evaluation,
    StepFn,
    eager_step,
    evaluate,
    find_neuron,
    loss_only,
    perceptron_step,
    supervised_forward,
)
from netbuilder.train.settings import RESERVED_RECIPES, TrainingSettings
from netbuilder.train.sync import to_host

if TYPE_CHECKING:
    from netbuilder.train.data.base import Dataset, DataSplit

NAN_ADVICE = ("Lower the learning rate (try a tenth of it), turn on gradient clipping "
              "(grad_clip), or check the data for NaN or very large values.")
OOM_ADVICE = ("Use a smaller batch size or a smaller model; if the data set itself does not fit "
              "in GPU memory, train on the CPU (device: cpu).")
EVAL_BATCH = 1024


class TrainingError(Exception):
    """Ends a run with a Failed event: what went wrong and what the user can do."""

    def __init__(self, message: str, advice: str) -> None:
        super().__init__(message)
        self.message, self.advice = message, advice


def train(doc: Document, dataset: Dataset, settings: TrainingSettings | None = None,
          control: TrainingControl | None = None, *, network: str | None = None,
          checkpoint: str | os.PathLike[str] | None = None,
          resume: str | os.PathLike[str] | None = None,
          report_interval: float = 0.1) -> Iterator[Event]:
    """Trains a network of ``doc`` on ``dataset``, yielding events as it goes.

    Args:
        doc: the document (compiled once here; later edits do not reach this run).
        dataset: a ``netbuilder.train.data.base.Dataset`` (CPU tensors).
        settings: how to train; None reads ``doc.training``.
        control: stop, pause/resume and learning-rate changes from another thread.
        network: which network to train; None for the document's first.
        checkpoint: a file to save (atomically) after every epoch.
        resume: a checkpoint to continue from (its epoch count, weights, optimizer state and
            RNG states), giving the same result as an uninterrupted run on the CPU.
        report_interval: seconds between Metrics events (each costs one device sync).

    Yields:
        Started, then Metrics and EpochEnd, then Finished; or Failed, which ends the run.
    """
    try:
        if settings is None:
            settings = TrainingSettings.from_doc(doc)
        run = _Run(doc, dataset, settings, control or TrainingControl(), network,
                   checkpoint, resume, report_interval)
        yield from run.events()
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


@dataclass
class _Data:
    """A split resident on the device, cast to the Input blocks' dtypes."""

    x: torch.Tensor
    y: torch.Tensor


class _Run:
    """One training run; ``events()`` is the generator ``train`` hands out."""

    def __init__(self, doc: Document, dataset: Dataset, settings: TrainingSettings,
                 control: TrainingControl, network: str | None,
                 checkpoint: str | os.PathLike[str] | None,
                 resume: str | os.PathLike[str] | None, report_interval: float) -> None:
        if settings.recipe in RESERVED_RECIPES:
            raise TrainingError(f"the '{settings.recipe}' recipe is not trained by this "
                                  "version of netbuilder yet",
                                  "Choose classification, regression or perceptron.")
        self.doc, self.settings, self.control = doc, settings, control
        self.recipe = settings.recipe
        self.checkpoint, self.report_interval = checkpoint, report_interval
        try:
            self.device = resolve_device(settings.device)
        except RuntimeError as error:
            raise TrainingError(str(error), "Set device to auto or cpu.") from error
        torch.manual_seed(settings.seed)
        self.model = compile_network(doc, network, with_losses=True)
        self.graph = doc.network(network)
        self._check_roles()
        self.train_data, self.val_data, self.test_data = self._splits(dataset)
        self.classes = self._class_count(dataset)
        self.model.to(self.device)
        if settings.channels_last and self.train_data.x.ndim == 4:
            self.model.to(memory_format=torch.channels_last)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(settings.seed)
        self.base_lr = settings.lr
        self.start_epoch = 0
        self.resume_state = load_checkpoint(resume) if resume is not None else None

    # ----------------------------------------------------------------------------------------
    # Set-up checks
    def _check_roles(self) -> None:
        parts = self.model.parts
        self.input_name = next((n for n in parts.inputs if n not in parts.targets), None)
        extra = [n for n in parts.inputs if n not in parts.targets][1:]
        if self.input_name is None or extra:
            raise TrainingError("the network must have exactly one Input that feeds its "
                                  f"outputs; it has {len(extra) + (self.input_name is not None)}",
                                  "Remove the extra Input blocks or train another network.")
        if self.recipe == "perceptron":
            self.target_name = None
            return
        if len(parts.targets) != 1 or not parts.losses:
            raise TrainingError(
                f"the {self.recipe} recipe needs a loss block reading one target Input; this "
                f"network has {len(parts.losses)} loss blocks and {len(parts.targets)} targets",
                "Add a loss block (e.g. cross-entropy or MSE) and a target Input feeding it.")
        self.target_name = parts.targets[0]

    def _input_spec(self, name: str) -> tuple[tuple[int, ...], torch.dtype]:
        node = self.graph.node_by_name(name)
        assert node is not None
        dtype = torch.int64 if node.params.get("dtype") == "int64" else torch.float32
        return tuple(node.params.get("shape", ())), dtype

    def _splits(self, dataset: Dataset) -> tuple[_Data, _Data | None, _Data | None]:
        train: DataSplit | _Raw = dataset.train
        val: DataSplit | _Raw | None = dataset.val
        if val is None and self.settings.validation_split > 0:
            train, val = _split_off(train, self.settings.validation_split, self.settings.seed)
        if train.x.shape[0] == 0:
            raise TrainingError(f"data set '{dataset.name}' has no training samples",
                                  "Choose another data set.")
        return (self._prepare("train", train), self._prepare("validation", val),
                self._prepare("test", dataset.test))

    def _prepare(self, what: str, split: DataSplit | _Raw | None) -> _Data | None:
        """Checks a split against the Input blocks (before any step) and moves it over."""
        if split is None or split.x.shape[0] == 0:
            return None
        shape, dtype = self._input_spec(self.input_name or "")
        if tuple(split.x.shape[1:]) != shape:
            raise TrainingError(
                f"the {what} data's samples have shape {format_shape(tuple(split.x.shape[1:]))} "
                f"but Input '{self.input_name}' expects {format_shape(shape)}",
                f"Set the Input's shape to {format_shape(tuple(split.x.shape[1:]))} or choose "
                "a data set that matches the network.")
        if split.y is None:
            raise TrainingError(f"the {what} data has no targets",
                                  f"The {self.recipe} recipe needs labelled data.")
        y = split.y
        if self.target_name is not None:
            target_shape, target_dtype = self._input_spec(self.target_name)
            sample = tuple(y.shape[1:])
            if sample != target_shape:
                if math.prod(sample) != math.prod(target_shape):
                    raise TrainingError(
                        f"the {what} targets have shape {format_shape(sample)} but Input "
                        f"'{self.target_name}' expects {format_shape(target_shape)}",
                        f"Set the Input's shape to {format_shape(sample)}.")
                # (N,) values for a (1) target and the like: same numbers, other layout.
                y = y.reshape((y.shape[0], *target_shape))
            y = y.to(target_dtype)
        else:
            y = y.to(torch.float32)
        x = split.x.to(dtype)
        if self.settings.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return _Data(x.to(self.device), y.to(self.device))

    def _class_count(self, dataset: Dataset) -> int:
        if self.recipe != "classification":
            return 0
        if dataset.classes:
            return len(dataset.classes)
        y = self.train_data.y
        return int(y.shape[1]) if y.dtype != torch.int64 else int(y.max()) + 1

    # ----------------------------------------------------------------------------------------
    # The run
    def _build_step(self, accumulator: torch.Tensor
                    ) -> tuple[StepFn, torch.optim.Optimizer, str, str | None]:
        settings, data = self.settings, self.train_data
        reason = fast.fast_path_reason(self.device, settings, data.x.shape[0])
        if self.recipe == "perceptron":
            neuron = find_neuron(self.model)
            optimizer = torch.optim.SGD(neuron.parameters(), lr=settings.lr)
            self._restore_optimizer(optimizer)
            return (perceptron_step(self.model, neuron, optimizer, data.x, data.y, accumulator),
                    optimizer, "eager", reason)
        loss = loss_only(self.forward)
        if reason is None:
            optimizer = make_optimizer(self.model.parameters(), settings, capturable=True,
                                       device=self.device)
            try:
                step = fast.CudaGraphStep(loss, self.model, optimizer, data.x, data.y,
                                          settings.batch_size, accumulator, settings.grad_clip)
            except (RuntimeError, NotImplementedError) as error:
                reason = f"capturing the step failed ({str(error).splitlines()[0]})"
            else:
                self._restore_optimizer(optimizer, in_place=True)
                return step, optimizer, "cuda_graph", None
        optimizer = make_optimizer(self.model.parameters(), settings)
        self._restore_optimizer(optimizer)
        return (eager_step(loss, self.model, optimizer, data.x, data.y, accumulator,
                           settings.grad_clip), optimizer, "eager", reason)

    def _restore_optimizer(self, optimizer: torch.optim.Optimizer, in_place: bool = False
                           ) -> None:
        state = self.resume_state
        if state is None:
            return
        if not in_place:
            # A checkpoint from the CUDA-graph path carries capturable=True and a tensor lr;
            # this optimizer keeps its own (the device may differ now).
            own = [(g.get("capturable"), g.get("foreach"), g["lr"])
                   for g in optimizer.param_groups]
            optimizer.load_state_dict(state["optimizer"])
            for group, (capturable, foreach, lr) in zip(optimizer.param_groups, own,
                                                        strict=True):
                group["capturable"], group["foreach"], group["lr"] = capturable, foreach, lr
            return
        # A captured graph points at the optimizer's state tensors: copy into them.
        saved = state["optimizer"]["state"]
        params = [p for group in optimizer.param_groups for p in group["params"]]
        for index, param in enumerate(params):
            for key, value in saved.get(index, {}).items():
                optimizer.state[param][key].copy_(value)

    def events(self) -> Iterator[Event]:
        settings, control, device = self.settings, self.control, self.device
        weights = {name: float(self._loss_weight(name)) for name in self.model.parts.losses}
        self.forward = supervised_forward(self.model, weights, device, settings.bf16)
        if self.resume_state is not None:
            self.model.load_state_dict(self.resume_state["model"])
        accumulator = torch.zeros((), device=device)
        step, optimizer, path, reason = self._build_step(accumulator)
        if self.resume_state is not None:
            self._restore_progress(self.resume_state)
        n = self.train_data.x.shape[0]
        batch = settings.batch_size
        steps = n // batch if settings.drop_last and n >= batch else math.ceil(n / batch)
        yield Started(settings.epochs, steps, str(device), path, reason)

        global_step = self.start_epoch * steps
        stopped = False
        epoch_done = self.start_epoch
        last: dict[str, Any] = {}
        for epoch in range(self.start_epoch, settings.epochs):
            lr = self.base_lr * schedule_factor(settings, epoch)
            set_lr(optimizer, lr)
            self.model.train()
            accumulator.zero_()
            order = torch.randperm(n, device=device, generator=self.generator)
            epoch_start = report_time = time.perf_counter()
            seen = reported_seen = 0
            reported_sum = 0.0
            for index in range(steps):
                if control.paused:
                    paused_at = time.perf_counter()
                    control.wait_while_paused()
                    pause = time.perf_counter() - paused_at
                    epoch_start += pause
                    report_time += pause
                if control.stopped:
                    stopped = True
                    break
                new_lr = control.take_lr()
                if new_lr is not None:
                    self.base_lr = new_lr
                    lr = new_lr * schedule_factor(settings, epoch)
                    set_lr(optimizer, lr)
                rows = order[index * batch:(index + 1) * batch]
                step(rows)
                seen += rows.shape[0]
                global_step += 1
                now = time.perf_counter()
                if now - report_time >= self.report_interval:
                    (total,) = to_host(accumulator.reshape(1))
                    loss = (total - reported_sum) / max(seen - reported_seen, 1)
                    _check_finite(loss, epoch + 1, index + 1)
                    yield Metrics(epoch + 1, global_step, loss,
                                  (seen - reported_seen) / (now - report_time), lr)
                    reported_sum, reported_seen, report_time = total, seen, now
            if stopped:
                break
            (total,) = to_host(accumulator.reshape(1))
            epoch_loss = total / max(seen, 1)
            _check_finite(epoch_loss, epoch + 1, steps)
            rate = seen / max(time.perf_counter() - epoch_start, 1e-9)
            val_loss, val_accuracy, _ = self._figures(self.val_data)
            epoch_done = epoch + 1
            last = {"loss": epoch_loss, "val_loss": val_loss, "val_accuracy": val_accuracy}
            if self.checkpoint is not None:
                save_checkpoint(self.checkpoint, self._state(optimizer, epoch_done))
            yield EpochEnd(epoch_done, epoch_loss, val_loss, val_accuracy, rate)
        yield self._finish(last, epoch_done, stopped)

    def _finish(self, last: dict[str, Any], epochs_done: int, stopped: bool) -> Finished:
        metrics: dict[str, Any] = {**last, "epochs_done": epochs_done, "stopped": stopped}
        if stopped:
            return Finished(metrics, None, None)
        evaluated = self.test_data or self.val_data
        test_loss, test_accuracy, confusion = self._figures(self.test_data)
        if self.recipe == "classification" and evaluated is not None:
            if self.test_data is None:
                _, _, confusion = self._figures(self.val_data)
            metrics["confusion_matrix"] = confusion
            metrics["confusion_split"] = "test" if self.test_data is not None else "validation"
        if self.recipe == "perceptron":
            _, metrics["train_accuracy"], _ = self._figures(self.train_data)
        return Finished(metrics, test_loss, test_accuracy)

    def _figures(self, data: _Data | None
                 ) -> tuple[float | None, float | None, list[list[int]] | None]:
        """(loss, accuracy, confusion matrix) of a split; one sync for all of them."""
        if data is None:
            return None, None, None
        result: Evaluation = evaluate(
            self.model, self.recipe, data.x, data.y,
            None if self.recipe == "perceptron" else self.forward, self.classes,
            max(EVAL_BATCH, self.settings.batch_size), self.device, self.settings.bf16)
        parts = [result.loss_sum.reshape(1).float(), result.correct.reshape(1).float()]
        if result.confusion is not None:
            parts.append(result.confusion.float())
        values = to_host(torch.cat(parts))
        loss = values[0] / result.samples
        accuracy = (values[1] / result.samples
                    if self.recipe in ("classification", "perceptron") else None)
        confusion = None
        if result.confusion is not None:
            flat = [int(v) for v in values[2:]]
            c = self.classes
            confusion = [flat[row * c:(row + 1) * c] for row in range(c)]
        return loss, accuracy, confusion

    def _loss_weight(self, name: str) -> float:
        node = self.graph.node_by_name(name)
        return 1.0 if node is None else node.params.get("weight", 1.0)

    # ----------------------------------------------------------------------------------------
    # Checkpoints
    def _state(self, optimizer: torch.optim.Optimizer, epochs_done: int) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "epoch": epochs_done,
            "base_lr": self.base_lr,
            "shuffle_rng": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def _restore_progress(self, state: dict[str, Any]) -> None:
        self.start_epoch = int(state["epoch"])
        self.base_lr = float(state.get("base_lr", self.base_lr))
        if "shuffle_rng" in state:
            self.generator.set_state(state["shuffle_rng"])
        if "torch_rng" in state:
            torch.set_rng_state(state["torch_rng"])


def _check_finite(loss: float, epoch: int, step: int) -> None:
    if not math.isfinite(loss):
        raise TrainingError(f"the loss became {loss} in epoch {epoch} (by step {step})",
                              NAN_ADVICE)


def _split_off(split: DataSplit, fraction: float, seed: int) -> tuple[_Raw, _Raw | None]:
    """Holds out ``fraction`` of the samples (a seeded shuffle) as the validation split."""
    count = int(split.x.shape[0])
    held = round(count * fraction)
    if held == 0 or held == count or split.y is None:
        return _Raw(split.x, split.y), None
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    keep, hold = order[held:], order[:held]
    return _Raw(split.x[keep], split.y[keep]), _Raw(split.x[hold], split.y[hold])


@dataclass
class _Raw:
    """A CPU split made here (the validation hold-out): what DataSplit's x and y are."""

    x: torch.Tensor
    y: torch.Tensor | None
