"""UI test set-up: settings and recovery files go to a throwaway place, never the user's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths

from netbuilder.ui import theme


@pytest.fixture(autouse=True)
def isolated_settings(qapp: object) -> Iterator[None]:
    """Test-mode standard paths (so QSettings and recovery files stay out of $HOME), emptied
    before each test, and the dark theme so that pictures do not depend on the desktop."""
    QStandardPaths.setTestModeEnabled(True)
    QCoreApplication.setOrganizationName("netbuilder-tests")
    QCoreApplication.setApplicationName("netbuilder-tests")
    data = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if data:
        shutil.rmtree(Path(data), ignore_errors=True)
    QSettings().clear()
    theme.apply("dark")
    yield
    QSettings().clear()
