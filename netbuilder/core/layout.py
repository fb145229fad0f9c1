"""Layered layout that reads at a glance: left to right in layers, folded into bands.

Used for the bundled examples, for graphs imported from code and by the editor's
auto-layout. Pure Python; positions are the nodes' top-left corners in scene units (one unit
is one pixel at 100% zoom).

The steps:

1. Layers by longest path from a source. A source that feeds something further on (a label
   Input that only the loss reads) sits in the layer just before its first reader, not in
   layer 0 at the far left with a wire across the whole network.
2. Rows within a layer by barycentre: a node sits near the mean row of its parents, and a
   wire that skips layers keeps a row of its own in the layers it crosses, so that a branch
   or a residual connection gets its own lane instead of running through blocks.
3. Bands: a long run of layers is cut into consecutive bands laid out one under the other,
   like lines of text: the fewest bands at which the whole graph fits the target viewport
   (by default the canvas of a 1366x768 window) at a comfortable zoom, else as many as
   make it fit largest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from netbuilder.core.graph import Graph

#: Horizontal distance between layers of standard blocks (a wider block pushes the next
#: layer right: LAYER_GAP stays free for a wire and its shape label), and vertical distance
#: between rows of one layer.
LAYER_SPACING = 280.0
ROW_SPACING = 150.0
#: Free space between two bands: the wire from one band's end to the next band's start runs
#: back through it.
BAND_GAP = 80.0
#: The size a block is assumed to have where the caller does not say: 180 wide and 80 high
#: with one port a side (see netbuilder/ui/canvas/geometry.py).
BLOCK_SIZE = (180.0, 80.0)
LAYER_GAP = LAYER_SPACING - BLOCK_SIZE[0]
#: The widest a block gets (a longer title is elided on the canvas).
MAX_BLOCK_WIDTH = 240.0
#: The canvas of a 1366x768 main window with its default docks, in pixels: what a graph is
#: laid out to fit unless the caller knows its view.
DEFAULT_VIEWPORT = (850.0, 500.0)
#: The blank the view keeps around a fitted graph, in pixels on each side.
FIT_MARGIN = 24.0
#: A fit is never enlarged beyond 100%: a small graph does not need more bands than rows.
MAX_ZOOM = 1.0
#: The fewest bands that fit at this zoom or more are enough (a four-block chain stays one
#: row at 79% rather than fold for 100%); below it, the bands that fit largest.
COMFORTABLE_ZOOM = 0.75

Size = tuple[float, float]


def layered_positions(graph: Graph, origin: tuple[float, float] = (0.0, 0.0),
                      viewport: tuple[float, float] = DEFAULT_VIEWPORT,
                      sizes: Mapping[str, Size] | None = None
                      ) -> dict[str, tuple[float, float]]:
    """Positions for every node of ``graph``, laid out to fit ``viewport`` (pixels) well.

    Args:
        graph: the network or group to lay out.
        origin: where the top-left of the first band goes.
        viewport: the size of the view the graph should fit, in pixels; its shape decides
            how many layers each band holds.
        sizes: each block's width and height, where known (the canvas knows; see
            :func:`estimated_block_size` without one): a layer is as wide as its widest
            block, a band ends below its tallest.
    """
    known = dict.fromkeys(graph.nodes, BLOCK_SIZE)
    known.update({k: v for k, v in (sizes or {}).items() if k in known})
    parents: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    children: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for edge in graph.edges.values():
        parents[edge.target].append(edge.source)
        children[edge.source].append(edge.target)

    layer = _layers(graph, parents, children)
    count = max(layer.values(), default=-1) + 1
    best: tuple[float, _Fold] | None = None
    for per_band in _band_widths(count):
        fold = _fold(graph, layer, parents, known, per_band)
        width, height = fold.extent()
        zoom = min(MAX_ZOOM, (viewport[0] - 2 * FIT_MARGIN) / width,
                   (viewport[1] - 2 * FIT_MARGIN) / height)
        if best is not None and best[0] >= COMFORTABLE_ZOOM:
            break  # it reads well already: more bands would only cut the flow more often
        # The largest zoom wins; of equal ones, the fewest bands (the widest come first).
        if best is None or zoom > best[0] + 1e-9:
            best = (zoom, fold)
    if best is None:
        return {}
    fold = best[1]
    tops, lefts = fold.tops(), fold.lefts()
    x0, y0 = origin
    positions = {}
    for node_id in graph.nodes:
        band, slot = divmod(layer[node_id], fold.per_band)
        positions[node_id] = (x0 + lefts[band][slot],
                              y0 + tops[band] + fold.row[node_id] * ROW_SPACING)
    return positions


def estimated_block_size(inputs: int, outputs: int, title: str = "", name: str = ""
                         ) -> Size:
    """A block's size on the canvas (netbuilder/ui/canvas/node_item.py draws it), without
    measuring text: a header as wide as its title and name need (at the average width of a
    character of their fonts), a row per port of its busier side (and a summary row when a
    side has several ports), a footer."""
    header = 7.4 * len(title) + 6.3 * len(name) + 34.0
    width = min(MAX_BLOCK_WIDTH, max(BLOCK_SIZE[0], math.ceil(header / 10.0) * 10.0))
    labelled = inputs > 1 or outputs > 1
    height = 30.0 + (20.0 if labelled else 0.0) + 20.0 * max(inputs, outputs, 1) + 30.0
    return width, height


def fit_zoom(positions: Mapping[str, tuple[float, float]], viewport: tuple[float, float]
             = DEFAULT_VIEWPORT, sizes: Mapping[str, Size] | None = None) -> float:
    """The zoom at which the blocks at ``positions`` fit ``viewport`` (pixels)."""
    if not positions:
        return MAX_ZOOM
    sizes = sizes or {}
    left = min(x for x, _ in positions.values())
    top = min(y for _, y in positions.values())
    right = max(x + sizes.get(k, BLOCK_SIZE)[0] for k, (x, _) in positions.items())
    bottom = max(y + sizes.get(k, BLOCK_SIZE)[1] for k, (_, y) in positions.items())
    return min(MAX_ZOOM, (viewport[0] - 2 * FIT_MARGIN) / (right - left),
               (viewport[1] - 2 * FIT_MARGIN) / (bottom - top))


@dataclass
class _Fold:
    """The layers cut into bands of ``per_band``, with each cell's row in its layer."""

    per_band: int
    columns: list[list[str]]
    row: dict[str, float]
    sizes: Mapping[str, Size]

    def _bands(self) -> list[list[list[str]]]:
        return [self.columns[start:start + self.per_band]
                for start in range(0, len(self.columns), self.per_band)]

    def spans(self) -> list[tuple[float, float]]:
        """Each band's top and bottom relative to its row 0 (a lane has no height)."""
        spans = []
        for band in self._bands():
            cells = [c for column in band for c in column]
            top = min((self.row[c] * ROW_SPACING for c in cells), default=0.0)
            bottom = max((self.row[c] * ROW_SPACING + self.sizes.get(c, (0.0, 0.0))[1]
                          for c in cells), default=0.0)
            spans.append((top, bottom))
        return spans

    def tops(self) -> list[float]:
        """The y of row 0 in each band: the first band's top row lies at 0, and each band
        starts BAND_GAP below the blocks of the band before."""
        tops, cursor = [], 0.0
        for top, bottom in self.spans():
            tops.append(cursor - top)
            cursor += bottom - top + BAND_GAP
        return tops

    def lefts(self) -> list[list[float]]:
        """The x of each layer in each band: a layer starts LAYER_GAP right of the widest
        block of the layer before."""
        lefts = []
        for band in self._bands():
            xs, cursor = [], 0.0
            for column in band:
                xs.append(cursor)
                widest = max((self.sizes[c][0] for c in column if c in self.sizes),
                             default=BLOCK_SIZE[0])
                cursor += widest + LAYER_GAP
            lefts.append(xs)
        return lefts

    def extent(self) -> tuple[float, float]:
        """The width and height of the whole layout."""
        width = max(xs[-1] + max((self.sizes[c][0] for c in band[-1] if c in self.sizes),
                                 default=BLOCK_SIZE[0])
                    for xs, band in zip(self.lefts(), self._bands(), strict=True))
        spans = self.spans()
        height = sum(bottom - top for top, bottom in spans)
        return width, height + BAND_GAP * (len(spans) - 1)


