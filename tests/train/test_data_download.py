"""netbuilder.train.data.download: cache, checksums and atomic writes, with no network."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from netbuilder.train.data import DataError, download, load_dataset


def _gz_idx(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.tobytes())


@pytest.fixture
def tiny_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, bytes]:
    """Replace MNIST's files and MD5s by small ones served from a dict; cache in tmp_path."""
    files = {
        "train-images-idx3-ubyte.gz": _gz_idx(np.zeros((3, 28, 28), np.uint8)),
        "train-labels-idx1-ubyte.gz": _gz_idx(np.array([0, 1, 2], np.uint8)),
        "t10k-images-idx3-ubyte.gz": _gz_idx(np.zeros((2, 28, 28), np.uint8)),
        "t10k-labels-idx1-ubyte.gz": _gz_idx(np.array([3, 4], np.uint8)),
    }
    source = download.Source(
        mirrors=("https://broken.invalid/", "https://good.invalid/"),
        files=tuple((name, hashlib.md5(data).hexdigest()) for name, data in files.items()),
        classes=tuple(str(d) for d in range(10)),
    )
    monkeypatch.setitem(download.SOURCES, "mnist", source)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    served: dict[str, bytes] = {"https://good.invalid/" + k: v for k, v in files.items()}
    calls: list[str] = []

    def fake_fetch(url: str) -> bytes:
        calls.append(url)
        if url not in served:
            raise OSError("unreachable")
        return served[url]

    monkeypatch.setattr(download, "fetch", fake_fetch)
    served["calls"] = calls  # type: ignore[assignment]
    return served


def test_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert download.cache_dir() == tmp_path / "netbuilder" / "datasets"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert download.cache_dir() == tmp_path / "home" / ".cache" / "netbuilder" / "datasets"


def test_real_checksums_are_the_published_ones() -> None:
    assert dict(download.SOURCES["mnist"].files)["train-images-idx3-ubyte.gz"] == (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    )
    assert len(download.SOURCES["fashion_mnist"].classes) == 10


def test_nothing_is_fetched_unless_asked(tiny_source: dict, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="download=True"):
        load_dataset("mnist")
    assert tiny_source["calls"] == []


def test_download_falls_back_caches_and_loads(tiny_source: dict, tmp_path: Path) -> None:
    data = load_dataset("mnist", download=True, input_shape=(784,))
    assert data.train.x.shape == (3, 784) and data.test.y.tolist() == [3, 4]
    assert data.name == "mnist" and len(data.classes) == 10
    folder = tmp_path / "cache" / "netbuilder" / "datasets" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        name for name, _ in download.SOURCES["mnist"].files
    )  # no temporary files left behind
    calls = len(tiny_source["calls"])
    load_dataset("mnist")  # from the cache: no fetch
    assert len(tiny_source["calls"]) == calls


def test_damaged_cache_and_bad_checksum(tiny_source: dict, tmp_path: Path) -> None:
    load_dataset("mnist", download=True)
    target = tmp_path / "cache" / "netbuilder" / "datasets" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(b"damaged")
    with pytest.raises(DataError, match="damaged"):
        load_dataset("mnist")
    url = "https://good.invalid/t10k-labels-idx1-ubyte.gz"
    good = tiny_source[url]
    tiny_source[url] = b"tampered"
    with pytest.raises(DataError, match="checksum"):
        load_dataset("mnist", download=True)
    assert target.read_bytes() == b"damaged"  # a bad download never replaces a file
    tiny_source[url] = good
    assert len(load_dataset("mnist", download=True).test) == 2


def test_file_url_fetch(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"abc")
    assert download.fetch(path.as_uri()) == b"abc"


def test_a_cache_that_cannot_be_written_is_a_data_error(tiny_source: dict,
                                                        tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "netbuilder" / "datasets"
    folder.mkdir(parents=True)
    (folder / "mnist").write_text("a file where the cache folder belongs")
    with pytest.raises(DataError, match=r"mnist.* cannot be written"):
        load_dataset("mnist", download=True)
