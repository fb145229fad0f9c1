"""TrainingSettings: read from and written to doc.training, every key checked."""

from __future__ import annotations

import pytest

import netbuilder
from netbuilder.resources import example_path, list_examples
from netbuilder.train.settings import SettingsError, TrainingSettings


def test_defaults_are_valid() -> None:
    settings = TrainingSettings()
    assert settings.recipe == "classification" and settings.device == "auto"


@pytest.mark.parametrize("name", list_examples())
def test_every_example_reads(name: str) -> None:
    settings = TrainingSettings.from_doc(netbuilder.load(example_path(name)))
    assert settings.dataset


def test_round_trip_keeps_unknown_keys() -> None:
    doc = netbuilder.load(example_path("char_rnn"))
    settings = TrainingSettings.from_doc(doc)
    assert settings.recipe == "language_model"
    assert settings.extra["generate"]["start"] == "h"
    changed = settings.with_changes(lr=0.05)
    changed.write(doc)
    assert doc.training["lr"] == 0.05 and doc.training["generate"]["length"] == 10
    assert TrainingSettings.from_doc(doc) == changed


def test_betas_from_json_list() -> None:
    doc = netbuilder.load(example_path("gan_mnist"))
    settings = TrainingSettings.from_doc(doc)
    assert settings.betas == (0.5, 0.999)
    assert settings.to_dict()["betas"] == [0.5, 0.999]


@pytest.mark.parametrize(("key", "value"), [
    ("recipe", "reinforcement"),
    ("dataset", 3),
    ("optimizer", "lbfgs"),
    ("lr", 0),
    ("lr", float("nan")),
    ("lr", "0.1"),
    ("momentum", 1.0),
    ("betas", [0.9]),
    ("betas", [0.9, 1.5]),
    ("weight_decay", -1),
    ("schedule", "linear"),
    ("step_size", 0),
    ("gamma", 0),
    ("grad_clip", -0.1),
    ("batch_size", 0),
    ("batch_size", 3.5),
    ("batch_size", True),
    ("epochs", 0),
    ("validation_split", 1.0),
    ("drop_last", "yes"),
    ("seed", -1),
    ("device", "tpu"),
    ("bf16", 1),
    ("channels_last", None),
])
def test_bad_values_name_their_key(key: str, value: object) -> None:
    with pytest.raises(SettingsError, match=f"'{key}'"):
        TrainingSettings.from_dict({key: value})


def test_with_changes_is_checked() -> None:
    with pytest.raises(SettingsError, match="'epochs'"):
        TrainingSettings().with_changes(epochs=-3)


def test_the_file_loader_knows_every_recipe_the_engine_trains() -> None:
    from netbuilder.core.training import RECIPE_NAMES
    from netbuilder.train.recipes import RECIPES as RECIPE_CLASSES

    assert set(RECIPE_NAMES) == set(RECIPE_CLASSES)


def test_settings_errors_are_bad_input_for_the_command_line() -> None:
    from netbuilder.core.errors import NetbuilderError

    with pytest.raises(NetbuilderError, match="'lr'"):
        TrainingSettings().with_changes(lr=float("inf"))
