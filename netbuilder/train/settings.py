"""Training settings: a checked dataclass read from and written back to ``doc.training``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from netbuilder.core.graph import Document
from netbuilder.train.recipes import RECIPES as _RECIPE_CLASSES
from netbuilder.train.recipes import Recipe

#: Recipes the engine trains (netbuilder.train.recipes describes each).
RECIPES = tuple(_RECIPE_CLASSES)
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")


class SettingsError(ValueError):
    """A training setting has a bad value; the message names the key."""


@dataclass(frozen=True)
class TrainingSettings:
    """What ``doc.training`` says about how to train.

    Unknown keys of ``doc.training`` (a newer app's, or a recipe's own such as ``generate``)
    are kept in ``extra`` and written back unchanged.
    """

    recipe: str = "classification"
    dataset: str = ""
    optimizer: str = "adam"
    lr: float = 0.001
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    schedule: str = "constant"
    step_size: int = 10
    gamma: float = 0.1
    grad_clip: float = 0.0
    batch_size: int = 32
    epochs: int = 10
    validation_split: float = 0.0
    #: Drop the last partial batch of each epoch (lets CUDA-graph capture keep static shapes).
    drop_last: bool = False
    seed: int = 0
    device: str = "auto"
    bf16: bool = False
    channels_last: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def recipe_spec(self) -> Recipe:
        """The recipe that ``recipe`` names (netbuilder.train.recipes)."""
        return _RECIPE_CLASSES[self.recipe]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingSettings:
        """Reads a ``doc.training`` dict; missing keys take defaults.

        Raises:
            SettingsError: a key has a value of the wrong type or out of range.
        """
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key in known:
                values[key] = value
            else:
                extra[key] = value
        if "betas" in values and isinstance(values["betas"], list):
            values["betas"] = tuple(values["betas"])
        return cls(**values, extra=extra)

    @classmethod
    def from_doc(cls, doc: Document) -> TrainingSettings:
        """The settings stored in ``doc.training``."""
        return cls.from_dict(doc.training)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: every setting plus the unknown keys kept from reading."""
        data = dict(self.extra)
        for f in fields(self):
            if f.name != "extra":
                value = getattr(self, f.name)
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data

    def write(self, doc: Document) -> None:
        """Stores the settings in ``doc.training`` (replacing what was there)."""
        doc.training.clear()
        doc.training.update(self.to_dict())

    def with_changes(self, **changes: Any) -> TrainingSettings:
        """A copy with some settings changed (checked again)."""
        return replace(self, **changes)

    def validate(self) -> None:
        """Checks every key; raises SettingsError naming the first bad one."""
        _choice("recipe", self.recipe, RECIPES)
        if not isinstance(self.dataset, str):
            _fail("dataset", self.dataset, "a data set name (text)")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _number("lr", self.lr, low=0.0, low_open=True)
        _number("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        if (not isinstance(self.betas, tuple) or len(self.betas) != 2
                or not all(_is_real(b) and 0.0 <= b < 1.0 for b in self.betas)):
            _fail("betas", self.betas, "two numbers in [0, 1), e.g. [0.9, 0.999]")
        _number("weight_decay", self.weight_decay, low=0.0)
        _choice("schedule", self.schedule, SCHEDULES)
        _integer("step_size", self.step_size, low=1)
        _number("gamma", self.gamma, low=0.0, low_open=True, high=1.0)
        _number("grad_clip", self.grad_clip, low=0.0)
        _integer("batch_size", self.batch_size, low=1)
        _integer("epochs", self.epochs, low=1)
        _number("validation_split", self.validation_split, low=0.0, high=1.0, high_open=True)
        _flag("drop_last", self.drop_last)
        _integer("seed", self.seed, low=0)
        _choice("device", self.device, DEVICES)
        _flag("bf16", self.bf16)
        _flag("channels_last", self.channels_last)


def _fail(key: str, value: Any, expected: str) -> None:
    raise SettingsError(f"training setting '{key}' must be {expected}, got {value!r}")


def _is_real(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        _fail(key, value, "one of " + ", ".join(choices))


def _flag(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(key, value, "true or false")


def _integer(key: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        _fail(key, value, f"a whole number >= {low}")


def _number(key: str, value: Any, low: float, high: float | None = None,
            low_open: bool = False, high_open: bool = False) -> None:
    ok = _is_real(value) and (value > low if low_open else value >= low)
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"in {left}{low}, {high}{right}" if high is not None else (
            f"> {low}" if low_open else f">= {low}")
        _fail(key, value, f"a number {span}")
