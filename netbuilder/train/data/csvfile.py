"""CSV files of numbers: one sample a row, the label in the last column (or a named one)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import torch

from netbuilder.train.data.base import DataError, Dataset, DataSplit

#: Largest CSV file read, in bytes.
MAX_CSV_BYTES = 512_000_000


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _rows(path: Path, delimiter: str) -> tuple[list[str] | None, np.ndarray]:
    """The header (if the first row is not all numbers) and the table, checked row by row."""
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise DataError(f"{path}: {size} bytes is more CSV than netbuilder loads ({MAX_CSV_BYTES})")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    header: list[str] | None = None
    values: list[list[float]] = []
    width = 0
    for line_no, row in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue  # blank lines carry nothing
        if header is None and not values and not all(_is_number(c) for c in cells):
            header, width = cells, len(cells)
            continue
        if width and len(cells) != width:
            raise DataError(
                f"{path}, line {line_no}: {len(cells)} columns where {width} were expected"
            )
        width = len(cells)
        try:
            numbers = [float(c) for c in cells]
        except ValueError:
            bad = next(c for c in cells if not _is_number(c))
            raise DataError(f"{path}, line {line_no}: {bad!r} is not a number") from None
        if not all(math.isfinite(v) for v in numbers):
            raise DataError(f"{path}, line {line_no}: NaN or infinity is not allowed in data")
        values.append(numbers)
    if not values:
        raise DataError(f"{path}: no rows of numbers")
    if width < 2:
        raise DataError(f"{path}: needs at least two columns (features and a label)")
    return header, np.asarray(values, dtype=np.float64)


def _label_column(path: Path, header: list[str] | None, width: int, label: object) -> int:
    if label is None:
        return width - 1
    if isinstance(label, int) and not isinstance(label, bool):
        if -width <= label < width:
            return label % width
        raise DataError(f"{path}: label column {label} is out of range (there are {width})")
    if header is None:
        raise DataError(f"{path}: label={label!r} names a column but the file has no header row")
    if label not in header:
        raise DataError(f"{path}: no column named {label!r}; the header has {', '.join(header)}")
    return header.index(str(label))


def load_csv(
    path: Path, *, label: str | int | None = None, task: str | None = None, delimiter: str = ","
) -> Dataset:
    """A CSV file as a Dataset; the label column holds class ids or regression targets.

    Args:
        path: the file; a first row that is not all numbers is taken as the header.
        label: the label column's name (needs a header) or index; default the last column.
        task: "classification" or "regression"; default classification when every label is a
            whole number >= 0, else regression.
        delimiter: the column separator.

    Raises:
        DataError: the file names a bad line (text, NaN, wrong column count) or bad options.
    """
    header, table = _rows(path, delimiter)
    column = _label_column(path, header, table.shape[1], label)
    labels = table[:, column]
    x = torch.from_numpy(np.delete(table, column, axis=1).astype(np.float32))
    whole = bool(np.all(labels == np.round(labels)) and np.all(labels >= 0))
    if task is None:
        task = "classification" if whole else "regression"
    if task == "classification":
        if not whole:
            raise DataError(f"{path}: classification labels must be whole numbers >= 0")
        y = torch.from_numpy(labels.astype(np.int64))
        classes = [str(c) for c in range(int(labels.max()) + 1)]
    elif task == "regression":
        y = torch.from_numpy(labels.astype(np.float32)).unsqueeze(1)
        classes = None
    else:
        raise DataError(f"{path}: task must be 'classification' or 'regression', got {task!r}")
    meta: dict = {"task": task}
    if header is not None:
        meta["columns"] = [h for i, h in enumerate(header) if i != column]
    return Dataset(path.name, DataSplit(x, y), classes=classes, meta=meta)
