"""Undoable edits of a document: one :class:`Command` per user action, and a headless stack.

The design follows orange-canvas-core: the model's mutators (``Document.add_node`` and the
rest) know nothing of undo; a command calls them and knows how to revert. The Qt UI wraps
each command in a ``QUndoCommand`` whose ``redo``/``undo``/``mergeWith`` call the methods
here, so commands are plain Python; :class:`UndoStack` is the headless stand-in that the tests
and the command line use.

Three rules keep undo exact:

* Commands name graphs by name and nodes and edges by id, never by object, because undoing
  and redoing may rebuild objects.
* Most commands record every low-level change in a journal and undo by replaying the inverse
  changes newest first, so a removed node goes back at its old index in the ordered dicts.
* Ids are drawn on the first redo and reused on every later redo, so views and later commands
  that refer to them stay valid.

A command refuses a bad edit with :class:`GraphError` or :class:`ParamError` and leaves the
document as it was.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.events import Emitter
from netbuilder.core.fileformat import _upgrade_node
from netbuilder.core.graph import (
    GROUP,
    NETWORK,
    Document,
    Edge,
    Graph,
    Node,
    check_identifier,
)
from netbuilder.core.params import validate_params
from netbuilder.core.serialize import edge_from_dict, edge_to_dict, node_from_dict, node_to_dict

Point = tuple[float, float]

#: The ``format`` of a copied fragment (the clipboard holds it as JSON text).
FRAGMENT_FORMAT = "netbuilder-fragment"
#: Limits that keep hostile clipboard text from freezing the editor.
MAX_FRAGMENT_NODES = 10_000
MAX_FRAGMENT_EDGES = 40_000
MAX_FRAGMENT_CHARS = 16 * 1024 * 1024

#: Block types that are the ports of a group definition (their names are the port names).
PORT_TYPES = ("group_input", "group_output")
#: Roles that cannot move into a group: the network's ends and the group's own ports.
_UNGROUPABLE = ("input", "output", "loss", "group_input", "group_output")
#: Where Group places the port blocks of a new definition, left and right of the selection.
_PORT_MARGIN = 220.0


# ----- the command protocol and the headless stack ----------------------------------------------
class Command:
    """One undoable edit of a document.

    A command is constructed with everything it needs except the document, which every call
    receives, so that the same object works under :class:`UndoStack` and under Qt's
    ``QUndoStack`` (through a thin ``QUndoCommand`` wrapper).

    Attributes:
        text: the menu label ("Add Dense"). Commands that need block titles or node names
            finish it on their first redo.
        merge_id: None, or a hashable key: a newer command with an equal key may be merged
            into this one (the Qt wrapper maps keys to the int ids that Qt wants).
    """

    text: str = ""
    merge_id: Hashable | None = None

    def redo(self, doc: Document) -> None:
        """Applies the edit (also the first time: the stack calls it on push).

        Raises:
            GraphError: the edit is not allowed; the document is unchanged.
            ParamError: a parameter value is invalid; the document is unchanged.
        """
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        """Reverts the last :meth:`redo`; the document is then exactly as before it."""
        raise NotImplementedError

    def merge_with(self, other: Command) -> bool:
        """Absorbs ``other``, a newer command with the same :attr:`merge_id`.

        Both have been done when this is called. Returns True if this command now stands for
        both (the stack then drops ``other``), False to keep them as two steps.
        """
        return False


class MacroCommand(Command):
    """Several commands that undo and redo as one step (the stack's macros build these)."""

    def __init__(self, text: str, children: Iterable[Command] = ()) -> None:
        self.text = text
        self.children: list[Command] = list(children)

    def redo(self, doc: Document) -> None:
        done: list[Command] = []
        try:
            for child in self.children:
                child.redo(doc)
                done.append(child)
        except BaseException:
            for child in reversed(done):  # all or nothing, like every other command
                child.undo(doc)
            raise

    def undo(self, doc: Document) -> None:
        for child in reversed(self.children):
            child.undo(doc)


class UndoStack:
    """A headless undo stack with clean state and macros, modelled on ``QUndoStack``.

    Args:
        doc: the document the commands edit.
        limit: how many steps to keep (0: no limit); the oldest steps are forgotten first.

    Emits ``changed()`` on :attr:`events` after every push, undo, redo and clean change.
    """

    def __init__(self, doc: Document, limit: int = 0) -> None:
        self.doc = doc
        self.limit = limit
        self.events = Emitter()
        self._commands: list[Command] = []
        self._index = 0  # how many commands are done; the next undo undoes _commands[_index-1]
        self._clean = 0  # the index at which the document was saved; -1 when unreachable
        self._macros: list[MacroCommand] = []

    # ----- state ---------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def command(self, index: int) -> Command:
        return self._commands[index]

    def can_undo(self) -> bool:
        return not self._macros and self._index > 0

    def can_redo(self) -> bool:
        return not self._macros and self._index < len(self._commands)

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    def set_clean(self) -> None:
        """Marks the current state as saved."""
        self._require_no_macro("mark the document clean")
        self._clean = self._index
        self._changed()

    def is_clean(self) -> bool:
        """Whether the document is as it was at the last :meth:`set_clean`."""
        return not self._macros and self._index == self._clean

    def clear(self) -> None:
        """Forgets every step (the document stays as it is and counts as clean)."""
        self._require_no_macro("clear the undo stack")
        self._commands.clear()
        self._index = self._clean = 0
        self._changed()

    # ----- editing -------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        """Does ``command`` and records it, merged into the previous step when allowed.

        Raises:
            GraphError, ParamError: the command refused; neither the document nor the stack
                changed.
        """
        command.redo(self.doc)
        if self._macros:
            children = self._macros[-1].children
            if not (children and _merge(children[-1], command)):
                children.append(command)
            return
        self._truncate()
        # As in Qt, never merge into the saved step: undo must still reach the saved state.
        if self._index and self._index != self._clean and _merge(self._commands[-1], command):
            self._changed()
            return
        self._append(command)

    def undo(self) -> None:
        """Undoes the last step; does nothing when there is none."""
        self._require_no_macro("undo")
        if self._index == 0:
            return
        self._commands[self._index - 1].undo(self.doc)
        self._index -= 1
        self._changed()

    def redo(self) -> None:
        """Redoes the last undone step; does nothing when there is none."""
        self._require_no_macro("redo")
        if self._index == len(self._commands):
            return
        self._commands[self._index].redo(self.doc)
        self._index += 1
        self._changed()

    # ----- macros --------------------------------------------------------------------------
    def begin_macro(self, text: str) -> None:
        """Starts grouping the following pushes into one step labelled ``text``."""
        if not self._macros:
            self._truncate()  # the redo steps die now, as in Qt
        self._macros.append(MacroCommand(text))

    def end_macro(self) -> None:
        """Closes the innermost macro; an empty macro leaves no step."""
        if not self._macros:
            raise RuntimeError("end_macro() without begin_macro()")
        macro = self._macros.pop()
        if not macro.children:
            return
        if self._macros:
            self._macros[-1].children.append(macro)
        else:
            self._append(macro)

    def abort_macro(self) -> None:
        """Undoes what the innermost macro did so far and drops it."""
        if not self._macros:
            raise RuntimeError("abort_macro() without begin_macro()")
        self._macros.pop().undo(self.doc)

    @contextlib.contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """``with stack.macro("Paste"):`` one step; an exception inside undoes it all."""
        self.begin_macro(text)
        try:
            yield
        except BaseException:
            self.abort_macro()
            raise
        self.end_macro()

    # ----- internals -----------------------------------------------------------------------
    def _append(self, command: Command) -> None:
        self._commands.append(command)
        self._index += 1
        while self.limit and len(self._commands) > self.limit:
            del self._commands[0]
            self._index -= 1
            self._clean = self._clean - 1 if self._clean > 0 else -1
        self._changed()

    def _truncate(self) -> None:
        del self._commands[self._index:]
        if self._clean > self._index:
            self._clean = -1  # the saved state was among the dropped redo steps

    def _require_no_macro(self, action: str) -> None:
        if self._macros:
            raise RuntimeError(f"cannot {action} while a macro is open")

    def _changed(self) -> None:
        self.events.emit("changed")


def _merge(older: Command, newer: Command) -> bool:
    return (older.merge_id is not None and older.merge_id == newer.merge_id
            and older.merge_with(newer))


# ----- the journal that most commands undo with --------------------------------------------------
class _Journal:
    """Applies low-level mutations and remembers how to revert each of them."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._inverses: list[Callable[[], object]] = []

    def rollback(self) -> None:
        """Reverts every recorded change, newest first, so that recorded indices hold."""
        while self._inverses:
            self._inverses.pop()()

    def extend(self, other: _Journal) -> None:
        """Takes over ``other``'s changes, which came after this journal's."""
        self._inverses.extend(other._inverses)
        other._inverses = []

    def add_graph(self, name: str, kind: str) -> Graph:
        graph = self.doc.add_graph(name, kind)
        self._inverses.append(lambda: self.doc.remove_graph(name))
        return graph

    def remove_graph(self, name: str) -> Graph:
        graph, index = self.doc.remove_graph(name)
        self._inverses.append(lambda: self.doc.restore_graph(graph, index))
        return graph

    def rename_graph(self, old: str, new: str) -> None:
        graph = self.doc.graph(old)
        # Renaming a group renames the references to it; renaming back would also rename
        # broken instances that already named ``new``, so remember them.
        stale = [(g, n.id) for g, n in self.doc.instances_of(new)] if graph.kind == GROUP else []
        self.doc.rename_graph(old, new)

        def revert() -> None:
            self.doc.rename_graph(new, old)
            for owner, node_id in stale:
                params = dict(owner.nodes[node_id].params, group=new)
                self.doc.set_params(owner, node_id, params)

        self._inverses.append(revert)

    def add_node(self, graph: Graph, node: Node, index: int | None = None) -> None:
        self.doc.add_node(graph, node, index)
        self._inverses.append(lambda: self.doc.remove_node(graph, node.id))

    def remove_node(self, graph: Graph, node_id: str) -> Node:
        node, index = self.doc.remove_node(graph, node_id)
        self._inverses.append(lambda: self.doc.add_node(graph, node, index))
        return node

    def add_edge(self, graph: Graph, edge: Edge, index: int | None = None) -> None:
        self.doc.add_edge(graph, edge, index)
        self._inverses.append(lambda: self.doc.remove_edge(graph, edge.id))

    def remove_edge(self, graph: Graph, edge_id: str) -> Edge:
        edge, index = self.doc.remove_edge(graph, edge_id)
        self._inverses.append(lambda: self.doc.add_edge(graph, edge, index))
        return edge

    def replace_edge(self, graph: Graph, edge: Edge) -> None:
        """Puts ``edge`` in place of the edge with the same id, at the same index."""
        index = list(graph.edges).index(edge.id)
        self.remove_edge(graph, edge.id)
        self.add_edge(graph, edge, index)

    def set_params(self, graph: Graph, node_id: str, params: dict[str, Any]) -> None:
        old = copy.deepcopy(graph.nodes[node_id].params)
        self.doc.set_params(graph, node_id, params)
        self._inverses.append(lambda: self.doc.set_params(graph, node_id, old))

    def rename_node(self, graph: Graph, node_id: str, name: str) -> None:
        old = graph.nodes[node_id].name
        self.doc.rename_node(graph, node_id, name)
        self._inverses.append(lambda: self.doc.rename_node(graph, node_id, old))


class _JournalCommand(Command):
    """A command whose undo replays its journal backwards; subclasses write :meth:`_apply`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._journal: _Journal | None = None
        self._ids: dict[Hashable, str] = {}

    def redo(self, doc: Document) -> None:
        journal = _Journal(doc)
        try:
            self._apply(doc, journal)
        except BaseException:
            journal.rollback()  # a refused edit leaves no trace
            raise
        self._journal = journal

    def undo(self, doc: Document) -> None:
        if self._journal is None:
            raise RuntimeError(f"'{self.text}' is undone but was not done")
        journal, self._journal = self._journal, None
        journal.rollback()

    def _apply(self, doc: Document, journal: _Journal) -> None:
        raise NotImplementedError

    def _id(self, doc: Document, key: Hashable, prefix: str) -> str:
        """The id this command gives to ``key``: drawn on the first redo, reused after."""
        if key not in self._ids:
            self._ids[key] = doc.new_id(prefix)
        return self._ids[key]


# ----- nodes and wires ---------------------------------------------------------------------------
class AddNodes(_JournalCommand):
    """Adds blocks, and wires among them, with ids drawn from the document.

    Args:
        graph: the network or group to add to.
        nodes: the blocks; their ids are only keys for ``edges`` (each gets a fresh id).
            Params not given take the block's defaults; an empty name means "type + number";
            a name already used gets a number.
        edges: wires between ``nodes``, by those keys; their ids are replaced too.

    After redo, :attr:`node_ids` lists the new ids in the order of ``nodes``.
    """

    def __init__(self, graph: str, nodes: Sequence[Node], edges: Sequence[Edge] = ()) -> None:
        super().__init__("Add blocks")
        keys = [node.id for node in nodes]
        if not keys:
            raise GraphError("nothing to add")
        if len(set(keys)) != len(keys):
            raise GraphError("two added blocks share an id")
        self.graph = graph
        self._nodes = [node.clone() for node in nodes]
        self._edges = list(edges)
        self.node_ids: list[str] = []

    @classmethod
    def block(cls, graph: str, type_id: str, position: Point = (0.0, 0.0), name: str = "",
              **params: Any) -> AddNodes:
        """One block of ``type_id`` (what dropping a block from the palette does)."""
        return cls(graph, [Node("new", type_id, name, params, position)])

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [_checked_new_node(doc, node) for node in self._nodes]
        self.node_ids = _add_batch(self, doc, journal, graph, nodes, self._edges, strict=True)
        self.text = _label("Add", doc, [graph.nodes[i] for i in self.node_ids], titles=True)


class RemoveNodes(_JournalCommand):
    """Deletes blocks with their wires (and, optionally, other wires) as one step.

    Deleting a group's port block also deletes the wires on that port of every use of the
    group. Undo puts every node and edge back at its old place in document order.

    Args:
        graph: the network or group.
        node_ids: the blocks to delete.
        edge_ids: further wires to delete (a selection holds wires too).
    """

    def __init__(self, graph: str, node_ids: Iterable[str], edge_ids: Iterable[str] = ()
                 ) -> None:
        super().__init__("Delete")
        self.graph = graph
        self.node_ids = list(dict.fromkeys(node_ids))
        self.edge_ids = list(dict.fromkeys(edge_ids))
        if not self.node_ids and not self.edge_ids:
            raise GraphError("nothing to delete")

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [_node_in(doc, graph, node_id, "delete") for node_id in self.node_ids]
        for edge_id in self.edge_ids:
            _edge_in(graph, edge_id)
        doomed, wires = set(self.node_ids), set(self.edge_ids)
        for edge in list(graph.edges.values()):
            if edge.id in wires or edge.source in doomed or edge.target in doomed:
                journal.remove_edge(graph, edge.id)
        if graph.kind == GROUP:
            for node in nodes:
                if node.type in PORT_TYPES:
                    _drop_instance_wires(doc, journal, graph.name, node.type, node.name)
        for node_id in [n for n in graph.nodes if n in doomed]:
            journal.remove_node(graph, node_id)
        if nodes:
            self.text = _label("Delete", doc, nodes)
        else:
            self.text = "Delete wire" if len(wires) == 1 else f"Delete {len(wires)} wires"


class Connect(_JournalCommand):
    """Adds a wire from an output port to a free input port of the same graph.

    Raises on redo, with the reason: :class:`GraphError` for an unknown node or port, an
    input that already has a wire, a wire that would close a cycle, or nodes of different
    graphs. After redo, :attr:`edge_id` is the new wire's id.
    """

    def __init__(self, graph: str, source: str, source_port: str, target: str,
                 target_port: str) -> None:
        super().__init__("Connect")
        self.graph = graph
        self.ends = (source, source_port, target, target_port)
        self.edge_id: str | None = None

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        source, source_port, target, target_port = self.ends
        check_connection(doc, graph, source, source_port, target, target_port)
        edge_id = self._id(doc, "edge", "e")
        journal.add_edge(graph, Edge(edge_id, source, source_port, target, target_port))
        self.edge_id = edge_id
        self.text = f"Connect {graph.nodes[source].name} → {graph.nodes[target].name}"


class Disconnect(_JournalCommand):
    """Deletes one wire or several wires of one graph."""

    def __init__(self, graph: str, edge_ids: str | Iterable[str]) -> None:
        super().__init__("Disconnect")
        self.graph = graph
        self.edge_ids = [edge_ids] if isinstance(edge_ids, str) else list(dict.fromkeys(edge_ids))
        if not self.edge_ids:
            raise GraphError("no wire to disconnect")

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        edges = [_edge_in(graph, edge_id) for edge_id in self.edge_ids]
        for edge in edges:
            journal.remove_edge(graph, edge.id)
        if len(edges) == 1:
            edge = edges[0]
            self.text = (f"Disconnect {graph.nodes[edge.source].name} → "
                         f"{graph.nodes[edge.target].name}")
        else:
            self.text = f"Disconnect {len(edges)} wires"


class Reconnect(_JournalCommand):
    """Moves one end of a wire to another port; the wire keeps its id and its place.

    Args:
        graph: the network or group.
        edge_id: the wire.
        end: ``"source"`` or ``"target"``: which end moves.
        node_id: the node the end moves to.
        port: the port on that node.
    """

    def __init__(self, graph: str, edge_id: str, end: str, node_id: str, port: str) -> None:
        super().__init__("Reconnect")
        if end not in ("source", "target"):
            raise GraphError(f"a wire has a 'source' and a 'target' end, not {end!r}")
        self.graph = graph
        self.edge_id = edge_id
        self.end = end
        self.node_id = node_id
        self.port = port

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        old = _edge_in(graph, self.edge_id)
        if self.end == "source":
            new = Edge(old.id, self.node_id, self.port, old.target, old.target_port)
        else:
            new = Edge(old.id, old.source, old.source_port, self.node_id, self.port)
        check_connection(doc, graph, new.source, new.source_port, new.target, new.target_port,
                         ignore=old.id)
        journal.replace_edge(graph, new)
        self.text = f"Reconnect {graph.nodes[new.source].name} → {graph.nodes[new.target].name}"


class SetParams(_JournalCommand):
    """Sets parameters of one block or of several blocks of one graph.

    Every value is checked against the block's ParamSpec before anything changes. Successive
    edits of the same fields of the same blocks merge into one undo step (typing 1, 12, 128
    in a spin box is one step). Wires on ports that the new values remove (fewer inputs of
    an Add) are deleted in the same step.

    Args:
        graph: the network or group.
        node_ids: one node id or several.
        values: parameter name -> new value.
    """

    def __init__(self, graph: str, node_ids: str | Iterable[str], values: Mapping[str, Any]
                 ) -> None:
        super().__init__("Set " + ", ".join(values))
        self.graph = graph
        self.node_ids = [node_ids] if isinstance(node_ids, str) else list(dict.fromkeys(node_ids))
        self.values = copy.deepcopy(dict(values))
        if not self.node_ids or not self.values:
            raise GraphError("no block or no parameter to set")
        self.merge_id = ("set_params", graph, tuple(self.node_ids), tuple(sorted(self.values)))

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [_node_in(doc, graph, node_id, "edit") for node_id in self.node_ids]
        # Validate every node before changing any: a refused edit changes nothing.
        new_params = {node.id: _params_with(doc, graph, node, self.values) for node in nodes}
        for node in nodes:
            inputs, outputs = _port_names(doc, node)
            if node.params != new_params[node.id]:
                journal.set_params(graph, node.id, new_params[node.id])
                _drop_vanished_wires(doc, journal, graph, node, inputs, outputs)
        self.text = _label("Set " + ", ".join(self.values) + " of", doc, nodes)

    def merge_with(self, other: Command) -> bool:
        if not (isinstance(other, SetParams) and other.merge_id == self.merge_id
                and self._journal is not None and other._journal is not None):
            return False
        self.values = copy.deepcopy(other.values)
        self._journal.extend(other._journal)
        return True


class MoveNodes(Command):
    """Moves blocks: one step per drag, with each block's position before and after.

    The view moves its items while the mouse drags and pushes this on release, so undo goes
    back to the given old positions rather than to whatever the model held.

    Args:
        graph: the network or group.
        moves: node id -> (old position, new position).
    """

    def __init__(self, graph: str, moves: Mapping[str, tuple[Point, Point]]) -> None:
        if not moves:
            raise GraphError("nothing to move")
        self.graph = graph
        self.moves = {node_id: (_point(old), _point(new)) for node_id, (old, new) in moves.items()}
        self.text = "Move" if len(self.moves) == 1 else f"Move {len(self.moves)} blocks"

    def redo(self, doc: Document) -> None:
        self._place(doc, 1)

    def undo(self, doc: Document) -> None:
        self._place(doc, 0)

    def _place(self, doc: Document, which: int) -> None:
        graph = doc.graph(self.graph)
        nodes = [_node_in(doc, graph, node_id, "move") for node_id in self.moves]
        for node_id, positions in self.moves.items():
            doc.move_node(graph, node_id, positions[which])
        self.text = _label("Move", doc, nodes)


class RenameNode(_JournalCommand):
    """Renames a block (its name is its submodule name, so it must be a free identifier).

    Renaming a group's port block renames that port on every use of the group, and the
    wires on it follow.
    """

    def __init__(self, graph: str, node_id: str, name: str) -> None:
        super().__init__(f"Rename to {name}")
        self.graph = graph
        self.node_id = node_id
        self.name = name

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        node = _node_in(doc, graph, self.node_id, "rename")
        old = node.name
        if old == self.name:
            return
        journal.rename_node(graph, node.id, self.name)
        if graph.kind == GROUP and node.type in PORT_TYPES:
            _rename_instance_wires(doc, journal, graph.name, node.type, old, self.name)
        self.text = f"Rename {old} to {self.name}"


# ----- the clipboard ---------------------------------------------------------------------------
def copy_fragment(doc: Document, graph: Graph | str, node_ids: Iterable[str]) -> dict[str, Any]:
    """The clipboard form of some blocks and the wires among them, in document order.

    Returns:
        ``{"format": "netbuilder-fragment", "nodes": [...], "edges": [...]}`` with the nodes
        and edges as :mod:`netbuilder.core.serialize` writes them (deep copies).
    """
    if isinstance(graph, str):
        graph = doc.graph(graph)
    chosen = set(node_ids)
    for node_id in chosen:
        _node_in(doc, graph, node_id, "copy")
    if len(chosen) > MAX_FRAGMENT_NODES:
        raise GraphError(f"at most {MAX_FRAGMENT_NODES:,} blocks can be copied at once")
    nodes = [node_to_dict(node) for node in graph.nodes.values() if node.id in chosen]
    edges = [edge_to_dict(edge) for edge in graph.edges.values()
             if edge.source in chosen and edge.target in chosen]
    return copy.deepcopy({"format": FRAGMENT_FORMAT, "nodes": nodes, "edges": edges})


def fragment_to_text(fragment: Mapping[str, Any]) -> str:
    """The JSON text the clipboard holds for ``fragment``."""
    return json.dumps(check_fragment(fragment), ensure_ascii=False, allow_nan=False)


def fragment_from_text(text: Any) -> dict[str, Any]:
    """Reads clipboard text back into a checked fragment.

    Raises:
        ValueError: the text is not a netbuilder fragment, or a hostile one (too long, nested
            too deeply, wrong types, too many blocks); the message says which.
    """
    if not isinstance(text, str):
        raise ValueError(f"clipboard content must be text, got {type(text).__name__}")
    if len(text) > MAX_FRAGMENT_CHARS:
        raise ValueError(f"clipboard text is too long to be a netbuilder fragment "
                         f"({len(text):,} characters)")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("clipboard text is nested too deeply to be a netbuilder fragment") \
            from None
    except ValueError as error:  # JSONDecodeError, NaN, integers of thousands of digits
        raise ValueError(f"clipboard text is not a netbuilder fragment: {error}") from None
    return check_fragment(data)


def check_fragment(data: Any) -> dict[str, Any]:
    """Checks a fragment's structure and returns a deep copy of it.

    Raises:
        ValueError: what is wrong, naming the node or edge at fault.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"a netbuilder fragment is a JSON object, not {_json_type(data)}")
    if data.get("format") != FRAGMENT_FORMAT:
        raise ValueError(f"not a netbuilder fragment (no \"format\": \"{FRAGMENT_FORMAT}\")")
    extra = sorted(str(key) for key in data if key not in ("format", "nodes", "edges"))
    if extra:
        raise ValueError(f"fragment has unknown field {', '.join(map(repr, extra))}")
    nodes = _bounded_list(data, "nodes", MAX_FRAGMENT_NODES)
    edges = _bounded_list(data, "edges", MAX_FRAGMENT_EDGES)
    seen: set[str] = set()
    checked_nodes = []
    for item in nodes:
        node = node_from_dict(item)
        if node.id in seen:
            raise ValueError(f"fragment: node id '{node.id}' is used twice")
        seen.add(node.id)
        _check_json(node.params, f"node {node.id}: params", 0)
        checked_nodes.append(node_to_dict(node))
    checked_edges = [edge_to_dict(edge_from_dict(item)) for item in edges]
    return copy.deepcopy({"format": FRAGMENT_FORMAT, "nodes": checked_nodes,
                          "edges": checked_edges})


