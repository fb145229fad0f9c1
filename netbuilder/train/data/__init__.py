"""Data sets for training: offline built-in sets, files from the user's disk, MNIST on request.

``load_dataset(source)`` takes a built-in name (:data:`BUILTIN`), ``"mnist"`` or
``"fashion_mnist"`` (cached; fetched only with ``download=True``), or a path: an MNIST-style IDX
file or folder, a CSV, a .npy or .npz, a folder of class subfolders of images, or a text file.
Every problem with the data raises :class:`DataError` with a message naming the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from netbuilder.train.data import arrays, csvfile, digits, download, idx, images, synthetic, text
from netbuilder.train.data.base import DataError, Dataset, DataSplit
from netbuilder.train.data.shaping import fit_split, pixel_range

__all__ = ["BUILTIN", "DOWNLOADABLE", "DataError", "DataSplit", "Dataset", "load_dataset"]

_SEEDED: dict[str, tuple[Callable[..., Dataset], frozenset[str]]] = {
    "linearly_separable": (synthetic.linearly_separable, frozenset({"n"})),
    "xor": (synthetic.xor, frozenset({"n"})),
    "moons": (synthetic.moons, frozenset({"n", "noise"})),
    "circles": (synthetic.circles, frozenset({"n", "noise"})),
    "spirals": (synthetic.spirals, frozenset({"n", "noise"})),
    "regression_rows": (synthetic.regression_rows, frozenset({"n"})),
    "token_sequences": (synthetic.token_sequences, frozenset({"n"})),
}
_TEXT_OPTIONS = frozenset({"seq_len", "all_lengths"})

#: The built-in sets: generated or bundled, available offline, deterministic given the seed.
BUILTIN: tuple[str, ...] = (
    *_SEEDED,
    "digits",
    "hello_world",
    "tiny_corpus",
)
#: Sets fetched on request (``download=True``) and cached.
DOWNLOADABLE: tuple[str, ...] = tuple(download.SOURCES)
_ALIASES = {"fashion-mnist": "fashion_mnist", "fashionmnist": "fashion_mnist"}


def _options(source: str, options: dict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise DataError(f"{source}: unknown option(s) {', '.join(unknown)}; accepted: {accepted}")


def load_dataset(
    source: str | Path,
    *,
    input_shape: tuple[int, ...] | None = None,
    seed: int = 0,
    **options: object,
) -> Dataset:
    """Load a data set by built-in name or path.

    Args:
        source: a name in :data:`BUILTIN` or :data:`DOWNLOADABLE`, or a file or folder path.
        input_shape: the graph Input's shape without the batch; x is reshaped to it where that
            keeps every value, text windows take their length from it, image folders their
            channels and size.
        seed: seeds the generated sets.
        **options: per source: ``n``/``noise`` (point sets), ``range`` (images), ``seq_len`` and
            ``all_lengths`` (text), ``label``/``task``/``delimiter`` (CSV), ``download`` (MNIST).

    Returns:
        The Dataset, x shaped to ``input_shape`` when given.

    Raises:
        DataError: unknown name, unreadable or hostile file, bad option, or a shape mismatch
            (the message names both shapes).
    """
    shape = None if input_shape is None else tuple(int(d) for d in input_shape)
    name = str(source)
    key = _ALIASES.get(name.lower(), name.lower())
    if key in ("hello_world", "tiny_corpus"):
        _options(name, options, _TEXT_OPTIONS)
        loader = text.hello_world if key == "hello_world" else text.tiny_corpus
        return loader(input_shape=shape, **options)  # type: ignore[arg-type]
    if key in _SEEDED:
        function, allowed = _SEEDED[key]
        _options(name, options, allowed)
        dataset = function(seed=seed, **options)
    elif key == "digits":
        _options(name, options, frozenset({"range"}))
        dataset = digits.load_digits(pixel_range(options.get("range", (0.0, 1.0)), name))
    elif key in DOWNLOADABLE:
        _options(name, options, frozenset({"download", "range"}))
        folder = download.ensure(key, download=bool(options.get("download", False)))
        dataset = idx.load_idx_folder(
            folder,
            pixel_range(options.get("range", (0.0, 1.0)), name),
            list(download.SOURCES[key].classes),
        )
        dataset.name = key
    else:
        try:
            dataset = _load_path(Path(name).expanduser(), shape, options)
        except (OSError, MemoryError) as exc:
            raise DataError(f"{name}: cannot read: {exc}") from exc
        if dataset.vocab is not None:  # text shapes itself from input_shape
            return dataset
    return _fit(dataset, shape)


def _fit(dataset: Dataset, shape: tuple[int, ...] | None) -> Dataset:
    if shape is None:
        return dataset
    dataset.train = fit_split(dataset.train, shape, dataset.name)  # type: ignore[assignment]
    dataset.val = fit_split(dataset.val, shape, dataset.name)
    dataset.test = fit_split(dataset.test, shape, dataset.name)
    return dataset


def _load_path(path: Path, shape: tuple[int, ...] | None, options: dict) -> Dataset:
    if not path.exists():
        raise DataError(
            f"{path}: no such file or folder, and not a built-in data set "
            f"({', '.join(BUILTIN + DOWNLOADABLE)})"
        )
    if path.is_dir():
        if idx.find_idx_files(path):
            _options(str(path), options, frozenset({"range"}))
            low_high = pixel_range(options.get("range", (0.0, 1.0)), path.name)
            return idx.load_idx_folder(path, low_high)
        if images.is_image_folder(path):
            _options(str(path), options, frozenset())
            return images.load_image_folder(path, shape)
        raise DataError(
            f"{path}: neither MNIST-style IDX files (train-images-idx3-ubyte...) nor class "
            "subfolders of images"
        )
    lower = path.name.lower()
    stem = lower.removesuffix(".gz")
    if "idx" in stem and ("ubyte" in stem or stem.endswith((".idx", ".idx1", ".idx3"))):
        _options(str(path), options, frozenset({"range"}))
        return idx.load_idx_file(path, pixel_range(options.get("range", (0.0, 1.0)), path.name))
    if lower.endswith(".csv"):
        _options(str(path), options, frozenset({"label", "task", "delimiter"}))
        return csvfile.load_csv(path, **options)
    if lower.endswith(".npy"):
        _options(str(path), options, frozenset())
        return arrays.load_npy(path)
    if lower.endswith(".npz"):
        _options(str(path), options, frozenset())
        return arrays.load_npz(path)
    if lower.endswith((".txt", ".text", ".md")):
        _options(str(path), options, _TEXT_OPTIONS)
        return text.load_text_file(path, shape, **options)
    raise DataError(
        f"{path}: unknown kind of file; netbuilder reads IDX (MNIST), .csv, .npy, .npz, .txt "
        "and folders of images"
    )
