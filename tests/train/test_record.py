"""The live record of a run: every step, the epoch figures as compact columns, the CSV."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from netbuilder.train.record import Columns
from tests.helpers import long_run


def test_columns_grow_past_their_first_capacity_and_read_back_in_order() -> None:
    columns = Columns({"a": np.int64, "b": np.float64})
    for index in range(1000):
        columns.append(index, index / 2)
    assert len(columns) == 1000
    np.testing.assert_array_equal(columns.column("a"), np.arange(1000))
    np.testing.assert_array_equal(columns.column("b"), np.arange(1000) / 2)
    with pytest.raises(ValueError):
        columns.column("a")[0] = 5  # the views are read-only: the record owns the data


def test_epoch_figures_keep_every_epoch_with_nan_for_a_missing_figure() -> None:
    record = long_run(300)
    figures = record.epochs
    assert len(figures) == 300
    np.testing.assert_array_equal(figures.epochs, np.arange(1, 301))
    np.testing.assert_array_equal(figures.steps, np.arange(1, 301) * 2)
    assert math.isnan(figures.val_accuracy[0]) and figures.val_accuracy[2] == 3 / 300
    assert record.has_accuracy()
    assert record.epoch_of(3) == 2 and record.epoch_of(4) == 2 and record.epoch_of(5) == 3
    assert len(record.lr_changes) == 300  # the schedule changes it every epoch


def test_a_long_run_of_short_epochs_costs_bytes_not_objects_per_epoch() -> None:
    """40 bytes an epoch in the columns (a list of floats would take 160)."""
    record = long_run(4_000, schedule=False)
    data = record.epochs._data
    assert sum(column.nbytes for column in data.values()) <= 4_000 * 40 * 2  # doubling slack
    assert len(record.lr_changes) == 1


def test_the_csv_holds_every_step_with_the_epoch_figures_on_the_epochs_last_step(
        tmp_path) -> None:
    record = long_run(6)
    path = tmp_path / "run.csv"
    assert record.write_csv(path) == 12
    with open(path, encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(row["step"]) for row in rows] == list(range(1, 13))
    assert [int(row["epoch"]) for row in rows] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert rows[0]["val_loss"] == "" and float(rows[1]["val_loss"]) == 2.0
    assert rows[3]["val_accuracy"] == "" and float(rows[5]["val_accuracy"]) == 0.5
    assert float(rows[2]["lr"]) == 0.05
