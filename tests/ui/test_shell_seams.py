"""The window's command modules depend on narrow host protocols, not on the main window.

The window must offer every member its modules ask for; and a module works with any host that
offers them (here, the file commands with a small stand-in that keeps documents in a list).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget

import netbuilder
from netbuilder.core.graph import Document
from netbuilder.ui import recovery
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.editing import EditHost
from netbuilder.ui.exchange import ExchangeHost
from netbuilder.ui.files import FileCommands, FileHost, display_name
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.shell import Shell
from tests.ui.shell_support import FakeDialogs, example_copy


@pytest.mark.parametrize("protocol", [Shell, FileHost, EditHost, ExchangeHost])
def test_the_window_offers_what_each_command_module_asks_for(window: MainWindow,
                                                              protocol: type) -> None:
    assert isinstance(window, protocol)


class ListHost:
    """A host for the file commands that keeps its documents in a list, and records."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.open: list[DocumentWidget] = []
        self.focused: list[DocumentWidget] = []
        self.messages: list[tuple[str, bool]] = []
        self.errors: list[str] = []
        self.refreshed = 0

    @property
    def current_editor(self) -> DocumentWidget | None:
        return self.open[-1] if self.open else None

    def show_status(self, message: str, error: bool = False) -> None:
        self.messages.append((message, error))

    def show_error(self, headline: str, detail: str) -> None:
        self.errors.append(headline)

    def editors(self) -> list[DocumentWidget]:
        return list(self.open)

    def add_document(self, doc: Document, path: Path | None = None,
                     title: str | None = None) -> DocumentWidget:
        editor = DocumentWidget(doc, path, self.parent)
        self.open.append(editor)
        return editor

    def remove_document(self, editor: DocumentWidget) -> None:
        self.open.remove(editor)
        editor.detach()
        editor.deleteLater()

    def focus_editor(self, editor: DocumentWidget) -> None:
        self.focused.append(editor)

    def update_state(self) -> None:
        self.refreshed += 1


@pytest.fixture
def host(qtbot: Any, dialogs: FakeDialogs) -> ListHost:
    parent = QWidget()
    qtbot.addWidget(parent)
    return ListHost(parent)


def test_the_file_commands_open_save_and_close_through_any_host(
        host: ListHost, dialogs: FakeDialogs, tmp_path: Path) -> None:
    assert isinstance(host, FileHost)
    autosaver = recovery.Autosaver(display_name, host.parent)
    files = FileCommands(host, autosaver, host.parent)
    path = example_copy(tmp_path, "perceptron")

    editor = files.open_file(path)
    assert editor is not None and host.open == [editor] and editor.path == path
    assert files.open_file(path) is editor and host.focused == [editor]  # shown, not reopened

    broken = tmp_path / "broken.nbg"
    broken.write_text("{not json", encoding="utf-8")
    assert files.open_file(broken) is None
    assert host.errors == ["Cannot open broken.nbg"] and len(host.open) == 1

    editor.add_block("model", "dense", editor.current_view.mapToScene(0, 0))
    assert editor.modified
    assert files.save(editor)
    assert not editor.modified and host.messages[-1] == (f"Saved {path}", False)
    assert host.refreshed == 1
    assert netbuilder.load(path).graph("model").nodes.keys() == editor.doc.graph("model") \
        .nodes.keys()

    assert files.close_editor(editor) and host.open == []
    assert dialogs.questions == []  # saved: closing asks nothing
    autosaver.shutdown()
