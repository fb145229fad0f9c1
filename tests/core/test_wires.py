"""Which wires may be drawn (graph rules, then shapes) and which deleting reroute points keeps."""

from __future__ import annotations

import pytest

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import RemoveNodes, check_connection
from netbuilder.core.errors import GraphError
from netbuilder.core.graph import Document, Graph, Node
from netbuilder.core.inference import Analysis, analyse
from netbuilder.core.wires import reroute_bridges, shape_problem, wire_problem, wire_takers


def _out(doc: Document, node: Node) -> str:
    return doc.output_ports(node)[0].name


def _in(doc: Document, node: Node) -> str:
    return doc.input_ports(node)[0].name


class Shapes:
    """image (1, 4, 4) -> flatten -> dense(8) -> reroute -> dense(3), and two unwired convs.

    Attributes:
        doc, graph, analysis: the document, its network and the network's shape inference.
        nodes: the blocks by name.
    """

    def __init__(self) -> None:
        self.doc = netbuilder.new_document()
        net = GraphBuilder(self.doc, "model")
        image = net.add("input", shape=[1, 4, 4], name="image")
        flat = net.add("flatten", image, name="flat")
        hidden = net.add("dense", flat, units=8, name="hidden")
        bend = net.add("reroute", hidden, name="bend")
        net.add("dense", bend, units=3, name="head")
        net.add("conv2d", name="conv")
        net.add("conv2d", kernel_size=5, name="wide_conv")
        self.graph: Graph = self.doc.graph("model")
        self.analysis: Analysis | None = analyse(self.doc, self.graph)
        self.nodes = {node.name: node for node in self.graph.nodes.values()}

    def problem(self, source: str, target: str, *, analysed: bool = True,
                ignore: str | None = None) -> str | None:
        src, dst = self.nodes[source], self.nodes[target]
        return wire_problem(self.doc, self.graph, self.analysis if analysed else None,
                            src.id, _out(self.doc, src), dst.id, _in(self.doc, dst), ignore)


@pytest.fixture
def shapes() -> Shapes:
    return Shapes()


# ----- wire_problem ----------------------------------------------------------------------------
def test_a_wire_whose_shape_fits_may_be_drawn(shapes: Shapes) -> None:
    assert shapes.problem("image", "conv") is None


def test_a_shape_no_parameter_can_fix_is_refused_with_the_shape_it_brings(shapes: Shapes
                                                                         ) -> None:
    problem = shapes.problem("flat", "conv")
    assert problem is not None
    assert problem.startswith("conv cannot take 16: ")
    assert "3-D input" in problem


def test_a_mismatch_a_parameter_can_fix_is_allowed(shapes: Shapes) -> None:
    # A 5x5 kernel does not fit a 4x4 image, but kernel_size can change: the wire may be
    # drawn and the block shows the error instead.
    assert shapes.problem("image", "wide_conv") is None


def test_without_an_analysis_only_the_graph_rules_judge(shapes: Shapes) -> None:
    assert shapes.problem("flat", "conv", analysed=False) is None
    cycle = shapes.problem("head", "flat", analysed=False)
    assert cycle is not None and "would make a cycle" in cycle


def test_graph_rules_come_before_shapes(shapes: Shapes) -> None:
    problem = shapes.problem("head", "flat")
    assert problem is not None and problem.startswith("connecting head to flat would make a "
                                                      "cycle: flat → hidden → bend → head")


def test_a_wire_already_on_the_input_does_not_count_the_new_one_replaces_it(shapes: Shapes
                                                                          ) -> None:
    doc, head = shapes.doc, shapes.nodes["head"]
    image = shapes.nodes["image"]
    with pytest.raises(GraphError, match="already connected"):
        check_connection(doc, shapes.graph, image.id, _out(doc, image), head.id, _in(doc, head))
    assert shapes.problem("image", "head") is None


def test_shape_problem_waits_for_every_input_of_the_target(shapes: Shapes) -> None:
    doc = shapes.doc
    net = GraphBuilder(doc, "model")
    add = net.add("add", name="sum")
    graph = doc.graph("model")
    analysis = analyse(doc, graph)
    image = shapes.nodes["image"]
    ports = [port.name for port in doc.input_ports(add)]
    # The other input is not wired yet: nothing to judge.
    assert shape_problem(doc, graph, analysis, image.id, _out(doc, image), add.id,
                         ports[0]) is None


# ----- wire_takers ----------------------------------------------------------------------------
def _takers(shapes: Shapes, source: str, from_output: bool = True, *,
            analysed: bool = True) -> set[str]:
    node = shapes.nodes[source]
    port = _out(shapes.doc, node) if from_output else _in(shapes.doc, node)
    takes = wire_takers(shapes.analysis if analysed else None, node.id, port, from_output)
    return {spec.type for spec in shapes.doc.catalogue if takes(spec)}


