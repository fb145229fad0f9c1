"""Autosave and crash recovery, end to end: edit, autosave, "crash", restart, recover."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import netbuilder
from netbuilder import resources
from netbuilder.core import fileformat
from netbuilder.ui import app, recovery
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import (
    Button,
    FakeDialogs,
    close_quietly,
    example_copy,
    key,
    modify,
    process_app_name,
    show_window,
)

REPO = Path(__file__).resolve().parents[2]


def _crash_copy(window: MainWindow) -> Path:
    """What a crashed process leaves: its session folder, with a lock nobody holds."""
    source = window.autosaver.session.folder
    target = source.with_name("session-crashed")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.lock"))
    return target


def test_autosave_runs_every_30_seconds(qtbot: Any, window: MainWindow) -> None:
    timer = window.autosaver.timer
    assert timer.interval() == recovery.AUTOSAVE_INTERVAL_MS == 30_000
    assert timer.isActive()
    editor = window.new_document()
    modify(editor)
    timer.setInterval(10)  # the same timer, sooner
    qtbot.waitUntil(lambda: window.autosaver.recovery_file(editor).exists(), timeout=2000)


def test_autosave_keeps_modified_documents_only(window: MainWindow, tmp_path: Path) -> None:
    clean = window.open_file(example_copy(tmp_path, "perceptron"))
    dirty = window.open_file(example_copy(tmp_path, "mnist_cnn"))
    modify(dirty)
    window.autosave()
    assert not window.autosaver.recovery_file(clean).exists()
    written = window.autosaver.recovery_file(dirty)
    assert written.read_text("utf-8") == fileformat.dumps(dirty.doc)
    window.focus_editor(dirty)
    window.save()
    assert not written.exists()  # saved work needs no recovery


def test_undoing_back_to_the_saved_state_drops_the_recovery_file(window: MainWindow) -> None:
    editor = window.new_document()
    modify(editor)
    window.autosave()
    assert window.autosaver.recovery_file(editor).exists()
    editor.undo_stack.undo()
    window.autosave()
    assert not window.autosaver.recovery_file(editor).exists()


def test_a_restarted_window_offers_the_unsaved_work_and_restores_it(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    editor = window.open_file(resources.example_path("mnist_cnn"))
    node_id = modify(editor)
    expected = fileformat.dumps(editor.doc)
    window.autosave()
    _crash_copy(window)

    restarted = show_window(qtbot)
    try:
        dialogs.answers = [Button.Yes]
        assert restarted.offer_recovery() == 1
        assert "mnist_cnn (example)" in dialogs.questions[0]
        recovered = restarted.current_editor
        assert recovered is not None
        assert fileformat.dumps(recovered.doc) == expected
        assert node_id in recovered.doc.graph("model").nodes
        assert recovered.modified and restarted.isWindowModified()
        assert recovered.path is None  # an example copy still asks where to save
        assert restarted.tabs.tabText(0) == "mnist_cnn (example) (recovered) •"
        assert recovery.left_over() == []  # offered once only
    finally:
        close_quietly(restarted)


def test_recovered_work_of_a_saved_file_goes_back_to_that_file(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    editor = window.open_file(path)
    modify(editor)
    window.autosave()
    _crash_copy(window)
    restarted = show_window(qtbot)
    try:
        dialogs.answers = [Button.Yes]
        restarted.offer_recovery()
        recovered = restarted.current_editor
        assert recovered.path == path and recovered.modified
        key(qtbot, restarted, "Ctrl+S")
        saved, lost = (json.loads(fileformat.dumps(doc))
                       for doc in (netbuilder.load(path), editor.doc))
        # The saved file also says where the restarted window's canvas looked.
        assert "canvas" in saved.pop("view") and lost.pop("view") == {}
        assert saved == lost
    finally:
        close_quietly(restarted)


def test_recovered_work_is_autosaved_again_at_once(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    _crash_copy(window)
    restarted = show_window(qtbot)
    try:
        dialogs.answers = [Button.Yes]
        restarted.offer_recovery()
        # A second crash right now still finds the work.
        assert restarted.autosaver.recovery_file(restarted.current_editor).exists()
    finally:
        close_quietly(restarted)


def test_the_work_of_a_running_window_is_not_offered_to_another(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    assert recovery.left_over() == []
    other = show_window(qtbot)
    try:
        assert other.offer_recovery() == 0
        assert dialogs.questions == []
    finally:
        close_quietly(other)


def test_declining_recovery_discards_the_files(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    crashed = _crash_copy(window)
    dialogs.answers = [Button.No]
    restarted = show_window(qtbot)
    try:
        assert restarted.offer_recovery() == 0
        assert restarted.tabs.count() == 0
        assert not crashed.exists()
    finally:
        close_quietly(restarted)


def test_an_unreadable_recovery_file_is_explained_and_set_aside(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    crashed = _crash_copy(window)
    for path in crashed.glob("*.recovery.nbg"):
        path.write_text("{ not json", "utf-8")
    dialogs.answers = [Button.Yes]
    restarted = show_window(qtbot)
    try:
        assert restarted.offer_recovery() == 0
        assert "Cannot recover" in dialogs.errors[0]
        kept = list((recovery.recovery_dir() / "unreadable").iterdir())
        assert len(kept) == 1 and kept[0].read_text("utf-8") == "{ not json"
        assert recovery.left_over() == []
    finally:
        close_quietly(restarted)


def test_a_clean_close_leaves_nothing_to_recover(window: MainWindow,
                                                 dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    folder = window.autosaver.session.folder
    dialogs.answers = [Button.Discard]
    assert window.close()
    assert not folder.exists()
    assert recovery.left_over() == []


def test_opening_the_app_after_a_crash_recovers_instead_of_opening_the_example(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.autosave()
    _crash_copy(window)
    dialogs.answers = [Button.Yes]
    started = app.open_window()
    try:
        assert [started.tabs.tabText(i) for i in range(started.tabs.count())] == [
            "Untitled (recovered) •"]
    finally:
        close_quietly(started)


_CRASHING_SESSION = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QPointF, QStandardPaths
    from PySide6.QtWidgets import QApplication
    QStandardPaths.setTestModeEnabled(True)
    application = QApplication([])
    QCoreApplication.setOrganizationName("netbuilder-tests")
    QCoreApplication.setApplicationName(sys.argv[2])
    from netbuilder.ui.main_window import MainWindow
    window = MainWindow()
    editor = window.open_file(sys.argv[1])
    editor.add_block("model", "dense", QPointF(500, 300))
    window.autosave()
    os._exit(3)  # a crash: no close event, no clean-up
""")


def test_recovery_after_the_process_really_crashed(
        qtbot: Any, dialogs: FakeDialogs, tmp_path: Path) -> None:
    path = example_copy(tmp_path, "perceptron")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", _CRASHING_SESSION, str(path),
                             process_app_name()], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 3, result.stderr
    found = recovery.left_over()
    assert [item.original for item in found] == [str(path)]
    restarted = show_window(qtbot)
    try:
        dialogs.answers = [Button.Yes]
        assert restarted.offer_recovery() == 1
        graph = restarted.current_editor.doc.graph("model")
        before = netbuilder.load(path).graph("model")
        assert len(graph.nodes) == len(before.nodes) + 1
        assert any(node.type == "dense" for node in graph.nodes.values())
    finally:
        close_quietly(restarted)
