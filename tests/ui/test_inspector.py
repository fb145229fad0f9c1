"""The inspector: a form from the ParamSpecs, edited with the real keyboard and mouse.

Every edit must reach the document as an undoable command on the document's real QUndoStack;
successive edits of one field merge into one step; refused input pushes nothing and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from netbuilder import resources
from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.core.commands import AddNodes, SetParams
from netbuilder.core.graph import Document, Node
from netbuilder.core.params import ParamSpec
from netbuilder.core.tensor import TensorSpec
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.inspector import MIXED, InspectorWidget, applies
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.param_fields import TupleField, format_value, parse_float, parse_ints

CTRL = Qt.KeyboardModifier.ControlModifier


# ----- set-up ------------------------------------------------------------------------------------
@pytest.fixture
def editor(window: MainWindow) -> DocumentWidget:
    opened = window.open_file(resources.example_path("mnist_cnn"), as_copy=True)
    assert opened is not None
    return opened


def nodes_of(editor: DocumentWidget, type_id: str) -> list[Node]:
    graph = editor.doc.graph(editor.current_graph or "")
    return [node for node in graph.nodes.values() if node.type == type_id]


def select(window: MainWindow, editor: DocumentWidget, *nodes: Node) -> InspectorWidget:
    scene = editor.current_scene
    assert scene is not None
    scene.select_nodes([node.id for node in nodes])
    QApplication.processEvents()  # lay out the new form before clicking on it
    assert window.inspector.node_ids == [node.id for node in nodes]
    return window.inspector


def add_block(editor: DocumentWidget, type_id: str) -> Node:
    graph = editor.current_graph
    assert graph is not None
    node_id = editor.add_block(graph, type_id, QPointF(900, 600))
    assert node_id is not None
    return editor.doc.graph(graph).nodes[node_id]


def retype(qtbot: Any, widget: QWidget, text: str) -> None:
    """Select all (Ctrl+A) and type ``text``, key by key, as a user would."""
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)


def steps(editor: DocumentWidget) -> int:
    return editor.undo_stack.count()


def spin_box(inspector: InspectorWidget, name: str) -> QSpinBox:
    widget = inspector.field(name)
    assert isinstance(widget, QSpinBox)
    return widget


def line_edit(inspector: InspectorWidget, name: str) -> QLineEdit:
    widget = inspector.field(name)
    assert isinstance(widget, QLineEdit)
    return widget


def check_box(inspector: InspectorWidget, name: str) -> QCheckBox:
    widget = inspector.field(name)
    assert isinstance(widget, QCheckBox)
    return widget


def combo_box(inspector: InspectorWidget, name: str) -> QComboBox:
    widget = inspector.field(name)
    assert isinstance(widget, QComboBox)
    return widget


def tuple_field(inspector: InspectorWidget, name: str) -> TupleField:
    field = inspector.param_field(name)
    assert isinstance(field, TupleField)
    return field


# ----- the form ----------------------------------------------------------------------------------
def test_the_form_has_an_editor_of_the_right_kind_for_every_param(
        window: MainWindow, editor: DocumentWidget) -> None:
    inspector = select(window, editor, nodes_of(editor, "conv2d")[0])
    filters = inspector.field("filters")
    assert isinstance(filters, QSpinBox)
    assert (filters.minimum(), filters.maximum()) == (1, 100_000)
    assert isinstance(inspector.param_field("kernel_size"), TupleField)
    assert [s.value() for s in inspector.param_field("kernel_size").spins] == [3, 3]
    padding = inspector.field("padding")
    assert isinstance(padding, QComboBox)
    assert [padding.itemText(i) for i in range(padding.count())] == ["valid", "same", "explicit"]
    assert isinstance(inspector.field("bias"), QCheckBox)
    assert "output channels" in inspector.field("filters").toolTip()  # help on hover
    assert "Slides" in inspector.doc_view.text() and "Output" in inspector.doc_view.text()
    assert inspector.name_edit.text() == nodes_of(editor, "conv2d")[0].name


def test_nothing_selected_and_mixed_types_explain_themselves(
        window: MainWindow, editor: DocumentWidget) -> None:
    inspector = select(window, editor)
    assert "No block selected" in inspector.heading.text()
    assert inspector.form_host.isHidden()
    inspector = select(window, editor, nodes_of(editor, "conv2d")[0],
                       nodes_of(editor, "maxpool2d")[0])
    assert "2 blocks selected" in inspector.heading.text()
    assert "different types" in inspector.subtitle.text()


def test_typing_128_in_a_spin_box_is_one_undo_step_and_keeps_the_cursor(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    spin = select(window, editor, conv).field("filters")
    assert isinstance(spin, QSpinBox)
    before = steps(editor)
    retype(qtbot, spin, "128")
    assert conv.params["filters"] == 128
    assert spin.text() == "128" and spin.lineEdit().cursorPosition() == 3
    assert steps(editor) == before + 1  # 1, 12 and 128 merged by SetParams
    assert "filters" in editor.undo_stack.undoText()
    editor.undo_stack.undo()
    assert conv.params["filters"] == 32
    assert spin.text() == "32"  # the field follows the model
    editor.undo_stack.redo()
    assert conv.params["filters"] == 128 and spin.text() == "128"


def test_edits_of_different_fields_are_separate_steps(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    inspector = select(window, editor, conv)
    before = steps(editor)
    retype(qtbot, inspector.field("filters"), "64")
    retype(qtbot, inspector.field("groups"), "2")
    retype(qtbot, inspector.field("filters"), "16")
    assert steps(editor) == before + 3
    assert (conv.params["filters"], conv.params["groups"]) == (16, 2)
    editor.undo_stack.undo()
    assert conv.params["filters"] == 64


def test_an_out_of_range_number_is_refused_with_a_message_and_pushes_nothing(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    inspector = select(window, editor, conv)
    spin = inspector.field("filters")
    before = steps(editor)
    retype(qtbot, spin, "0")
    assert spin.text() == "0"  # the key was not eaten: the user sees what they typed
    assert inspector.error_text("filters") == "Must be at least 1, got 0"
    assert spin.property("invalid") is True
    assert conv.params["filters"] == 32 and steps(editor) == before
    qtbot.keyClick(spin, Qt.Key.Key_Return)  # the spin box puts the last valid value back
    assert spin.text() == "32" and inspector.error_text("filters") == ""
    assert spin.property("invalid") is False


def test_a_minimum_above_one_does_not_push_the_first_digit(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    add = add_block(editor, "add")  # inputs: 2 to 8
    inspector = select(window, editor, add)
    before = steps(editor)
    retype(qtbot, inspector.field("inputs"), "1")
    assert add.params["inputs"] == 2 and steps(editor) == before
    assert "at least 2" in inspector.error_text("inputs")
    qtbot.keyClick(inspector.field("inputs"), Qt.Key.Key_Backspace)
    qtbot.keyClicks(inspector.field("inputs"), "3")
    assert add.params["inputs"] == 3 and inspector.error_text("inputs") == ""


def test_a_float_field_shows_1e_05_and_validates_as_you_type(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    norm = add_block(editor, "batchnorm")
    inspector = select(window, editor, norm)
    eps = inspector.field("eps")
    assert isinstance(eps, QLineEdit)
    assert eps.text() == "1e-05"
    before = steps(editor)
    retype(qtbot, eps, "abc")
    assert "Not a number" in inspector.error_text("eps")
    assert eps.property("invalid") is True and norm.params["eps"] == 1e-5
    assert steps(editor) == before
    retype(qtbot, eps, "1e-")  # "1" was a valid number; "1e" and "1e-" are unfinished
    assert inspector.error_text("eps") == "" and norm.params["eps"] == 1.0
    qtbot.keyClick(eps, Qt.Key.Key_Return)
    assert "Enter a number" in inspector.error_text("eps")
    qtbot.keyClicks(eps, "3")
    assert norm.params["eps"] == 1e-3 and inspector.error_text("eps") == ""
    assert steps(editor) == before + 1
    assert eps.text() == "1e-3"  # the user's spelling stays
    retype(qtbot, eps, "-1")
    assert inspector.error_text("eps") == "Must be at least 0, got -1"
    assert norm.params["eps"] == 1e-3


def test_leaving_a_refused_float_shows_the_model_value_again(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    norm = add_block(editor, "batchnorm")
    inspector = select(window, editor, norm)
    retype(qtbot, inspector.field("eps"), "2")  # above the maximum of 1
    assert "at most 1" in inspector.error_text("eps")
    inspector.name_edit.setFocus()  # like clicking another field
    assert line_edit(inspector, "eps").text() == "1e-05"
    assert inspector.error_text("eps") == ""


def test_a_tuple_is_one_spin_box_per_entry_linked_while_equal(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    inspector = select(window, editor, conv)
    kernel = inspector.param_field("kernel_size")
    assert isinstance(kernel, TupleField) and kernel.linked
    retype(qtbot, kernel.spins[0], "0")
    assert "at least 1" in inspector.error_text("kernel_size")
    assert kernel.spins[1].text() == "3" and conv.params["kernel_size"] == 3
    retype(qtbot, kernel.spins[0], "5")
    assert conv.params["kernel_size"] == 5  # equal entries keep the compact int form
    assert [s.text() for s in kernel.spins] == ["5", "5"]
    qtbot.mouseClick(kernel.link, Qt.MouseButton.LeftButton)
    assert not kernel.linked
    retype(qtbot, kernel.spins[1], "3")
    assert conv.params["kernel_size"] == [5, 3]
    assert [s.text() for s in kernel.spins] == ["5", "3"]


def test_a_combo_box_and_a_check_box_push_their_choice(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    inspector = select(window, editor, conv)
    combo = inspector.field("padding")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert conv.params["padding"] == "same"
    before = steps(editor)
    qtbot.mouseClick(inspector.field("bias"), Qt.MouseButton.LeftButton)
    assert conv.params["bias"] is False and steps(editor) == before + 1
    editor.undo_stack.undo()
    assert conv.params["bias"] is True
    assert check_box(inspector, "bias").isChecked()


def test_input_shape_is_a_free_list(qtbot: Any, window: MainWindow,
                                    editor: DocumentWidget) -> None:
    image = nodes_of(editor, "input")[0]
    inspector = select(window, editor, image)
    shape = inspector.field("shape")
    assert isinstance(shape, QLineEdit) and shape.text() == "1, 28, 28"
    before = steps(editor)
    retype(qtbot, shape, "3, 32,")  # a trailing comma: the user is still typing
    assert image.params["shape"] == [3, 32] and inspector.error_text("shape") == ""
    qtbot.keyClicks(shape, " 32")
    assert image.params["shape"] == [3, 32, 32] and steps(editor) == before + 1
    assert shape.text() == "3, 32, 32"
    retype(qtbot, shape, "3, 0")
    assert "at least 1" in inspector.error_text("shape")
    assert image.params["shape"] == [3]  # "3" was a valid shape; "3, 0" is not pushed


def test_several_blocks_of_one_type_show_mixed_and_are_edited_together(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    first, second = nodes_of(editor, "conv2d")[:2]
    editor.push(SetParams(editor.current_graph or "", second.id, {"bias": False}))
    inspector = select(window, editor, first, second)
    assert "× 2" in inspector.heading.text()
    assert inspector.form.isRowVisible(0) is False  # no name field for several blocks
    filters = spin_box(inspector, "filters")
    assert filters.text() == "" and filters.lineEdit().placeholderText() == MIXED
    assert check_box(inspector, "bias").checkState() == Qt.CheckState.PartiallyChecked
    assert combo_box(inspector, "padding").currentText() == "valid"
    before = steps(editor)
    retype(qtbot, filters, "16")
    assert first.params["filters"] == second.params["filters"] == 16
    assert steps(editor) == before + 1
    qtbot.mouseClick(inspector.field("bias"), Qt.MouseButton.LeftButton)
    assert first.params["bias"] is True and second.params["bias"] is True
    editor.undo_stack.undo()
    editor.undo_stack.undo()
    assert (first.params["filters"], second.params["filters"]) == (32, 64)


def test_rename_checks_the_name_as_you_type_and_pushes_on_enter(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv, other = nodes_of(editor, "conv2d")[:2]
    inspector = select(window, editor, conv)
    before = steps(editor)
    retype(qtbot, inspector.name_edit, "9lives")
    assert "letters, digits" in inspector.name_error.text()
    retype(qtbot, inspector.name_edit, other.name)
    assert "already called" in inspector.name_error.text()
    qtbot.keyClick(inspector.name_edit, Qt.Key.Key_Return)
    assert conv.name != other.name and steps(editor) == before
    retype(qtbot, inspector.name_edit, "features")
    assert inspector.name_error.isHidden()
    qtbot.keyClick(inspector.name_edit, Qt.Key.Key_Return)
    assert conv.name == "features" and steps(editor) == before + 1
    editor.undo_stack.undo()
    assert inspector.name_edit.text() == conv.name != "features"


def test_escape_puts_the_name_back(qtbot: Any, window: MainWindow,
                                   editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[0]
    inspector = select(window, editor, conv)
    retype(qtbot, inspector.name_edit, "oops")
    qtbot.keyClick(inspector.name_edit, Qt.Key.Key_Escape)
    assert inspector.name_edit.text() == conv.name


def test_the_blocks_problems_and_shapes_follow_the_checks(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    conv = nodes_of(editor, "conv2d")[1]
    inspector = select(window, editor, conv)
    assert inspector.node_problems() == []
    shapes = [label.text() for label in inspector.shapes_host.findChildren(QLabel)]
    assert shapes[:4] == ["In", "32×13×13", "Out", "64×11×11"]
    retype(qtbot, tuple_field(inspector, "kernel_size").spins[0], "30")
    editor.check_now()
    problems = inspector.node_problems()
    assert problems and "does not fit" in problems[-1]
    assert problems[-1][0].isupper()
    assert inspector._labels["kernel_size"].property("role") == "problem"
    editor.undo_stack.undo()
    editor.check_now()
    assert inspector.node_problems() == []


def test_re_sending_the_same_selection_keeps_the_field_being_typed_in(
        qtbot: Any, window: MainWindow, editor: DocumentWidget) -> None:
    add = add_block(editor, "add")
    inspector = select(window, editor, add)
    spin = inspector.field("inputs")
    retype(qtbot, spin, "4")  # changes the ports: the canvas redraws the node
    assert add.params["inputs"] == 4
    window.inspector.show_nodes(editor, editor.current_graph, [add.id])
    assert inspector.field("inputs") is spin and spin.hasFocus()


# ----- params that do not apply ------------------------------------------------------------------
@dataclass(frozen=True)
class GatedParam(ParamSpec):
    """A ParamSpec with the proposed ``enabled_when`` (not in core yet)."""

    enabled_when: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _gated_document() -> Document:
    spec = BlockSpec(
        type="gated", title="Gated", category="Structure", doc="A test block.",
        infer=lambda params, inputs: TensorSpec((1,)),
        params=(ParamSpec("padding", "choice", "valid", "How to pad.",
                          choices=("valid", "explicit")),
                GatedParam("padding_size", "int", 0, "Zeros per side.", minimum=0,
                           enabled_when=(("padding", ("explicit",)),))))
    doc = Document(Catalogue([spec]))
    doc.add_graph("model")
    AddNodes("model", [Node("g1", "gated", "g1", {}, (0.0, 0.0))]).redo(doc)
    return doc


def test_a_param_that_does_not_apply_is_greyed_out(qtbot: Any) -> None:
    doc = _gated_document()
    editor = DocumentWidget(doc)
    inspector = InspectorWidget()
    qtbot.addWidget(editor)
    qtbot.addWidget(inspector)
    node_id = next(iter(doc.graph("model").nodes))
    inspector.show_nodes(editor, "model", [node_id])
    assert not inspector.param_field("padding_size").isEnabled()
    assert "Used only when padding is explicit" in inspector._labels["padding_size"].toolTip()
    combo = inspector.field("padding")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert doc.graph("model").nodes[node_id].params["padding"] == "explicit"
    assert inspector.param_field("padding_size").isEnabled()
    editor.detach()


def test_applies_reads_pairs_or_mappings() -> None:
    plain = ParamSpec("n", "int", 1, "")
    gated = GatedParam("size", "int", 0, "", enabled_when=(("padding", ("explicit",)),))
    assert applies(plain, {})
    assert applies(gated, {"padding": "explicit"}) and not applies(gated, {"padding": "same"})


# ----- parsing -----------------------------------------------------------------------------------
def test_parsing_and_formatting() -> None:
    assert parse_float("1e-5") == 1e-5 and parse_float(".5") == 0.5
    for bad in ("nan", "inf", "1.2.3"):
        with pytest.raises(ValueError):
            parse_float(bad)
    assert parse_ints("3", single_allowed=True) == 3
    assert parse_ints("[3]", single_allowed=True) == [3]
    assert parse_ints("3x3", single_allowed=True) == [3, 3]
    assert parse_ints("1, 28 28", single_allowed=False) == [1, 28, 28]
    pool = ParamSpec("output_size", "int_or_ints", 1, "", minimum=1)
    assert format_value(pool, [3]) == "[3]" and format_value(pool, [3, 4]) == "3, 4"
    assert format_value(ParamSpec("eps", "float", 1e-5, ""), 1e-5) == "1e-05"