def _bounded_list(data: Mapping[str, Any], key: str, limit: int) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise ValueError(f"fragment '{key}' must be a list, not {_json_type(value)}")
    # Count first: a million entries is refused before any of them is looked at.
    if len(value) > limit:
        raise ValueError(f"a fragment holds at most {limit:,} {key}; this one has "
                         f"{len(value):,}")
    return value


class Paste(_JournalCommand):
    """Adds a copied fragment with fresh ids, offset so that it does not hide the original.

    A name still free in the target graph is kept, a taken one gets a number; only wires
    whose two ends were copied come along.

    Args:
        graph: the network or group to paste into.
        fragment: from :func:`copy_fragment` or :func:`fragment_from_text`; it is checked
            again here (ValueError), since it may come from anywhere.
        offset: added to every position.

    After redo, :attr:`node_ids` lists the pasted blocks (for the view to select them).
    """

    def __init__(self, graph: str, fragment: Mapping[str, Any],
                 offset: Point = (30.0, 30.0)) -> None:
        super().__init__("Paste")
        self.graph = graph
        self._fragment = check_fragment(fragment)
        if not self._fragment["nodes"]:
            raise ValueError("the fragment holds no block to paste")
        self._offset = _point(offset)
        self.node_ids: list[str] = []

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [self._read_node(doc, data) for data in self._fragment["nodes"]]
        copied = {node.id for node in nodes}
        edges = [edge_from_dict(data) for data in self._fragment["edges"]
                 if data["source"] in copied and data["target"] in copied]
        self.node_ids = _add_batch(self, doc, journal, graph, nodes, edges, strict=False)
        self.text = _label("Paste", doc, [graph.nodes[i] for i in self.node_ids], titles=True)

    def _read_node(self, doc: Document, data: dict[str, Any]) -> Node:
        node = node_from_dict(copy.deepcopy(data))
        try:
            # A pasted node is read like a node of a file: aliases resolve, old params
            # migrate, and an unknown type stays a placeholder.
            _upgrade_node(doc.catalogue, node, f"pasted node {node.id}")
        except (ValueError, TypeError, KeyError) as error:
            raise GraphError(f"cannot paste: {error}") from None
        x, y = node.position
        node.position = (x + self._offset[0], y + self._offset[1])
        return node


