"""The one atomic writer: every save, export, checkpoint and download goes through it."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import GraphFileError, NetbuilderError


class _CacheError(NetbuilderError):
    """Stands for a caller's own error type (a data loader's DataError)."""


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_bytes_and_a_streaming_writer_give_the_same_file(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.bin", b"netbuilder")

    def stream(out: BinaryIO) -> None:
        for part in (b"net", b"builder"):
            out.write(part)

    write_atomic(tmp_path / "b.bin", stream)
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()
    assert _files(tmp_path) == ["a.bin", "b.bin"]


def test_a_writer_that_fails_half_way_leaves_the_old_file_and_no_temporary(
        tmp_path: Path) -> None:
    path = tmp_path / "run.ckpt"
    path.write_bytes(b"the last good checkpoint")

    def half_then_fail(out: BinaryIO) -> None:
        out.write(b"half of a new one")
        raise RuntimeError("pickling failed")

    with pytest.raises(RuntimeError, match="pickling failed"):
        write_atomic(path, half_then_fail)
    assert path.read_bytes() == b"the last good checkpoint"
    assert _files(tmp_path) == ["run.ckpt"]


def test_a_full_disk_is_one_line_of_the_callers_error_type(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "train-images.gz"
    path.write_bytes(b"old")

    def full(fd: int) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(_CacheError) as raised:
        write_atomic(path, b"new", error=_CacheError)
    monkeypatch.undo()
    assert str(raised.value) == f"{path}: cannot be written (No space left on device)"
    assert path.read_bytes() == b"old" and _files(tmp_path) == ["train-images.gz"]


def test_missing_folders_are_an_error_unless_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "mnist" / "labels.gz"
    with pytest.raises(GraphFileError, match="cannot be written"):
        write_atomic(path, b"x")
    assert not (tmp_path / "cache").exists()
    write_atomic(path, b"x", make_parents=True)
    assert path.read_bytes() == b"x"


def test_the_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "shared.nbg"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = tmp_path / "fresh.nbg"
    write_atomic(fresh, b"new")
    mask = os.umask(0)
    os.umask(mask)
    # Not the 0o600 of the temporary file it was written as.
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
