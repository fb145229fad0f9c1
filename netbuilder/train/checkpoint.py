"""Checkpoints: the networks' weights + optimizer states + epoch + RNG states, saved atomically.

Loaded with ``torch.load(weights_only=True)``: a checkpoint file can never run code.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Writes ``state`` to a temporary file in the same folder, fsyncs it, renames it over."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Reads a checkpoint onto the CPU (tensors, numbers, lists and dicts only)."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if (not isinstance(state, dict) or not isinstance(state.get("networks"), dict)
            or "epoch" not in state):
        raise ValueError(f"{path}: not a netbuilder training checkpoint")
    return state