# ----- groups ----------------------------------------------------------------------------------
class Group(_JournalCommand):
    """Turns blocks of one graph into a new group definition and one use of it.

    The definition gets a ``group_input`` for each distinct output that feeds the selection
    from outside and a ``group_output`` for each selected output used outside, named after
    the ports; the selection is replaced by a ``group`` block wired to the same neighbours,
    so shapes and parameter counts do not change.

    Args:
        graph: the network or group that holds the blocks.
        node_ids: the blocks; they must not include Input, Output, loss or port blocks, and
            no other block may lie on a path between two of them.
        name: the new definition's name; by default ``group`` + a number.

    After redo, :attr:`group_name` and :attr:`instance_id` say what was made.
    """

    def __init__(self, graph: str, node_ids: Iterable[str], name: str | None = None) -> None:
        super().__init__("Group")
        self.graph = graph
        self.node_ids = list(dict.fromkeys(node_ids))
        if not self.node_ids:
            raise GraphError("select at least one block to group")
        self._name = name
        self.group_name: str | None = None
        self.instance_id: str | None = None

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        selected = self._selection(doc, graph)
        chosen = {node.id for node in selected}
        _check_convex(graph, chosen)
        name = self._name or _free_graph_name(doc, "group")
        check_identifier(name, "group name")
        if name in doc.graphs:
            raise GraphError(f"a network or group named '{name}' already exists")

        edges = list(graph.edges.values())
        incoming = [e for e in edges if e.target in chosen and e.source not in chosen]
        outgoing = [e for e in edges if e.source in chosen and e.target not in chosen]
        inner = [e for e in edges if e.source in chosen and e.target in chosen]
        taken = {node.name for node in selected}
        in_ports = _name_ports(incoming, lambda e: e.target_port, taken)
        out_ports = _name_ports(outgoing, lambda e: e.source_port, taken)
        index = list(graph.nodes).index(selected[0].id)
        centre = _centre(selected)

        for edge in incoming + outgoing + inner:
            journal.remove_edge(graph, edge.id)
        moved = [journal.remove_node(graph, node.id) for node in selected]
        group = journal.add_graph(name, GROUP)
        entries, exits = self._port_nodes(doc, moved, incoming, in_ports, out_ports)
        # Inputs, blocks, outputs: the definition reads left to right in document order.
        for node in [*entries.values(), *moved, *exits.values()]:
            journal.add_node(group, node)
        for edge in inner:
            journal.add_edge(group, edge)
        for edge in incoming:
            entry = entries[(edge.source, edge.source_port)]
            journal.add_edge(group, Edge(self._id(doc, ("inner", edge.id), "e"), entry.id, "y",
                                         edge.target, edge.target_port))
        for (source, port), exit_node in exits.items():
            journal.add_edge(group, Edge(self._id(doc, ("out", source, port), "e"), source,
                                         port, exit_node.id, "x"))

        instance = Node(self._id(doc, "instance", "n"), "group", _fresh_name(graph, name),
                        {"group": name}, centre, _version(doc, "group"))
        journal.add_node(graph, instance, index)
        for (source, port), port_name in in_ports.items():
            journal.add_edge(graph, Edge(self._id(doc, ("in", source, port), "e"), source,
                                         port, instance.id, port_name))
        for edge in outgoing:
            port_name = out_ports[(edge.source, edge.source_port)]
            journal.add_edge(graph, Edge(self._id(doc, ("outer", edge.id), "e"), instance.id,
                                         port_name, edge.target, edge.target_port))
        self.group_name, self.instance_id = name, instance.id
        self.text = f"Group {_label('', doc, selected).strip()} as {name}"

    def _selection(self, doc: Document, graph: Graph) -> list[Node]:
        """The selected nodes in document order, refusing the ones a group cannot hold."""
        nodes = [_node_in(doc, graph, node_id, "group") for node_id in self.node_ids]
        for node in nodes:
            spec = doc.catalogue.get(node.type)
            if spec is not None and spec.role in _UNGROUPABLE:
                raise GraphError(f"{node.name} cannot go into a group: Input, Output, loss and "
                                 "group port blocks stay where they are")
        rank = {node_id: index for index, node_id in enumerate(graph.nodes)}
        return sorted(nodes, key=lambda node: rank[node.id])

    def _port_nodes(self, doc: Document, moved: list[Node], incoming: list[Edge],
                    in_ports: dict[tuple[str, str], str], out_ports: dict[tuple[str, str], str]
                    ) -> tuple[dict[tuple[str, str], Node], dict[tuple[str, str], Node]]:
        """The group_input and group_output nodes of the new definition, by outer endpoint."""
        by_id = {node.id: node for node in moved}
        left = min(node.position[0] for node in moved) - _PORT_MARGIN
        right = max(node.position[0] for node in moved) + _PORT_MARGIN
        entries: dict[tuple[str, str], Node] = {}
        for key, port_name in in_ports.items():
            first = next(e for e in incoming if (e.source, e.source_port) == key)
            entries[key] = Node(self._id(doc, ("node-in", *key), "n"), "group_input", port_name,
                                {}, (left, by_id[first.target].position[1]),
                                _version(doc, "group_input"))
        exits: dict[tuple[str, str], Node] = {}
        for key, port_name in out_ports.items():
            exits[key] = Node(self._id(doc, ("node-out", *key), "n"), "group_output", port_name,
                              {}, (right, by_id[key[0]].position[1]),
                              _version(doc, "group_output"))
        return entries, exits


