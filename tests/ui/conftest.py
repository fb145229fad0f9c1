"""UI test set-up: settings and recovery files go to a throwaway place, never the user's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from netbuilder.ui import theme


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
