"""Shared by the application-shell tests: a shown main window, and stand-ins for modal dialogs.

A modal dialog would block an offscreen test forever, so :class:`FakeDialogs` replaces the
static ``QMessageBox`` and ``QFileDialog`` functions the window uses: it records what was asked
and answers from queues the test fills. An unexpected question fails the test.

:func:`shell_environment` also gives the test process settings and recovery files of its own:
conftest's test-mode folders are shared by every pytest process on the machine, and another
one starting a test empties them (seen: an autosave file vanishing under a running test).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QSettings, QStandardPaths, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow

Button = QMessageBox.StandardButton
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


class FakeDialogs:
    """Records the modal dialogs the window opens and answers them.

    Attributes:
        questions: texts of ``QMessageBox.question`` calls, in order.
        errors: texts of ``QMessageBox.critical`` calls.
        answers: buttons the next questions get (an empty queue fails the test).
        save_paths / open_paths: what the next file dialogs return ("" is Cancel).
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.questions: list[str] = []
        self.errors: list[str] = []
        self.answers: list[Button] = []
        self.save_paths: list[str] = []
        self.open_paths: list[str] = []
        self.save_suggestions: list[str] = []
        monkeypatch.setattr(QMessageBox, "question", staticmethod(self._question))
        monkeypatch.setattr(QMessageBox, "critical", staticmethod(self._critical))
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(self._save))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(self._open))

    def _question(self, parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Button:
        self.questions.append(text)
        if not self.answers:
            raise AssertionError(f"unexpected question: {text!r}")
        return self.answers.pop(0)

    def _critical(self, parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Button:
        self.errors.append(text)
        return Button.Ok

    def _save(self, parent: Any, caption: str = "", directory: str = "", *args: Any,
              **kwargs: Any) -> tuple[str, str]:
        self.save_suggestions.append(directory)
        if not self.save_paths:
            raise AssertionError("unexpected save dialog")
        return self.save_paths.pop(0), ""

    def _open(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        if not self.open_paths:
            raise AssertionError("unexpected open dialog")
        return self.open_paths.pop(0), ""


def process_app_name() -> str:
    """The application name that keeps this process's settings and files apart."""
    return f"netbuilder-tests-{os.getpid()}"


def shell_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDialogs]:
    """Fake dialogs, and settings and recovery folders private to this test (a fixture body)."""
    QCoreApplication.setApplicationName(process_app_name())
    data = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation))
    shutil.rmtree(data, ignore_errors=True)
    QSettings().clear()
    yield FakeDialogs(monkeypatch)
    QSettings().clear()
    Path(QSettings().fileName()).unlink(missing_ok=True)
    shutil.rmtree(data, ignore_errors=True)


def show_window(qtbot: Any) -> MainWindow:
    """A main window, shown and active (window shortcuts only fire in the active window)."""
    window = MainWindow()
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    return window


def close_quietly(window: MainWindow) -> None:
    """Closes a window whatever its documents hold (test teardown)."""
    QApplication.processEvents()  # let zero-delay timers aimed at the views fire first
    for editor in window.editors():
        editor.undo_stack.setClean()
    window.close()
    window.deleteLater()
    # processEvents() leaves deferred deletes alone: without this, closed windows pile up and
    # every later restyle (conftest applies a theme per test) repolishes all of them.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def modify(editor: DocumentWidget, type_id: str = "dense") -> str:
    """An edit through the document's undo stack (adds a block); returns the node id."""
    graph = editor.current_graph
    assert graph is not None
    node_id = editor.add_block(graph, type_id, QPointF(400, 300))
    assert node_id is not None
    return node_id


def triggered(action: QAction) -> list[bool]:
    """A list that grows each time ``action`` fires."""
    fired: list[bool] = []
    action.triggered.connect(lambda checked=False: fired.append(True))
    return fired


def key(qtbot: Any, widget: Any, name: str) -> None:
    """Presses a key sequence written like "Ctrl+Shift+S" on ``widget``."""
    parts = name.split("+") if name != "Ctrl++" else ["Ctrl", "+"]
    modifiers = Qt.KeyboardModifier.NoModifier
    for part in parts[:-1]:
        modifiers |= {"Ctrl": CTRL, "Shift": SHIFT,
                      "Alt": Qt.KeyboardModifier.AltModifier}[part]
    last = parts[-1]
    names = {"Del": Qt.Key.Key_Delete, "Tab": Qt.Key.Key_Tab, "Backspace": Qt.Key.Key_Backspace,
             "PgDown": Qt.Key.Key_PageDown, "PgUp": Qt.Key.Key_PageUp, "F1": Qt.Key.Key_F1,
             "F2": Qt.Key.Key_F2, "+": Qt.Key.Key_Plus, "-": Qt.Key.Key_Minus,
             "=": Qt.Key.Key_Equal, "0": Qt.Key.Key_0}
    code = names.get(last) or getattr(Qt.Key, f"Key_{last.upper()}")
    if code == Qt.Key.Key_Tab and modifiers & SHIFT:
        code = Qt.Key.Key_Backtab  # what a keyboard sends for Shift+Tab
    qtbot.keyClick(widget, code, modifiers)


def example_copy(tmp_path: Path, name: str = "mnist_cnn") -> Path:
    """A writable copy of a bundled example."""
    from netbuilder import resources

    target = tmp_path / f"{name}.nbg"
    target.write_bytes(resources.example_path(name).read_bytes())
    return target
