"""What the window remembers between sessions: its geometry, its docks and the theme."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow

THEMES = ("system", "dark", "light")
SETTINGS_THEME = "theme"
_GEOMETRY, _STATE = "window/geometry", "window/state"
#: The first window's size, when the screen has room for it.
FIRST_SIZE = (1440, 900)


def restore(window: QMainWindow) -> None:
    """Last session's geometry and dock layout; on a first start, a size that fits the screen."""
    settings = QSettings()
    geometry, state = settings.value(_GEOMETRY), settings.value(_STATE)
    if isinstance(geometry, QByteArray) and window.restoreGeometry(geometry):
        if isinstance(state, QByteArray):
            window.restoreState(state)
        return
    screen = window.screen().availableGeometry() if window.screen() else None
    width, height = FIRST_SIZE
    if screen is not None:
        width, height = min(width, screen.width()), min(height, screen.height())
    window.resize(width, height)


def save(window: QMainWindow) -> None:
    settings = QSettings()
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_STATE, window.saveState())


def saved_theme() -> str:
    """The theme chosen in View ▸ Theme last time ("system" until one is chosen)."""
    name = str(QSettings().value(SETTINGS_THEME, "system"))
    return name if name in THEMES else "system"


def remember_theme(name: str) -> None:
    QSettings().setValue(SETTINGS_THEME, name)
