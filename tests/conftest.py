"""Shared test set-up.

Qt reads QT_QPA_PLATFORM when the QApplication is made, and pytest-qt makes it as soon as a
test asks for ``qapp``/``qtbot``; conftest.py is imported before any test module, so setting it
here runs before anything imports Qt. ``setdefault`` lets a developer watch the tests in a real
window with ``QT_QPA_PLATFORM=xcb pytest tests/ui``.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
