"""The GPU check's own logic, on the CPU: the hand-written limit loop (b) of
tests/benchmarks/bench_training.py and the one-call script tests/benchmarks/gpu_check.py.

On a GPU both run for real in gpu_check; here (b) runs its step eagerly, the same code minus
capture and replay, on a few batches.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import torch

from tests.benchmarks import bench_training
from tests.benchmarks.bench_training import GraphLoop, Options, measure, step_log_cost

TINY = Options(device="cpu", batch_size=32, samples=256, epochs=2)
REPO = Path(__file__).resolve().parents[2]


def test_the_limit_loop_trains_and_reads_every_step_on_the_cpu() -> None:
    loop = GraphLoop("regression_mlp", TINY)
    assert loop.rate() > 0
    assert len(loop.losses) == 3  # the untimed first epoch, then the two timed
    assert loop.losses[-1] < loop.losses[0]  # it learns: the step really runs each batch


def test_the_limit_loop_with_the_speed_settings_on_the_cpu() -> None:
    options = Options(device="cpu", batch_size=32, samples=128, epochs=1, bf16=True,
                      tf32=True, channels_last=True)
    loop = GraphLoop("mnist_cnn", options)
    assert loop.rate() > 0 and all(torch.isfinite(torch.tensor(loop.losses)))


def test_a_measurement_holds_every_rate_and_records_a_failing_loop(monkeypatch) -> None:
    row = measure("regression_mlp", TINY, step_log=True)
    assert not row.errors, row.errors
    assert row.engine > 0 and row.tutorial and row.graph and row.graph_without_step_log
    assert step_log_cost(row) is not None and "(b) graph" in row.line()

    def broken(*_args: object) -> float:
        raise RuntimeError("no tutorial today\nmore")

    monkeypatch.setattr(bench_training, "tutorial_rate", broken)
    row = measure("regression_mlp", TINY, graph=False)
    assert row.engine > 0 and row.errors == ["tutorial: RuntimeError: no tutorial today"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU the check runs for minutes")
def test_gpu_check_without_cuda_skips_each_gpu_step_and_still_writes_its_summary(
        tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "tests/benchmarks/gpu_check.py", "--out", str(tmp_path),
         "--examples", "perceptron", "mnist_cnn"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    statuses = {step["name"]: step["status"] for step in summary["steps"]}
    assert statuses.pop("device") == "ok"
    assert set(statuses.values()) == {"skipped: no CUDA"}
    assert "train mnist_cnn" in statuses and "tests" in statuses
    table = (tmp_path / "summary.md").read_text()
    assert "| train perceptron | skipped: no CUDA |" in table
    assert "cuda available False" in table
    assert (tmp_path / "steps.log").exists()


def test_the_qt_bundle_holds_the_offscreen_stack_and_no_machine_library_it_has(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/benchmarks/qt_bundle.py: what the GPU machine needs to open an offscreen window."""
    from tests.benchmarks import qt_bundle

    pyside = qt_bundle._package_dir("PySide6")
    files, system = qt_bundle.pyside_files(pyside, qt_bundle._package_dir("shiboken6"))
    names = {path.name for path in files}
    assert {"QtCore.abi3.so", "QtWidgets.abi3.so", "libqoffscreen.so", "__init__.py"} <= names
    assert "libQt6Core.so.6" in names and "libQt6Widgets.so.6" in names
    assert not any("Qml" in name or "WebEngine" in name for name in names)  # the closure only
    assert system and not any(name.startswith(("libc.so", "libstdc++", "libQt6", "libshiboken"))
                              for name in system)

    # Unpacked, a carried library is used only where the machine's loader lacks it.
    archive = tmp_path / "qt.tar.xz"
    source = tmp_path / "source"
    (source / "site" / "PySide6").mkdir(parents=True)
    (source / "site" / "PySide6" / "__init__.py").write_text("")
    (source / "system").mkdir()
    for name in ("libhad.so.1", "liblacked.so.2"):
        (source / "system" / name).write_bytes(b"ELF")
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(source / "site", "site")
        tar.add(source / "system", "system")
    monkeypatch.setattr(qt_bundle, "_present", lambda names: {"libhad.so.1"})
    env = qt_bundle.unpack(archive, tmp_path / "unpacked")
    fallback = Path(env["LD_LIBRARY_PATH"].split(":")[0])
    assert sorted(p.name for p in fallback.iterdir()) == ["liblacked.so.2"]
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path / "unpacked" / "site")
    assert env["NETBUILDER_QT_FALLBACK_LIBRARIES"] == "liblacked.so.2"


def test_the_dock_steps_of_the_gpu_check_ask_for_the_qt_bundle_when_it_is_not_carried(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.benchmarks import gpu_check

    monkeypatch.setattr(gpu_check, "QT_ARCHIVE", tmp_path / "absent.tar.xz")
    check = gpu_check.Check(tmp_path, 100.0, cuda=True, cpu=False)
    gpu_check._dock(check, None)  # type: ignore[arg-type]
    assert [step.name for step in check.steps] == ["dock on cuda: train and probes",
                                                   "dock on cpu: train and probes"]
    assert all(step.status.startswith("skipped: no .qt/qt.tar.xz") for step in check.steps)
