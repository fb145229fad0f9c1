"""Every step of a training metric, kept in memory and drawn fast at any zoom (numpy only).

The live loss curve keeps 100% of the steps of a run (tens of millions of points) and redraws
at about 20 Hz. The plot library's cost follows the points handed to it, not the history, so
this module hands it about two points per pixel column, and makes finding them cost the same
whatever the length of the history.

Design:

* **Values**: one float32 buffer that grows geometrically (amortised O(1) a value, 4 bytes a
  step). The filled part never changes, so a read-only view handed out earlier stays valid
  after later appends (a reallocation leaves it on the old buffer, with the same values).
* **Min/max pyramid**: level ``k`` (k >= 1) holds, for each block of ``8**k`` steps, its min,
  its max and their offsets in the block (in the smallest unsigned type that fits). Level
  ``k + 1`` is built from level ``k``, 8 children a block, so an append only recomputes the
  blocks it touches: the last, partial block of each level is carried across appends (rebuilt
  from its at most 7 complete children plus the new ones), and the climb stops at the first
  level that did not change. All levels together cost about 1.4 bytes a step.
* **Envelope**: for a range of steps and a number of pixel columns, the raw points when the
  range holds at most two a column; otherwise the level with the largest block that still
  gives at least 2 blocks a column (the raw values are level 0, block 1). The blocks a column
  holds are reduced to their min and max, emitted in the order they occur and at the steps
  where they occur: every point drawn is a real data point and a line through them draws the
  envelope, so a single spike survives at every zoom. The range's ends that do not cover a
  whole block are read from the raw values (less than half a column each). The work is
  O(columns * 16), whatever the history.
* **Non-finite values** (a diverging loss): min/max ignore NaN and +-inf; a block (or column)
  holding none finite keeps its position and gives a NaN point, which a plot draws as a gap.
  Raw points handed out turn +-inf into NaN for the same reason.
* **Smoothing**: TensorBoard's debiased exponential moving average, on the full-resolution
  values and before decimation (the envelope of the smoothed curve, not a smoothed envelope).
  It is computed without a Python loop per value (a chunked closed form, see
  :func:`debiased_ema`), cached per weight as a :class:`StepSeries` of its own (so it has a
  pyramid too) and extended on append from the kept recursion state.

A series is not thread-safe: the app appends and draws from the GUI thread only.
"""

from __future__ import annotations

import math
import operator
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["StepSeries", "debiased_ema", "decimate_minmax"]

# Children per block between two pyramid levels. 8 keeps the pyramid small (1/7 of the blocks of
# level 1) and an envelope's work at most 16 blocks a column.
_FANOUT = 8
# Smallest buffer allocated; grows by doubling from there.
_MIN_CAPACITY = 1024
# Smoothed copies the series keeps alive itself: the weights asked for last (the slider's current
# one and the one before). Others live on only while a caller holds them, kept up to date as long.
_SMOOTHED_KEPT = 2
# In the EMA's closed form, w**-j must stay far from float64's overflow (2**1024) even times a
# float32's largest value (2**128): chunks are at most this long in natural-log units (2**800).
_EMA_LOG_RANGE = 800 * math.log(2.0)
# Values processed per pass of the EMA: keeps its float64 temporaries in the CPU caches.
_EMA_PASS = 1 << 16
# Values smoothed at a time when a new weight is asked for.
_SMOOTH_SLICE = 1 << 20
# Debiasing divides by 1 - w**n; past w**n < 2**-60 that is exactly 1.0 in float64.
_DEBIAS_LOG_RANGE = 60 * math.log(2.0)

_EMPTY_STEPS = np.empty(0, np.float64)
_EMPTY_VALUES = np.empty(0, np.float32)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return _EMPTY_STEPS.copy(), _EMPTY_VALUES.copy()


def _check_columns(columns: int) -> int:
    columns = operator.index(columns)
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    return columns


def _check_weight(weight: float) -> float:
    weight = float(weight)
    if not 0.0 <= weight < 1.0:  # also refuses NaN
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    return weight


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    """A float32 copy of ``values`` with +-inf turned into NaN (a plot draws both as a gap)."""
    out = np.array(values, dtype=np.float32)
    out[np.isinf(out)] = np.nan
    return out


def _grown(array: np.ndarray, needed: int) -> np.ndarray:
    """``array``, or a copy at least twice as large when it cannot hold ``needed`` items."""
    if needed <= len(array):
        return array
    grown = np.empty(max(needed, 2 * len(array), _MIN_CAPACITY), array.dtype)
    grown[: len(array)] = array
    return grown


# ----------------------------------------------------------------------------------------------
# Smoothing


def _ema_run(
    x: np.ndarray, weight: float, state: float, count: int
) -> tuple[np.ndarray, float]:
    """The debiased EMA of finite values, continuing from a state, vectorised.

    The plain EMA ``e_t = w * e_{t-1} + (1 - w) * x_t`` has, within a chunk of length L that
    starts from state s, the closed form ``e_j = w**(j+1) * s + (1 - w) * w**j * S_j`` with
    ``S_j = cumsum(x_i * w**-i)_j``. L is chosen so that ``w**-(L-1)`` stays below 2**800 (no
    overflow, even times a float32's largest value): then ``w**L < 2**-800``, so a chunk's
    start state only depends on the previous chunk's end (older chunks come in scaled by
    ``w**(2L)``, 0 in float64) and all chunks of a pass are computed at once, in 2-D. Where w
    is so close to 1 that L would exceed a pass, chunks are one pass long and the state is
    carried exactly from pass to pass. Passes of 2**16 values keep the float64 temporaries in
    the CPU caches.

    Args:
        x: finite values.
        weight: in (0, 1).
        state: the plain EMA before ``x[0]``; 0 at the start.
        count: how many values ``state`` holds (for the debiasing).

    Returns:
        The debiased EMA at each value (float32) and the plain EMA after the last.
    """
    n = len(x)
    out = np.empty(n, np.float32)
    rate = -math.log(weight)
    # Never longer than the values either: a live append smooths a short batch.
    chunk = min(_EMA_PASS, int(_EMA_LOG_RANGE / rate) + 1, n)
    per_pass = chunk * max(1, _EMA_PASS // chunk)
    j = np.arange(chunk, dtype=np.float64)
    rising = np.exp(j * rate)  # w**-j
    falling = np.exp(-j * rate) * (1.0 - weight)  # (1 - w) * w**j
    carry = np.exp(-(j + 1.0) * rate)  # w**(j+1)
    decay = math.exp(-chunk * rate)  # w**L
    # Debiasing divides the n-th value (from 1) by 1 - w**n: exactly 1.0 in float64 past this.
    last_debiased = int(_DEBIAS_LOG_RANGE / rate) + 1
    padded = np.empty(per_pass if n > per_pass else -(-n // chunk) * chunk, np.float64)
    for begin in range(0, n, per_pass):
        part = x[begin : begin + per_pass]
        m = len(part)
        rows = -(-m // chunk)
        work = padded[: rows * chunk]
        work[:m] = part
        work[m:] = 0.0
        local = work.reshape(rows, chunk)
        local *= rising
        np.cumsum(local, axis=1, out=local)
        local *= falling  # each row's EMA from a zero state
        starts = np.empty(rows, np.float64)
        starts[0] = state
        if rows > 1:
            # Row r starts from row r-1's end: its zero-state end, plus what it carried in
            # (row 0 from `state`; the others from two rows back, scaled by w**L: ~0).
            ends = local[:, -1]
            starts[1] = ends[0] + decay * state
            starts[2:] = ends[1:-1] + decay * ends[:-2]
        local += starts[:, None] * carry
        state = float(work[m - 1])
        first = count + begin + 1  # the n of work[0]
        if first <= last_debiased:
            k = min(m, last_debiased - first + 1)
            work[:k] /= 1.0 - np.power(weight, np.arange(first, first + k, dtype=np.float64))
        out[begin : begin + m] = work[:m]
    return out, state


def _ema_continue(
    values: np.ndarray, weight: float, state: float, count: int
) -> tuple[np.ndarray, float, int]:
    """Debiased EMA of ``values`` continuing from a state, TensorBoard's way.

    Non-finite values pass through unchanged and neither move the state nor count towards the
    debiasing (a single NaN loss must not wipe out the rest of the smoothed curve).

    Args:
        values: the next values.
        weight: in [0, 1).
        state: the plain EMA so far; 0 at the start.
        count: how many finite values the state holds.

    Returns:
        The smoothed values (float32), the new state and the new count.
    """
    x = np.asarray(values, dtype=np.float32).ravel()
    if weight == 0.0 or len(x) == 0:
        return x.copy(), state, count
    finite = np.isfinite(x)
    if finite.all():
        out, state = _ema_run(x, weight, state, count)
        return out, state, count + len(x)
    xs = x[finite]
    if len(xs) == 0:
        return x.copy(), state, count
    smoothed, state = _ema_run(xs, weight, state, count)
    out = x.copy()
    out[finite] = smoothed
    return out, state, count + len(xs)


def debiased_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's smoothing of ``values``: the debiased exponential moving average.

    ``ema_t = w * ema_{t-1} + (1 - w) * x_t`` from ``ema_{-1} = 0``, shown as
    ``ema_t / (1 - w**(t+1))``; as in TensorBoard, NaN and +-inf values are shown unchanged
    and skipped by the recursion (t counts finite values only). Vectorised (no Python loop per
    value) and computed in float64: it matches the plain loop to the float32 result's rounding
    (~6e-8 relative in the tests).

    Args:
        values: 1-D values.
        weight: in [0, 1); 0 returns the values unchanged.

    Returns:
        The smoothed values, float32, same length.

    Raises:
        ValueError: weight outside [0, 1).
    """
    out, _, _ = _ema_continue(values, _check_weight(weight), 0.0, 0)
    return out


# ----------------------------------------------------------------------------------------------
# Decimation


def _reduce_columns(
    column: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
    low_at: np.ndarray,
    high_at: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce consecutive units (raw points or blocks) to each column's min and max.

    Args:
        column: each unit's column, non-decreasing (int64).
        lows: each unit's min (float32; NaN or +-inf where it has no finite value).
        highs: each unit's max (likewise).
        low_at: where each unit's min is (int64 positions, increasing from unit to unit).
        high_at: where each unit's max is.

    Returns:
        Positions (int64, strictly increasing) and values (float32): per column its min and
        its max in the order they occur, one point where they are the same, a NaN point where
        the column has no finite value.
    """
    n = len(column)
    starts = np.flatnonzero(np.diff(column, prepend=column[0] - 1))
    counts = np.diff(starts, append=n)
    lo = np.where(np.isfinite(lows), lows, np.float32(np.inf))
    hi = np.where(np.isfinite(highs), highs, np.float32(-np.inf))
    col_lo = np.minimum.reduceat(lo, starts)
    col_hi = np.maximum.reduceat(hi, starts)
    # The first unit of each column that holds the column's min (max): a column without finite
    # values matches on its first unit (+inf == +inf), which keeps the column's position.
    index = np.arange(n)
    first_lo = np.minimum.reduceat(np.where(lo == np.repeat(col_lo, counts), index, n), starts)
    first_hi = np.minimum.reduceat(np.where(hi == np.repeat(col_hi, counts), index, n), starts)
    lo_at = low_at[first_lo]
    hi_at = high_at[first_hi]
    col_lo[np.isinf(col_lo)] = np.nan
    col_hi[np.isinf(col_hi)] = np.nan
    low_first = lo_at <= hi_at
    positions = np.empty(2 * len(starts), np.int64)
    values = np.empty(2 * len(starts), np.float32)
    positions[0::2] = np.where(low_first, lo_at, hi_at)
    positions[1::2] = np.where(low_first, hi_at, lo_at)
    values[0::2] = np.where(low_first, col_lo, col_hi)
    values[1::2] = np.where(low_first, col_hi, col_lo)
    keep = np.ones(len(positions), bool)
    keep[1::2] = positions[1::2] != positions[0::2]
    return positions[keep], values[keep]


def decimate_minmax(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """The min/max envelope of a short curve (per-epoch metrics...) at ``columns`` pixel columns.

    Like :meth:`StepSeries.envelope` over the whole curve, but straight from the points (O(len)):
    the raw points when there are at most ``2 * columns``, else per column (equal widths from
    ``x[0]`` to ``x[-1]``) its min and max, in the order they occur.

    Args:
        x: non-decreasing positions.
        y: values, same length; NaN and +-inf are ignored by min/max (shown as NaN).
        columns: pixel columns, at least 1.

    Returns:
        ``(x, y)`` to draw, float64 and float32.

    Raises:
        ValueError: columns < 1, arrays not 1-D of the same length, or x decreasing.
    """
    columns = _check_columns(columns)
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float32)
    if xs.ndim != 1 or xs.shape != ys.shape:
        raise ValueError(f"x and y must be 1-D of the same length, got {xs.shape} and {ys.shape}")
    n = len(xs)
    if n <= 2 * columns:
        return xs.copy(), _finite_or_nan(ys)
    if not bool(np.all(np.diff(xs) >= 0)):
        raise ValueError("x must be non-decreasing (and not NaN)")
    width = (xs[-1] - xs[0]) / columns
    if width > 0:
        column = np.minimum(((xs - xs[0]) / width).astype(np.int64), columns - 1)
    else:
        column = np.zeros(n, np.int64)
    at = np.arange(n, dtype=np.int64)
    positions, values = _reduce_columns(column, ys, ys, at, at)
    return xs[positions], values


# ----------------------------------------------------------------------------------------------
# The series


class _Level:
    """One pyramid level: per block of ``block`` steps its min, max and their offsets."""

    __slots__ = ("block", "count", "high_off", "highs", "low_off", "lows")

    def __init__(self, block: int) -> None:
        self.block = block
        self.count = 0  # blocks, the last one possibly partial
        offset_type = np.min_scalar_type(block - 1)
        self.lows = np.empty(0, np.float32)  # NaN: no finite value in the block
        self.highs = np.empty(0, np.float32)
        self.low_off = np.empty(0, offset_type)
        self.high_off = np.empty(0, offset_type)

    def reserve(self, count: int) -> None:
        self.lows = _grown(self.lows, count)
        self.highs = _grown(self.highs, count)
        self.low_off = _grown(self.low_off, count)
        self.high_off = _grown(self.high_off, count)


def _raw_unit(values: np.ndarray, begin: int, end: int) -> tuple[float, float, int, int]:
    """Min, max and their positions over ``values[begin:end]`` (non-finite values ignored)."""
    part = values[begin:end]
    lo = np.where(np.isfinite(part), part, np.float32(np.inf))
    hi = np.where(np.isfinite(part), part, np.float32(-np.inf))
    i, j = int(lo.argmin()), int(hi.argmax())
    return lo[i], hi[j], begin + i, begin + j


class StepSeries:
    """Every step's value of one metric (steps numbered first_step, first_step+1, ...).

    Args:
        first_step: the step of the first value.
    """

    def __init__(self, first_step: int = 1) -> None:
        self._first = operator.index(first_step)
        self._buffer = np.empty(0, np.float32)
        self._n = 0
        self._levels: list[_Level] = []
        # The first value the pyramid has not taken in yet (None: it is up to date). It is
        # brought up to date when read: the app's record takes 20-40 reports a second and
        # draws 10 times, and a hidden view reads it not at all.
        self._stale_from: int | None = None
        # Smoothed copies: all that are alive (kept up to date on append) and the few last asked
        # for, which the series keeps alive itself.
        self._smoothed: weakref.WeakValueDictionary[float, StepSeries] = (
            weakref.WeakValueDictionary()
        )
        self._recent: OrderedDict[float, StepSeries] = OrderedDict()
        # Set on a smoothed copy: its weight and the EMA's recursion state.
        self._ema_weight = 0.0
        self._ema_state = 0.0
        self._ema_count = 0

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"StepSeries(steps {self._first}..{self.last_step}, {self._n} values)"

    @property
    def first_step(self) -> int:
        return self._first

    @property
    def last_step(self) -> int:
        """The step of the last value (``first_step - 1`` when empty)."""
        return self._first + self._n - 1

    @property
    def nbytes(self) -> int:
        """Bytes the series holds: its buffer (spare capacity included), its pyramid and the
        smoothed copies it keeps alive."""
        total = self._buffer.nbytes + sum(
            level.lows.nbytes + level.highs.nbytes + level.low_off.nbytes + level.high_off.nbytes
            for level in self._pyramid())
        return total + sum(copy.nbytes for copy in self._recent.values())

    @property
    def values(self) -> np.ndarray:
        """A read-only float32 view of all values (stays valid, and unchanged, after appends)."""
        view = self._buffer[: self._n]
        view.flags.writeable = False
        return view

    # ------------------------------------------------------------------------------------------
    # Appending

    def append(self, values: np.ndarray) -> None:
        """Add the values of the next steps (amortised O(len), levels and smoothing included;
        the levels are brought up to date at the next reading of them).

        Raises:
            ValueError: ``values`` is not 1-D.
        """
        batch = np.asarray(values, dtype=np.float32)
        if batch.ndim != 1:
            raise ValueError(f"append takes a 1-D batch, got shape {batch.shape}")
        if len(batch) == 0:
            return
        old = self._n
        self._buffer = _grown(self._buffer, old + len(batch))
        self._buffer[old : old + len(batch)] = batch
        self._n = old + len(batch)
        if self._stale_from is None:
            self._stale_from = old
        for smoothed in list(self._smoothed.values()):
            smoothed._extend_smoothing(batch)

    def _pyramid(self) -> list[_Level]:
        """The pyramid's levels, brought up to date with the values appended since."""
        if self._stale_from is not None:
            dirty, self._stale_from = self._stale_from, None
            self._update_levels(dirty)
        return self._levels

    def _update_levels(self, dirty: int) -> None:
        """Bring the pyramid up to date after the raw values changed from index ``dirty`` on."""
        k = 0
        while True:
            below = self._n if k == 0 else self._levels[k - 1].count
            if k == len(self._levels):
                if below <= 1:  # the top level is a single block: nothing above it
                    return
                self._levels.append(_Level(_FANOUT ** (k + 1)))
            changed, dirty = self._update_level(k, dirty, below)
            if not changed:
                return  # the levels above are built from this one: they did not change either
            k += 1

    def _update_level(self, k: int, dirty: int, below: int) -> tuple[bool, int]:
        """Recompute level ``k``'s blocks over children ``dirty..below`` of the level below.

        Returns:
            Whether anything changed, and the first block of level ``k`` recomputed.
        """
        level = self._levels[k]
        first = dirty // _FANOUT
        begin = first * _FANOUT  # the carried children of the partial block are re-read
        if k == 0:
            part = self._buffer[begin:below]
            finite = np.isfinite(part)
            lo = np.where(finite, part, np.float32(np.inf))
            hi = np.where(finite, part, np.float32(-np.inf))
            child_block = 1
        else:
            child = self._levels[k - 1]
            lo = child.lows[begin:below]
            hi = child.highs[begin:below]
            lo = np.where(np.isnan(lo), np.float32(np.inf), lo)
            hi = np.where(np.isnan(hi), np.float32(-np.inf), hi)
            child_block = child.block
        m = below - begin
        rows = -(-m // _FANOUT)
        if rows * _FANOUT != m:
            lo = np.concatenate([lo, np.full(rows * _FANOUT - m, np.inf, np.float32)])
            hi = np.concatenate([hi, np.full(rows * _FANOUT - m, -np.inf, np.float32)])
        lo = lo.reshape(rows, _FANOUT)
        hi = hi.reshape(rows, _FANOUT)
        slot_lo = lo.argmin(axis=1)
        slot_hi = hi.argmax(axis=1)
        row = np.arange(rows)
        lows = lo[row, slot_lo]
        highs = hi[row, slot_hi]
        lows[np.isinf(lows)] = np.nan
        highs[np.isinf(highs)] = np.nan
        low_off = slot_lo * child_block
        high_off = slot_hi * child_block
        if k > 0:
            # The offset inside the chosen child; a padding slot is never chosen (argmin takes
            # the first of equal values and slot 0 of every row is a real child).
            low_off += child.low_off[begin + row * _FANOUT + slot_lo]
            high_off += child.high_off[begin + row * _FANOUT + slot_hi]
        count = first + rows
        if (
            count == level.count
            and np.array_equal(level.lows[first:count], lows, equal_nan=True)
            and np.array_equal(level.highs[first:count], highs, equal_nan=True)
            and np.array_equal(level.low_off[first:count], low_off)
            and np.array_equal(level.high_off[first:count], high_off)
        ):
            return False, first
        level.reserve(count)
        level.lows[first:count] = lows
        level.highs[first:count] = highs
        level.low_off[first:count] = low_off
        level.high_off[first:count] = high_off
        level.count = count
        return True, first

    # ------------------------------------------------------------------------------------------
    # Drawing

    def envelope(
        self, start_step: float, stop_step: float, columns: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw the series between two steps at ``columns`` pixel columns.

        The range is clipped to the steps that exist, plus one point beyond each side where
        there is one (so a line reaches the edges of the view). When the range holds at most
        ``2 * columns`` points, the raw points; otherwise, for each column, its min and its max
        in the order they occur (one point if they are the same point), read from the pyramid
        level with the largest block that still gives at least 2 blocks a column: at most
        ``2 * columns + 2`` points, at the steps where they are, at a cost that does not grow
        with the history. NaN and +-inf are ignored by min/max; a column with no finite value
        gives one NaN point (a gap), and raw +-inf are returned as NaN.

        Args:
            start_step: first step of the view (may be fractional, or -inf for the start).
            stop_step: last step of the view (likewise, +inf for the end).
            columns: pixel columns of the view, at least 1.

        Returns:
            Steps (float64, strictly increasing) and values (float32); empty arrays for an
            empty series, a range outside the data, or ``start_step > stop_step``.

        Raises:
            ValueError: columns < 1 or a NaN step.
        """
        columns = _check_columns(columns)
        start, stop = float(start_step), float(stop_step)
        if math.isnan(start) or math.isnan(stop):
            raise ValueError("envelope range must not be NaN")
        if start == -math.inf:
            start = float(self._first)
        if stop == math.inf:
            stop = float(self.last_step)
        n = self._n
        if n == 0 or start > stop or stop < self._first or start > self.last_step:
            return _empty()
        lo = start - self._first  # the view in indices into the values
        hi = stop - self._first
        i0 = max(0, math.ceil(lo))
        i1 = min(n - 1, math.floor(hi))
        if i1 - i0 + 1 <= 2 * columns:
            begin, end = max(0, i0 - 1), min(n, i1 + 2)
            steps = np.arange(self._first + begin, self._first + end, dtype=np.float64)
            return steps, _finite_or_nan(self._buffer[begin:end])

        per_column = (hi - lo) / columns  # steps a pixel column
        level = None
        for candidate in self._pyramid():
            if candidate.block * 2 > per_column:
                break
            level = candidate
        starts, lows, highs, low_at, high_at = self._units(level, i0, i1)
        column = np.minimum(((starts - lo) / per_column).astype(np.int64), columns - 1)
        positions, values = _reduce_columns(column, lows, highs, low_at, high_at)

        # One point beyond each side, where there is one.
        if i0 > 0:
            positions = np.concatenate([[i0 - 1], positions])
            values = np.concatenate([_finite_or_nan(self._buffer[i0 - 1 : i0]), values])
        if i1 < n - 1:
            positions = np.concatenate([positions, [i1 + 1]])
            values = np.concatenate([values, _finite_or_nan(self._buffer[i1 + 1 : i1 + 2])])
        return (positions + self._first).astype(np.float64), values

    def _units(
        self, level: _Level | None, i0: int, i1: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Units covering values ``i0..i1``: the level's whole blocks, raw ends around them.

        Returns:
            Each unit's start index, min, max, and the indices of its min and max.
        """
        if level is None:  # level 0: the raw values themselves
            at = np.arange(i0, i1 + 1, dtype=np.int64)
            part = self._buffer[i0 : i1 + 1]
            return at, part, part, at, at
        block = level.block
        whole0 = -(-i0 // block)  # first block fully inside the range
        whole1 = (i1 + 1) // block  # one past the last
        if whole0 >= whole1:  # under two blocks: the whole range fits in one column
            low, high, low_at, high_at = _raw_unit(self._buffer, i0, i1 + 1)
            return (
                np.array([i0], np.int64),
                np.array([low], np.float32),
                np.array([high], np.float32),
                np.array([low_at], np.int64),
                np.array([high_at], np.int64),
            )
        starts = np.arange(whole0, whole1, dtype=np.int64) * block
        # Each piece: unit starts, mins, maxima, and the indices of those (arrays or lists).
        pieces: list[tuple[Any, Any, Any, Any, Any]] = [
            (
                starts,
                level.lows[whole0:whole1],
                level.highs[whole0:whole1],
                starts + level.low_off[whole0:whole1],
                starts + level.high_off[whole0:whole1],
            )
        ]
        # The ends that are not a whole block: under one block each (< half a column), raw.
        if i0 < whole0 * block:
            low, high, low_at, high_at = _raw_unit(self._buffer, i0, whole0 * block)
            pieces.insert(0, ([i0], [low], [high], [low_at], [high_at]))
        if whole1 * block <= i1:
            low, high, low_at, high_at = _raw_unit(self._buffer, whole1 * block, i1 + 1)
            pieces.append(([whole1 * block], [low], [high], [low_at], [high_at]))
        if len(pieces) == 1:
            return pieces[0]
        kinds = (np.int64, np.float32, np.float32, np.int64, np.int64)
        starts, lows, highs, lows_at, highs_at = (
            np.concatenate([np.asarray(piece[i], kind) for piece in pieces])
            for i, kind in enumerate(kinds)
        )
        return starts, lows, highs, lows_at, highs_at

    # ------------------------------------------------------------------------------------------
    # Smoothing

    def smoothed(self, weight: float) -> np.ndarray:
        """All values smoothed by TensorBoard's debiased EMA (float32, read-only, same length).

        Cached per weight and extended on append; see :func:`debiased_ema`.

        Raises:
            ValueError: weight outside [0, 1).
        """
        return self.smoothed_series(weight).values

    def smoothed_series(self, weight: float) -> StepSeries:
        """The smoothed values as a series of the same steps, to envelope them too.

        Kept up to date on append while it is alive. The series keeps the last few weights
        asked for alive itself; ask again at each redraw rather than holding on to older ones
        (a held one stays up to date, but costs memory and time on every append). Weight 0 is
        the series itself.

        Raises:
            ValueError: weight outside [0, 1).
        """
        weight = _check_weight(weight)
        if weight == 0.0:
            return self
        series = self._smoothed.get(weight)
        if series is None:
            series = StepSeries(self._first)
            series._ema_weight = weight
            values = self.values
            series._buffer = np.empty(max(len(values), _MIN_CAPACITY), np.float32)
            # In slices: the EMA works in float64, whose temporaries would be 4x the history.
            for begin in range(0, len(values), _SMOOTH_SLICE):
                series._extend_smoothing(values[begin : begin + _SMOOTH_SLICE])
            self._smoothed[weight] = series
        self._recent[weight] = series
        self._recent.move_to_end(weight)
        while len(self._recent) > _SMOOTHED_KEPT:
            self._recent.popitem(last=False)
        return series

    def _extend_smoothing(self, raw: np.ndarray) -> None:
        """On a smoothed copy: smooth the parent's next raw values and append them."""
        out, self._ema_state, self._ema_count = _ema_continue(
            raw, self._ema_weight, self._ema_state, self._ema_count
        )
        self.append(out)

    # ------------------------------------------------------------------------------------------
    # Export

    def to_csv_rows(self, chunk: int = 65536) -> Iterator[tuple[int, float]]:
        """``(step, value)`` for every step, for CSV export.

        Each value is the Python float written with the fewest digits that read back as the
        same float32 (0.1, not 0.10000000149011612), so ``csv.writer`` writes short rows.

        Args:
            chunk: values converted at a time.
        """
        values = self.values
        for begin in range(0, len(values), chunk):
            texts = values[begin : begin + chunk].astype(str)  # numpy's shortest float32 repr
            steps = range(self._first + begin, self._first + begin + len(texts))
            yield from zip(steps, map(float, texts.tolist()), strict=True)

    def _level_view(self, k: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Pyramid level ``k`` (from 1) for tests: block, lows, highs, index of low, of high."""
        level = self._pyramid()[k - 1]
        starts = np.arange(level.count, dtype=np.int64) * level.block
        return (
            level.block,
            level.lows[: level.count].copy(),
            level.highs[: level.count].copy(),
            starts + level.low_off[: level.count],
            starts + level.high_off[: level.count],
        )
