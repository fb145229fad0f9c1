"""The inspector: a form made from the selected block's ParamSpecs, with its documentation.

Edits go through the document widget as SetParams / RenameNode commands, so every change is
undoable, and successive edits of one field merge into one step. Several selected blocks of
one type are edited together; a field whose values differ shows as "mixed". The inspector
also lists the selected block's problems and shapes, which follow the document's checks.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterator, Mapping
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.commands import Command, RenameNode, SetParams
from netbuilder.core.graph import Node
from netbuilder.core.inference import ERROR, Diagnostic
from netbuilder.core.names import node_name_problem
from netbuilder.core.params import ParamSpec
from netbuilder.ui import block_docs, glyphs, theme
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.param_fields import (
    MIXED,
    LineEdit,
    ParamField,
    format_value,
    make_field,
    mark_invalid,
    parse_float,
    parse_ints,
    same_value,
)

__all__ = ["MIXED", "InspectorWidget", "applies", "format_value", "parse_value"]

_MODEL_EVENTS = ("params_changed", "node_renamed")
#: Rows of the form that stay when it is rebuilt: the name and the "Parameters" title.
_FIXED_ROWS = 2


def parse_value(param: ParamSpec, text: str) -> Any:
    """Reads what the user typed for a text-edited parameter (ValueError if it cannot)."""
    if param.kind == "float":
        return param.validate(parse_float(text))
    if param.kind in ("ints", "int_or_ints"):
        return param.validate(parse_ints(text, param.kind == "int_or_ints"))
    if param.kind == "int":
        return param.validate(int(text.strip()))
    return param.validate(text)


def applies(param: ParamSpec, params: Mapping[str, Any]) -> bool:
    """Whether ``param`` matters given the other ``params`` of its block.

    A ParamSpec may carry ``enabled_when``: a mapping (or pairs) from another parameter's
    name to the value, or tuple of values, that make this one matter, e.g.
    ``{"padding": ("explicit",)}`` for ``padding_size``. Without it a parameter always applies.
    """
    rule = getattr(param, "enabled_when", None)
    if not rule:
        return True
    for other, allowed in dict(rule).items():
        options = allowed if isinstance(allowed, (tuple, list, set, frozenset)) else (allowed,)
        if params.get(other) not in options:
            return False
    return True


def _condition_text(param: ParamSpec) -> str:
    rule = dict(getattr(param, "enabled_when", None) or {})
    parts = []
    for other, allowed in rule.items():
        options = allowed if isinstance(allowed, (tuple, list, set, frozenset)) else (allowed,)
        parts.append(f"{other.replace('_', ' ')} is {' or '.join(str(o) for o in options)}")
    return "Used only when " + " and ".join(parts) if parts else ""


class _NameEdit(LineEdit):
    """The rename field: Escape puts the block's name back.

    Signals:
        cancelled(): Escape was pressed.
    """

    cancelled = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancelled.emit()
            return
        super().keyPressEvent(event)


def _label(text: str = "", role: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    if role:
        label.setProperty("role", role)
    return label


def _set_role(widget: QWidget, role: str) -> None:
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class InspectorWidget(QWidget):
    """Edits the params of the blocks selected in the current canvas."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor: DocumentWidget | None = None
        self.graph: str | None = None
        self.node_ids: list[str] = []
        self.spec: BlockSpec | None = None
        self._fields: dict[str, ParamField] = {}
        self._labels: dict[str, QLabel] = {}
        self._errors: dict[str, QLabel] = {}
        self._built_for: tuple[Any, ...] | None = None
        self._pushing = False
        self._build_static()
        theme.notifier().changed.connect(self._theme_changed)
        self.show_nodes(None, None, [])

    # ----- the fixed parts -----------------------------------------------------------------------
    def _build_static(self) -> None:
        self.icon = QLabel(self)
        self.icon.setFixedSize(28, 28)
        self.heading = _label(parent=self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.subtitle = _label(role="subtle", parent=self)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.heading)
        titles.addWidget(self.subtitle)
        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(titles, 1)

        self.name_edit = _NameEdit(self)
        self.name_edit.setPlaceholderText("block name")
        self.name_edit.setToolTip("The block's name: its submodule name in the compiled model "
                                  "(letters, digits and _). Enter renames, Esc cancels.")
        self.name_edit.textEdited.connect(self._name_typed)
        self.name_edit.editingFinished.connect(self._rename)
        self.name_edit.cancelled.connect(self._cancel_rename)
        self.name_edit.left.connect(self._left_name)
        self.name_error = _label(role="problem", parent=self)
        self.name_error.hide()
        name_box = QWidget(self)
        name_layout = QVBoxLayout(name_box)
        name_layout.setContentsMargins(0, 0, 0, 0)
        name_layout.setSpacing(2)
        name_layout.addWidget(self.name_edit)
        name_layout.addWidget(self.name_error)

        self.problems_box = QFrame(self)
        self.problems_layout = QVBoxLayout(self.problems_box)
        self.problems_layout.setContentsMargins(0, 2, 0, 2)
        self.problems_layout.setSpacing(4)

        # One form for the name and the parameters, so that their labels line up.
        self.params_title = _label("Parameters", "section", self)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setHorizontalSpacing(10)
        self.form.setVerticalSpacing(6)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.form.addRow("Name", name_box)
        self.form.addRow(self.params_title)
        self.no_params = _label("This block has no parameters.", "subtle", self)

        self.shapes_title = _label("Shapes", "section", self)
        self.shapes_host = QWidget(self)
        self.shapes = QGridLayout(self.shapes_host)
        self.shapes.setContentsMargins(0, 0, 0, 0)
        self.shapes.setHorizontalSpacing(10)
        self.shapes.setVerticalSpacing(2)
        self.shapes.setColumnStretch(1, 1)

        self.doc_title = _label("About", "section", self)
        self.doc_view = _label(parent=self)
        self.doc_view.setTextFormat(Qt.TextFormat.RichText)
        self.doc_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.doc_view.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        inner = QWidget()
        self._inner = inner
        column = QVBoxLayout(inner)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(6)
        column.addLayout(header)
        for widget in (self.problems_box, self.form_host, self.no_params, self.shapes_title,
                       self.shapes_host, self.doc_title, self.doc_view):
            column.addWidget(widget)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        self.scroll_area = scroll  # not self.scroll: that is QWidget.scroll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    # ----- target --------------------------------------------------------------------------------
    def show_nodes(self, editor: DocumentWidget | None, graph: str | None,
                   node_ids: list[str]) -> None:
        """Shows the form for ``node_ids`` of ``graph`` (nothing when empty)."""
        if editor is not self.editor:
            if self.editor is not None:
                self._unwatch(self.editor)
            if editor is not None:
                self._watch(editor)
        self.editor, self.graph = editor, graph
        nodes = self._nodes(node_ids)
        types = {node.type for node in nodes}
        self.node_ids = [node.id for node in nodes]
        self.spec = (editor.doc.catalogue.get(nodes[0].type)
                     if editor is not None and len(types) == 1 else None)
        target = (id(editor), graph, tuple(self.node_ids), self.spec)
        if target != self._built_for:
            # A new target gets a new form; the same one (a re-sent selection) keeps its
            # fields, so that typing is never interrupted.
            self._built_for = target
            self._build()
        else:
            self._load_values()
            self._refresh_analysis()

    def _watch(self, editor: DocumentWidget) -> None:
        for event in _MODEL_EVENTS:
            editor.doc.events.connect(event, self._on_model_changed)
        editor.analysed.connect(self._refresh_analysis)

    def _unwatch(self, editor: DocumentWidget) -> None:
        for event in _MODEL_EVENTS:
            editor.doc.events.disconnect(event, self._on_model_changed)
        with contextlib.suppress(RuntimeError, TypeError):
            editor.analysed.disconnect(self._refresh_analysis)

    def _nodes(self, node_ids: list[str] | None = None) -> list[Node]:
        if self.editor is None or self.graph is None or self.graph not in self.editor.doc.graphs:
            return []
        graph = self.editor.doc.graph(self.graph)
        ids = self.node_ids if node_ids is None else node_ids
        return [graph.nodes[n] for n in ids if n in graph.nodes]

    def field(self, name: str) -> QWidget:
        """The editor of a parameter: the spin box, combo box, check box or line edit (the
        first spin box of a tuple). For tests and keyboard focus."""
        return self._fields[name].editors()[0]

    def param_field(self, name: str) -> ParamField:
        """The whole field of a parameter (tuples have several editors)."""
        return self._fields[name]

    def error_text(self, name: str) -> str:
        """The message under a parameter's field ("" when none is shown)."""
        label = self._errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

    # ----- building the form ---------------------------------------------------------------------
    def _build(self) -> None:
        self._clear_form()
        nodes = self._nodes()
        has_spec = bool(nodes) and self.spec is not None
        for widget in (self.form_host, self.shapes_title, self.shapes_host, self.doc_title,
                       self.doc_view):
            widget.setVisible(has_spec)
        self.no_params.hide()
        self._show_name_problem("")
        if not nodes:
            self._show_heading(None, "No block selected",
                               "Select a block on the canvas to edit its parameters.")
        elif self.spec is None:
            kinds = {n.type for n in nodes}
            self._show_heading(None, f"{len(nodes)} blocks selected",
                               "Of different types: select blocks of one type to edit them "
                               "together." if len(kinds) > 1 else
                               f"Unknown block type '{nodes[0].type}'.")
        else:
            self._build_for(self.spec, nodes)
        self._refresh_analysis()

    def _build_for(self, spec: BlockSpec, nodes: list[Node]) -> None:
        count = f" × {len(nodes)}" if len(nodes) > 1 else ""
        self._show_heading(spec.category, f"{spec.title}{count}", spec.category)
        self.form.setRowVisible(0, len(nodes) == 1)
        self.name_edit.setText(nodes[0].name)
        for param in spec.params:
            self._add_row(param)
        self.form.setRowVisible(1, bool(spec.params))
        self.no_params.setVisible(not spec.params)
        self._load_values()
        subtle = theme.current().node_subtle.name()
        self.doc_view.setText(block_docs.doc_html(spec, subtle))

    def _show_heading(self, category: str | None, title: str, subtitle: str) -> None:
        self.icon.setVisible(category is not None)
        if category is not None:
            self.icon.setPixmap(glyphs.category_icon(category, 28).pixmap(
                QSize(28, 28), self.devicePixelRatioF()))
        self.heading.setText(f"<span style='font-size:12pt; font-weight:600'>"
                             f"{html.escape(title)}</span>")
        self.subtitle.setText(subtitle)

    def _add_row(self, param: ParamSpec) -> None:
        field = make_field(param, self.form_host)
        field.edited.connect(lambda value, p=param: self._commit(p, value))
        error = _label(role="problem", parent=self.form_host)
        error.hide()
        field.problem.connect(lambda message, e=error: self._show_problem(e, message))
        box = QWidget(self.form_host)
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        box_layout = QVBoxLayout(box)
        box_layout.setContentsMargins(0, 0, 0, 0)
        box_layout.setSpacing(2)
        box_layout.addWidget(field)
        box_layout.addWidget(error)
        label = QLabel(param.label, self.form_host)
        tip = block_docs.param_tooltip(param)
        label.setToolTip(tip)
        for widget in (field, *field.editors()):
            widget.setToolTip(tip)
        self.form.addRow(label, box)
        # The layout would show them from the event loop; tests and the first paint need them
        # now (show() leaves them hidden while the inspector itself is).
        label.show()
        box.show()
        self._fields[param.name] = field
        self._labels[param.name] = label
        self._errors[param.name] = error

    def _clear_form(self) -> None:
        while self.form.rowCount() > _FIXED_ROWS:
            self.form.removeRow(_FIXED_ROWS)
        self._fields.clear()
        self._labels.clear()
        self._errors.clear()

    @staticmethod
    def _show_problem(label: QLabel, message: str) -> None:
        label.setText(message)
        label.setVisible(bool(message))

    # ----- showing the model ---------------------------------------------------------------------
    def _load_values(self) -> None:
        nodes = self._nodes()
        if not nodes or self.spec is None:
            return
        for param in self.spec.params:
            field = self._fields.get(param.name)
            if field is None:
                continue
            values = [node.params.get(param.name, param.default) for node in nodes]
            field.set_values(values)
            enabled = any(applies(param, node.params) for node in nodes)
            field.setEnabled(enabled)
            label = self._labels[param.name]
            label.setEnabled(enabled)
            reason = "" if enabled else f"<p><i>{_condition_text(param)}.</i></p>"
            label.setToolTip(block_docs.param_tooltip(param) + reason)
        if len(nodes) == 1 and not self.name_edit.hasFocus():
            self.name_edit.setText(nodes[0].name)

    def _refresh_analysis(self) -> None:
        """The selected blocks' problems and shapes, from the latest shape check."""
        diagnostics = list(self._diagnostics())
        self._show_node_problems(diagnostics)
        blamed = {d.param: d for d in diagnostics if d.param}
        for name, label in self._labels.items():
            found = blamed.get(name)
            _set_role(label, "problem" if found is not None else "")
            if found is not None:
                message = html.escape(block_docs.sentence(found.message))
                label.setToolTip(block_docs.param_tooltip(self._fields[name].param)
                                 + f"<p><b>{message}</b></p>")
        self._show_shapes()

    def _diagnostics(self) -> Iterator[Diagnostic]:
        analysis = self.editor.analysis(self.graph) if self.editor and self.graph else None
        if analysis is None:
            return
        for node_id in self.node_ids:
            yield from analysis.diagnostics_for(node_id)

    def _show_node_problems(self, diagnostics: list[Diagnostic]) -> None:
        while self.problems_layout.count():
            item = self.problems_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # deleteLater waits for the event loop: hide it at once
                widget.deleteLater()
        names = {node.id: node.name for node in self._nodes()}
        for diagnostic in diagnostics:
            severity = "error" if diagnostic.severity == ERROR else "warning"
            prefix = f"{names.get(diagnostic.node or '', '')}: " if len(names) > 1 else ""
            row = QWidget(self.problems_box)
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.setSpacing(6)
            icon = QLabel(row)
            icon.setPixmap(glyphs.severity_icon(severity).pixmap(QSize(16, 16),
                                                                 self.devicePixelRatioF()))
            row_layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
            text = _label(prefix + block_docs.sentence(diagnostic.message), parent=row)
            text.setObjectName(f"{severity}_problem")
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row_layout.addWidget(text, 1)
            self.problems_layout.addWidget(row)
        self.problems_box.setVisible(bool(diagnostics))

    def node_problems(self) -> list[str]:
        """The problem messages listed under the heading (for tests)."""
        found = []
        for index in range(self.problems_layout.count()):
            item = self.problems_layout.itemAt(index)
            row = item.widget() if item is not None else None
            if row is not None:
                found += [label.text() for label in row.findChildren(QLabel) if label.text()]
        return found

    def _show_shapes(self) -> None:
        while self.shapes.count():
            item = self.shapes.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # deleteLater waits for the event loop: hide it at once
                widget.deleteLater()
        rows = self._shape_rows()
        for row, (name, value) in enumerate(rows):
            key = _label(name, "subtle", self.shapes_host)
            key.setWordWrap(False)
            self.shapes.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop)
            text = _label(value, parent=self.shapes_host)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.shapes.addWidget(text, row, 1)
        show = bool(rows) and self.spec is not None
        self.shapes_title.setVisible(show)
        self.shapes_host.setVisible(show)

    def _shape_rows(self) -> list[tuple[str, str]]:
        analysis = self.editor.analysis(self.graph) if self.editor and self.graph else None
        if analysis is None or len(self.node_ids) != 1:
            return []
        info = analysis.nodes.get(self.node_ids[0])
        if info is None:
            return []
        rows = []
        for title, specs in (("In", info.inputs), ("Out", info.outputs)):
            if specs:
                named = len(specs) > 1
                rows.append((title, "\n".join(f"{port}: {spec}" if named else str(spec)
                                               for port, spec in specs.items())))
        if info.params:
            rows.append(("Weights", f"{info.params:,} parameters"))
        return rows

    # ----- committing ----------------------------------------------------------------------------
    def _commit(self, param: ParamSpec, value: Any) -> None:
        nodes = self._nodes()
        if self.editor is None or self.graph is None or not nodes:
            return
        if all(same_value(node.params.get(param.name), value) for node in nodes):
            return  # no change: no empty undo step
        refusal = self._push(SetParams(self.graph, [n.id for n in nodes], {param.name: value}))
        if refusal is not None:
            self._fields[param.name].show_problem(refusal)

    def _push(self, command: Command) -> str | None:
        """Pushes ``command``; returns None, or the reason the document refused it."""
        assert self.editor is not None
        said: list[str] = []

        def listen(message: str, error: bool) -> None:
            if error:
                said.append(message)
        self.editor.status_message.connect(listen)
        # A command on several blocks announces each block's change in turn: showing those
        # half-done states would flash "mixed" into the field being typed in.
        self._pushing = True
        try:
            ok = self.editor.push(command)
        finally:
            self._pushing = False
            self.editor.status_message.disconnect(listen)
        self._load_values()
        return None if ok else (said[-1] if said else "The change was refused")

    # ----- renaming ------------------------------------------------------------------------------
    def _name_problem(self, name: str) -> str:
        nodes = self._nodes()
        if len(nodes) != 1 or self.editor is None or self.graph is None:
            return ""
        if not name:
            return "A block needs a name"
        problem = node_name_problem(name)
        if problem is not None:
            return problem[:1].upper() + problem[1:]
        other = self.editor.doc.graph(self.graph).node_by_name(name)
        if other is not None and other.id != nodes[0].id:
            return f"Another block is already called {name}"
        return ""

    def _name_typed(self, text: str) -> None:
        self._show_name_problem(self._name_problem(text.strip()))

    def _show_name_problem(self, message: str) -> None:
        self.name_error.setText(message)
        self.name_error.setVisible(bool(message))
        mark_invalid(self.name_edit, bool(message))

    def _rename(self) -> None:
        nodes = self._nodes()
        if len(nodes) != 1 or self.graph is None:
            return
        name = self.name_edit.text().strip()
        if name == nodes[0].name:
            self._show_name_problem("")
            return
        problem = self._name_problem(name)
        if problem:
            self._show_name_problem(problem)
            return
        refusal = self._push(RenameNode(self.graph, nodes[0].id, name))
        self._show_name_problem(refusal or "")

    def _left_name(self) -> None:
        if not self.name_error.isHidden():
            self._cancel_rename()  # leaving a refused name: show the block's name again

    def _cancel_rename(self) -> None:
        nodes = self._nodes()
        if len(nodes) == 1:
            self.name_edit.setText(nodes[0].name)
        self._show_name_problem("")

    # ----- following the model -------------------------------------------------------------------
    def _on_model_changed(self, graph: Any, node: Node, **payload: Any) -> None:
        if graph.name != self.graph or node.id not in self.node_ids or self._pushing:
            return
        if "old" in payload and len(self.node_ids) == 1:  # node_renamed: by us, undo or redo
            self.name_edit.setText(node.name)
            self._show_name_problem("")
        self._load_values()

    def _theme_changed(self, _name: str) -> None:
        self._built_for = None
        self.show_nodes(self.editor, self.graph, self.node_ids)
