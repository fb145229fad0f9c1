"""Checks and helpers that several command modules share.

:func:`check_connection` is public (a view asks it while the user drags a wire); the private
helpers find nodes and wires or say why they are missing, refuse cycles and recursive groups,
add a batch of blocks with their wires (AddNodes and Paste), and name and label things.
"""

from __future__ import annotations

import copy
import math
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from netbuilder.core.commands.base import _Journal, _JournalCommand
from netbuilder.core.errors import GraphError
from netbuilder.core.flatten import check_expansion
from netbuilder.core.graph import GROUP, Document, Edge, Graph, Node
from netbuilder.core.names import check_node_name

#: A block's position on the canvas, (x, y).
Point = tuple[float, float]

#: Block types that are the ports of a group definition (their names are the port names).
PORT_TYPES = ("group_input", "group_output")


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
    """Adds ``nodes`` (ids are keys) and the ``edges`` among them; returns the new node ids.

    Refuses, before adding any, a batch that would take the document past its caps, and
    after adding, one whose group uses would expand a network past what it may hold.
    """
    first = (nodes[0].name or nodes[0].type) if nodes else ""
    what = f"block {first}" if len(nodes) == 1 else f"{len(nodes):,} blocks"
    doc.check_room(nodes=len(nodes), edges=len(edges), what=what)
    ids: dict[str, str] = {}
    for node in nodes:
        _check_not_recursive(doc, graph, node)
        name = _fresh_name(graph, node.name) if node.name else graph.unique_name(node.type)
        added = Node(command._id(doc, ("node", node.id), "n"), node.type, name,
                     copy.deepcopy(node.params), node.position, node.type_version, node.bypassed)
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
    check_expansion(doc)
    return list(ids.values())


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


def _fresh_name(graph: Graph, wanted: str) -> str:
    """``wanted`` if it is a valid name free in ``graph``; else a numbered variant of it."""
    try:
        check_node_name(wanted)
        if graph.node_by_name(wanted) is None:
            return wanted
    except GraphError:
        pass
    stem = wanted.rstrip("0123456789")[:48] or wanted[:48]
    return graph.unique_name(stem)


def _label(verb: str, doc: Document, nodes: Sequence[Node], titles: bool = False) -> str:
    """``Add Dense`` / ``Delete dense1`` / ``Delete 3 blocks``."""
    if len(nodes) != 1:
        return f"{verb} {len(nodes)} blocks"
    node = nodes[0]
    spec = doc.catalogue.get(node.type)
    return f"{verb} {spec.title if titles and spec else node.name}"


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
