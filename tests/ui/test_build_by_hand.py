"""The acceptance test of the node editor: the MNIST CNN built by hand, as a user would.

On an empty document, blocks are dropped from the palette, wired port to port with the mouse,
and given their parameters by typing into the inspector. The status bar must then show the
network's 225,034 parameters; Ctrl+Z must take every step back to an empty canvas and
Ctrl+Shift+Z bring them all back; the saved file must open again as the same document.
"""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox

from netbuilder.core import fileformat
from netbuilder.ui.canvas.view import CanvasView
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from tests.ui.canvas_gestures import (
    click,
    drop_block,
    point_of,
    wire,
)

CNN_PARAMS = 225_034
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier

#: The network, left to right in two rows: (block type, where it goes, what to type).
BLOCKS: list[tuple[str, tuple[float, float], dict[str, str]]] = [
    ("input", (0, 0), {"shape": "1, 28, 28"}),
    ("conv2d", (260, 0), {"filters": "32", "kernel_size": "3", "activation": "relu"}),
    ("maxpool2d", (520, 0), {"pool_size": "2"}),
    ("conv2d", (780, 0), {"filters": "64", "kernel_size": "3"}),
    ("maxpool2d", (1040, 0), {}),
    ("flatten", (0, 260), {}),
    ("dense", (260, 260), {"units": "128", "activation": "relu"}),
    ("dense", (520, 260), {"units": "10", "activation": "softmax"}),
    ("output", (780, 260), {}),
]


def _palette_type(window: MainWindow, type_id: str) -> str:
    """The block type the palette's item carries (what its drag would put in the MIME data)."""
    item = window.block_palette.item_for(type_id)
    assert item is not None, f"the palette has no {type_id}"
    return item.data(0, Qt.ItemDataRole.UserRole)


def _drop(window: MainWindow, view: CanvasView, type_id: str, where: tuple[float, float]
          ) -> str:
    """Drops a palette block so that its header lands at ``where``; returns the new node id."""
    editor = window.current_editor
    before = set(editor.doc.graph("model").nodes)
    # A dropped block hangs from its header: the drop point is 40 right of, 20 below its corner.
    drop_block(view, _palette_type(window, type_id), point_of(view, QPointF(where[0] + 40,
                                                                           where[1] + 20)))
    (node_id,) = set(editor.doc.graph("model").nodes) - before
    return node_id


def _type_into(qtbot: Any, field: Any, text: str) -> None:
    """Types a value into an inspector field as a user would: select, type, Enter."""
    if isinstance(field, QComboBox):
        field.setFocus()
        qtbot.keyClicks(field, text)  # a closed combo box picks the item typed
        assert field.currentText() == text
        return
    if isinstance(field, QCheckBox):
        if field.isChecked() != (text == "true"):
            qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
        return
    assert isinstance(field, QSpinBox | QLineEdit), type(field)
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def _set_params(qtbot: Any, window: MainWindow, values: dict[str, str]) -> None:
    for name, text in values.items():
        _type_into(qtbot, window.inspector.field(name), text)


def _totals_text(window: MainWindow) -> str:
    """The status bar's totals read-out (``model: 225,034 params``)."""
    label = getattr(window, "totals_label", None)
    if isinstance(label, QLabel):
        return label.text()
    texts = [w.text() for w in window.statusBar().findChildren(QLabel) if "params" in w.text()]
    assert texts, "no parameter totals in the status bar"
    return texts[0]


def _snapshot(editor: DocumentWidget) -> dict[str, Any]:
    return json.loads(fileformat.dumps(editor.doc))


def test_build_the_mnist_cnn_by_hand(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    editor = window.new_document()
    QApplication.processEvents()
    view = editor.current_view
    view.set_zoom(0.6)
    view.centerOn(QPointF(620, 170))
    empty = _snapshot(editor)
    graph = editor.doc.graph("model")
    assert not graph.nodes

    # Drop each block from the palette and type its parameters into the inspector.
    nodes = []
    for type_id, where, values in BLOCKS:
        node_id = _drop(window, view, type_id, where)
        assert editor.selected_node_ids() == [node_id]
        _set_params(qtbot, window, values)
        nodes.append(node_id)
    assert [graph.nodes[n].type for n in nodes] == [b[0] for b in BLOCKS]

    # Wire them in order, port to port, with the mouse.
    click(qtbot, view, point_of(view, QPointF(620, 620)))  # back to the canvas
    for source, target in pairwise(nodes):
        wire(qtbot, view, (source, "y"), (target, "x"))
    assert len(graph.edges) == len(nodes) - 1

    # The parameters, in the inference results and in the status bar.
    editor.check_now()
    analysis = editor.analysis("model")
    assert analysis.errors == []
    assert analysis.total_params == CNN_PARAMS
    counts = [analysis.nodes[n].params for n in nodes]
    assert counts == [0, 320, 0, 18_496, 0, 0, 204_928, 1_290, 0]
    qtbot.waitUntil(lambda: f"{CNN_PARAMS:,}" in _totals_text(window), timeout=3000)
    shapes = [analysis.nodes[n].outputs["y"].shape for n in nodes[:-1]]
    assert shapes == [(1, 28, 28), (32, 26, 26), (32, 13, 13), (64, 11, 11), (64, 5, 5),
                      (1600,), (128,), (10,)]
    built = _snapshot(editor)

    # Ctrl+Z takes every step back, to the empty document; Ctrl+Shift+Z redoes them all.
    steps = editor.undo_stack.count()
    assert steps >= len(BLOCKS) + len(nodes) - 1
    click(qtbot, view, point_of(view, QPointF(620, 620)))
    for _ in range(steps):
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert not editor.undo_stack.canUndo()
    assert not graph.nodes and not graph.edges
    assert {k: v for k, v in _snapshot(editor).items() if k != "next_id"} == \
        {k: v for k, v in empty.items() if k != "next_id"}
    editor.check_now()
    assert editor.analysis("model").total_params == 0
    for _ in range(steps):
        qtbot.keyClick(window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert not editor.undo_stack.canRedo()
    assert _snapshot(editor) == built
    editor.check_now()
    assert editor.analysis("model").total_params == CNN_PARAMS

    # Save, open again, and the two files hold the same document.
    first = tmp_path / "cnn.nbg"
    editor.save(first)
    assert not editor.modified
    assert window.close_tab(window.tabs.indexOf(editor))
    reopened = window.open_file(first)
    assert reopened is not None and reopened is not editor
    second = tmp_path / "cnn_again.nbg"
    reopened.save(second)
    saved = json.loads(first.read_text(encoding="utf-8"))
    assert json.loads(second.read_text(encoding="utf-8")) == saved
    # Beside the document, the file keeps where the canvas looked (its view section).
    assert saved.pop("view")["canvas"]["model"]["zoom"] == round(view.zoom, 3)
    assert saved == {key: value for key, value in built.items() if key != "view"}
    assert second.read_bytes() == first.read_bytes()
    reopened.check_now()
    assert reopened.analysis("model").total_params == CNN_PARAMS

