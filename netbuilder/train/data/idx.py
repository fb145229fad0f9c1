"""MNIST-format IDX files (plain or gzip), read defensively: nothing in a header is trusted.

An IDX file is a 4-byte magic (0, 0, element type, number of dimensions), one big-endian 4-byte
size per dimension, then the elements, big-endian. The size the header declares is checked
against a limit before anything is read, and no more than that size (and one byte, to notice a
longer file) is ever read or inflated from a gzip stream: a file that inflates a thousandfold
costs no more than its header admits.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from netbuilder.core.files import open_regular
from netbuilder.train.data.base import (
    DataError,
    Dataset,
    DataSplit,
    check_float32,
    class_ids,
    class_names,
)

#: Element type codes of the IDX format and the big-endian numpy types they hold.
_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
#: Largest payload read (bytes): MNIST's training images are 47 MB.
MAX_BYTES = 1 << 31
#: Largest file opened: the payload, its header, and what gzip adds to incompressible data.
MAX_FILE_BYTES = MAX_BYTES + (64 << 20)
#: The payload is read in pieces this big, so memory follows the bytes really there.
_CHUNK = 16 << 20

#: MNIST's names, with an optional prefix ending in -, _ or . (fashion-, emnist-digits-).
_NAME = re.compile(
    r"^(?P<prefix>(?:.*[-_.])?)(?P<split>train|t10k|test)-(?P<kind>images|labels)"
    r"[-.]idx[13]-ubyte(?:\.gz)?$",
    re.IGNORECASE,
)


def read_idx(path: Path) -> np.ndarray:
    """The array an IDX file (plain or gzip) holds, in native byte order.

    Raises:
        DataError: not a regular file, wrong magic, an unknown type, a declared size above
            :data:`MAX_BYTES`, or sizes that do not match the file.
    """
    with open_regular(path, MAX_FILE_BYTES, what="IDX file", error=DataError) as raw:
        try:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            if not gzipped:
                return _parse(raw, path)
            with gzip.GzipFile(fileobj=raw, mode="rb") as handle:
                return _parse(handle, path)  # type: ignore[arg-type]
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
    payload = _read_at_most(handle, expected + 1)  # one more: a longer file is an error too
    if len(payload) != expected:
        got = "fewer" if len(payload) < expected else "more"
        raise DataError(
            f"{path}: the header says {shape} ({expected} bytes of data) but the file holds "
            f"{got} ({len(payload)}{'+' if got == 'more' else ''} bytes): truncated or not IDX"
        )
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_at_most(handle: BinaryIO, limit: int) -> bytearray:
    """Up to ``limit`` bytes, read piece by piece: a short file never costs ``limit`` of memory."""
    payload = bytearray()
    while len(payload) < limit:
        piece = handle.read(min(_CHUNK, limit - len(payload)))
        if not piece:
            break
        payload += piece
    return payload


def _images(array: np.ndarray, path: Path, pixel_range: tuple[float, float]) -> torch.Tensor:
    if array.ndim not in (3, 4):
        raise DataError(f"{path}: images must have 3 or 4 dimensions, this file has {array.ndim}")
    check_float32(array, str(path))
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
    return torch.from_numpy(class_ids(array, str(path)))


def _pair(
    images: Path, labels: Path | None, pixel_range: tuple[float, float]
) -> DataSplit:
    x = _images(read_idx(images), images, pixel_range)
    y = None if labels is None else _labels(read_idx(labels), labels, len(x))
    return DataSplit(x, y)


def _split_gz(name: str) -> tuple[str, str]:
    """``("x-ubyte", ".gz")`` from ``"x-ubyte.gz"``; the suffix is ``""`` when there is none."""
    return (name[:-3], name[-3:]) if name.lower().endswith(".gz") else (name, "")


def _labels_name(images: Path) -> str:
    """The name MNIST gives the labels of an images file, without ``.gz``."""
    name = _split_gz(images.name)[0]
    for old, new in (("images", "labels"), ("idx3", "idx1")):
        # The last one: a prefix may hold the word too (images-v2-train-images-idx3-ubyte).
        at = name.lower().rfind(old)
        if at >= 0:
            word = new.upper() if name[at:at + len(old)].isupper() else new
            name = name[:at] + word + name[at + len(old):]
    return name


def _labels_for(images: Path) -> Path | None:
    """The labels file that goes with an images file, by MNIST's naming, if there is one."""
    base = _labels_name(images)
    same_kind = base + _split_gz(images.name)[1]
    for candidate in dict.fromkeys((same_kind, base, base + ".gz")):
        path = images.with_name(candidate)
        # Not is_file(): a FIFO or a dangling link of that name is refused by name when read.
        if candidate != images.name and os.path.lexists(path) and not path.is_dir():
            return path
    return None


