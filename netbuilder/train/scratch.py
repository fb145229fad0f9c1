"""Scratch folders of command-line runs (``netbuilder-train-*`` in the temp folder).

A run keeps its checkpoints in one while it trains and removes it at the end; a run that was
killed (SIGKILL, a power cut) cannot, so each run first removes the stale folders that killed
runs left. A folder is in use while its run holds a lock on the ``lock`` file inside (the
kernel drops the lock when the process dies, however it dies); a folder whose lock is free,
or that has none, goes once it is older than :data:`STALE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from netbuilder.core.errors import NetbuilderError

try:  # POSIX; elsewhere only the age tells, so the wait is longer
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PREFIX = "netbuilder-train-"
LOCK_NAME = "lock"
#: A free folder younger than this may be a run that is starting (made, not locked yet).
STALE_AFTER_S = 6 * 3600.0
#: Without file locks, a folder this old is taken for abandoned.
STALE_UNLOCKED_AFTER_S = 7 * 24 * 3600.0


@contextlib.contextmanager
def scratch_folder(parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A fresh, locked scratch folder for one run, removed when the block ends.

    Stale folders of killed runs in ``parent`` (default: the temp folder) go first.

    Raises:
        NetbuilderError: the folder cannot be made (the temp folder is full or read-only).
    """
    base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    remove_stale(base)
    try:
        folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    except OSError as error:
        raise NetbuilderError(f"cannot make a scratch folder in {base} "
                              f"({error.strerror or error}); set TMPDIR to a writable folder"
                              ) from None
    lock = _lock(folder)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if lock is not None:
            lock.close()


def remove_stale(base: Path, now: float | None = None) -> list[Path]:
    """Removes the scratch folders in ``base`` that no live run holds; errors are ignored.

    Returns:
        The folders removed.
    """
    now = time.time() if now is None else now
    removed = []
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if (entry.name.startswith(PREFIX) and entry.is_dir(follow_symlinks=False)
                        and _abandoned(Path(entry.path), now)):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(Path(entry.path))
    return removed


def _abandoned(folder: Path, now: float) -> bool:
    age = now - folder.stat(follow_symlinks=False).st_mtime
    if fcntl is None:
        return age > STALE_UNLOCKED_AFTER_S
    if age <= STALE_AFTER_S:
        return False
    lock = folder / LOCK_NAME
    if not lock.is_file():
        return True  # killed between making the folder and locking it, or an older netbuilder
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live run holds it
        return True


def _lock(folder: Path) -> IO[str] | None:
    """Holds the folder's lock for as long as the returned file stays open."""
    if fcntl is None:
        return None
    handle = open(folder / LOCK_NAME, "w")  # noqa: SIM115  (closed by scratch_folder)
    handle.write(f"{os.getpid()}\n")  # for a person who wonders whose folder it is
    handle.flush()
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle
