"""``netbuilder export`` and ``netbuilder import``: files, outputs, one-line errors, exit codes.

The exporters and the importer are tested in depth under tests/compile and tests/train; these
tests check the command line puts them together: the weights reach the export, the files land
where asked, mistakes exit 2 with one line and write nothing.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder import resources
from netbuilder.cli import main
from netbuilder.compile.weights import weights_dict

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated")


@pytest.fixture(scope="module")
def perturbed_weights(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.nn.Module]:
    """A weights file for mnist_cnn unlike a fresh initialisation, and the model holding it."""
    model = netbuilder.build(netbuilder.load(resources.example_path("mnist_cnn")))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.1)
    path = tmp_path_factory.mktemp("weights") / "trained.pt"
    torch.save(weights_dict({"model": model}), path)
    return path, model.eval()


def test_export_to_torchscript_carries_the_trained_weights(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        perturbed_weights: tuple[Path, torch.nn.Module]) -> None:
    weights, model = perturbed_weights
    out = tmp_path / "cnn.pt"
    assert main(["export", "mnist_cnn", "--to", "torchscript", "--weights", str(weights),
                 "-o", str(out)]) == 0
    assert f"wrote {out} (TorchScript" in capsys.readouterr().out
    image = torch.randn(3, 1, 28, 28)
    exported = torch.jit.load(str(out))
    torch.testing.assert_close(exported(image), model(image), atol=1e-5, rtol=1e-5)


def test_export_to_onnx_names_the_network_of_a_gan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    out = tmp_path / "critic.onnx"
    assert main(["export", "gan_mnist", "--to", "onnx", "--network", "discriminator",
                 "-o", str(out)]) == 0
    graph = onnx.load(str(out)).graph
    assert [i.name for i in graph.input] == ["image"]


@pytest.mark.parametrize(("extra", "words"), [
    (["--network", "critic"], "no network 'critic'"),
    (["--weights", "missing.pt"], "weights file missing.pt does not exist"),
    (["--with-training"], "use --to python with --with-training"),
])
def test_export_mistakes_exit_2_with_one_line_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        extra: list[str], words: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "gan_mnist", "--to", "onnx", "-o", "out.onnx", *extra]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_weights_that_do_not_fit_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        perturbed_weights: tuple[Path, torch.nn.Module]) -> None:
    weights, _model = perturbed_weights
    out = tmp_path / "mlp.pt"
    assert main(["export", "regression_mlp", "--to", "torchscript", "--weights", str(weights),
                 "-o", str(out)]) == 2
    assert "netbuilder: error:" in capsys.readouterr().err
    assert not out.exists()


SKIP_NET = textwrap.dedent("""
    import torch
    from torch import nn

    class SkipNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.head = nn.Linear(4 * 8 * 8, 5)

        def forward(self, image):
            x = torch.relu(self.conv(image)) + image
            return self.head(torch.flatten(x, 1))

    class Cumulative(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, dim=1)
""")


def test_import_writes_a_graph_and_weights_that_match_the_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "skip_models.py").write_text(SKIP_NET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["import", "skip_models:SkipNet", "--input", "1,8,8", "-o", "skip.nbg"]) == 0
    assert "wrote skip.nbg" in capsys.readouterr().out
    import skip_models

    original = skip_models.SkipNet()
    doc = netbuilder.load(tmp_path / "skip.nbg")
    rebuilt = netbuilder.build(doc, weights=tmp_path / "skip.pt")
    # The import ran its own SkipNet(); give the original the weights it saved.
    original.load_state_dict(dict(zip(original.state_dict(), rebuilt.state_dict().values(),
                                      strict=True)))
    image = torch.randn(4, 1, 8, 8)
    torch.testing.assert_close(rebuilt(image), original(image), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(("target", "inputs", "words"), [
    ("skip_models:Cumulative", ["4"], "cumsum"),
    ("skip_models:Missing", ["4"], "Missing"),
    ("skip_models:SkipNet", ["1,8,eight"], "--input: '1,8,eight' is not a shape"),
])
def test_import_mistakes_exit_2_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        target: str, inputs: list[str], words: str) -> None:
    (tmp_path / "skip_models.py").write_text(SKIP_NET)
    monkeypatch.chdir(tmp_path)
    args = ["import", target, "-o", "out.nbg"]
    for shape in inputs:
        args += ["--input", shape]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.startswith("netbuilder: error:")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".py") in (
        [], ["__pycache__"])


def test_python_export_never_overwrites_the_weights_it_reads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        perturbed_weights: tuple[Path, torch.nn.Module]) -> None:
    weights, model = perturbed_weights
    trained = tmp_path / "cnn.pt"
    trained.write_bytes(weights.read_bytes())
    assert main(["export", "mnist_cnn", "--to", "python", "--weights", str(trained),
                 "-o", str(tmp_path / "cnn.py")]) == 0
    out = capsys.readouterr().out
    assert "cnn.py (PyTorch code" in out and "cnn_state_dict.pt (weights" in out
    assert trained.read_bytes() == weights.read_bytes()
    state = torch.load(tmp_path / "cnn_state_dict.pt", weights_only=True)
    torch.testing.assert_close(state, model.state_dict())
