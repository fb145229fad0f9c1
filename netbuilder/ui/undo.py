"""Wraps the Qt-free edit commands of ``netbuilder.core.commands`` for a ``QUndoStack``.

A core command is run once, before it reaches the stack, so that a refused edit raises in
Python (where the editor can explain it) instead of inside ``QUndoStack.push``, where PySide
would print the exception and push a broken step. The wrapper then skips that first redo.
"""

from __future__ import annotations

from collections.abc import Hashable

from PySide6.QtGui import QUndoCommand

from netbuilder.core.commands import Command
from netbuilder.core.graph import Document


def _qt_merge_id(key: Hashable | None) -> int:
    """Qt's merge id (a non-negative int; -1: never merge) for a core command's merge key.

    Qt only asks commands with equal ids to merge, and the core command then compares the
    keys themselves, so two keys sharing a hash merely cost one refused merge. Hashing keeps
    no table of every key ever used.
    """
    if key is None:
        return -1
    return hash(key) & 0x3FFF_FFFF


class QtCommand(QUndoCommand):
    """A core command already applied to ``doc``, as a step of a ``QUndoStack``."""

    def __init__(self, doc: Document, command: Command) -> None:
        super().__init__(command.text)
        self.doc = doc
        self.command = command
        self._skip_first_redo = True

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.command.redo(self.doc)

    def undo(self) -> None:
        self.command.undo(self.doc)

    def id(self) -> int:
        return _qt_merge_id(self.command.merge_id)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, QtCommand) or not self.command.merge_with(other.command):
            return False
        self.setText(self.command.text)
        return True
