"""Expands group instances into one flat graph, the form that inference and compile read.

A group instance node ``res1`` (id ``n5``) of a group whose definition holds ``conv1`` (id
``n2``) becomes the flat node ``n5/n2`` with the dotted path ``res1.conv1``, which is also its
submodule path in the compiled model. The group's ``group_input`` and ``group_output`` nodes
stay as pass-through nodes so that the instance's ports keep a shape to show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.errors import GraphError
from netbuilder.core.graph import GROUP, Document, Graph, Node

#: How deep groups may nest; deeper is surely a group that contains itself.
MAX_GROUP_DEPTH = 16

#: A graph whose groups expand to more blocks than this is refused (a hostile file could nest
#: groups to expand to billions of blocks). It is counted from the definitions before anything
#: is expanded (:func:`expanded_sizes`), so refusing costs no more than reading them.
MAX_FLAT_NODES = 100_000

#: Expanded sizes stop growing here: 1,000 nested levels of two uses stay a small number.
_SIZE_CEILING = 10**30

#: The port names a pass-through node uses in the flat graph.
PASS_IN, PASS_OUT = "x", "y"


@dataclass(frozen=True)
class FlatNode:
    """A node of the flat graph.

    Attributes:
        id: ``n7`` for a top-level node, ``n5/n2`` inside group instance ``n5``.
        path: dotted Python path (``res1.conv1``); the submodule name when compiled.
        type: the block type id.
        params: the node's params (shared with the document; never mutate).
        origin: id of the node in the analysed graph that this flat node belongs to.
        bypassed: the block passes its first input through (see ``Node.bypassed``).
    """

    id: str
    path: str
    type: str
    params: Mapping[str, Any]
    origin: str
    bypassed: bool = False


@dataclass(frozen=True)
class FlatEdge:
    source: str
    source_port: str
    target: str
    target_port: str
    #: the id of the document edge this came from, when it lies in the analysed graph.
    edge_id: str | None = None


@dataclass
class FlatGraph:
    """The expanded graph plus what the expansion could not resolve."""

    name: str
    nodes: dict[str, FlatNode] = field(default_factory=dict)
    edges: list[FlatEdge] = field(default_factory=list)
    #: (top-level node id, output port) -> (flat node id, flat port), for group instances.
    outputs_of_instance: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    #: origin node id -> messages from expansion (missing group, unknown port, recursion).
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, origin: str, message: str) -> None:
        self.problems.setdefault(origin, []).append(message)


def upstream(flat: FlatGraph, roots: list[str]) -> set[str]:
    """``roots`` and every flat node that one of them depends on through wires."""
    parents: dict[str, list[str]] = {}
    for edge in flat.edges:
        parents.setdefault(edge.target, []).append(edge.source)
    stack = list(roots)
    seen = set(stack)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def flatten(doc: Document, graph: Graph) -> FlatGraph:
    """Expands every group instance of ``graph``, recursively.

    A use whose expansion would take the flat graph past :data:`MAX_FLAT_NODES` is not
    expanded: it stays one node with a problem, found from the sizes of the definitions.
    """
    flat = FlatGraph(graph.name)
    _expand(doc, graph, flat, prefix="", path_prefix="", origin=None, stack=(graph.name,),
            sizes=expanded_sizes(doc))
    return flat


def expanded_sizes(doc: Document) -> dict[str, int]:
    """How many flat nodes each network and group definition of ``doc`` expands to.

    Counted once per definition (memoised, with each use counted), never by expanding, so
    groups that nest groups used many times are sized in time linear in the document. A use
    of a missing group, a bypassed use and a use that contains itself count one node, as
    :func:`flatten` leaves them. Sizes stop growing at a huge ceiling.
    """
    sizes: dict[str, int] = {}
    for name in doc.graphs:
        if name not in sizes:
            _size_from(doc, name, sizes)
    return sizes


def _size_from(doc: Document, root: str, sizes: dict[str, int]) -> None:
    """Fills ``sizes`` for ``root`` and the groups it uses, depth first, without recursion."""
    busy = {root}  # on the current path: a use of one of these is a group containing itself
    stack = [(root, iter(_used_groups(doc, doc.graphs[root])))]
    while stack:
        name, uses = stack[-1]
        child = next(uses, None)
        if child is None:
            stack.pop()
            busy.discard(name)
            sizes[name] = _graph_size(doc, doc.graphs[name], sizes)
        elif child not in sizes and child not in busy:
            busy.add(child)
            stack.append((child, iter(_used_groups(doc, doc.graphs[child]))))


def _used_groups(doc: Document, graph: Graph) -> list[str]:
    names = (_expandable_group(doc, node) for node in graph.nodes.values())
    return list(dict.fromkeys(name for name in names if name is not None))


def _expandable_group(doc: Document, node: Node) -> str | None:
    """The group definition a node expands to, or None (not a use, missing, bypassed)."""
    if node.type != "group" or node.bypassed:
        return None
    name = node.params.get("group")
    graph = doc.graphs.get(name) if isinstance(name, str) else None
    return name if graph is not None and graph.kind == GROUP else None


def _graph_size(doc: Document, graph: Graph, sizes: dict[str, int]) -> int:
    total = 0
    for node in graph.nodes.values():
        group = _expandable_group(doc, node)
        # A use not sized yet is one that contains itself: flatten keeps it as one node.
        total += 1 if group is None else sizes.get(group, 1)
    return min(total, _SIZE_CEILING)


def check_expansion(doc: Document) -> None:
    """Refuses a document with a network or group that expands past :data:`MAX_FLAT_NODES`.

    The loader and the editing commands call it, so that every document they hold can be
    analysed and compiled, and every document the editor saves opens again.

    Raises:
        GraphError: one line naming the graph and its biggest group use.
    """
    graphs = doc.graphs.values()
    if all(g.kind != GROUP for g in graphs) and sum(len(g.nodes) for g in graphs) \
            <= MAX_FLAT_NODES:
        return  # nothing to expand: the common case of every edit stays cheap
    sizes = expanded_sizes(doc)
    for name, graph in doc.graphs.items():
        if sizes[name] <= MAX_FLAT_NODES:
            continue
        what = "network" if graph.kind != GROUP else "group"
        uses = [(sizes.get(g, 1), node.name, g) for node in graph.nodes.values()
                if (g := _expandable_group(doc, node)) is not None]
        detail = ""
        if uses:
            size, user, group = max(uses, key=lambda use: use[0])
            detail = f" ({user} uses group '{group}', {format_count(size)} blocks)"
        raise GraphError(f"{what} '{name}' expands to {format_count(sizes[name])} blocks "
                         f"through its groups, more than the {MAX_FLAT_NODES:,} a network may "
                         f"hold{detail}")


def format_count(count: int) -> str:
    """``12,345`` or, for counts too long to read, ``1.2e+12``."""
    return f"{count:,}" if count < 10**9 else f"{float(count):.2g}"


def _expand(
    doc: Document,
    graph: Graph,
    flat: FlatGraph,
    prefix: str,
    path_prefix: str,
    origin: str | None,
    stack: tuple[str, ...],
    sizes: dict[str, int],
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Adds ``graph``'s nodes and edges to ``flat``.

    Returns the flat endpoints of the graph's group_input nodes (by name, where outer edges
    arrive) and of its group_output nodes (by name, where outer edges leave).
    """
    # For instances inside this graph: node id -> {port: flat endpoint}.
    instance_inputs: dict[str, dict[str, tuple[str, str]]] = {}
    instance_outputs: dict[str, dict[str, tuple[str, str]]] = {}
    entries: dict[str, tuple[str, str]] = {}
    exits: dict[str, tuple[str, str]] = {}

    for node in graph.nodes.values():
        flat_id = prefix + node.id
        node_origin = origin or node.id
        path = path_prefix + node.name
        if node.type == "group":
            group_name = node.params.get("group", "")
            group = doc.graphs.get(group_name) if isinstance(group_name, str) else None
            if group is None or group.kind != "group":
                flat.problem(node_origin, f"group '{group_name}' does not exist")
                flat.nodes[flat_id] = FlatNode(flat_id, path, node.type, node.params, node_origin)
                continue
            if group_name in stack or len(stack) > MAX_GROUP_DEPTH:
                flat.problem(node_origin, f"group '{group_name}' contains itself")
                flat.nodes[flat_id] = FlatNode(flat_id, path, node.type, node.params, node_origin)
                continue
            size = sizes.get(group_name, 1)
            if not node.bypassed and len(flat.nodes) + size > MAX_FLAT_NODES:
                flat.problem(node_origin, _too_big(group_name, size, len(flat.nodes)))
                flat.nodes[flat_id] = FlatNode(flat_id, path, node.type, node.params, node_origin)
                continue
            if node.bypassed:
                inner_in, inner_out = _bypassed_instance(flat, group, flat_id, path, node_origin)
                instance_inputs[node.id] = inner_in
                instance_outputs[node.id] = inner_out
                if origin is None:
                    for port, endpoint in inner_out.items():
                        flat.outputs_of_instance[(node.id, port)] = endpoint
                continue
            inner_in, inner_out = _expand(
                doc, group, flat, flat_id + "/", path + ".", node_origin, stack + (group_name,),
                sizes,
            )
            instance_inputs[node.id] = inner_in
            instance_outputs[node.id] = inner_out
            if origin is None:
                for port, endpoint in inner_out.items():
                    flat.outputs_of_instance[(node.id, port)] = endpoint
            continue
        flat.nodes[flat_id] = FlatNode(flat_id, path, node.type, node.params, node_origin,
                                       node.bypassed)
        if node.type == "group_input":
            entries[node.name] = (flat_id, PASS_IN)
        elif node.type == "group_output":
            exits[node.name] = (flat_id, PASS_OUT)

    for edge in graph.edges.values():
        source = _endpoint(flat, graph, edge.source, edge.source_port, instance_outputs,
                           prefix, origin, "output")
        target = _endpoint(flat, graph, edge.target, edge.target_port, instance_inputs,
                           prefix, origin, "input")
        if source is None or target is None:
            continue
        edge_id = edge.id if origin is None else None
        flat.edges.append(FlatEdge(source[0], source[1], target[0], target[1], edge_id))
    return entries, exits


