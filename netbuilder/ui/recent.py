"""The recent-files list, kept in the user's settings (newest first, at most ten)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

MAX_RECENT = 10
_KEY = "recent_files"


def recent_files() -> list[Path]:
    value = QSettings().value(_KEY, [])
    if isinstance(value, str):  # QSettings returns a one-item list as a plain string
        value = [value]
    return [Path(p) for p in (value or []) if isinstance(p, str) and p]


def _store(paths: list[Path]) -> None:
    QSettings().setValue(_KEY, [str(p) for p in paths[:MAX_RECENT]])


def add_recent(path: Path) -> None:
    """Puts ``path`` at the top of the list."""
    resolved = Path(path).resolve()
    _store([resolved, *(p for p in recent_files() if p != resolved)])


def remove_recent(path: Path) -> None:
    """Drops ``path`` (a file that no longer opens) from the list."""
    resolved = Path(path).resolve()
    _store([p for p in recent_files() if p not in (resolved, Path(path))])


def clear_recent() -> None:
    QSettings().setValue(_KEY, [])
