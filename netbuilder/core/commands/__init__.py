"""Undoable edits of a document: one :class:`Command` per user action, and a headless stack.

The design follows orange-canvas-core: the model's low-level mutators (``Document.add_node``
and the rest) know nothing of undo; a command calls them and knows how to revert. The Qt UI
wraps each command in a ``QUndoCommand`` whose ``redo``/``undo``/``mergeWith`` call the
methods here, so commands are plain Python; :class:`UndoStack` is the headless stand-in that
the tests and the command line use.

Three rules keep undo exact:

* Commands name graphs by name and nodes and edges by id, never by object, because undoing
  and redoing may rebuild objects.
* Most commands record every low-level change in a journal and undo by replaying the inverse
  changes newest first, so a removed node goes back at its old index in the ordered dicts.
* Ids are drawn on the first redo and reused on every later redo, so views and later commands
  that refer to them stay valid.

A command refuses a bad edit with :class:`GraphError` or :class:`ParamError` and leaves the
document as it was.

The package is split by job; import from here, not from the modules:

* :mod:`.base`: the :class:`Command` protocol, :class:`MacroCommand`, :class:`UndoStack` and
  the journal that most commands undo with.
* :mod:`.nodes`: blocks and wires (add, delete, connect, set parameters, move, rename).
* :mod:`.clipboard`: copied fragments, their JSON text and :class:`Paste`.
* :mod:`.groups`: :class:`Group` and :class:`Ungroup`.
* :mod:`.networks`: add, delete and rename networks and group definitions.
* :mod:`.annotations`: bypass flags and comment frames.
* :mod:`.settings`: :class:`SetSetting`, a training, view or metadata setting.
* :mod:`.checks`: :func:`check_connection` and the helpers the other modules share.
"""

from netbuilder.core.commands.annotations import (
    AddFrame,
    EditFrame,
    RemoveFrames,
    SetBypass,
    can_bypass,
)
from netbuilder.core.commands.base import Command, MacroCommand, UndoStack
from netbuilder.core.commands.checks import PORT_TYPES, Point, check_connection
from netbuilder.core.commands.clipboard import (
    FRAGMENT_FORMAT,
    MAX_FRAGMENT_CHARS,
    MAX_FRAGMENT_EDGES,
    MAX_FRAGMENT_NODES,
    Paste,
    check_fragment,
    copy_fragment,
    fragment_from_text,
    fragment_to_text,
)
from netbuilder.core.commands.groups import Group, Ungroup
from netbuilder.core.commands.networks import AddNetwork, RemoveNetwork, RenameNetwork
from netbuilder.core.commands.nodes import (
    AddNodes,
    Connect,
    Disconnect,
    MoveNodes,
    Reconnect,
    RemoveNodes,
    RenameNode,
    SetParams,
)
from netbuilder.core.commands.settings import SetSetting

__all__ = [
    "FRAGMENT_FORMAT",
    "MAX_FRAGMENT_CHARS",
    "MAX_FRAGMENT_EDGES",
    "MAX_FRAGMENT_NODES",
    "PORT_TYPES",
    "AddFrame",
    "AddNetwork",
    "AddNodes",
    "Command",
    "Connect",
    "Disconnect",
    "EditFrame",
    "Group",
    "MacroCommand",
    "MoveNodes",
    "Paste",
    "Point",
    "Reconnect",
    "RemoveFrames",
    "RemoveNetwork",
    "RemoveNodes",
    "RenameNetwork",
    "RenameNode",
    "SetBypass",
    "SetParams",
    "SetSetting",
    "UndoStack",
    "Ungroup",
    "can_bypass",
    "check_connection",
    "check_fragment",
    "copy_fragment",
    "fragment_from_text",
    "fragment_to_text",
]
