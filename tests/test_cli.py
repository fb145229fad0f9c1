"""The command line: summary tables and JSON, examples, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import netbuilder
from netbuilder import resources
from netbuilder.cli import main
from netbuilder.core.builder import GraphBuilder
from tests.helpers import mlp_document

MNIST = str(resources.example_path("mnist_cnn"))


def test_summary_prints_every_node_and_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", MNIST]) == 0
    out = capsys.readouterr().out
    assert "225,034 parameters" in out
    for name, shape, params in (("conv1", "(32, 26, 26)", "320"),
                                ("conv2", "(64, 11, 11)", "18,496"),
                                ("pool2", "(64, 5, 5)", "0"), ("flatten", "(1600,)", "0"),
                                ("hidden", "(128,)", "204,928"), ("classes", "(10,)", "1,290")):
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        assert shape in line and line.split()[-2] == params


def test_summary_json_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", MNIST, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    model = data["networks"]["model"]
    assert model["total_params"] == model["trainable_params"] == 225_034
    conv1 = next(n for n in model["nodes"] if n["name"] == "conv1")
    assert conv1["output_shape"] == [32, 26, 26] and conv1["params"] == 320
    assert conv1["type"] == "conv2d" and conv1["id"].startswith("n")
    assert data["errors"] == []


def test_summary_accepts_an_example_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "gan_mnist", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["networks"]) == {"generator", "discriminator"}


def test_summary_of_a_broken_graph_lists_errors_and_exits_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = mlp_document()
    net = GraphBuilder(doc, "model")
    net.add("output", net.add("dense", net.add("input", shape=[3], dtype="int64"), units=2),
            name="broken_out")
    path = tmp_path / "broken.nbg"
    netbuilder.save(doc, path)
    assert main(["summary", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    (error,) = data["errors"]
    assert error["name"] == "dense3" and "Embedding" in error["message"]
    # Error tolerance: the healthy branch still has its shapes.
    dense2 = next(n for n in data["networks"]["model"]["nodes"] if n["name"] == "dense2")
    assert dense2["output_shape"] == [3]
    assert captured.err.count("\n") == 1 and "broken.nbg: 1 problem" in captured.err


def test_missing_file_gives_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "missing.nbg"]) == 2
    err = capsys.readouterr().err
    assert err == "netbuilder: error: missing.nbg: no such file\n"


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["summary"])
    assert caught.value.code == 2
    assert "the following arguments are required: file" in capsys.readouterr().err


def test_bad_file_is_one_line_not_a_traceback(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk.nbg"
    path.write_bytes(b"\x00\x01binary junk")
    assert main(["summary", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netbuilder: error: ") and "binary data" in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_examples_lists_every_bundled_graph(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["examples"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == resources.list_examples()


def test_console_entry_point_runs_as_a_process() -> None:
    result = subprocess.run([sys.executable, "-m", "netbuilder.cli", "summary", "perceptron"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "Total: 3 parameters" in result.stdout


def test_app_without_a_display_explains_instead_of_aborting(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("only Linux can lack a display server")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    assert "no display" in capsys.readouterr().err
