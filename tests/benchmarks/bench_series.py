"""Speed of the live loss curve's data side (netbuilder.train.series) on a long run.

Run by hand (CI does not run benchmarks):

    python -m tests.benchmarks.bench_series [--points 10000000] [--repeat 200]

Target: redraw a 10-million-point history in < 8 ms median / 16 ms p95, of which the plot
library takes 1-3 ms for ~2 points a pixel column: the envelope should take well under 3 ms
at 1,000-2,000 columns. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from netbuilder.train.series import StepSeries, debiased_ema

_BATCH = 1000  # steps per append, like a live run's periodic report


def _loss_curve(n: int, seed: int = 0) -> np.ndarray:
    """A loss-like curve: decaying, noisy, with a few spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    values = np.exp(-t / (n / 5)) + 0.05 + 0.02 * rng.standard_normal(n)
    values[rng.integers(0, n, 20)] += 5.0
    return values.astype(np.float32)


def _samples(function: Callable[[int], object], repeat: int) -> list[float]:
    """Wall times of ``function(i)`` for i in range(repeat), in milliseconds."""
    out = []
    for i in range(repeat):
        begin = time.perf_counter()
        function(i)
        out.append(1e3 * (time.perf_counter() - begin))
    return out


def _row(name: str, samples: list[float], extra: str = "") -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(f"{name:<44} {statistics.median(samples):>9.3f} {p95:>9.3f} {len(samples):>6}  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    n, repeat = args.points, args.repeat
    values = _loss_curve(n)
    rng = np.random.default_rng(1)

    series = StepSeries()
    append_ms = []
    begin_all = time.perf_counter()
    for begin in range(0, n, _BATCH):
        begin_one = time.perf_counter()
        series.append(values[begin : begin + _BATCH])
        append_ms.append(1e3 * (time.perf_counter() - begin_one))
    total = time.perf_counter() - begin_all
    levels = sum(10 * level.count for level in series._levels)  # 4 + 4 + offsets (~1 + 1)
    print(f"series: {len(series):,} points appended in batches of {_BATCH:,}: {total:.2f} s, "
          f"{len(series) / total / 1e6:.1f} M points/s; pyramid {len(series._levels)} levels, "
          f"~{levels / len(series):.2f} bytes a point over the values' 4")
    print()
    print(f"{'operation':<44} {'median ms':>9} {'p95 ms':>9} {'calls':>6}  points out")
    _row(f"append {_BATCH:,} (no smoothing)", append_ms)

    first, last = series.first_step, series.last_step
    for columns in (1000, 2000):
        out = len(series.envelope(first, last, columns)[0])
        _row(f"envelope whole range, {columns} columns",
             _samples(lambda _, c=columns: series.envelope(first, last, c), repeat), str(out))
        for fraction in (0.5, 0.1, 0.01, 0.001, 0.0002):
            width = fraction * n
            starts = rng.uniform(first, last - width, repeat)  # a different place each redraw
            out = len(series.envelope(starts[0], starts[0] + width, columns)[0])

            def zoomed(i: int, c: int = columns, s: np.ndarray = starts, w: float = width) -> None:
                series.envelope(s[i], s[i] + w, c)

            _row(f"envelope {width:>11,.0f} steps, {columns} columns", _samples(zoomed, repeat),
                 str(out))

    print()
    smooth_repeat = 5
    # A series of its own, so that the copies smoothed from scratch below (kept alive by the
    # series' little cache) do not weigh on the appends timed after them.
    scratch = StepSeries()
    scratch.append(series.values)
    for weight in (0.6, 0.99):
        _row(f"debiased_ema() of all, weight {weight}",
             _samples(lambda _, w=weight: debiased_ema(series.values, w), smooth_repeat))
        # A weight not cached yet each time: the EMA plus the smoothed copy's own pyramid.
        _row(f"smoothed() from scratch, weight {weight}",
             _samples(lambda i, w=weight: scratch.smoothed(w + (i + 1) * 1e-9), smooth_repeat))

    held = [series.smoothed_series(0.6)]
    extra = _loss_curve(repeat * _BATCH, seed=2)
    _row(f"append {_BATCH:,}, smoothing 0.6 on",
         _samples(lambda i: series.append(extra[i * _BATCH : (i + 1) * _BATCH]), repeat))
    held.append(series.smoothed_series(0.99))
    extra = _loss_curve(repeat * _BATCH, seed=3)
    _row(f"append {_BATCH:,}, smoothing 0.6 and 0.99 on",
         _samples(lambda i: series.append(extra[i * _BATCH : (i + 1) * _BATCH]), repeat))
    smooth = held[0]
    out = len(smooth.envelope(first, smooth.last_step, 2000)[0])
    _row("envelope of smoothed 0.6, whole, 2000 columns",
         _samples(lambda _: smooth.envelope(first, smooth.last_step, 2000), repeat), str(out))


if __name__ == "__main__":
    main()
