"""Atomic file writes: readers see the old file or the new one, never half of either.

Every netbuilder writer of a file a user keeps (graphs, exports, weights, checkpoints,
downloaded data) goes through :func:`write_atomic`: the bytes go to a temporary file beside
the target, are flushed and fsynced, and the temporary file is renamed over the target, whose
folder is then fsynced too. A crash, a full disk or an exception in the middle leaves the old
file as it was and no temporary behind; the temporaries of a killed process go at the next
write of the same file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from netbuilder.core.errors import GraphFileError, NetbuilderError

#: Writes the new content to the open temporary file (``torch.save(state, stream)``).
Writer = Callable[[BinaryIO], object]

#: A temporary file of an atomic write this much older than the next write of the same file is
#: the leftover of a killed write (a write in progress elsewhere is younger), and goes.
STALE_TEMPORARY_SECONDS = 10 * 60

_TEMPORARY_SUFFIX = ".tmp"


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | Writer,
    *,
    error: type[NetbuilderError] = GraphFileError,
    make_parents: bool = False,
) -> None:
    """Replaces ``path`` with new content, atomically.

    The file keeps the permissions of the one it replaces; a new file gets the usual ones
    (0o666 less the umask), not the owner-only mode of a temporary file.

    Args:
        path: the file to write.
        data: the new content, or a function that writes it to the open temporary file (so
            that a large object is streamed to disk instead of copied into memory first).
        error: the exception raised when the file cannot be written, e.g. a loader's own
            NetbuilderError subclass.
        make_parents: create missing parent folders first (a cache); otherwise a missing
            folder is an ``error``.

    Raises:
        NetbuilderError: (``error``) the file cannot be written; one line naming the path and
            the system's reason. The old file, if any, is intact.
        Exception: whatever ``data`` raises as a function, after the temporary file is gone.
    """
    path = Path(path)
    directory = _folder(path)
    handle: int | None = None
    temporary: str | None = None
    try:
        if make_parents:
            directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=_temporary_prefix(path),
                                             suffix=_TEMPORARY_SUFFIX)
        with os.fdopen(handle, "wb") as stream:
            handle = None
            if isinstance(data, bytes):
                stream.write(data)
            else:
                data(stream)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
        temporary = None
        _fsync_directory(directory)
    except OSError as exc:
        raise error(f"{path}: cannot be written ({exc.strerror or exc})") from None
    except ValueError as exc:  # a path no file system takes (an embedded NUL)
        raise error(f"{path!r}: cannot be written ({exc})") from None
    finally:
        if handle is not None:
            os.close(handle)
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def remove_stale_temporaries(path: Path, max_age: float = STALE_TEMPORARY_SECONDS) -> list[Path]:
    """Removes the temporary files that killed atomic writes of ``path`` left beside it.

    Only plain files named as :func:`write_atomic` names them (``.NAME.xxxxxxxx.tmp``, the
    random part as :func:`tempfile.mkstemp` makes it) and older than ``max_age`` seconds go:
    another file's temporaries and a write in progress are left alone. Errors are ignored.

    Returns:
        The files removed.
    """
    pattern = re.compile(re.escape(_temporary_prefix(path)) + r"[a-z0-9_]{8}"
                         + re.escape(_TEMPORARY_SUFFIX))
    removed: list[Path] = []
    now = time.time()
    with contextlib.suppress(OSError), os.scandir(_folder(path)) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if (pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                        and now - entry.stat(follow_symlinks=False).st_mtime > max_age):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _folder(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk (POSIX).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
