"""``netbuilder export`` never overwrites a file it did not create for this export.

The file named by ``-o`` is the user's to replace; a file written beside it (the weights of
``--to python --weights``) is not named by the user, so an existing one is refused unless
``--force`` is given. An output that is one of the export's own inputs is always refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder import resources
from netbuilder.cli import main
from netbuilder.compile import weights_dict
from netbuilder.train.export import ExportRequest, existing_extra_outputs, extra_outputs

EXAMPLE = "regression_mlp"


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = netbuilder.build(netbuilder.load(resources.example_path(EXAMPLE)))
    path = tmp_path_factory.mktemp("weights") / "trained.pt"
    torch.save(weights_dict({"model": model}), path)
    return path


def _export(out: Path, weights: Path, *extra: str) -> int:
    return main(["export", EXAMPLE, "--to", "python", "--weights", str(weights), "-o",
                 str(out), *extra])


def test_an_existing_weights_file_beside_the_code_is_refused_without_force(
        tmp_path: Path, weights: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "m.pt"
    mine.write_bytes(b"a TorchScript file the user just exported")
    assert _export(tmp_path / "m.py", weights) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("netbuilder: error:")
    assert str(mine) in err and "--force" in err
    assert mine.read_bytes() == b"a TorchScript file the user just exported"
    assert not (tmp_path / "m.py").exists()  # refused before anything was written


def test_force_overwrites_it(tmp_path: Path, weights: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "m.pt"
    mine.write_bytes(b"old")
    assert _export(tmp_path / "m.py", weights, "--force") == 0
    assert f"wrote {mine} (weights" in capsys.readouterr().out
    assert set(torch.load(mine, weights_only=True)) == set(
        netbuilder.build(netbuilder.load(resources.example_path(EXAMPLE))).state_dict())


def test_the_file_named_by_o_is_replaced_as_asked(tmp_path: Path, weights: Path) -> None:
    out = tmp_path / "m.py"
    out.write_text("old code\n", encoding="utf-8")
    assert _export(out, weights) == 0
    assert "class" in out.read_text(encoding="utf-8") and (tmp_path / "m.pt").is_file()


def test_a_dangling_link_in_the_weights_place_counts_as_existing(tmp_path: Path,
                                                                 weights: Path) -> None:
    (tmp_path / "m.pt").symlink_to(tmp_path / "elsewhere.pt")
    assert _export(tmp_path / "m.py", weights) == 2
    assert not (tmp_path / "elsewhere.pt").exists()


@pytest.mark.parametrize("which", ["weights", "graph"])
def test_an_output_that_is_an_input_of_the_export_is_refused(
        tmp_path: Path, weights: Path, capsys: pytest.CaptureFixture[str], which: str) -> None:
    graph = tmp_path / "g.nbg"
    graph.write_bytes(resources.example_path(EXAMPLE).read_bytes())
    trained = tmp_path / "w.pt"
    trained.write_bytes(weights.read_bytes())
    out = trained if which == "weights" else graph
    before = out.read_bytes()
    assert main(["export", str(graph), "--to", "torchscript", "--weights", str(trained),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "choose another output name" in err
    assert out.read_bytes() == before


def test_only_python_with_weights_writes_an_extra_file(tmp_path: Path) -> None:
    out = tmp_path / "m.py"
    assert extra_outputs(ExportRequest("python", out, weights=tmp_path / "w.pt")) == [
        tmp_path / "m.pt"]
    for request in (ExportRequest("python", out), ExportRequest("onnx", tmp_path / "m.onnx"),
                    ExportRequest("python", out, with_training=True)):
        assert extra_outputs(request) == []
    (tmp_path / "m.pt").write_bytes(b"x")
    assert existing_extra_outputs(ExportRequest("python", out, weights=tmp_path / "w.pt")) == [
        tmp_path / "m.pt"]
