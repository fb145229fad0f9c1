"""The window's file commands: new, open, examples, save, save as, close, recover and drops.

Every command leaves the open documents as they were when it fails: a file that does not load
shows an error and opens nothing, a save that fails keeps the document modified (its undo
stack stays unclean, so closing still asks), and closing asks before unsaved work goes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QMimeData, QStandardPaths
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

import netbuilder
from netbuilder import resources
from netbuilder.core import fileformat
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.core.paths import resolved, same_file
from netbuilder.ui import recent, recovery
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.gallery import GalleryDialog
from netbuilder.ui.shell import Shell

FILE_FILTER = "netbuilder graphs (*.nbg);;All files (*)"
EXAMPLE_MARK = " (example)"
RECOVERED_MARK = " (recovered)"
_UNTITLED = "untitled_name"


class Titled(Protocol):
    """What naming a document needs of its widget."""

    path: Path | None

    def property(self, name: str) -> object:
        """A Qt property of the widget (an untitled document's name is kept in one)."""


def display_name(editor: Titled) -> str:
    """The document's name as its tab and the title bar show it (without the dirty mark)."""
    if editor.path is not None:
        return editor.path.name
    return str(editor.property(_UNTITLED) or "Untitled")


def is_bundled_example(path: Path) -> bool:
    """True for a file inside the bundled examples folder (opened as copies, never saved)."""
    return resolved(path).parent == resolved(resources.examples_dir())


def nbg_paths(mime: QMimeData) -> list[Path]:
    """The local .nbg files a drag carries."""
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if path.suffix == fileformat.SUFFIX]


def default_folder() -> Path:
    """Where file dialogs start: the newest recent file's folder, else Documents."""
    recent_paths = recent.recent_files()
    if recent_paths:
        return recent_paths[0].parent
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


@runtime_checkable
class FileHost(Shell, Protocol):
    """What the file commands need from the window that holds the documents' tabs."""

    def editors(self) -> list[DocumentWidget]:
        """Every open document, in tab order."""

    def add_document(self, doc: Document, path: Path | None = None,
                     title: str | None = None) -> DocumentWidget:
        """Shows ``doc`` in a new tab, unmodified; ``title`` names a document with no file."""

    def remove_document(self, editor: DocumentWidget) -> None:
        """Closes a document's tab without asking."""

    def focus_editor(self, editor: DocumentWidget) -> None:
        """Shows the document's tab and gives its canvas the keyboard."""

    def update_state(self) -> None:
        """Refreshes titles, enabled actions and the status bar after a save or a recovery."""


