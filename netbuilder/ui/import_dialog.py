"""File ▸ Import PyTorch Module: which class, its input shapes, and where the graph goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from netbuilder.core import fileformat
from netbuilder.core.tensor import TensorSpec, parse_tensor_spec
from netbuilder.ui.form_dialog import FormDialog, path_row


@dataclass(frozen=True)
class ImportRequest:
    """What File ▸ Import was asked to do.

    Attributes:
        target: ``"package.module:Class"``; the class is built with no arguments.
        folder: where ``package`` is looked for first.
        inputs: one spec per argument of ``forward``, without the batch dimension.
        name: the network's name in the new graph.
        out: the .nbg file to write; the weights go beside it with the suffix ``.pt``.
    """

    target: str
    folder: Path
    inputs: tuple[TensorSpec, ...]
    name: str
    out: Path

    @property
    def weights(self) -> Path:
        return self.out.with_suffix(".pt")


def parse_inputs(text: str) -> tuple[TensorSpec, ...]:
    """``"1,28,28; 16:int64"`` -> two specs (one per forward argument, split on ``;``).

    Raises:
        ValueError: a part is not a shape, or there is none.
    """
    parts = [part for part in text.split(";") if part.strip()]
    if not parts:
        raise ValueError("give the shape of each input of forward(), without the batch "
                         "dimension: 1,28,28")
    return tuple(parse_tensor_spec(part) for part in parts)


class ImportDialog(FormDialog):
    """Asks for an ``nn.Module`` class to trace; :meth:`request` gives the answer."""

    def __init__(self, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__("Import PyTorch module", parent)
        self.target = QLineEdit(self)
        self.target.setPlaceholderText("mymodels:ResNet")
        self.folder = QLineEdit(str(folder), self)
        self.inputs = QLineEdit(self)
        self.inputs.setPlaceholderText("1,28,28   (several inputs: 1,28,28; 16:int64)")
        self.name = QLineEdit("model", self)
        self.output = QLineEdit(self)
        self.output.setPlaceholderText(str(folder / f"imported{fileformat.SUFFIX}"))
        note = QLabel("The class is created with no arguments and traced with torch.fx. "
                      "Importing runs the module's Python code: import only code you trust.",
                      self)
        note.setWordWrap(True)

        form = self.form
        form.addRow(note)
        form.addRow("&Module:Class", self.target)
        form.addRow("&Look in", path_row(self.folder, self._browse_folder, self))
        form.addRow("&Inputs", self.inputs)
        form.addRow("Network &name", self.name)
        form.addRow("&Save graph to", path_row(self.output, self._browse_output, self))
        self.import_button = self.finish_form("Import")
        self.target.textChanged.connect(self._suggest_output)
        self.folder.textChanged.connect(lambda _: self._suggest_output(self.target.text()))

    def _suggest_output(self, target: str) -> None:
        class_name = target.rpartition(":")[2].strip()
        if class_name.isidentifier():
            folder = Path(self.folder.text().strip() or ".")
            self.output.setPlaceholderText(str(folder / f"{class_name}{fileformat.SUFFIX}"))

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Look for the module in",
                                                self.folder.text())
        if path:
            self.folder.setText(path)

    def _browse_output(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the graph to", self.output.text() or self.output.placeholderText(),
            f"netbuilder graphs (*{fileformat.SUFFIX})")
        if path:
            self.output.setText(path)

    def request(self) -> ImportRequest:
        """The answer.

        Raises:
            ValueError: a field is wrong (the message says which and how).
        """
        target = self.target.text().strip()
        module, _, class_name = target.partition(":")
        if not module or not class_name.isidentifier():
            raise ValueError("Write the class as module:Class, e.g. mymodels:ResNet.")
        folder = Path(self.folder.text().strip() or ".").expanduser()
        if not folder.is_dir():
            raise ValueError(f"The folder {folder} does not exist.")
        inputs = parse_inputs(self.inputs.text())
        name = self.name.text().strip() or "model"
        out = Path(self.output.text().strip() or self.output.placeholderText()).expanduser()
        if out.suffix != fileformat.SUFFIX:
            out = out.with_name(out.name + fileformat.SUFFIX)
        if not out.parent.is_dir():
            raise ValueError(f"The folder {out.parent} does not exist.")
        return ImportRequest(target, folder, inputs, name, out)

    def problem(self) -> str:
        try:
            self.request()
        except ValueError as error:
            return str(error)
        return ""
