"""Picks the torch device that a ``device`` setting names."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


@contextlib.contextmanager
def float32_matmuls(tf32: bool) -> Iterator[None]:
    """TensorFloat-32 matrix products (and convolutions) while the block runs, when asked.

    The switches are the process's own, so they are put back afterwards: another run in the
    same process (the app's next Train) gets its own setting. A CUDA graph captured inside
    keeps the kernels chosen at capture. On the CPU nothing changes.
    """
    if not tf32:
        yield
        return
    precision = torch.get_float32_matmul_precision()
    cudnn = torch.backends.cudnn.allow_tf32
    torch.set_float32_matmul_precision("high")
    torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(precision)
        torch.backends.cudnn.allow_tf32 = cudnn
