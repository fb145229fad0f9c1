"""The rules of a document's training settings, in pure Python.

The file loader checks ``doc.training`` with them (a file with a bad setting is refused at
load, naming the key), and ``netbuilder.train.settings.TrainingSettings`` checks itself with
the same rules, so that the two never disagree. Keys not listed here (a recipe's own, a newer
app's) are left alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from netbuilder.core.errors import NetbuilderError

#: The recipes the engine trains; ``netbuilder.train.recipes.RECIPES`` has one class per name
#: (a test keeps the two the same).
RECIPE_NAMES = ("classification", "regression", "perceptron", "language_model", "gan", "vae")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
#: Whole-number settings reach torch as 64-bit integers (seeds, counts).
MAX_INT = 2**63 - 1


class SettingsError(NetbuilderError, ValueError):
    """A training setting has a bad value; the message names the key.

    A ValueError too, so that the file loader reports it as a bad part of the file.
    """


def check_settings(values: Mapping[str, Any]) -> None:
    """Checks the known settings present in ``values``, in a fixed order.

    Raises:
        SettingsError: naming the first bad key, what it must be and what it holds.
    """
    for key, check in _CHECKS.items():
        if key in values:
            check(key, values[key])


def _fail(key: str, value: Any, expected: str) -> None:
    raise SettingsError(f"training setting '{key}' must be {expected}, got {value!r}")


def _is_real(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if not isinstance(value, str) or value not in choices:
            _fail(key, value, "one of " + ", ".join(choices))
    return check


def _text(key: str, value: Any) -> None:
    if not isinstance(value, str):
        _fail(key, value, "a data set name (text)")


def _flag(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(key, value, "true or false")


def _integer(low: int) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if (not isinstance(value, int) or isinstance(value, bool)
                or not low <= value <= MAX_INT):
            _fail(key, value, f"a whole number >= {low}")
    return check


def _number(low: float, high: float | None = None, low_open: bool = False,
            high_open: bool = False) -> Callable[[str, Any], None]:
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    span = (f"in {left}{low}, {high}{right}" if high is not None
            else (f"> {low}" if low_open else f">= {low}"))

    def check(key: str, value: Any) -> None:
        ok = _is_real(value) and (value > low if low_open else value >= low)
        if ok and high is not None:
            ok = value < high if high_open else value <= high
        if not ok:
            _fail(key, value, f"a number {span}")
    return check


def _betas(key: str, value: Any) -> None:
    # A tuple in TrainingSettings, a list in the JSON file.
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(_is_real(b) and 0.0 <= b < 1.0 for b in value)):
        _fail(key, value, "two numbers in [0, 1), e.g. [0.9, 0.999]")


_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "recipe": _choice(RECIPE_NAMES),
    "dataset": _text,
    "optimizer": _choice(OPTIMIZERS),
    "lr": _number(0.0, low_open=True),
    "momentum": _number(0.0, 1.0, high_open=True),
    "betas": _betas,
    "weight_decay": _number(0.0),
    "schedule": _choice(SCHEDULES),
    "step_size": _integer(1),
    "gamma": _number(0.0, 1.0, low_open=True),
    "grad_clip": _number(0.0),
    "batch_size": _integer(1),
    "epochs": _integer(1),
    "validation_split": _number(0.0, 1.0, high_open=True),
    "drop_last": _flag,
    "seed": _integer(0),
    "device": _choice(DEVICES),
    "bf16": _flag,
    "channels_last": _flag,
    "tf32": _flag,
    "torch_compile": _flag,
}
