"""How a run ends when it cannot go on: an error with a message and advice for the user."""

from __future__ import annotations

import math

NAN_ADVICE = ("Lower the learning rate (try a tenth of it), turn on gradient clipping "
              "(grad_clip), or check the data for NaN or very large values.")
DIVERGED_ADVICE = ("Lower the learning rate (try a tenth of it) and train again; gradient "
                   "clipping (grad_clip) helps too.")
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