def _band_widths(layers: int) -> list[int]:
    """The layers a band may hold, widest first: for each count of bands, the even split
    (nine layers in three bands are 3 + 3 + 3, never 4 + 4 + 1)."""
    return sorted({-(-layers // bands) for bands in range(1, layers + 1)}, reverse=True) \
        if layers else [1]


def _fold(graph: Graph, layer: dict[str, int], parents: dict[str, list[str]],
          sizes: Mapping[str, Size], per_band: int) -> _Fold:
    columns: dict[int, list[str]] = {}
    for node_id in graph.nodes:  # document order breaks ties
        columns.setdefault(layer[node_id], []).append(node_id)
    lane_parents = {k: list(v) for k, v in parents.items()}
    _reserve_lanes(graph, layer, columns, lane_parents, per_band)
    row = _rows(columns, lane_parents)
    ordered = [columns.get(index, []) for index in range(max(columns, default=-1) + 1)]
    return _Fold(per_band, ordered, row, sizes)


# ----- steps ------------------------------------------------------------------------------------
def _layers(graph: Graph, parents: dict[str, list[str]], children: dict[str, list[str]]
            ) -> dict[str, int]:
    """Longest path from a source; a source then moves up to just before its first reader."""
    layer: dict[str, int] = {}
    for node_id in _topological(graph, parents, children):
        layer[node_id] = 1 + max((layer[p] for p in parents[node_id] if p in layer), default=-1)
    for node_id in graph.nodes:
        readers = [layer[c] for c in children[node_id] if c != node_id]
        if not parents[node_id] and readers:
            layer[node_id] = max(layer[node_id], min(readers) - 1)
    return layer


def _reserve_lanes(graph: Graph, layer: dict[str, int], columns: dict[int, list[str]],
                   parents: dict[str, list[str]], per_band: int) -> None:
    """Gives each wire that skips layers within a band a place of its own in the layers it
    crosses.

    A residual connection would otherwise be drawn straight through the blocks between its
    ends. Each skipped layer gets a placeholder row (after the layer's blocks, so they keep
    the straight line and the wire runs beside them); placeholders take part in the ordering
    like blocks and are dropped from the result. A wire from one band to another needs no
    lane: the canvas routes it around the blocks through the gaps between bands.
    """
    for edge in graph.edges.values():
        start, end = layer[edge.source], layer[edge.target]
        if start // per_band != end // per_band:
            continue
        previous = edge.source
        for crossed in range(start + 1, end):
            placeholder = f"{edge.id}/{crossed}"
            parents[placeholder] = [previous]
            columns.setdefault(crossed, []).append(placeholder)
            previous = placeholder
        if end - start > 1:
            parents[edge.target] = [previous if p == edge.source else p
                                    for p in parents[edge.target]]


def _rows(columns: dict[int, list[str]], parents: dict[str, list[str]]) -> dict[str, float]:
    """Each cell's row in its layer, centred on 0: barycentre of its parents' rows.

    A cell with no parents in an inner layer (a source moved next to its reader) goes below
    the others: it reads as a side input of the block it feeds.
    """
    row: dict[str, float] = {}
    for index in sorted(columns):
        column = columns[index]
        if index > 0:
            before = {node_id: float(i) for i, node_id in enumerate(column)}
            last = float(len(column))
            column.sort(key=lambda n: _mean([row[p] for p in parents[n] if p in row],
                                            default=last + before[n]))
        for position, node_id in enumerate(column):
            row[node_id] = position - (len(column) - 1) / 2
    return row


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
