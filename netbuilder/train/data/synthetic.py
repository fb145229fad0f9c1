"""Small generated data sets: 2-D point clouds, regression rows and token sequences.

Each one is deterministic given its seed, so an example trains the same way every time.
"""

from __future__ import annotations

import numpy as np
import torch

from netbuilder.train.data.base import DataError, Dataset, DataSplit

#: Samples in each 2-D point set unless the caller asks for another count (option ``n``).
POINTS = 200


def _check_n(name: str, n: int, least: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < least:
        raise DataError(f"{name}: n must be an integer of at least {least}, got {n!r}")
    return n


def _points(name: str, x: np.ndarray, y: np.ndarray, seed: int) -> Dataset:
    # Shuffle once: the generators below produce the classes in blocks.
    order = np.random.default_rng(seed + 1).permutation(len(x))
    split = DataSplit(
        torch.from_numpy(x[order].astype(np.float32)), torch.from_numpy(y[order].astype(np.int64))
    )
    return Dataset(name, split, classes=["0", "1"], meta={"task": "classification"})


def linearly_separable(seed: int = 0, n: int = POINTS) -> Dataset:
    """Two classes either side of a line, with an empty margin so a perceptron converges."""
    n = _check_n("linearly_separable", n, 2)
    rng = np.random.default_rng(seed)
    normal = np.array([0.8, 0.6])  # unit length: distance to the line is |x·normal - 0.1|
    x = np.empty((0, 2))
    while len(x) < n:
        candidates = rng.uniform(-1.0, 1.0, size=(4 * n, 2))
        distance = candidates @ normal - 0.1
        x = np.concatenate([x, candidates[np.abs(distance) >= 0.2]])
    x = x[:n]
    return _points("linearly_separable", x, (x @ normal - 0.1 > 0).astype(np.int64), seed)


def xor(seed: int = 0, n: int = POINTS) -> Dataset:
    """Four quadrants, label 1 where x and y differ in sign; kept 0.1 off the axes."""
    n = _check_n("xor", n, 4)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 1.0, size=(n, 2)) * rng.choice([-1.0, 1.0], size=(n, 2))
    return _points("xor", x, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(np.int64), seed)


def moons(seed: int = 0, n: int = POINTS, noise: float = 0.1) -> Dataset:
    """Two interleaved half circles (the layout of scikit-learn's make_moons)."""
    n = _check_n("moons", n, 2)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n - n0)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower]) + rng.normal(0.0, noise, size=(n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    return _points("moons", x, y, seed)


def circles(seed: int = 0, n: int = POINTS, noise: float = 0.05) -> Dataset:
    """A ring (class 0, radius 1) round a smaller ring (class 1, radius 0.5)."""
    n = _check_n("circles", n, 2)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    angle = rng.uniform(0.0, 2 * np.pi, n)
    radius = np.concatenate([np.ones(n0), np.full(n - n0, 0.5)])
    x = np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[:, None]
    x = x + rng.normal(0.0, noise, size=(n, 2))
    return _points("circles", x, (radius < 1.0).astype(np.int64), seed)


def spirals(seed: int = 0, n: int = POINTS, noise: float = 0.05) -> Dataset:
    """Two spirals wound round each other, one and a half turns each."""
    n = _check_n("spirals", n, 2)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3 * np.pi  # sqrt: even density along the arm
    label = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    phase = label * np.pi
    x = np.stack([t * np.cos(t + phase), t * np.sin(t + phase)], axis=1) / (3 * np.pi)
    x = x + rng.normal(0.0, noise, size=(n, 2))
    return _points("spirals", x, label, seed)


#: Rows and features of regression_rows (the seed model's 100 random rows of 10 values).
REGRESSION_ROWS, REGRESSION_FEATURES = 100, 10


def regression_rows(seed: int = 0, n: int = REGRESSION_ROWS) -> Dataset:
    """Rows of 10 normal features; target = a fixed linear map of them plus small noise.

    The map does not depend on the seed (only the rows and the noise do), so every seed poses
    the same problem. The noise is 1% of the target's spread: a small MLP can cut its MSE far
    more than 10x.
    """
    n = _check_n("regression_rows", n, 2)
    fixed = np.random.default_rng(20240607)
    weights = fixed.normal(0.0, 1.0, size=(REGRESSION_FEATURES, 1))
    bias = fixed.normal(0.0, 1.0)
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(n, REGRESSION_FEATURES))
    y = x @ weights + bias + rng.normal(0.0, 0.03, size=(n, 1))
    split = DataSplit(
        torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
    )
    return Dataset("regression_rows", split, meta={"task": "regression"})


#: token_sequences: tokens per sequence, vocabulary size, samples, and the two marker tokens.
SEQ_LEN, TOKEN_VOCAB, TOKEN_SAMPLES = 16, 16, 2000
FIRST, SECOND = 3, 7


def token_sequences(seed: int = 0, n: int = TOKEN_SAMPLES) -> Dataset:
    """Sequences of 16 tokens (0..15) holding exactly one 3 and one 7; label 1 if 3 comes first.

    Attention with a positional encoding learns the rule in a few epochs; a bag of tokens
    cannot, since both classes hold the same tokens. Exactly half of the samples are class 1;
    the last 20% (in a shuffled order) are the test split.
    """
    n = _check_n("token_sequences", n, 10)
    rng = np.random.default_rng(seed)
    fillers = np.array([t for t in range(TOKEN_VOCAB) if t not in (FIRST, SECOND)])
    x = fillers[rng.integers(0, len(fillers), size=(n, SEQ_LEN))]
    y = np.arange(n) % 2  # balanced by construction
    # Two distinct positions per row, ordered; class 1 puts the 3 at the earlier one.
    positions = np.sort(np.argsort(rng.random((n, SEQ_LEN)), axis=1)[:, :2], axis=1)
    rows = np.arange(n)
    early = np.where(y == 1, FIRST, SECOND)
    late = np.where(y == 1, SECOND, FIRST)
    x[rows, positions[:, 0]] = early
    x[rows, positions[:, 1]] = late
    order = rng.permutation(n)
    x_t = torch.from_numpy(x[order].astype(np.int64))
    y_t = torch.from_numpy(y[order].astype(np.int64))
    n_test = n // 5
    return Dataset(
        "token_sequences",
        DataSplit(x_t[: n - n_test], y_t[: n - n_test]),
        test=DataSplit(x_t[n - n_test :], y_t[n - n_test :]),
        classes=["7 before 3", "3 before 7"],
        meta={"task": "classification", "vocab_size": TOKEN_VOCAB},
    )
