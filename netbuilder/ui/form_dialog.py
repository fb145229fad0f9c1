"""What the file dialogs of the window share: a form, a Browse… row, checked acceptance.

A :class:`FormDialog` does not close on its default button while :meth:`FormDialog.problem`
names something wrong; it shows that sentence under the fields instead, so a mistake costs the
user a correction, not the whole dialog.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from netbuilder.ui import theme


def path_row(field: QLineEdit, browse: Callable[[], None], parent: QWidget) -> QWidget:
    """``field`` stretched, and a Browse… button that calls ``browse``, in one form row."""
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    button = QPushButton("Browse…", row)
    button.clicked.connect(browse)
    layout.addWidget(button)
    return row


class FormDialog(QDialog):
    """A dialog of labelled fields with Cancel and one named default button.

    Subclasses add rows to :attr:`form`, call :meth:`finish_form`, and override
    :meth:`problem`.
    """

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.message = QLabel(self)
        self.message.setObjectName("form_message")
        self.message.setWordWrap(True)
        self.setMinimumWidth(560)

    def finish_form(self, accept_text: str) -> QPushButton:
        """Adds the message line and the buttons; returns the default button."""
        self.form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        accept = buttons.addButton(accept_text, QDialogButtonBox.ButtonRole.AcceptRole)
        accept.setDefault(True)
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        self.form.addRow(buttons)
        return accept

    def problem(self) -> str:
        """What stops the dialog from closing with its default button ("" for nothing)."""
        return ""

    def show_problem(self, text: str) -> None:
        colour = theme.current().error.name()
        self.message.setText(f"<span style='color:{colour}'>{html.escape(text)}</span>"
                             if text else "")

    def _accept_if_valid(self) -> None:
        text = self.problem()
        self.show_problem(text)
        if not text:
            self.accept()
