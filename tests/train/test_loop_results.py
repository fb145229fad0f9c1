"""The example networks learn what their tutorials promise (small CPU budgets, fixed seeds)."""

from __future__ import annotations

import pytest
import torch

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train.data import load_dataset
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import EpochEnd, Finished, Started
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings

# The data package's own classes, under the short names these tests use.
Split = DataSplit
Data = Dataset


def example(name: str, **changes: object) -> tuple[netbuilder.Document, TrainingSettings]:
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", **changes)
    return doc, settings


def test_perceptron_separates_a_separable_set() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(200, 2, generator=g) * 4 - 2
    margin = x[:, 0] + 0.5 * x[:, 1] - 0.3
    x = x[margin.abs() > 0.2]  # a clear margin: the perceptron theorem bounds the mistakes
    y = (x[:, 0] + 0.5 * x[:, 1] - 0.3 > 0).float()
    doc, settings = example("perceptron", seed=1)
    assert settings.recipe == "perceptron" and settings.batch_size == 1
    events = list(train(doc, Data("points", Split(x, y), test=Split(x, y)), settings))
    finished = events[-1]
    assert isinstance(finished, Finished)
    assert finished.test_accuracy == 1.0 and finished.metrics["train_accuracy"] == 1.0
    errors = [e.loss for e in events if isinstance(e, EpochEnd)]
    assert errors[-1] == 0.0 and errors[0] > 0.0


def test_regression_mlp_mse_falls_tenfold() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(100, 10, generator=g)
    y = x @ torch.randn(10, 1, generator=g)
    doc, settings = example("regression_mlp", seed=0)
    assert (settings.batch_size, settings.epochs, settings.optimizer) == (10, 100, "adam")
    events = list(train(doc, Data("rows", Split(x, y), test=Split(x, y)), settings))
    losses = [e.loss for e in events if isinstance(e, EpochEnd)]
    assert len(losses) == 100
    assert losses[-1] < losses[0] / 10
    assert events[-1].test_loss < losses[0] / 10


def synthetic_digits(count: int, seed: int) -> Split:
    """28x28 images of 10 classes: class k is a bright 6x6 square at a class-given place."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 10, (count,), generator=g)
    x = torch.rand(count, 1, 28, 28, generator=g) * 0.2
    for k in range(10):
        row, col = 2 + (k // 5) * 12, 1 + (k % 5) * 5
        x[y == k, 0, row:row + 6, col:col + 4] += 0.8
    return Split(x, y)


def test_mnist_cnn_learns_synthetic_images() -> None:
    doc, settings = example("mnist_cnn", epochs=2, batch_size=32, seed=0)
    data = Data("squares", synthetic_digits(320, 0), test=synthetic_digits(100, 1),
                classes=[str(k) for k in range(10)])
    events = list(train(doc, data, settings))
    assert isinstance(events[0], Started)
    finished = events[-1]
    assert isinstance(finished, Finished), finished
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert ends[-1].val_accuracy is not None  # validation_split 0.2 from the example
    assert finished.test_accuracy >= 0.9
    assert len(finished.metrics["confusion_matrix"]) == 10


@pytest.mark.slow
def test_mnist_cnn_reaches_95_percent_on_digits_at_its_own_settings() -> None:
    doc, settings = example("mnist_cnn", seed=0)
    assert (settings.batch_size, settings.lr, settings.epochs, settings.optimizer,
            settings.validation_split) == (128, 0.001, 10, "adam", 0.2)
    events = list(train(doc, load_dataset("digits"), settings))
    finished = events[-1]
    assert isinstance(finished, Finished), finished
    val_accuracy = [e.val_accuracy for e in events if isinstance(e, EpochEnd)]
    assert len(val_accuracy) == 10
    assert max(val_accuracy) >= 0.95, val_accuracy
    assert finished.test_accuracy >= 0.93
