"""The graph document: named networks and reusable groups of nodes joined by edges.

The store is plain Python: insertion-ordered dicts keyed by stable ids (``n7``, ``e12``)
drawn from one counter that the file saves. Mutators here change the model and emit an
event; they know nothing about undo (``core.commands`` does) or views (they subscribe).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netbuilder.core.blockspec import Catalogue, PortSpec
from netbuilder.core.errors import GraphError
from netbuilder.core.events import Emitter
from netbuilder.core.names import check_identifier, check_node_name, name_stem
from netbuilder.core.text import check_text

__all__ = ["GROUP", "NETWORK", "Document", "Edge", "Frame", "Graph", "Node", "check_identifier",
           "check_node_name"]

#: The kind of a graph in a document.
NETWORK = "network"
GROUP = "group"

#: The most blocks, wires and comment frames one document may hold, over all its networks and
#: groups. The loader refuses a file above them and the mutators below refuse an edit that
#: would pass them, so that paste, duplicate or a script cannot build what would not load.
MAX_NODES = 100_000
MAX_EDGES = 400_000
MAX_FRAMES = 10_000


@dataclass
class Node:
    """One block placed in a graph.

    Attributes:
        id: stable id, unique in the document (``"n7"``).
        type: block type id from the catalogue.
        name: a Python identifier unique in its graph; names the submodule and the code.
        params: parameter values, JSON-safe.
        position: top-left corner on the canvas, in scene units.
        type_version: the block version the params were written for.
        bypassed: the block passes its first input through unchanged (a quick ablation).
    """

    id: str
    type: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)
    type_version: int = 1
    bypassed: bool = False

    def clone(self) -> Node:
        return Node(
            self.id, self.type, self.name, copy.deepcopy(self.params), self.position,
            self.type_version, self.bypassed,
        )


@dataclass
class Frame:
    """A titled box with a comment, drawn behind the nodes it surrounds.

    Attributes:
        id: stable id from the document counter (``"f9"``).
        title: the heading on the frame.
        text: a longer comment (plain text).
        rect: x, y, width, height in scene units.
        color: a colour name the theme knows (``"blue"``) or ``#rrggbb``.
    """

    id: str
    title: str = ""
    text: str = ""
    rect: tuple[float, float, float, float] = (0.0, 0.0, 300.0, 200.0)
    color: str = "blue"


@dataclass(frozen=True)
class Edge:
    """A wire from an output port of one node to an input port of another."""

    id: str
    source: str
    source_port: str
    target: str
    target_port: str


class Graph:
    """The nodes and edges of one network or one group definition."""

    def __init__(self, name: str, kind: str = NETWORK) -> None:
        self.name = name
        self.kind = kind
        self.nodes: dict[str, Node] = {}
        self.edges: dict[str, Edge] = {}
        self.frames: dict[str, Frame] = {}

    def node_by_name(self, name: str) -> Node | None:
        for node in self.nodes.values():
            if node.name == name:
                return node
        return None

    def edges_of(self, node_id: str) -> list[Edge]:
        """Every edge that starts or ends at ``node_id``, in document order."""
        return [e for e in self.edges.values() if node_id in (e.source, e.target)]

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges.values() if e.target == node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges.values() if e.source == node_id]

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        for edge in self.edges.values():
            if edge.target == node_id and edge.target_port == port:
                return edge
        return None

    def unique_name(self, base: str) -> str:
        """``base`` followed by the smallest number that no node of this graph uses."""
        stem = name_stem(base)
        taken = {node.name for node in self.nodes.values()}
        index = 1
        while f"{stem}{index}" in taken:
            index += 1
        return f"{stem}{index}"


class Document:
    """A netbuilder document: networks, group definitions, training settings, view state.

    Args:
        catalogue: the block types this document's nodes refer to.

    Events (emitted on :attr:`events`): ``graph_added(graph, index)``, ``graph_removed(graph)``,
    ``graph_renamed(graph, old)``, ``node_added(graph, node, index)``,
    ``node_removed(graph, node)``, ``edge_added(graph, edge, index)``,
    ``edge_removed(graph, edge)``, ``params_changed(graph, node)``,
    ``node_moved(graph, node)``, ``node_renamed(graph, node, old)``,
    ``node_bypassed(graph, node)``, ``frame_added(graph, frame, index)``,
    ``frame_removed(graph, frame)``, ``frame_changed(graph, frame)``,
    ``settings_changed(key)``. ``graph`` is the :class:`Graph` object.
    """

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.graphs: dict[str, Graph] = {}
        self.training: dict[str, Any] = {}
        self.view: dict[str, Any] = {}
        self.metadata: dict[str, Any] = {}
        self.next_id = 1
        self.events = Emitter()
        #: Where the document was loaded from or last saved to (not written to the file).
        self.path: Path | None = None

    # ----- lookup -------------------------------------------------------------------------
    @property
    def networks(self) -> dict[str, Graph]:
        return {name: g for name, g in self.graphs.items() if g.kind == NETWORK}

    @property
    def groups(self) -> dict[str, Graph]:
        return {name: g for name, g in self.graphs.items() if g.kind == GROUP}

    def graph(self, name: str) -> Graph:
        try:
            return self.graphs[name]
        except KeyError:
            raise GraphError(f"the document has no network or group named '{name}'") from None

    def network(self, name: str | None = None) -> Graph:
        """The network called ``name``; with no name, the only (or first) network."""
        networks = self.networks
        if name is None:
            if not networks:
                raise GraphError("the document has no network")
            return next(iter(networks.values()))
        graph = self.graph(name)
        if graph.kind != NETWORK:
            raise GraphError(f"'{name}' is a group, not a network")
        return graph

    def iter_nodes(self) -> Iterator[tuple[Graph, Node]]:
        for graph in self.graphs.values():
            for node in graph.nodes.values():
                yield graph, node

    def find_node(self, node_id: str) -> tuple[Graph, Node]:
        for graph in self.graphs.values():
            node = graph.nodes.get(node_id)
            if node is not None:
                return graph, node
        raise GraphError(f"no node with id '{node_id}'")

    def instances_of(self, group: str) -> list[tuple[Graph, Node]]:
        """Every node of type ``group`` whose params name the group definition ``group``."""
        return [(graph, node) for graph, node in self.iter_nodes()
                if node.type == "group" and node.params.get("group") == group]

    def new_id(self, prefix: str) -> str:
        """A fresh id (``n12``, ``e13``); the counter is saved so ids never repeat."""
        value = f"{prefix}{self.next_id}"
        self.next_id += 1
        return value

    def input_ports(self, node: Node) -> tuple[PortSpec, ...]:
        """The node's input ports; () for an unknown type. Group instances ask the group."""
        spec = self.catalogue.get(node.type)
        if spec is None:
            return ()
        if spec.role == "group":
            group = self.graphs.get(node.params.get("group", ""))
            if group is None:
                return ()
            return tuple(
                PortSpec(n.name) for n in group.nodes.values() if n.type == "group_input"
            )
        return spec.input_ports(node.params)

    def output_ports(self, node: Node) -> tuple[PortSpec, ...]:
        spec = self.catalogue.get(node.type)
        if spec is None:
            return ()
        if spec.role == "group":
            group = self.graphs.get(node.params.get("group", ""))
            if group is None:
                return ()
            return tuple(
                PortSpec(n.name) for n in group.nodes.values() if n.type == "group_output"
            )
        return spec.output_ports(node.params)

    def check_room(self, nodes: int = 0, edges: int = 0, frames: int = 0, what: str = "it"
                   ) -> None:
        """Raises GraphError unless the document can take this many more of each.

        Args:
            nodes: blocks about to be added.
            edges: wires about to be added.
            frames: comment frames about to be added.
            what: names what is being added, for the message ("block dense3", "12 blocks").
        """
        for count, limit, noun, attribute in ((nodes, MAX_NODES, "blocks", "nodes"),
                                              (edges, MAX_EDGES, "wires", "edges"),
                                              (frames, MAX_FRAMES, "frames", "frames")):
            if not count:
                continue
            held = sum(len(getattr(g, attribute)) for g in self.graphs.values())
            if held + count > limit:
                raise GraphError(f"cannot add {what}: the document holds {held:,} {noun} and "
                                 f"may hold at most {limit:,}")

    # ----- mutators (no undo here; commands call these) -----------------------------------
    def add_graph(self, name: str, kind: str = NETWORK, index: int | None = None) -> Graph:
        check_identifier(name, "network name")
        if name in self.graphs:
            raise GraphError(f"a network or group named '{name}' already exists")
        graph = Graph(name, kind)
        self.graphs = _insert(self.graphs, name, graph, index)
        self.events.emit("graph_added", graph=graph, index=list(self.graphs).index(name))
        return graph

    def remove_graph(self, name: str) -> tuple[Graph, int]:
        graph = self.graph(name)
        index = list(self.graphs).index(name)
        del self.graphs[name]
        self.events.emit("graph_removed", graph=graph)
        return graph, index

    def restore_graph(self, graph: Graph, index: int) -> None:
        self.graphs = _insert(self.graphs, graph.name, graph, index)
        self.events.emit("graph_added", graph=graph, index=list(self.graphs).index(graph.name))

    def rename_graph(self, old: str, new: str) -> None:
        check_identifier(new, "network name")
        if new in self.graphs:
            raise GraphError(f"a network or group named '{new}' already exists")
        graph = self.graph(old)
        graph.name = new
        self.graphs = {(new if k == old else k): v for k, v in self.graphs.items()}
        renamed_uses = []
        if graph.kind == GROUP:
            for owner, node in self.instances_of(old):
                node.params["group"] = new
                renamed_uses.append((owner, node))
        self.events.emit("graph_renamed", graph=graph, old=old)
        for owner, node in renamed_uses:
            # Each use now names the group differently: views refresh it like any edit.
            self.events.emit("params_changed", graph=owner, node=node)

    def add_node(self, graph: Graph, node: Node, index: int | None = None) -> None:
        if any(node.id in g.nodes for g in self.graphs.values()):
            raise GraphError(f"node id '{node.id}' is already used")
        self.check_room(nodes=1, what=f"block {node.name}")
        check_node_name(node.name)
        check_text({"type": node.type, "params": node.params}, node.name)
        if graph.node_by_name(node.name) is not None:
            raise GraphError(f"'{graph.name}' already has a node named '{node.name}'")
        graph.nodes = _insert(graph.nodes, node.id, node, index)
        self.events.emit("node_added", graph=graph, node=node, index=index)

    def remove_node(self, graph: Graph, node_id: str) -> tuple[Node, int]:
        """Removes a node that has no edges left; returns it and its index for undo."""
        if graph.edges_of(node_id):
            raise GraphError(f"node '{node_id}' still has edges; remove them first")
        node = graph.nodes[node_id]
        index = list(graph.nodes).index(node_id)
        del graph.nodes[node_id]
        self.events.emit("node_removed", graph=graph, node=node)
        return node, index

    def add_edge(self, graph: Graph, edge: Edge, index: int | None = None) -> None:
        for end in (edge.source, edge.target):
            if end not in graph.nodes:
                raise GraphError(f"edge {edge.id} refers to node '{end}', not in '{graph.name}'")
        if graph.edge_into(edge.target, edge.target_port) is not None:
            target = graph.nodes[edge.target].name
            raise GraphError(f"input '{edge.target_port}' of {target} is already connected")
        self.check_room(edges=1, what=f"wire {edge.id}")
        check_text([edge.source_port, edge.target_port], f"edge {edge.id} ports")
        graph.edges = _insert(graph.edges, edge.id, edge, index)
        self.events.emit("edge_added", graph=graph, edge=edge, index=index)

    def remove_edge(self, graph: Graph, edge_id: str) -> tuple[Edge, int]:
        edge = graph.edges[edge_id]
        index = list(graph.edges).index(edge_id)
        del graph.edges[edge_id]
        self.events.emit("edge_removed", graph=graph, edge=edge)
        return edge, index

    def set_params(self, graph: Graph, node_id: str, params: dict[str, Any]) -> None:
        node = graph.nodes[node_id]
        check_text(params, f"{node.name} params")
        node.params = copy.deepcopy(params)
        self.events.emit("params_changed", graph=graph, node=node)

    def move_node(self, graph: Graph, node_id: str, position: tuple[float, float]) -> None:
        node = graph.nodes[node_id]
        node.position = (float(position[0]), float(position[1]))
        self.events.emit("node_moved", graph=graph, node=node)

    def rename_node(self, graph: Graph, node_id: str, name: str) -> None:
        check_node_name(name)
        node = graph.nodes[node_id]
        other = graph.node_by_name(name)
        if other is not None and other is not node:
            raise GraphError(f"'{graph.name}' already has a node named '{name}'")
        old, node.name = node.name, name
        self.events.emit("node_renamed", graph=graph, node=node, old=old)

    def set_bypassed(self, graph: Graph, node_id: str, bypassed: bool) -> None:
        node = graph.nodes[node_id]
        node.bypassed = bool(bypassed)
        self.events.emit("node_bypassed", graph=graph, node=node)

    def add_frame(self, graph: Graph, frame: Frame, index: int | None = None) -> None:
        if any(frame.id in g.frames for g in self.graphs.values()):
            raise GraphError(f"frame id '{frame.id}' is already used")
        self.check_room(frames=1, what=f"frame {frame.id}")
        check_text([frame.title, frame.text, frame.color], f"frame {frame.id}")
        graph.frames = _insert(graph.frames, frame.id, frame, index)
        self.events.emit("frame_added", graph=graph, frame=frame, index=index)

    def remove_frame(self, graph: Graph, frame_id: str) -> tuple[Frame, int]:
        frame = graph.frames[frame_id]
        index = list(graph.frames).index(frame_id)
        del graph.frames[frame_id]
        self.events.emit("frame_removed", graph=graph, frame=frame)
        return frame, index

    def update_frame(self, graph: Graph, frame_id: str, **changes: Any) -> dict[str, Any]:
        """Changes fields of a frame; returns their old values (for undo)."""
        frame = graph.frames[frame_id]
        check_text(changes, f"frame {frame_id}")
        old = {key: getattr(frame, key) for key in changes}
        for key, value in changes.items():
            if key not in ("title", "text", "rect", "color"):
                raise GraphError(f"a frame has no field '{key}'")
            setattr(frame, key, tuple(value) if key == "rect" else value)
        self.events.emit("frame_changed", graph=graph, frame=frame)
        return old

    def set_setting(self, section: str, key: str, value: Any) -> None:
        """Sets ``training[key]`` or ``view[key]``; ``None`` removes the key."""
        store = {"training": self.training, "view": self.view, "metadata": self.metadata}[section]
        check_text({key: value}, section)
        if value is None:
            store.pop(key, None)
        else:
            store[key] = copy.deepcopy(value)
        self.events.emit("settings_changed", section=section, key=key)


def _insert(mapping: dict[str, Any], key: str, value: Any, index: int | None) -> dict[str, Any]:
    """A copy of ``mapping`` with ``key`` inserted at ``index`` (appended when None)."""
    if (index is None or index >= len(mapping)) and key not in mapping:
        mapping[key] = value  # the common case (appending) stays O(1)
        return mapping
    items = [(k, v) for k, v in mapping.items() if k != key]
    if index is None or index >= len(items):
        items.append((key, value))
    else:
        items.insert(index, (key, value))
    return dict(items)