def test_a_wire_from_an_output_goes_to_blocks_whose_rule_can_take_its_shape(shapes: Shapes
                                                                           ) -> None:
    from_image = _takers(shapes, "image")  # (1, 4, 4)
    from_flat = _takers(shapes, "flat")  # (16,)
    assert {"conv2d", "dense", "flatten"} <= from_image
    assert "dense" in from_flat
    assert "conv2d" not in from_flat  # rank 1: no parameter makes a 2-D convolution fit
    assert "input" not in from_image  # no input port to take the wire


def test_without_shapes_every_block_with_a_port_on_the_right_side_takes_it(shapes: Shapes
                                                                          ) -> None:
    assert "conv2d" in _takers(shapes, "flat", analysed=False)
    feeders = _takers(shapes, "conv", from_output=False)
    assert {"input", "dense", "conv2d"} <= feeders
    catalogue = shapes.doc.catalogue
    assert all(catalogue[t].output_ports(catalogue[t].default_params()) for t in feeders)
    assert "output" not in feeders


# ----- reroute_bridges -------------------------------------------------------------------------
def _chain() -> tuple[Document, Graph, dict[str, Node]]:
    """source -> r1 -> r2 -> sink, and r2 also feeds a second sink."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    source = net.add("input", shape=[4], name="source")
    r1 = net.add("reroute", source, name="r1")
    r2 = net.add("reroute", r1, name="r2")
    net.add("dense", r2, units=2, name="sink")
    net.add("dense", r2, units=2, name="other_sink")
    graph = doc.graph("model")
    return doc, graph, {node.name: node for node in graph.nodes.values()}


def _names(graph: Graph, bridges: list[tuple[str, str, str, str]]) -> list[tuple[str, str]]:
    return [(graph.nodes[s].name, graph.nodes[t].name) for s, _, t, _ in bridges]


def test_deleting_a_chain_of_reroute_points_bridges_it_to_every_target() -> None:
    doc, graph, nodes = _chain()
    bridges = reroute_bridges(doc, graph, [nodes["r1"].id, nodes["r2"].id], [])
    assert sorted(_names(graph, bridges)) == [("source", "other_sink"), ("source", "sink")]
    source_port, sink_port = _out(doc, nodes["source"]), _in(doc, nodes["sink"])
    assert (nodes["source"].id, source_port, nodes["sink"].id, sink_port) in bridges


def test_deleting_one_reroute_point_of_a_chain_bridges_past_it_only() -> None:
    doc, graph, nodes = _chain()
    bridges = reroute_bridges(doc, graph, [nodes["r2"].id], [])
    assert sorted(_names(graph, bridges)) == [("r1", "other_sink"), ("r1", "sink")]


def test_no_bridge_where_a_wire_of_the_chain_is_deleted_too() -> None:
    doc, graph, nodes = _chain()
    into_r1 = graph.edge_into(nodes["r1"].id, _in(doc, nodes["r1"]))
    into_sink = graph.edge_into(nodes["sink"].id, _in(doc, nodes["sink"]))
    assert into_r1 is not None and into_sink is not None
    assert reroute_bridges(doc, graph, [nodes["r1"].id, nodes["r2"].id], [into_r1.id]) == []
    only_other = reroute_bridges(doc, graph, [nodes["r2"].id], [into_sink.id])
    assert _names(graph, only_other) == [("r1", "other_sink")]


def test_no_bridge_to_an_end_that_is_deleted_too_nor_past_an_ordinary_block() -> None:
    doc, graph, nodes = _chain()
    deleted = [nodes["r1"].id, nodes["r2"].id, nodes["sink"].id, nodes["source"].id]
    assert reroute_bridges(doc, graph, deleted, []) == []
    without_source = [nodes["r2"].id, nodes["sink"].id]
    assert _names(graph, reroute_bridges(doc, graph, without_source, [])) == [
        ("r1", "other_sink")]
    assert reroute_bridges(doc, graph, [nodes["sink"].id], []) == []


def test_bridges_are_wires_the_graph_accepts_once_the_points_are_gone() -> None:
    doc, graph, nodes = _chain()
    doomed = [nodes["r1"].id, nodes["r2"].id]
    bridges = reroute_bridges(doc, graph, doomed, [])
    RemoveNodes("model", doomed, []).redo(doc)
    for source, source_port, target, target_port in bridges:
        check_connection(doc, graph, source, source_port, target, target_port)