class FileCommands:
    """File ▸ New, Open, Example Gallery, Save, Save As, Close, and crash recovery.

    Args:
        host: the window whose tabs the documents open in.
        autosaver: told when a document is saved, and writes recovered documents anew.
        dialog_parent: the parent of the file dialogs and questions.
    """

    def __init__(self, host: FileHost, autosaver: recovery.Autosaver,
                 dialog_parent: QWidget) -> None:
        self.host = host
        self.autosaver = autosaver
        self.dialog_parent = dialog_parent

    # ----- creating and opening -----------------------------------------------------------------
    def new_document(self) -> DocumentWidget:
        doc = netbuilder.new_document()
        doc.add_graph("model")
        return self.host.add_document(doc)

    def open_dialog(self) -> None:
        recent_paths = recent.recent_files()
        start = recent_paths[0].parent if recent_paths else resources.examples_dir()
        path, _ = QFileDialog.getOpenFileName(self.dialog_parent, "Open graph", str(start),
                                              FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path, as_copy: bool = False) -> DocumentWidget | None:
        """Opens ``path`` in a new tab, or shows its tab if it is open already.

        A bundled example always opens as a copy ("mnist_cnn (example)"), so that saving asks
        for a place instead of overwriting the example. A file that fails to load shows an
        error and changes nothing.
        """
        path = Path(path)
        as_copy = as_copy or is_bundled_example(path)
        if not as_copy:
            for editor in self.host.editors():
                if editor.path is not None and same_file(editor.path, path):
                    self.host.focus_editor(editor)
                    return editor
        try:
            doc = netbuilder.load(path)
        except netbuilder.GraphFileError as error:
            if not as_copy:
                recent.remove_recent(path)
            self.host.show_error(f"Cannot open {path.name}", str(error))
            return None
        if as_copy:
            doc.path = None
            return self.host.add_document(doc, None, title=f"{path.stem}{EXAMPLE_MARK}")
        recent.add_recent(path)
        return self.host.add_document(doc, path)

    def open_gallery(self) -> None:
        dialog = GalleryDialog(self.dialog_parent)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen is not None:
            self.open_file(dialog.chosen, as_copy=True)

    def open_dropped(self, mime: QMimeData) -> int:
        """Opens the .nbg files of a drop; returns how many opened."""
        return sum(self.open_file(path) is not None for path in nbg_paths(mime))

    # ----- saving -------------------------------------------------------------------------------
    def save(self, editor: DocumentWidget | None = None) -> bool:
        """Saves to the document's file, or asks for one. True if the document was saved."""
        editor = editor or self.host.current_editor
        if editor is None:
            return False
        if editor.path is None or is_bundled_example(editor.path):
            return self.save_as(editor)
        return self.save_to(editor, editor.path)

    def save_as(self, editor: DocumentWidget | None = None) -> bool:
        editor = editor or self.host.current_editor
        if editor is None:
            return False
        self.host.focus_editor(editor)
        name = display_name(editor).replace(EXAMPLE_MARK, "").replace(RECOVERED_MARK, "")
        suggestion = editor.path if editor.path and not is_bundled_example(editor.path) \
            else default_folder() / f"{Path(name).stem or 'untitled'}{fileformat.SUFFIX}"
        chosen, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save graph as",
                                                str(suggestion), FILE_FILTER)
        if not chosen:
            return False
        path = Path(chosen if chosen.endswith(fileformat.SUFFIX)
                    else chosen + fileformat.SUFFIX)
        if is_bundled_example(path):
            self.host.show_error("The bundled examples are read-only",
                                   "Choose another folder to save your copy in.")
            return False
        return self.save_to(editor, path)

    def save_to(self, editor: DocumentWidget, path: Path) -> bool:
        """Writes the document; on failure shows why and leaves it modified."""
        try:
            editor.save(path)
        except (NetbuilderError, OSError) as error:
            self.host.show_error(f"Cannot save {path.name}", str(error))
            return False
        recent.add_recent(path)
        self.autosaver.saved(editor)
        self.host.show_status(f"Saved {path}")
        self.host.update_state()
        return True

    # ----- closing ------------------------------------------------------------------------------
    def confirm_close(self, editor: DocumentWidget) -> bool:
        """Asks to save a modified document. True if it may close (saved or discarded)."""
        if not editor.modified:
            return True
        self.host.focus_editor(editor)
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.dialog_parent, "Unsaved changes",
            f"Save the changes to {display_name(editor)} before closing?\n\n"
            "Your changes are lost if you don't save them.",
            buttons.Save | buttons.Discard | buttons.Cancel, buttons.Save)
        if answer == buttons.Save:
            return self.save(editor)
        return answer == buttons.Discard

    def close_editor(self, editor: DocumentWidget) -> bool:
        """Closes one document after asking about unsaved changes. True if it closed."""
        if not self.confirm_close(editor):
            return False
        self.host.remove_document(editor)
        return True

    def confirm_close_all(self) -> bool:
        """Asks about every modified document; False as soon as one answer is Cancel."""
        return all(self.confirm_close(editor) for editor in self.host.editors())

    # ----- recovery -----------------------------------------------------------------------------
    def recover(self) -> int:
        """After a crash, offers to reopen what was not saved. Returns how many reopened.

        Whatever the recovery folder holds, this returns: what cannot be used is skipped
        (the status bar says so) and left where it is.
        """
        found, problems = recovery.scan()
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            self.host.show_status(f"Recovery: {problems[0]}{more}", error=True)
        if not found:
            return 0
        names = "\n".join(f"• {item.title}" for item in found)
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.dialog_parent, "Recover unsaved work",
            f"netbuilder did not close cleanly last time. Recover these documents?\n\n{names}"
            "\n\nNo discards them.", buttons.Yes | buttons.No, buttons.Yes)
        if answer != buttons.Yes:
            kept = [item.path for item in found if not recovery.discard_file(item.path)]
            if kept:
                self.host.show_status(f"Could not discard {kept[0]}", error=True)
            return 0
        return sum(self._recover_one(item) for item in found)

    def _recover_one(self, item: recovery.Recoverable) -> bool:
        try:
            doc = netbuilder.load(item.path)
        except netbuilder.GraphFileError as error:
            kept = recovery.set_aside(item.path) or item.path
            self.host.show_error(f"Cannot recover {item.title}", f"{error}\n\nThe file was "
                                   f"kept as {kept}.")
            return False
        original = Path(item.original) if item.original else None
        if original is not None and is_bundled_example(original):
            original = None
        title = item.title if item.title.endswith(RECOVERED_MARK) else \
            f"{item.title}{RECOVERED_MARK}"
        doc.path = original
        editor = self.host.add_document(doc, original, title=title)
        # Recovered work is unsaved work: the tab and title show it modified, closing asks.
        editor.undo_stack.resetClean()
        # Into this session's recovery folder before the old file goes: a second crash now
        # must not lose the work either. If that write fails, the old file stays.
        if self.autosaver.save_editor(editor):
            recovery.discard_file(item.path)
        else:
            self.host.show_status(f"Could not write a new recovery file for {item.title}; "
                                    f"the old one is kept at {item.path}", error=True)
        self.host.update_state()
        return True
