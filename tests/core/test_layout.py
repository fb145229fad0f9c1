"""The layered layout: left to right, and wires that skip layers get a lane of their own."""

from __future__ import annotations

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.layout import LAYER_SPACING, layered_positions


def _residual_chain(skip: bool) -> tuple[netbuilder.Document, list[str]]:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    source = net.add("input", shape=[8])
    first = net.add("dense", source, units=8)
    second = net.add("dense", first, units=8)
    merged = net.add("add", second, source) if skip else net.add("relu", second)
    return doc, [node.id for node in (source, first, second, merged)]


def test_a_plain_chain_lies_on_one_line() -> None:
    doc, ids = _residual_chain(skip=False)
    positions = layered_positions(doc.network())
    assert [positions[i] for i in ids] == [(k * LAYER_SPACING, 0.0) for k in range(4)]


def test_a_skip_wire_runs_beside_the_blocks_it_skips_not_through_them() -> None:
    doc, (source, first, second, merged) = _residual_chain(skip=True)
    positions = layered_positions(doc.network())
    assert [positions[i][0] for i in (source, first, second, merged)] == [
        k * LAYER_SPACING for k in range(4)]
    # The skip's ends share a row; the blocks between them step aside, together.
    assert positions[source][1] == positions[merged][1]
    assert positions[first][1] == positions[second][1] != positions[source][1]
