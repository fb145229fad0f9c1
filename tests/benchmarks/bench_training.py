"""Training throughput: netbuilder's engine vs the tutorial loop, same model and data.

Run by hand: ``PYTHONPATH=. python tests/benchmarks/bench_training.py [--device cpu|cuda]
[--batch-size B]`` (or ``pytest tests/benchmarks/bench_training.py -s``). The tutorial loop is
the one beginner courses teach: a shuffling DataLoader, ``.to(device)`` per batch and
``loss.item()`` per step. Prints samples/s for both and the ratio (engine / tutorial); on the
CPU the engine must not be slower (ratio >= ~1). Models: mnist_cnn, regression_mlp, char_lstm,
transformer_classifier, on random data of their Input shapes.
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

import netbuilder
from netbuilder.compile import compile_network
from netbuilder.resources import example_path
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import EpochEnd, Failed, Started
from netbuilder.train.loop import train
from netbuilder.train.optim import make_optimizer
from netbuilder.train.settings import TrainingSettings


def _one_hot_windows(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """char_lstm's input: (10, 8) one-hot windows and the next character."""
    ids = torch.randint(0, 8, (n, 10), generator=g)
    return torch.nn.functional.one_hot(ids, 8).float(), torch.randint(0, 8, (n,), generator=g)


CASES = {
    # name: (samples, epochs, make data)
    "mnist_cnn": (4096, 2, lambda g, n: (torch.rand(n, 1, 28, 28, generator=g),
                                         torch.randint(0, 10, (n,), generator=g))),
    "regression_mlp": (1000, 20, lambda g, n: (torch.randn(n, 10, generator=g),
                                               torch.randn(n, 1, generator=g))),
    "char_lstm": (4096, 2, _one_hot_windows),
    "transformer_classifier": (4096, 2, lambda g, n: (torch.randint(0, 16, (n, 16), generator=g),
                                                      torch.randint(0, 2, (n,), generator=g))),
}


def _settings(name: str, batch_size: int | None) -> tuple[netbuilder.Document, TrainingSettings]:
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc).with_changes(recipe="classification")
    if name == "regression_mlp":
        settings = settings.with_changes(recipe="regression")
    if batch_size is not None:
        settings = settings.with_changes(batch_size=batch_size)
    return doc, settings


def engine_rate(name: str, device: str, batch_size: int | None = None) -> tuple[float, str]:
    """Samples/s of netbuilder's engine (mean over epochs after the first)."""
    samples, epochs, make = CASES[name]
    x, y = make(torch.Generator().manual_seed(0), samples)
    doc, settings = _settings(name, batch_size)
    # drop_last keeps shapes static, so that a GPU can capture the step as a CUDA graph.
    settings = settings.with_changes(epochs=epochs + 1, validation_split=0.0, device=device,
                                     seed=0, drop_last=True)
    rates, path = [], ""
    for event in train(doc, Dataset("bench", DataSplit(x, y)), settings):
        if isinstance(event, Started):
            path = event.fast_path + (f" ({event.fallback_reason})"
                                      if event.fallback_reason else "")
        elif isinstance(event, EpochEnd) and event.epoch > 1:
            rates.append(event.samples_per_s)
        elif isinstance(event, Failed):
            raise RuntimeError(event.message)
    return sum(rates) / len(rates), path


def tutorial_rate(name: str, device: str, batch_size: int | None = None) -> float:
    """Samples/s of the hand-written DataLoader loop (first epoch not timed)."""
    samples, epochs, make = CASES[name]
    x, y = make(torch.Generator().manual_seed(0), samples)
    doc, settings = _settings(name, batch_size)
    torch.manual_seed(0)
    model = compile_network(doc, with_losses=True).module.to(device)
    optimizer = make_optimizer(model.parameters(), settings)
    loader = DataLoader(TensorDataset(x, y), batch_size=settings.batch_size, shuffle=True)
    elapsed = 0.0
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        running = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            _, losses = model(xb, yb)
            loss = sum(losses.values())
            loss.backward()
            optimizer.step()
            running += loss.item()
        if epoch > 0:
            elapsed += time.perf_counter() - start
    return samples * epochs / elapsed


def main(device: str = "cpu", batch_size: int | None = None) -> dict[str, float]:
    ratios = {}
    for name in CASES:
        engine, path = engine_rate(name, device, batch_size)
        tutorial = tutorial_rate(name, device, batch_size)
        ratios[name] = engine / tutorial
        print(f"{name:22s} engine {engine:10.0f} samples/s [{path}]   "
              f"tutorial {tutorial:10.0f} samples/s   ratio {ratios[name]:.2f}x", flush=True)
    return ratios


def test_bench_training() -> None:
    """pytest entry point (tests/benchmarks is not collected by default)."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    ratios = main(device)
    if device == "cpu":
        # Reported, not a tight timed assert: a loaded machine adds noise either way.
        assert all(ratio > 0.8 for ratio in ratios.values()), ratios


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="instead of each example's own (the GPU table uses 128)")
    arguments = parser.parse_args()
    main(arguments.device, arguments.batch_size)
