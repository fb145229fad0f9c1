"""The layered layout: left to right, folded into bands that fit the view, and lanes of their
own for wires that skip layers."""

from __future__ import annotations

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import Edge
from netbuilder.core.layout import (
    BAND_GAP,
    BLOCK_SIZE,
    LAYER_SPACING,
    estimated_block_size,
    fit_zoom,
    layered_positions,
)

#: A view wide enough that nothing needs folding.
WIDE = (10_000.0, 2_000.0)


def _residual_chain(skip: bool) -> tuple[netbuilder.Document, list[str]]:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    source = net.add("input", shape=[8])
    first = net.add("dense", source, units=8)
    second = net.add("dense", first, units=8)
    merged = net.add("add", second, source) if skip else net.add("relu", second)
    return doc, [node.id for node in (source, first, second, merged)]


def _chain(length: int) -> tuple[netbuilder.Document, list[str]]:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    node = net.add("input", shape=[8])
    ids = [node.id]
    for _ in range(length - 1):
        node = net.add("relu", node)
        ids.append(node.id)
    return doc, ids


def test_a_plain_chain_lies_on_one_line_when_the_view_is_wide() -> None:
    doc, ids = _residual_chain(skip=False)
    positions = layered_positions(doc.network(), viewport=WIDE)
    assert [positions[i] for i in ids] == [(k * LAYER_SPACING, 0.0) for k in range(4)]


def test_a_skip_wire_runs_beside_the_blocks_it_skips_not_through_them() -> None:
    doc, (source, first, second, merged) = _residual_chain(skip=True)
    positions = layered_positions(doc.network(), viewport=WIDE)
    assert [positions[i][0] for i in (source, first, second, merged)] == [
        k * LAYER_SPACING for k in range(4)]
    # The skip's ends share a row; the blocks between them step aside, together.
    assert positions[source][1] == positions[merged][1]
    assert positions[first][1] == positions[second][1] != positions[source][1]


def test_a_long_chain_folds_into_bands_read_like_lines_of_text() -> None:
    doc, ids = _chain(12)
    positions = layered_positions(doc.network())
    rows = sorted({y for _, y in positions.values()})
    assert len(rows) > 1, "a 12-block chain in one row of a 1366x768 window is unreadable"
    # Each band runs left to right, and the next band starts below it, at the left again.
    per_band = sum(1 for i in ids if positions[i][1] == rows[0])
    for index, node_id in enumerate(ids):
        band, slot = divmod(index, per_band)
        assert positions[node_id] == (slot * LAYER_SPACING,
                                      band * (BLOCK_SIZE[1] + BAND_GAP))
    # Folded, it fits far larger than in one row.
    assert fit_zoom(positions) > 2 * fit_zoom(layered_positions(doc.network(), viewport=WIDE))


def test_the_fold_follows_the_shape_of_the_view() -> None:
    doc, _ = _chain(12)
    wide = layered_positions(doc.network(), viewport=(2400.0, 400.0))
    tall = layered_positions(doc.network(), viewport=(500.0, 1400.0))
    assert len({y for _, y in wide.values()}) < len({y for _, y in tall.values()})
    for positions, view in ((wide, (2400.0, 400.0)), (tall, (500.0, 1400.0))):
        # No other number of layers a band fits the view better.
        assert fit_zoom(positions, view) >= max(
            fit_zoom(layered_positions(doc.network(), viewport=(w, h)), view)
            for w, h in ((10_000.0, 1.0), (1.0, 10_000.0)))


def test_a_small_graph_is_not_folded() -> None:
    doc, _ = _chain(3)
    positions = layered_positions(doc.network())
    assert {y for _, y in positions.values()} == {0.0}


def test_a_label_input_sits_next_to_its_first_reader_not_in_layer_zero() -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4], name="features")
    x = net.add("dense", x, units=4, name="hidden")
    y = net.add("dense", x, units=3, activation="softmax", name="classes")
    label = net.add("input", shape=[], dtype="int64", name="label")
    loss = net.add("cross_entropy_loss", y, label, name="loss", inputs="probabilities")
    positions = layered_positions(doc.network(), viewport=WIDE)
    assert positions[label.id][0] == positions[y.id][0] == positions[loss.id][0] - LAYER_SPACING
    assert positions[label.id][1] > positions[y.id][1], "a side input goes below the chain"


def test_a_wide_block_pushes_the_next_layer_right() -> None:
    doc, ids = _chain(3)
    sizes = {ids[1]: (240.0, 80.0)}
    positions = layered_positions(doc.network(), viewport=WIDE, sizes=sizes)
    assert positions[ids[2]][0] - positions[ids[1]][0] == LAYER_SPACING + 60.0


def test_estimated_sizes_grow_with_ports_and_text() -> None:
    assert estimated_block_size(1, 1, "Dense", "fc") == BLOCK_SIZE
    assert estimated_block_size(2, 1)[1] > BLOCK_SIZE[1]
    assert BLOCK_SIZE[0] < estimated_block_size(2, 1, "KL divergence loss", "kl_loss")[0] <= 240


def test_a_cycle_does_not_stop_the_layout() -> None:
    doc, ids = _chain(3)
    graph = doc.network()
    # A cycle the commands would refuse, as a damaged file could hold.
    graph.edges["e_back"] = Edge("e_back", ids[2], "y", ids[1], "x")
    positions = layered_positions(graph)
    assert set(positions) == set(ids)
