"""Commands that edit blocks and wires within one network or group definition."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from netbuilder.core.commands.base import Command, _Journal, _JournalCommand
from netbuilder.core.commands.checks import (
    PORT_TYPES,
    Point,
    _add_batch,
    _check_not_recursive,
    _edge_in,
    _label,
    _node_in,
    _point,
    check_connection,
)
from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.flatten import check_expansion
from netbuilder.core.graph import GROUP, Document, Edge, Graph, Node
from netbuilder.core.params import validate_params


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
        if "group" in self.values:
            check_expansion(doc)  # a use now of a bigger group
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
