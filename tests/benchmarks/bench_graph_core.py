"""Speed of the graph core on a generated 1,000-node graph: inference, re-inference, compile.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_graph_core [--nodes 1000] [--repeat 5]

Targets (issue 2): re-inference after one edit < 30 ms, full compile < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import Document
from netbuilder.core.inference import ShapeCache, analyse


def residual_mlp(nodes: int, width: int = 64) -> Document:
    """Input -> repeated [dense, relu, add(skip)] blocks -> output: about ``nodes`` nodes."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[width], name="features")
    while len(net.graph.nodes) < nodes - 2:
        h = net.add("dense", x, units=width, activation="linear")
        h = net.add("relu", h)
        x = net.add("add", x, h)
    net.add("output", net.add("dense", x, units=10, activation="softmax"))
    net.layout()
    return doc


def _time(function, repeat: int) -> float:
    """Median wall time of ``function()`` in seconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    doc = residual_mlp(args.nodes)
    graph = doc.network()
    dense = [n for n in graph.nodes.values() if n.type == "dense"]
    print(f"graph: {len(graph.nodes)} nodes, {len(graph.edges)} edges")

    cold = _time(lambda: analyse(doc, graph, ShapeCache()), args.repeat)
    cache = ShapeCache()
    analyse(doc, graph, cache)

    edits = iter(range(10**9))

    def edit_and_reinfer() -> None:
        # One edit in the middle of the graph: every node downstream gets new input shapes.
        node = dense[len(dense) // 2]
        params = dict(node.params, units=64 + next(edits) % 2)
        doc.set_params(graph, node.id, params)
        analyse(doc, graph, cache)

    warm = _time(edit_and_reinfer, args.repeat * 4)
    doc.set_params(graph, dense[len(dense) // 2].id, dict(dense[len(dense) // 2].params,
                                                          units=64))
    text = netbuilder.core.fileformat.dumps(doc)
    load = _time(lambda: netbuilder.loads(text), args.repeat)

    from netbuilder.compile import compile_network

    netbuilder.build(doc)  # warm-up: imports torch and fills caches
    build = _time(lambda: compile_network(doc, cache=cache), args.repeat)

    rows = [
        ("shape inference, cold cache", cold, None),
        ("re-inference after one edit", warm, 0.030),
        ("load .nbg (parse + build document)", load, None),
        ("full compile to fx.GraphModule", build, 1.0),
    ]
    print(f"{'step':<38} {'median':>10} {'target':>10}")
    for name, seconds, target in rows:
        goal = f"< {target * 1000:.0f} ms" if target else ""
        flag = "" if target is None or seconds < target else "  (over target)"
        print(f"{name:<38} {seconds * 1000:>7.1f} ms {goal:>10}{flag}")


if __name__ == "__main__":
    main()
