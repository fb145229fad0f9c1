"""The command protocol, the headless undo stack, and the journal most commands undo with.

:class:`Command` is what every edit implements and :class:`UndoStack` is the headless stand-in
for Qt's ``QUndoStack``. :class:`_JournalCommand` is the base of the commands that apply their
edit through a :class:`_Journal`, which calls the document's mutators and remembers how to
revert each change, so that undo replays the inverses newest first.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any

from netbuilder.core.events import Emitter
from netbuilder.core.graph import GROUP, Document, Edge, Frame, Graph, Node


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

    def set_bypassed(self, graph: Graph, node_id: str, bypassed: bool) -> None:
        old = graph.nodes[node_id].bypassed
        self.doc.set_bypassed(graph, node_id, bypassed)
        self._inverses.append(lambda: self.doc.set_bypassed(graph, node_id, old))

    def add_frame(self, graph: Graph, frame: Frame, index: int | None = None) -> None:
        self.doc.add_frame(graph, frame, index)
        self._inverses.append(lambda: self.doc.remove_frame(graph, frame.id))

    def remove_frame(self, graph: Graph, frame_id: str) -> Frame:
        frame, index = self.doc.remove_frame(graph, frame_id)
        self._inverses.append(lambda: self.doc.add_frame(graph, frame, index))
        return frame

    def update_frame(self, graph: Graph, frame_id: str, **changes: Any) -> None:
        old = self.doc.update_frame(graph, frame_id, **changes)
        self._inverses.append(lambda: self.doc.update_frame(graph, frame_id, **old))


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
