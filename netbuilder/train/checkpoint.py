"""Checkpoints: the networks' weights + optimizer states + epoch + RNG states, saved atomically.

Loaded with ``torch.load(weights_only=True)``: a checkpoint file can never run code.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch

from netbuilder.compile.weights import WEIGHTS_FORMAT, read_torch_file
from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import GraphFileError
from netbuilder.train.failures import TrainingError


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Writes ``state`` atomically (streamed to a temporary file beside ``path``, renamed over).

    Missing folders are made. The previous checkpoint stays whole until the new one is.

    Raises:
        TrainingError: the file cannot be written (a full disk, a folder without permission);
            the run ends with that message instead of a traceback.
    """
    try:
        write_atomic(path, lambda stream: torch.save(state, stream), make_parents=True)
    except GraphFileError as error:
        raise TrainingError(f"the checkpoint {error}",
                            "Free some disk space, or save checkpoints to a folder that can "
                            "be written.") from None


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a checkpoint onto the CPU (tensors, numbers, lists and dicts only).

    Raises:
        GraphFileError: the path is not a regular file (a FIFO would read forever), is too
            large, or does not hold a netbuilder training checkpoint.
    """
    state = read_torch_file(Path(path), "checkpoint")
    if isinstance(state, dict) and state.get("format") == WEIGHTS_FORMAT:
        raise GraphFileError(f"{path}: is a weights file (what train --save writes), not a "
                             "training checkpoint")
    if (not isinstance(state, dict) or not isinstance(state.get("networks"), dict)
            or "epoch" not in state):
        raise GraphFileError(f"{path}: not a netbuilder training checkpoint")
    problem = _state_problem(state)
    if problem is not None:
        # Refused here, not half-way through restoring it into the run.
        raise GraphFileError(f"{path}: not a netbuilder training checkpoint ({problem})")
    return state


def _state_problem(state: dict[str, Any]) -> str | None:
    """What in a loaded checkpoint is not as :meth:`Run.state` writes it, or None."""
    epoch = state["epoch"]
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return "'epoch' is not a count of epochs"
    for name, weights in state["networks"].items():
        if not isinstance(weights, dict) or not all(
                isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()):
            return f"the weights of network {name!r} are not tensors by name"
    optimizers = state.get("optimizers", {})
    if not isinstance(optimizers, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("param_groups", []), list)
            and isinstance(v.get("state", {}), dict) for v in optimizers.values()):
        return "'optimizers' is not a set of optimizer states"
    base_lr = state.get("base_lr", 1.0)
    if (not isinstance(base_lr, (int, float)) or isinstance(base_lr, bool)
            or not math.isfinite(base_lr) or base_lr <= 0):
        return "'base_lr' is not a positive learning rate"
    for key in ("shuffle_rng", "torch_rng"):
        rng = state.get(key)
        if rng is not None and not (isinstance(rng, torch.Tensor) and rng.dtype == torch.uint8
                                    and rng.ndim == 1):
            return f"{key!r} is not a random generator's state"
    return None
