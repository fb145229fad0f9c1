"""`netbuilder train` on bad input: exit code 2 and one clear line, checked before training.

Every case here is bad input, so none may end as exit code 1 ("internal error"), and the
cheap checks (settings, graph, paths) come before the data set is read or a step is run.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.cli import main
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.fileformat import dumps
from netbuilder.core.graph import Document
from netbuilder.train.checkpoint import load_checkpoint
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import Failed
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss, mlp_document

SMALL = ["train", "regression_mlp", "--epochs", "1"]


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The captured stderr, checked to be the one error line bad input gets."""
    err = capsys.readouterr().err
    assert err.startswith("netbuilder: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err and "\x1b" not in err
    return err


class _Hostile:
    """Unpickling this would run a shell command: a checkpoint must never do that."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("echo pwned",)


def _write_case(case: str, path: Path) -> Path:
    if case == "random bytes":
        path.write_bytes(np.random.default_rng(0).bytes(300))
    elif case == "empty":
        path.write_bytes(b"")
    elif case == "zip, not a checkpoint":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("a.txt", "hello")
    elif case == "plain pickle":
        path.write_bytes(pickle.dumps({"networks": {}, "epoch": 1}, protocol=4))
    elif case == "hostile pickle":
        path.write_bytes(pickle.dumps(_Hostile(), protocol=2))
    elif case == "weights file":
        torch.save({"format": "netbuilder-weights", "version": 1, "networks": {}}, path)
    elif case == "bad epoch":
        torch.save({"networks": {"model": {}}, "epoch": "three"}, path)
    elif case == "weights not tensors":
        torch.save({"networks": {"model": {"w": [1, 2]}}, "epoch": 1}, path)
    elif case == "folder":
        path.mkdir()
    return path


@pytest.mark.parametrize(("case", "said"), [
    ("random bytes", "not a file that torch.save wrote"),
    ("empty", "empty"),
    ("zip, not a checkpoint", "not a file that torch.save wrote"),
    ("plain pickle", "not a file that torch.save wrote"),
    ("hostile pickle", "Python object (posix.system)"),
    ("weights file", "is a weights file"),
    ("bad epoch", "'epoch'"),
    ("weights not tensors", "network 'model'"),
    ("folder", "is a folder"),
    ("missing", "no such checkpoint"),
])
def test_resume_from_a_bad_file_is_one_line_and_exit_2(
        case: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_case(case, tmp_path / "run.ckpt")
    assert main([*SMALL, "--resume", str(path)]) == 2
    err = one_error_line(capsys)
    assert said in err
    assert "Weights only load failed" not in err and "weights_only" not in err


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_checkpoint_raise_one_netbuilder_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.ckpt"
    path.write_bytes(data)
    with pytest.raises(NetbuilderError) as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize(("option", "value", "key"), [
    ("--epochs", "0", "'epochs'"),
    ("--epochs", "-3", "'epochs'"),
    ("--batch-size", "0", "'batch_size'"),
    ("--lr", "nan", "'lr'"),
    ("--lr", "inf", "'lr'"),
    ("--lr", "-inf", "'lr'"),
    ("--lr", "-0.1", "'lr'"),
    ("--lr", "0", "'lr'"),
])
def test_out_of_range_overrides_name_the_option(
        option: str, value: str, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    # --opt=VALUE: argparse takes "-inf" after a space for an option of its own.
    assert main([*SMALL, f"{option}={value}"]) == 2
    err = one_error_line(capsys)
    assert f"{option} " in err and key in err


@settings(max_examples=25, deadline=None)
@given(st.one_of(st.floats(max_value=0.0), st.sampled_from([math.nan, math.inf])))
def test_any_bad_learning_rate_is_bad_input(lr: float) -> None:
    assert main([*SMALL, f"--lr={lr!r}"]) == 2


@pytest.mark.parametrize(("option", "target", "said"), [
    ("--log", "{tmp}", "is a folder"),
    ("--log", "{tmp}/plain/metrics.jsonl", "is not a folder"),
    ("--log", "{tmp}/missing/metrics.jsonl", "does not exist"),
    ("--save", "{tmp}/missing/w.pt", "does not exist"),
    ("--save", "{tmp}", "is a folder"),
    ("--tensorboard", "{tmp}/plain", "is a file"),
])
def test_unwritable_outputs_are_refused_before_training(
        option: str, target: str, said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain").write_text("a file, not a folder")
    assert main([*SMALL, option, target.format(tmp=tmp_path)]) == 2
    err = one_error_line(capsys)
    assert said in err and option in err
    assert "training on" not in err  # refused before the first step


def test_a_log_the_system_refuses_is_bad_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from netbuilder.train import sinks

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(sinks, "open", refuse, raising=False)  # root ignores file modes
    assert main([*SMALL, "--log", str(tmp_path / "m.jsonl")]) == 2
    assert "Permission denied" in one_error_line(capsys)


def _saved(doc: Document, path: Path, **training: object) -> str:
    doc.training.update(training)
    netbuilder.save(doc, path)
    return str(path)


def test_labels_beyond_the_networks_classes_name_the_label_and_the_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = _saved(classifier_with_loss(), tmp_path / "three.nbg", recipe="classification",
                   dataset="blobs", device="cpu", batch_size=4)
    data = tmp_path / "labels.npz"
    np.savez(data, x=np.zeros((8, 1, 4, 4), np.float32), y=np.array([0, 1, 2, 0, 1, 2, 255, 0]))
    assert main(["train", graph, "--epochs", "1", "--data", str(data)]) == 2
    err = one_error_line(capsys)
    assert "label 255" in err and "3 classes" in err


@pytest.mark.parametrize("bad", [255, -3, 3])
def test_the_engine_checks_labels_before_the_first_step(bad: int) -> None:
    y = torch.tensor([0, 1, 2, bad, 0, 1])
    data = Dataset("labels", DataSplit(torch.zeros(6, 1, 4, 4), y))
    settings = TrainingSettings(recipe="classification", batch_size=2, epochs=1, device="cpu")
    (event,) = list(train(classifier_with_loss(), data, settings))
    assert isinstance(event, Failed) and event.kind == "input"
    assert f"label {bad}" in event.message and "3 classes" in event.message


def test_the_graph_is_checked_before_the_data_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = classifier_with_loss()
    net = GraphBuilder(doc, "model")
    net.add("output", net.add("dense", net.add("input", shape=[3], dtype="int64"), units=2),
            name="broken_out")
    graph = _saved(doc, tmp_path / "broken.nbg", dataset="blobs")
    missing = tmp_path / "nothing.npz"
    assert main(["train", graph, "--epochs", "1", "--data", str(missing)]) == 2
    err = one_error_line(capsys)
    assert "dense3" in err and "nothing.npz" not in err


def test_a_network_without_a_loss_is_refused_before_the_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = _saved(mlp_document(), tmp_path / "no_loss.nbg", dataset="blobs")
    assert main(["train", graph, "--data", str(tmp_path / "nothing.npz")]) == 2
    err = one_error_line(capsys)
    assert "loss block" in err and "nothing.npz" not in err


def test_a_file_with_bad_stored_settings_is_refused_by_every_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.nbg"
    data = json.loads(dumps(classifier_with_loss()))
    data["training"] = {"lr": -1, "epochs": 1}
    path.write_text(json.dumps(data))
    for command in (["summary", str(path)], ["train", str(path)],
                    ["export", str(path), "--to", "python", "-o", str(tmp_path / "m.py")]):
        assert main(command) == 2
        err = one_error_line(capsys)
        assert "'lr'" in err and "bad.nbg" in err
    assert not (tmp_path / "m.py").exists()


@pytest.mark.parametrize(("part", "said"), [
    ("optimizer", "the optimizer of network 'model'"),
    ("rng", "random generators"),
])
def test_a_checkpoint_whose_parts_do_not_fit_fails_before_training(
        part: str, said: str, tmp_path: Path) -> None:
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    data = Dataset("labels", DataSplit(torch.zeros(6, 1, 4, 4), y))
    settings = TrainingSettings(recipe="classification", batch_size=2, epochs=1, device="cpu")
    path = tmp_path / "run.ckpt"
    list(train(classifier_with_loss(), data, settings, checkpoint=path))
    state = torch.load(path, weights_only=True)
    if part == "optimizer":
        state["optimizers"]["model"]["param_groups"] = []
    else:
        state["shuffle_rng"] = torch.zeros(3, dtype=torch.uint8)
    torch.save(state, path)
    (event,) = list(train(classifier_with_loss(), data, settings.with_changes(epochs=2),
                          resume=path))
    assert isinstance(event, Failed) and said in event.message
    assert "checkpoint" in event.advice
