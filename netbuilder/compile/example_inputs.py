"""Random inputs that fit a network, for exporters that trace it and for checking exports.

``example_inputs(doc, network)`` returns one tensor per Input block the model reads, in the
order the compiled module's ``forward`` takes them (``CompiledNetwork.parts.inputs``): float32
inputs hold standard normal values; int64 inputs hold token ids that every Embedding they reach
can look up (0 <= id < the smallest ``vocab_size`` among them), or 0 and 1 where they reach
none.
"""

from __future__ import annotations

import torch

from netbuilder.compile.builder import describe_errors
from netbuilder.core.errors import GraphError
from netbuilder.core.flatten import upstream
from netbuilder.core.graph import Document
from netbuilder.core.inference import Analysis, analyse

#: Upper bound (exclusive) of the ids drawn for an int64 input that feeds no Embedding: 0 and 1
#: index any axis with at least two entries and are valid labels for a binary or larger task.
DEFAULT_INT_HIGH = 2

_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def example_inputs(doc: Document, network: str | None = None, batch: int = 2, seed: int = 0
                   ) -> tuple[torch.Tensor, ...]:
    """Random tensors matching the shapes and dtypes of the network's Input blocks.

    Args:
        doc: the document.
        network: the network's name; None for the document's only (or first) network.
        batch: the batch size (the first dimension of every tensor).
        seed: seeds a private generator, so equal arguments give equal tensors and the global
            random state is left alone.

    Returns:
        One tensor per Input block that an Output depends on, in the order of the compiled
        module's ``forward`` arguments; Input blocks read only by losses (targets) are left
        out, as they are from the model.

    Raises:
        GraphError: the network does not exist or has errors; ``batch`` is not positive.
    """
    if batch < 1:
        raise GraphError(f"example inputs need a batch size of at least 1, not {batch}")
    graph = doc.network(network)
    analysis = analyse(doc, graph)
    if analysis.errors:
        raise GraphError(describe_errors(doc, analysis))
    generator = torch.Generator().manual_seed(seed)
    tensors = []
    for flat_id in model_input_ids(doc, analysis):
        params = analysis.flat_graph.nodes[flat_id].params  # type: ignore[union-attr]
        shape = (batch, *params["shape"])
        if params["dtype"] == "int64":
            high = _smallest_vocabulary(doc, analysis, flat_id) or DEFAULT_INT_HIGH
            tensors.append(torch.randint(0, high, shape, generator=generator,
                                         dtype=torch.int64))
        else:
            tensors.append(torch.randn(shape, generator=generator, dtype=_DTYPES["float32"]))
    return tuple(tensors)


def model_input_ids(doc: Document, analysis: Analysis) -> list[str]:
    """Flat ids of the Input blocks that some Output depends on, in ``forward`` order.

    This is the order in which the compiler creates its placeholders: the analysis' topological
    order, keeping the inputs that an Output block reads through any path.
    """
    flat = analysis.flat_graph
    assert flat is not None
    seen = upstream(flat, [n for n in analysis.order if _role(doc, analysis, n) == "output"])
    return [n for n in analysis.order if n in seen and _role(doc, analysis, n) == "input"]


def _smallest_vocabulary(doc: Document, analysis: Analysis, start: str) -> int | None:
    """The smallest ``vocab_size`` of the Embedding blocks reached downstream of ``start``.

    The walk stops at each Embedding (what comes after one carries vectors, not ids).
    """
    flat = analysis.flat_graph
    assert flat is not None
    children: dict[str, list[str]] = {}
    for edge in flat.edges:
        children.setdefault(edge.source, []).append(edge.target)
    sizes = []
    stack, seen = [start], {start}
    while stack:
        for child in children.get(stack.pop(), ()):
            if child in seen:
                continue
            seen.add(child)
            node = flat.nodes[child]
            if node.type == "embedding" and not node.bypassed:
                sizes.append(int(node.params["vocab_size"]))
            else:
                stack.append(child)
    return min(sizes) if sizes else None


def _role(doc: Document, analysis: Analysis, flat_id: str) -> str:
    flat = analysis.flat_graph
    assert flat is not None
    return doc.catalogue[flat.nodes[flat_id].type].role
