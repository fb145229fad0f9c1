"""Editors for block parameters, one per ParamSpec kind, for the inspector's form.

Every field has the same small interface: :meth:`ParamField.set_value` shows the model's
value (or "mixed" when the selected blocks disagree) without emitting anything, ``edited``
carries a value the user entered that passed the ParamSpec's validation, and ``problem``
carries the reason the current input is refused ("" once it is fine). Fields never touch the
model: the inspector turns ``edited`` into an undoable command.

Typing is checked key by key. Input that cannot become valid is refused with a message at
once; input that is merely unfinished ("", "-", "1e-", "3,") is neither pushed nor blamed
until the user presses Enter; leaving a field with refused input shows the model's value again.
"""

from __future__ import annotations

import math
import re
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QIcon,
    QKeyEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QValidator,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QWidget,
)

from netbuilder.core.errors import ParamError
from netbuilder.core.params import MAX_INT, ParamSpec
from netbuilder.ui import theme

#: What a field shows when the selected blocks hold different values.
MIXED = "(mixed)"

_FLOAT_START = re.compile(r"^[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?\d*)?$")
_LIST_SEPARATORS = re.compile(r"[,;×xX*\s]+")


class UnfinishedError(ValueError):
    """The text is the start of a valid value (the user is still typing)."""


# ----- parsing and formatting --------------------------------------------------------------------
def problem_text(error: ParamError) -> str:
    """A ParamError's message without the "parameter 'x'" prefix, as a sentence."""
    text = re.sub(r"^parameter '[^']*' ", "", str(error))
    return text[:1].upper() + text[1:]


def parse_int(text: str) -> int:
    """An integer typed by the user. Raises UnfinishedError or ValueError."""
    text = text.strip()
    if text in ("", "-", "+"):
        raise UnfinishedError(text)
    return int(text)


def parse_float(text: str) -> float:
    """A number typed as ``0.001``, ``1e-5`` or ``.5``. Raises UnfinishedError or ValueError."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        if _FLOAT_START.match(text):
            raise UnfinishedError(text) from None
        raise
    if not math.isfinite(value) or text.lower().lstrip("+-").startswith(("n", "i")):
        raise ValueError(text)  # float() also reads "nan" and "inf"
    return value


def parse_ints(text: str, single_allowed: bool) -> int | list[int]:
    """Integers typed as ``3, 3``, ``3 3``, ``3x3`` or ``[3, 3]``; one bare number gives an int
    when ``single_allowed``. Raises UnfinishedError or ValueError."""
    body = text.strip().strip("[]()").strip()
    if body.endswith((",", ";", "-", "x", "×", "*")) or body.startswith(","):
        raise UnfinishedError(text)
    parts = [part for part in _LIST_SEPARATORS.split(body) if part]
    numbers = [int(part) for part in parts]
    if single_allowed and len(numbers) == 1 and not re.search(r"[,\[(]", text):
        return numbers[0]
    return numbers


def same_value(a: Any, b: Any) -> bool:
    """Equal values of the same JSON type (``1`` and ``1.0``, ``3`` and ``[3]`` differ)."""
    return type(a) is type(b) and a == b


def format_value(param: ParamSpec, value: Any) -> str:
    """A value as its field shows it: ``1e-05``, ``3, 3``, ``[3]``, ``relu``."""
    if isinstance(value, list) and len(value) == 1 and param.kind == "int_or_ints":
        return f"[{value[0]}]"  # "3" would read back as the int 3, which means 3 x 3
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


def _bounds(param: ParamSpec) -> tuple[int, int]:
    low = int(param.minimum) if param.minimum is not None else -MAX_INT
    high = int(param.maximum) if param.maximum is not None else MAX_INT
    return low, high


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Tints a field red, with a red focus frame, or gives it back the theme's colours.

    Done with the palette rather than a style sheet: a style sheet border makes Qt draw the
    whole widget (a spin box's arrows too) in its plain style-sheet look.
    """
    widget.setProperty("invalid", invalid)
    if not invalid:
        widget.setPalette(QPalette())  # nothing set: everything inherited again
        return
    error = theme.current().error
    palette = QPalette(widget.palette())
    base = palette.color(QPalette.ColorRole.Base)
    tint = QColor(error)
    tint.setAlphaF(0.16 if theme.current().name == "dark" else 0.09)
    mixed = QColor.fromRgbF(*(_blend(under, over, tint.alphaF()) for under, over in zip(
        (base.redF(), base.greenF(), base.blueF()), (tint.redF(), tint.greenF(), tint.blueF()),
        strict=True)))
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Base, mixed)
        palette.setColor(group, QPalette.ColorRole.Highlight, error)
    widget.setPalette(palette)


