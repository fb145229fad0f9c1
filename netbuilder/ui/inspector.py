"""The inspector: a form made from the selected block's ParamSpecs, with its documentation.

Edits go through the document widget as SetParams / RenameNode commands, so every change is
undoable, and successive edits of one field merge into one step. Several selected blocks of
one type are edited together; a field whose values differ shows as "mixed".
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.commands import RenameNode, SetParams
from netbuilder.core.errors import ParamError
from netbuilder.core.graph import Node
from netbuilder.core.params import MAX_INT, ParamSpec
from netbuilder.ui import theme
from netbuilder.ui.document import DocumentWidget

MIXED = "(mixed)"
_INVALID_STYLE = "QLineEdit {{ border: 1px solid {colour}; }}"


def parse_value(param: ParamSpec, text: str) -> Any:
    """Reads what the user typed for a text-edited parameter; raises ParamError if invalid."""
    text = text.strip()
    try:
        if param.kind == "float":
            value: Any = float(text)
        elif param.kind in ("ints", "int_or_ints"):
            parts = [p for p in text.replace("×", ",").replace("x", ",").replace("(", "")
                     .replace(")", "").replace("[", "").replace("]", "").split(",")
                     if p.strip()]
            numbers = [int(p) for p in parts]
            value = numbers[0] if param.kind == "int_or_ints" and len(numbers) == 1 and \
                "," not in text else numbers
        elif param.kind == "int":
            value = int(text)
        else:
            value = text
    except ValueError:
        raise ParamError(f"'{text}' is not {_expected(param)}", param.name) from None
    return param.validate(value)


def format_value(param: ParamSpec, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _expected(param: ParamSpec) -> str:
    return {"float": "a number", "int": "an integer", "ints": "integers like 3, 3",
            "int_or_ints": "an integer or integers like 3, 3"}.get(param.kind, "valid")


class InspectorWidget(QWidget):
    """Edits the params of the blocks selected in the current canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor: DocumentWidget | None = None
        self.graph: str | None = None
        self.node_ids: list[str] = []
        self.spec: BlockSpec | None = None
        self._fields: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._loading = False

        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("block name")
        self.name_edit.editingFinished.connect(self._rename)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.doc_view = QTextBrowser(self)
        self.doc_view.setOpenExternalLinks(False)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(0, 0, 0, 0)
        inner_layout.addWidget(self.heading)
        inner_layout.addWidget(self.name_edit)
        inner_layout.addWidget(self.form_host)
        inner_layout.addWidget(self.doc_view, 1)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(scroll)
        self.show_nodes(None, None, [])

    # ----- target -------------------------------------------------------------------------------
    def show_nodes(self, editor: DocumentWidget | None, graph: str | None,
                   node_ids: list[str]) -> None:
        """Shows the form for ``node_ids`` of ``graph`` (nothing when empty)."""
        if self.editor is not None and self.editor is not editor:
            self._unwatch(self.editor)
        if editor is not None and editor is not self.editor:
            editor.doc.events.connect("params_changed", self._on_model_changed)
            editor.doc.events.connect("node_renamed", self._on_model_changed)
        self.editor, self.graph = editor, graph
        nodes = self._nodes(node_ids)
        types = {node.type for node in nodes}
        self.node_ids = [node.id for node in nodes]
        self.spec = (editor.doc.catalogue.get(nodes[0].type)
                     if editor is not None and len(types) == 1 else None)
        self._build()

    def _unwatch(self, editor: DocumentWidget) -> None:
        editor.doc.events.disconnect("params_changed", self._on_model_changed)
        editor.doc.events.disconnect("node_renamed", self._on_model_changed)

    def _nodes(self, node_ids: list[str]) -> list[Node]:
        if self.editor is None or self.graph is None or self.graph not in self.editor.doc.graphs:
            return []
        graph = self.editor.doc.graph(self.graph)
        return [graph.nodes[n] for n in node_ids if n in graph.nodes]

    # ----- building the form ------------------------------------------------------------------------
    def _build(self) -> None:
        self._loading = True
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields.clear()
        self._errors.clear()
        nodes = self._nodes(self.node_ids)
        if not nodes:
            self.heading.setText("<b>No block selected</b><br>Select a block on the canvas "
                                 "to edit its parameters.")
            self.name_edit.hide()
            self.doc_view.hide()
            self._loading = False
            return
        if self.spec is None:
            kinds = {n.type for n in nodes}
            self.heading.setText(f"<b>{len(nodes)} blocks</b><br>"
                                 + ("Of different types: select blocks of one type to edit "
                                    "them together." if len(kinds) > 1 else
                                    f"Unknown block type '{nodes[0].type}'."))
            self.name_edit.hide()
            self.doc_view.hide()
            self._loading = False
            return
        count = f" × {len(nodes)}" if len(nodes) > 1 else ""
        self.heading.setText(f"<b style='font-size:12pt'>{self.spec.title}{count}</b>"
                             f"<br><span style='color:gray'>{self.spec.category}</span>")
        self.name_edit.setVisible(len(nodes) == 1)
        self.name_edit.setText(nodes[0].name)
        for param in self.spec.params:
            field = self._make_field(param)
            error = QLabel(self)
            error.setStyleSheet(f"color: {theme.current().error.name()}; font-size: 8pt;")
            error.setWordWrap(True)
            error.hide()
            box = QWidget(self)
            box_layout = QVBoxLayout(box)
            box_layout.setContentsMargins(0, 0, 0, 0)
            box_layout.setSpacing(2)
            box_layout.addWidget(field)
            box_layout.addWidget(error)
            label = QLabel(param.label, self)
            label.setToolTip(param.help)
            field.setToolTip(param.help)
            self.form.addRow(label, box)
            self._fields[param.name] = field
            self._errors[param.name] = error
        self._load_values()
        self.doc_view.setMarkdown(self.spec.doc)
        self.doc_view.show()
        self._loading = False

    def _make_field(self, param: ParamSpec) -> QWidget:
        if param.kind == "bool":
            box = QCheckBox(self)
            box.toggled.connect(lambda value, p=param: self._commit(p, value))
            return box
        if param.kind == "choice":
            combo = QComboBox(self)
            combo.addItems(list(param.choices))
            combo.activated.connect(lambda index, p=param, c=combo: self._commit(
                p, c.itemText(index)))
            return combo
        if param.kind == "int":
            spin = QSpinBox(self)
            spin.setRange(int(param.minimum if param.minimum is not None else -MAX_INT),
                          int(param.maximum if param.maximum is not None else MAX_INT))
            spin.setKeyboardTracking(True)
            spin.setAccelerated(True)
            spin.valueChanged.connect(lambda value, p=param: self._commit(p, value))
            return spin
        edit = QLineEdit(self)
        edit.textEdited.connect(lambda text, p=param, e=edit: self._commit_text(p, e, text))
        return edit

    def _load_values(self) -> None:
        nodes = self._nodes(self.node_ids)
        if not nodes or self.spec is None:
            return
        self._loading = True
        for param in self.spec.params:
            values = [node.params.get(param.name) for node in nodes]
            mixed = any(json.dumps(v) != json.dumps(values[0]) for v in values)
            field = self._fields[param.name]
            value = values[0]
            if isinstance(field, QCheckBox):
                field.setTristate(mixed)
                field.setCheckState(Qt.CheckState.PartiallyChecked if mixed else
                                    Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)
            elif isinstance(field, QComboBox):
                field.setCurrentIndex(-1 if mixed else field.findText(str(value)))
            elif isinstance(field, QSpinBox):
                if not field.hasFocus() and isinstance(value, int):
                    field.setValue(value)
                field.setSpecialValueText(MIXED if mixed else "")
            elif isinstance(field, QLineEdit) and not field.hasFocus():
                field.setText("" if mixed else format_value(param, value))
                field.setPlaceholderText(MIXED if mixed else "")
                self._show_error(param, None)
        self._loading = False

    # ----- committing ------------------------------------------------------------------------------
    def _commit(self, param: ParamSpec, value: Any) -> None:
        if self._loading or self.editor is None or self.graph is None or not self.node_ids:
            return
        self.editor.push(SetParams(self.graph, self.node_ids, {param.name: value}))

    def _commit_text(self, param: ParamSpec, edit: QLineEdit, text: str) -> None:
        if self._loading:
            return
        try:
            value = parse_value(param, text)
        except ParamError as error:
            self._show_error(param, str(error).replace(f"parameter '{param.name}' ", ""))
            return
        self._show_error(param, None)
        self._commit(param, value)

    def _show_error(self, param: ParamSpec, message: str | None) -> None:
        field, label = self._fields.get(param.name), self._errors.get(param.name)
        if field is None or label is None:
            return
        if message:
            field.setStyleSheet(_INVALID_STYLE.format(colour=theme.current().error.name()))
            label.setText(message)
            label.show()
        else:
            field.setStyleSheet("")
            label.hide()

    def _rename(self) -> None:
        if self.editor is None or self.graph is None or len(self.node_ids) != 1:
            return
        name = self.name_edit.text().strip()
        node = self._nodes(self.node_ids)
        if node and name and name != node[0].name and not self.editor.push(
                RenameNode(self.graph, self.node_ids[0], name)):
            self.name_edit.setText(node[0].name)

    def _on_model_changed(self, graph: Any, node: Node, **_: Any) -> None:
        if graph.name == self.graph and node.id in self.node_ids:
            self._load_values()
            if len(self.node_ids) == 1 and not self.name_edit.hasFocus():
                self.name_edit.setText(node.name)

    def field(self, name: str) -> QWidget:
        """The editor widget of a parameter (for tests and keyboard focus)."""
        return self._fields[name]
