"""File ▸ Export and File ▸ Import PyTorch Module: dialogs, background work, results, errors.

The dialogs' ``exec`` is replaced by a function that fills the fields as a user would and
presses the default button; the work itself runs for real on the thread pool.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtWidgets import QDialog, QMessageBox

import netbuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.ui import exchange
from netbuilder.ui.export_dialog import CHOICES, ExportDialog
from netbuilder.ui.import_dialog import ImportDialog, parse_inputs
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import (
    FakeDialogs,
    example_copy,
    key,
)


def _answer(monkeypatch: pytest.MonkeyPatch, dialog_class: type[QDialog],
            fill: Callable[[Any], None]) -> list[Any]:
    """Replaces ``dialog_class.exec``: fills the fields, presses the default button."""
    shown: list[Any] = []

    def exec_(dialog: Any) -> int:
        shown.append(dialog)
        fill(dialog)
        button = getattr(dialog, "export_button", None) or dialog.import_button
        button.click()
        return dialog.result()

    monkeypatch.setattr(dialog_class, "exec", exec_)
    return shown


def _choose(dialog: ExportDialog, to: str, training: bool = False) -> None:
    index = next(i for i, (_, t, w) in enumerate(CHOICES) if (t, w) == (to, training))
    dialog.format.setCurrentIndex(index)


def _wait_idle(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.exchange.running, timeout=60_000)


# ----- export -----------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated")
def test_ctrl_e_exports_the_document_in_the_background(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    window.open_file(example_copy(tmp_path))
    shown = _answer(monkeypatch, ExportDialog, lambda d: _choose(d, "torchscript"))
    key(qtbot, window, "Ctrl+E")
    assert window.exchange.busy.isVisible()
    _wait_idle(qtbot, window)
    out = tmp_path / "mnist_cnn.pt"
    assert shown[0].output.text() == str(out)  # suggested beside the document
    assert not window.exchange.busy.isVisible()
    assert "Exported mnist_cnn.pt (TorchScript)" in window.statusBar().currentMessage()
    loaded = torch.jit.load(str(out))
    image = torch.randn(2, 1, 28, 28)
    expected = netbuilder.build(window.current_editor.doc)
    expected.load_state_dict(loaded.state_dict())
    torch.testing.assert_close(loaded(image), expected.eval()(image), atol=1e-5, rtol=1e-5)


def test_the_dialog_follows_the_format_and_lists_a_gans_networks(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    window.open_file(example_copy(tmp_path, "gan_mnist"))
    editor = window.current_editor
    dialog = ExportDialog(editor.doc, editor.path, tmp_path, window)
    qtbot.addWidget(dialog)
    assert [dialog.network.itemText(i) for i in range(dialog.network.count())] == [
        "generator", "discriminator"]
    assert dialog.output.text() == str(tmp_path / "gan_mnist_generator.py")
    _choose(dialog, "onnx")
    dialog.network.setCurrentText("discriminator")
    assert dialog.output.text() == str(tmp_path / "gan_mnist_discriminator.onnx")
    _choose(dialog, "python", training=True)
    assert not dialog.weights.isEnabled()
    dialog.output.setText(str(tmp_path / "mine"))
    dialog.output.textEdited.emit("mine")  # typed by the user: later choices keep it
    _choose(dialog, "torchscript")
    request = dialog.request()
    assert (request.to, request.network, request.out) == (
        "torchscript", "discriminator", tmp_path / "mine.pt")


def test_the_dialog_refuses_a_missing_folder_or_weights_file(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    window.open_file(example_copy(tmp_path))
    editor = window.current_editor
    dialog = ExportDialog(editor.doc, editor.path, tmp_path, window)
    qtbot.addWidget(dialog)
    dialog.output.setText(str(tmp_path / "nowhere" / "m.onnx"))
    dialog.export_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "does not exist" in dialog.message.text()
    dialog.output.setText(str(tmp_path / "m.onnx"))
    dialog.weights.setText(str(tmp_path / "missing.pt"))
    dialog.export_button.click()
    assert "missing.pt does not exist" in dialog.message.text()
    dialog.weights.clear()
    dialog.export_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_failed_export_says_why_and_keeps_the_document(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    window.open_file(example_copy(tmp_path))

    def refuse(doc: netbuilder.Document, request: object) -> list[Path]:
        raise NetbuilderError("block 'conv1' cannot be exported: no reason")

    monkeypatch.setattr(exchange, "export_document", refuse)
    _answer(monkeypatch, ExportDialog, lambda d: _choose(d, "onnx"))
    window.actions_by_name["export"].trigger()
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(dialogs.errors))
    assert "block &#x27;conv1&#x27; cannot be exported" in dialogs.errors[0]
    assert not window.exchange.busy.isVisible()
    assert not (tmp_path / "mnist_cnn.onnx").exists()
    assert not window.current_editor.modified


def test_the_export_works_on_a_snapshot(window: MainWindow, tmp_path: Path) -> None:
    window.open_file(example_copy(tmp_path))
    doc = window.current_editor.doc
    copy = exchange.snapshot(doc)
    node = next(iter(doc.network().nodes.values()))
    node.name = "renamed_meanwhile"
    assert "renamed_meanwhile" not in {n.name for n in copy.network().nodes.values()}
    assert copy.path == doc.path


# ----- import -----------------------------------------------------------------------------------
MODULE_SOURCE = textwrap.dedent("""
    import torch
    from torch import nn

    class TinyNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(4, 8)
            self.out = nn.Linear(8, 3)

        def forward(self, x):
            return self.out(torch.relu(self.hidden(x)))
