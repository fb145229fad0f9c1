"""CSV files of numbers: one sample a row, the label in the last column (or a named one)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import torch

from netbuilder.core.files import read_regular
from netbuilder.train.data.base import (
    MAX_CLASSES,
    DataError,
    Dataset,
    DataSplit,
    check_float32,
    class_ids,
    class_names,
)

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
    raw = read_regular(path, MAX_CSV_BYTES, what="CSV file", error=DataError)
    try:
        text = raw.decode("utf-8-sig")
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


def _class_like(labels: np.ndarray) -> bool:
    """Whole numbers in the class id range; larger ones (prices in cents) are regression."""
    return bool(np.all(labels == np.round(labels)) and labels.min() >= 0
                and labels.max() < MAX_CLASSES)


def load_csv(
    path: Path, *, label: str | int | None = None, task: str | None = None, delimiter: str = ","
) -> Dataset:
    """A CSV file as a Dataset; the label column holds class ids or regression targets.

    Args:
        path: the file; a first row that is not all numbers is taken as the header.
        label: the label column's name (needs a header) or index; default the last column.
        task: "classification" or "regression"; default classification when every label is a
            whole number from 0 to MAX_CLASSES - 1, else regression.
        delimiter: the column separator.

    Raises:
        DataError: the file names a bad line (text, NaN, wrong column count), a label that is
            not a class id (for classification), or bad options.
    """
    header, table = _rows(path, delimiter)
    column = _label_column(path, header, table.shape[1], label)
    labels = table[:, column]
    features = np.delete(table, column, axis=1)
    check_float32(features, f"{path}, features")
    x = torch.from_numpy(features.astype(np.float32))
    if task is None:
        task = "classification" if _class_like(labels) else "regression"
    if task == "classification":
        name = repr(header[column]) if header is not None else str(column + 1)
        y = torch.from_numpy(class_ids(labels, f"{path}, label column {name}"))
        classes = class_names(y)
    elif task == "regression":
        check_float32(labels, f"{path}, label column")
        y = torch.from_numpy(labels.astype(np.float32)).unsqueeze(1)
        classes = None
    else:
        raise DataError(f"{path}: task must be 'classification' or 'regression', got {task!r}")
    meta: dict = {"task": task}
    if header is not None:
        meta["columns"] = [h for i, h in enumerate(header) if i != column]
    return Dataset(path.name, DataSplit(x, y), classes=classes, meta=meta)
