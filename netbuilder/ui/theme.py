"""Colours and fonts of the editor, in a dark and a light variant that follow the system.

Every colour a painter uses comes from the active :class:`Theme`, so that switching themes
repaints the canvas consistently.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
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


def current() -> Theme:
    """The theme painters use now."""
    return _active


def system_prefers_dark() -> bool:
    """The desktop's colour scheme, where Qt can tell; dark otherwise."""
    app = QGuiApplication.instance()
    if app is None:
        return True
    return QGuiApplication.styleHints().colorScheme() != Qt.ColorScheme.Light


def apply(name: str = "system") -> Theme:
    """Activates ``"dark"``, ``"light"`` or ``"system"`` for the canvas and the widgets."""
    global _active
    if name == "system":
        name = "dark" if system_prefers_dark() else "light"
    _active = DARK if name == "dark" else LIGHT
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setStyle("Fusion")  # the same crisp look on every platform
        app.setPalette(_widget_palette(_active))
        app.setStyleSheet(_style_sheet(_active))
    return _active


def _style_sheet(theme: Theme) -> str:
    from netbuilder import resources

    close = resources.icon_path("close").as_posix()
    hover = "#3a3f47" if theme.name == "dark" else "#dde1e6"
    return (
        f"QTabBar::close-button {{ image: url({close}); subcontrol-position: right; }}"
        f"QTabBar::close-button:hover {{ background: {hover}; border-radius: 3px; }}"
        "QDockWidget::title { padding: 5px 6px; }"
    )


def _widget_palette(theme: Theme) -> QPalette:
    palette = QPalette()
    dark = theme.name == "dark"
    window = QColor("#25282e") if dark else QColor("#f3f4f6")
    base = QColor("#1d2025") if dark else QColor("#ffffff")
    text = theme.node_text
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor("#24272d") if dark else QColor("#f6f7f9"),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#2e3239") if dark else QColor("#e9ebef"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.Highlight: QColor("#3d6fb8") if dark else QColor("#3d7bd9"),
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.ToolTipBase: QColor("#30343b") if dark else QColor("#ffffe8"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: theme.node_subtle,
        QPalette.ColorRole.Mid: QColor("#3a3f47") if dark else QColor("#c9ced6"),
        QPalette.ColorRole.Midlight: QColor("#33373e") if dark else QColor("#dde1e6"),
        QPalette.ColorRole.Link: QColor("#6ea8fe") if dark else QColor("#1f6feb"),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    disabled = theme.node_subtle
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette
