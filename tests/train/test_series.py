"""StepSeries: every step of a metric, its min/max pyramid, envelopes and smoothing."""

from __future__ import annotations

import csv
import io
import math
import statistics
import time

import numpy as np
import pytest

from netbuilder.train.series import StepSeries, debiased_ema, decimate_minmax


def _series(values: np.ndarray, first_step: int = 1) -> StepSeries:
    series = StepSeries(first_step)
    series.append(values)
    return series


def _noisy(n: int, seed: int = 0) -> np.ndarray:
    """A loss-like curve: decaying, noisy, positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (np.exp(-t / (n / 4)) + 0.1 + 0.05 * rng.random(n)).astype(np.float32)


def _with_gaps(n: int, seed: int = 1) -> np.ndarray:
    """Random values with scattered NaN and +-inf, and a long stretch of NaN."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n).astype(np.float32)
    values[rng.integers(0, n, n // 100)] = np.nan
    values[rng.integers(0, n, n // 300)] = np.inf
    values[rng.integers(0, n, n // 300)] = -np.inf
    values[n // 3 : n // 3 + 5000] = np.nan
    return values


def _reference_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing, a plain loop (vz_line_chart2 resmoothDataset)."""
    last, accumulated, out = 0.0, 0, []
    for value in values.tolist():
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        accumulated += 1
        out.append(last / (1 - weight**accumulated))
    return np.array(out)


def _brute_level(values: np.ndarray, block: int) -> tuple[np.ndarray, ...]:
    """Per block of ``block`` values: min, max (NaN when none finite), index of each."""
    n = len(values)
    rows = -(-n // block)
    finite = np.isfinite(values)
    lo = np.full(rows * block, np.inf, np.float32)
    hi = np.full(rows * block, -np.inf, np.float32)
    lo[:n] = np.where(finite, values, np.inf)
    hi[:n] = np.where(finite, values, -np.inf)
    lo, hi = lo.reshape(rows, block), hi.reshape(rows, block)
    starts = np.arange(rows) * block
    lows, highs = lo.min(axis=1), hi.max(axis=1)
    lows[np.isinf(lows)] = np.nan
    highs[np.isinf(highs)] = np.nan
    return lows, highs, starts + lo.argmin(axis=1), starts + hi.argmax(axis=1)


def _check_envelope(series: StepSeries, start: float, stop: float, columns: int) -> None:
    """The envelope's invariants for any range of a series."""
    x, y = series.envelope(start, stop, columns)
    assert x.dtype == np.float64 and y.dtype == np.float32 and x.shape == y.shape
    assert len(x) <= 2 * columns + 2
    assert np.all(np.diff(x) > 0)
    values = series.values
    index = (x - series.first_step).astype(np.int64)
    assert np.array_equal(index, x - series.first_step)  # at whole steps
    assert index[0] >= 0 and index[-1] < len(values)
    # Every point drawn is a real data point (non-finite ones shown as NaN).
    real = values[index]
    assert np.array_equal(np.where(np.isfinite(real), real, np.nan), y, equal_nan=True)
    # The range's extremes are drawn.
    i0 = max(0, math.ceil(max(start, series.first_step) - series.first_step))
    i1 = min(len(values) - 1, math.floor(min(stop, series.last_step) - series.first_step))
    part = values[i0 : i1 + 1]
    part = part[np.isfinite(part)]
    if len(part):
        assert part.min() in y and part.max() in y


# ----------------------------------------------------------------------------------------------
# Appending and the pyramid


def test_empty_series() -> None:
    series = StepSeries(first_step=5)
    assert len(series) == 0 and series.first_step == 5 and series.last_step == 4
    assert series.values.shape == (0,)
    x, y = series.envelope(0, 100, 100)
    assert x.shape == y.shape == (0,)
    assert series.smoothed(0.9).shape == (0,)
    assert list(series.to_csv_rows()) == []
    series.append(np.empty(0, np.float32))
    assert len(series) == 0


def test_steps_and_read_only_values() -> None:
    series = _series(np.arange(10, dtype=np.float32), first_step=100)
    assert len(series) == 10 and series.first_step == 100 and series.last_step == 109
    view = series.values
    assert view.dtype == np.float32
    with pytest.raises(ValueError):
        view[0] = 1
    series.append(np.arange(10, 5000, dtype=np.float32))  # reallocates the buffer
    assert np.array_equal(view, np.arange(10))  # the old view keeps its values
    assert np.array_equal(series.values, np.arange(5000))
    with pytest.raises(ValueError):
        series.append(np.zeros((2, 2), np.float32))


def test_append_in_random_batches_equals_one_append() -> None:
    values = _with_gaps(300_000)
    whole = _series(values)
    batched = StepSeries()
    rng = np.random.default_rng(2)
    begin = 0
    while begin < len(values):
        size = int(rng.integers(1, 5001))
        batched.append(values[begin : begin + size])
        begin += size
    assert np.array_equal(whole.values, batched.values, equal_nan=True)
    assert len(whole._levels) == len(batched._levels)
    for k in range(1, len(whole._levels) + 1):
        for a, b in zip(whole._level_view(k), batched._level_view(k), strict=True):
            assert np.array_equal(a, b, equal_nan=True)
    for start, stop, columns in [(1, 300_000, 1000), (1000.5, 250_000, 2000), (99_000, 99_900, 7),
                                 (-50, 1e9, 333)]:
        for a, b in zip(whole.envelope(start, stop, columns),
                        batched.envelope(start, stop, columns), strict=True):
            assert np.array_equal(a, b, equal_nan=True)


def test_levels_match_brute_force() -> None:
    values = _with_gaps(100_003)
    series = StepSeries()
    for begin in range(0, len(values), 777):
        series.append(values[begin : begin + 777])
        if begin % (777 * 13) == 0:
            series.envelope(1, series.last_step, 100)  # read now and then, as a view does
    assert len(series._pyramid()) == 6  # 8**6 >= 100_003 > 8**5: the top level is one block
    for k in range(1, 7):
        block, *level = series._level_view(k)
        assert block == 8**k
        for got, expected in zip(level, _brute_level(values, block), strict=True):
            assert np.array_equal(got, expected, equal_nan=True)


# ----------------------------------------------------------------------------------------------
# Envelopes


def test_envelope_is_raw_when_short() -> None:
    values = _noisy(1000)
    series = _series(values)
    x, y = series.envelope(1, 1000, 500)
    assert np.array_equal(x, np.arange(1, 1001)) and np.array_equal(y, values)
    # A part of it, with one point beyond each side.
    x, y = series.envelope(10.5, 20.5, 100)
    assert np.array_equal(x, np.arange(10, 22)) and np.array_equal(y, values[9:21])
    # Between two steps: the two neighbours, so a line still crosses the view.
    x, _ = series.envelope(10.2, 10.8, 100)
    assert np.array_equal(x, [10, 11])


@pytest.mark.parametrize("columns", [1, 7, 1000, 2000])
def test_envelope_long_invariants(columns: int) -> None:
    n = 2_000_000
    series = _series(_with_gaps(n))
    rng = np.random.default_rng(columns)
    ranges = [(1, n), (-1e6, 3e6), (-math.inf, math.inf), (n / 2, n), (1, 2 * columns + 1),
              (1, 2 * columns + 2)]
    for width in (10 * columns, 300_000, 1_500_000):
        start = float(rng.uniform(-width / 4, n - width / 2))
        ranges.append((start, start + width))
    for start, stop in ranges:
        _check_envelope(series, start, stop, columns)


def test_envelope_decimates_when_long() -> None:
    series = _series(_noisy(2_000_000))
    x, _ = series.envelope(1, 2_000_000, 1000)
    assert 1000 < len(x) <= 2000  # about two points a column
    x, _ = series.envelope(1, 2001, 1000)  # 2001 points: just over two a column
    assert len(x) <= 2001


def test_single_spike_survives_every_zoom() -> None:
    n = 2_000_000
    values = np.zeros(n, np.float32)
    spike, dip = 1_234_567, 345_678
    values[spike] = 1e6
    values[dip] = -1e6
    series = _series(values)
    rng = np.random.default_rng(3)
    for where, value in [(spike, 1e6), (dip, -1e6)]:
        step = where + 1
        width = float(n)
        while width >= 4:
            for columns in (1, 333, 1000, 2000):
                start = step - float(rng.uniform(0, width))
                x, y = series.envelope(start, start + width, columns)
                assert value in y, (width, columns)
                assert x[np.flatnonzero(y == value)[0]] == step
            width /= 3


def test_envelope_clips_to_the_data() -> None:
    n = 100_000
    series = _series(_noisy(n), first_step=11)
    # Nothing beyond the data: the line starts and ends within a column of its ends.
    x, _ = series.envelope(-100, n + 100, 1000)
    assert 11 <= x[0] < 11 + 101 and n + 10 - 101 < x[-1] <= n + 10
    x, _ = series.envelope(-100, 1500, 1000)  # raw
    assert x[0] == 11 and x[-1] == 1501  # and one beyond the end of the view
    x, _ = series.envelope(-1e6, 1e7, 1000)  # the data spans 10 columns: their mins and maxes
    assert x[0] >= 11 and x[-1] <= n + 10 and len(x) <= 20
    # Inside: one point beyond each side reaches the edges of the view.
    x, _ = series.envelope(20_000.5, 70_000.5, 1000)
    assert x[0] == 20_000 and x[-1] == 70_001
    x, _ = series.envelope(50_000, 10**12, 1000)  # zoomed far out past the end
    assert x[0] == 49_999 and x[-1] <= n + 10 and len(x) <= 4


def test_envelope_outside_the_data_is_empty() -> None:
    series = _series(_noisy(10_000), first_step=1)
    for start, stop in [(-100, 0.5), (10_000.5, 20_000), (5000, 4000), (math.inf, math.inf),
                        (-math.inf, -math.inf)]:
        x, y = series.envelope(start, stop, 100)
        assert x.shape == y.shape == (0,), (start, stop)


def test_envelope_rejects_bad_arguments() -> None:
    series = _series(_noisy(100))
    for columns in (0, -3):
        with pytest.raises(ValueError):
            series.envelope(1, 100, columns)
    with pytest.raises(ValueError):
        series.envelope(math.nan, 100, 10)
    with pytest.raises(ValueError):
        decimate_minmax(np.arange(3.0), np.arange(3.0), 0)


def test_envelope_non_finite_values() -> None:
    values = np.ones(200_000, np.float32)
    values[1000:150_000] = np.nan  # a long gap
    values[500] = np.inf  # ignored by min/max, not a gap
    values[700] = 5.0
    series = _series(values)
    x, y = series.envelope(1, 200_000, 1000)
    gap = (x > 1100) & (x < 149_900)
    assert gap.any() and np.isnan(y[gap]).all()
    assert not np.isinf(y).any()
    assert 5.0 in y and np.nanmin(y) == 1.0
    # Zoomed in, the raw inf is shown as NaN.
    x, y = series.envelope(490, 510, 100)
    assert np.isnan(y[x == 501]).all() and not np.isinf(y).any()


def test_envelope_cost_does_not_grow_with_history() -> None:
    def median_ms(series: StepSeries) -> float:
        samples = []
        for _ in range(20):
            begin = time.perf_counter()
            series.envelope(series.first_step, series.last_step, 1000)
            samples.append(time.perf_counter() - begin)
        return 1e3 * statistics.median(samples)

    small = median_ms(_series(_noisy(100_000)))
    large = median_ms(_series(_noisy(2_000_000)))
    # Both are well under a millisecond on a quiet machine; stay loose for a busy CI machine.
    assert large < 20, (small, large)


# ----------------------------------------------------------------------------------------------
# Smoothing


@pytest.mark.parametrize("weight", [0.0, 0.5, 0.9, 0.99, 0.999])
def test_smoothing_matches_tensorboard_loop(weight: float) -> None:
    # Long enough to cross the closed form's chunks and passes at every weight.
    values = _noisy(140_000, seed=4)
    expected = _reference_ema(values, weight)
    got = debiased_ema(values, weight)
    assert got.dtype == np.float32 and got.shape == values.shape
    assert np.max(np.abs(got - expected) / np.abs(expected)) < 1e-5
    assert np.array_equal(_series(values).smoothed(weight), got)


def test_smoothing_signed_values_and_gaps() -> None:
    values = np.random.default_rng(5).standard_normal(20_000).astype(np.float32)
    values[[3, 100, 101, 5000]] = [np.nan, np.inf, -np.inf, np.nan]
    for weight in (0.6, 0.99):
        expected = _reference_ema(values, weight)
        got = debiased_ema(values, weight)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        assert np.isnan(got[3]) and got[100] == np.inf and got[101] == -np.inf


def test_weight_zero_is_the_raw_values() -> None:
    values = _with_gaps(10_000)
    series = _series(values)
    assert np.array_equal(series.smoothed(0.0), values, equal_nan=True)
    assert series.smoothed_series(0) is series
    assert np.array_equal(debiased_ema(values, 0), values, equal_nan=True)


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5, math.nan])
def test_bad_weight(weight: float) -> None:
    with pytest.raises(ValueError):
        debiased_ema(np.ones(3, np.float32), weight)
    with pytest.raises(ValueError):
        StepSeries().smoothed(weight)


def test_incremental_smoothing_equals_recomputation() -> None:
    values = _with_gaps(200_000, seed=6)
    series = StepSeries()
    smoothed = {w: series.smoothed_series(w) for w in (0.6, 0.9, 0.999)}
    rng = np.random.default_rng(7)
    begin = 0
    while begin < len(values):
        size = int(rng.integers(1, 5001))
        series.append(values[begin : begin + size])
        begin += size
    for weight, copy in smoothed.items():
        expected = debiased_ema(values, weight)
        assert series.smoothed_series(weight) is copy and len(copy) == len(values)
        np.testing.assert_allclose(copy.values, expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(series.smoothed(weight), expected, rtol=1e-6, atol=1e-6)
        # Its pyramid was kept up to date as well.
        for k in range(1, len(copy._levels) + 1):
            block, lows, highs, *_ = copy._level_view(k)
            brute_lows, brute_highs, *_ = _brute_level(copy.values, block)
            assert np.array_equal(lows, brute_lows, equal_nan=True)
            assert np.array_equal(highs, brute_highs, equal_nan=True)


def test_smoothed_series_can_be_enveloped_and_outlives_the_cache() -> None:
    series = _series(_noisy(300_000))
    held = series.smoothed_series(0.9)
    assert held.first_step == series.first_step and len(held) == len(series)
    _check_envelope(held, 1, 300_000, 1000)
    for weight in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):  # pushes 0.9 out of the series' own cache
        series.smoothed(weight)
    series.append(_noisy(1000, seed=8))
    assert len(held) == len(series) == 301_000
    np.testing.assert_allclose(held.values, debiased_ema(series.values, 0.9), rtol=1e-6)
    assert series.smoothed_series(0.9) is held


# ----------------------------------------------------------------------------------------------
# Short curves and export


def test_decimate_minmax() -> None:
    x = np.linspace(0, 10, 50)
    y = np.sin(x).astype(np.float32)
    got_x, got_y = decimate_minmax(x, y, 25)
    assert np.array_equal(got_x, x) and np.array_equal(got_y, y)

    x = np.sort(np.random.default_rng(9).uniform(0, 100, 50_000))
    y = _with_gaps(50_000)
    y[12_345] = 1e6
    got_x, got_y = decimate_minmax(x, y, 300)
    assert len(got_x) <= 600 and np.all(np.diff(got_x) >= 0)
    assert 1e6 in got_y and np.nanmin(got_y) == np.min(y[np.isfinite(y)])
    assert not np.isinf(got_y).any()
    with pytest.raises(ValueError):
        decimate_minmax(x[::-1], y, 300)
    with pytest.raises(ValueError):
        decimate_minmax(x, y[:-1], 300)


def test_to_csv_rows() -> None:
    series = _series(np.array([0.1, 2.5, np.nan, 1e-8], np.float32), first_step=3)
    rows = list(series.to_csv_rows(chunk=3))
    assert rows[0] == (3, 0.1) and rows[1] == (4, 2.5) and rows[3] == (6, 1e-8)
    assert rows[2][0] == 5 and math.isnan(rows[2][1])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert out.getvalue() == "3,0.1\n4,2.5\n5,nan\n6,1e-08\n"
    # Every value reads back as the same float32.
    values = _noisy(10_000)
    back = np.array([v for _, v in _series(values).to_csv_rows()], np.float32)
    assert np.array_equal(back, values)


def test_nbytes_counts_the_buffer_the_pyramid_and_the_kept_smoothing() -> None:
    series = StepSeries()
    series.append(np.arange(100_000, dtype=np.float32))
    bare = series.nbytes
    assert 400_000 <= bare <= 2 * 400_000 + 100_000  # spare capacity below one doubling
    series.smoothed_series(0.9)
    assert series.nbytes >= bare + 400_000
