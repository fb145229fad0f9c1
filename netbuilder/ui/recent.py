"""The recent-files list, kept in the user's settings (newest first), and its menu."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import QMenu, QWidget

from netbuilder.core.paths import resolved

MAX_RECENT = 10
_KEY = "recent_files"


def recent_files() -> list[Path]:
    value: Any = QSettings().value(_KEY, [])  # whatever the settings file holds
    if isinstance(value, str):  # QSettings returns a one-item list as a plain string
        value = [value]
    return [Path(p) for p in (value or []) if isinstance(p, str) and p]


def _store(paths: list[Path]) -> None:
    QSettings().setValue(_KEY, [str(p) for p in paths[:MAX_RECENT]])


def add_recent(path: Path) -> None:
    """Puts ``path`` at the top of the list."""
    # resolved() never raises: a link loop is remembered as written, not an error on save.
    path = resolved(path)
    _store([path, *(p for p in recent_files() if p != path)])


def remove_recent(path: Path) -> None:
    """Drops ``path`` (a file that no longer opens) from the list."""
    _store([p for p in recent_files() if p not in (resolved(path), Path(path))])


def clear_recent() -> None:
    QSettings().setValue(_KEY, [])


class RecentMenu(QMenu):
    """File ▸ Open Recent: refilled from the settings each time it opens.

    Signals:
        open_requested(path): an entry was chosen.
    """

    open_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Open &Recent", parent)
        self.aboutToShow.connect(self.refill)

    def refill(self) -> None:
        self.clear()
        paths = recent_files()
        for number, path in enumerate(paths, start=1):
            # &1 … &9, &0: the digits pick an entry from the keyboard.
            action = self.addAction(f"&{number % 10}  {path.name}")
            action.setStatusTip(str(path))
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_requested.emit(p))
        if not paths:
            self.addAction("(none)").setEnabled(False)
            return
        self.addSeparator()
        self.addAction("Clear List", clear_recent)
