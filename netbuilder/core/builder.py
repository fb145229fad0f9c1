"""Build graphs in code: the bundled examples, tests and users' scripts use it.

    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[1, 28, 28], name="image")
    x = net.add("conv2d", x, filters=32, kernel_size=3)
    net.add("output", net.add("dense", x, units=10, activation="softmax"))
    net.layout()

Params not given keep the block's defaults; every value is validated as it is set.
"""

from __future__ import annotations

from typing import Any

from netbuilder.core.errors import GraphError, ParamError
from netbuilder.core.graph import NETWORK, Document, Edge, Graph, Node
from netbuilder.core.layout import estimated_block_size, layered_positions

#: An output to wire from: a node (its only output port) or (node, port name).
Source = Node | tuple[Node, str]


class GraphBuilder:
    """Adds nodes and wires to one graph of a document (no undo: for building, not editing)."""

    def __init__(self, doc: Document, name: str, kind: str = NETWORK) -> None:
        self.doc = doc
        self.graph: Graph = doc.graphs[name] if name in doc.graphs else doc.add_graph(name, kind)

    def add(self, type_id: str, *sources: Source, name: str | None = None,
            ports: tuple[str, ...] | None = None, **params: Any) -> Node:
        """Adds a block and wires ``sources`` to its input ports in order.

        Args:
            type_id: the block type.
            *sources: what feeds each input port, in port order.
            name: the node name; by default the type followed by a number (``dense2``).
            ports: the input port names to wire, when not the first ones in order.
            **params: params that differ from the block's defaults.
        """
        spec = self.doc.catalogue[type_id]
        values = spec.default_params()
        for key, value in params.items():
            if key not in values:
                raise ParamError(f"{type_id} has no parameter '{key}'", key)
            values[key] = spec.param(key).validate(value)
        node = Node(self.doc.new_id("n"), spec.type, name or self.graph.unique_name(spec.type),
                    values, (0.0, 0.0), spec.version)
        self.doc.add_node(self.graph, node)
        targets = ports or tuple(port.name for port in self.doc.input_ports(node))
        if len(sources) > len(targets):
            raise GraphError(f"{node.name} has {len(targets)} inputs; got {len(sources)} sources")
        for source, port in zip(sources, targets[: len(sources)], strict=True):
            self.connect(source, node, port)
        return node

    def connect(self, source: Source, target: Node, port: str) -> Edge:
        node, source_port = source if isinstance(source, tuple) else (source, None)
        if source_port is None:
            outputs = self.doc.output_ports(node)
            if len(outputs) != 1:
                raise GraphError(f"{node.name} has several outputs: say which one")
            source_port = outputs[0].name
        edge = Edge(self.doc.new_id("e"), node.id, source_port, target.id, port)
        self.doc.add_edge(self.graph, edge)
        return edge

    def layout(self, origin: tuple[float, float] = (0.0, 0.0)) -> None:
        """Places every node with the layered layout, folded to fit a 1366x768 window."""
        sizes = {}
        for node in self.graph.nodes.values():
            spec = self.doc.catalogue.get(node.type)
            sizes[node.id] = estimated_block_size(
                len(self.doc.input_ports(node)), len(self.doc.output_ports(node)),
                spec.title if spec is not None else node.type, node.name)
        for node_id, position in layered_positions(self.graph, origin, sizes=sizes).items():
            self.graph.nodes[node_id].position = position
