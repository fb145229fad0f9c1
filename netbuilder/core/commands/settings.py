"""Document settings (training, view, metadata) changed as undoable steps.

The training dock stores each choice (recipe, data set, optimizer, learning rate...) in the
document's ``training`` section with :class:`SetSetting`, so a change marks the document
modified, undoes like any edit and is saved in the .nbg file. Successive changes of the same
key merge into one step (typing 0.001 in a field is one step, not five).
"""

from __future__ import annotations

import copy
from typing import Any

from netbuilder.core.commands.base import Command
from netbuilder.core.errors import GraphError
from netbuilder.core.graph import Document

SECTIONS = ("training", "view", "metadata")
#: A marker for a key that was not there (undo removes it again).
_ABSENT = object()


class SetSetting(Command):
    """Sets ``doc.<section>[key]`` to ``value``; None removes the key.

    Args:
        section: "training", "view" or "metadata".
        key: the setting's name.
        value: a JSON value (checked by whoever offers the setting), or None.
        label: what the undo menu says, e.g. "learning rate"; the key by default.
    """

    def __init__(self, section: str, key: str, value: Any, label: str | None = None) -> None:
        if section not in SECTIONS:
            raise GraphError(f"a document has no '{section}' settings")
        self.section, self.key = section, key
        self.value = copy.deepcopy(value)
        self.text = f"Set {label or key.replace('_', ' ')}"
        self.merge_id = ("setting", section, key)
        self._old: Any = _ABSENT

    def redo(self, doc: Document) -> None:
        store = getattr(doc, self.section)
        self._old = copy.deepcopy(store.get(self.key, _ABSENT))
        doc.set_setting(self.section, self.key, self.value)

    def undo(self, doc: Document) -> None:
        doc.set_setting(self.section, self.key, None if self._old is _ABSENT else self._old)

    def merge_with(self, other: Command) -> bool:
        if not isinstance(other, SetSetting):
            return False
        self.value = other.value  # the older command keeps the oldest value to undo to
        return True