class Ungroup(_JournalCommand):
    """Inlines one use of a group: copies of the definition's blocks replace it, rewired.

    The copies get fresh ids and names that are free in the graph (the original names when
    possible). The definition is deleted with its last use and kept while others use it.
    After redo, :attr:`node_ids` lists the copies.
    """

    def __init__(self, graph: str, node_id: str) -> None:
        super().__init__("Ungroup")
        self.graph = graph
        self.node_id = node_id
        self.node_ids: list[str] = []

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        instance = _node_in(doc, graph, self.node_id, "ungroup")
        definition = _definition_of(doc, graph, instance)
        inner = [node for node in definition.nodes.values() if node.type not in PORT_TYPES]
        outer_in = {e.target_port: (e.source, e.source_port) for e in graph.incoming(instance.id)}
        outer_out = graph.outgoing(instance.id)
        index = list(graph.nodes).index(instance.id)
        shift = _minus(instance.position, _centre(inner)) if inner else (0.0, 0.0)

        for edge in graph.edges_of(instance.id):
            journal.remove_edge(graph, edge.id)
        journal.remove_node(graph, instance.id)
        copies: dict[str, str] = {}
        for offset, node in enumerate(inner):
            twin = Node(self._id(doc, ("node", node.id), "n"), node.type,
                        _fresh_name(graph, node.name), copy.deepcopy(node.params),
                        _plus(node.position, shift), node.type_version)
            journal.add_node(graph, twin, index + offset)
            copies[node.id] = twin.id
        for edge in definition.edges.values():
            source = _inlined_source(definition, edge, copies, outer_in)
            if source is None:
                continue  # the use left that port unconnected
            for target in _inlined_targets(definition, edge, copies, outer_out):
                journal.add_edge(graph, Edge(self._id(doc, ("edge", edge.id, target), "e"),
                                             *source, *target))
        if not doc.instances_of(definition.name):
            journal.remove_graph(definition.name)
        self.node_ids = list(copies.values())
        self.text = f"Ungroup {instance.name}"


