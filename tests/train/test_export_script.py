"""The exported training script: one process, torchrun with 2 CPU processes, refusals."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.core.graph import Document
from netbuilder.resources import example_path
from netbuilder.train.optim import schedule_factor
from netbuilder.train.script import ScriptExportError, training_script, write_training_script
from netbuilder.train.settings import TrainingSettings

EPOCH_LINE = re.compile(r"epoch (\d+)/(\d+): loss (\S+)")


def _load(source: str) -> ModuleType:
    module = ModuleType("train_script")  # not "__main__": defines everything, trains nothing
    exec(compile(source, "train.py", "exec"), module.__dict__)
    return module


def _env() -> dict[str, str]:
    # Keep the test's interpreter settings; one thread per process keeps 2 CPU ranks quick.
    return {**os.environ, "OMP_NUM_THREADS": "1"}


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _losses(output: str) -> list[float]:
    return [float(match.group(3)) for match in EPOCH_LINE.finditer(output)]


def _regression_data(path: Path, samples: int = 40) -> Path:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, 10)).astype(np.float32)
    np.savez(path, x=x, y=x.sum(axis=1).astype(np.float32))  # (N,) targets for a (1) Input
    return path


def _write(doc: Document, folder: Path, name: str = "train.py") -> Path:
    return write_training_script(doc, folder / name)


def test_regression_script_trains_in_one_process(tmp_path: Path) -> None:
    doc = netbuilder.load(example_path("regression_mlp"))
    script = _write(doc, tmp_path)
    data = _regression_data(tmp_path / "rows.npz")
    run = _run([str(script), "--data", str(data), "--epochs", "2", "--lr", "0.01",
                "--save", "w.pt"], tmp_path)
    assert "world size 1" in run.stdout
    losses = _losses(run.stdout)
    assert len(losses) == 2 and all(np.isfinite(losses))
    # The saved state_dict loads strictly into the netbuilder model and fits the data better
    # than the weights the script started from (its seed's).
    trained = netbuilder.build(doc, weights=tmp_path / "w.pt")
    torch.manual_seed(0)
    fresh = _load(script.read_text(encoding="utf-8")).Model()
    with np.load(data) as arrays:
        x, y = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["y"])
    with torch.no_grad():
        error = torch.nn.functional.mse_loss(trained(x).reshape(-1), y)
        before = torch.nn.functional.mse_loss(fresh(x).reshape(-1), y)
    assert float(error) < float(before)


def test_classifier_script_reports_accuracy_and_validation(tmp_path: Path) -> None:
    doc = netbuilder.load(example_path("mnist_cnn"))
    script = _write(doc, tmp_path)
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "digits.npz", x=rng.random((24, 1, 28, 28), dtype=np.float32),
             y=rng.integers(0, 10, 24), x_val=rng.random((8, 1, 28, 28), dtype=np.float32),
             y_val=rng.integers(0, 10, 8))
    run = _run([str(script), "--data", "digits.npz", "--epochs", "1", "--batch-size", "8"],
               tmp_path)
    line = next(line for line in run.stdout.splitlines() if line.startswith("epoch 1/1"))
    assert "(24 samples)" in line
    accuracy = float(re.search(r", accuracy (\S+)", line).group(1))  # type: ignore[union-attr]
    val_loss = float(re.search(r"val_loss ([^,\s]+)", line).group(1))  # type: ignore[union-attr]
    assert 0.0 <= accuracy <= 1.0 and np.isfinite(val_loss)


def test_torchrun_two_cpu_processes_match_one_process(tmp_path: Path) -> None:
    """DDP on 2 gloo ranks, each half the data: with one full batch per step, the averaged
    gradients equal one process's full-batch gradient, so the weights match."""
    doc = netbuilder.load(example_path("regression_mlp"))
    script = _write(doc, tmp_path)
    _regression_data(tmp_path / "rows.npz")
    common = ["--data", "rows.npz", "--epochs", "3", "--batch-size", "64", "--lr", "0.01"]
    ddp = _run(["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                str(script), *common, "--save", "ddp.pt"], tmp_path)
    # Rank 0 alone prints; the sample count is summed over both ranks' shards.
    assert ddp.stdout.count("world size 2") == 1
    assert ddp.stdout.count("epoch 3/3:") == 1 and "(40 samples)" in ddp.stdout
    single = _run([str(script), *common, "--save", "one.pt"], tmp_path)
    np.testing.assert_allclose(_losses(ddp.stdout), _losses(single.stdout), rtol=1e-4)
    shared = torch.load(tmp_path / "ddp.pt", weights_only=True)
    alone = torch.load(tmp_path / "one.pt", weights_only=True)
    assert set(shared) == set(netbuilder.build(doc).state_dict())
    for key, value in alone.items():
        torch.testing.assert_close(shared[key], value, rtol=1e-4, atol=1e-5)
    netbuilder.build(doc, weights=tmp_path / "ddp.pt")  # loads strictly


def test_settings_become_the_optimizer_and_schedule(tmp_path: Path) -> None:
    doc = netbuilder.load(example_path("regression_mlp"))
    settings = TrainingSettings.from_doc(doc).with_changes(
        optimizer="sgd", momentum=0.5, weight_decay=0.01, schedule="step", step_size=2,
        gamma=0.5, epochs=7, batch_size=5, grad_clip=1.5, seed=3)
    settings.write(doc)
    script = _load(training_script(doc))
    assert (script.EPOCHS, script.BATCH_SIZE, script.GRAD_CLIP, script.SEED) == (7, 5, 1.5, 3)
    optimizer = script.make_optimizer([torch.nn.Parameter(torch.zeros(1))], 0.2)
    assert isinstance(optimizer, torch.optim.SGD)
    group = optimizer.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.2, 0.5, 0.01)
    for schedule in ("step", "cosine", "constant"):
        changed = settings.with_changes(schedule=schedule)
        changed.write(doc)
        factor = _load(training_script(doc)).lr_factor
        assert [factor(e, 7) for e in range(7)] == pytest.approx(
            [schedule_factor(changed, e) for e in range(7)])


def test_vae_model_returns_what_its_losses_read() -> None:
    doc = netbuilder.load(example_path("vae_mnist"))
    script = _load(training_script(doc))
    compiled = netbuilder.build(doc)
    model = script.Model()
    model.load_state_dict(compiled.state_dict())
    model.eval()
    compiled.eval()
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        reconstruction, mu, logvar = model(x)
        torch.testing.assert_close(reconstruction, compiled(x), rtol=0.0, atol=1e-6)
        losses = netbuilder.compile.compile_network(doc, with_losses=True).module
        losses.load_state_dict(compiled.state_dict())
        _, parts = losses.eval()(x)
    graph = doc.network()
    weights = {name: graph.node_by_name(name).params["weight"] for name in parts}
    expected = sum(weights[name] * value for name, value in parts.items())
    torch.testing.assert_close(script.Loss()(reconstruction, mu, logvar, x), expected)
    assert script.TARGET_SHAPE is None and not script.CLASSIFYING


@pytest.mark.parametrize(("example", "words"), [
    ("gan_mnist", "gan recipe is not exported"),
    ("perceptron", "perceptron recipe is not exported"),
])
def test_recipes_without_a_script_are_refused(tmp_path: Path, example: str,
                                              words: str) -> None:
    doc = netbuilder.load(example_path(example))
    out = tmp_path / "train.py"
    out.write_text("keep\n", encoding="utf-8")
    with pytest.raises(ScriptExportError, match=words):
        write_training_script(doc, out)
    assert out.read_text(encoding="utf-8") == "keep\n"


def test_data_that_does_not_fit_stops_with_a_message(tmp_path: Path) -> None:
    doc = netbuilder.load(example_path("regression_mlp"))
    script = _write(doc, tmp_path)
    np.savez(tmp_path / "bad.npz", x=np.zeros((4, 3), np.float32), y=np.zeros(4, np.float32))
    result = subprocess.run([sys.executable, str(script), "--data", "bad.npz"], cwd=tmp_path,
                            env=_env(), capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode != 0
    assert "array x holds samples of shape (3,); the network expects (10,)" in result.stderr
