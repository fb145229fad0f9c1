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

from netbuilder.core.graph import Document, Graph

#: How deep groups may nest; deeper is surely a group that contains itself.
MAX_GROUP_DEPTH = 16

#: A graph whose groups expand to more blocks than this is refused (a hostile file could nest
#: groups to expand to billions of blocks).
MAX_FLAT_NODES = 100_000

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
    """Expands every group instance of ``graph``, recursively."""
    flat = FlatGraph(graph.name)
    _expand(doc, graph, flat, prefix="", path_prefix="", origin=None, stack=(graph.name,))
    return flat


def _expand(
    doc: Document,
    graph: Graph,
    flat: FlatGraph,
    prefix: str,
    path_prefix: str,
    origin: str | None,
    stack: tuple[str, ...],
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
            if len(flat.nodes) + len(group.nodes) > MAX_FLAT_NODES:
                flat.problem(node_origin, f"group '{group_name}' expands to more than "
                             f"{MAX_FLAT_NODES:,} blocks")
                flat.nodes[flat_id] = FlatNode(flat_id, path, node.type, node.params, node_origin)
                continue
            if group_name in stack or len(stack) > MAX_GROUP_DEPTH:
                flat.problem(node_origin, f"group '{group_name}' contains itself")
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
                doc, group, flat, flat_id + "/", path + ".", node_origin, stack + (group_name,)
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
        if graph.nodes[node_id].type == "group":
            return None  # the instance is broken; its problem is already recorded
        return prefix + node_id, port
    if port not in ports:
        node = graph.nodes[node_id]
        flat.problem(origin or node_id,
                     f"group '{node.params.get('group')}' has no {direction} named '{port}'")
        return None
    return ports[port]
