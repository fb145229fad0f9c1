"""File ▸ Export and File ▸ Import PyTorch Module: dialogs in, background work, results out.

Both run off the GUI thread (tracing or exporting a big model takes seconds) on a snapshot of
the document, so the canvas stays editable and an edit made meanwhile cannot tear the export.
A busy bar in the status bar shows the work; a second request waits for the first to end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol, TypeVar, cast, runtime_checkable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressBar, QWidget

from netbuilder.core.fileformat import snapshot
from netbuilder.core.graph import Document
from netbuilder.train.export import (
    FORMATS,
    ExportRequest,
    existing_extra_outputs,
    export_document,
)
from netbuilder.ui.background import BackgroundTask
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.export_dialog import ExportDialog
from netbuilder.ui.files import default_folder
from netbuilder.ui.import_dialog import ImportDialog, ImportRequest
from netbuilder.ui.shell import Shell

#: What a background task's work returns, handed to its success callback.
_Result = TypeVar("_Result")


def run_import(request: ImportRequest) -> tuple[Path, Path, list[str]]:
    """Traces the requested module and writes the graph and its weights (Qt-free work).

    Returns:
        The graph file, the weights file and the import's warnings.
    """
    from netbuilder.compile.fx_import import import_target, write_import

    result = import_target(request.target, list(request.inputs), name=request.name,
                           search_path=request.folder)
    graph, weights = write_import(result, request.out, request.weights)
    return graph, weights, list(result.warnings)


@runtime_checkable
class ExchangeHost(Shell, Protocol):
    """What the export and import commands need from the window."""

    def open_file(self, path: Path, as_copy: bool = False) -> DocumentWidget | None:
        """Opens a graph file in a new tab (the imported graph, once it is written)."""


class ExchangeCommands(QObject):
    """The export and import commands of a window.

    Args:
        host: the window whose current document is exported, and where an import opens.
        dialog_parent: the parent of the dialogs, questions and of :attr:`busy`.

    Attributes:
        busy: a bar that moves while an export or import runs; the window places it (in its
            status bar).
    """

    def __init__(self, host: ExchangeHost, dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.host = host
        self.dialog_parent = dialog_parent
        self.task: BackgroundTask | None = None
        self._on_success: Callable[[object], None] = lambda _value: None
        self._headline = ""
        self.busy = QProgressBar(dialog_parent)
        self.busy.setObjectName("busy_bar")
        self.busy.setRange(0, 0)  # no known length: Qt animates it
        self.busy.setMaximumWidth(120)
        self.busy.setTextVisible(False)
        self.busy.hide()

    @property
    def running(self) -> bool:
        return self.task is not None and self.task.running

    def _folder(self) -> Path:
        editor = self.host.current_editor
        if editor is not None and editor.path is not None:
            return editor.path.parent
        return default_folder()

    # ----- export -----------------------------------------------------------------------------
    def export_dialog(self) -> None:
        editor = self.host.current_editor
        if editor is None or self._refuse_while_running():
            return
        dialog = ExportDialog(editor.doc, editor.path, self._folder(), self.dialog_parent,
                              weights=editor.weights)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        request = self.confirm_overwrite(dialog.request())
        if request is not None:
            self.export(editor.doc, request)

    def confirm_overwrite(self, request: ExportRequest) -> ExportRequest | None:
        """Asks before the export replaces a file beside its output that the user did not
        name (the weights of Python code); the request to run, or None when declined."""
        existing = existing_extra_outputs(request)
        if not existing:
            return request
        buttons = QMessageBox.StandardButton
        names = ", ".join(path.name for path in existing)
        answer = QMessageBox.question(
            self.dialog_parent, "Replace existing file?",
            f"{names} already exists in {existing[0].parent}.\n\nExporting "
            f"{request.out.name} with trained weights writes them there, replacing it. "
            "Replace it?", buttons.Yes | buttons.No, buttons.No)
        if answer != buttons.Yes:
            self.host.show_status(f"Export cancelled: {names} was kept")
            return None
        return replace(request, force=True)

    def export(self, doc: Document, request: ExportRequest) -> BackgroundTask:
        """Starts writing ``request``'s export of a snapshot of ``doc``."""
        copy = snapshot(doc)
        what = "training script" if request.with_training else FORMATS[request.to][1]
        self._start(lambda: export_document(copy, request),
                    f"Exporting {request.out.name} ({what})…",
                    lambda written: self._exported(written, what),
                    f"Cannot export {request.out.name}")
        assert self.task is not None
        return self.task

    def _exported(self, written: list[Path], what: str) -> None:
        names = " and ".join(path.name for path in written)
        self.host.show_status(f"Exported {names} ({what}) to {written[0].parent}")

    # ----- import -----------------------------------------------------------------------------
    def import_dialog(self) -> None:
        if self._refuse_while_running():
            return
        dialog = ImportDialog(self._folder(), self.dialog_parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        request = dialog.request()
        if self.confirm_weights_overwrite(request):
            self.import_module(request)

    def confirm_weights_overwrite(self, request: ImportRequest) -> bool:
        """Asks before the import replaces the file beside the new graph that takes its
        weights (it may be a TorchScript export); whether to go on."""
        weights = request.weights
        if not (weights.exists() or weights.is_symlink()):
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.dialog_parent, "Replace existing file?",
            f"{weights.name} already exists in {weights.parent}.\n\nImporting "
            f"{request.out.name} writes the module's weights there, replacing it. Replace it?",
            buttons.Yes | buttons.No, buttons.No)
        if answer != buttons.Yes:
            self.host.show_status(f"Import cancelled: {weights.name} was kept")
            return False
        return True

    def import_module(self, request: ImportRequest) -> BackgroundTask:
        """Starts tracing the requested module; the new graph opens when it is written."""
        self._start(lambda: run_import(request), f"Importing {request.target}…",
                    self._imported, f"Cannot import {request.target}")
        assert self.task is not None
        return self.task

    def _imported(self, value: tuple[Path, Path, list[str]]) -> None:
        path, weights, warnings = value
        editor = self.host.open_file(path)
        if editor is None:
            return
        if warnings:
            QMessageBox.warning(self.dialog_parent, "Imported with approximations",
                                "Some parts have no block of their own:\n\n• "
                                + "\n• ".join(warnings))
        self.host.show_status(f"Imported {path.name}; its weights are in {weights.name}")

    # ----- running ----------------------------------------------------------------------------
    def _refuse_while_running(self) -> bool:
        if self.running:
            self.host.show_status("Wait for the export or import under way to end",
                                    error=True)
        return self.running

    def _start(self, work: Callable[[], _Result], message: str,
               on_success: Callable[[_Result], None], headline: str) -> None:
        # The task has no Qt parent: closing the window mid-export must not delete the object
        # a worker thread is about to emit from. Its signals reach this object's own methods,
        # which Qt disconnects when the window goes.
        task = BackgroundTask(work)
        task.succeeded.connect(self._succeeded)
        task.failed.connect(self._failed)
        # The task's signal carries what ``work`` returned, typed as a bare object.
        self._on_success = lambda value: on_success(cast(_Result, value))
        self.task, self._headline = task, headline
        self.busy.show()
        self.host.show_status(message)
        task.start()

    def _succeeded(self, value: object) -> None:
        self.busy.hide()
        self._on_success(value)

    def _failed(self, error: str) -> None:
        self.busy.hide()
        self.host.show_status(self._headline, error=True)
        self.host.show_error(self._headline, error)