# ----- networks and group definitions --------------------------------------------------------
class AddNetwork(_JournalCommand):
    """Adds an empty network (or, with ``kind="group"``, an empty group definition)."""

    def __init__(self, name: str, kind: str = NETWORK) -> None:
        if kind not in (NETWORK, GROUP):
            raise GraphError(f"a graph is a '{NETWORK}' or a '{GROUP}', not {kind!r}")
        super().__init__(f"Add {kind} {name}")
        self.name = name
        self.kind = kind

    def _apply(self, doc: Document, journal: _Journal) -> None:
        journal.add_graph(self.name, self.kind)


class RemoveNetwork(_JournalCommand):
    """Deletes a network or an unused group definition; undo restores it whole."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Delete {name}")
        self.name = name

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.name)
        users = [node.name for owner, node in doc.instances_of(self.name) if owner is not graph]
        if graph.kind == GROUP and users:
            raise GraphError(f"group '{self.name}' is used by {', '.join(users[:5])}"
                             f"{' and others' if len(users) > 5 else ''}; delete or ungroup "
                             "those first")
        journal.remove_graph(self.name)
        self.text = f"Delete {graph.kind} {self.name}"


class RenameNetwork(_JournalCommand):
    """Renames a network or a group definition (the uses of a group follow)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(f"Rename {old} to {new}")
        self.old = old
        self.new = new

    def _apply(self, doc: Document, journal: _Journal) -> None:
        if self.old != self.new:
            journal.rename_graph(self.old, self.new)


