"""File ▸ Export asks before it replaces a file beside the output that the user did not name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from PySide6.QtWidgets import QDialog

import netbuilder
from netbuilder.compile import weights_dict
from netbuilder.ui.export_dialog import CHOICES, ExportDialog
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import Button, FakeDialogs, example_copy, key

EXAMPLE = "regression_mlp"


def _fill_python_export(monkeypatch: pytest.MonkeyPatch, weights: Path, out: Path) -> None:
    """The export dialog, answered: Python code with trained weights, saved to ``out``."""
    def exec_(dialog: ExportDialog) -> int:
        dialog.format.setCurrentIndex(next(i for i, c in enumerate(CHOICES)
                                           if c[1:] == ("python", False)))
        dialog.weights.setText(str(weights))
        dialog.output.setText(str(out))
        dialog.export_button.click()
        return dialog.result()

    monkeypatch.setattr(ExportDialog, "exec", exec_)


@pytest.fixture
def trained(tmp_path: Path) -> Path:
    model = netbuilder.build(netbuilder.load(example_copy(tmp_path, EXAMPLE)))
    path = tmp_path / "trained.pt"
    torch.save(weights_dict({"model": model}), path)
    return path


def test_export_asks_before_replacing_the_weights_file_beside_the_code(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, trained: Path) -> None:
    window.open_file(tmp_path / f"{EXAMPLE}.nbg")
    out, mine = tmp_path / "m.py", tmp_path / "m.pt"
    mine.write_bytes(b"a TorchScript file the user just exported")
    _fill_python_export(monkeypatch, trained, out)

    dialogs.answers = [Button.No]
    key(qtbot, window, "Ctrl+E")
    assert "m.pt already exists" in dialogs.questions[0]
    assert not window.exchange.running and not out.exists()
    assert mine.read_bytes() == b"a TorchScript file the user just exported"
    assert "Export cancelled" in window.statusBar().currentMessage()

    dialogs.answers = [Button.Yes]
    key(qtbot, window, "Ctrl+E")
    qtbot.waitUntil(lambda: not window.exchange.running, timeout=60_000)
    assert dialogs.errors == []
    assert out.is_file() and set(torch.load(mine, weights_only=True))


def test_no_question_when_nothing_would_be_replaced(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, trained: Path) -> None:
    window.open_file(tmp_path / f"{EXAMPLE}.nbg")
    _fill_python_export(monkeypatch, trained, tmp_path / "m.py")
    key(qtbot, window, "Ctrl+E")  # an unexpected question would fail the test
    qtbot.waitUntil(lambda: not window.exchange.running, timeout=60_000)
    assert dialogs.questions == [] and (tmp_path / "m.pt").is_file()


def test_the_dialog_refuses_to_replace_the_weights_it_reads(
        qtbot: Any, window: MainWindow, tmp_path: Path, trained: Path) -> None:
    # TorchScript beside a graph with its weights beside it: the suggested name is theirs.
    beside = tmp_path / f"{EXAMPLE}.pt"
    beside.write_bytes(trained.read_bytes())
    editor = window.open_file(tmp_path / f"{EXAMPLE}.nbg")
    dialog = ExportDialog(editor.doc, editor.path, tmp_path, window, weights=editor.weights)
    qtbot.addWidget(dialog)
    dialog.format.setCurrentIndex(next(i for i, c in enumerate(CHOICES)
                                       if c[1] == "torchscript"))
    assert Path(dialog.output.text()) == beside
    dialog.export_button.click()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "replace the weights file it reads" in dialog.message.text()
    assert beside.read_bytes() == trained.read_bytes()
