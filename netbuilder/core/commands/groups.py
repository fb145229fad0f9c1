"""Group blocks into a new group definition, and inline one use of a group (ungroup)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence

from netbuilder.core.commands.base import _Journal, _JournalCommand
from netbuilder.core.commands.checks import PORT_TYPES, Point, _fresh_name, _label, _node_in
from netbuilder.core.errors import GraphError
from netbuilder.core.flatten import check_expansion
from netbuilder.core.graph import GROUP, Document, Edge, Graph, Node
from netbuilder.core.names import check_identifier, check_node_name

#: Roles that cannot move into a group: the network's ends and the group's own ports.
_UNGROUPABLE = ("input", "output", "loss", "group_input", "group_output")
#: Where Group places the port blocks of a new definition, left and right of the selection.
_PORT_MARGIN = 220.0


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
        check_expansion(doc)  # the new port blocks count in every use of ``graph``
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
                        _plus(node.position, shift), node.type_version, node.bypassed)
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
        check_node_name(base, "port name")
    except GraphError:
        base = "port"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}{number}", number + 1
    return candidate


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


def _version(doc: Document, type_id: str) -> int:
    spec = doc.catalogue.get(type_id)
    return 1 if spec is None else spec.version


def _centre(nodes: Sequence[Node]) -> Point:
    return (sum(n.position[0] for n in nodes) / len(nodes),
            sum(n.position[1] for n in nodes) / len(nodes))


def _plus(a: Point, b: Point) -> Point:
    return a[0] + b[0], a[1] + b[1]


def _minus(a: Point, b: Point) -> Point:
    return a[0] - b[0], a[1] - b[1]
