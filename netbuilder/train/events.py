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
    """A periodic report (about every 100 ms, and at every epoch end): the steps since the
    previous report.

    Attributes:
        epoch: the epoch the steps belong to (1-based).
        step: the run's step count after the last of them.
        loss: their mean loss per sample.
        samples_per_s: samples trained per second since the previous report.
        lr: the learning rate they used.
        parts: the named terms behind ``loss`` when there are several: each loss block of a
            network with more than one (a VAE's reconstruction and KL), or a GAN's ``d_loss``
            and ``g_loss`` (whose ``loss`` is the generator's).
        step_losses: every one of those steps' losses, float32 of shape (steps, 1 + parts):
            column 0 the trained loss, then the parts in order; row k is step
            ``step - len + 1 + k``. Together the Metrics events hold every step of the run.
        samples: the samples those steps trained on.
    """

    epoch: int
    step: int
    loss: float
    samples_per_s: float
    lr: float
    parts: dict[str, float] = field(default_factory=dict)
    step_losses: Any = None
    samples: int = 0

    @property
    def first_step(self) -> int:
        """The step number of ``step_losses``'s first row."""
        rows = 0 if self.step_losses is None else len(self.step_losses)
        return self.step - rows + 1


@dataclass(frozen=True)
class EpochEnd:
    """An epoch finished; validation figures are None without a validation split.

    ``step`` is the run's step count at the end of the epoch.
    """

    epoch: int
    loss: float
    val_loss: float | None
    val_accuracy: float | None
    samples_per_s: float
    parts: dict[str, float] = field(default_factory=dict)
    step: int = 0


@dataclass(frozen=True)
class Probe:
    """What the network does inside, on a few fixed probe samples (all numpy arrays).

    Only the blocks the probe was asked for (``TrainingControl.set_probe``; every block by
    default) have outputs and histograms here; ``ranges`` covers every block.

    Attributes:
        activations: block name -> its output for the chosen probe sample (float32; large
            outputs are cut to their first ``probe.MAX_VALUES`` values along the first axis).
        activation_histograms: block name -> (counts, bin edges) over the whole probe batch.
        gradient_histograms: parameter name -> (counts, bin edges) of its latest gradient.
        weight_histograms: parameter name -> (counts, bin edges) of its values.
        attention: attention block name -> its weights for the chosen sample, (heads, query
            steps, context steps); each row sums to 1 (the probe runs in eval mode).
        hidden_states: recurrent block name -> every step's hidden state for the chosen sample
            (steps, units x directions), also when the block returns only the last one.
        ranges: block name -> (lowest, highest) value of its output for the chosen sample,
            for every block with a picture-like output (a network-wide colour scale); a
            block whose output holds a NaN or an infinity is left out.
        kinds: block name -> how to draw its output: "maps" (channels, height, width),
            "vector", "sequence" (steps, features), "attention", "recurrent" or "values".
        blocks: every block of the probed network, in graph order.
        sample: the chosen probe sample (0-based).
        labels: the probe samples' targets (class ids as int64, or values); None without.
        predictions: the model's prediction for each probe sample (class ids when it
            classifies, else its first output value); None without.
        inputs: the chosen sample as the model reads it; None without.
    """

    epoch: int
    step: int
    activations: dict[str, Any] = field(default_factory=dict)
    activation_histograms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    gradient_histograms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    weight_histograms: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    attention: dict[str, Any] = field(default_factory=dict)
    hidden_states: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    blocks: tuple[str, ...] = ()
    sample: int = 0
    labels: Any = None
    predictions: Any = None
    inputs: Any = None


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
class Results:
    """What a recipe's results view shows, computed on the run's current weights (numpy data).

    With results asked for (``train(results_interval=...)``), the loop sends one at most every
    ``results_interval`` seconds from the first steps on, so a view fills in during the first
    epoch, and one at epoch ends (``final``). Each field is set where ``kind`` has it
    (``netbuilder.train.results`` describes the kinds); the rest stay None.

    Attributes:
        kind: the recipe's results kind (``Recipe.results``).
        final: taken at an epoch end (else mid-epoch).
        split: the samples evaluated: "validation" or "train".
        classes: the class names (classification).
        confusion: (C, C) int64 counts over the whole split, rows the true class.
        true: the split's first samples' targets: (N,) int64 class ids, or (N, k) float32
            values (regression).
        predicted: the model's answers for the same samples, shaped as ``true``.
        margin: (N,) float32, how far the true class's score is below the predicted one's
            (0 where right): the largest are the worst mistakes.
        samples: the same samples as pictures, float32 (N, C, H, W) in [0, 1]; sent in the
            run's first Results only (they do not change).
        sample_text: the same samples as short text where they are not pictures (first only).
        boundary: (H, W) float32, the model's answer over a grid of a 2-D input plane (the
            class id for a classifier, else its output); ``extent`` (x0, x1, y0, y1).
        points: (N, 2) float32 data points over the plane; ``point_labels`` their (N,) targets.
        text: a sample of generated text (``text_from`` says how it was made).
        images: named float32 (N, C, H, W) pictures in [0, 1] (GAN "fixed noise"; VAE
            "inputs", "reconstructions", "prior", "walk").
        walk_dims: the two latent dimensions the VAE's "walk" varies, and its side length.
    """

    kind: str
    epoch: int
    step: int
    final: bool = False
    split: str = ""
    classes: tuple[str, ...] = ()
    confusion: Any = None
    true: Any = None
    predicted: Any = None
    margin: Any = None
    samples: Any = None
    sample_text: tuple[str, ...] | None = None
    boundary: Any = None
    extent: tuple[float, float, float, float] | None = None
    points: Any = None
    point_labels: Any = None
    text: str | None = None
    text_from: str = ""
    images: dict[str, Any] = field(default_factory=dict)
    walk_dims: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class TextReply:
    """Text a language model wrote on request (``TrainingControl.request_text``), from the
    run's latest weights; ``error`` says why there is none."""

    request: int
    prompt: str
    temperature: float
    text: str | None = None
    error: str | None = None


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
    """Training could not go on; ``advice`` says what the user can change.

    ``kind`` says what happened: "not_finite" (a NaN or infinite loss), "diverged" (the loss
    saturated or ended higher than it started), "out_of_memory", "input" (the graph, the
    settings or the data do not fit) or "error".
    """

    message: str
    advice: str
    kind: str = "error"


Event = (Started | Metrics | EpochEnd | Probe | Samples | Finished | Failed | Results
         | TextReply)