# ----- checks shared by the commands -------------------------------------------------------------
def check_connection(doc: Document, graph: Graph, source: str, source_port: str, target: str,
                     target_port: str, *, ignore: str | None = None) -> None:
    """Raises GraphError, with the reason, unless the wire may be added to ``graph``.

    Also what a view asks while the user drags a wire. ``ignore`` names a wire to leave out
    (the one being moved by Reconnect).
    """
    _check_ends(doc, graph, source, source_port, target, target_port, ignore=ignore,
                strict=True)
    path = _path(graph, target, source, ignore)
    if path is not None:
        names = " → ".join(graph.nodes[node_id].name for node_id in [*path, target])
        raise GraphError(f"connecting {graph.nodes[source].name} to {graph.nodes[target].name}"
                         f" would make a cycle: {names}")


def _check_ends(doc: Document, graph: Graph, source: str, source_port: str, target: str,
                target_port: str, *, ignore: str | None, strict: bool) -> None:
    """Both nodes in ``graph``, both ports known, the input free (all but the cycle check).

    With ``strict`` False a port is not checked on a node whose ports are unknown (a
    placeholder, or a use of a missing group), as a file keeps such wires.
    """
    src = _node_in(doc, graph, source, "connect")
    dst = _node_in(doc, graph, target, "connect")
    _check_port(doc, src, source_port, "output", strict)
    _check_port(doc, dst, target_port, "input", strict)
    existing = graph.edge_into(target, target_port)
    if existing is not None and existing.id != ignore:
        feeder = graph.nodes[existing.source].name
        raise GraphError(f"input '{target_port}' of {dst.name} is already connected (from "
                         f"{feeder}.{existing.source_port}); remove that wire first")


def _check_port(doc: Document, node: Node, port: str, direction: str, strict: bool) -> None:
    ports = doc.output_ports(node) if direction == "output" else doc.input_ports(node)
    names = [p.name for p in ports]
    if port in names or not (strict or _ports_known(doc, node)):
        return
    have = f"its {direction}s: {', '.join(names)}" if names else f"it has no {direction}s"
    raise GraphError(f"{node.name} has no {direction} named '{port}' ({have})")


def _ports_known(doc: Document, node: Node) -> bool:
    spec = doc.catalogue.get(node.type)
    if spec is None:
        return False
    if spec.role == "group":
        group = doc.graphs.get(node.params.get("group", ""))
        return group is not None and group.kind == GROUP
    return True


def _node_in(doc: Document, graph: Graph, node_id: str, action: str) -> Node:
    """The node ``node_id`` of ``graph``; GraphError saying where it is otherwise."""
    node = graph.nodes.get(node_id)
    if node is not None:
        return node
    for other in doc.graphs.values():
        if node_id in other.nodes:
            raise GraphError(f"cannot {action} {other.nodes[node_id].name}: it is in "
                             f"'{other.name}', not in '{graph.name}' (an edit stays within one "
                             "network or group)")
    raise GraphError(f"'{graph.name}' has no node with id '{node_id}'")


def _edge_in(graph: Graph, edge_id: str) -> Edge:
    edge = graph.edges.get(edge_id)
    if edge is None:
        raise GraphError(f"'{graph.name}' has no wire with id '{edge_id}'")
    return edge


