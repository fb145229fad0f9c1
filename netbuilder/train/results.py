"""Results views' data: the kinds a recipe names, when the loop takes them, what a run keeps.

Each recipe class names its results kind (``Recipe.results``); the app maps the kind to one
view class (``netbuilder/ui/training/results``). The kinds and what their Results events hold:

- ``classification``: the confusion matrix over the validation split (train without one),
  the first samples' true and predicted classes with the margin of each mistake, and the
  samples themselves (pictures, or short text for sequences) once per run; on 2-D inputs
  the decision regions over the plane too.
- ``regression``: predicted against true values of the split's first samples.
- ``boundary``: the decision boundary over the 2-D input plane with the data points (the
  perceptron; classifiers of 2-D data show it beside their confusion matrix).
- ``text``: a sample of generated text; the view asks for more with a prompt.
- ``gan``: a grid of images from fixed noise; one kept per epoch for the epoch slider.
- ``vae``: inputs beside their reconstructions, samples from the prior, and a walk across
  the two most used latent dimensions.

This module is plain Python and numpy (the record imports it); ``results_eval`` computes the
events on the device.
"""

from __future__ import annotations

import math
from typing import Any

from netbuilder.train.events import Results

CLASSIFICATION = "classification"
REGRESSION = "regression"
BOUNDARY = "boundary"
TEXT = "text"
GAN = "gan"
VAE = "vae"
KINDS = (CLASSIFICATION, REGRESSION, BOUNDARY, TEXT, GAN, VAE)

#: Seconds between mid-epoch Results the app asks for (the views draw at most this often).
RESULTS_INTERVAL_S = 1.0
#: The most of the run's time the mid-epoch Results may take: slow ones are spaced out more.
MAX_SHARE = 0.02
#: Epoch ends closer together than this send no Results (a tiny data set's epoch may take a
#: millisecond); the last epoch's always goes.
MIN_EPOCH_GAP_S = 0.2
#: Samples of a split whose answers (and pictures) a Results event carries.
MAX_SAMPLES = 2048
#: Epochs whose GAN grids a run keeps for the slider; beyond, every other one is dropped.
MAX_EPOCH_GRIDS = 200


class ResultsCadence:
    """When the loop takes Results: mid-epoch at most every ``interval`` seconds, spaced so
    that they take at most ``MAX_SHARE`` of the time, and at epoch ends.

    Args:
        interval: the shortest gap between mid-epoch Results (seconds).
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = -math.inf
        self._last_epoch_end = -math.inf
        self._gap = interval  # grows with what the mid-epoch Results cost

    def due(self, now: float) -> bool:
        """Whether a mid-epoch Results is due at ``now`` (perf_counter seconds)."""
        return now >= self._next

    def epoch_end_due(self, now: float, last_epoch: bool) -> bool:
        return last_epoch or now - self._last_epoch_end >= MIN_EPOCH_GAP_S

    def taken(self, started: float, ended: float, epoch_end: bool = False) -> None:
        """Notes a Results that took from ``started`` to ``ended``.

        An epoch end's Results reuse the validation pass and cost little: they push the next
        mid-epoch one back by the gap the last mid-epoch one earned, never less.
        """
        if epoch_end:
            self._last_epoch_end = ended
        else:
            self._gap = max(self.interval, (ended - started) / MAX_SHARE)
        self._next = max(self._next, ended + self._gap)

    def paused(self, seconds: float) -> None:
        self._next += seconds


class ResultsLog:
    """What a run's record keeps of its Results: the latest, the samples sent once, and one
    GAN grid per epoch (bounded). Memory stays flat however long the run."""

    def __init__(self) -> None:
        self.latest: Results | None = None
        self.samples: Any = None
        self.sample_text: tuple[str, ...] | None = None
        self.epoch_images: dict[int, Any] = {}
        self.count = 0

    def write(self, event: Results) -> None:
        self.latest = event
        self.count += 1
        if event.samples is not None:
            self.samples = event.samples
        if event.sample_text is not None:
            self.sample_text = event.sample_text
        grid = event.images.get("fixed noise") if event.kind == GAN else None
        if grid is not None and event.final:
            self.epoch_images[event.epoch] = grid
            if len(self.epoch_images) > MAX_EPOCH_GRIDS:
                self._decimate()

    def _decimate(self) -> None:
        """Drops every other epoch's grid, keeping the first and the latest."""
        epochs = sorted(self.epoch_images)
        keep = set(epochs[::2]) | {epochs[0], epochs[-1]}
        self.epoch_images = {e: self.epoch_images[e] for e in epochs if e in keep}
