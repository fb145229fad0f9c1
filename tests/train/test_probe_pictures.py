"""Probe values as pictures: tiled feature maps under each scale, strips, and histogram
histories that stay bounded over any run."""

from __future__ import annotations

import numpy as np
import pytest

from netbuilder.train.probe_pictures import (
    HistogramHistory,
    network_range,
    strip,
    tile_maps,
)


def test_maps_tile_into_a_grid_with_gaps_under_each_scale() -> None:
    maps = np.stack([np.full((4, 5), float(k)) for k in range(6)]).astype(np.float32)
    maps[2, 0, 0] = 10.0
    layer = tile_maps(maps, "layer")
    rows, columns = layer.tiles
    assert rows * columns >= 6 and (rows - 1) * columns < 6
    assert layer.image.shape == (rows * 5 - 1, columns * 6 - 1)
    assert np.isnan(layer.image[4, :]).all()  # the gap under the first row of tiles
    assert layer.levels == (0.0, 10.0)
    assert np.nansum(layer.image) == pytest.approx(maps.sum())
    per_map = tile_maps(maps, "map")
    assert per_map.levels == (0.0, 1.0)
    assert np.nanmax(per_map.image) == 1.0 and np.nanmin(per_map.image) == 0.0
    wide = tile_maps(maps, "network", network_range({"a": (-3.0, 1.0), "b": (0.0, 20.0)}))
    assert wide.levels == (-3.0, 20.0)
    assert tile_maps(np.zeros((32, 3, 3)), aspect=2.0).tiles == (4, 8)  # wide room, wide grid
    with pytest.raises(ValueError, match="unknown scale"):
        tile_maps(maps, "loud")


def test_a_vector_wraps_into_a_strip() -> None:
    picture = strip(np.arange(100, dtype=np.float32), per_row=64)
    assert picture.image.shape == (2, 64)
    assert picture.image[1, 35] == 99 and np.isnan(picture.image[1, 36:]).all()
    assert picture.levels == (0.0, 99.0)
    assert strip(np.ones(3)).levels == (0.5, 1.5)  # a flat vector still gets a range


def test_a_histogram_history_stays_bounded_and_evenly_spread() -> None:
    history = HistogramHistory(capacity=16)
    edges = np.linspace(-1.0, 1.0, 5)
    for step in range(1, 1001):
        history.add(step, np.array([1, 2, 3, 4]), edges * (1 + step / 1000))
    assert len(history) < 16
    gaps = np.diff(history.steps)
    assert history.steps[0] == 1 and gaps.min() == gaps.max()  # evenly decimated
    assert history.steps[-1] > 1000 - history.stride  # the latest within one stride
    image, steps, (low, high) = history.heat_map(cells=40)
    assert image.shape == (len(history), 40) and list(steps) == history.steps
    widest = 1 + history.steps[-1] / 1000  # the ranges grew with the steps
    assert (low, high) == pytest.approx((-widest, widest))
    assert np.allclose(image.sum(axis=1), 1.0)  # every row's counts, spread, sum to all
    # The latest rows spread wider than the first: their mass reaches the outer cells.
    assert image[-1, :3].sum() > image[0, :3].sum()


def test_an_empty_history_draws_nothing() -> None:
    image, steps, _ = HistogramHistory().heat_map()
    assert image.shape[0] == 0 and steps.size == 0
    with pytest.raises(ValueError):
        HistogramHistory(capacity=1)
