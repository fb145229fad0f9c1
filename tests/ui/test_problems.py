"""The Problems dock: the document's errors and warnings; a click shows the block."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from netbuilder import resources
from netbuilder.core.commands import SetParams
from netbuilder.core.graph import Node
from netbuilder.core.inference import ERROR, WARNING
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.problems import NO_PROBLEMS, ProblemsWidget


@pytest.fixture
def editor(window: MainWindow) -> DocumentWidget:
    opened = window.open_file(resources.example_path("mnist_cnn"), as_copy=True)
    assert opened is not None
    return opened


def convs(editor: DocumentWidget) -> list[Node]:
    graph = editor.doc.graph(editor.current_graph or "")
    return [node for node in graph.nodes.values() if node.type == "conv2d"]


def break_kernel(editor: DocumentWidget, node: Node, size: int = 30) -> None:
    editor.push(SetParams(editor.current_graph or "", node.id, {"kernel_size": size}))
    editor.check_now()


def add_loose_block(editor: DocumentWidget) -> str:
    """A block wired to nothing: an error (no input) and a warning (leads nowhere)."""
    node_id = editor.add_block(editor.current_graph or "", "dense", QPointF(900, 900))
    assert node_id is not None
    editor.check_now()
    return node_id


def test_a_clean_document_says_no_problems(window: MainWindow, editor: DocumentWidget) -> None:
    problems = window.problems
    assert problems.count() == 0
    assert problems.stack.currentIndex() == 1 and problems.empty.text() == NO_PROBLEMS


def test_each_problem_shows_icon_message_block_and_network(
        window: MainWindow, editor: DocumentWidget) -> None:
    conv = convs(editor)[1]
    break_kernel(editor, conv)
    problems = window.problems
    assert problems.count() == 1 and problems.stack.currentWidget() is problems.tree
    item = problems.tree.topLevelItem(0)
    assert "does not fit" in item.text(0) and item.text(0)[0].isupper()
    assert item.text(1) == conv.name and item.text(2) == editor.current_graph
    assert not item.icon(0).isNull()
    assert "Conv 2D" in item.toolTip(0)
    editor.undo_stack.undo()
    editor.check_now()
    assert problems.count() == 0 and problems.empty.text() == NO_PROBLEMS


def test_errors_come_before_warnings(window: MainWindow, editor: DocumentWidget) -> None:
    add_loose_block(editor)
    severities = [problem.severity for problem in window.problems.problems()]
    assert ERROR in severities and WARNING in severities
    assert severities == sorted(severities, key=lambda s: s != ERROR)


def test_clicking_a_problem_selects_and_centres_its_block(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = convs(editor)[1]
    break_kernel(editor, conv)
    scene, view = editor.current_scene, editor.current_view
    assert scene is not None and view is not None
    scene.clearSelection()
    view.centerOn(QPointF(-5000, -5000))
    tree = window.problems.tree
    QApplication.processEvents()
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.selected_node_ids() == [conv.id]
    assert window.inspector.node_ids == [conv.id]
    node_centre = view.mapFromScene(scene.node_items[conv.id].sceneBoundingRect().center())
    assert view.viewport().rect().contains(node_centre)


def test_the_selected_problem_stays_selected_across_refreshes(
        window: MainWindow, editor: DocumentWidget) -> None:
    add_loose_block(editor)
    problems = window.problems
    warning_row = [p.severity for p in problems.problems()].index(WARNING)
    item = problems.tree.topLevelItem(warning_row)
    problems.tree.setCurrentItem(item)
    editor.check_now()  # the same problems: the list is left as it is
    assert problems.tree.topLevelItem(warning_row) is item and item.isSelected()
    before = problems.count()
    break_kernel(editor, convs(editor)[1])  # a new error comes before the selected warning
    assert problems.count() == before + 1
    rows = [problems.tree.topLevelItem(i) for i in range(problems.count())]
    selected = [row for row, problem in zip(rows, problems.problems(), strict=True)
                if row.isSelected()]
    assert len(selected) == 1
    chosen = problems.problems()[rows.index(selected[0])]
    assert chosen.severity == WARNING
    editor.undo_stack.undo()
    editor.check_now()
    assert problems.count() == before


def test_counts_and_no_document(qtbot: Any, window: MainWindow,
                                editor: DocumentWidget) -> None:
    problems = window.problems
    with qtbot.waitSignal(problems.counts_changed) as signal:
        add_loose_block(editor)
    errors, warnings = signal.args
    assert errors >= 1 and warnings >= 1
    alone = ProblemsWidget()
    qtbot.addWidget(alone)
    assert alone.empty.text() == "No document open"
