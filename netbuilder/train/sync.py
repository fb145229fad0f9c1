"""The one place the training loop reads device values back to the host.

Every call is one device sync; the loop calls it about every 100 ms and at epoch ends, never per
step. Tests count calls here (and to ``torch.Tensor.item``) to prove it.
"""

from __future__ import annotations

import numpy as np
import torch


def to_host(values: torch.Tensor) -> np.ndarray:
    """A tensor's values as a flat float64 numpy array (one sync)."""
    return values.detach().reshape(-1).to(torch.float64).cpu().numpy()
