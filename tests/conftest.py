"""Shared test set-up.

Qt reads QT_QPA_PLATFORM when the QApplication is made, and pytest-qt makes it as soon as a
test asks for ``qapp``/``qtbot``; conftest.py is imported before any test module, so setting it
here runs before anything imports Qt. ``setdefault`` lets a developer watch the tests in a real
window with ``QT_QPA_PLATFORM=xcb pytest tests/ui``.
"""

from __future__ import annotations

import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Ends the test process once pytest has reported, skipping the interpreter's teardown.

    With Qt loaded, that teardown destroys the last wrapped objects after the application,
    and a widget's destructor once hung the process there after every test had passed (CI
    would wait out its time limit). The app's own exit is tested apart, in a subprocess
    (tests/ui/test_main_window.py). A plain run without Qt exits as usual.
    """
    if "PySide6.QtWidgets" not in sys.modules or not _exit_status:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status[-1])
