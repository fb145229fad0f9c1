"""Layered left-to-right layout: inputs on the left, outputs on the right, few crossings.

Used for the bundled examples, for graphs imported from code and by the editor's
auto-layout. Pure Python; positions are the nodes' top-left corners in scene units.
"""

from __future__ import annotations

from netbuilder.core.graph import Graph

#: Horizontal distance between layers and vertical distance between nodes of one layer.
LAYER_SPACING = 280.0
ROW_SPACING = 130.0


def layered_positions(graph: Graph, origin: tuple[float, float] = (0.0, 0.0)
                      ) -> dict[str, tuple[float, float]]:
    """Positions for every node: layer by longest path from a source, rows by barycentre."""
    parents: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    children: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for edge in graph.edges.values():
        parents[edge.target].append(edge.source)
        children[edge.source].append(edge.target)

    layer: dict[str, int] = {}
    for node_id in _topological(graph, parents, children):
        layer[node_id] = 1 + max((layer[p] for p in parents[node_id] if p in layer), default=-1)

    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:  # document order breaks ties
        columns.setdefault(layer.get(node_id, 0), []).append(node_id)
    _route_long_edges(graph, layer, columns, parents)

    row: dict[str, float] = {}
    for index in sorted(columns):
        column = columns[index]
        if index > 0:
            # Barycentre ordering: a node sits near the mean row of its parents.
            before = {node_id: float(i) for i, node_id in enumerate(column)}
            column.sort(key=lambda n: _mean([row[p] for p in parents[n] if p in row],
                                            default=before[n]))
        for position, node_id in enumerate(column):
            row[node_id] = position - (len(column) - 1) / 2

    x0, y0 = origin
    return {node_id: (x0 + layer.get(node_id, 0) * LAYER_SPACING, y0 + row[node_id] * ROW_SPACING)
            for node_id in graph.nodes}


def _route_long_edges(graph: Graph, layer: dict[str, int], columns: dict[int, list[str]],
                      parents: dict[str, list[str]]) -> None:
    """Gives each wire that skips layers a place of its own in the layers it crosses.

    A residual connection would otherwise be drawn straight through the blocks between its
    ends. Each skipped layer gets a placeholder row (after the layer's blocks, so they keep
    the straight line and the wire runs beside them); placeholders take part in the ordering
    like blocks and are dropped from the result.
    """
    for edge in graph.edges.values():
        start, end = layer.get(edge.source, 0), layer.get(edge.target, 0)
        previous = edge.source
        for crossed in range(start + 1, end):
            placeholder = f"{edge.id}/{crossed}"
            parents[placeholder] = [previous]
            columns.setdefault(crossed, []).append(placeholder)
            previous = placeholder
        if end - start > 1:
            parents[edge.target] = [previous if p == edge.source else p
                                    for p in parents[edge.target]]


def _topological(graph: Graph, parents: dict[str, list[str]],
                 children: dict[str, list[str]]) -> list[str]:
    """Kahn's order; nodes on a cycle come last in document order (layout must not fail)."""
    pending = {node_id: len(set(parents[node_id])) for node_id in graph.nodes}
    ready = [node_id for node_id, count in pending.items() if count == 0]
    order: list[str] = []
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for child in dict.fromkeys(children[node_id]):
            pending[child] -= 1
            if pending[child] == 0:
                ready.append(child)
    placed = set(order)
    return order + [node_id for node_id in graph.nodes if node_id not in placed]


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default