def _looked_for(images: Path) -> str:
    return f"no labels file: looked for {images.with_name(_labels_name(images))}(.gz)"


def find_idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """MNIST-named files in a folder, keyed by (``train`` or ``test``, ``images`` or ``labels``).

    A name may have a prefix ending in ``-``, ``_`` or ``.`` (``fashion-t10k-labels-idx1-ubyte.gz``,
    EMNIST's ``emnist-digits-train-images-idx3-ubyte``); ``t10k`` is the test split.

    Raises:
        DataError: train images with two different prefixes: the folder holds two sets.
    """
    sets: dict[str, dict[tuple[str, str], Path]] = {}
    for path in sorted(folder.iterdir()):
        match = _NAME.match(path.name)
        # Not is_file(): a FIFO of such a name is found, then refused by name when read.
        if match and not path.is_dir():
            split = "train" if match["split"].lower() == "train" else "test"
            files = sets.setdefault(match["prefix"].lower(), {})
            files.setdefault((split, match["kind"].lower()), path)
    with_train = [files for files in sets.values() if ("train", "images") in files]
    if len(with_train) > 1:
        names = ", ".join(files["train", "images"].name for files in with_train)
        raise DataError(f"{folder}: holds more than one IDX set ({names}); give one images file "
                        "as the data, or keep each set in its own folder")
    return with_train[0] if with_train else next(iter(sets.values()), {})


def load_idx_folder(
    folder: Path, pixel_range: tuple[float, float] = (0.0, 1.0), classes: list[str] | None = None
) -> Dataset:
    """A folder laid out like MNIST: train-images-idx3-ubyte(.gz) and friends; t10k is test."""
    files = find_idx_files(folder)
    if ("train", "images") not in files:
        raise DataError(f"{folder}: no train-images-idx3-ubyte(.gz) file in this folder")
    splits: dict[str, tuple[Path, Path | None]] = {
        split: (files[split, "images"], files.get((split, "labels")))
        for split in ("train", "test") if (split, "images") in files
    }
    return _dataset(folder.name, splits, pixel_range, classes)


def load_idx_file(
    path: Path, pixel_range: tuple[float, float] = (0.0, 1.0), classes: list[str] | None = None
) -> Dataset:
    """One IDX images file, with its labels file when one sits beside it."""
    return _dataset(path.name, {"train": (path, _labels_for(path))}, pixel_range, classes)


def _dataset(
    name: str,
    files: dict[str, tuple[Path, Path | None]],
    pixel_range: tuple[float, float],
    classes: list[str] | None,
) -> Dataset:
    """The splits read from their (images, labels or None) files.

    ``meta["missing_labels"]`` tells, per split without labels, which file was looked for: a
    recipe that needs labels says so in its error.
    """
    splits = {split: _pair(images, labels, pixel_range)
              for split, (images, labels) in files.items()}
    missing = {split: _looked_for(images)
               for split, (images, labels) in files.items() if labels is None}
    if classes is None:
        classes = class_names(*(split.y for split in splits.values()))
    meta: dict = {"task": "classification", "pixel_range": tuple(float(v) for v in pixel_range)}
    if missing:
        meta["missing_labels"] = missing
    return Dataset(name, splits["train"], test=splits.get("test"), classes=classes, meta=meta)
