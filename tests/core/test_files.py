"""netbuilder.core.files: only regular files are read, and never more than a limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import netbuilder
from netbuilder import cli
from netbuilder.core.errors import GraphFileError, NetbuilderError
from netbuilder.core.files import open_regular, read_regular
from tests.bounded import needs_fifo, outcome


class _CallerError(NetbuilderError):
    """A caller's own error class."""


def _special(tmp_path: Path, kind: str) -> Path:
    """A path that is not a regular file: a FIFO, /dev/zero, or a symlink to either."""
    fifo = tmp_path / "pipe.nbg"
    os.mkfifo(fifo)
    if kind == "fifo":
        return fifo
    link = tmp_path / f"{kind}.nbg"
    link.symlink_to(fifo if kind == "link-to-fifo" else Path("/dev/zero"))
    return link


KINDS = {"fifo": "a FIFO", "link-to-fifo": "a FIFO", "link-to-zero": "a character device"}


@needs_fifo
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_special_files_are_refused_by_name(tmp_path: Path, kind: str) -> None:
    path = _special(tmp_path, kind)
    result = outcome(lambda: read_regular(path, 1 << 20, what="graph file"))
    assert result == f"GraphFileError: {path}: is not a regular file ({KINDS[kind]})"


@needs_fifo
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_graph_files_must_be_regular(tmp_path: Path, kind: str) -> None:
    path = _special(tmp_path, kind)
    assert outcome(lambda: netbuilder.load(path)).startswith(
        f"GraphFileError: {path}: is not a regular file")
    if kind == "fifo":  # the command line turns it into one line and exit code 2
        assert outcome(lambda: cli.main(["summary", str(path)])) == "returned 2"


def test_missing_folder_and_size(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match=r"missing\.nbg: no such file$"):
        read_regular(tmp_path / "missing.nbg", 10)
    with pytest.raises(_CallerError, match="is a folder, not a data file"):
        read_regular(tmp_path, 10, what="data file", error=_CallerError)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 11)
    with pytest.raises(_CallerError, match=r"too large for a CSV file \(11 bytes; netbuilder "
                                           r"reads at most 10\)"):
        read_regular(big, 10, what="CSV file", error=_CallerError)
    assert read_regular(big, 11) == b"x" * 11


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_limit_holds_for_what_is_read_not_what_stat_says() -> None:
    # /proc files are regular files whose stat size is 0: only the bytes read can tell.
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    with pytest.raises(GraphFileError, match="holds more than the 16 bytes"):
        read_regular(status, 16)
    assert read_regular(status, 1 << 20).startswith(b"Name:")


def test_the_handle_seeks_and_hides_its_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(10)))
    with open_regular(path, 10) as handle:
        assert handle.read(3) == b"\x00\x01\x02"
        assert handle.seek(0, os.SEEK_END) == 10
        handle.seek(8)
        assert handle.read() == b"\x08\x09"
        with pytest.raises(OSError):
            handle.fileno()  # so nothing (numpy's fromfile) can read around the limit
