"""File ▸ Export: the format, the network, trained weights and the file to write."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLineEdit,
    QWidget,
)

from netbuilder.core.graph import Document
from netbuilder.core.paths import same_file
from netbuilder.train.export import FORMATS, ExportRequest, default_output
from netbuilder.ui.form_dialog import FormDialog, path_row

#: The choices of the format list: (label, format, with_training).
CHOICES: tuple[tuple[str, str, bool], ...] = (
    ("PyTorch code (.py): the model as a readable nn.Module", "python", False),
    ("PyTorch training script (.py): runs alone or under torchrun", "python", True),
    ("ONNX (.onnx): for ONNX Runtime and other engines", "onnx", False),
    ("TorchScript (.pt): for C++ and mobile PyTorch", "torchscript", False),
)
WEIGHTS_FILTER = "Weights (*.pt *.pth);;All files (*)"


class ExportDialog(FormDialog):
    """Asks what to export; :meth:`request` gives the answer once accepted.

    Args:
        doc: the document to export (its networks fill the network list).
        source: the document's file, for the suggested output name (None when unsaved).
        folder: where the output goes by default.
        weights: the document's trained weights (its last run's), offered at first.
    """

    def __init__(self, doc: Document, source: Path | None, folder: Path,
                 parent: QWidget | None = None, weights: Path | None = None) -> None:
        super().__init__("Export", parent)
        self._doc, self._source, self._folder = doc, source, folder
        self.format = QComboBox(self)
        for label, _to, _training in CHOICES:
            self.format.addItem(label)
        self.network = QComboBox(self)
        self.network.addItems(list(doc.networks))
        self.weights = QLineEdit(self)
        self.weights.setPlaceholderText("none: freshly initialised weights")
        self.weights.setClearButtonEnabled(True)
        if weights is not None:
            self.weights.setText(str(weights))
        self.output = QLineEdit(self)
        self._output_edited = False
        self.output.textEdited.connect(self._note_output_edited)

        form = self.form
        form.addRow("&Format", self.format)
        form.addRow("&Network", self.network)
        if self.network.count() < 2:
            self.network.hide()
            form.labelForField(self.network).hide()
        form.addRow("&Weights", path_row(self.weights, self._browse_weights, self))
        form.addRow("&Save to", path_row(self.output, self._browse_output, self))
        self.export_button = self.finish_form("Export")

        self.format.currentIndexChanged.connect(self._choice_changed)
        self.network.currentIndexChanged.connect(self._choice_changed)
        self._choice_changed()

    # ----- state ------------------------------------------------------------------------------
    @property
    def chosen(self) -> tuple[str, bool]:
        """The format and whether it is the training script."""
        _label, to, training = CHOICES[self.format.currentIndex()]
        return to, training

    def _network_name(self) -> str | None:
        # One network: leave it unnamed, so file names stay "mnist_cnn.onnx".
        if self.network.count() < 2:
            return None
        return self.network.currentText() or None

    def _note_output_edited(self) -> None:
        self._output_edited = True

    def _choice_changed(self) -> None:
        to, training = self.chosen
        self.weights.setEnabled(not training)
        if not self._output_edited:
            # Follow the format until the user types a name of their own.
            title = str(self._doc.metadata.get("title", ""))
            name = default_output(self._source, title, to, self._network_name(), training)
            self.output.setText(str(self._folder / name))
        self.message.setText("")

    def _browse_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Trained weights", str(self._folder),
                                              WEIGHTS_FILTER)
        if path:
            self.weights.setText(path)

    def _browse_output(self) -> None:
        to, _training = self.chosen
        suffix = FORMATS[to][0]
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(),
                                              f"{FORMATS[to][1]} (*{suffix});;All files (*)")
        if path:
            self.output.setText(path)
            self._output_edited = True

    # ----- result -----------------------------------------------------------------------------
    def request(self) -> ExportRequest:
        to, training = self.chosen
        out = Path(self.output.text().strip()).expanduser()
        if out.name and not out.suffix:
            out = out.with_suffix(FORMATS[to][0])
        weights = self.weights.text().strip()
        return ExportRequest(to=to, out=out, network=self._network_name(),
                             weights=Path(weights).expanduser() if weights and not training
                             else None, with_training=training)

    def problem(self) -> str:
        if not self.output.text().strip():
            return "Choose a file to save to."
        request = self.request()
        if not request.out.parent.is_dir():
            return f"The folder {request.out.parent} does not exist."
        if request.weights is not None and not request.weights.is_file():
            return f"The weights file {request.weights} does not exist."
        if request.weights is not None and same_file(request.out, request.weights):
            return "The export would replace the weights file it reads: choose another name."
        return ""