def _path(graph: Graph, start: str, goal: str, ignore: str | None) -> list[str] | None:
    """Node ids of a path from ``start`` to ``goal`` along the wires, or None."""
    children: dict[str, list[str]] = {}
    for edge in graph.edges.values():
        if edge.id != ignore:
            children.setdefault(edge.source, []).append(edge.target)
    parent: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node_id = queue.popleft()
        if node_id == goal:
            path: list[str] = []
            step: str | None = node_id
            while step is not None:
                path.append(step)
                step = parent[step]
            return path[::-1]
        for child in children.get(node_id, ()):
            if child not in parent:
                parent[child] = node_id
                queue.append(child)
    return None


def _find_cycle(pairs: Iterable[tuple[str, str]]) -> list[str] | None:
    """A cycle among directed (source, target) pairs, as node ids first = last, or None."""
    children: dict[str, list[str]] = {}
    for source, target in pairs:
        children.setdefault(source, []).append(target)
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in children:
        if root in state:
            continue
        state[root] = 1
        path, stack = [root], [iter(children[root])]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(children.get(child, ())))
    return None


def _add_batch(command: _JournalCommand, doc: Document, journal: _Journal, graph: Graph,
               nodes: list[Node], edges: Sequence[Edge], strict: bool) -> list[str]:
    """Adds ``nodes`` (ids are keys) and the ``edges`` among them; returns the new node ids."""
    ids: dict[str, str] = {}
    for node in nodes:
        _check_not_recursive(doc, graph, node)
        name = _fresh_name(graph, node.name) if node.name else graph.unique_name(node.type)
        added = Node(command._id(doc, ("node", node.id), "n"), node.type, name,
                     copy.deepcopy(node.params), node.position, node.type_version)
        journal.add_node(graph, added)
        ids[node.id] = added.id
    pairs = []
    for edge in edges:
        source, target = ids.get(edge.source), ids.get(edge.target)
        if source is None or target is None:
            raise GraphError(f"wire {edge.id} must join two of the blocks being added")
        _check_ends(doc, graph, source, edge.source_port, target, edge.target_port,
                    ignore=None, strict=strict)
        journal.add_edge(graph, Edge(command._id(doc, ("edge", edge.id), "e"), source,
                                     edge.source_port, target, edge.target_port))
        pairs.append((source, target))
    # The new wires join new blocks only, so one pass over them finds any cycle they make.
    cycle = _find_cycle(pairs)
    if cycle is not None:
        names = " → ".join(graph.nodes[node_id].name for node_id in cycle)
        raise GraphError(f"the added wires make a cycle: {names}")
    return list(ids.values())


def _checked_new_node(doc: Document, node: Node) -> Node:
    """``node`` with its type resolved and its params completed and validated."""
    spec = doc.catalogue.get(node.type)
    if spec is None:
        raise GraphError(f"unknown block type '{node.type}'")
    params = spec.default_params()
    params.update(copy.deepcopy(node.params))
    issues = validate_params(spec.params, params)
    if issues:
        raise ParamError(f"{spec.title}: {issues[0].message}", issues[0].param)
    if spec.role == "group":
        _check_group_exists(doc, params["group"])
    return Node(node.id, spec.type, node.name, params, _point(node.position), spec.version)


def _params_with(doc: Document, graph: Graph, node: Node, values: Mapping[str, Any]
                 ) -> dict[str, Any]:
    """``node``'s params updated with ``values``, every value checked; raises if one is bad."""
    spec = doc.catalogue.get(node.type)
    if spec is None:
        raise GraphError(f"{node.name} stands for the unknown block type '{node.type}': its "
                         "parameters cannot be edited")
    for name, value in values.items():
        try:
            spec.param(name).validate(value)
        except KeyError:
            raise ParamError(f"{node.name}: {spec.title} has no parameter '{name}'",
                             name) from None
        except ParamError as error:
            raise ParamError(f"{node.name}: {error}", error.param) from None
    params = copy.deepcopy(node.params)
    params.update(copy.deepcopy(dict(values)))
    if spec.role == "group" and "group" in values:
        _check_group_exists(doc, params["group"])
        _check_not_recursive(doc, graph, Node(node.id, node.type, node.name, params))
    return params


def _check_group_exists(doc: Document, name: Any) -> None:
    graph = doc.graphs.get(name) if isinstance(name, str) else None
    if graph is None or graph.kind != GROUP:
        raise GraphError(f"there is no group definition named {name!r}")


def _check_not_recursive(doc: Document, graph: Graph, node: Node) -> None:
    """Refuses a use of a group inside that group's own definition, at any depth."""
    if node.type != "group" or graph.kind != GROUP:
        return
    used = node.params.get("group")
    if isinstance(used, str) and _holds_group(doc, used, graph.name):
        raise GraphError(f"group '{graph.name}' cannot hold a use of '{used}': the group "
                         "would contain itself")


def _holds_group(doc: Document, outer: str, wanted: str) -> bool:
    """Whether group ``outer`` is ``wanted`` or uses it, at any depth."""
    seen: set[str] = set()
    todo = [outer]
    while todo:
        name = todo.pop()
        if name == wanted:
            return True
        if name in seen or name not in doc.graphs:
            continue
        seen.add(name)
        todo.extend(node.params["group"] for node in doc.graphs[name].nodes.values()
                    if node.type == "group" and isinstance(node.params.get("group"), str))
    return False


def _port_names(doc: Document, node: Node) -> tuple[set[str], set[str]]:
    return ({p.name for p in doc.input_ports(node)}, {p.name for p in doc.output_ports(node)})


def _drop_vanished_wires(doc: Document, journal: _Journal, graph: Graph, node: Node,
                         inputs: set[str], outputs: set[str]) -> None:
    """Removes the wires on ports that ``node`` had (``inputs``, ``outputs``) and lost."""
    now_in, now_out = _port_names(doc, node)
    for edge in graph.edges_of(node.id):
        lost_in = edge.target == node.id and edge.target_port in inputs - now_in
        lost_out = edge.source == node.id and edge.source_port in outputs - now_out
        if lost_in or lost_out:
            journal.remove_edge(graph, edge.id)


def _instance_wires(doc: Document, group: str, kind: str, port: str
                    ) -> Iterator[tuple[Graph, Edge]]:
    """The wires on port ``port`` (an input for group_input) of every use of ``group``."""
    for graph, node in doc.instances_of(group):
        for edge in graph.edges_of(node.id):
            if kind == "group_input":
                end = (edge.target, edge.target_port)
            else:
                end = (edge.source, edge.source_port)
            if end == (node.id, port):
                yield graph, edge


