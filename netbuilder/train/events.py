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
    """A periodic report (about every 100 ms): mean loss since the previous report.

    ``parts`` holds the named terms behind ``loss`` when there are several: each loss block of
    a network with more than one (a VAE's reconstruction and KL), or a GAN's ``d_loss`` and
    ``g_loss`` (whose ``loss`` is the generator's).
    """

    epoch: int
    step: int
    loss: float
    samples_per_s: float
    lr: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished; validation figures are None without a validation split."""

    epoch: int
    loss: float
    val_loss: float | None
    val_accuracy: float | None
    samples_per_s: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Probe:
    """What the network does inside, on a few fixed probe samples (all numpy arrays).

    Attributes:
        activations: block name -> its output for the first probe sample (float32; large
            outputs are cut to their first ``probe.MAX_VALUES`` values along the first axis).
        activation_histograms: block name -> (counts, bin edges) over the whole probe batch.
        gradient_histograms: parameter name -> (counts, bin edges) of its latest gradient.
    """

    epoch: int
    step: int
    activations: dict[str, Any] = field(default_factory=dict)
    activation_histograms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    gradient_histograms: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Samples:
    """What a generative recipe makes at an epoch end.

    Attributes:
        kind: "text" (``text`` is set) or "images" (``images`` is set).
        label: what the samples are, e.g. "greedy from 'h'", "fixed noise", "prior".
        text: generated text.
        images: float32 numpy array (N, C, H, W) with values in [0, 1].
    """

    epoch: int
    kind: str
    label: str
    text: str | None = None
    images: Any = None


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


Event = Started | Metrics | EpochEnd | Probe | Samples | Finished | Failed
