"""Bounded memory and time on tiny hostile inputs: labels, special files, compressed data."""

from __future__ import annotations

import gzip
import io
import os
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from netbuilder.train.data import DataError, arrays, load_dataset
from netbuilder.train.data.base import MAX_CLASSES, class_ids
from netbuilder.train.events import Failed
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.bounded import needs_fifo, outcome
from tests.helpers import classifier_with_loss


def _idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx(path: Path, array: np.ndarray, code: int = 0x08) -> Path:
    data = _idx_bytes(array, code)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _images(n: int) -> np.ndarray:
    return np.zeros((n, 4, 4), np.uint8)


# --- labels: one check, wherever classes come from -------------------------------------------

_LABELS = st.one_of(
    hnp.arrays(st.sampled_from([np.float64, np.float32]), st.integers(1, 6),
               elements=st.floats(allow_nan=True, allow_infinity=True, width=32)),
    hnp.arrays(st.sampled_from([np.int8, np.int64, np.uint64, np.uint32]), st.integers(1, 6)),
    hnp.arrays(np.float64, st.integers(1, 6),
               elements=st.sampled_from([0.0, 3.0, 1e308, -1.0, 0.5, MAX_CLASSES - 1.0,
                                         float(MAX_CLASSES), 2.0**63])),
)


@settings(max_examples=80, deadline=None)
@given(_LABELS)
def test_class_ids_are_in_range_or_refused_by_name(labels: np.ndarray) -> None:
    try:
        ids = class_ids(labels, "f.csv")
    except DataError as error:
        message = str(error)
        assert message.startswith("f.csv: label ") and "\n" not in message
        return
    assert ids.dtype == np.int64
    assert ids.min() >= 0 and ids.max() < MAX_CLASSES
    assert np.array_equal(ids, labels)  # the same numbers: nothing wrapped or was truncated


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.integers(-3, 2 * MAX_CLASSES),
                          st.sampled_from(["1e308", "-0.5", "2.5", "1e5", "3.0"])),
                min_size=1, max_size=5))
def test_csv_classification_labels_are_checked(tmp_path: Path, labels: list) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("".join(f"{i},{label}\n" for i, label in enumerate(labels)))
    try:
        data = load_dataset(path, task="classification")
    except DataError as error:
        message = str(error)
        assert message.startswith(f"{path}, label column 2: label ")
        return
    assert len(data.classes) == int(data.train.y.max()) + 1 <= MAX_CLASSES
    assert data.train.y.tolist() == [int(float(v)) for v in labels]


def test_a_tiny_csv_with_a_huge_label_builds_no_class_list(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text("a,b,label\n" + "1,2,0\n" * 80 + "1,2,1e308\n")
    assert path.stat().st_size < 600
    with pytest.raises(DataError, match=r"label column 'label': label 1e\+308 is too large a "
                                        r"class id \(netbuilder takes up to 100,000 classes"):
        load_dataset(path, task="classification")
    # Left to guess, whole numbers this large are regression targets, beyond float32 here.
    with pytest.raises(DataError, match="beyond the float32 range"):
        load_dataset(path)
    path.write_text("1,2,0\n1,2,250000\n")
    assert load_dataset(path).meta["task"] == "regression"


@pytest.mark.parametrize(("y", "message"), [
    (np.array([0, 10**12]), r"\[y\]: label 1000000000000 is too large"),
    (np.array([0, 2**63], np.uint64), r"\[y\]: label 9223372036854775808 is too large"),
    (np.array([0, -1], np.int8), r"\[y\]: label -1 is negative"),
])
def test_npz_class_ids_are_checked(tmp_path: Path, y: np.ndarray, message: str) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 1)), y=y)
    with pytest.raises(DataError, match=message):
        load_dataset(tmp_path / "d.npz")


def test_classes_cover_every_split(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((2, 1)), y=np.array([0, 1]),
             x_test=np.zeros((1, 1)), y_test=np.array([4]))
    assert load_dataset(tmp_path / "d.npz").classes == ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(("labels", "code", "message"), [
    (np.array([0, 2**31 - 1], np.int32), 0x0C, "label 2147483647 is too large a class id"),
    (np.array([0, -5], np.int8), 0x09, "label -5 is negative"),
    (np.array([0.0, 0.5], np.float32), 0x0D, "label 0.5 is not a class id"),
    (np.array([0.0, np.nan], np.float32), 0x0D, "label nan is not a class id"),
])
def test_idx_labels_are_class_ids(tmp_path: Path, labels: np.ndarray, code: int,
                                  message: str) -> None:
    _write_idx(tmp_path / "train-images-idx3-ubyte", _images(2))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", labels, code)
    with pytest.raises(DataError, match=f"train-labels-idx1-ubyte: {message}"):
        load_dataset(tmp_path)


# --- IDX: prefixed names, missing labels, bounded inflation ------------------------------------


