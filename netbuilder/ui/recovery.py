"""Autosave to recovery files, and finding the ones a crashed session left behind.

Every 30 seconds each modified document is written (atomically) to the recovery folder of
this window's session; a document that is saved or closed on purpose has its recovery file
removed, and a window that closes normally removes its whole session folder.

Each session folder holds a lock (``QLockFile``) for as long as its window lives. Qt finds a
lock stale once the process that took it is gone, so at start-up the folders whose lock can
be taken belong to sessions that ended abruptly, while those of a second netbuilder running at
the same time stay locked and are left alone.

Start-up must survive whatever the recovery folder holds (a crash mid-write, a hand edit, a
disk error): :func:`scan` skips what it cannot use and says so, and nothing is deleted that
was not read and dealt with. A new recovery file is written before the old one goes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from netbuilder.core import fileformat
from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import GraphFileError, NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.core.text import text_problem

AUTOSAVE_INTERVAL_MS = 30_000
_SUFFIX = ".recovery.nbg"
_META = ".recovery.json"
_LOCK = "session.lock"
_SESSION_PREFIX = "session-"
_UNREADABLE = "unreadable"
#: A note holds a path and a title: anything bigger is not one of ours.
_MAX_NOTE_BYTES = 64 * 1024
_MAX_TITLE = 200

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recoverable:
    """A recovery file left by an earlier session.

    Attributes:
        path: the recovery file (a normal .nbg file).
        original: the file the document was last saved to or opened from, if any.
        title: the document's name as its tab showed it.
    """

    path: Path
    original: str | None
    title: str


def recovery_dir() -> Path:
    """The folder that holds one sub-folder per session (created when missing)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    folder = Path(base or Path.home() / ".netbuilder") / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _lock(folder: Path) -> QLockFile:
    lock = QLockFile(str(folder / _LOCK))
    # Age never makes a lock stale: only the death of the process that holds it does.
    lock.setStaleLockTime(0)
    return lock


def _meta_path(path: Path) -> Path:
    return Path(str(path)[: -len(_SUFFIX)] + _META)


class RecoverySession:
    """This window's recovery folder, locked while the window lives."""

    def __init__(self, root: Path | None = None) -> None:
        root = root or recovery_dir()
        self.folder = root / f"{_SESSION_PREFIX}{uuid.uuid4().hex[:12]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(self.folder)
        self._lock.tryLock(0)

    def path_of(self, key: str) -> Path:
        return self.folder / f"{key}{_SUFFIX}"

    def write(self, key: str, data: str | bytes, original: Path | None, title: str) -> Path:
        """Writes one document's recovery file (``data``: the .nbg text) and a note of where
        it came from, each atomically: the previous recovery file stays until the new one is
        complete.

        Raises:
            GraphFileError: the recovery folder cannot be written, or the text cannot be
                encoded.
        """
        path = self.path_of(key)
        if isinstance(data, str):
            try:
                data = data.encode("utf-8")
            except UnicodeEncodeError as error:
                raise GraphFileError(f"{path}: cannot be written ({error.reason})") from None
        meta = {"original": str(original) if original else None, "title": title}
        write_atomic(_meta_path(path), json.dumps(meta).encode("utf-8"))
        write_atomic(path, data)
        return path

    def discard(self, key: str) -> None:
        path = self.path_of(key)
        for stale in (path, _meta_path(path)):
            with contextlib.suppress(OSError):  # what cannot go now goes with the folder
                stale.unlink(missing_ok=True)

    def close(self) -> None:
        """A clean end: nothing is left to recover."""
        self._lock.unlock()
        shutil.rmtree(self.folder, ignore_errors=True)


def left_over(root: Path | None = None) -> list[Recoverable]:
    """Recovery files of sessions that did not end cleanly (none of a running session)."""
    return scan(root)[0]


def scan(root: Path | None = None) -> tuple[list[Recoverable], list[str]]:
    """The recovery files of sessions that did not end cleanly, and what had to be skipped.

    Never raises: a recovery folder that cannot be made or read, a session "folder" that is
    a file, an entry that is not a plain file or cannot be read is skipped, left where it is,
    described in the second list and logged. A note that is malformed costs only the
    document's name and file.
    """
    problems: list[str] = []
    try:
        root = root or recovery_dir()
        folders = sorted(root.glob(f"{_SESSION_PREFIX}*"))
    except OSError as error:
        folders = []
        problems.append(f"the recovery folder cannot be used ({_reason(error)})")
    found = [item for folder in folders for item in _scan_session(folder, problems)]
    for problem in problems:
        log.warning("recovery: %s", problem)
    return found, problems


def _scan_session(folder: Path, problems: list[str]) -> list[Recoverable]:
    if not folder.is_dir():
        problems.append(f"{folder.name} is not a folder; it was skipped")
        return []
    lock = _lock(folder)
    if not lock.tryLock(0):
        if lock.error() != QLockFile.LockError.LockFailedError:
            problems.append(f"{folder.name} cannot be locked; it was skipped")
        return []  # else a netbuilder still running owns this session
    try:
        entries = sorted(folder.glob(f"*{_SUFFIX}"))
        found = []
        for path in entries:
            if _is_plain_file(path):
                found.append(_read(path))
            else:
                problems.append(f"{folder.name}/{path.name} is not a plain file; it was left "
                                "where it is")
    except OSError as error:  # the folder went or cannot be listed: keep whatever it holds
        problems.append(f"{folder.name} cannot be read ({_reason(error)}); it was skipped")
        return []
    finally:
        lock.unlock()
    if not entries:
        _remove_if_done(folder)  # a session that ended abruptly with nothing unsaved
    return found


