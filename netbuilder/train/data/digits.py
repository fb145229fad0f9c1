"""The built-in real data set: scikit-learn's 8x8 handwritten digits, upscaled to MNIST's size.

Source and licence: ``resources/data/README.md`` (UCI Optical Recognition of Handwritten Digits,
E. Alpaydin and C. Kaynak, CC BY 4.0).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the usual spelling)

from netbuilder.resources import resources_dir
from netbuilder.train.data.base import DataError, Dataset, DataSplit
from netbuilder.train.data.shaping import pixel_range as pixel_range_option

#: Rows in the bundled file, its pixel columns and their largest value.
ROWS, PIXELS, LEVELS = 1797, 64, 16
#: The side the digits are scaled up to: the seed CNNs expect MNIST's 1x28x28.
SIDE = 28
#: Share of each class held out as the fixed test split. 10% rather than 20%: the examples also
#: hold out 20% for validation, and 1,294 training digits is already few for a CNN.
TEST_FRACTION = 0.1
# The test split must not move with the caller's seed: results are compared across runs.
_SPLIT_SEED = 1797


def digits_path() -> Path:
    """Where the bundled ``digits.csv.gz`` is."""
    return resources_dir() / "data" / "digits.csv.gz"


def _read(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with gzip.open(path, "rt", encoding="ascii") as handle:
            table = np.loadtxt(handle, delimiter=",", dtype=np.float64)
    except (OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: cannot read the bundled digits: {exc}") from exc
    if table.shape != (ROWS, PIXELS + 1):
        raise DataError(f"{path}: expected {ROWS} rows of {PIXELS + 1} values, got {table.shape}")
    return table[:, :PIXELS], table[:, PIXELS].astype(np.int64)


def _test_mask(labels: np.ndarray) -> np.ndarray:
    """The last 10% of each class in a fixed shuffled order: a balanced, fixed test split."""
    order = np.random.default_rng(_SPLIT_SEED).permutation(len(labels))
    mask = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        members = order[labels[order] == digit]
        mask[members[len(members) - round(len(members) * TEST_FRACTION) :]] = True
    return mask


def load_digits(pixel_range: tuple[float, float] = (0.0, 1.0)) -> Dataset:
    """The digits as float32 images shaped (N, 1, 28, 28), labels int64 0..9.

    Args:
        pixel_range: the values black and white map to; the GAN asks for (-1, 1).

    Returns:
        1,618 train and 179 test samples (stratified, the same for every seed).
    """
    low, high = pixel_range_option(pixel_range, "digits")
    pixels, labels = _read(digits_path())
    small = torch.from_numpy(pixels.astype(np.float32) / LEVELS).reshape(-1, 1, 8, 8)
    # Bilinear with align_corners=False stays within [0, 1]: it only averages neighbours.
    images = F.interpolate(small, size=(SIDE, SIDE), mode="bilinear", align_corners=False)
    images = images.clamp_(0.0, 1.0) * (high - low) + low
    y = torch.from_numpy(labels)
    mask = torch.from_numpy(_test_mask(labels))
    return Dataset(
        "digits",
        DataSplit(images[~mask].contiguous(), y[~mask]),
        test=DataSplit(images[mask].contiguous(), y[mask]),
        classes=[str(d) for d in range(10)],
        meta={"task": "classification", "pixel_range": (low, high)},
    )