def _blend(under: float, over: float, alpha: float) -> float:
    return under * (1 - alpha) + over * alpha


# ----- small widgets -----------------------------------------------------------------------------
class SpinBox(QSpinBox):
    """An integer spin box that lets the user type out-of-range numbers (so that the field can
    say what is wrong instead of eating the key), can show "mixed", and ignores the mouse wheel
    unless it has focus (scrolling the inspector must not edit parameters).

    Signals:
        stepped(): the user stepped the value (arrow keys, buttons, focused wheel).
    """

    stepped = Signal()

    def __init__(self, minimum: int, maximum: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mixed = False
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(True)
        self.setAccelerated(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            value = parse_int(text)
        except UnfinishedError:
            return QValidator.State.Intermediate, text, pos
        except ValueError:
            return QValidator.State.Invalid, text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate,
                text, pos)

    def textFromValue(self, value: int) -> str:
        return "" if self.mixed else str(value)

    def set_mixed(self, mixed: bool) -> None:
        self.mixed = mixed
        self.lineEdit().setPlaceholderText(MIXED if mixed else "")

    def shows(self, value: Any, mixed: bool) -> bool:
        """Whether the box already says ``value`` (then it is left alone while typing)."""
        if mixed or self.mixed:
            return mixed and self.mixed
        try:
            return parse_int(self.text()) == value
        except ValueError:  # unfinished or refused typing over an unchanged value
            return self.value() == value

    def show_value(self, value: Any, mixed: bool) -> None:
        """Shows the model's value, keeping the cursor where the user left it."""
        if self.shows(value, mixed):
            return
        cursor = self.lineEdit().cursorPosition()
        self.set_mixed(mixed)
        self.setValue(value if isinstance(value, int) else self.minimum())
        if self.hasFocus():
            self.lineEdit().setCursorPosition(min(cursor, len(self.text())))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Typing over "mixed" starts a real value. This must happen before the key reaches
        # the line edit: the spin box re-reads the text (through textFromValue) as it changes.
        if self.mixed and event.text().strip():
            self.set_mixed(False)
        super().keyPressEvent(event)

    def stepBy(self, steps: int) -> None:
        self.set_mixed(False)
        super().stepBy(steps)
        self.stepped.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ComboBox(QComboBox):
    """A combo box that leaves the mouse wheel to the scroll area unless it has focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class LineEdit(QLineEdit):
    """A line edit that says when the user leaves it (not when a menu or popup opens).

    Signals:
        left(): focus moved to another widget (Tab, a click elsewhere).
    """

    left = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() not in (Qt.FocusReason.PopupFocusReason,
                                  Qt.FocusReason.ActiveWindowFocusReason):
            self.left.emit()


def _link_icon(linked: bool) -> QIcon:
    """Two chain links, closed when the entries move together, apart when they do not."""
    icon = QIcon()
    for ratio in (1.0, 2.0, 3.0):
        pixmap = QPixmap(round(16 * ratio), round(16 * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = theme.current().node_text if linked else theme.current().node_subtle
        pen = QPen(colour, 1.5)
        painter.setPen(pen)
        if linked:
            painter.drawRoundedRect(QRectF(1.5, 5.5, 7.5, 5), 2.5, 2.5)
            painter.drawRoundedRect(QRectF(7, 5.5, 7.5, 5), 2.5, 2.5)
        else:  # the links apart, with a break between them
            painter.drawRoundedRect(QRectF(0.5, 5.5, 6, 5), 2.5, 2.5)
            painter.drawRoundedRect(QRectF(9.5, 5.5, 6, 5), 2.5, 2.5)
            painter.drawLine(QPointF(8, 3), QPointF(8, 4.5))
            painter.drawLine(QPointF(8, 11.5), QPointF(8, 13))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


# ----- the fields --------------------------------------------------------------------------------
class ParamField(QWidget):
    """Edits one parameter.

    Signals:
        edited(value): the user entered ``value``, already validated against the ParamSpec.
        problem(message): why the current input is refused; "" when it is not.
    """

    edited = Signal(object)
    problem = Signal(str)

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.value: Any = param.default
        self.mixed = False
        self._problem = ""
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)

    # The inspector's side.
    def set_values(self, values: list[Any]) -> None:
        """Shows the values of the selected blocks ("mixed" if they differ); emits nothing."""
        mixed = any(not same_value(v, values[0]) for v in values[1:])
        self.value, self.mixed = values[0], mixed
        self._show(values[0], mixed)
        self._report("")

    def set_value(self, value: Any) -> None:
        """Shows one block's value."""
        self.set_values([value])

    def show_problem(self, message: str) -> None:
        """Shows why the model refused the last value (the inspector calls this)."""
        self._report(message)

    def editors(self) -> list[QWidget]:
        """The input widgets (they get the red border and the focus)."""
        return []

    @property
    def problem_message(self) -> str:
        return self._problem

    # The subclasses' side.
    def _show(self, value: Any, mixed: bool) -> None:
        raise NotImplementedError

    def _offer(self, value: Any) -> None:
        """Validates a value the user entered; emits ``edited`` or reports the problem."""
        try:
            self.param.validate(value)
        except ParamError as error:
            self._report(problem_text(error))
            return
        self._report("")
        self.value, self.mixed = value, False
        self.edited.emit(value)

    def _report(self, message: str) -> None:
        if message == self._problem:
            return
        self._problem = message
        for editor in self.editors():
            mark_invalid(editor, bool(message))
        self.problem.emit(message)


class BoolField(ParamField):
    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.check = QCheckBox(self)
        self.check.clicked.connect(self._clicked)
        self.row.addWidget(self.check)
        self.row.addStretch(1)

    def editors(self) -> list[QWidget]:
        return [self.check]

    def _show(self, value: Any, mixed: bool) -> None:
        self.check.setTristate(mixed)
        self.check.setCheckState(Qt.CheckState.PartiallyChecked if mixed else
                                 Qt.CheckState.Checked if value else Qt.CheckState.Unchecked)

    def _clicked(self) -> None:
        # From "mixed" a click sets every block (Qt's tristate cycle goes on to checked).
        checked = self.check.checkState() != Qt.CheckState.Unchecked
        self.check.setTristate(False)
        self.check.setChecked(checked)
        self._offer(checked)


class ChoiceField(ParamField):
    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = ComboBox(self)
        self.combo.addItems(list(param.choices))
        self.combo.activated.connect(lambda index: self._offer(self.combo.itemText(index)))
        self.row.addWidget(self.combo)

    def editors(self) -> list[QWidget]:
        return [self.combo]

    def _show(self, value: Any, mixed: bool) -> None:
        self.combo.setPlaceholderText(MIXED if mixed else "")
        self.combo.setCurrentIndex(-1 if mixed else self.combo.findText(str(value)))


class IntField(ParamField):
    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spin = SpinBox(*_bounds(param), parent=self)
        self.spin.lineEdit().textEdited.connect(self._typed)
        self.spin.stepped.connect(lambda: self._offer(self.spin.value()))
        # Enter or leaving the field: the spin box has put back the last valid value.
        self.spin.editingFinished.connect(lambda: self._report(""))
        self.row.addWidget(self.spin)

    def editors(self) -> list[QWidget]:
        return [self.spin]

    def _show(self, value: Any, mixed: bool) -> None:
        self.spin.show_value(value, mixed)

    def _typed(self, text: str) -> None:
        self.spin.set_mixed(False)
        try:
            value = parse_int(text)
        except UnfinishedError:
            self._report("")
            return
        except ValueError:
            self._report("Enter a whole number")
            return
        self._offer(value)


class _TextField(ParamField):
    """A line edit checked as the user types; subclasses parse and format."""

    placeholder = ""
    unfinished_message = "Unfinished value"

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.edit = LineEdit(self)
        self.edit.setPlaceholderText(self.placeholder)
        self.edit.textEdited.connect(self._typed)
        self.edit.returnPressed.connect(self._entered)
        self.edit.left.connect(self._left)
        self.row.addWidget(self.edit)

    def editors(self) -> list[QWidget]:
        return [self.edit]

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def _show(self, value: Any, mixed: bool) -> None:
        if not mixed and not self.mixed_shown and self._parsed() == value \
                and type(self._parsed()) is type(value):
            return  # the text already says this: keep the user's spelling and cursor
        self.edit.setText("" if mixed else format_value(self.param, value))
        self.edit.setPlaceholderText(MIXED if mixed else self.placeholder)

    @property
    def mixed_shown(self) -> bool:
        return self.edit.placeholderText() == MIXED and not self.edit.text()

    def _parsed(self) -> Any:
        try:
            return self.parse(self.edit.text())
        except ValueError:
            return None

    def _typed(self, text: str) -> None:
        self.edit.setPlaceholderText(self.placeholder)
        try:
            value = self.parse(text)
        except UnfinishedError:
            self._report("")
            return
        except ValueError:
            self._report(self.bad_text_message())
            return
        self._offer(value)

    def _entered(self) -> None:
        try:
            self.parse(self.edit.text())
        except UnfinishedError:
            if self.edit.text() or not self.mixed:
                self._report(self.unfinished_message)
        except ValueError:
            pass  # already reported while typing

    def _left(self) -> None:
        if self.problem_message or self._parsed() is None:
            self._show_model()

    def _show_model(self) -> None:
        self.edit.setText("" if self.mixed else format_value(self.param, self.value))
        self.edit.setPlaceholderText(MIXED if self.mixed else self.placeholder)
        self._report("")

    def bad_text_message(self) -> str:
        return "Invalid value"


class FloatField(_TextField):
    unfinished_message = "Enter a number, like 0.001 or 1e-5"

    def parse(self, text: str) -> float:
        return parse_float(text)

    def bad_text_message(self) -> str:
        return "Not a number: enter one like 0.001 or 1e-5"


class IntsField(_TextField):
    """A list of any length (Input's shape), typed as ``1, 28, 28``."""

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        single = param.kind == "int_or_ints"
        self.placeholder = ("one number, or several: 3, 3" if single else
                            "empty = one number per sample" if param.min_length == 0 else
                            "e.g. 1, 28, 28")
        self.unfinished_message = "Finish the list: numbers separated by commas"
        super().__init__(param, parent)

    def parse(self, text: str) -> int | list[int]:
        return parse_ints(text, self.param.kind == "int_or_ints")

    def bad_text_message(self) -> str:
        return "Enter whole numbers separated by commas, like 3, 3"


class TextField(_TextField):
    """Free text, committed when the user presses Enter or leaves the field."""

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.edit.textEdited.disconnect(self._typed)
        self.edit.editingFinished.connect(self._finished)

    def parse(self, text: str) -> str:
        return text

    def _finished(self) -> None:
        text = self.edit.text()
        if text != self.value or (self.mixed and text):
            self._offer(text)

    def _left(self) -> None:
        pass  # _finished has committed or reported


class TupleField(ParamField):
    """A fixed number of integers (``kernel_size`` of a 2-D conv): one spin box per entry, and a
    link button that keeps them equal, on while they are."""

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        assert param.length is not None
        self.spins: list[SpinBox] = []
        for index in range(param.length):
            if index:
                times = QLabel("×", self)
                times.setAlignment(Qt.AlignmentFlag.AlignCenter)
                self.row.addWidget(times)
            spin = SpinBox(*_bounds(param), parent=self)
            spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
            spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
            spin.lineEdit().textEdited.connect(lambda text, i=index: self._typed(i, text))
            spin.stepped.connect(lambda i=index: self._stepped(i))
            spin.editingFinished.connect(self._finished)
            self.row.addWidget(spin, 1)
            self.spins.append(spin)
        # Not a checkable button: its sunken "on" look is heavy; the icon tells the state.
        self.link = QToolButton(self)
        self.link.setAutoRaise(True)
        self.link.setIconSize(QSize(16, 16))
        self.link.clicked.connect(lambda: self._set_linked(not self._linked))
        self.row.addWidget(self.link)
        self._linked: bool = False
        self._link_decided = False
        self._set_linked(False)

    def editors(self) -> list[QWidget]:
        return list(self.spins)

    @property
    def linked(self) -> bool:
        return self._linked

    def entries(self, value: Any) -> list[int]:
        length = len(self.spins)
        if isinstance(value, list) and len(value) == length:
            return [int(v) for v in value]
        if isinstance(value, int):
            return [value] * length
        return [self.spins[0].minimum()] * length

    def set_values(self, values: list[Any]) -> None:
        super().set_values(values)
        per_block = [self.entries(value) for value in values]
        shown = per_block[0]
        mixed = [any(entries[i] != shown[i] for entries in per_block) for i in range(len(shown))]
        self._set_entries(shown, mixed)

    def _set_entries(self, values: list[int], mixed_entries: list[bool]) -> None:
        for spin, value, mixed in zip(self.spins, values, mixed_entries, strict=True):
            spin.show_value(value, mixed)
        if not self._link_decided:
            self._link_decided = True
            self._set_linked(not any(mixed_entries) and len(set(values)) == 1)

    def _show(self, value: Any, mixed: bool) -> None:
        pass  # set_values shows each entry, "mixed" only where the blocks differ

    def _set_linked(self, linked: bool) -> None:
        self._linked = linked
        self.link.setIcon(_link_icon(linked))
        self.link.setToolTip("Linked: one value for every dimension (click to unlink)"
                             if linked else "Separate values (click to link them)")

    def _typed(self, index: int, text: str) -> None:
        self.spins[index].set_mixed(False)
        try:
            value = parse_int(text)
        except UnfinishedError:
            self._report("")
            return
        except ValueError:
            self._report("Enter a whole number")
            return
        self._offer_entry(index, value)

    def _stepped(self, index: int) -> None:
        self._offer_entry(index, self.spins[index].value())

    def _offer_entry(self, index: int, value: int) -> None:
        values = [spin.value() for spin in self.spins]
        values[index] = value
        if self.linked:
            values = [value] * len(values)
        elif any(spin.mixed for i, spin in enumerate(self.spins) if i != index):
            self._report("Set the other entries too (the blocks differ there)")
            return
        composed = self._compose(values)
        try:
            self.param.validate(composed)
        except ParamError as error:
            self._report(problem_text(error))  # the linked entries stay as they were
            return
        if self.linked:
            for other, spin in enumerate(self.spins):
                if other != index and (spin.value() != value or spin.mixed):
                    spin.set_mixed(False)
                    spin.setValue(value)
        self._offer(composed)

    def _compose(self, values: list[int]) -> int | list[int]:
        if self.param.kind == "int_or_ints" and len(set(values)) == 1:
            return values[0]  # the compact form a user would type: 3 rather than [3, 3]
        return list(values)

    def _finished(self) -> None:
        if self.problem_message:
            self._report("")


def make_field(param: ParamSpec, parent: QWidget | None = None) -> ParamField:
    """The editor for a parameter of any kind."""
    if param.kind == "bool":
        return BoolField(param, parent)
    if param.kind == "choice":
        return ChoiceField(param, parent)
    if param.kind == "int":
        return IntField(param, parent)
    if param.kind == "float":
        return FloatField(param, parent)
    if param.kind in ("ints", "int_or_ints"):
        if param.length is not None and param.length >= 2:
            return TupleField(param, parent)
        if param.length == 1 and param.kind == "int_or_ints":
            return _SingleIntField(param, parent)
        return IntsField(param, parent)
    return TextField(param, parent)


class _SingleIntField(IntField):
    """An ``int_or_ints`` of length 1 (a 1-D conv's kernel_size): a plain spin box that also
    reads a stored ``[3]``."""

    def _show(self, value: Any, mixed: bool) -> None:
        super()._show(value[0] if isinstance(value, list) and value else value, mixed)
