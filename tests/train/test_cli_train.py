"""`netbuilder train`: progress, the JSON-lines log, saved weights, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder import resources
from netbuilder.cli import main


def test_train_writes_a_log_and_weights_that_build_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log, weights = tmp_path / "metrics.jsonl", tmp_path / "w.pt"
    code = main(["train", "regression_mlp", "--epochs", "5", "--log", str(log),
                 "--save", str(weights)])
    assert code == 0
    err = capsys.readouterr().err
    assert "epoch 5/5" in err and "done in" in err
    records = [json.loads(line) for line in log.read_text().splitlines()]
    ends = [r for r in records if r["event"] == "epoch_end"]
    assert [r["epoch"] for r in ends] == [1, 2, 3, 4, 5]
    for record in ends:
        assert {"epoch", "step", "loss", "val_loss", "val_accuracy", "samples_per_s"} <= set(
            record)
    assert ends[-1]["step"] == 5 * 10  # 100 rows, batch 10
    assert records[-1]["event"] == "finished"
    doc = netbuilder.load(resources.example_path("regression_mlp"))
    model = netbuilder.build(doc, weights=weights)
    assert model(torch.randn(3, 10)).shape == (3, 1)


def test_train_with_a_missing_data_file_is_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "mnist_cnn", "--data", str(tmp_path / "nothing.npz"), "--epochs", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("netbuilder: error: ") and err.count("\n") == 1


def test_train_with_data_of_the_wrong_shape_fails_clearly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "rows.npz"
    import numpy as np

    np.savez(data, x=np.zeros((20, 7), dtype=np.float32), y=np.zeros((20, 1), np.float32))
    code = main(["train", "regression_mlp", "--data", str(data), "--epochs", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "shaped (7)" in err and "expects (10)" in err
