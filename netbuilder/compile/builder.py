"""Compiles one network of a document to a ``torch.fx.GraphModule``.

Each block becomes a ``call_module`` node whose target is the block's name (``conv1``; inside
a group instance ``res1.conv1``), so the module's ``state_dict`` keys and generated ``code``
read like hand-written PyTorch. Multi-output blocks are unpacked with ``operator.getitem``.
``Graph.lint()`` checks every build.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass
from typing import Any

from torch import fx, nn

from netbuilder.core.budget import describe_excess, find_excess, param_budget
from netbuilder.core.errors import GraphError
from netbuilder.core.flatten import PASS_IN, PASS_OUT, FlatGraph, upstream
from netbuilder.core.graph import Document
from netbuilder.core.inference import PASS_THROUGH_ROLES, Analysis, ShapeCache, analyse


@dataclass(frozen=True)
class CompiledParts:
    """What a compiled network takes and returns, for trainers and exporters.

    Attributes:
        inputs: names of the Input blocks, in the order forward() takes them.
        outputs: names of the Output blocks, in the order forward() returns them.
        losses: names of the loss blocks (only when compiled with losses).
        targets: Input blocks that only losses read (targets, labels).
    """

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    losses: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompiledNetwork:
    """A compiled network: the module and what its forward takes and returns.

    The module stays a plain ``fx.GraphModule`` (what ``netbuilder.build`` hands users);
    trainers and exporters, which also need the names of its inputs, outputs and losses, get
    them here, typed, instead of from an attribute set onto the module.

    Attributes:
        module: the network, with freshly initialised weights.
        parts: the names of its inputs, outputs, losses and targets.
    """

    module: fx.GraphModule
    parts: CompiledParts


def compile_network(
    doc: Document,
    network: str | None = None,
    *,
    with_losses: bool = False,
    cache: ShapeCache | None = None,
    max_params: int | float | str | None = None,
) -> CompiledNetwork:
    """Builds a network of ``doc`` as a GraphModule with freshly initialised weights.

    Args:
        doc: the document.
        network: the network's name; None for the document's only (or first) network.
        with_losses: also compute the loss blocks. forward() then takes the Input blocks the
            losses need too (targets) and returns ``(outputs, losses)``, where ``outputs`` is
            a tuple in Output order and ``losses`` a dict from loss block name to value.
        cache: a shape cache to reuse between builds.
        max_params: the parameter budget (see :mod:`netbuilder.core.budget`); None reads
            ``$NETBUILDER_MAX_PARAMS`` (default one billion); ``"inf"`` for none.

    Returns:
        The module and its parts. Without losses the module's forward returns the one
        Output's tensor, or a tuple when the network has several.

    Raises:
        GraphError: the network has errors, or its blocks hold more parameters than the
            budget (refused before any weight is allocated); the message names the nodes at
            fault.
    """
    graph = doc.network(network)
    analysis = analyse(doc, graph, cache)
    if analysis.errors:
        raise GraphError(describe_errors(doc, analysis))
    flat = analysis.flat_graph
    assert flat is not None
    emitter = _Emitter(doc, flat, analysis, with_losses)
    _check_budget(doc, emitter, param_budget(max_params))
    return emitter.emit(graph.name)


def _check_budget(doc: Document, emitter: _Emitter, budget: int | None) -> None:
    """Refuses, from the counts of shape inference, a model bigger than ``budget``."""
    analysis = emitter.analysis
    excess = find_excess({n: analysis.flat[n].params for n in emitter.needed()}, budget)
    if excess is not None:
        source = f"{doc.path}: " if doc.path else ""
        path = emitter.flat.nodes[excess.block].path
        raise GraphError(f"{source}network '{analysis.graph}' cannot be built: "
                         f"{describe_excess(excess, path)}")


def build_module(doc: Document, network: str | None = None) -> fx.GraphModule:
    """The network's model (losses left out): what ``netbuilder.build`` returns."""
    return compile_network(doc, network).module


def describe_errors(doc: Document, analysis: Analysis, limit: int = 3) -> str:
    """One paragraph naming the first problems of a network, for exceptions and the CLI."""
    graph = doc.graph(analysis.graph)
    lines = []
    for diagnostic in analysis.errors[:limit]:
        node = graph.nodes.get(diagnostic.node) if diagnostic.node else None
        where = f"node {node.name}: " if node is not None else ""
        lines.append(where + diagnostic.message)
    more = len(analysis.errors) - limit
    tail = f" (and {more} more)" if more > 0 else ""
    source = f"{doc.path}: " if doc.path else ""
    return f"{source}network '{analysis.graph}' cannot be built: " + "; ".join(lines) + tail


