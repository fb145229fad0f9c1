"""Files in the window lose nothing: failed saves, broken text, link loops.

A save that fails for a real reason (the text cannot be encoded, the disk is full, the file is
not writable) shows an error and keeps the document modified and the file as it was. Opening,
saving or remembering a path caught in a symbolic-link loop shows the error dialog instead
of an internal error.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netbuilder.core.commands import SetSetting
from netbuilder.ui import recent
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import Button, FakeDialogs, example_copy, key, modify

LONE = "\ud800"


def _fail_with(error: OSError) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error
    return fail


def _loop(tmp_path: Path, name: str = "loop.nbg") -> Path:
    path = tmp_path / name
    path.symlink_to(tmp_path / f"{name}.other")
    (tmp_path / f"{name}.other").symlink_to(path)
    return path


# ----- saving -----------------------------------------------------------------------------------
CAUSES: dict[str, tuple[Callable[[DocumentWidget, pytest.MonkeyPatch], None], str]] = {
    # A script (or a future bug) can still assign text no file can store, past the checks.
    "broken text": (lambda editor, mp: editor.doc.metadata.__setitem__("note", LONE),
                    "metadata.note"),
    "disk full": (lambda editor, mp: mp.setattr(os, "fsync", _fail_with(
        OSError(errno.ENOSPC, "No space left on device"))), "No space left"),
    "permission": (lambda editor, mp: mp.setattr(os, "replace", _fail_with(
        PermissionError(errno.EACCES, "Permission denied"))), "Permission denied"),
}


@pytest.mark.parametrize("cause", CAUSES)
def test_a_save_that_fails_for_any_reason_says_why_and_keeps_the_work(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, cause: str) -> None:
    path = example_copy(tmp_path)
    old = path.read_bytes()
    editor = window.open_file(path)
    modify(editor)
    breaks, words = CAUSES[cause]
    with monkeypatch.context() as patch:  # the fake dialogs' patches stay
        breaks(editor, patch)
        key(qtbot, window, "Ctrl+S")
    assert len(dialogs.errors) == 1 and words in dialogs.errors[0]
    assert editor.modified and window.isWindowModified()
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_cnn.nbg"]  # no temporaries
    dialogs.answers = [Button.Cancel]  # closing still asks
    assert not window.close_tab(0)


def test_text_no_file_can_store_is_refused_as_it_is_entered(window: MainWindow) -> None:
    editor = window.new_document()
    assert not editor.push(SetSetting("metadata", "title", f"net{LONE}"))
    assert "metadata.title" in window.statusBar().currentMessage()
    assert not editor.modified and "title" not in editor.doc.metadata


# ----- symbolic-link loops ----------------------------------------------------------------------
def test_opening_a_link_loop_shows_the_error_dialog(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    loop = _loop(tmp_path)
    dialogs.open_paths = [str(loop)]
    window.open_dialog()
    assert window.open_file(loop) is None  # and by path (a drop, the command line)
    assert len(dialogs.errors) == 2 and "loop.nbg" in dialogs.errors[0]
    assert window.tabs.count() == 0


def test_a_link_loop_in_the_recent_files_shows_the_error_and_leaves_the_list(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    loop = _loop(tmp_path)
    recent.add_recent(loop)  # remembered as written
    assert recent.recent_files() == [loop]
    window.recent_menu.refill()
    next(a for a in window.recent_menu.actions() if a.text().endswith("loop.nbg")).trigger()
    assert len(dialogs.errors) == 1
    assert recent.recent_files() == []


def test_saving_into_a_link_loop_shows_the_error_and_keeps_the_work(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    folder = _loop(tmp_path, "folder")
    editor = window.new_document()
    modify(editor)
    dialogs.save_paths = [str(folder / "graph.nbg")]
    assert not window.save()
    assert len(dialogs.errors) == 1 and "graph.nbg" in dialogs.errors[0]
    assert editor.modified and editor.path is None


def test_an_open_document_is_found_even_beside_a_link_loop(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    editor = window.open_file(example_copy(tmp_path))
    loop = _loop(tmp_path)
    # Comparing the loop with the open document's path must not fail.
    assert window.open_file(loop) is None and len(dialogs.errors) == 1
    assert window.tabs.count() == 1 and window.current_editor is editor
