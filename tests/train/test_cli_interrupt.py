"""Ctrl-C and SIGTERM during `netbuilder train`: the checkpoint is kept where it can be."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import netbuilder
from netbuilder.cli import EXIT_INTERRUPTED, EXIT_TERMINATED, main
from netbuilder.train import console
from netbuilder.train.checkpoint import load_checkpoint
from netbuilder.train.events import EpochEnd

KEPT = "regression_mlp-interrupted.ckpt"


def _wait_for_line(process: subprocess.Popen[bytes], text: bytes, timeout: float) -> bytes:
    """stderr up to the first line holding ``text`` (the process keeps running)."""
    assert process.stderr is not None
    seen, deadline = b"", time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"no {text!r} in time; stderr so far: {seen!r}"
        ready, _, _ = select.select([process.stderr], [], [], left)
        if ready:
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk, f"the process ended early: {seen!r}"
            seen += chunk
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_keeps_the_checkpoint_as_ctrl_c_does(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(netbuilder.__file__).parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-m", "netbuilder", "train", "regression_mlp", "--epochs", "1000000"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Epoch 1 is always saved (the first checkpoint is not held back by the spacing).
        head = _wait_for_line(process, b"epoch 2/", timeout=120)
        process.send_signal(signal.SIGTERM)
        _out, rest = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    err = (head + rest).decode()
    assert process.returncode == EXIT_TERMINATED, err
    assert "saved in" in err and "netbuilder: terminated" in err
    kept = tmp_path / KEPT
    assert load_checkpoint(kept)["epoch"] >= 1
    assert not list(tmp_path.glob(f".{KEPT}.*"))  # no staging file left beside it


def _interrupt_at_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    write = console._Progress.write

    def interrupting(self: console._Progress, event: object) -> None:
        write(self, event)
        if isinstance(event, EpochEnd) and event.epoch == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(console._Progress, "write", interrupting)


def test_ctrl_c_with_an_unwritable_folder_keeps_the_checkpoint_in_the_temp_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # Running as root ignores file modes: a folder that is gone cannot be written either.
    monkeypatch.setattr(console, "_cwd", lambda: tmp_path / "gone")
    _interrupt_at_epoch(monkeypatch, 2)
    assert main(["train", "regression_mlp", "--epochs", "5"]) == EXIT_INTERRUPTED
    err = capsys.readouterr().err
    kept = temp / KEPT
    assert load_checkpoint(kept)["epoch"] == 1  # epoch 2 came too soon after epoch 1's save
    assert str(kept) in err and "cannot be written" in err
    assert not list(temp.glob("netbuilder-train-*"))  # the run's scratch folder went


def test_the_checkpoint_goes_to_the_first_folder_that_takes_it(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"state")
    plain, data = tmp_path / "plain", tmp_path / "data"
    plain.write_text("a file, not a folder")
    data.mkdir()
    kept = console.keep_checkpoint(checkpoint, "g-interrupted.ckpt", [plain, None, data])
    assert kept == data / "g-interrupted.ckpt" and kept.read_bytes() == b"state"
    assert console.keep_checkpoint(checkpoint, "x.ckpt", [plain]) is None


def test_sigterm_handler_is_installed_for_train_only_and_restored() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []
    original = console.run_training

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(signal.getsignal(signal.SIGTERM))
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(console, "run_training", spy)
        assert main(["train", "regression_mlp", "--epochs", "1"]) == 0
    assert seen and seen[0] is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_train_runs_from_a_thread_that_cannot_take_signals() -> None:
    codes: list[int] = []
    worker = threading.Thread(
        target=lambda: codes.append(main(["train", "regression_mlp", "--epochs", "1"])))
    worker.start()
    worker.join(timeout=120)
    assert codes == [0]