class _Emitter:
    """Walks the flat graph in topological order and emits fx nodes."""

    def __init__(self, doc: Document, flat: FlatGraph, analysis: Analysis,
                 with_losses: bool) -> None:
        self.doc = doc
        self.flat = flat
        self.analysis = analysis
        self.with_losses = with_losses
        self.graph = fx.Graph()
        self.modules: dict[str, nn.Module] = {}
        # (flat node id, output port) -> the fx value that carries it.
        self.values: dict[tuple[str, str], fx.Node] = {}

    def role(self, flat_id: str) -> str:
        return self.doc.catalogue[self.flat.nodes[flat_id].type].role

    def needed(self) -> set[str]:
        """Flat ids that the outputs (and, with losses, the losses) depend on."""
        sinks = {"output", "loss"} if self.with_losses else {"output"}
        return upstream(self.flat, [n for n in self.analysis.order if self.role(n) in sinks])

    def emit(self, network: str) -> CompiledNetwork:
        needed = self.needed()
        incoming: dict[str, dict[str, tuple[str, str]]] = {}
        for edge in self.flat.edges:
            incoming.setdefault(edge.target, {})[edge.target_port] = (edge.source,
                                                                      edge.source_port)
        model_inputs = _model_inputs(self)
        inputs: list[str] = []
        outputs: list[tuple[str, fx.Node]] = []
        losses: dict[str, fx.Node] = {}
        targets: list[str] = []
        for flat_id in self.analysis.order:
            if flat_id not in needed:
                continue
            node = self.flat.nodes[flat_id]
            spec = self.doc.catalogue[node.type]
            args = [self.values[incoming[flat_id][port.name]]
                    for port in spec.input_ports(node.params)]
            if spec.role == "input":
                self.values[(flat_id, "y")] = self.graph.placeholder(node.path)
                inputs.append(node.path)
                if flat_id not in model_inputs:
                    targets.append(node.path)
            elif spec.role in PASS_THROUGH_ROLES:
                self.values[(flat_id, PASS_OUT)] = self.values[incoming[flat_id][PASS_IN]]
            elif node.bypassed and args:
                first_out = spec.output_ports(node.params)[0].name
                self.values[(flat_id, first_out)] = args[0]
            elif spec.role == "output":
                outputs.append((node.path, args[0]))
            else:
                value = self._call(flat_id, spec, args)
                if spec.role == "loss":
                    losses[node.path] = value
        result: Any
        if self.with_losses:
            result = (tuple(v for _, v in outputs), losses)
        else:
            result = outputs[0][1] if len(outputs) == 1 else tuple(v for _, v in outputs)
        self.graph.output(result)
        self.graph.lint()
        module = fx.GraphModule(self.modules, self.graph, class_name=_class_name(network))
        return CompiledNetwork(module, CompiledParts(tuple(inputs), tuple(n for n, _ in outputs),
                                                     tuple(losses), tuple(targets)))

    def _call(self, flat_id: str, spec: Any, args: list[fx.Node]) -> fx.Node:
        node = self.flat.nodes[flat_id]
        _check_path(node.path)
        info = self.analysis.flat[flat_id]
        module = spec.build(node.params, info.inputs)
        self.modules[node.path] = module
        value = self.graph.call_module(node.path, tuple(args))
        ports = [port.name for port in spec.output_ports(node.params)]
        if len(ports) == 1:
            self.values[(flat_id, ports[0])] = value
        else:
            for index, port in enumerate(ports):
                self.values[(flat_id, port)] = self.graph.call_function(
                    operator.getitem, (value, index))
        return value


@functools.cache
def _module_attributes() -> frozenset[str]:
    """What the running torch's GraphModule and ModuleDict define (core's list may lag)."""
    return frozenset(dir(fx.GraphModule)) | frozenset(dir(nn.ModuleDict))


def _check_path(path: str) -> None:
    """Refuses a block path that would shadow a module attribute (the core checks names too)."""
    for part in path.split("."):
        if part in _module_attributes() or part.startswith("_"):
            raise GraphError(f"block {path}: the name '{part}' is used by PyTorch modules "
                             "themselves; rename the block")


def _model_inputs(emitter: _Emitter) -> set[str]:
    """Input blocks that some Output depends on (the rest are targets read by losses)."""
    outputs = [n for n in emitter.analysis.order if emitter.role(n) == "output"]
    return {n for n in upstream(emitter.flat, outputs) if emitter.role(n) == "input"}


def _class_name(network: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", network)
    name = "".join(word[:1].upper() + word[1:] for word in words if word)
    return name if name and name[0].isalpha() else "Network"


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters of a built module (checks the pure-Python counts)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


