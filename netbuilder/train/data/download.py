"""MNIST and Fashion-MNIST, downloaded only when asked, cached and checked against known MD5s.

The files go to ``$XDG_CACHE_HOME/netbuilder/datasets/<name>`` (``~/.cache`` when that is not
set), each written to a temporary file and renamed into place, so an interrupted download never
leaves a partial file where a complete one is expected.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from netbuilder.core.atomic import write_atomic
from netbuilder.train.data.base import DataError

#: Largest file fetched, in bytes (MNIST's largest is under 10 MB compressed).
MAX_DOWNLOAD = 100_000_000
#: Seconds to wait on a mirror before trying the next.
TIMEOUT = 60


@dataclass(frozen=True)
class Source:
    """Where a data set is published, its files with their MD5s, and its class names."""

    mirrors: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    classes: tuple[str, ...]


# Checksums as published with torchvision's MNIST and FashionMNIST data sets.
SOURCES: dict[str, Source] = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        files=(
            ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ),
        classes=tuple(str(d) for d in range(10)),
    ),
    "fashion_mnist": Source(
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files=(
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ),
        classes=(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
    ),
}


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/netbuilder/datasets``, or ``~/.cache/netbuilder/datasets``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netbuilder" / "datasets"


def md5_of(path: Path) -> str:
    """The hex MD5 of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str) -> bytes:
    """The bytes at a URL (tests replace this function; nothing else calls the network)."""
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        data = response.read(MAX_DOWNLOAD + 1)
    if len(data) > MAX_DOWNLOAD:
        raise OSError(f"more than {MAX_DOWNLOAD} bytes")
    return data


def _download_one(source: Source, name: str, md5: str, target: Path) -> None:
    problems = []
    for mirror in source.mirrors:
        url = mirror + name
        try:
            data = fetch(url)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            problems.append(f"{url}: {exc}")
            continue
        got = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if got != md5:
            problems.append(f"{url}: checksum {got}, expected {md5}")
            continue
        write_atomic(target, data, error=DataError, make_parents=True)
        return
    raise DataError(f"could not download {name}: " + "; ".join(problems))


def ensure(name: str, *, download: bool = False, root: Path | None = None) -> Path:
    """The folder holding a known data set's files, downloading missing ones if asked.

    Args:
        name: a key of :data:`SOURCES`.
        download: fetch missing or damaged files; without it a missing file is an error.
        root: the cache folder; default :func:`cache_dir`.

    Returns:
        The folder, laid out like MNIST (train-images-idx3-ubyte.gz, ...).

    Raises:
        DataError: unknown name, files missing (and download False), every mirror failed, or
            the cache cannot be written.
    """
    if name not in SOURCES:
        raise DataError(f"no download for {name!r}; known: {', '.join(SOURCES)}")
    source = SOURCES[name]
    folder = (root or cache_dir()) / name
    for file_name, md5 in source.files:
        target = folder / file_name
        if target.is_file() and md5_of(target) == md5:
            continue
        if not download:
            state = "is damaged" if target.exists() else "is not downloaded"
            raise DataError(
                f"{name} {state} ({target}); load it with download=True to fetch it (about "
                "12 to 30 MB, once)"
            )
        _download_one(source, file_name, md5, target)
    return folder
