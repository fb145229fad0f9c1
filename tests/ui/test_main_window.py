"""The main window: tabs, the dirty marker, the status bar, themes, layout, quitting."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox

from netbuilder import resources
from netbuilder.ui import recovery, theme
from netbuilder.ui.frame_dialog import FrameDialog
from netbuilder.ui.main_window import INSPECTOR_WIDTH, MainWindow
from tests.ui.shell_support import (
    Button,
    FakeDialogs,
    close_quietly,
    key,
    modify,
    process_app_name,
    show_window,
)


def test_an_empty_window_shows_how_to_start_and_disables_document_commands(
        window: MainWindow) -> None:
    assert window.current_editor is None
    assert window.empty_hint.isVisible() and not window.tabs.isVisible()
    assert "New graph" in window.empty_hint.text()
    assert not window.actions_by_name["save"].isEnabled()
    assert not window.actions_by_name["fit"].isEnabled()
    assert window.actions_by_name["new"].isEnabled()
    assert window.windowTitle() == "netbuilder"


def test_the_hint_links_run_their_commands(window: MainWindow) -> None:
    window.empty_hint.linkActivated.emit("new")
    assert len(window.editors()) == 1


def test_ctrl_n_opens_documents_in_tabs_and_ctrl_tab_switches(qtbot: Any,
                                                              window: MainWindow) -> None:
    key(qtbot, window, "Ctrl+N")
    key(qtbot, window, "Ctrl+N")
    assert window.tabs.count() == 2
    assert window.tabs.currentIndex() == 1
    key(qtbot, window, "Ctrl+Tab")
    assert window.tabs.currentIndex() == 0
    key(qtbot, window, "Ctrl+PgUp")
    assert window.tabs.currentIndex() == 1


def test_title_and_tab_show_unsaved_changes(window: MainWindow) -> None:
    editor = window.open_file(resources.example_path("perceptron"))
    assert editor is not None
    assert window.windowTitle() == "perceptron (example)[*] — netbuilder"
    assert not window.isWindowModified()
    modify(editor)
    assert window.isWindowModified()
    assert window.tabs.tabText(0) == "perceptron (example) •"
    editor.undo_stack.undo()
    assert not window.isWindowModified()
    assert window.tabs.tabText(0) == "perceptron (example)"


def test_each_tab_keeps_its_own_dirty_marker_and_undo_stack(qtbot: Any,
                                                            window: MainWindow) -> None:
    first = window.new_document()
    second = window.new_document()
    modify(second)
    assert window.tabs.tabText(window.tabs.indexOf(second)).endswith("•")
    assert not window.tabs.tabText(window.tabs.indexOf(first)).endswith("•")
    window.focus_editor(first)
    assert window.undo_group.activeStack() is first.undo_stack
    assert not window.actions_by_name["undo"].isEnabled()  # the first has nothing to undo


def test_status_bar_shows_parameters_of_each_network_and_the_zoom(qtbot: Any,
                                                                  window: MainWindow) -> None:
    window.open_file(resources.example_path("gan_mnist"))
    editor = window.current_editor
    assert editor is not None
    totals = window.status.totals.text()
    for name, analysis in editor.analyses().items():
        assert f"{name}: {analysis.total_params:,} params" in totals
    view = editor.current_view
    assert view is not None
    view.setFocus()
    key(qtbot, window, "Ctrl+0")
    assert window.status.zoom.text().strip() == "100%"
    key(qtbot, window, "Ctrl+-")
    assert window.status.zoom.text().strip() == f"{100 / 1.2:.0f}%"


def test_status_bar_counts_the_cnn_parameters(window: MainWindow) -> None:
    window.open_file(resources.example_path("mnist_cnn"))
    assert window.status.totals.text().strip() == "model: 225,034 params"


def test_the_canvas_gets_most_of_a_1366_by_768_screen(qtbot: Any, window: MainWindow) -> None:
    window.resize(1366, 768)
    window.open_file(resources.example_path("mnist_cnn"))
    qtbot.wait(10)
    view = window.current_editor.current_view
    assert view.viewport().width() >= 780
    assert view.viewport().height() >= 420
    assert window.inspector_dock.width() <= INSPECTOR_WIDTH + 40
    assert window.menuBar().sizeHint().width() < 1366
    assert window.font().pointSizeF() >= 9 or window.font().pixelSize() >= 12


def test_theme_switch_repaints_and_is_remembered(window: MainWindow) -> None:
    window.new_document()
    window.set_theme("light")
    assert theme.current().name == "light"
    assert QSettings().value("theme") == "light"
    assert window.theme_actions["light"].isChecked()
    window.set_theme("dark")
    assert theme.current().name == "dark"


def test_dock_layout_comes_back_next_time(qtbot: Any, dialogs: FakeDialogs) -> None:
    first = show_window(qtbot)
    first.problems_dock.hide()
    first.close()
    second = show_window(qtbot)
    try:
        assert not second.problems_dock.isVisible()
    finally:
        close_quietly(second)


def test_quit_with_nothing_modified_closes_without_asking(qtbot: Any, window: MainWindow,
                                                         dialogs: FakeDialogs) -> None:
    window.open_file(resources.example_path("perceptron"))
    modify(window.current_editor)
    window.autosave()
    window.current_editor.undo_stack.undo()  # back to clean
    key(qtbot, window, "Ctrl+Q")
    assert not window.isVisible()
    assert dialogs.questions == []
    assert recovery.left_over() == []
    assert list(recovery.recovery_dir().iterdir()) == []


def test_closing_the_window_with_unsaved_changes_asks_first(window: MainWindow,
                                                           dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    dialogs.answers = [Button.Cancel]
    assert not window.close()
    assert window.isVisible()
    assert len(dialogs.questions) == 1 and "Untitled" in dialogs.questions[0]
    dialogs.answers = [Button.Discard]
    assert window.close()
    assert not window.isVisible()


def test_closing_asks_about_each_modified_document(window: MainWindow,
                                                   dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    window.new_document()  # unmodified: no question
    modify(window.new_document())
    dialogs.answers = [Button.Discard, Button.Discard]
    assert window.close()
    assert len(dialogs.questions) == 2


def test_about_box(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda p, t, text: shown.append(text)))
    window.actions_by_name["about"].trigger()
    assert "netbuilder" in shown[0]


def test_ctrl_shift_tab_goes_back_a_document(qtbot: Any, window: MainWindow) -> None:
    window.new_document()
    window.new_document()
    key(qtbot, window, "Ctrl+Shift+Tab")
    assert window.tabs.currentIndex() == 0


# ----- the editing glue: frames, networks, context menus ----------------------------------------
def test_double_clicking_a_frame_edits_it_in_the_frame_dialog(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = window.open_file(resources.example_path("perceptron"))
    key(qtbot, editor.current_view, "Ctrl+A")
    key(qtbot, editor.current_view, "Ctrl+Shift+F")
    ((frame_id, frame),) = editor.doc.graph("model").frames.items()

    def edit(dialog: FrameDialog) -> int:
        assert dialog.title.text() == frame.title
        dialog.title.setText("Decision rule")
        dialog.color.setCurrentText("green")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(FrameDialog, "exec", edit)
    editor.item_activated.emit("model", "frame", frame_id)
    frame = editor.doc.graph("model").frames[frame_id]
    assert (frame.title, frame.color) == ("Decision rule", "green")
    editor.undo_stack.undo()
    assert editor.doc.graph("model").frames[frame_id].title != "Decision rule"


def test_networks_are_added_renamed_and_removed_from_the_network_menu(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = window.new_document()
    answers = [("critic", True), ("judge", True)]
    monkeypatch.setattr(QInputDialog, "getText",
                        staticmethod(lambda *args, **kwargs: answers.pop(0)))
    window.actions_by_name["add_network"].trigger()
    assert set(editor.doc.networks) == {"model", "critic"}
    assert editor.current_graph == "critic"
    window.actions_by_name["rename_network"].trigger()
    assert set(editor.doc.networks) == {"model", "judge"}
    editor.check_now()  # the canvas tabs follow the model at the next check
    editor.open_graph("judge")
    window.actions_by_name["remove_network"].trigger()
    assert set(editor.doc.networks) == {"model"}
    editor.check_now()
    window.actions_by_name["remove_network"].trigger()  # the last network stays
    assert set(editor.doc.networks) == {"model"}
    assert "at least one network" in window.statusBar().currentMessage()


def test_context_menus_offer_the_right_commands(window: MainWindow) -> None:
    window.new_document()
    node_menu = window.edits.context_menu("model", QPointF(10, 10), "node", "n1")
    canvas_menu = window.edits.context_menu("model", QPointF(10, 10), "canvas", None)
    frame_menu = window.edits.context_menu("model", QPointF(10, 10), "frame", "f1")
    texts = [[a.text() for a in m.actions() if a.text()] for m in (node_menu, canvas_menu,
                                                                    frame_menu)]
    for menu in (node_menu, canvas_menu, frame_menu):
        menu.close()
    assert "&Bypass Block" in texts[0] and "&Delete" in texts[0]
    assert "&Quick Add…" in texts[1] and "&Paste" in texts[1]
    assert texts[2] == ["&Delete", "Edit Frame…"]


def test_double_clicking_the_palette_adds_a_block_in_the_middle(window: MainWindow) -> None:
    editor = window.new_document()
    window.block_palette.block_activated.emit("dense")
    (node,) = editor.doc.graph("model").nodes.values()
    assert node.type == "dense"
    assert editor.modified


_QUIT_SOON = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QStandardPaths, QTimer
    QStandardPaths.setTestModeEnabled(True)
    from netbuilder.ui import app
    application = app.create_application()
    QCoreApplication.setOrganizationName("netbuilder-tests")
    QCoreApplication.setApplicationName(sys.argv[1])
    window = app.open_window(sys.argv[2] if len(sys.argv) > 2 else None)
    window.show()
    QTimer.singleShot(200, window.actions_by_name["quit"].trigger)
    sys.exit(application.exec())
""")


@pytest.mark.parametrize("example", [None, "gan_mnist"])
def test_the_real_app_quits_cleanly_with_nothing_modified(
        dialogs: FakeDialogs, example: str | None) -> None:
    args = [process_app_name()]
    if example:
        args.append(str(resources.example_path(example)))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run([sys.executable, "-c", _QUIT_SOON, *args], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    assert recovery.left_over() == []
