"""How a run ends when it cannot go on: an error with a message and advice for the user."""

from __future__ import annotations

import math
import re

NAN_ADVICE = ("Lower the learning rate (try a tenth of it), turn on gradient clipping "
              "(grad_clip), or check the data for NaN or very large values.")
DIVERGED_ADVICE = ("Lower the learning rate (try a tenth of it) and train again; gradient "
                   "clipping (grad_clip) helps too.")
SHAPE_ADVICE = ("Check the network's shapes (each block shows its own) against the data and "
                "the Input blocks.")
DTYPE_ADVICE = ("Check the Input blocks' dtypes: int64 for class labels and token ids, float32 "
                "for everything else.")
DEVICE_ADVICE = ("Train on the CPU (device: cpu) to see whether the GPU is at fault; if it is, "
                 "update the GPU driver and torch.")
BUG_ADVICE = ("This was not expected: please report it as a netbuilder bug, with the graph "
              "file and this message.")
#: The longest part of a torch error's text quoted in a Failed message.
MAX_QUOTED = 300

# What torch's errors say when the data or the blocks do not fit, by the advice that fits.
_DTYPE = re.compile(r"dtype|scalar type|expected .*type .*but (?:got|found)", re.IGNORECASE)
_SHAPE = re.compile(r"shape|size mismatch|sizes? of tensors?|mat1 and mat2|must match the size|"
                    r"dimension|cannot be multiplied|view size|expected input|size of tensor|"
                    r"to be of size|invalid for input of size", re.IGNORECASE)
_DEVICE = re.compile(r"\bcuda|cudnn|cublas|\bmps\b|device-side", re.IGNORECASE)

OOM_ADVICE = ("Use a smaller batch size or a smaller model; if the data set itself does not fit "
              "in GPU memory, train on the CPU (device: cpu).")


class TrainingError(Exception):
    """Ends a run with a Failed event: what went wrong and what the user can do.

    Attributes:
        kind: what sort of failure (see ``events.Failed``).
    """

    def __init__(self, message: str, advice: str, kind: str = "error") -> None:
        super().__init__(message)
        self.message, self.advice, self.kind = message, advice, kind


def check_finite(values: dict[str, float], epoch: int, step: int) -> None:
    """Raises TrainingError when a reported loss is NaN or infinite.

    Args:
        values: loss name ("loss", or a part such as "d_loss") -> its mean.
        epoch, step: where the run is, for the message.
    """
    for name, value in values.items():
        if not math.isfinite(value):
            what = "the loss" if name == "loss" else f"the loss '{name}'"
            raise TrainingError(f"{what} became {value} in epoch {epoch} (by step {step})",
                                NAN_ADVICE, "not_finite")


def describe_failure(error: BaseException) -> tuple[str, str, str]:
    """(message, advice, kind) of a Failed event for an error torch raised during a run.

    Only errors that read like a shape or a dtype that does not fit get that advice; any
    other is reported as what it is, a failure netbuilder did not foresee.
    """
    message = f"{type(error).__name__}: {first_line(error)}"
    text = str(error)
    if _DTYPE.search(text):
        return message, DTYPE_ADVICE, "input"
    if _SHAPE.search(text):
        return message, SHAPE_ADVICE, "input"
    if _DEVICE.search(text):
        return message, DEVICE_ADVICE, "error"
    return message, BUG_ADVICE, "error"


def first_line(error: BaseException, limit: int = MAX_QUOTED) -> str:
    """The first line of an error's text, cut between words when it is long."""
    line = next((part.strip() for part in str(error).splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line.rfind(" ", 0, limit)
    return line[:cut if cut > 0 else limit] + " ..."
