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


#: Other spellings a user may type for the dtypes of :data:`DTYPES`.
_DTYPE_ALIASES = {"float": "float32", "f32": "float32", "long": "int64", "int": "int64",
                  "i64": "int64"}


def parse_tensor_spec(text: str) -> TensorSpec:
    """Reads a shape typed by a user: ``"1,28,28"``, ``"1x28x28"``, ``"16:int64"``.

    The shape excludes the batch dimension; a dtype after a colon is optional (float32).

    Raises:
        ValueError: the text is not such a shape (the message shows the expected form).
    """
    shape_text, _, dtype_text = text.strip().partition(":")
    dtype = dtype_text.strip().lower() or "float32"
    dtype = _DTYPE_ALIASES.get(dtype, dtype)
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype_text.strip()!r} in {text!r}; use "
                         f"{' or '.join(DTYPES)}")
    parts = [part.strip() for part in shape_text.replace("x", ",").replace("×", ",").split(",")]
    parts = [part for part in parts if part]
    if not parts or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError(f"{text!r} is not a shape: write the sizes without the batch "
                         "dimension, like 1,28,28 or 16:int64")
    return TensorSpec(tuple(int(part) for part in parts), dtype)
