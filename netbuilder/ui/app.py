"""Starts the netbuilder app: the Qt application, the theme, the window and the first file."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from netbuilder import resources
from netbuilder.train.warm_up import warm_up
from netbuilder.ui import theme
from netbuilder.ui.background import BackgroundTask
from netbuilder.ui.gc_guard import GuiThreadCollector
from netbuilder.ui.main_window import APP_NAME, MainWindow
from netbuilder.ui.window_state import saved_theme

DEFAULT_EXAMPLE = "mnist_cnn"


def create_application() -> QApplication:
    """The QApplication, named so that settings and recovery files have a home."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setOrganizationName(APP_NAME)
    app.setApplicationName(APP_NAME)
    # Matches packaging/netbuilder.desktop, so that Wayland shells show the right icon.
    app.setDesktopFileName(APP_NAME)
    icon = resources.icon_path()
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    theme.apply(saved_theme())
    return app


def open_window(path: str | None = None) -> MainWindow:
    """The main window with ``path`` open.

    Without a path, work recovered after a crash is offered first; when there is none, a
    copy of the CNN example opens so that the first look is a network, not an empty canvas.
    """
    window = MainWindow()
    recovered = window.offer_recovery()
    if path is not None:
        window.open_file(Path(path))
    elif not recovered:
        try:
            window.open_file(resources.example_path(DEFAULT_EXAMPLE), as_copy=True)
        except KeyError:
            window.show_status("The bundled examples are not installed: use File ▸ Open.")
    return window


def settle_garbage_collection(app: QApplication) -> GuiThreadCollector:
    """Freezes what lives as long as the app and hands collection to the GUI thread.

    Call once the window is open. Everything alive then (Qt, torch, the catalogue) lives as
    long as the app: moving it out of the collector's reach keeps full collections from
    pausing re-checks (65 -> 20 ms at the 95th percentile on a 1,000-block graph,
    tests/benchmarks/bench_editor.py). The benchmarks call this too, so they measure the app.
    """
    gc.collect()
    gc.freeze()
    return GuiThreadCollector(app)


def warm_up_training(app: QApplication) -> BackgroundTask:
    """Imports what the first training run would, on a background thread, now.

    See netbuilder/train/warm_up.py. Once done, the new modules' objects live as long as the
    app: frozen, as at start-up, so that no collection on the GUI thread scans them again
    (freezing scans nothing itself; the few garbage cycles made meanwhile stay, once).
    """
    task = BackgroundTask(warm_up, app)
    task.succeeded.connect(lambda _value: gc.freeze())
    task.start()
    return task


def main(path: str | None = None) -> int:
    """Runs the app until its window closes; returns the Qt event loop's exit code."""
    app = create_application()
    window = open_window(path)
    window.show()
    collector = settle_garbage_collection(app)
    warm_up_training(app)
    try:
        return app.exec()
    finally:
        collector.stop()
