"""Checkpoints are written through the one atomic writer: whole or not at all, never a crash."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
import torch

from netbuilder.train.checkpoint import load_checkpoint, save_checkpoint
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import Failed, Finished
from netbuilder.train.failures import TrainingError
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss

STATE = {"networks": {"model": {"w": torch.ones(2)}}, "epoch": 1}


def _no_space(*args: Any) -> Any:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_checkpoint_is_written_into_new_folders_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "today" / "run.ckpt"
    save_checkpoint(path, STATE)
    assert load_checkpoint(path)["epoch"] == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.ckpt"]


def test_a_failed_write_keeps_the_last_checkpoint_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, STATE)
    before = path.read_bytes()
    monkeypatch.setattr(os, "fsync", _no_space)
    with pytest.raises(TrainingError) as raised:
        save_checkpoint(path, {**STATE, "epoch": 2})
    monkeypatch.undo()
    assert raised.value.message == (f"the checkpoint {path}: cannot be written (No space left "
                                    "on device)")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt"]


def test_a_checkpoint_that_cannot_be_written_ends_the_run_with_a_failed_event(
        tmp_path: Path) -> None:
    """Before, the OSError escaped the engine's generator as a traceback."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the checkpoint folder belongs")
    x = torch.randn(16, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    data = Dataset("blobs", DataSplit(x, torch.arange(16) % 3), classes=["a", "b", "c"])
    settings = TrainingSettings(recipe="classification", batch_size=8, epochs=1, seed=0,
                                device="cpu", validation_split=0.0)
    events = list(train(classifier_with_loss(), data, settings,
                        checkpoint=blocked / "run.ckpt"))
    assert not any(isinstance(e, Finished) for e in events)
    failed = events[-1]
    assert isinstance(failed, Failed) and "cannot be written" in failed.message
    assert str(blocked / "run.ckpt") in failed.message
