"""What every recipe's run offers the loop, and the set-up they share.

A run owns its models, optimizers and resident data; the loop (``netbuilder.train.loop``)
owns time: epochs, shuffling, pause and stop, reports, checkpoints. The loop never reads the
device except through ``sync.to_host`` on the run's accumulator and through the run's own
epoch-end methods.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from netbuilder.train.checkpoint import load_checkpoint
from netbuilder.train.control import ProbeRequest, TextRequest
from netbuilder.train.device import resolve_device
from netbuilder.train.events import Finished, Probe, Results, Samples, TextReply
from netbuilder.train.failures import TrainingError
from netbuilder.train.optim import set_lr
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.steplog import StepLog


@contextmanager
def checkpoint_fit(what: str) -> Iterator[None]:
    """Turns torch's refusal of a part of a checkpoint into a TrainingError naming ``what``."""
    try:
        yield
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
        reason = next(iter(str(error).strip().splitlines()), "") or type(error).__name__
        raise TrainingError(f"the checkpoint does not fit {what}: {reason}",
                            "Resume from a checkpoint of this same graph and settings."
                            ) from error


class Run:
    """The base of every recipe's run.

    Subclasses set, in their ``__init__``: ``samples`` (train split size), the loss records
    (:meth:`record_losses`: ``accumulator``, a device vector of the summed main loss and then
    one sum per name in ``part_names``, each times the batch size; and ``step_log``, every
    step's loss vector), ``optimizers``, ``networks`` (name -> module, saved in checkpoints),
    ``fast_path`` and ``fallback_reason``; and implement ``step``.
    """

    part_names: tuple[str, ...] = ()

    def __init__(self, settings: TrainingSettings, resume: Any,
                 initial_weights: Any = None) -> None:
        self.settings = settings
        self.initial_weights = initial_weights
        try:
            self.device = resolve_device(settings.device)
        except RuntimeError as error:
            raise TrainingError(str(error), "Set device to auto or cpu.") from error
        torch.manual_seed(settings.seed)
        self.shuffle = torch.Generator(device=self.device)
        self.shuffle.manual_seed(settings.seed)
        self.base_lr = settings.lr
        self.start_epoch = 0
        self.resume_state = load_checkpoint(resume) if resume is not None else None
        self.samples = 0
        self.record_losses(1)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.networks: dict[str, nn.Module] = {}
        self.fast_path = "eager"
        self.fallback_reason: str | None = None

    def record_losses(self, width: int) -> None:
        """Makes the device records of the losses: their sums and every step's values."""
        self.accumulator = torch.zeros(width, device=self.device)
        self.step_log = StepLog(width, self.device)

    # ----------------------------------------------------------------------------------------
    # What the loop calls
    def steps_per_epoch(self) -> int:
        n, batch = self.samples, self.settings.batch_size
        return n // batch if self.settings.drop_last and n >= batch else math.ceil(n / batch)

    def step(self, rows: torch.Tensor) -> None:
        """Trains on the train samples at ``rows``; adds to the accumulator, reads nothing."""
        raise NotImplementedError

    def set_lr(self, lr: float) -> None:
        for optimizer in self.optimizers.values():
            set_lr(optimizer, lr)

    def train_mode(self) -> None:
        for network in self.networks.values():
            network.train()

    def validate(self) -> tuple[float | None, float | None]:
        """(validation loss, validation accuracy) after an epoch; None where not defined."""
        return None, None

    def samples_at(self, epoch: int) -> list[Samples]:
        """What a generative recipe shows after an epoch."""
        return []

    def probe(self, epoch: int, step: int, request: ProbeRequest | None = None
              ) -> Probe | None:
        """What ``request``'s blocks compute on the probe samples (all blocks without one),
        when the recipe has probe samples."""
        return None

    def results(self, epoch: int, step: int, final: bool) -> Results | None:
        """What the recipe's results view shows, on the current weights (one or two syncs;
        the loop takes it a few times a second at most)."""
        return None

    def reply(self, request: TextRequest) -> TextReply:
        """Text asked for from the current weights, or why there is none."""
        return TextReply(request.id, request.prompt, request.temperature,
                         error="this recipe does not write text")

    def finish(self, last: dict[str, Any], epochs_done: int, stopped: bool) -> Finished:
        return Finished({**last, "epochs_done": epochs_done, "stopped": stopped}, None, None)

    # ----------------------------------------------------------------------------------------
    # Checkpoints
    def state(self, epochs_done: int) -> dict[str, Any]:
        """Everything a resumed run needs (tensors, numbers and dicts: weights_only loads it)."""
        return {
            "networks": {name: net.state_dict() for name, net in self.networks.items()},
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "epoch": epochs_done,
            "base_lr": self.base_lr,
            "shuffle_rng": self.shuffle.get_state(),
            "torch_rng": torch.get_rng_state(),
        }

    def restore_networks(self) -> None:
        """Loads the checkpoint's weights, or the initial weights asked for (before the
        optimizers are built)."""
        if self.resume_state is None:
            if self.initial_weights is not None:
                self._load_initial_weights()
            return
        saved = self.resume_state["networks"]
        missing = sorted(set(self.networks) - set(saved))
        if missing:
            raise TrainingError(f"the checkpoint has no weights for network '{missing[0]}'",
                                "Resume from a checkpoint of this same graph.")
        for name, network in self.networks.items():
            try:
                network.load_state_dict(saved[name])
            except RuntimeError as error:
                raise TrainingError(
                    f"the checkpoint does not fit network '{name}': "
                    + str(error).splitlines()[0],
                    "Resume from a checkpoint of this same graph.") from error

    def _load_initial_weights(self) -> None:
        from netbuilder.compile.weights import load_weights
        from netbuilder.core.errors import GraphFileError

        for name, network in self.networks.items():
            try:
                load_weights(network, self.initial_weights, name)
            except GraphFileError as error:
                raise TrainingError(str(error), "Load weights trained for this same graph, "
                                    "or train from fresh weights.") from error

    def restore_progress(self) -> None:
        """Epoch count, learning rate and RNG states from the checkpoint (after set-up)."""
        state = self.resume_state
        if state is None:
            return
        self.start_epoch = int(state["epoch"])
        self.base_lr = float(state.get("base_lr", self.base_lr))
        with checkpoint_fit("this run's random generators"):
            if "shuffle_rng" in state:
                self.shuffle.set_state(state["shuffle_rng"])
            if "torch_rng" in state:
                torch.set_rng_state(state["torch_rng"])

    def saved_optimizer(self, name: str) -> dict[str, Any] | None:
        """The checkpoint's state for optimizer ``name``, if resuming."""
        if self.resume_state is None:
            return None
        return self.resume_state.get("optimizers", {}).get(name)
