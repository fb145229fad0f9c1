"""Shape inference: every node's output shapes, parameter counts and problems.

Inference is error-tolerant: a broken node gets a diagnostic, the nodes downstream of it get
no shape (and no diagnostic of their own), and every other node still gets its shapes. Results
of a block's shape rule are cached by (type, params, input shapes), so that re-inference after
one edit costs little more than walking the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from netbuilder.core.blockspec import BlockSpec, Catalogue
from netbuilder.core.budget import DEFAULT_MAX_PARAMS, describe_excess, find_excess, param_budget
from netbuilder.core.errors import GraphError, NetbuilderError, ParamError, ShapeError
from netbuilder.core.flatten import PASS_IN, PASS_OUT, FlatGraph, FlatNode, flatten
from netbuilder.core.graph import NETWORK, Document, Graph
from netbuilder.core.params import validate_params
from netbuilder.core.tensor import TensorSpec

ERROR, WARNING = "error", "warning"

#: Blocks that hand their input on unchanged: group ports and wire reroute points.
PASS_THROUGH_ROLES = ("group_input", "group_output", "reroute")


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in a graph, attached to the node that causes it.

    Attributes:
        graph: the network or group name.
        node: id of the node to blame (None for a problem of the whole graph).
        message: what is wrong, in the user's terms.
        param: the parameter to blame, when one is.
        severity: ``"error"`` (the graph cannot compile) or ``"warning"``.
    """

    graph: str
    node: str | None
    message: str
    param: str | None = None
    severity: str = ERROR


@dataclass
class NodeInfo:
    """What inference learned about one node."""

    inputs: dict[str, TensorSpec] = field(default_factory=dict)
    outputs: dict[str, TensorSpec] = field(default_factory=dict)
    params: int = 0
    macs: int = 0


