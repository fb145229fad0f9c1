"""The one place the training loop reads device values back to the host.

Every call is one device sync; the loop calls it about every 100 ms and at epoch ends, never per
step. Tests count calls here (and to ``torch.Tensor.item``) to prove it.
"""

from __future__ import annotations

import torch


def to_host(values: torch.Tensor) -> list[float]:
    """A 1-D tensor's values as Python floats (one sync)."""
    return [float(v) for v in values.detach().float().cpu().tolist()]
