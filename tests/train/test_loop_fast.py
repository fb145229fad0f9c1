"""The CUDA-graph fast path: when it is tried and why not (decided on the CPU), and on a GPU that
the captured step trains exactly as the eager step does.

The CUDA tests are skipped without a GPU; tests/benchmarks/gpu_check.sh runs them on one.
Tolerance of "exactly": every step's loss within 1e-4 relative (+1e-6 absolute) of the eager
run's. Both runs start from the same weights and see the same batches; what differs is
capturable Adam's arithmetic on device tensors (bias corrections, a tensor learning rate),
which moves the losses by float32 rounding, not by a step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.resources import example_path
from netbuilder.train import fast, supervised
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import EpochEnd, Event, Failed, Finished, Metrics, Started
from netbuilder.train.fast import WARMUP_STEPS, fast_path_reason
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss, mlp_document

CUDA = torch.device("cuda")
BASE = TrainingSettings(recipe="classification", optimizer="adam", batch_size=128)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
#: Each step's loss, captured against eager (see the module's docstring).
RTOL, ATOL = 1e-4, 1e-6


def test_taken_on_cuda_with_static_shapes_and_a_capturable_optimizer() -> None:
    assert fast_path_reason(CUDA, BASE, 48_000) is None
    assert fast_path_reason(CUDA, BASE.with_changes(optimizer="adamw"), 1280) is None
    assert fast_path_reason(CUDA, BASE.with_changes(optimizer="rmsprop"), 1280) is None


@pytest.mark.parametrize(("device", "changes", "samples", "words"), [
    (torch.device("cpu"), {}, 48_000, "cpu"),
    (torch.device("mps"), {}, 48_000, "mps"),
    (CUDA, {"recipe": "perceptron", "optimizer": "sgd"}, 48_000, "perceptron"),
    (CUDA, {"recipe": "gan"}, 48_000, "GAN"),
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


def test_out_of_memory_while_capturing_fails_the_run_with_advice(monkeypatch) -> None:
    """Not a fallback: the eager step needs the same memory (decided here with a stand-in)."""
    def exhausted(*_args: object, **_kwargs: object) -> object:
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")

    monkeypatch.setattr(fast, "fast_path_reason", lambda *_args: None)
    monkeypatch.setattr(fast, "CudaGraphStep", exhausted)
    events = list(train(classifier_with_loss(), _blobs(256), _settings(device="cpu")))
    assert isinstance(events[-1], Failed), events[-1]
    assert "out of GPU memory" in events[-1].message and "smaller batch" in events[-1].advice


def test_a_failed_capture_falls_back_to_eager_saying_why(monkeypatch) -> None:
    def refused(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("operation not permitted when stream is capturing\nmore")

    monkeypatch.setattr(fast, "fast_path_reason", lambda *_args: None)
    monkeypatch.setattr(fast, "CudaGraphStep", refused)
    events = list(train(classifier_with_loss(), _blobs(256), _settings(device="cpu")))
    started = events[0]
    assert isinstance(started, Started) and started.fast_path == "eager"
    assert started.fallback_reason == ("capturing the step failed (operation not permitted "
                                       "when stream is capturing)")
    assert isinstance(events[-1], Finished), events[-1]


def test_tf32_is_the_runs_own_and_put_back_after_it(monkeypatch) -> None:
    seen: list[str] = []
    make_step = supervised.eager_step

    def watched_step(*args: Any, **kwargs: Any) -> Callable[[torch.Tensor], None]:
        inner = make_step(*args, **kwargs)

        def step(index: torch.Tensor) -> None:
            seen.append(torch.get_float32_matmul_precision())
            inner(index)
        return step

    before = torch.get_float32_matmul_precision()
    monkeypatch.setattr(supervised, "eager_step", watched_step)
    events = list(train(classifier_with_loss(), _blobs(256),
                        _settings(device="cpu", tf32=True, epochs=1)))
    assert isinstance(events[-1], Finished)
    assert set(seen) == {"high"} and torch.get_float32_matmul_precision() == before


# ---------------------------------------------------------------------------------------------
# On a GPU
def _blobs(count: int, seed: int = 0) -> Dataset:
    """Three classes of 1x4x4 images (class k lights up row k); a test split beside."""
    def split(n: int, s: int) -> DataSplit:
        g = torch.Generator().manual_seed(s)
        y = torch.randint(0, 3, (n,), generator=g)
        x = torch.randn(n, 1, 4, 4, generator=g) * 0.3
        x[torch.arange(n), 0, y] += 1.0
        return DataSplit(x, y)

    return Dataset("blobs", split(count, seed), test=split(256, seed + 1),
                   classes=["a", "b", "c"])


def _with_loss(doc: netbuilder.Document) -> netbuilder.Document:
    """An mlp_document with a label Input and a cross-entropy loss (as classifier_with_loss)."""
    net = GraphBuilder(doc, "model")
    label = net.add("input", shape=[], dtype="int64", name="label")
    prediction = net.graph.node_by_name("dense2")
    assert prediction is not None
    net.add("cross_entropy_loss", prediction, label)
    return doc


def _settings(**changes: object) -> TrainingSettings:
    base = TrainingSettings(optimizer="adam", lr=0.01, batch_size=64, epochs=3, device="cuda",
                            seed=0)
    return base.with_changes(**changes)


def _step_losses(events: Iterable[Event]) -> np.ndarray:
    """Every step's trained loss, in step order (the Metrics events hold every step)."""
    rows = [e.step_losses[:, 0] for e in events if isinstance(e, Metrics)
            and e.step_losses is not None]
    return np.concatenate(rows) if rows else np.zeros(0)


