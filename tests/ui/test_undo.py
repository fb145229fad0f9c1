"""Undo and redo: core commands on a QUndoStack, merging, the save point, and the keys."""

from __future__ import annotations

from typing import Any

import pytest

from netbuilder import resources
from netbuilder.core.commands import AddNodes, RemoveNodes, SetParams
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.undo import QtCommand, _qt_merge_id
from tests.ui.shell_support import (
    key,
    modify,
)


@pytest.fixture
def cnn(window: MainWindow) -> DocumentWidget:
    editor = window.open_file(resources.example_path("mnist_cnn"))
    assert editor is not None
    return editor


def _conv(editor: DocumentWidget) -> str:
    return next(n.id for n in editor.doc.graph("model").nodes.values() if n.type == "conv2d")


def test_a_pushed_command_applies_once_and_undoes_and_redoes(cnn: DocumentWidget) -> None:
    graph = cnn.doc.graph("model")
    count = len(graph.nodes)
    add = AddNodes.block("model", "dense", (0.0, 0.0))
    assert cnn.push(add)
    assert len(graph.nodes) == count + 1 and cnn.undo_stack.count() == 1
    assert isinstance(cnn.undo_stack.command(0), QtCommand)
    cnn.undo_stack.undo()
    assert len(graph.nodes) == count
    cnn.undo_stack.redo()
    assert len(graph.nodes) == count + 1
    assert add.node_ids[0] in graph.nodes


def test_a_refused_command_changes_nothing_and_says_why(qtbot: Any,
                                                        cnn: DocumentWidget) -> None:
    before = cnn.undo_stack.count()
    with qtbot.waitSignal(cnn.status_message) as message:
        assert not cnn.push(SetParams("model", _conv(cnn), {"filters": -3}))
    assert message.args[1] is True  # shown as an error
    assert cnn.undo_stack.count() == before and not cnn.modified


def test_successive_edits_of_one_field_are_one_step(cnn: DocumentWidget) -> None:
    conv = _conv(cnn)
    node = cnn.doc.graph("model").nodes[conv]
    original = node.params["filters"]
    for value in (1, 12, 128):
        assert cnn.push(SetParams("model", conv, {"filters": value}))
    assert cnn.undo_stack.count() == 1
    assert node.params["filters"] == 128
    cnn.undo_stack.undo()
    assert node.params["filters"] == original


def test_edits_do_not_merge_across_the_save_point(cnn: DocumentWidget) -> None:
    conv = _conv(cnn)
    node = cnn.doc.graph("model").nodes[conv]
    cnn.push(SetParams("model", conv, {"filters": 8}))
    cnn.undo_stack.setClean()
    cnn.push(SetParams("model", conv, {"filters": 16}))
    assert cnn.undo_stack.count() == 2
    cnn.undo_stack.undo()
    assert node.params["filters"] == 8 and not cnn.modified


def test_adding_a_block_is_one_named_step(window: MainWindow, cnn: DocumentWidget) -> None:
    modify(cnn)
    assert cnn.undo_stack.count() == 1
    assert window.actions_by_name["undo"].text() == "&Undo Add Dense"


def test_undo_and_redo_keys_move_the_dirty_marker(qtbot: Any, window: MainWindow,
                                                  cnn: DocumentWidget) -> None:
    view = cnn.current_view
    node_id = modify(cnn)
    assert window.isWindowModified()
    key(qtbot, view, "Ctrl+Z")
    assert node_id not in cnn.doc.graph("model").nodes
    assert not window.isWindowModified() and not window.tabs.tabText(0).endswith("•")
    key(qtbot, view, "Ctrl+Shift+Z")
    assert node_id in cnn.doc.graph("model").nodes and window.isWindowModified()
    key(qtbot, view, "Ctrl+Z")
    key(qtbot, view, "Ctrl+Y")
    assert node_id in cnn.doc.graph("model").nodes


def test_undo_reaches_only_the_current_document(qtbot: Any, window: MainWindow,
                                                cnn: DocumentWidget) -> None:
    node_id = modify(cnn)
    other = window.new_document()
    key(qtbot, other.current_view, "Ctrl+Z")
    assert node_id in cnn.doc.graph("model").nodes


def test_deleting_and_undoing_restores_the_wires(cnn: DocumentWidget) -> None:
    graph = cnn.doc.graph("model")
    conv = _conv(cnn)
    edges = set(graph.edges)
    assert cnn.push(RemoveNodes("model", [conv], []))
    assert conv not in graph.nodes
    cnn.undo_stack.undo()
    assert conv in graph.nodes and set(graph.edges) == edges


def test_merge_ids_are_stable_positive_integers() -> None:
    assert _qt_merge_id(None) == -1
    first = _qt_merge_id(("set_params", "model", ("n1",), ("units",)))
    assert first > 0
    assert _qt_merge_id(("set_params", "model", ("n1",), ("units",))) == first
    assert _qt_merge_id(("set_params", "model", ("n2",), ("units",))) != first
