"""NumPy files: .npy (inputs only) and .npz (x, y and optional validation and test arrays).

Pickles are refused (``allow_pickle=False``) and every array header is checked against the bytes
there are before numpy allocates anything.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from netbuilder.train.data.base import DataError, Dataset, DataSplit

#: Largest array read, in bytes.
MAX_BYTES = 1 << 31
_KEYS = ("x", "y", "x_val", "y_val", "x_test", "y_test")


def _check_header(handle: BinaryIO, total: int, where: str) -> None:
    """Refuse object arrays and sizes the file cannot hold, from the .npy header alone."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(handle)
        else:
            raise DataError(f"{where}: .npy format version {version} is not supported")
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{where}: not a valid .npy array: {exc}") from exc
    if dtype.hasobject:
        raise DataError(f"{where}: holds Python objects (a pickle); only numeric arrays load")
    count = 1
    for size in shape:
        count *= int(size)
    need = count * dtype.itemsize
    have = total - handle.tell()
    if need > MAX_BYTES or need > have:
        raise DataError(
            f"{where}: the header says {tuple(shape)} {dtype} ({need} bytes) but the file holds "
            f"{have} bytes of data"
        )


def _numeric(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise DataError(f"{where}: dtype {array.dtype} is not numeric")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise DataError(f"{where}: NaN or infinity is not allowed in data")
    if array.ndim == 0:
        raise DataError(f"{where}: a single number, not an array of samples")
    return array


def _x(array: np.ndarray) -> tuple[torch.Tensor, bool]:
    """Inputs: floats -> float32, uint8 (images) -> float32 in [0, 1], other ints -> int64."""
    if array.dtype == np.uint8:
        return torch.from_numpy(array.astype(np.float32) / 255.0), True
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float32)), False
    return torch.from_numpy(array.astype(np.int64)), False


def _y(array: np.ndarray) -> torch.Tensor:
    """Targets: ints -> int64 class ids; floats -> float32 with a feature axis (N, 1)."""
    if array.dtype.kind == "f":
        y = torch.from_numpy(array.astype(np.float32))
        return y.unsqueeze(1) if y.ndim == 1 else y
    return torch.from_numpy(array.astype(np.int64))


def load_npy(path: Path) -> Dataset:
    """A .npy file: the inputs of an unlabelled set (e.g. for a GAN or a VAE)."""
    where = str(path)
    with path.open("rb") as handle:
        _check_header(handle, path.stat().st_size, where)
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{where}: cannot read: {exc}") from exc
    x, scaled = _x(_numeric(array, where))
    meta: dict = {"pixel_range": (0.0, 1.0)} if scaled else {}
    return Dataset(path.name, DataSplit(x), meta=meta)


def load_npz(path: Path) -> Dataset:
    """A .npz archive with x (and y, x_val, y_val, x_test, y_test if there)."""
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            if "x" not in members:
                raise DataError(f"{path}: no array named 'x' (has {', '.join(members) or 'none'})")
            for key in _KEYS:
                if key not in members:
                    continue
                where = f"{path}[{key}]"
                with archive.open(members[key]) as handle:
                    _check_header(handle, members[key].file_size, where)  # type: ignore[arg-type]
                with archive.open(members[key]) as handle:
                    arrays[key] = _numeric(np.load(handle, allow_pickle=False), where)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz archive: {exc}") from exc
    splits: dict[str, DataSplit | None] = {}
    scaled = False
    for suffix, name in (("", "train"), ("_val", "val"), ("_test", "test")):
        if f"x{suffix}" not in arrays:
            if f"y{suffix}" in arrays:
                raise DataError(f"{path}: y{suffix} without x{suffix}")
            splits[name] = None
            continue
        x, was_uint8 = _x(arrays[f"x{suffix}"])
        scaled = scaled or was_uint8
        y = _y(arrays[f"y{suffix}"]) if f"y{suffix}" in arrays else None
        if y is not None and len(y) != len(x):
            raise DataError(f"{path}: x{suffix} has {len(x)} samples but y{suffix} has {len(y)}")
        splits[name] = DataSplit(x, y)
    train = splits["train"]
    assert train is not None  # "x" was required above
    classes = None
    if train.y is not None and train.y.dtype == torch.int64 and train.y.ndim == 1 and len(train.y):
        classes = [str(c) for c in range(int(train.y.max()) + 1)]
    meta: dict = {"pixel_range": (0.0, 1.0)} if scaled else {}
    return Dataset(
        path.name, train, val=splits["val"], test=splits["test"], classes=classes, meta=meta
    )
