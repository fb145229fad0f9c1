"""Commands for what sits beside the computation: bypass flags and comment frames."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from netbuilder.core.commands.base import Command, _Journal, _JournalCommand
from netbuilder.core.commands.checks import _label, _node_in
from netbuilder.core.errors import GraphError
from netbuilder.core.graph import Document, Frame

FRAME_FIELDS = ("title", "text", "rect", "color")


class SetBypass(_JournalCommand):
    """Bypasses blocks (each hands its first input on unchanged) or restores them.

    Only blocks that compute something can be bypassed: not Inputs, Outputs, losses or
    group ports, and only blocks that have an input and an output.
    """

    def __init__(self, graph: str, node_ids: str | Iterable[str], bypassed: bool) -> None:
        super().__init__("Bypass" if bypassed else "Restore")
        self.graph = graph
        self.node_ids = [node_ids] if isinstance(node_ids, str) else list(dict.fromkeys(node_ids))
        self.bypassed = bool(bypassed)
        if not self.node_ids:
            raise GraphError("no block to bypass")

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        nodes = [_node_in(doc, graph, node_id, "bypass") for node_id in self.node_ids]
        for node in nodes:
            if not can_bypass(doc, node.type, node.params):
                raise GraphError(f"{node.name} cannot be bypassed: only blocks with an input "
                                 "and an output that compute something can")
        for node in nodes:
            if node.bypassed != self.bypassed:
                journal.set_bypassed(graph, node.id, self.bypassed)
        self.text = _label("Bypass" if self.bypassed else "Restore", doc, nodes)


def can_bypass(doc: Document, type_id: str, params: Any) -> bool:
    """True if a block of this type can be bypassed."""
    spec = doc.catalogue.get(type_id)
    return (spec is not None and spec.role in ("layer", "group")
            and bool(spec.role == "group" or (spec.input_ports(params)
                                              and spec.output_ports(params))))


class AddFrame(_JournalCommand):
    """Adds a comment frame; :attr:`frame_id` holds its id after redo."""

    def __init__(self, graph: str, title: str, rect: tuple[float, float, float, float],
                 text: str = "", color: str = "blue") -> None:
        super().__init__("Add frame")
        self.graph = graph
        self.fields: dict[str, Any] = {"title": title, "text": text, "rect": tuple(rect),
                                       "color": color}
        _check_fields(self.fields)
        self.frame_id = ""

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        frame = Frame(self._id(doc, "frame", "f"), **self.fields)
        journal.add_frame(graph, frame)
        self.frame_id = frame.id


class RemoveFrames(_JournalCommand):
    """Deletes comment frames (the blocks inside stay)."""

    def __init__(self, graph: str, frame_ids: Iterable[str]) -> None:
        super().__init__("Delete frame")
        self.graph = graph
        self.frame_ids = list(dict.fromkeys(frame_ids))

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        for frame_id in self.frame_ids:
            if frame_id not in graph.frames:
                raise GraphError(f"'{self.graph}' has no frame '{frame_id}'")
            journal.remove_frame(graph, frame_id)


class EditFrame(_JournalCommand):
    """Changes a frame's title, text, rectangle or colour.

    Successive edits of the same fields of one frame merge (typing a title, dragging its
    edge) into one undo step.
    """

    def __init__(self, graph: str, frame_id: str, **changes: Any) -> None:
        super().__init__("Edit frame")
        if not changes:
            raise GraphError("nothing to change in the frame")
        _check_fields(changes)
        self.graph = graph
        self.frame_id = frame_id
        self.changes = {k: tuple(v) if k == "rect" else v for k, v in changes.items()}
        self.merge_id = ("edit_frame", graph, frame_id, tuple(sorted(changes)))

    def _apply(self, doc: Document, journal: _Journal) -> None:
        graph = doc.graph(self.graph)
        if self.frame_id not in graph.frames:
            raise GraphError(f"'{self.graph}' has no frame '{self.frame_id}'")
        journal.update_frame(graph, self.frame_id, **self.changes)

    def merge_with(self, other: Command) -> bool:
        if not (isinstance(other, EditFrame) and other.merge_id == self.merge_id
                and self._journal is not None and other._journal is not None):
            return False
        self.changes = dict(other.changes)
        self._journal.extend(other._journal)
        return True


def _check_fields(fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key not in FRAME_FIELDS:
            raise GraphError(f"a frame has no field '{key}'")
        if key == "rect":
            if len(value) != 4 or value[2] <= 0 or value[3] <= 0:
                raise GraphError("a frame needs a positive width and height")
        elif not isinstance(value, str):
            raise GraphError(f"a frame's {key} must be a text")