@dataclass
class Analysis:
    """Inference results for one graph.

    Attributes:
        graph: the analysed network or group name.
        nodes: top-level node id -> info (a group instance sums its inner nodes).
        flat: flat node id -> info, for the compiler and the summary of groups.
        diagnostics: every problem found, errors first in graph order.
        order: flat node ids in a topological order (nodes on cycles left out).
        flat_graph: the expanded graph that was analysed.
        built: for a network, the flat node ids that lead to an Output or a loss: what the
            compiler builds (the rest is left out of the model).
    """

    graph: str
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    flat: dict[str, NodeInfo] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    flat_graph: FlatGraph | None = None
    built: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total_params(self) -> int:
        return sum(info.params for info in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(info.macs for info in self.nodes.values())

    @property
    def built_params(self) -> int:
        """Parameters of the blocks the compiler builds (see :attr:`built`)."""
        return sum(self.flat[n].params for n in self.built if n in self.flat)

    @property
    def built_macs(self) -> int:
        return sum(self.flat[n].macs for n in self.built if n in self.flat)

    def output_spec(self, node_id: str, port: str) -> TensorSpec | None:
        """The spec on an output port: what a wire leaving it carries (None if unknown)."""
        info = self.nodes.get(node_id)
        return None if info is None else info.outputs.get(port)

    def diagnostics_for(self, node_id: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.node == node_id]


class ShapeCache:
    """Memo of shape-rule results keyed by (type, params, input specs)."""

    def __init__(self, limit: int = 50_000) -> None:
        self._store: dict[Any, tuple[dict[str, TensorSpec], int, int] | NetbuilderError] = {}
        self._limit = limit

    def run(self, spec: BlockSpec, params: Mapping[str, Any], inputs: dict[str, TensorSpec]
            ) -> tuple[dict[str, TensorSpec], int, int]:
        key = (spec.type, _freeze(params), tuple(sorted(inputs.items())))
        hit = self._store.get(key)
        if hit is None:
            hit = _run_rule(spec, params, inputs)
            if len(self._store) >= self._limit:
                self._store.clear()
            self._store[key] = hit
        if isinstance(hit, NetbuilderError):
            raise hit
        return hit


def _run_rule(spec: BlockSpec, params: Mapping[str, Any], inputs: dict[str, TensorSpec]
              ) -> tuple[dict[str, TensorSpec], int, int] | NetbuilderError:
    try:
        outputs = spec.infer_outputs(params, inputs)
        return outputs, spec.count_params(params, inputs, outputs), \
            spec.count_macs(params, inputs, outputs)
    except (ShapeError, ParamError) as error:
        return error
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as error:
        # A shape rule that trips on an odd value must not take the editor down with it.
        return ShapeError(f"cannot compute the output shape ({error})")


def analyse(doc: Document, graph: Graph | str, cache: ShapeCache | None = None,
            group_inputs: Mapping[str, TensorSpec] | None = None) -> Analysis:
    """Infers shapes for one network or group and collects its diagnostics.

    Args:
        doc: the document.
        graph: the network or group definition (or its name).
        cache: shape-rule results to reuse between runs.
        group_inputs: for a group definition, the specs that reach its ``group_input``
            blocks, by name (see :func:`group_context`); without them the definition's
            shapes are unknown, since they come from its uses.
    """
    if isinstance(graph, str):
        graph = doc.graph(graph)
    cache = cache or ShapeCache()
    flat = flatten(doc, graph)
    result = Analysis(graph.name, flat_graph=flat)
    _Inferencer(doc.catalogue, graph, flat, cache, result, group_inputs or {}).run()
    _summarise_instances(graph, flat, result)
    if graph.kind == NETWORK:
        _check_network_structure(doc, graph, flat, result)
    rank = {node_id: index for index, node_id in enumerate(graph.nodes)}
    result.diagnostics.sort(
        key=lambda d: (d.severity != ERROR, -1 if d.node is None else rank.get(d.node, len(rank)))
    )
    return result


def group_context(doc: Document, group: str, analyses: Mapping[str, Analysis]
                  ) -> dict[str, TensorSpec] | None:
    """The input specs of the first use of ``group`` found in the analysed networks.

    Shows a group definition with real shapes: those of its first use, in document order.
    """
    for name, analysis in analyses.items():
        graph = doc.graphs.get(name)
        if graph is None or graph.kind != NETWORK:
            continue
        for node in graph.nodes.values():
            if node.type == "group" and node.params.get("group") == group:
                info = analysis.nodes.get(node.id)
                if info is not None and info.inputs:
                    return dict(info.inputs)
    return None


def analyse_document(doc: Document, cache: ShapeCache | None = None) -> dict[str, Analysis]:
    """Analyses every network of the document (groups are analysed through their uses)."""
    cache = cache or ShapeCache()
    return {name: analyse(doc, graph, cache) for name, graph in doc.networks.items()}


class _Inferencer:
    def __init__(self, catalogue: Catalogue, graph: Graph, flat: FlatGraph, cache: ShapeCache,
                 result: Analysis, group_inputs: Mapping[str, TensorSpec]) -> None:
        self.catalogue = catalogue
        self.group_inputs = group_inputs
        self.graph = graph
        self.flat = flat
        self.cache = cache
        self.result = result

    def blame(self, node: FlatNode, message: str, param: str | None = None,
              severity: str = ERROR) -> None:
        if node.id != node.origin:
            # The node lives inside a group instance: blame the instance the user sees.
            message = f"inside group at {node.path}: {message}"
        self.result.diagnostics.append(
            Diagnostic(self.graph.name, node.origin, message, param, severity)
        )

    def run(self) -> None:
        flat, result = self.flat, self.result
        for origin, messages in flat.problems.items():
            for message in messages:
                result.diagnostics.append(Diagnostic(self.graph.name, origin, message))

        incoming: dict[str, dict[str, tuple[str, str]]] = {}
        for edge in flat.edges:
            incoming.setdefault(edge.target, {})[edge.target_port] = (edge.source, edge.source_port)

        order, on_cycle = _topological_order(flat)
        for node_id, cycle in on_cycle.items():
            self.blame(flat.nodes[node_id], f"is part of a cycle: {cycle}")
        result.order = order

        for node_id in order:
            node = flat.nodes[node_id]
            info = self._infer_node(node, incoming.get(node_id, {}))
            if info is not None:
                result.flat[node_id] = info

    def _infer_node(self, node: FlatNode, incoming: dict[str, tuple[str, str]]
                    ) -> NodeInfo | None:
        spec = self.catalogue.get(node.type)
        if spec is None:
            self.blame(node, f"unknown block type '{node.type}': kept as a placeholder with its "
                       "parameters, but it cannot be compiled")
            return None
        if spec.role == "group":
            return None  # a broken instance: expansion already said why
        for issue in validate_params(spec.params, node.params):
            self.blame(node, issue.message, issue.param)
            return None

        if spec.role in PASS_THROUGH_ROLES:
            return self._pass_through(node, spec, incoming)

        ports = spec.input_ports(node.params)
        port_names = {port.name for port in ports}
        for name in incoming:
            if name not in port_names:
                self.blame(node, f"has no input named '{name}' (a wire arrives there)")
        inputs: dict[str, TensorSpec] = {}
        blocked = False
        for port in ports:
            source = incoming.get(port.name)
            if source is None:
                label = f"input '{port.name}'" if len(ports) > 1 else "its input"
                self.blame(node, f"{label} is not connected")
                blocked = True
                continue
            upstream = self.result.flat.get(source[0])
            spec_in = None if upstream is None else upstream.outputs.get(source[1])
            if spec_in is None:
                blocked = True  # upstream is broken and already blamed
                continue
            inputs[port.name] = spec_in
        if blocked:
            return None
        if node.bypassed and inputs and spec.output_ports(node.params):
            # A bypassed block hands its first input on unchanged and holds no weights.
            first_out = spec.output_ports(node.params)[0].name
            return NodeInfo(inputs, {first_out: next(iter(inputs.values()))}, 0, 0)
        try:
            outputs, n_params, n_macs = self.cache.run(spec, node.params, inputs)
        except (ShapeError, ParamError) as error:
            self.blame(node, str(error), getattr(error, "param", None))
            return None
        return NodeInfo(inputs, outputs, n_params, n_macs)

    def _pass_through(self, node: FlatNode, spec: BlockSpec,
                      incoming: dict[str, tuple[str, str]]) -> NodeInfo | None:
        # Both pass-through blocks receive on port "x": group_output inside the group,
        # group_input from the instance's outer wire (see core.flatten).
        source = incoming.get(PASS_IN)
        if source is None:
            if spec.role == "group_input" and self.graph.kind != NETWORK:
                # A definition analysed on its own: its inputs come from a use, if given.
                given = self.group_inputs.get(node.path)
                return None if given is None else NodeInfo({PASS_IN: given}, {PASS_OUT: given})
            self.blame(node, "its input is not connected")
            return None
        upstream = self.result.flat.get(source[0])
        spec_in = None if upstream is None else upstream.outputs.get(source[1])
        if spec_in is None:
            return None
        return NodeInfo({PASS_IN: spec_in}, {PASS_OUT: spec_in})


def _topological_order(flat: FlatGraph) -> tuple[list[str], dict[str, str]]:
    """Flat ids in dependency order (ties kept in document order), and the nodes on cycles."""
    digraph: nx.DiGraph[str] = nx.DiGraph()
    digraph.add_nodes_from(flat.nodes)
    digraph.add_edges_from((e.source, e.target) for e in flat.edges if e.source in flat.nodes
                           and e.target in flat.nodes)
    rank = {node_id: index for index, node_id in enumerate(flat.nodes)}
    on_cycle: dict[str, str] = {}
    components = [sorted(c, key=rank.__getitem__)
                  for c in nx.strongly_connected_components(digraph)]
    for component in sorted(components, key=lambda c: rank[c[0]]):
        if len(component) == 1 and not digraph.has_edge(component[0], component[0]):
            continue
        text = _describe_cycle(flat, digraph, component, rank)
        for node_id in component:
            on_cycle[node_id] = text
    if on_cycle:
        digraph.remove_nodes_from(on_cycle)
    order = list(nx.lexicographical_topological_sort(digraph, key=rank.__getitem__))
    return order, on_cycle


def _describe_cycle(flat: FlatGraph, digraph: nx.DiGraph[str], component: list[str],
                    rank: dict[str, int]) -> str:
    """``a → b → a`` for one cycle of a strongly connected ``component`` (in rank order).

    The same on every run: a component is a set, whose order follows PYTHONHASHSEED, so the
    search runs on a copy built in document order and the cycle starts at its first node.
    """
    members = set(component)
    ordered: nx.DiGraph[str] = nx.DiGraph()
    ordered.add_nodes_from(component)
    ordered.add_edges_from((e.source, e.target) for e in flat.edges
                           if e.source in members and e.target in members)
    cycle = [source for source, _ in nx.find_cycle(ordered, source=component[0])]
    start = min(range(len(cycle)), key=lambda i: rank[cycle[i]])
    cycle = cycle[start:] + cycle[:start]
    return " → ".join(flat.nodes[node_id].path for node_id in [*cycle, cycle[0]])


def _summarise_instances(graph: Graph, flat: FlatGraph, result: Analysis) -> None:
    """Fills ``result.nodes`` for top-level nodes, summing the inner nodes of instances."""
    for node_id in graph.nodes:
        info = result.flat.get(node_id)
        if info is not None:
            result.nodes[node_id] = info
    for flat_id, flat_node in flat.nodes.items():
        if flat_id == flat_node.origin or flat_id not in result.flat:
            continue
        info = result.nodes.setdefault(flat_node.origin, NodeInfo())
        info.params += result.flat[flat_id].params
        info.macs += result.flat[flat_id].macs
        flat_info = result.flat[flat_id]
        if flat_node.type == "group_input" and flat_node.path.count(".") == 1:
            info.inputs[flat_node.path.split(".")[-1]] = flat_info.outputs[PASS_OUT]
    for (node_id, port), (flat_id, flat_port) in flat.outputs_of_instance.items():
        inner = result.flat.get(flat_id)
        if inner is not None and flat_port in inner.outputs:
            info = result.nodes.setdefault(node_id, NodeInfo())
            info.outputs[port] = inner.outputs[flat_port]


def _check_network_structure(doc: Document, graph: Graph, flat: FlatGraph,
                             result: Analysis) -> None:
    """Whole-network checks: an Input and an Output exist; every block is on a path."""
    roles = {node_id: _role(doc.catalogue, node.type) for node_id, node in graph.nodes.items()}
    if not any(role == "input" for role in roles.values()):
        result.diagnostics.append(Diagnostic(
            graph.name, None, f"network '{graph.name}' has no Input block"))
    if not any(role == "output" for role in roles.values()):
        result.diagnostics.append(Diagnostic(
            graph.name, None,
            f"network '{graph.name}' has no Output block: add one to mark what it returns"))
        return
    digraph: nx.DiGraph[str] = nx.DiGraph()
    digraph.add_nodes_from(flat.nodes)
    digraph.add_edges_from((e.source, e.target) for e in flat.edges)
    sinks = [n for n, f in flat.nodes.items()
             if f.id == f.origin and roles.get(n) in ("output", "loss")]
    useful: set[str] = set(sinks)
    for sink in sinks:
        useful |= nx.ancestors(digraph, sink)
    result.built = useful
    _check_budget(graph, flat, result)
    origins_in_use = {flat.nodes[member].origin for member in useful}
    for node_id, node in graph.nodes.items():
        if roles[node_id] is None:
            continue
        if node_id not in origins_in_use:
            result.diagnostics.append(Diagnostic(
                graph.name, node_id,
                f"{node.name} does not lead to an Output or a loss, so it is not part of the "
                "compiled model", severity=WARNING))


def _check_budget(graph: Graph, flat: FlatGraph, result: Analysis) -> None:
    """Warns about a network whose built blocks ask for more parameters than the budget."""
    try:
        budget = param_budget()
    except GraphError as error:  # a bad environment variable must not stop the editor
        result.diagnostics.append(Diagnostic(graph.name, None, f"{error}; using the default "
                                             f"of {DEFAULT_MAX_PARAMS:,}", severity=WARNING))
        budget = DEFAULT_MAX_PARAMS
    params = {n: result.flat[n].params for n in result.built if n in result.flat}
    excess = find_excess(params, budget)
    if excess is not None:
        block = flat.nodes[excess.block]
        result.diagnostics.append(Diagnostic(
            graph.name, block.origin, f"the network is too big to build: "
            f"{describe_excess(excess, block.path)}", severity=WARNING))


def _role(catalogue: Catalogue, type_id: str) -> str | None:
    spec = catalogue.get(type_id)
    return None if spec is None else spec.role


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
