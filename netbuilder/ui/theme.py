"""Colours and fonts of the editor, in a dark and a light variant that follow the system.

Every colour a painter uses comes from the active :class:`Theme`, so that switching themes
repaints the canvas consistently.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

#: One hue per palette category; nodes carry it in their header stripe and palette icon.
CATEGORY_HUES = {
    "Input / Output": "#3e9b6b",
    "Dense": "#4a7fd4",
    "Convolution": "#8e5bd0",
    "Pooling": "#b0569e",
    "Recurrent": "#d0843a",
    "Attention": "#d6603f",
    "Normalization": "#2f9fae",
    "Activation": "#8d9a2f",
    "Structure": "#7a8594",
    "Merge": "#5f7f9f",
    "Generative": "#c0497a",
    "Loss": "#c94f4f",
}

#: Colours a comment frame may take, by name (the file stores the name).
FRAME_COLORS = {
    "blue": "#4a7fd4",
    "green": "#3e9b6b",
    "orange": "#d0843a",
    "purple": "#8e5bd0",
    "red": "#c94f4f",
    "grey": "#7a8594",
}


@dataclass(frozen=True)
class Theme:
    """The canvas colours of one variant."""

    name: str
    canvas: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    node_text: QColor
    node_subtle: QColor
    selection: QColor
    wire: QColor
    wire_selected: QColor
    wire_label_bg: QColor
    wire_label_text: QColor
    error: QColor
    warning: QColor
    port: QColor
    port_hover: QColor

    def category(self, category: str) -> QColor:
        return QColor(CATEGORY_HUES.get(category, "#7a8594"))

    def frame(self, name: str) -> QColor:
        colour = QColor(FRAME_COLORS.get(name, name))
        return colour if colour.isValid() else QColor(FRAME_COLORS["blue"])


DARK = Theme(
    name="dark",
    canvas=QColor("#1f2228"),
    grid_minor=QColor("#262a31"),
    grid_major=QColor("#2e333b"),
    node_body=QColor("#2c3038"),
    node_border=QColor("#41464f"),
    node_text=QColor("#e8eaed"),
    node_subtle=QColor("#a3a9b3"),
    selection=QColor("#f0b429"),
    wire=QColor("#8a94a3"),
    wire_selected=QColor("#f0b429"),
    wire_label_bg=QColor("#1f2228"),
    wire_label_text=QColor("#c4cad3"),
    error=QColor("#ef5350"),
    warning=QColor("#ffb74d"),
    port=QColor("#c4cad3"),
    port_hover=QColor("#f0b429"),
)

LIGHT = Theme(
    name="light",
    canvas=QColor("#f4f5f7"),
    grid_minor=QColor("#eceef1"),
    grid_major=QColor("#e1e4e8"),
    node_body=QColor("#ffffff"),
    node_border=QColor("#c9ced6"),
    node_text=QColor("#1f2328"),
    node_subtle=QColor("#5c6470"),
    selection=QColor("#d48806"),
    wire=QColor("#7d8796"),
    wire_selected=QColor("#d48806"),
    wire_label_bg=QColor("#f4f5f7"),
    wire_label_text=QColor("#3d4450"),
    error=QColor("#d32f2f"),
    warning=QColor("#b26a00"),
    port=QColor("#5c6470"),
    port_hover=QColor("#d48806"),
)

_active: Theme = DARK
_mode = "system"


class ThemeNotifier(QObject):
    """Announces theme changes, so that widgets that paint with theme colours can repaint.

    Signals:
        changed(name): ``"dark"`` or ``"light"`` is now active.
    """

    changed = Signal(str)


_notifier: ThemeNotifier | None = None
_following_system = False
#: (id of the QApplication, theme name) last applied to the widgets.
_applied: tuple[int, str] | None = None


def notifier() -> ThemeNotifier:
    """The object whose ``changed`` signal fires after every :func:`apply`."""
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


def current() -> Theme:
    """The theme painters use now."""
    return _active


def mode() -> str:
    """What was asked for last: ``"system"``, ``"dark"`` or ``"light"``."""
    return _mode


def system_prefers_dark() -> bool:
    """The desktop's colour scheme, where Qt can tell; dark otherwise."""
    app = QGuiApplication.instance()
    if app is None:
        return True
    return QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Light


def apply(name: str = "system") -> Theme:
    """Activates ``"dark"``, ``"light"`` or ``"system"`` for the canvas and the widgets.

    With ``"system"`` the theme also follows later changes of the desktop's colour scheme.
    Listeners of :func:`notifier` hear about every change. Asking again for the theme that is
    already applied does nothing: restyling re-polishes every widget of the application.
    """
    global _active, _mode, _applied
    _mode = name if name in ("dark", "light") else "system"
    resolved = _mode if _mode != "system" else "dark" if system_prefers_dark() else "light"
    _active = DARK if resolved == "dark" else LIGHT
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return _active
    if _applied == (id(app), _active.name):
        return _active
    _applied = (id(app), _active.name)
    _follow_system()
    app.setStyle("Fusion")  # the same crisp look on every platform
    app.setPalette(_widget_palette(_active))
    app.setStyleSheet(_style_sheet(_active))
    notifier().changed.emit(_active.name)
    return _active


