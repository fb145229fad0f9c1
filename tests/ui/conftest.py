"""UI test set-up: settings and recovery files go to a throwaway place, never the user's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from netbuilder.ui import theme
from netbuilder.ui.gc_guard import GuiThreadCollector
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import FakeDialogs, close_quietly, shell_environment, show_window


@pytest.fixture(autouse=True, scope="session")
def gui_thread_collection(qapp: object) -> Iterator[None]:
    """Garbage collection on the GUI thread only, as the app runs it (see ui/gc_guard.py)."""
    collector = GuiThreadCollector()
    yield
    # Automatic collection stays off to the end: switched back on here, it ran inside the
    # remaining fixture teardowns, met leftover Qt wrappers and hung the process in a
    # destructor (twice in CI). tests/conftest.py ends the process right after the report.
    collector.stop(resume_automatic=False)


@pytest.fixture(autouse=True)
def isolated_settings(qapp: object) -> Iterator[None]:
    """Test-mode standard paths (QSettings and recovery files stay out of $HOME), named per
    process (two test runs at once never share them), emptied before each test; the dark
    theme, so that pictures do not depend on the desktop."""
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName("netbuilder-tests")
    QCoreApplication.setApplicationName(f"netbuilder-tests-{os.getpid()}")
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if data:
        shutil.rmtree(Path(data), ignore_errors=True)
    QSettings().clear()
    theme.apply("dark")
    yield
    QSettings().clear()
    # Widgets closed with deleteLater() go now: leftovers would slow every later test.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDialogs]:
    """Stand-ins for the modal dialogs, and settings private to the test (see shell_support)."""
    yield from shell_environment(monkeypatch)


@pytest.fixture
def window(qtbot: Any, dialogs: FakeDialogs) -> Iterator[MainWindow]:
    """The UI tests' main window: shown and active (1366x768, the smallest screen it is laid
    out for), with fake dialogs and settings of its own; closed whatever it holds afterwards.

    Tests that need something open in it take a fixture built on this one; only tests about
    several windows or a restart make windows of their own (with ``show_window``).
    """
    shown = show_window(qtbot)
    yield shown
    close_quietly(shown)
