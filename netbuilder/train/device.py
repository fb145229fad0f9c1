"""Picks the torch device that a ``device`` setting names."""

from __future__ import annotations

import torch


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> cuda if present, then mps, then cpu; other names are taken as they are.

    Raises:
        RuntimeError: a named accelerator is not available here.
    """
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but no CUDA GPU is available")
    if name == "mps" and not _mps_available():
        raise RuntimeError("device 'mps' was asked for but Apple's MPS is not available")
    return torch.device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