@pytest.mark.parametrize("prefix", ["mnist-", "fashion-", "emnist-digits-", "kmnist_"])
def test_idx_folders_with_prefixed_names(tmp_path: Path, prefix: str) -> None:
    _write_idx(tmp_path / f"{prefix}train-images-idx3-ubyte", _images(3))
    _write_idx(tmp_path / f"{prefix}train-labels-idx1-ubyte", np.array([0, 1, 2], np.uint8))
    _write_idx(tmp_path / f"{prefix}t10k-images-idx3-ubyte.gz", _images(2))
    _write_idx(tmp_path / f"{prefix}t10k-labels-idx1-ubyte.gz", np.array([1, 3], np.uint8))
    data = load_dataset(tmp_path)
    assert len(data.train) == 3 and len(data.test) == 2 and data.test.y.tolist() == [1, 3]
    assert data.classes == ["0", "1", "2", "3"] and "missing_labels" not in data.meta
    single = load_dataset(tmp_path / f"{prefix}t10k-images-idx3-ubyte.gz")
    assert single.train.y.tolist() == [1, 3]


def test_two_idx_sets_in_one_folder_are_refused(tmp_path: Path) -> None:
    for prefix in ("fashion-", "mnist-"):
        _write_idx(tmp_path / f"{prefix}train-images-idx3-ubyte", _images(1))
    with pytest.raises(DataError, match=r"more than one IDX set \(fashion-train-images-idx3-"
                                        r"ubyte, mnist-train-images-idx3-ubyte\)"):
        load_dataset(tmp_path)


def test_missing_labels_name_the_file_looked_for(tmp_path: Path) -> None:
    _write_idx(tmp_path / "mnist-train-images-idx3-ubyte.gz", _images(8))
    data = load_dataset(tmp_path)
    looked_for = f"looked for {tmp_path / 'mnist-train-labels-idx1-ubyte'}(.gz)"
    assert data.train.y is None and looked_for in data.meta["missing_labels"]["train"]
    settings_ = TrainingSettings(recipe="classification", epochs=1, batch_size=4,
                                 validation_split=0.25, device="cpu")
    events = list(train(classifier_with_loss(), data, settings_))
    assert isinstance(events[-1], Failed) and looked_for in events[-1].message
    assert events[-1].message.startswith("the train data has no targets")


def test_a_gzip_bomb_inflates_no_more_than_its_header_declares(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 1, 2, 2)  # 4 bytes of pixels
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + bytes(20 << 20), compresslevel=1))
    assert path.stat().st_size < 100_000  # inflates about a thousandfold
    inflated = []
    read = gzip.GzipFile.read

    def counting(self: gzip.GzipFile, size: int = -1) -> bytes:
        data = read(self, size)
        inflated.append(len(data))
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting)
    with pytest.raises(DataError, match=r"says \(1, 2, 2\) \(4 bytes of data\) but the file "
                                        r"holds more"):
        load_dataset(path)
    assert sum(inflated) <= len(header) + 4 + 1


def test_a_declared_size_is_not_allocated_before_the_bytes_are_there(
        tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2000, 1000, 1000) + bytes(64))
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="truncated"):
            load_dataset(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20  # the header claims 2 GB


# --- .npz: declared sizes are checked, and summed, before anything inflates -------------------


def test_npz_arrays_together_stay_under_the_limit(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 8)), y=np.zeros(10, np.int64))  # 640 + 80
    monkeypatch.setattr(arrays, "MAX_BYTES", 700)
    with pytest.raises(DataError, match=r"d\.npz: its arrays declare 720 bytes in all, more "
                                        r"than netbuilder loads \(700\)"):
        load_dataset(tmp_path / "d.npz")


def test_npz_member_inflates_no_further_than_its_header(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (2, 1)})
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", header.getvalue() + bytes(16) + bytes(20 << 20))
    inflated = []
    read = zipfile.ZipExtFile.read

    def counting(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        data = read(self, n)
        inflated.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    data = load_dataset(tmp_path / "bomb.npz")
    assert data.train.x.shape == (2, 1)
    assert sum(inflated) < 2 * (len(header.getvalue()) + 16) + 1024


# --- only regular files, also inside folders ---------------------------------------------------


def _special(path: Path, kind: str) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    return path


@needs_fifo
@pytest.mark.parametrize("kind", ["fifo", "zero"])
@pytest.mark.parametrize("name", ["d.csv", "d.npy", "d.npz", "d.txt", "x-images-idx3-ubyte"])
def test_data_files_must_be_regular(tmp_path: Path, kind: str, name: str) -> None:
    path = _special(tmp_path / name, kind)
    assert outcome(lambda: load_dataset(path)).startswith(
        f"DataError: {path}: is not a regular file (a ")


@needs_fifo
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_each_file_of_a_folder_must_be_regular(tmp_path: Path, kind: str) -> None:
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    _write_idx(mnist / "train-images-idx3-ubyte", _images(2))
    labels = _special(mnist / "train-labels-idx1-ubyte", kind)
    assert outcome(lambda: load_dataset(mnist)).startswith(
        f"DataError: {labels}: is not a regular file")
    single = _special(tmp_path / "t10k-labels-idx1-ubyte", kind)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte", _images(2))
    assert outcome(lambda: load_dataset(tmp_path / "t10k-images-idx3-ubyte")).startswith(
        f"DataError: {single}: is not a regular file")
    from PIL import Image

    (tmp_path / "pets" / "cat").mkdir(parents=True)
    Image.new("L", (4, 4)).save(tmp_path / "pets" / "cat" / "0.png")
    image = _special(tmp_path / "pets" / "cat" / "1.png", kind)
    assert outcome(lambda: load_dataset(tmp_path / "pets")).startswith(
        f"DataError: {image}: is not a regular file")
