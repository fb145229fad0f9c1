"""netbuilder.train.data: loading the user's files, and refusing bad or hostile ones."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from netbuilder.train.data import DataError, load_dataset


def _idx(path: Path, array: np.ndarray, *, compress: bool = False) -> Path:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">f4"): 0x0D}[array.dtype]
    data = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _mnist_folder(folder: Path, *, compress: bool) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    gz = ".gz" if compress else ""
    for prefix, n in (("train", 12), ("t10k", 5)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        _idx(folder / f"{prefix}-images-idx3-ubyte{gz}", images, compress=compress)
        _idx(folder / f"{prefix}-labels-idx1-ubyte{gz}", labels, compress=compress)
    return folder


# --- IDX ---------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_idx_folder_like_mnist(tmp_path: Path, compress: bool) -> None:
    folder = _mnist_folder(tmp_path / "mnist", compress=compress)
    data = load_dataset(str(folder), input_shape=(1, 28, 28))
    assert data.train.x.shape == (12, 1, 28, 28) and data.train.x.dtype == torch.float32
    assert data.test.x.shape == (5, 1, 28, 28)
    assert data.train.y.dtype == torch.int64 and data.train.y.tolist()[:3] == [0, 1, 2]
    assert float(data.train.x.min()) >= 0.0 and float(data.train.x.max()) <= 1.0
    flat = load_dataset(folder, input_shape=(784,), range=(-1, 1))
    assert flat.train.x.shape == (12, 784) and float(flat.train.x.min()) >= -1.0


def test_single_idx_file_finds_its_labels(tmp_path: Path) -> None:
    folder = _mnist_folder(tmp_path / "m", compress=True)
    data = load_dataset(folder / "train-images-idx3-ubyte.gz")
    assert data.train.x.shape == (12, 1, 28, 28) and len(data.train.y) == 12


def test_idx_shape_mismatch_names_both_shapes(tmp_path: Path) -> None:
    folder = _mnist_folder(tmp_path / "m", compress=False)
    with pytest.raises(DataError, match=r"\(1, 28, 28\).*\(3, 28, 28\)"):
        load_dataset(folder, input_shape=(3, 28, 28))


def _header(ndim: int, *sizes: int, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, ndim]) + struct.pack(f">{ndim}I", *sizes)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00", "too short"),
        (b"PK\x03\x04" + b"\x00" * 40, "wrong magic"),
        (bytes([0, 0, 0x42, 3]) + b"\x00" * 40, "wrong magic"),
        (_header(3, 2, 28, 28) + b"\x00" * 100, "truncated"),
        (_header(3, 1, 2, 2) + b"\x00" * 9, "more"),
        (_header(3, 10**6, 10**3, 10**3), "more than netbuilder reads"),
        (bytes([0, 0, 0x08, 3]) + struct.pack(">I", 2), "header ends"),
    ],
)
def test_bad_idx_files(tmp_path: Path, content: bytes, message: str) -> None:
    for path in (tmp_path / "train-images-idx3-ubyte", tmp_path / "x-images-idx3-ubyte.gz"):
        path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)
        with pytest.raises(DataError, match=message) as info:
            load_dataset(path)
        assert path.name in str(info.value)


def test_truncated_gzip_and_wrong_label_count(tmp_path: Path) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_header(3, 2, 4, 4) + b"\x01" * 32)[:-12])
    with pytest.raises(DataError, match="IDX"):
        load_dataset(path)
    _idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 4, 4), np.uint8), compress=True)
    _idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2, np.uint8), compress=True)
    with pytest.raises(DataError, match="2 labels for 3 images"):
        load_dataset(tmp_path)


# --- CSV ---------------------------------------------------------------------------------


def test_csv_with_and_without_header(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("1,2,0\n3,4,1\n\n5,6,1\n")
    data = load_dataset(plain, input_shape=(2,))
    assert data.train.x.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert data.train.y.dtype == torch.int64 and data.train.y.tolist() == [0, 1, 1]
    named = tmp_path / "named.csv"
    named.write_text("price,a,b\n1.5,1,2\n2.5,3,4\n")
    reg = load_dataset(named, label="price")
    assert reg.train.x.tolist() == [[1, 2], [3, 4]]
    assert reg.train.y.shape == (2, 1) and reg.train.y.dtype == torch.float32
    assert reg.meta["columns"] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,0\n3,x,1\n", "line 2: 'x' is not a number"),
        ("1,2,0\n3,nan,1\n", "line 2: NaN"),
        ("1,2,0\n3,4\n", "line 2: 2 columns where 3"),
        ("a,b\n", "no rows"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_dataset(path)


def test_csv_label_name_errors(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n")
    with pytest.raises(DataError, match="no header"):
        load_dataset(path, label="price")


# --- NumPy -------------------------------------------------------------------------------


def test_npy_and_npz(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((4, 3), np.float64))
    data = load_dataset(tmp_path / "x.npy")
    assert data.train.x.shape == (4, 3) and data.train.x.dtype == torch.float32
    assert data.train.y is None
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 2)), y=np.arange(6) % 2,
             x_test=np.zeros((2, 2)), y_test=np.array([0, 1]))
    data = load_dataset(tmp_path / "d.npz")
    assert data.train.y.dtype == torch.int64 and len(data.test) == 2 and data.val is None
    assert data.classes == ["0", "1"]


def test_pickles_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="pickle"):
        load_dataset(tmp_path / "obj.npy")
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError, match="pickle"):
        load_dataset(tmp_path / "obj.npz")


def test_bad_numpy_files(tmp_path: Path) -> None:
    np.save(tmp_path / "big.npy", np.zeros((10, 10)))
    raw = (tmp_path / "big.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[:-100])
    with pytest.raises(DataError, match="holds"):
        load_dataset(tmp_path / "cut.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="not a valid"):
        load_dataset(tmp_path / "junk.npy")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="npz"):
        load_dataset(tmp_path / "junk.npz")
    np.savez(tmp_path / "noxy.npz", a=np.zeros(2))
    with pytest.raises(DataError, match="no array named 'x'"):
        load_dataset(tmp_path / "noxy.npz")
    np.savez(tmp_path / "nan.npz", x=np.array([[np.nan]]))
    with pytest.raises(DataError, match="NaN"):
        load_dataset(tmp_path / "nan.npz")
    # A header claiming 10**12 float64s, with no data after it: refused before any allocation.
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    (tmp_path / "huge.npy").write_bytes(header.getvalue())
    with pytest.raises(DataError, match="1000000000000"):
        load_dataset(tmp_path / "huge.npy")
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("x.npy", header.getvalue())
    with pytest.raises(DataError, match="1000000000000"):
        load_dataset(tmp_path / "huge.npz")


# --- images and text ---------------------------------------------------------------------


def test_image_folder_grayscale_and_rgb(tmp_path: Path) -> None:
    from PIL import Image

    for label, colour in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (tmp_path / "pets" / label).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (10, 8), colour).save(tmp_path / "pets" / label / f"{i}.png")
    (tmp_path / "pets" / "dog" / "notes.txt").write_text("ignored")
    data = load_dataset(tmp_path / "pets")
    assert data.train.x.shape == (4, 3, 8, 10) and data.classes == ["cat", "dog"]
    assert data.train.y.tolist() == [0, 0, 1, 1]
    grey = load_dataset(tmp_path / "pets", input_shape=(1, 16, 16))
    assert grey.train.x.shape == (4, 1, 16, 16)
    (tmp_path / "pets" / "dog" / "bad.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError, match=r"bad\.png"):
        load_dataset(tmp_path / "pets")


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "poem.txt"
    path.write_text("abcab", encoding="utf-8")
    data = load_dataset(path, seq_len=3)
    assert data.vocab == "abc" and data.train.x.shape[1:] == (3, 3)
    assert len(data.train) == 1 + 2 + 3 + 3  # windows of every length ending at each char
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataError, match="UTF-8"):
        load_dataset(tmp_path / "bin.txt")


def test_unknown_file_kind_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(DataError, match="unknown kind"):
        load_dataset(tmp_path / "model.pkl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="neither"):
        load_dataset(tmp_path / "empty")
