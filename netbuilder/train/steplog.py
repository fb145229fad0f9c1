"""Every step's losses, written on the device and read back with the periodic report.

A step appends its loss vector (the trained loss, then each named part) to a preallocated
device buffer at a device-side position, with ``index_copy_`` and an in-place increment: no
host value is involved, so the same two operations run in eager steps and inside a captured
CUDA graph, and nothing syncs. The loop knows on the host how many steps it ran since the last
read, reads that many rows with its periodic report (the same single transfer as the loss
sums) and rewinds the position. It reads early when the buffer is full, so no step is lost.
"""

from __future__ import annotations

import torch

#: Rows of the buffer: steps between two reads at most. 8192 steps x a few losses x 4 bytes.
CAPACITY = 8192


class StepLog:
    """A device buffer of per-step loss vectors.

    Args:
        width: values per step (1 + the number of loss parts).
        device: where the steps run.
        capacity: steps it holds between two reads (default :data:`CAPACITY`).
    """

    def __init__(self, width: int, device: torch.device, capacity: int | None = None) -> None:
        capacity = CAPACITY if capacity is None else capacity
        self.width, self.capacity = width, capacity
        self.buffer = torch.zeros((capacity, width), dtype=torch.float32, device=device)
        self.position = torch.zeros(1, dtype=torch.int64, device=device)

    def write(self, losses: torch.Tensor) -> None:
        """Appends one step's loss vector (capturable: device operations only)."""
        self.buffer.index_copy_(0, self.position, losses.detach().float().reshape(1, -1))
        self.position.add_(1)

    def rows(self, count: int) -> torch.Tensor:
        """The first ``count`` rows written since the last rewind (still on the device)."""
        return self.buffer[:count]

    def rewind(self) -> None:
        """Starts over at row 0 (in place: a captured graph keeps pointing at it)."""
        self.position.zero_()
