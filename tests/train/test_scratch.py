"""Scratch folders: killed runs' leftovers go at the next run; live runs' folders stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from netbuilder.train import scratch
from netbuilder.train.scratch import LOCK_NAME, PREFIX, STALE_AFTER_S, remove_stale, scratch_folder

fcntl = pytest.importorskip("fcntl")


def _folder(base: Path, name: str, age: float, lock: bool) -> Path:
    folder = base / name
    folder.mkdir()
    (folder / "checkpoint.pt").write_bytes(b"x")
    if lock:
        (folder / LOCK_NAME).write_text("12345\n")
    then = time.time() - age
    os.utime(folder, (then, then))
    return folder


def test_only_old_folders_no_live_run_holds_are_removed(tmp_path: Path) -> None:
    old = STALE_AFTER_S + 60
    killed = _folder(tmp_path, PREFIX + "killed", old, lock=True)
    unlocked = _folder(tmp_path, PREFIX + "nolock", old, lock=False)
    young = _folder(tmp_path, PREFIX + "young", 60, lock=False)
    other = _folder(tmp_path, "someone-else-old", old, lock=False)
    live = _folder(tmp_path, PREFIX + "live", old, lock=True)
    with open(live / LOCK_NAME, "a") as held:  # as a running netbuilder holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        removed = remove_stale(tmp_path)
    assert sorted(removed) == sorted([killed, unlocked])
    assert not killed.exists() and not unlocked.exists()
    assert young.exists() and other.exists() and live.exists()


def test_a_runs_folder_is_locked_while_it_runs_and_removed_after(tmp_path: Path) -> None:
    stale = _folder(tmp_path, PREFIX + "stale", STALE_AFTER_S + 60, lock=False)
    with scratch_folder(tmp_path) as folder:
        assert not stale.exists()  # cleaned at the start of the next run
        assert folder.name.startswith(PREFIX)
        then = time.time() - 2 * STALE_AFTER_S
        os.utime(folder, (then, then))  # a long epoch: no write for hours
        assert remove_stale(tmp_path) == [] and folder.exists()
    assert not folder.exists()


def test_an_unwritable_temp_folder_is_one_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "file"
    plain.write_text("not a folder")
    with pytest.raises(scratch.NetbuilderError, match="scratch folder"), scratch_folder(plain):
        pass