def _follow_system() -> None:
    global _following_system
    if not _following_system:
        _following_system = True
        QGuiApplication.styleHints().colorSchemeChanged.connect(_system_scheme_changed)


def _system_scheme_changed(_scheme: object) -> None:
    if _mode == "system" and (_active is DARK) != system_prefers_dark():
        apply("system")


@dataclass(frozen=True)
class _Panel:
    """The widget colours of one variant (the canvas colours are in :class:`Theme`)."""

    window: str
    base: str
    alternate: str
    button: str
    mid: str
    midlight: str
    light: str
    dark: str
    shadow: str
    highlight: str
    tooltip: str
    link: str
    hover: str
    title_bar: str
    control_border: str


_PANELS = {
    "dark": _Panel(window="#25282e", base="#2b2f36", alternate="#2f333a", button="#2e3239",
                   mid="#3a3f47", midlight="#33373e", light="#41464f", dark="#181a1e",
                   shadow="#101214", highlight="#3d6fb8", tooltip="#30343b", link="#6ea8fe",
                   hover="#3a3f47", title_bar="#2a2e35", control_border="#5b616c"),
    "light": _Panel(window="#f3f4f6", base="#ffffff", alternate="#f6f7f9", button="#e9ebef",
                    mid="#c9ced6", midlight="#dde1e6", light="#ffffff", dark="#a9b0ba",
                    shadow="#8a929e", highlight="#2f6fce", tooltip="#ffffff", link="#1f6feb",
                    hover="#dde1e6", title_bar="#e6e8ec", control_border="#9aa2ad"),
}


def panel(theme: Theme | None = None) -> _Panel:
    """The widget colours of ``theme`` (the active one by default)."""
    return _PANELS[(theme or _active).name]


def _style_sheet(theme: Theme) -> str:
    from netbuilder import resources

    close = resources.icon_path("close").as_posix()
    check = resources.icon_path("check").as_posix()
    dash = resources.icon_path("dash").as_posix()
    colours = panel(theme)
    error = theme.error.name()
    # Fusion outlines check boxes in a shade of the window colour: invisible on dark panels.
    return f"""
QTabBar::close-button {{ image: url({close}); subcontrol-position: right; }}
QTabBar::close-button:hover {{ background: {colours.hover}; border-radius: 3px; }}
QDockWidget::title {{ padding: 5px 6px; background: {colours.title_bar}; }}
QToolTip {{ color: {theme.node_text.name()}; background: {colours.tooltip};
            border: 1px solid {colours.mid}; padding: 4px; }}
QCheckBox::indicator {{ width: 14px; height: 14px; border: 1px solid {colours.control_border};
                        border-radius: 3px; background: {colours.base}; }}
QCheckBox::indicator:hover, QCheckBox::indicator:focus {{ border-color: {colours.highlight}; }}
QCheckBox::indicator:checked {{ background: {colours.highlight}; border-color: {colours.highlight};
                                image: url({check}); }}
QCheckBox::indicator:indeterminate {{ background: {colours.highlight};
                                      border-color: {colours.highlight}; image: url({dash}); }}
QCheckBox::indicator:disabled {{ background: {colours.window}; border-color: {colours.mid}; }}
QCheckBox::indicator:checked:disabled {{ background: {colours.mid}; border-color: {colours.mid}; }}
QLabel[role="problem"] {{ color: {error}; }}
QLabel[role="subtle"] {{ color: {theme.node_subtle.name()}; }}
QLabel[role="section"] {{ color: {theme.node_subtle.name()}; font-weight: bold;
                          padding-top: 6px; }}
"""


def _widget_palette(theme: Theme) -> QPalette:
    palette = QPalette()
    colours = panel(theme)
    text = theme.node_text
    roles = {
        QPalette.ColorRole.Window: colours.window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: colours.base,
        QPalette.ColorRole.AlternateBase: colours.alternate,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: colours.button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: colours.highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: colours.tooltip,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: theme.node_subtle,
        # Fusion draws frames, tab bar bases and splitters with these: left at Qt's defaults
        # (white, black) they draw bright lines across the dark theme.
        QPalette.ColorRole.Light: colours.light,
        QPalette.ColorRole.Midlight: colours.midlight,
        QPalette.ColorRole.Mid: colours.mid,
        QPalette.ColorRole.Dark: colours.dark,
        QPalette.ColorRole.Shadow: colours.shadow,
        QPalette.ColorRole.Link: colours.link,
        QPalette.ColorRole.LinkVisited: colours.link,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor(theme.node_subtle)
    disabled.setAlphaF(0.75)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base,
                     QColor(colours.window))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight,
                     QColor(colours.highlight).darker(115) if theme.name == "dark"
                     else QColor(colours.midlight))
    palette.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.HighlightedText,
                     QColor("#ffffff") if theme.name == "dark" else text)
    return palette
