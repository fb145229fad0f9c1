"""What the window's command modules may ask of the window: the shared part of their seams.

The file, editing and exchange commands (:mod:`.files`, :mod:`.editing`, :mod:`.exchange`)
each state the window they need as a narrow protocol built on :class:`Shell`, and never import
the main window: it imports them, and hands itself over as the host (as orange-canvas-core's
scheme editor never imports its main window). A test can drive a command module with any
object that has these few methods; the protocols are runtime-checkable so that a test also
checks the window offers every one of them.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from netbuilder.ui.document import DocumentWidget


@runtime_checkable
class Shell(Protocol):
    """The open document and the two ways of telling the user something."""

    @property
    def current_editor(self) -> DocumentWidget | None:
        """The document in the current tab, or None with no document open."""

    def show_status(self, message: str, error: bool = False) -> None:
        """A short message in the status bar (in the error colour with ``error``)."""

    def show_error(self, headline: str, detail: str) -> None:
        """A modal error message."""
