"""The training settings of a document, declared as typed parameters, in pure Python.

Each setting is a :class:`~netbuilder.core.params.ParamSpec`, the declaration block
parameters use: kind, default, range, choices and help, checked by the same code. The file
loader checks ``doc.training`` with them (a file with a bad setting is refused at load, naming
the key), and ``netbuilder.train.settings.TrainingSettings`` takes its defaults from them and
checks itself with them, so that the two never disagree. Keys not declared here (a recipe's
own, a newer app's) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netbuilder.core.errors import NetbuilderError, ParamError
from netbuilder.core.params import ParamSpec, default_params, describe_value

#: The recipes the engine trains; ``netbuilder.train.recipes.RECIPES`` has one class per name
#: (a test keeps the two the same).
RECIPE_NAMES = ("classification", "regression", "perceptron", "language_model", "gan", "vae")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")
DEVICES = ("auto", "cpu", "cuda", "mps")
#: Whole-number settings reach torch as 64-bit integers (seeds, counts), not as block sizes.
MAX_INT = 2**63 - 1


class SettingsError(NetbuilderError, ValueError):
    """A training setting has a bad value; the message names the key.

    A ValueError too, so that the file loader reports it as a bad part of the file.
    """


def check_settings(values: Mapping[str, Any]) -> None:
    """Checks the known settings present in ``values``, in the order of :data:`SETTINGS`.

    Lists are lists, as in the JSON file (``betas``: ``[0.9, 0.999]``).

    Raises:
        SettingsError: naming the first bad key, what it must be and what it holds.
    """
    for key, spec in _CHECKS.items():
        if key in values:
            try:
                spec.validate(values[key])
            except ParamError:
                raise SettingsError(f"training setting '{key}' must be {spec.expected()}, got "
                                    f"{describe_value(values[key])}") from None


def _setting(name: str, kind: str, default: Any, help: str, **rules: Any) -> ParamSpec:
    return ParamSpec(name, kind, default, help, **rules)


SETTINGS: tuple[ParamSpec, ...] = (
    _setting("recipe", "choice", "classification", "What the run trains the network to do.",
             choices=RECIPE_NAMES),
    _setting("dataset", "str", "", "A built-in data set's name or a data file's path.",
             max_length=None),
    _setting("optimizer", "choice", "adam", "The optimizer.", choices=OPTIMIZERS),
    _setting("lr", "float", 0.001, "The learning rate.", minimum=0.0, minimum_open=True),
    _setting("momentum", "float", 0.9, "SGD's and RMSprop's momentum.", minimum=0.0,
             maximum=1.0, maximum_open=True),
    _setting("betas", "floats", [0.9, 0.999], "Adam's two averaging factors.", length=2,
             minimum=0.0, maximum=1.0, maximum_open=True),
    _setting("weight_decay", "float", 0.0, "L2 penalty on the weights.", minimum=0.0),
    _setting("schedule", "choice", "constant", "How the learning rate changes over epochs.",
             choices=SCHEDULES),
    _setting("step_size", "int", 10, "Epochs between steps of the step schedule.", minimum=1,
             largest=MAX_INT),
    _setting("gamma", "float", 0.1, "The step schedule's factor.", minimum=0.0,
             minimum_open=True, maximum=1.0),
    _setting("grad_clip", "float", 0.0, "Largest gradient norm (0: no clipping).",
             minimum=0.0),
    _setting("batch_size", "int", 32, "Samples per step.", minimum=1, largest=MAX_INT),
    _setting("epochs", "int", 10, "Passes over the training data.", minimum=1,
             largest=MAX_INT),
    _setting("validation_split", "float", 0.0,
             "The share of the training data held out for validation.", minimum=0.0,
             maximum=1.0, maximum_open=True),
    _setting("drop_last", "bool", False,
             "Drop each epoch's last partial batch (keeps CUDA-graph shapes static)."),
    _setting("seed", "int", 0, "Seeds the weights, the shuffle and dropout.", minimum=0,
             largest=MAX_INT),
    _setting("device", "choice", "auto", "Where to train.", choices=DEVICES),
    _setting("bf16", "bool", False, "bfloat16 autocast."),
    _setting("channels_last", "bool", False, "Channels-last memory format for images."),
    _setting("tf32", "bool", False, "TensorFloat-32 matrix products on a GPU that has them."),
    _setting("torch_compile", "bool", False,
             "torch.compile the train step before capture (slow to start: long runs only)."),
)

#: Each setting's spec by name (what check_settings walks).
_CHECKS: dict[str, ParamSpec] = {spec.name: spec for spec in SETTINGS}


def setting_defaults() -> dict[str, Any]:
    """A fresh dict of every setting's default (lists as in the file)."""
    return default_params(SETTINGS)