def _too_big(group: str, size: int, before: int) -> str:
    if size > MAX_FLAT_NODES:
        return (f"group '{group}' expands to {format_count(size)} blocks, more than the "
                f"{MAX_FLAT_NODES:,} a network may hold")
    return (f"group '{group}' ({size:,} blocks) would take the network past the "
            f"{MAX_FLAT_NODES:,} blocks it may hold ({before:,} before it)")


def _bypassed_instance(flat: FlatGraph, group: Graph, flat_id: str, path: str, origin: str
                       ) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """A bypassed group use: its first input goes straight to its first output."""
    through = f"{flat_id}/bypass"
    flat.nodes[through] = FlatNode(through, path, "reroute", {}, origin)
    first_in = next((n.name for n in group.nodes.values() if n.type == "group_input"), None)
    first_out = next((n.name for n in group.nodes.values() if n.type == "group_output"), None)
    entries = {first_in: (through, PASS_IN)} if first_in else {}
    exits = {first_out: (through, PASS_OUT)} if first_out else {}
    return entries, exits


def _endpoint(
    flat: FlatGraph,
    graph: Graph,
    node_id: str,
    port: str,
    instance_ports: dict[str, dict[str, tuple[str, str]]],
    prefix: str,
    origin: str | None,
    direction: str,
) -> tuple[str, str] | None:
    ports = instance_ports.get(node_id)
    if ports is None:
        # A plain node, or a broken use kept as one node: its wires stay, so that the blocks
        # after it get no shape and no problem of their own (the use's problem says why).
        return prefix + node_id, port
    if port not in ports:
        node = graph.nodes[node_id]
        flat.problem(origin or node_id,
                     f"group '{node.params.get('group')}' has no {direction} named '{port}'")
        return None
    return ports[port]
