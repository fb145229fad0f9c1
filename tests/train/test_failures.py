"""Failed events say what fits the failure: shape advice for shape errors only."""

from __future__ import annotations

import pickle

import pytest
import torch

from netbuilder.compile.weights import load_failure
from netbuilder.train import supervised
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import Failed
from netbuilder.train.failures import (
    BUG_ADVICE,
    DEVICE_ADVICE,
    DTYPE_ADVICE,
    SHAPE_ADVICE,
    describe_failure,
    first_line,
)
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss


@pytest.mark.parametrize(("error", "advice"), [
    (RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x3 and 5x2)"), SHAPE_ADVICE),
    (RuntimeError("The size of tensor a (3) must match the size of tensor b (4) at "
                  "non-singleton dimension 1"), SHAPE_ADVICE),
    (ValueError("Expected input batch_size (4) to match target batch_size (8)."),
     SHAPE_ADVICE),
    (RuntimeError("expected scalar type Long but found Float"), DTYPE_ADVICE),
    (RuntimeError("CUDA error: an illegal memory access was encountered"), DEVICE_ADVICE),
    (RuntimeError("the optimizer's state is gone"), BUG_ADVICE),
    (ValueError("can't optimize a non-leaf Tensor"), BUG_ADVICE),
])
def test_advice_fits_the_error(error: Exception, advice: str) -> None:
    message, given, _kind = describe_failure(error)
    assert given == advice
    assert message.startswith(type(error).__name__ + ": ")


def test_a_long_error_is_cut_between_words_and_says_so() -> None:
    text = first_line(RuntimeError("word " * 200 + "\nsecond line"))
    assert len(text) <= 310 and text.endswith(" ...") and "word wor ..." not in text
    assert "second line" not in text


def test_an_unrelated_failure_in_a_run_gets_no_shape_advice(monkeypatch) -> None:
    def broken(*_args: object) -> object:
        def step(_rows: torch.Tensor) -> None:
            raise RuntimeError("the step broke for a reason of its own")
        return step

    monkeypatch.setattr(supervised, "eager_step", broken)
    y = torch.tensor([0, 1, 2, 0])
    data = Dataset("d", DataSplit(torch.zeros(4, 1, 4, 4), y))
    settings = TrainingSettings(batch_size=2, epochs=1, device="cpu")
    events = list(train(classifier_with_loss(), data, settings))
    failed = events[-1]
    assert isinstance(failed, Failed) and "reason of its own" in failed.message
    assert failed.advice == BUG_ADVICE and "shape" not in failed.advice


class Thing:
    """Any class: torch.load(weights_only=True) refuses every object that is not weights."""


def test_torchs_weights_only_refusal_is_said_in_our_words(tmp_path) -> None:
    path = tmp_path / "thing.pt"
    torch.save(Thing(), path)
    with pytest.raises(pickle.UnpicklingError) as caught:
        torch.load(path, weights_only=True)
    reason = load_failure(caught.value)
    assert "Thing" in reason and "run code" in reason
    assert "weights_only" not in reason and "\n" not in reason and "\x1b" not in reason