def _drop_instance_wires(doc: Document, journal: _Journal, group: str, kind: str,
                         port: str) -> None:
    for graph, edge in list(_instance_wires(doc, group, kind, port)):
        journal.remove_edge(graph, edge.id)


def _rename_instance_wires(doc: Document, journal: _Journal, group: str, kind: str, old: str,
                           new: str) -> None:
    for graph, edge in list(_instance_wires(doc, group, kind, old)):
        if kind == "group_input":
            renamed = Edge(edge.id, edge.source, edge.source_port, edge.target, new)
        else:
            renamed = Edge(edge.id, edge.source, new, edge.target, edge.target_port)
        journal.replace_edge(graph, renamed)


def _check_convex(graph: Graph, chosen: set[str]) -> None:
    """Refuses a selection with an outside block on a path between two selected blocks.

    Such a block would both feed the group and be fed by it: a cycle through the new block.
    """
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for edge in graph.edges.values():
        children.setdefault(edge.source, []).append(edge.target)
        parents.setdefault(edge.target, []).append(edge.source)
    between = _reach(chosen, children) & _reach(chosen, parents) - chosen
    if between:
        names = ", ".join(graph.nodes[n].name for n in graph.nodes if n in between)
        raise GraphError(f"cannot group: {names} lie(s) on a path between selected blocks; "
                         "select it too")


def _reach(start: set[str], links: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [n for s in start for n in links.get(s, ())]
    while todo:
        node_id = todo.pop()
        if node_id not in seen:
            seen.add(node_id)
            todo.extend(links.get(node_id, ()))
    return seen


def _name_ports(edges: list[Edge], base: Callable[[Edge], str], taken: set[str]
                ) -> dict[tuple[str, str], str]:
    """One port name per distinct source endpoint of ``edges``, named after ``base``."""
    names: dict[tuple[str, str], str] = {}
    for edge in edges:
        key = (edge.source, edge.source_port)
        if key not in names:
            names[key] = _unused(base(edge), taken)
            taken.add(names[key])
    return names


def _unused(base: str, taken: set[str]) -> str:
    """``base`` if it is a free identifier, else ``base2``, ``base3``... (x, x2, x3)."""
    try:
        check_identifier(base, "port name")
    except GraphError:
        base = "port"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}{number}", number + 1
    return candidate


def _fresh_name(graph: Graph, wanted: str) -> str:
    """``wanted`` if it is a valid name free in ``graph``; else a numbered variant of it."""
    try:
        check_identifier(wanted, "node name")
        if graph.node_by_name(wanted) is None:
            return wanted
    except GraphError:
        pass
    stem = wanted.rstrip("0123456789")[:48] or wanted[:48]
    return graph.unique_name(stem)


def _free_graph_name(doc: Document, stem: str) -> str:
    number = 1
    while f"{stem}{number}" in doc.graphs:
        number += 1
    return f"{stem}{number}"


def _definition_of(doc: Document, graph: Graph, instance: Node) -> Graph:
    if instance.type != "group":
        raise GraphError(f"{instance.name} is not a use of a group")
    name = instance.params.get("group")
    definition = doc.graphs.get(name) if isinstance(name, str) else None
    if definition is None or definition.kind != GROUP:
        raise GraphError(f"group {name!r} of {instance.name} does not exist")
    if definition is graph:
        raise GraphError(f"{instance.name} uses the group it is in")
    return definition


def _inlined_source(definition: Graph, edge: Edge, copies: dict[str, str],
                    outer_in: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """Where a definition wire starts once inlined: a copy, or what fed the use's port."""
    node = definition.nodes[edge.source]
    if node.type == "group_input":
        return outer_in.get(node.name)
    if edge.source in copies:
        return copies[edge.source], edge.source_port
    return None


def _inlined_targets(definition: Graph, edge: Edge, copies: dict[str, str],
                     outer_out: list[Edge]) -> list[tuple[str, str]]:
    """Where a definition wire ends once inlined: a copy, or what the use's port fed."""
    node = definition.nodes[edge.target]
    if node.type == "group_output":
        return [(e.target, e.target_port) for e in outer_out if e.source_port == node.name]
    if edge.target in copies:
        return [(copies[edge.target], edge.target_port)]
    return []


# ----- small helpers ----------------------------------------------------------------------------
def _label(verb: str, doc: Document, nodes: Sequence[Node], titles: bool = False) -> str:
    """``Add Dense`` / ``Delete dense1`` / ``Delete 3 blocks``."""
    if len(nodes) != 1:
        return f"{verb} {len(nodes)} blocks"
    node = nodes[0]
    spec = doc.catalogue.get(node.type)
    return f"{verb} {spec.title if titles and spec else node.name}"


def _version(doc: Document, type_id: str) -> int:
    spec = doc.catalogue.get(type_id)
    return 1 if spec is None else spec.version


def _point(value: Any) -> Point:
    try:
        x, y = value
    except (TypeError, ValueError):
        raise GraphError(f"a position is two numbers, not {value!r}") from None
    for v in (x, y):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or abs(v) >= 1e9:
            raise GraphError(f"a position is two finite numbers, not {value!r}")
    return float(x), float(y)


def _centre(nodes: Sequence[Node]) -> Point:
    return (sum(n.position[0] for n in nodes) / len(nodes),
            sum(n.position[1] for n in nodes) / len(nodes))


def _plus(a: Point, b: Point) -> Point:
    return a[0] + b[0], a[1] + b[1]


def _minus(a: Point, b: Point) -> Point:
    return a[0] - b[0], a[1] - b[1]


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number netbuilder accepts")


#: How deep a pasted block's params may nest (real params are at most a list: depth 1).
_MAX_PARAM_DEPTH = 8


def _check_json(value: Any, where: str, depth: int) -> None:
    """Refuses params that JSON allows but no block needs: deep nesting, odd numbers."""
    if depth > _MAX_PARAM_DEPTH:
        raise ValueError(f"{where}: nested more than {_MAX_PARAM_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be texts")
            _check_json(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, where, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: holds a number too large to represent")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        raise ValueError(f"{where}: holds an integer too large for any parameter")
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"{where}: holds a {type(value).__name__}, not a JSON value")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true or false",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


__all__ = [
    "FRAGMENT_FORMAT",
    "MAX_FRAGMENT_NODES",
    "AddNetwork",
    "AddNodes",
    "Command",
    "Connect",
    "Disconnect",
    "Group",
    "MacroCommand",
    "MoveNodes",
    "Paste",
    "Reconnect",
    "RemoveNetwork",
    "RemoveNodes",
    "RenameNetwork",
    "RenameNode",
    "SetParams",
    "UndoStack",
    "Ungroup",
    "check_connection",
    "check_fragment",
    "copy_fragment",
    "fragment_from_text",
    "fragment_to_text",
]
