"""MNIST-format IDX files (plain or gzip), read defensively: nothing in a header is trusted.

An IDX file is a 4-byte magic (0, 0, element type, number of dimensions), one big-endian 4-byte
size per dimension, then the elements, big-endian. The element count the header claims is
checked against the bytes there are before anything is allocated.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from netbuilder.train.data.base import DataError, Dataset, DataSplit

#: Element type codes of the IDX format and the big-endian numpy types they hold.
_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
#: Largest payload read (bytes): MNIST's training images are 47 MB.
MAX_BYTES = 1 << 31

_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$")


def _open(path: Path) -> BinaryIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def read_idx(path: Path) -> np.ndarray:
    """The array an IDX file holds, in native byte order.

    Raises:
        DataError: wrong magic, an unknown type, or sizes that do not match the file.
    """
    try:
        with _open(path) as handle:
            return _parse(handle, path)
    except (OSError, EOFError, zlib.error) as exc:
        # gzip.BadGzipFile is an OSError; a truncated stream ends in EOFError.
        raise DataError(f"{path}: not a readable IDX file: {exc}") from exc


def _parse(handle: BinaryIO, path: Path) -> np.ndarray:
    magic = handle.read(4)
    if len(magic) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(magic)} bytes)")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES or not 1 <= magic[3] <= 4:
        raise DataError(
            f"{path}: wrong magic number {magic.hex()} (an IDX file starts 0000 then a type "
            "code 08, 09, 0b, 0c, 0d or 0e and 1 to 4 dimensions)"
        )
    dtype, ndim = _TYPES[magic[2]], magic[3]
    raw = handle.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DataError(f"{path}: the header ends before its {ndim} sizes")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4"))
    count = 1
    for size in shape:
        count *= size
    expected = count * dtype.itemsize
    if expected > MAX_BYTES:
        raise DataError(
            f"{path}: the header claims {shape} = {count} items ({expected} bytes), "
            f"more than netbuilder reads ({MAX_BYTES} bytes)"
        )
    payload = handle.read(expected + 1)  # one more: a longer file is an error too
    if len(payload) != expected:
        got = "fewer" if len(payload) < expected else "more"
        raise DataError(
            f"{path}: the header says {shape} ({expected} bytes of data) but the file holds "
            f"{got} ({len(payload)}{'+' if got == 'more' else ''} bytes): truncated or not IDX"
        )
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _images(array: np.ndarray, path: Path, pixel_range: tuple[float, float]) -> torch.Tensor:
    if array.ndim not in (3, 4):
        raise DataError(f"{path}: images must have 3 or 4 dimensions, this file has {array.ndim}")
    x = torch.from_numpy(array.astype(np.float32))
    if array.dtype == np.uint8:
        low, high = pixel_range
        x = x / 255.0 * (high - low) + low
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (N, H, W) -> (N, 1, H, W): netbuilder images are channels-first
    return x


def _labels(array: np.ndarray, path: Path, count: int) -> torch.Tensor:
    if array.ndim != 1:
        raise DataError(f"{path}: labels must have 1 dimension, this file has {array.ndim}")
    if len(array) != count:
        raise DataError(f"{path}: {len(array)} labels for {count} images")
    return torch.from_numpy(array.astype(np.int64))


def _pair(
    images: Path, labels: Path | None, pixel_range: tuple[float, float]
) -> DataSplit:
    x = _images(read_idx(images), images, pixel_range)
    y = None if labels is None else _labels(read_idx(labels), labels, len(x))
    return DataSplit(x, y)


def _labels_for(images: Path) -> Path | None:
    """The labels file that goes with an images file, by MNIST's naming, if there is one."""
    name = images.name.replace("images", "labels").replace("idx3", "idx1")
    for candidate in (name, name.removesuffix(".gz"), name + ".gz"):
        path = images.with_name(candidate)
        if candidate != images.name and path.is_file():
            return path
    return None


def find_idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """MNIST-named files in a folder, keyed by (``train`` or ``test``, ``images`` or ``labels``)."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        if match and path.is_file():
            split = "train" if match.group(1) == "train" else "test"
            found.setdefault((split, match.group(2)), path)
    return found


def load_idx_folder(
    folder: Path, pixel_range: tuple[float, float] = (0.0, 1.0), classes: list[str] | None = None
) -> Dataset:
    """A folder laid out like MNIST: train-images-idx3-ubyte(.gz) and friends; t10k is test."""
    files = find_idx_files(folder)
    if ("train", "images") not in files:
        raise DataError(f"{folder}: no train-images-idx3-ubyte(.gz) file in this folder")
    train = _pair(files["train", "images"], files.get(("train", "labels")), pixel_range)
    test = None
    if ("test", "images") in files:
        test = _pair(files["test", "images"], files.get(("test", "labels")), pixel_range)
    return _dataset(folder.name, train, test, pixel_range, classes)


def load_idx_file(
    path: Path, pixel_range: tuple[float, float] = (0.0, 1.0), classes: list[str] | None = None
) -> Dataset:
    """One IDX images file, with its labels file when one sits beside it."""
    return _dataset(path.name, _pair(path, _labels_for(path), pixel_range), None, pixel_range,
                    classes)


def _dataset(
    name: str,
    train: DataSplit,
    test: DataSplit | None,
    pixel_range: tuple[float, float],
    classes: list[str] | None,
) -> Dataset:
    if classes is None and train.y is not None and len(train.y):
        classes = [str(c) for c in range(int(train.y.max()) + 1)]
    return Dataset(
        name, train, test=test, classes=classes,
        meta={"task": "classification", "pixel_range": tuple(float(v) for v in pixel_range)},
    )