def _is_plain_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _read(path: Path) -> Recoverable:
    # The document itself is what matters; a lost or malformed note costs only its name.
    meta = _read_note(_meta_path(path))
    fallback = _title(path.name[: -len(_SUFFIX)], "unnamed")
    return Recoverable(path, _original(meta.get("original")), _title(meta.get("title"),
                                                                     fallback))


def _read_note(path: Path) -> dict[str, object]:
    """The note's object; empty when it is missing, not a plain file, too big or malformed."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO in the folder must not hang start-up
    except OSError:
        return {}
    try:
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return {}
            raw = stream.read(_MAX_NOTE_BYTES + 1)
    except OSError:
        return {}
    if len(raw) > _MAX_NOTE_BYTES:
        return {}
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _original(value: object) -> str | None:
    """The note's file path when it can name a file (text, no NUL, encodable), else None."""
    if not isinstance(value, str) or not value or "\x00" in value or len(value) > 4096:
        return None
    try:
        os.fsencode(value)
    except (UnicodeError, ValueError):
        return None
    return value if Path(value).name else None  # "/" or "." names no file to save to


def _title(value: object, fallback: str) -> str:
    """One line of text a tab can show, else ``fallback``."""
    if not isinstance(value, str):
        return fallback
    title = " ".join(value.split())[:_MAX_TITLE]
    return title if title and text_problem(title) is None else fallback


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


def discard_file(path: Path) -> bool:
    """Removes a recovered (or declined) file, and its session folder once empty.

    Returns:
        Whether the recovery file is gone (False: it could not be removed and stays).
    """
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        log.warning("recovery: %s cannot be removed (%s)", path, _reason(error))
        return False
    with contextlib.suppress(OSError):
        _meta_path(path).unlink(missing_ok=True)
    _remove_if_done(path.parent)
    return True


def set_aside(path: Path) -> Path | None:
    """Moves a recovery file that cannot be read out of the way.

    Returns:
        Where it went, or None when it could not be moved (it then stays where it is).
    """
    target = path.parent.parent / _UNREADABLE / f"{path.parent.name}-{path.name}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
    except OSError as error:
        log.warning("recovery: %s cannot be set aside (%s)", path, _reason(error))
        return None
    with contextlib.suppress(OSError):
        _meta_path(path).unlink(missing_ok=True)
    _remove_if_done(path.parent)
    return target


def _remove_if_done(folder: Path) -> None:
    with contextlib.suppress(OSError):
        if folder.name.startswith(_SESSION_PREFIX) and not any(folder.glob(f"*{_SUFFIX}")):
            (folder / _LOCK).unlink(missing_ok=True)
            folder.rmdir()


class Autosaved(Protocol):
    """What the autosaver needs of a document widget."""

    doc: Document
    path: Path | None

    @property
    def modified(self) -> bool: ...

    def property(self, name: str) -> object:
        """A Qt property of the widget (its describe callback may read the untitled name)."""


class Autosaver(QObject):
    """Writes the modified documents of one window to its recovery session on a timer.

    Signals:
        failed(message): a recovery file could not be written (the document is untouched).
    """

    failed = Signal(str)

    def __init__(self, describe: Callable[[Autosaved], str], parent: QObject | None = None,
                 interval_ms: int = AUTOSAVE_INTERVAL_MS, root: Path | None = None) -> None:
        super().__init__(parent)
        self._describe = describe
        self._root = root
        self._session: RecoverySession | None = None
        self._keys: dict[Autosaved, str] = {}
        self._written: dict[str, bytes] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    @property
    def session(self) -> RecoverySession:
        # Created on first use, so that a window that never autosaves leaves no folder behind.
        if self._session is None:
            self._session = RecoverySession(self._root)
        return self._session

    def track(self, editor: Autosaved) -> None:
        self._keys[editor] = uuid.uuid4().hex[:16]

    def forget(self, editor: Autosaved) -> None:
        """The document was closed on purpose: its recovery file goes."""
        key = self._keys.pop(editor, None)
        if key is not None:
            self._discard(key)

    def saved(self, editor: Autosaved) -> None:
        """The document was saved: its recovery file is no longer needed."""
        key = self._keys.get(editor)
        if key is not None:
            self._discard(key)

    def recovery_file(self, editor: Autosaved) -> Path | None:
        key = self._keys.get(editor)
        return self.session.path_of(key) if key else None

    def save_now(self) -> bool:
        """Writes every modified document whose text changed since its last autosave.

        Returns:
            True when every modified document's recovery file is up to date.
        """
        results = [self._save(editor, key) for editor, key in list(self._keys.items())]
        return all(results)

    def save_editor(self, editor: Autosaved) -> bool:
        """Writes one document's recovery file now; True once it is up to date on disk."""
        key = self._keys.get(editor)
        return key is not None and self._save(editor, key)

    def _save(self, editor: Autosaved, key: str) -> bool:
        if not editor.modified:
            self._discard(key)
            return True
        try:
            name = self._describe(editor)
            data = fileformat.encode(editor.doc, name)
            if self._written.get(key) != data:
                self.session.write(key, data, editor.path, name)
                self._written[key] = data
        except (NetbuilderError, OSError) as error:
            self.failed.emit(f"Autosave failed: {error}")
            return False
        return True

    def shutdown(self) -> None:
        """The window closed normally: stops the timer and removes the session folder."""
        self.timer.stop()
        self._keys.clear()
        self._written.clear()
        if self._session is not None:
            self._session.close()
            self._session = None

    def _discard(self, key: str) -> None:
        self._written.pop(key, None)
        if self._session is not None:
            self._session.discard(key)
