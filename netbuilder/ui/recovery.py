"""Autosave to recovery files, and the offer to recover them after a crash.

Every 30 seconds each modified document is written (atomically) to the recovery folder; a
document that is saved or closed on purpose has its recovery file removed. Files still there
at start-up belong to a session that ended abruptly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths

from netbuilder.core import fileformat

AUTOSAVE_INTERVAL_MS = 30_000
_SUFFIX = ".recovery.nbg"
_META = ".recovery.json"


@dataclass(frozen=True)
class Recoverable:
    """A recovery file left by an earlier session."""

    path: Path
    original: str | None
    title: str


def recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    folder = Path(base or Path.home() / ".netbuilder") / "recovery"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def recovery_key(document_id: str) -> str:
    return hashlib.sha1(document_id.encode("utf-8")).hexdigest()[:16]


def write(document_id: str, text: str, original: Path | None, title: str) -> Path:
    """Writes one document's recovery file (and a note of where it came from)."""
    folder = recovery_dir()
    key = recovery_key(document_id)
    path = folder / f"{key}{_SUFFIX}"
    fileformat.write_atomic(path, text.encode("utf-8"))
    meta = {"original": str(original) if original else None, "title": title}
    fileformat.write_atomic(folder / f"{key}{_META}", json.dumps(meta).encode("utf-8"))
    return path


def discard(document_id: str) -> None:
    folder = recovery_dir()
    key = recovery_key(document_id)
    for suffix in (_SUFFIX, _META):
        (folder / f"{key}{suffix}").unlink(missing_ok=True)


def discard_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(str(path)[: -len(_SUFFIX)] + _META).unlink(missing_ok=True)


def left_over() -> list[Recoverable]:
    """Recovery files from sessions that did not close cleanly."""
    found = []
    for path in sorted(recovery_dir().glob(f"*{_SUFFIX}")):
        meta_path = Path(str(path)[: -len(_SUFFIX)] + _META)
        original, title = None, path.name
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            original, title = meta.get("original"), meta.get("title") or title
        except (OSError, ValueError, AttributeError):
            pass
        found.append(Recoverable(path, original, str(title)))
    return found
