"""Start-up survives any state of the recovery folder, and recovery never loses the work.

A property runs the start-up's recovery over every kind of note content and every folder
state we know of (malformed notes, a file where a folder should be, FIFOs, link loops, folders
where files should be): it always returns, recovers what can be recovered, and deletes
nothing it did not read and deal with.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QStandardPaths

from netbuilder.core import fileformat
from netbuilder.core.errors import GraphFileError
from netbuilder.ui import recovery
from netbuilder.ui.main_window import MainWindow
from tests.helpers import mlp_document
from tests.ui.shell_support import Button, FakeDialogs

GRAPH = fileformat.dumps(mlp_document()).encode("utf-8")
KEY = "0123456789abcdef"

#: Folder states, and whether the document is recovered in each.
STATES = {
    "note": True,
    "no note": True,
    "note is a folder": True,
    "note is a FIFO": True,
    "note is a link loop": True,
    "entry is a folder": False,
    "entry is a FIFO": False,
    "entry is a link loop": False,
    "entry is not a graph": False,
    "entry is not a graph and cannot be set aside": False,
    "session is a file": False,
    "recovery folder is a file": False,
    "app data folder is a file": False,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["\ud800", "a\x00b", "", "/no/such/folder/m.nbg", "x" * 5000]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
notes = st.one_of(
    st.binary(max_size=120),
    json_values.map(lambda value: json.dumps(value).encode("utf-8")),
    st.fixed_dictionaries({"original": json_values, "title": json_values}).map(
        lambda value: json.dumps(value).encode("utf-8")),
)


def _app_data() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def _wipe(path: Path) -> None:
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _loop(path: Path) -> None:
    other = path.with_name(path.name + ".other")
    path.symlink_to(other)
    other.symlink_to(path)


def _prepare(state: str, note: bytes) -> Path:
    """Builds the folder state; returns the path that must survive it (never deleted)."""
    data = _app_data()
    root = data / "recovery"
    session = root / "session-crashed"
    entry = session / f"{KEY}.recovery.nbg"
    meta = session / f"{KEY}.recovery.json"
    if state == "app data folder is a file":
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_bytes(b"not a folder")
        return data
    if state == "recovery folder is a file":
        data.mkdir(parents=True)
        root.write_bytes(b"not a folder")
        return root
    root.mkdir(parents=True)
    if state == "session is a file":
        session.write_bytes(GRAPH)
        return session
    session.mkdir()
    builders = {
        "entry is a folder": lambda: entry.mkdir(),
        "entry is a FIFO": lambda: os.mkfifo(entry),
        "entry is a link loop": lambda: _loop(entry),
    }
    if state in builders:
        builders[state]()
    else:
        entry.write_bytes(b"{ not json" if "not a graph" in state else GRAPH)
    if state == "entry is not a graph and cannot be set aside":
        (root / "unreadable").write_bytes(b"a file where the set-aside folder goes")
    notes_by_state = {
        "note is a folder": lambda: meta.mkdir(),
        "note is a FIFO": lambda: os.mkfifo(meta),
        "note is a link loop": lambda: _loop(meta),
        "no note": lambda: None,
    }
    notes_by_state.get(state, lambda: meta.write_bytes(note))()
    return entry


def _reset(window: MainWindow) -> None:
    for editor in window.editors():
        editor.undo_stack.setClean()
        window.remove_document(editor)
    window.autosaver.shutdown()  # its next write starts a new session folder
    _wipe(_app_data())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks (POSIX)")
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(state=st.sampled_from(sorted(STATES)), note=notes)
@example(state="note", note=b'{"original": 5}')
@example(state="note", note=b"[1, 2]")
@example(state="note", note=b"{ not json")
@example(state="note", note=b'{"original": "\\ud800", "title": "\\udc00"}')
@example(state="note", note=b'{"original": "a\\u0000b", "title": {"x": 1}}')
@example(state="note", note=b"\xff\xfe")
def test_start_up_survives_any_state_of_the_recovery_folder(
        window: MainWindow, dialogs: FakeDialogs, state: str, note: bytes) -> None:
    _reset(window)
    try:
        survivor = _prepare(state, note)
        kept = survivor.read_bytes() if survivor.is_file() else None
        dialogs.answers = [Button.Yes]
        dialogs.errors.clear()
        recovered = window.offer_recovery()  # what every start does first
        assert recovered == int(STATES[state])
        if STATES[state]:
            editor = window.current_editor
            assert editor is not None and editor.modified
            assert editor.path is None or isinstance(editor.path, Path)
            assert fileformat.dumps(editor.doc).encode("utf-8") == GRAPH
            # The new recovery file was written before the old one went.
            assert window.autosaver.recovery_file(editor).read_bytes() == GRAPH
            assert not os.path.lexists(survivor)
        elif "not a graph" in state:
            assert "Cannot recover" in dialogs.errors[0]
            if "cannot be set aside" in state:
                assert survivor.read_bytes() == kept  # left where it was, and said so
                assert str(survivor) in dialogs.errors[0]
        else:
            assert os.path.lexists(survivor)  # skipped, never deleted
            if kept is not None:
                assert survivor.read_bytes() == kept
            assert "Recovery:" in window.statusBar().currentMessage()
    finally:
        _reset(window)


def test_the_old_recovery_file_stays_when_the_new_one_cannot_be_written(
        window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _prepare("note", json.dumps({"original": None, "title": "work"}).encode())

    def full_disk(*args: Any, **kwargs: Any) -> Path:
        raise GraphFileError("recovery: cannot be written (No space left on device)")

    monkeypatch.setattr(recovery.RecoverySession, "write", full_disk)
    dialogs.answers = [Button.Yes]
    assert window.offer_recovery() == 1
    assert entry.read_bytes() == GRAPH  # still there for the next start
    assert window.current_editor.modified
    assert "the old one is kept" in window.statusBar().currentMessage()


def test_declining_keeps_what_cannot_be_removed_and_says_so(
        window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _prepare("note", b"{}")
    real_unlink = Path.unlink

    def refuse(path: Path, missing_ok: bool = False) -> None:
        if path == entry:
            raise PermissionError(13, "Permission denied")
        real_unlink(path, missing_ok=missing_ok)

    dialogs.answers = [Button.No]
    with monkeypatch.context() as patch:  # the fake dialogs' patches stay
        patch.setattr(Path, "unlink", refuse)
        assert window.offer_recovery() == 0
    assert entry.read_bytes() == GRAPH
    assert "Could not discard" in window.statusBar().currentMessage()