def _eager(monkeypatch) -> None:
    """The same settings, trained by the eager step (capturable optimizer kept out)."""
    monkeypatch.setattr(fast, "fast_path_reason", lambda *_args: "eager, for comparison")


def _train_with(doc: netbuilder.Document, data: Dataset, settings: TrainingSettings,
                on_event: Callable[[Event], None] | None = None, **kwargs: Any
                ) -> list[Event]:
    events = []
    for event in train(doc, data, settings, **kwargs):
        events.append(event)
        if on_event is not None:
            on_event(event)
    return events


@needs_cuda
def test_captured_step_trains_like_eager(monkeypatch) -> None:
    data, settings = _blobs(1024), _settings()
    captured = _train_with(classifier_with_loss(), data, settings)
    assert isinstance(captured[0], Started) and captured[0].fast_path == "cuda_graph", captured[0]
    assert isinstance(captured[-1], Finished) and captured[-1].test_accuracy > 0.8
    _eager(monkeypatch)
    eager = _train_with(classifier_with_loss(), data, settings)
    assert eager[0].fast_path == "eager"
    graph_losses, eager_losses = _step_losses(captured), _step_losses(eager)
    assert len(graph_losses) == settings.epochs * (1024 // 64)  # every step, none of warm-up
    np.testing.assert_allclose(graph_losses, eager_losses, rtol=RTOL, atol=ATOL)
    assert captured[-1].test_loss == pytest.approx(eager[-1].test_loss, rel=1e-3)


@needs_cuda
@pytest.mark.parametrize("optimizer", ["adamw", "rmsprop"])
def test_every_capturable_optimizer_trains_like_eager(monkeypatch, optimizer: str) -> None:
    data, settings = _blobs(512), _settings(optimizer=optimizer, lr=0.002, weight_decay=0.01,
                                             grad_clip=1.0, epochs=2)
    captured = _train_with(classifier_with_loss(), data, settings)
    assert captured[0].fast_path == "cuda_graph", captured[0]
    _eager(monkeypatch)
    eager = _train_with(classifier_with_loss(), data, settings)
    np.testing.assert_allclose(_step_losses(captured), _step_losses(eager), rtol=RTOL,
                               atol=ATOL)


@needs_cuda
def test_learning_rate_changes_reach_the_captured_graph(monkeypatch) -> None:
    """A schedule and a change from the control, each at the same step in both runs."""
    data = _blobs(1024)
    settings = _settings(schedule="step", step_size=1, gamma=0.5, epochs=4)

    def run() -> list[Event]:
        control = TrainingControl()

        def change(event: Event) -> None:
            if isinstance(event, EpochEnd) and event.epoch == 2:
                control.set_lr(0.05)  # taken at the next step
        return _train_with(classifier_with_loss(), data, settings, change, control=control)

    captured = run()
    assert captured[0].fast_path == "cuda_graph"
    lrs = sorted({e.lr for e in captured if isinstance(e, Metrics)}, reverse=True)
    # Epochs 1, 2 at 0.01 halved each epoch; then 0.05 halved twice, then thrice.
    assert lrs == pytest.approx([0.0125, 0.01, 0.00625, 0.005])
    _eager(monkeypatch)
    eager = run()
    np.testing.assert_allclose(_step_losses(captured), _step_losses(eager), rtol=RTOL,
                               atol=ATOL)
    # Had the graph kept its first rate, the later steps would drift far beyond rounding.
    frozen = _train_with(classifier_with_loss(), data, settings.with_changes(schedule="constant"))
    assert not np.allclose(_step_losses(frozen), _step_losses(eager), rtol=1e-2)


@needs_cuda
def test_pause_stop_and_resume_from_a_checkpoint_on_the_captured_path(tmp_path: Path) -> None:
    data, settings = _blobs(1024), _settings(epochs=4)
    whole = _train_with(classifier_with_loss(), data, settings)
    path = tmp_path / "run.ckpt"
    control = TrainingControl()
    control.pause()
    threading.Timer(0.3, control.resume).start()

    def stop_after_two(event: Event) -> None:
        if isinstance(event, EpochEnd) and event.epoch == 2:
            control.stop()

    first = _train_with(classifier_with_loss(), data, settings, stop_after_two,
                        control=control, checkpoint=path, checkpoint_interval=0.0)
    assert first[0].fast_path == "cuda_graph"
    assert isinstance(first[-1], Finished) and first[-1].metrics["stopped"]
    assert first[-1].metrics["epochs_done"] == 2 and path.exists()
    rest = _train_with(classifier_with_loss(), data, settings, resume=path)
    assert rest[0].fast_path == "cuda_graph", rest[0]
    assert [e.epoch for e in rest if isinstance(e, EpochEnd)] == [3, 4]
    np.testing.assert_allclose(
        np.concatenate([_step_losses(first), _step_losses(rest)]), _step_losses(whole),
        rtol=RTOL, atol=ATOL)


@needs_cuda
def test_a_failed_capture_leaves_the_eager_fallback_the_initial_weights(monkeypatch) -> None:
    """The warm-up steps train; when capture then fails, the fallback starts afresh."""
    def refuse(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("capture refused for this test")

    data, settings = _blobs(512), _settings(epochs=2)
    monkeypatch.setattr(torch.cuda, "graph", refuse)
    fallback = _train_with(classifier_with_loss(), data, settings)
    assert fallback[0].fast_path == "eager"
    assert "capture refused for this test" in fallback[0].fallback_reason
    _eager(monkeypatch)
    eager = _train_with(classifier_with_loss(), data, settings)
    np.testing.assert_allclose(_step_losses(fallback), _step_losses(eager), rtol=RTOL,
                               atol=ATOL)


@needs_cuda
@pytest.mark.parametrize(("doc", "data", "changes", "words"), [
    (lambda: classifier_with_loss(), lambda: _blobs(1000), {}, "partial batch"),
    (lambda: classifier_with_loss(), lambda: _blobs(1024), {"optimizer": "sgd"}, "sgd"),
    (lambda: netbuilder.load(example_path("perceptron")), None, {"epochs": 1}, "perceptron"),
    (lambda: netbuilder.load(example_path("gan_mnist")), lambda: load_dataset("digits"),
     {"epochs": 1}, "GAN"),
], ids=["partial-batch", "sgd", "perceptron", "gan"])
def test_falls_back_on_the_gpu_and_still_trains(doc, data, changes: dict, words: str) -> None:
    document = doc()
    settings = (TrainingSettings.from_doc(document).with_changes(device="cuda", **changes)
                if data is None or words == "GAN" else _settings(**changes))
    dataset = load_dataset(settings.dataset) if data is None else data()
    events = _train_with(document, dataset, settings)
    assert isinstance(events[0], Started) and events[0].fast_path == "eager"
    assert words in events[0].fallback_reason
    assert isinstance(events[-1], Finished), events[-1]


@needs_cuda
def test_out_of_gpu_memory_ends_in_failed_with_advice() -> None:
    """A hidden layer of 2**20 units on 65,536 samples a batch: 256 GiB of activations."""
    doc = _with_loss(mlp_document(hidden=1 << 20))
    events = _train_with(doc, _blobs(1 << 18), _settings(batch_size=1 << 16, epochs=1))
    assert isinstance(events[-1], Failed), events[-1]
    assert events[-1].kind == "out_of_memory"
    assert "out of GPU memory" in events[-1].message and "smaller batch" in events[-1].advice
    # The memory is given back: a normal run trains right after.
    again = _train_with(classifier_with_loss(), _blobs(512), _settings(epochs=1))
    assert isinstance(again[-1], Finished), again[-1]


@needs_cuda
@pytest.mark.parametrize("changes", [{"bf16": True}, {"tf32": True}], ids=["bf16", "tf32"])
def test_captured_step_with_the_speed_settings(changes: dict) -> None:
    events = _train_with(classifier_with_loss(), _blobs(1024), _settings(**changes))
    assert events[0].fast_path == "cuda_graph", events[0]
    assert isinstance(events[-1], Finished) and events[-1].test_accuracy > 0.8


@needs_cuda
def test_channels_last_captures_an_image_model() -> None:
    doc = netbuilder.load(example_path("mnist_cnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(
        device="cuda", channels_last=True, bf16=True, epochs=1, batch_size=128,
        drop_last=True)
    data = load_dataset("digits")
    events = _train_with(doc, data, settings)
    assert events[0].fast_path == "cuda_graph", events[0]
    assert isinstance(events[-1], Finished), events[-1]


def test_torch_compile_compiles_the_train_step_only(monkeypatch) -> None:
    """The step's forward goes through torch.compile's module; evaluation keeps the plain one.

    (A stand-in compile here: inductor on the CPU takes minutes; gpu_check compiles for real.)
    """
    compiled_calls: list[int] = []

    class Counted(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def __getattr__(self, name: str) -> Any:
            try:
                return super().__getattr__(name)
            except AttributeError:
                return getattr(self.model, name)

        def forward(self, *args: torch.Tensor) -> Any:
            compiled_calls.append(args[0].shape[0])
            return self.model(*args)

    monkeypatch.setattr(torch, "compile", Counted)
    settings = _settings(device="cpu", torch_compile=True, epochs=1, batch_size=32)
    events = list(train(classifier_with_loss(), _blobs(256), settings))
    assert isinstance(events[-1], Finished) and events[-1].test_accuracy > 0.5
    assert compiled_calls == [32] * (256 // 32)  # every step, and only the steps


@needs_cuda
def test_torch_compile_before_capture_trains() -> None:
    events = _train_with(classifier_with_loss(), _blobs(1024), _settings(torch_compile=True))
    assert events[0].fast_path == "cuda_graph", events[0]
    assert isinstance(events[-1], Finished) and events[-1].test_accuracy > 0.8
