"""Probe values as pictures and histories: numpy only, no Qt and no torch.

The activation viewer (netbuilder/ui/training/activations.py) draws what these functions
return: conv feature maps tiled into one image under a chosen colour scale, and each
histogram's history over the run as a heat map of value against step, bounded in memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

#: Colour scales of feature maps. Per map, every map fills the colours on its own: a map that
#: barely moves looks as strong as one that fires everywhere, which is how students misread
#: them (CNN Explainer's point); per layer and network-wide, colours compare.
SCALES = ("layer", "map", "network")
#: Rows a histogram history keeps; past this, every other row goes and fewer are taken.
HISTORY_ROWS = 256


@dataclass(frozen=True)
class Picture:
    """A 2-D image and the value range its colours span.

    Attributes:
        image: float32 (rows, columns); NaN where nothing is drawn (gaps between tiles).
        levels: (low, high): the values the colour bar's ends stand for.
        tiles: (rows, columns) of the tile grid (1, 1 for a single picture).
    """

    image: np.ndarray
    levels: tuple[float, float]
    tiles: tuple[int, int] = (1, 1)


def tile_maps(maps: np.ndarray, scale: str = "layer",
              network_range: tuple[float, float] | None = None, gap: int = 1,
              aspect: float = 1.0) -> Picture:
    """A conv block's maps (channels, height, width) as one tiled image.

    Args:
        maps: one sample's output of the block.
        scale: "layer" (one range for all the maps), "map" (each map stretched to its own
            range; the colour bar then reads 0 to 1) or "network" (``network_range``, the
            range of every block's output on this sample).
        network_range: the range for "network" (the layer's own when None).
        gap: pixels of nothing between tiles.
        aspect: the width / height of the place it is shown in: the grid takes that shape.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; one of {', '.join(SCALES)}")
    maps = np.asarray(maps, dtype=np.float32)
    if maps.ndim == 2:
        maps = maps[None]
    count, height, width = maps.shape
    columns = max(1, min(count, math.ceil(math.sqrt(count * aspect * height / max(width, 1)))))
    rows = math.ceil(count / columns)
    image = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap), np.nan,
                    dtype=np.float32)
    shown = _stretch_each(maps) if scale == "map" else maps
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        image[top:top + height, left:left + width] = shown[index]
    if scale == "map":
        levels = (0.0, 1.0)
    elif scale == "network" and network_range is not None:
        levels = _widened(network_range)
    else:
        levels = finite_range(maps)
    return Picture(image, levels, (rows, columns))


def strip(values: np.ndarray, per_row: int = 64) -> Picture:
    """A dense block's output (a vector) as a strip of cells, wrapped every ``per_row``."""
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    rows = max(1, math.ceil(flat.size / per_row))
    width = min(per_row, flat.size) if flat.size else 1
    image = np.full(rows * width, np.nan, dtype=np.float32)
    image[:flat.size] = flat
    return Picture(image.reshape(rows, width), finite_range(flat), (rows, 1))


def network_range(ranges: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The span of every block's range (a probe's ``ranges``), or None without any."""
    if not ranges:
        return None
    lows, highs = zip(*ranges.values(), strict=True)
    return float(min(lows)), float(max(highs))


def finite_range(values: np.ndarray) -> tuple[float, float]:
    """(low, high) of the finite values, widened when flat; (0, 1) when there are none."""
    finite = np.asarray(values)[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    return _widened((float(finite.min()), float(finite.max())))


def _widened(levels: tuple[float, float]) -> tuple[float, float]:
    low, high = levels
    if high <= low:
        return low - 0.5, high + 0.5
    return low, high


def _stretch_each(maps: np.ndarray) -> np.ndarray:
    low = np.nanmin(np.where(np.isfinite(maps), maps, np.nan), axis=(1, 2), keepdims=True)
    high = np.nanmax(np.where(np.isfinite(maps), maps, np.nan), axis=(1, 2), keepdims=True)
    span = np.where(high > low, high - low, 1.0)
    return np.nan_to_num((maps - low) / span, nan=0.0)


class HistogramHistory:
    """The histograms of one tensor over a run, bounded and evenly decimated.

    Each probe brings counts over its own bins (the tensor's range then). At most
    ``capacity`` rows are kept: when full, every other row is dropped and from then on only
    every second probe is taken (then every fourth, ...), so the rows stay evenly spread
    over the run, however long it is.
    """

    def __init__(self, capacity: int = HISTORY_ROWS) -> None:
        if capacity < 2:
            raise ValueError("a history keeps at least 2 rows")
        self.capacity = capacity
        self.steps: list[int] = []
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []  # (counts, edges)
        self.stride = 1
        self._offers: list[int] = []  # which offer each kept row was
        self._offered = 0
        self._next = 0  # the offer to keep next

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, step: int, counts: np.ndarray, edges: np.ndarray) -> bool:
        """Offers one probe's histogram; returns whether it was kept."""
        row = (np.asarray(counts, dtype=np.float64), np.asarray(edges, dtype=np.float64))
        if self.steps and step <= self.steps[-1]:  # the same step again (a final probe)
            self.rows[-1] = row
            return True
        offer, self._offered = self._offered, self._offered + 1
        if offer < self._next:
            return False
        self.steps.append(int(step))
        self.rows.append(row)
        self._offers.append(offer)
        if len(self.rows) >= self.capacity:
            self.steps, self.rows = self.steps[::2], self.rows[::2]
            self._offers = self._offers[::2]
            self.stride *= 2
        self._next = self._offers[-1] + self.stride
        return True

    def heat_map(self, cells: int = 64) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """The rows on one common value axis: (image, steps, (low, high)).

        ``image`` is (rows, cells): each row's counts spread over ``cells`` equal bins from
        the lowest to the highest value any kept row saw, as fractions of that row's total
        (rows of a growing tensor stay comparable; an empty row stays 0). Empty history: an
        empty image.
        """
        if not self.rows:
            return np.zeros((0, cells), dtype=np.float32), np.zeros(0, dtype=np.int64), (0, 1)
        low = min(float(edges[0]) for _, edges in self.rows)
        high = max(float(edges[-1]) for _, edges in self.rows)
        if high <= low:
            low, high = low - 0.5, high + 0.5
        image = np.zeros((len(self.rows), cells), dtype=np.float32)
        grid = np.linspace(low, high, cells + 1)
        for index, (counts, edges) in enumerate(self.rows):
            total = counts.sum()
            if total <= 0:
                continue
            # Each bin's share spread evenly over its span: the row's distribution function,
            # read at the common grid's edges (no empty stripes where grids do not align).
            cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / total
            image[index] = np.diff(np.interp(grid, edges, cumulative, left=0.0, right=1.0))
        return image, np.asarray(self.steps, dtype=np.int64), (low, high)
