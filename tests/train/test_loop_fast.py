"""The CUDA-graph fast path: when it is tried, and why not (decided on the CPU)."""

from __future__ import annotations

import pytest
import torch

from netbuilder.train.fast import WARMUP_STEPS, fast_path_reason
from netbuilder.train.settings import TrainingSettings

CUDA = torch.device("cuda")
BASE = TrainingSettings(recipe="classification", optimizer="adam", batch_size=128)


def test_taken_on_cuda_with_static_shapes_and_a_capturable_optimizer() -> None:
    assert fast_path_reason(CUDA, BASE, 48_000) is None
    assert fast_path_reason(CUDA, BASE.with_changes(optimizer="adamw"), 1280) is None
    assert fast_path_reason(CUDA, BASE.with_changes(optimizer="rmsprop"), 1280) is None


@pytest.mark.parametrize(("device", "changes", "samples", "words"), [
    (torch.device("cpu"), {}, 48_000, "cpu"),
    (torch.device("mps"), {}, 48_000, "mps"),
    (CUDA, {"recipe": "perceptron", "optimizer": "sgd"}, 48_000, "perceptron"),
    (CUDA, {"optimizer": "sgd"}, 48_000, "sgd"),
    (CUDA, {}, 1000, "partial batch"),
    (CUDA, {}, 128 * WARMUP_STEPS, "too few"),
])
def test_falls_back_with_a_reason(device: torch.device, changes: dict, samples: int,
                                  words: str) -> None:
    reason = fast_path_reason(device, BASE.with_changes(**changes), samples)
    assert reason is not None and words in reason


def test_drop_last_allows_capture_with_a_remainder() -> None:
    assert fast_path_reason(CUDA, BASE.with_changes(drop_last=True), 1000) is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_captured_step_trains_like_eager() -> None:
    from netbuilder.train.events import EpochEnd, Finished, Started
    from netbuilder.train.loop import train
    from tests.train.test_loop import Data, blobs, classifier_with_loss

    data = Data("blobs", blobs(1024), test=blobs(256, seed=1))
    settings = TrainingSettings(optimizer="adam", lr=0.01, batch_size=64, epochs=3,
                                device="cuda", seed=0)
    events = list(train(classifier_with_loss(), data, settings))
    assert isinstance(events[0], Started) and events[0].fast_path == "cuda_graph", events[0]
    eager = list(train(classifier_with_loss(), data, settings.with_changes(optimizer="sgd")))
    assert eager[0].fast_path == "eager"
    assert isinstance(events[-1], Finished) and events[-1].test_accuracy > 0.8
    losses = [e.loss for e in events if isinstance(e, EpochEnd)]
    assert losses[-1] < losses[0]