""")


def _tiny_import(folder: Path, out: Path) -> Callable[[ImportDialog], None]:
    """Fills the import dialog: TinyNet from ``folder``, one input of 4, written to ``out``."""
    def fill(dialog: ImportDialog) -> None:
        dialog.target.setText("tiny_models:TinyNet")
        dialog.folder.setText(str(folder))
        dialog.inputs.setText("4")
        dialog.output.setText(str(out))

    return fill


def test_import_traces_a_module_writes_the_graph_and_opens_it(
        qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "tiny_models.py").write_text(MODULE_SOURCE)
    out = tmp_path / "tiny.nbg"

    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Ok)
    _answer(monkeypatch, ImportDialog, _tiny_import(tmp_path, out))
    key(qtbot, window, "Ctrl+I")
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.current_editor is not None)
    editor = window.current_editor
    assert editor.path == out and not editor.modified
    model = netbuilder.build(editor.doc, weights=out.with_suffix(".pt"))
    assert sum(p.numel() for p in model.parameters()) == 4 * 8 + 8 + 8 * 3 + 3


def test_import_asks_before_replacing_the_weights_file_beside_the_graph(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    """tiny.pt may be a TorchScript export: No keeps it and imports nothing."""
    (tmp_path / "tiny_models.py").write_text(MODULE_SOURCE)
    out, kept = tmp_path / "tiny.nbg", tmp_path / "tiny.pt"
    kept.write_bytes(b"a TorchScript file")

    monkeypatch.setattr(QMessageBox, "warning", lambda *args: QMessageBox.StandardButton.Ok)
    _answer(monkeypatch, ImportDialog, _tiny_import(tmp_path, out))
    dialogs.answers = [QMessageBox.StandardButton.No]
    key(qtbot, window, "Ctrl+I")
    assert "tiny.pt already exists" in dialogs.questions[0]
    assert not window.exchange.running and not out.exists()
    assert kept.read_bytes() == b"a TorchScript file"
    assert "Import cancelled" in window.statusBar().currentMessage()
    dialogs.answers = [QMessageBox.StandardButton.Yes]
    key(qtbot, window, "Ctrl+I")
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.current_editor is not None)
    assert kept.read_bytes() != b"a TorchScript file"


def test_a_failed_import_shows_the_reason(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    def fill(dialog: ImportDialog) -> None:
        dialog.target.setText("no_such_module_here:Net")
        dialog.folder.setText(str(tmp_path))
        dialog.inputs.setText("4")

    _answer(monkeypatch, ImportDialog, fill)
    window.actions_by_name["import_module"].trigger()
    _wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(dialogs.errors))
    assert "no module named &#x27;no_such_module_here&#x27;" in dialogs.errors[0]
    assert window.current_editor is None


def test_the_import_dialog_checks_its_fields(qtbot: Any, window: MainWindow,
                                             tmp_path: Path) -> None:
    dialog = ImportDialog(tmp_path, window)
    qtbot.addWidget(dialog)
    dialog.target.setText("models.Net")
    dialog.import_button.click()
    assert "module:Class" in dialog.message.text()
    dialog.target.setText("models:Net")
    assert dialog.output.placeholderText() == str(tmp_path / "Net.nbg")
    dialog.inputs.setText("1,28,28; tokens")
    dialog.import_button.click()
    assert "is not a shape" in dialog.message.text()
    dialog.inputs.setText("1,28,28; 16:int64")
    dialog.import_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    request = dialog.request()
    assert [str(spec) for spec in request.inputs] == ["1×28×28", "16 int64"]
    assert request.out == tmp_path / "Net.nbg" and request.weights == tmp_path / "Net.pt"


def test_inputs_split_on_semicolons() -> None:
    assert len(parse_inputs("3,32,32;10")) == 2
    with pytest.raises(ValueError, match="give the shape"):
        parse_inputs(" ; ")
