"""NumPy files: .npy (inputs only) and .npz (x, y and optional validation and test arrays).

Pickles are refused (``allow_pickle=False``) and every array header is checked against the bytes
there are before numpy allocates anything: a .npz member can inflate no further than its header
declares, and all the arrays of an archive together may hold at most :data:`MAX_BYTES`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

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

#: Most bytes of array data read from one .npy or .npz file (all its arrays together).
MAX_BYTES = 1 << 31
#: Largest file opened: the arrays plus their headers and a zip archive's directory.
MAX_FILE_BYTES = MAX_BYTES + (64 << 20)
_KEYS = ("x", "y", "x_val", "y_val", "x_test", "y_test")


def _check_header(handle: BinaryIO, total: int, where: str) -> int:
    """Refuse object arrays and sizes the file cannot hold, from the .npy header alone.

    Returns:
        The bytes of data the header declares.
    """
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
    return need


def _numeric(array: np.ndarray, where: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise DataError(f"{where}: dtype {array.dtype} is not numeric")
    check_float32(array, where)
    if array.ndim == 0:
        raise DataError(f"{where}: a single number, not an array of samples")
    return array


def _x(array: np.ndarray) -> tuple[torch.Tensor, bool]:
    """Inputs: floats -> float32, uint8 (images) -> float32 in [0, 1], other ints -> int64.

    ``array`` was just read from a file and is ours: one already of the right type is used
    as it is, and images are scaled in place (a copy of a whole data set takes a second on
    a large one).
    """
    if array.dtype == np.uint8:
        images = array.astype(np.float32)
        images /= 255.0
        return torch.from_numpy(images), True
    if array.dtype.kind == "f":
        return torch.from_numpy(array.astype(np.float32, copy=False)), False
    return torch.from_numpy(array.astype(np.int64, copy=False)), False


def _y(array: np.ndarray, where: str) -> torch.Tensor:
    """Targets: ints -> int64 class ids (checked); floats -> float32 with a feature axis (N, 1)."""
    if array.dtype.kind == "f":
        y = torch.from_numpy(array.astype(np.float32))
        return y.unsqueeze(1) if y.ndim == 1 else y
    return torch.from_numpy(class_ids(array, where))


def load_npy(path: Path) -> Dataset:
    """A .npy file: the inputs of an unlabelled set (e.g. for a GAN or a VAE)."""
    where = str(path)
    with open_regular(path, MAX_FILE_BYTES, what=".npy file", error=DataError) as handle:
        total = handle.seek(0, 2)
        handle.seek(0)
        _check_header(handle, total, where)
        handle.seek(0)
        try:
            array = np.load(handle, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"{where}: cannot read: {exc}") from exc
    x, scaled = _x(_numeric(array, where))
    meta: dict = {"pixel_range": (0.0, 1.0)} if scaled else {}
    return Dataset(path.name, DataSplit(x), meta=meta)


def _read_members(file: BinaryIO, path: Path, arrays: dict[str, np.ndarray]) -> None:
    """The arrays named in _KEYS, each header checked and the declared sizes summed first."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
            if "x" not in members:
                raise DataError(f"{path}: no array named 'x' (has {', '.join(members) or 'none'})")
            keys = [key for key in _KEYS if key in members]
            declared = 0
            for key in keys:
                # A member inflates as far as its zip entry says; the .npy header inside must
                # fit in that, and all the headers together in MAX_BYTES, before any is loaded.
                with archive.open(members[key]) as handle:
                    declared += _check_header(
                        handle, members[key].file_size, f"{path}[{key}]"  # type: ignore[arg-type]
                    )
                if declared > MAX_BYTES:
                    raise DataError(f"{path}: its arrays declare {declared:,} bytes in all, more "
                                    f"than netbuilder loads ({MAX_BYTES:,})")
            for key in keys:
                with archive.open(members[key]) as handle:
                    loaded = np.load(handle, allow_pickle=False)
                arrays[key] = _numeric(loaded, f"{path}[{key}]")
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz archive: {exc}") from exc


def load_npz(path: Path) -> Dataset:
    """A .npz archive with x (and y, x_val, y_val, x_test, y_test if there)."""
    arrays: dict[str, np.ndarray] = {}
    with open_regular(path, MAX_FILE_BYTES, what=".npz file", error=DataError) as file:
        _read_members(file, path, arrays)
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
        y = _y(arrays[f"y{suffix}"], f"{path}[y{suffix}]") if f"y{suffix}" in arrays else None
        if y is not None and len(y) != len(x):
            raise DataError(f"{path}: x{suffix} has {len(x)} samples but y{suffix} has {len(y)}")
        splits[name] = DataSplit(x, y)
    train = splits["train"]
    assert train is not None  # "x" was required above
    classes = None
    if train.y is not None and train.y.dtype == torch.int64 and train.y.ndim == 1:
        # Every split's ids count: a test label above train's highest still needs its class.
        classes = class_names(*(split.y for split in splits.values()
                                if split is not None and split.y is not None
                                and split.y.dtype == torch.int64))
    meta: dict = {"pixel_range": (0.0, 1.0)} if scaled else {}
    return Dataset(
        path.name, train, val=splits["val"], test=splits["test"], classes=classes, meta=meta
    )
