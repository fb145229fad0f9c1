"""Reading the user's files: only regular files, and never more bytes than a limit.

A FIFO, ``/dev/zero`` or a symlink to either opens like a file but reads forever (or blocks
until a writer comes), and a file on a FUSE or ``/proc``-like file system may hold more than
``stat`` says. Every netbuilder reader of a user's path goes through :func:`open_regular` or
:func:`read_regular`: the path must resolve to a regular file, is opened without blocking, and
the limit applies to the bytes actually read, not only to the size ``stat`` reports.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from netbuilder.core.errors import GraphFileError, NetbuilderError

# Opening a FIFO for reading waits for a writer unless O_NONBLOCK is set (POSIX only).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_regular(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: type[NetbuilderError] = GraphFileError,
) -> BinaryIO:
    """Opens ``path`` for binary reading if it resolves to a regular file of <= ``limit`` bytes.

    The handle is seekable and buffered; reading past ``limit`` bytes (a file that grows, or
    holds more than it claims) raises ``error``. It has no ``fileno``, so nothing can read
    around the limit.

    Args:
        path: the file; a symlink is followed, and what it points at is checked.
        limit: the most bytes that may be read.
        what: names the kind of file in messages ("graph file", "CSV file").
        error: the exception raised, e.g. a loader's own NetbuilderError subclass.

    Raises:
        NetbuilderError: (``error``) the path is missing, a folder, not a regular file, too
            large or unreadable; one line naming the path.
    """
    path = Path(path)
    _check(path, _stat(path, lambda: os.stat(path), what, error), limit, what, error)
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise _os_error(path, exc, what, error) from None
    try:
        # Checked again on the open descriptor: the path may have changed since os.stat.
        _check(path, _stat(path, lambda: os.fstat(fd), what, error), limit, what, error)
        if _NONBLOCK:
            os.set_blocking(fd, True)
        raw = io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    message = f"{path}: holds more than the {limit:,} bytes netbuilder reads as a {what}"
    return io.BufferedReader(_Capped(raw, limit, message, error))


def read_regular(
    path: str | os.PathLike[str],
    limit: int,
    *,
    what: str = "file",
    error: type[NetbuilderError] = GraphFileError,
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`open_regular`)."""
    with open_regular(path, limit, what=what, error=error) as handle:
        try:
            return handle.read()
        except OSError as exc:
            raise _os_error(Path(path), exc, what, error) from None


class _Capped(io.RawIOBase):
    """A raw file that refuses to read beyond ``limit`` bytes from its start."""

    def __init__(self, raw: io.FileIO, limit: int, message: str,
                 error: type[NetbuilderError]) -> None:
        super().__init__()
        self._raw, self._limit, self._message, self._error = raw, limit, message, error

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        # One byte more than the limit may be read: that is how a longer file shows itself.
        room = max(self._limit + 1 - self._raw.tell(), 0)
        count = self._raw.readinto(memoryview(buffer)[:room]) or 0
        if self._raw.tell() > self._limit:
            raise self._error(self._message)
        return count

    def readall(self) -> bytes:
        # RawIOBase's own readall reads 8 KiB at a time: slow for a 500 MB CSV.
        chunks = []
        while chunk := self.read(1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _stat(path: Path, call: Callable[[], os.stat_result], what: str,
          error: type[NetbuilderError]) -> os.stat_result:
    try:
        return call()
    except OSError as exc:
        raise _os_error(path, exc, what, error) from None


def _check(path: Path, info: os.stat_result, limit: int, what: str,
           error: type[NetbuilderError]) -> None:
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise error(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
        raise error(f"{path}: is not a regular file ({kind})")
    if info.st_size > limit:
        raise error(f"{path}: is too large for a {what} ({info.st_size:,} bytes; netbuilder "
                    f"reads at most {limit:,})")


def _os_error(path: Path, exc: OSError, what: str,
              error: type[NetbuilderError]) -> NetbuilderError:
    if isinstance(exc, FileNotFoundError):
        return error(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return error(f"{path}: is a folder, not a {what}")
    return error(f"{path}: cannot be read ({exc.strerror or exc})")
