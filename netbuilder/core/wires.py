"""Wires as the editor draws and deletes them: which may be drawn, and which must be.

:func:`wire_problem` is what a canvas asks while the user drags a wire: the graph's own rules
(:func:`~netbuilder.core.commands.check_connection`) first, then the shapes the wire would
carry, judged on the latest shape inference. :func:`wire_takers` says which block types a wire
dropped on empty canvas can go to. :func:`reroute_bridges` is what deleting keeps: the wires
that let a signal still flow when reroute points on its path go.
"""

from __future__ import annotations

from collections.abc import Callable

from netbuilder.core.blockspec import BlockSpec
from netbuilder.core.commands import check_connection
from netbuilder.core.errors import GraphError, NetbuilderError, ParamError, ShapeError
from netbuilder.core.graph import Document, Graph
from netbuilder.core.inference import Analysis

#: A wire that keeps a signal flowing: (source, source port, target, target port).
Bridge = tuple[str, str, str, str]

#: The roles whose shape rule judges an incoming wire (the others take any tensor).
_JUDGED_ROLES = ("layer", "loss", "output")


def wire_problem(doc: Document, graph: Graph, analysis: Analysis | None, source: str,
                 source_port: str, target: str, target_port: str,
                 ignore: str | None = None) -> str | None:
    """Why a wire from ``source`` to ``target`` cannot be drawn, or None if it can.

    Structural refusals (direction, cycles, other graphs) come from the core's connection
    check. Beyond those, a wire is refused when the target's shape rule rejects it for a
    reason no parameter can fix (a wrong rank or dtype); a mismatch a parameter can fix is
    allowed (the editor shows it as an error badge).

    A wire already on the target input does not count: the new one replaces it. ``ignore``
    names a wire whose target end is being moved; it cannot take part in a cycle through the
    new wire (it leaves the same source), so only the occupant needs ignoring when there is
    one.
    """
    occupant = graph.edge_into(target, target_port)
    try:
        check_connection(doc, graph, source, source_port, target, target_port,
                         ignore=occupant.id if occupant is not None else ignore)
    except GraphError as error:
        return str(error)
    return shape_problem(doc, graph, analysis, source, source_port, target, target_port)


def shape_problem(doc: Document, graph: Graph, analysis: Analysis | None, source: str,
                  source_port: str, target: str, target_port: str) -> str | None:
    """Why the target's shape rule refuses what the wire would bring, or None.

    Only a refusal that no parameter can fix counts; so does nothing while the shapes are
    not all known yet (no analysis, an unknown incoming shape, another input not wired).
    """
    node = graph.nodes[target]
    spec = doc.catalogue.get(node.type)
    if analysis is None or spec is None or spec.role not in _JUDGED_ROLES:
        return None
    incoming = analysis.output_spec(source, source_port)
    if incoming is None:
        return None
    inputs = {}
    for port in spec.input_ports(node.params):
        if port.name == target_port:
            inputs[port.name] = incoming
            continue
        edge = graph.edge_into(target, port.name)
        other = analysis.output_spec(edge.source, edge.source_port) if edge else None
        if other is None:
            return None  # not all inputs known yet: nothing to judge
        inputs[port.name] = other
    try:
        spec.infer_outputs(node.params, inputs)
    except ShapeError as error:
        if error.param is None:
            return f"{node.name} cannot take {incoming}: {error}"
    except (ParamError, NetbuilderError, ValueError, TypeError):
        return None  # the block's own problem, shown on its badge; not the wire's
    return None


def wire_takers(analysis: Analysis | None, node_id: str, port: str, from_output: bool
                ) -> Callable[[BlockSpec], bool]:
    """Which block types can take a wire dropped on empty canvas (by their default params).

    Args:
        analysis: the latest shape inference of the wire's graph, if any.
        node_id, port: the fixed end of the wire.
        from_output: True if that end is an output port (the new block takes the wire on
            its first input), False for an input port (the new block feeds it).

    Returns:
        A test for the quick-add list: a block needs a port on the right side; fed by a known
        shape into its only input, its shape rule must not refuse that shape for a reason no
        parameter can fix.
    """
    incoming = analysis.output_spec(node_id, port) if analysis is not None and from_output \
        else None

    def takes(spec: BlockSpec) -> bool:
        params = spec.default_params()
        ports = spec.input_ports(params) if from_output else spec.output_ports(params)
        if not ports:
            return False
        if incoming is None or len(spec.input_ports(params)) != 1:
            return True
        try:
            spec.infer_outputs(params, {ports[0].name: incoming})
        except ShapeError as error:
            return error.param is not None  # a parameter can make it fit
        except Exception:  # a rule tripping on an odd input: leave the block out
            return False
        return True
    return takes


def reroute_bridges(doc: Document, graph: Graph, node_ids: list[str], edge_ids: list[str]
                    ) -> list[Bridge]:
    """The wires that keep a signal flowing when reroute points on its path are deleted.

    Args:
        doc: the document (its catalogue says which nodes are reroute points).
        graph: the network or group the deletion happens in.
        node_ids: the nodes being deleted.
        edge_ids: the wires being deleted themselves (they are not bridged).

    Returns:
        For each chain source -> deleted reroute points -> target whose ends both stay and
        whose wires are not deleted themselves, one wire (source, source port, target,
        target port), in the graph's wire order.
    """
    doomed, cut = set(node_ids), set(edge_ids)
    is_reroute = {n: _role(doc, graph, n) == "reroute" for n in doomed}
    bridges = []
    for edge in graph.edges.values():
        if edge.id in cut or edge.source in doomed or not is_reroute.get(edge.target):
            continue
        for target, target_port in _ends_past(graph, edge.target, doomed, cut, is_reroute):
            bridges.append((edge.source, edge.source_port, target, target_port))
    return bridges


def _ends_past(graph: Graph, reroute: str, doomed: set[str], cut: set[str],
               is_reroute: dict[str, bool]) -> list[tuple[str, str]]:
    """The surviving inputs that deleted reroute points starting at ``reroute`` feed."""
    ends, todo, seen = [], [reroute], set()
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        for edge in graph.outgoing(node_id):
            if edge.id in cut:
                continue
            if edge.target not in doomed:
                ends.append((edge.target, edge.target_port))
            elif is_reroute.get(edge.target):
                todo.append(edge.target)
    return ends


def _role(doc: Document, graph: Graph, node_id: str) -> str | None:
    spec = doc.catalogue.get(graph.nodes[node_id].type)
    return spec.role if spec is not None else None
