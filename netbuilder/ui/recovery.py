"""Autosave to recovery files, and finding the ones a crashed session left behind.

Every 30 seconds each modified document is written (atomically) to the recovery folder of
this window's session; a document that is saved or closed on purpose has its recovery file
removed, and a window that closes normally removes its whole session folder.

Each session folder holds a lock (``QLockFile``) for as long as its window lives. Qt finds a
lock stale once the process that took it is gone, so at start-up the folders whose lock can
be taken belong to sessions that ended abruptly, while those of a second netbuilder running at
the same time stay locked and are left alone.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from netbuilder.core import fileformat
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document

AUTOSAVE_INTERVAL_MS = 30_000
_SUFFIX = ".recovery.nbg"
_META = ".recovery.json"
_LOCK = "session.lock"
_SESSION_PREFIX = "session-"
_UNREADABLE = "unreadable"


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

    def write(self, key: str, text: str, original: Path | None, title: str) -> Path:
        """Writes one document's recovery file and a note of where it came from.

        Raises:
            GraphFileError: the recovery folder cannot be written.
        """
        path = self.path_of(key)
        meta = {"original": str(original) if original else None, "title": title}
        fileformat.write_atomic(_meta_path(path), json.dumps(meta).encode("utf-8"))
        fileformat.write_atomic(path, text.encode("utf-8"))
        return path

    def discard(self, key: str) -> None:
        path = self.path_of(key)
        for stale in (path, _meta_path(path)):
            stale.unlink(missing_ok=True)

    def close(self) -> None:
        """A clean end: nothing is left to recover."""
        self._lock.unlock()
        shutil.rmtree(self.folder, ignore_errors=True)


def left_over(root: Path | None = None) -> list[Recoverable]:
    """Recovery files of sessions that did not end cleanly (none of a running session)."""
    root = root or recovery_dir()
    found = []
    for folder in sorted(root.glob(f"{_SESSION_PREFIX}*")):
        lock = _lock(folder)
        if not folder.is_dir() or not lock.tryLock(0):
            continue  # a netbuilder still running owns this session
        try:
            files = sorted(folder.glob(f"*{_SUFFIX}"))
            found += [_read(path) for path in files]
        finally:
            lock.unlock()
        if not files:
            _remove_if_done(folder)  # a session that ended abruptly with nothing unsaved
    return found


def _read(path: Path) -> Recoverable:
    original, title = None, path.name[: -len(_SUFFIX)]
    try:
        meta = json.loads(_meta_path(path).read_text("utf-8"))
        original, title = meta.get("original"), meta.get("title") or title
    except (OSError, ValueError, AttributeError):
        pass  # the document itself is what matters; a lost note costs only its name
    return Recoverable(path, original, str(title))


def discard_file(path: Path) -> None:
    """Removes a recovered (or declined) file, and its session folder once empty."""
    path.unlink(missing_ok=True)
    _meta_path(path).unlink(missing_ok=True)
    _remove_if_done(path.parent)


def set_aside(path: Path) -> Path:
    """Moves a recovery file that cannot be read out of the way; returns where it went."""
    target_dir = path.parent.parent / _UNREADABLE
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{path.parent.name}-{path.name}"
    path.replace(target)
    _meta_path(path).unlink(missing_ok=True)
    _remove_if_done(path.parent)
    return target


def _remove_if_done(folder: Path) -> None:
    if folder.name.startswith(_SESSION_PREFIX) and not any(folder.glob(f"*{_SUFFIX}")):
        with contextlib.suppress(OSError):
            (folder / _LOCK).unlink(missing_ok=True)
            folder.rmdir()


class Autosaved(Protocol):
    """What the autosaver needs of a document widget."""

    doc: Document
    path: Path | None

    @property
    def modified(self) -> bool: ...


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
        self._written: dict[str, str] = {}
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

    def save_now(self) -> None:
        """Writes every modified document whose text changed since its last autosave."""
        for editor, key in list(self._keys.items()):
            if not editor.modified:
                self._discard(key)
                continue
            try:
                text = fileformat.dumps(editor.doc)
                if self._written.get(key) != text:
                    self.session.write(key, text, editor.path, self._describe(editor))
                    self._written[key] = text
            except (NetbuilderError, OSError, ValueError) as error:
                self.failed.emit(f"Autosave failed: {error}")

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
