"""The small dialog that edits a comment frame's title, note and colour."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from netbuilder.core.graph import Frame
from netbuilder.ui.theme import FRAME_COLORS


class FrameDialog(QDialog):
    """Title, note and colour of a comment frame; :meth:`values` gives what was entered."""

    def __init__(self, frame: Frame, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit frame")
        self.title = QLineEdit(frame.title, self)
        self.text = QPlainTextEdit(frame.text, self)
        self.text.setMinimumHeight(90)
        self.color = QComboBox(self)
        self.color.addItems(list(FRAME_COLORS))
        if frame.color in FRAME_COLORS:
            self.color.setCurrentText(frame.color)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("Note", self.text)
        form.addRow("Colour", self.color)
        form.addRow(buttons)
        self.resize(380, 240)
        self.title.setFocus()
        self.title.selectAll()  # typing replaces the old title at once

    def values(self) -> dict[str, str]:
        return {"title": self.title.text(), "text": self.text.toPlainText(),
                "color": self.color.currentText()}
