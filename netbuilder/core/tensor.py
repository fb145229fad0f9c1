"""The type that flows along a wire: a shape without the batch dimension and a dtype."""

from __future__ import annotations

from dataclasses import dataclass

DTYPES = ("float32", "int64")


@dataclass(frozen=True)
class TensorSpec:
    """Shape (batch dimension excluded) and element type of one tensor.

    Attributes:
        shape: sizes of the non-batch dimensions; ``()`` for one number per sample.
        dtype: ``"float32"`` for activations, ``"int64"`` for indices and class labels.
    """

    shape: tuple[int, ...]
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        total = 1
        for dim in self.shape:
            total *= dim
        return total

    def __str__(self) -> str:
        dims = "×".join(str(d) for d in self.shape) if self.shape else "scalar"
        return dims if self.dtype == "float32" else f"{dims} {self.dtype}"


def format_shape(shape: tuple[int, ...]) -> str:
    """Formats a shape the way the UI and the summary show it: ``(32, 26, 26)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"
