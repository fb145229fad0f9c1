"""Training settings: a checked dataclass read from and written back to ``doc.training``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from netbuilder.core.graph import Document
from netbuilder.core.training import (
    DEVICES,
    OPTIMIZERS,
    SCHEDULES,
    SettingsError,
    check_settings,
    setting_defaults,
)
from netbuilder.train.recipes import RECIPES as _RECIPE_CLASSES
from netbuilder.train.recipes import Recipe

__all__ = ["DEVICES", "OPTIMIZERS", "RECIPES", "SCHEDULES", "SettingsError", "TrainingSettings"]

#: Recipes the engine trains (netbuilder.train.recipes describes each).
RECIPES = tuple(_RECIPE_CLASSES)

# Declared once, with their ranges, in netbuilder.core.training.SETTINGS.
_DEFAULT = setting_defaults()


@dataclass(frozen=True)
class TrainingSettings:
    """What ``doc.training`` says about how to train.

    Unknown keys of ``doc.training`` (a newer app's, or a recipe's own such as ``generate``)
    are kept in ``extra`` and written back unchanged.
    """

    recipe: str = _DEFAULT["recipe"]
    dataset: str = _DEFAULT["dataset"]
    optimizer: str = _DEFAULT["optimizer"]
    lr: float = _DEFAULT["lr"]
    momentum: float = _DEFAULT["momentum"]
    betas: tuple[float, float] = tuple(_DEFAULT["betas"])  # a list in the file
    weight_decay: float = _DEFAULT["weight_decay"]
    schedule: str = _DEFAULT["schedule"]
    step_size: int = _DEFAULT["step_size"]
    gamma: float = _DEFAULT["gamma"]
    grad_clip: float = _DEFAULT["grad_clip"]
    batch_size: int = _DEFAULT["batch_size"]
    epochs: int = _DEFAULT["epochs"]
    validation_split: float = _DEFAULT["validation_split"]
    #: Drop the last partial batch of each epoch (lets CUDA-graph capture keep static shapes).
    drop_last: bool = _DEFAULT["drop_last"]
    seed: int = _DEFAULT["seed"]
    device: str = _DEFAULT["device"]
    bf16: bool = _DEFAULT["bf16"]
    channels_last: bool = _DEFAULT["channels_last"]
    #: TensorFloat-32 matrix products on a GPU that has them (Ampere on); no effect on the CPU.
    tf32: bool = _DEFAULT["tf32"]
    #: torch.compile the train step's forward before capture: faster steps after a compile of
    #: a minute or more at the first step, so an opt-in for long runs, never the default.
    torch_compile: bool = _DEFAULT["torch_compile"]
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
        """Checks every key; raises SettingsError naming the first bad one.

        The rules are netbuilder.core.training's, which the file loader applies too; they
        read the settings as the file holds them (``betas`` a list).
        """
        settings = self.to_dict()
        for key in self.extra:
            del settings[key]  # a recipe's own keys: its own business
        check_settings(settings)
