"""Themes: dark and light palettes that are readable, follow the system, and notify painters."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from netbuilder import resources
from netbuilder.core.blockspec import CATEGORIES
from netbuilder.ui import glyphs, theme
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow

Role = QPalette.ColorRole


def luminance(colour: QColor) -> float:
    """WCAG relative luminance."""
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in colour.getRgbF()[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mean_luminance(image: QImage) -> float:
    step = 7
    samples = [luminance(image.pixelColor(x, y))
               for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(samples) / len(samples)


@pytest.fixture
def example(window: MainWindow) -> DocumentWidget:
    """The CNN example, open in the window."""
    editor = window.open_file(resources.example_path("mnist_cnn"), as_copy=True)
    assert editor is not None
    return editor


@pytest.mark.parametrize("name", ["dark", "light"])
def test_text_is_readable_in_both_themes(name: str) -> None:
    theme.apply(name)
    palette = QApplication.palette()
    assert contrast(palette.color(Role.Text), palette.color(Role.Base)) >= 7
    assert contrast(palette.color(Role.WindowText), palette.color(Role.Window)) >= 7
    assert contrast(palette.color(Role.ButtonText), palette.color(Role.Button)) >= 7
    assert contrast(palette.color(Role.HighlightedText), palette.color(Role.Highlight)) >= 4.5
    assert contrast(palette.color(Role.PlaceholderText), palette.color(Role.Base)) >= 3
    current = theme.current()
    assert contrast(current.error, palette.color(Role.Base)) >= 3.5  # field messages
    assert contrast(current.node_subtle, palette.color(Role.Window)) >= 4.5  # section titles
    disabled = palette.color(QPalette.ColorGroup.Disabled, Role.Text)
    assert disabled != palette.color(Role.Text)  # greyed-out params look greyed out


def test_apply_sets_the_theme_and_tells_listeners(qtbot: Any) -> None:
    heard: list[str] = []
    theme.notifier().changed.connect(heard.append)
    try:
        assert theme.apply("light") is theme.LIGHT and theme.current() is theme.LIGHT
        assert theme.mode() == "light"
        assert QApplication.palette().color(Role.Base) == QColor(theme.panel().base)
        theme.apply("dark")
        assert heard[-2:] == ["light", "dark"]
    finally:
        theme.notifier().changed.disconnect(heard.append)


def test_system_follows_the_desktop_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    prefers_dark = [False]
    monkeypatch.setattr(theme, "system_prefers_dark", lambda: prefers_dark[0])
    assert theme.apply("system") is theme.LIGHT and theme.mode() == "system"
    prefers_dark[0] = True
    QGuiApplication.styleHints().colorSchemeChanged.emit(theme.Qt.ColorScheme.Dark)
    assert theme.current() is theme.DARK  # followed without being asked
    theme.apply("light")
    QGuiApplication.styleHints().colorSchemeChanged.emit(theme.Qt.ColorScheme.Dark)
    assert theme.current() is theme.LIGHT  # an explicit choice stays


def test_every_category_has_a_colour_and_a_glyph() -> None:
    assert set(CATEGORIES) <= set(theme.CATEGORY_HUES)
    for category in CATEGORIES:
        image = glyphs.category_icon(category).pixmap(QSize(16, 16), 1.0).toImage()
        assert image.width() == 16
        background = image.pixelColor(8, 14)  # inside the rounded square, below the glyph
        hue = QColor(theme.CATEGORY_HUES[category])
        assert abs(background.red() - hue.red()) + abs(background.green() - hue.green()) \
            + abs(background.blue() - hue.blue()) < 30, category
    for severity in ("error", "warning", "ok"):
        assert not glyphs.severity_icon(severity).isNull()


@pytest.mark.usefixtures("example")
@pytest.mark.parametrize("name", ["dark", "light"])
def test_the_panels_take_the_theme(name: str, window: MainWindow) -> None:
    # Each panel as the user sees it, grabbed: the light theme must really be light.
    window.set_theme(name)
    window.inspector.show_nodes(window.current_editor, window.current_editor.current_graph,
                                list(window.current_editor.doc.graph(
                                    window.current_editor.current_graph).nodes)[1:2])
    QApplication.processEvents()
    panels: list[QWidget] = [window.block_palette, window.inspector, window.problems]
    for panel in panels:
        image = panel.grab().toImage()
        assert not image.isNull()
        level = mean_luminance(image)
        assert (level < 0.2) if name == "dark" else (level > 0.6), (panel, level)
