"""The recent-files list, kept in the user's settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
_KEY = "recent_files"


def recent_files() -> list[Path]:
    value = QSettings().value(_KEY, [])
    if isinstance(value, str):
        value = [value]
    return [Path(p) for p in (value or []) if isinstance(p, str)]


def add_recent(path: Path) -> None:
    paths = [p for p in recent_files() if p != path.resolve()]
    paths.insert(0, path.resolve())
    QSettings().setValue(_KEY, [str(p) for p in paths[:MAX_RECENT]])


def clear_recent() -> None:
    QSettings().setValue(_KEY, [])
