"""Image folders: one subfolder per class holding PNG or JPEG files (read with Pillow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from netbuilder.core.files import open_regular
from netbuilder.train.data.base import DataError, Dataset, DataSplit

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
#: Largest image read, in pixels: far above any training image, far below a decompression bomb.
MAX_PIXELS = 4096 * 4096
#: Largest image file read, in bytes: an uncompressed 4096 x 4096 RGBA image is 64 MiB.
MAX_IMAGE_BYTES = 128 << 20


def is_image_folder(folder: Path) -> bool:
    """True when the folder has subfolders holding image files."""
    return any(
        sub.is_dir() and any(f.suffix.lower() in SUFFIXES for f in sub.iterdir())
        for sub in folder.iterdir()
    )


def _read(path: Path, mode: str | None, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError  # only image folders need Pillow

    try:
        with open_regular(path, MAX_IMAGE_BYTES, what="image file", error=DataError) as file, \
                Image.open(file) as image:
            if image.width * image.height > MAX_PIXELS:
                raise DataError(f"{path}: {image.width}x{image.height} is too large an image")
            if mode is None:
                mode = "L" if image.mode in ("1", "L", "I;16", "I", "F") else "RGB"
            converted = image.convert(mode)
            if size is not None and converted.size != (size[1], size[0]):
                converted = converted.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            array = np.asarray(converted, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError) as exc:
        raise DataError(f"{path}: not a readable image: {exc}") from exc
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # -> (C, H, W)


def load_image_folder(folder: Path, input_shape: tuple[int, ...] | None = None) -> Dataset:
    """Images as float32 (N, C, H, W) in [0, 1], labels int64 by sorted class folder name.

    Args:
        folder: holds one subfolder per class.
        input_shape: (C, H, W) of the graph's Input: C = 1 reads grayscale, 3 reads RGB, and
            images are resized to H x W. Without it, all images must share one size; they are
            read as grayscale if every one is, else RGB.

    Raises:
        DataError: no images, an unreadable image, or mismatched sizes.
    """
    mode: str | None = None
    size: tuple[int, int] | None = None
    if input_shape is not None:
        shape = tuple(int(d) for d in input_shape)
        if len(shape) != 3 or shape[0] not in (1, 3):
            raise DataError(
                f"{folder}: images are (channels, height, width) with 1 or 3 channels but the "
                f"graph's Input expects {shape}"
            )
        mode, size = ("L" if shape[0] == 1 else "RGB"), (shape[1], shape[2])
    classes = sorted(sub.name for sub in folder.iterdir() if sub.is_dir())
    files: list[tuple[Path, int]] = [
        (f, index)
        for index, name in enumerate(classes)
        for f in sorted((folder / name).iterdir())
        # Not is_file(): a FIFO or a dangling link named like an image is refused by name.
        if f.suffix.lower() in SUFFIXES and not f.is_dir()
    ]
    if not files:
        raise DataError(f"{folder}: no class subfolders holding .png or .jpg images")
    arrays = [_read(path, mode, size) for path, _ in files]
    if mode is None:
        # Mixed grayscale and colour: read again in colour so all samples match.
        if len({a.shape[0] for a in arrays}) > 1:
            arrays = [_read(path, "RGB", None) for path, _ in files]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise DataError(
                f"{folder}: images differ in size ({', '.join(map(str, sorted(shapes)))}); "
                "connect the graph's Input so they can be resized to its shape"
            )
    x = torch.from_numpy(np.stack(arrays).astype(np.float32) / 255.0)
    y = torch.tensor([label for _, label in files], dtype=torch.int64)
    return Dataset(
        folder.name, DataSplit(x, y), classes=classes,
        meta={"task": "classification", "pixel_range": (0.0, 1.0)},
    )
