"""`netbuilder train --tensorboard DIR`: scalars, samples and histograms in event files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netbuilder.cli import main

event_files = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(folder: Path) -> object:
    everything = {"images": 0, "histograms": 0}  # 0: keep every record, not a sample
    accumulator = event_files.EventAccumulator(str(folder), size_guidance=everything)
    accumulator.Reload()
    return accumulator


def test_losses_and_validation_figures_are_written(tmp_path: Path) -> None:
    board = tmp_path / "runs"
    assert main(["train", "mnist_cnn", "--epochs", "2", "--tensorboard", str(board)]) == 0
    tags = read(board).Tags()
    assert {"train/loss", "train/lr", "epoch/loss", "epoch/val_loss",
            "epoch/val_accuracy", "test/accuracy"} <= set(tags["scalars"])
    epochs = [event.step for event in read(board).Scalars("epoch/loss")]
    assert epochs == [1, 2]
    prefixes = {tag.split("/")[0] for tag in tags["histograms"]}
    assert prefixes == {"activations", "weights", "gradients"}, "probes fill the histograms"


def test_generated_images_go_in_as_images(tmp_path: Path) -> None:
    board = tmp_path / "runs"
    assert main(["train", "vae_mnist", "--epochs", "1", "--tensorboard", str(board)]) == 0
    tags = read(board).Tags()
    assert "samples/samples from the prior" in tags["images"]
    assert {"epoch/reconstruction_loss", "epoch/kl_loss"} <= set(tags["scalars"])


def test_missing_tensorboard_is_one_clear_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    code = main(["train", "regression_mlp", "--epochs", "1", "--tensorboard",
                 str(tmp_path / "runs")])
    assert code == 2
    err = capsys.readouterr().err
    assert "netbuilder[tensorboard]" in err and "Traceback" not in err
