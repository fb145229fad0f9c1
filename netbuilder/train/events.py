"""Events the training loop yields: small frozen records of plain Python/numpy data.

No tensors or modules travel in an event, so a Qt adapter can forward them across threads as
they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Started:
    """Training begins.

    Attributes:
        fast_path: "cuda_graph" when the whole step is one captured CUDA graph, else "eager".
        fallback_reason: why the CUDA-graph path was not taken (on the CPU too, where it
            says so); None when it was.
    """

    total_epochs: int
    steps_per_epoch: int
    device: str
    fast_path: str
    fallback_reason: str | None = None


@dataclass(frozen=True)
class Metrics:
    """A periodic report (about every 100 ms): mean loss since the previous report."""

    epoch: int
    step: int
    loss: float
    samples_per_s: float
    lr: float


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished; validation figures are None without a validation split."""

    epoch: int
    loss: float
    val_loss: float | None
    val_accuracy: float | None
    samples_per_s: float


@dataclass(frozen=True)
class Probe:
    """Reserved: activations of a probe sample (name -> numpy array)."""

    epoch: int
    step: int
    activations: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finished:
    """Training ended normally or was stopped (``metrics["stopped"]``).

    ``metrics`` holds plain values: final train/val figures, a classification's
    ``confusion_matrix`` (nested lists, rows = true class), ``epochs_done``.
    """

    metrics: dict[str, Any]
    test_loss: float | None
    test_accuracy: float | None


@dataclass(frozen=True)
class Failed:
    """Training could not go on; ``advice`` says what the user can change."""

    message: str
    advice: str


Event = Started | Metrics | EpochEnd | Probe | Finished | Failed
