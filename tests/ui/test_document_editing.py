"""The document widget's own edits: adding blocks, grouped steps, refusals that leave no trace."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPointF

import netbuilder
from netbuilder.core.commands import SetParams
from netbuilder.ui.canvas.geometry import GRID
from netbuilder.ui.document import DocumentWidget, drop_position
from tests.ui.canvas_gestures import StatusLog, open_editor


@pytest.fixture
def editor(qtbot: Any) -> DocumentWidget:
    doc = netbuilder.new_document()
    doc.add_graph("model")
    return open_editor(qtbot, doc)


def test_a_refused_block_leaves_no_undo_step(editor: DocumentWidget) -> None:
    log = StatusLog(editor)
    assert editor.add_block("model", "group", QPointF(0, 0)) is None  # no definition named
    assert editor.add_block("model", "no_such_block", QPointF(0, 0)) is None
    assert editor.undo_stack.count() == 0
    assert "no group definition" in log.errors[0]
    assert "unknown block type 'no_such_block'" in log.errors[1]


def test_a_macro_is_one_step_and_a_failing_one_leaves_nothing(editor: DocumentWidget) -> None:
    first = editor.add_block("model", "dense", QPointF(0, 0))
    with editor.macro("Two edits"):
        editor.push(SetParams("model", first, {"units": 5}))
        editor.push(SetParams("model", first, {"activation": "tanh"}))
    assert editor.undo_stack.count() == 2
    assert editor.undo_stack.undoText() == "Two edits"
    editor.undo_stack.undo()
    assert editor.doc.graph("model").nodes[first].params["units"] == 64

    def broken_edit() -> None:
        with editor.macro("Broken"):
            editor.push(SetParams("model", first, {"units": 7}))
            raise RuntimeError("an edit went wrong half way")

    with pytest.raises(RuntimeError):
        broken_edit()
    assert editor.doc.graph("model").nodes[first].params["units"] == 64
    assert editor.undo_stack.count() == 2 and editor.undo_stack.canRedo()
    with editor.macro("Nothing"):
        editor.push(SetParams("model", first, {"units": -3}))  # refused
    assert editor.undo_stack.count() == 2


def test_a_lone_edit_in_a_macro_does_not_merge_with_the_step_before(editor: DocumentWidget
                                                                    ) -> None:
    node = editor.add_block("model", "dense", QPointF(0, 0))
    editor.push(SetParams("model", node, {"units": 5}))
    with editor.macro("Again"):
        editor.push(SetParams("model", node, {"units": 6}))
    assert editor.undo_stack.count() == 3
    editor.undo_stack.undo()
    assert editor.doc.graph("model").nodes[node].params["units"] == 5


def test_blocks_land_where_the_mouse_holds_them() -> None:
    point = QPointF(203, 118)
    assert drop_position("layer", point) == (160.0, 100.0)  # by its header
    assert drop_position("reroute", point) == (190.0, 110.0)  # its dot on the point
    # A block made from a wire: its first port where the wire ended.
    assert drop_position("layer", point, ("n1", "y", True)) == (200.0, 80.0)
    assert drop_position("layer", point, ("n1", "x", False)) == (20.0, 80.0)
    assert all(v % GRID == 0 for v in drop_position("layer", QPointF(13.3, -7.7)))
