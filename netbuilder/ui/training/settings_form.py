"""The training settings as a form; every change becomes an undoable step of the document.

The form shows ``doc.training`` (through :class:`TrainingSettings`, which checks every value)
and emits ``changed(key, value)`` for a value that passed the check; the dock turns it into a
:class:`~netbuilder.core.commands.SetSetting` step, so the change marks the document modified
and is saved in the .nbg file. A refused value is marked in its field with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from netbuilder.train.recipes import RECIPES
from netbuilder.train.settings import (
    OPTIMIZERS,
    SCHEDULES,
    SettingsError,
    TrainingSettings,
)
from netbuilder.ui.param_fields import mark_invalid

OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop"}
SCHEDULE_TITLES = {"constant": "Constant", "step": "Step decay", "cosine": "Cosine"}
PRECISIONS = (("float32", False), ("bfloat16 (mixed)", True))


def device_choices() -> list[tuple[str, str]]:
    """(label, setting) for every device this machine has, the GPU named."""
    choices = [("Auto", "auto"), ("CPU", "cpu")]
    try:
        import torch

        if torch.cuda.is_available():
            choices.append((f"GPU: {torch.cuda.get_device_name(0)}", "cuda"))
        backend = getattr(torch.backends, "mps", None)
        if backend is not None and backend.is_available():
            choices.append(("Apple GPU (MPS)", "mps"))
    except (ImportError, RuntimeError):
        pass
    return choices


def auto_device_label() -> str:
    """What "auto" picks here, for its label."""
    choices = {value: label for label, value in device_choices()}
    if "cuda" in choices:
        return f"Auto ({choices['cuda'].removeprefix('GPU: ')})"
    return "Auto (Apple GPU)" if "mps" in choices else "Auto (CPU)"


class SettingsForm(QWidget):
    """The settings fields, on two pages (:attr:`basic` and :attr:`advanced`), and the device
    choice (:attr:`device`, which the dock shows beside Train).

    Signals:
        changed(str, object): a setting's new, checked value.
        lr_edited(float): the learning rate was changed (the dock also passes it to a run).
    """

    changed = Signal(str, object)
    lr_edited = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = TrainingSettings()
        self.recipe = self._combo([(r.title, name) for name, r in RECIPES.items()], "recipe",
                                  "How the network learns")
        self.optimizer = self._combo([(OPTIMIZER_TITLES[o], o) for o in OPTIMIZERS],
                                     "optimizer", "The optimizer of every trained network")
        self.lr = self._number("lr", "The learning rate; it can be changed while training "
                                     "runs")
        self.schedule = self._combo([(SCHEDULE_TITLES[s], s) for s in SCHEDULES], "schedule",
                                    "How the learning rate changes from epoch to epoch")
        self.step_size = self._spin("step_size", 1, 100_000, "Epochs between two decays")
        self.gamma = self._number("gamma", "The factor of each decay")
        self.batch_size = self._spin("batch_size", 1, 1_000_000, "Samples per step")
        self.epochs = self._spin("epochs", 1, 1_000_000, "Passes over the training data")
        self.validation = QDoubleSpinBox(self)
        self.validation.setRange(0.0, 0.9)
        self.validation.setSingleStep(0.05)
        self.validation.setDecimals(2)
        self.validation.setToolTip("Share of the training data held out to validate after "
                                   "each epoch (data with a validation split of its own "
                                   "keep theirs)")
        self.validation.valueChanged.connect(
            lambda value: self._offer("validation_split", round(value, 4)))
        self.device = self._combo([], "device", "Where to train")
        self._fill_devices()
        self.precision = self._combo(list(PRECISIONS), "bf16", "bfloat16 autocast runs the "
                                     "matrix products in half the bits (faster on GPUs)")
        self.seed = self._spin("seed", 0, 2**31 - 1, "Seeds the initial weights and the "
                                                     "shuffling: the same seed, the same run")
        self.grad_clip = self._number("grad_clip", "Clips the gradient norm to this (0: no "
                                                   "clipping)")
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setProperty("role", "error")
        self.problem.hide()

        # What most runs change, and what few do, on two pages of the dock.
        self.basic = QWidget(self)
        self.data_row = QHBoxLayout()  # the dock puts the data chooser here
        self.preview_row = QHBoxLayout()
        form = _form(self.basic)
        form.addRow("Recipe", self.recipe)
        form.addRow("Data", self.data_row)
        form.addRow(self.preview_row)
        form.addRow("Optimizer", self._pair(self.optimizer, "LR", self.lr))
        form.addRow("Batch size", self._pair(self.batch_size, "Epochs", self.epochs))
        form.addRow(self.problem)
        self.advanced = QWidget(self)
        more = _form(self.advanced)
        more.addRow("Validation", self.validation)
        more.addRow("Schedule", self.schedule)
        more.addRow("", self._pair(QLabel("Decay every", self), self.step_size,
                                   "epochs by ×", self.gamma))
        more.addRow("Precision", self.precision)
        more.addRow("Clip gradients", self.grad_clip)
        more.addRow("Seed", self.seed)

    # ----- building ---------------------------------------------------------------------------
    def _combo(self, items: list[tuple[str, Any]], key: str, tip: str) -> QComboBox:
        box = QComboBox(self)
        for label, value in items:
            box.addItem(label, value)
        box.setToolTip(tip)
        box.activated.connect(lambda _index, b=box, k=key: self._offer(k, b.currentData()))
        return box

    def _spin(self, key: str, low: int, high: int, tip: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(low, high)
        box.setToolTip(tip)
        box.setGroupSeparatorShown(True)
        box.setKeyboardTracking(False)  # one step per value, not per key
        box.valueChanged.connect(lambda value, k=key: self._offer(k, int(value)))
        return box

    def _number(self, key: str, tip: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setToolTip(tip)
        edit.setMaximumWidth(90)
        edit.editingFinished.connect(lambda e=edit, k=key: self._typed(k, e))
        return edit

    def _pair(self, first: QWidget, *rest: QWidget | str) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(first, 1)
        for item in rest:
            layout.addWidget(QLabel(item, row) if isinstance(item, str) else item)
        return row

    def _fill_devices(self) -> None:
        self.device.clear()
        for label, value in device_choices():
            self.device.addItem(auto_device_label() if value == "auto" else label, value)

    # ----- showing ------------------------------------------------------------------------------
    def show_settings(self, settings: TrainingSettings) -> None:
        """Shows ``settings`` without emitting anything."""
        self.settings = settings
        with self._quiet():
            _select(self.recipe, settings.recipe)
            _select(self.optimizer, settings.optimizer)
            self.lr.setText(_number(settings.lr))
            _select(self.schedule, settings.schedule)
            self.step_size.setValue(settings.step_size)
            self.gamma.setText(_number(settings.gamma))
            self.batch_size.setValue(settings.batch_size)
            self.epochs.setValue(settings.epochs)
            self.validation.setValue(settings.validation_split)
            if self.device.findData(settings.device) < 0:
                self.device.addItem(f"{settings.device} (not available here)", settings.device)
            _select(self.device, settings.device)
            _select(self.precision, settings.bf16)
            self.seed.setValue(settings.seed)
            self.grad_clip.setText(_number(settings.grad_clip))
        stepped = settings.schedule == "step"
        self.step_size.setEnabled(stepped)
        self.gamma.setEnabled(stepped)
        for edit in (self.lr, self.gamma, self.grad_clip):
            mark_invalid(edit, False)
        self.problem.hide()

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        widgets = [self.recipe, self.optimizer, self.lr, self.schedule, self.step_size,
                   self.gamma, self.batch_size, self.epochs, self.validation, self.device,
                   self.precision, self.seed, self.grad_clip]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            yield
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    # ----- editing ------------------------------------------------------------------------------
    def _typed(self, key: str, edit: QLineEdit) -> None:
        text = edit.text().strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            self._refuse(edit, f"{text!r} is not a number")
            return
        if self._offer(key, value, edit) and key == "lr":
            self.lr_edited.emit(value)

    def _offer(self, key: str, value: Any, field: QWidget | None = None) -> bool:
        """Emits ``changed`` for a value the settings accept; marks the field otherwise."""
        if getattr(self.settings, key, object()) == value:
            return False
        try:
            self.settings = self.settings.with_changes(**{key: value})
        except SettingsError as error:
            self._refuse(field, str(error))
            return False
        if field is not None:
            mark_invalid(field, False)
        self.problem.hide()
        self.changed.emit(key, value)
        return True

    def _refuse(self, field: QWidget | None, message: str) -> None:
        if field is not None:
            mark_invalid(field, True)
        self.problem.setText(message[:1].upper() + message[1:])
        self.problem.show()


def _form(page: QWidget) -> QFormLayout:
    form = QFormLayout(page)
    form.setContentsMargins(6, 4, 6, 4)
    form.setHorizontalSpacing(8)
    form.setVerticalSpacing(4)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    # The pages scroll vertically only: a row wider than the column (Batch size and Epochs
    # side by side, the decay row) puts its label above the field rather than run past the
    # right edge, where it would be cut off.
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    return form


def _select(box: QComboBox, value: Any) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


def _number(value: float) -> str:
    return f"{value:g}"
