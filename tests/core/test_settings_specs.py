"""Training settings are ParamSpecs: one declaration, one checker, shared with block params."""

from __future__ import annotations

import json

import pytest

import netbuilder
from netbuilder.core.errors import GraphFileError, ParamError
from netbuilder.core.fileformat import dumps
from netbuilder.core.params import ParamSpec
from netbuilder.core.training import SETTINGS, SettingsError, check_settings, setting_defaults
from netbuilder.train.settings import TrainingSettings
from tests.helpers import mlp_document


def test_the_settings_dataclass_takes_its_defaults_from_the_specs() -> None:
    assert TrainingSettings().to_dict() == setting_defaults()
    check_settings(setting_defaults())  # every default passes its own rules


@pytest.mark.parametrize(("spec", "value", "message"), [
    (ParamSpec("lr", "float", 0.1, "", minimum=0.0, minimum_open=True), 0,
     "parameter 'lr' must be more than 0, got 0"),
    (ParamSpec("p", "float", 0.5, "", maximum=1.0, maximum_open=True), 1.0,
     "parameter 'p' must be less than 1, got 1"),
    (ParamSpec("units", "int", 1, ""), 2**40, "parameter 'units' is too large"),
    (ParamSpec("betas", "floats", [0.9, 0.9], "", length=2, maximum=1.0), [0.5, 2],
     "parameter 'betas' must be at most 1, got 2"),
    (ParamSpec("betas", "floats", [0.9, 0.9], "", length=2), (0.5, 0.5),
     "parameter 'betas' must be a list of numbers"),
    (ParamSpec("scale", "float", 1.0, ""), 10**400,
     "parameter 'scale' must be a finite number"),
])
def test_param_rules(spec: ParamSpec, value: object, message: str) -> None:
    with pytest.raises(ParamError) as raised:
        spec.validate(value)
    assert str(raised.value).startswith(message)


def test_open_bounds_and_int64_counts_accept_what_they_should() -> None:
    seed = next(s for s in SETTINGS if s.name == "seed")
    assert seed.validate(2**63 - 1) == 2**63 - 1
    with pytest.raises(SettingsError, match=r"^training setting 'seed' must be a whole number "
                                            r">= 0, got 9223372036854775808$"):
        check_settings({"seed": 2**63})
    lr = next(s for s in SETTINGS if s.name == "lr")
    assert lr.validate(1e-12) == 1e-12


@pytest.mark.parametrize(("spec", "expected"), [
    (ParamSpec("lr", "float", 0.1, "", minimum=0.0, minimum_open=True), "a number > 0"),
    (ParamSpec("p", "float", 0.5, "", minimum=0, maximum=1, maximum_open=True),
     "a number in [0, 1)"),
    (ParamSpec("units", "int", 1, "", minimum=1), "a whole number >= 1"),
    (ParamSpec("betas", "floats", [0.9, 0.9], "", length=2, minimum=0, maximum=1,
               maximum_open=True), "2 numbers in [0, 1)"),
    (ParamSpec("how", "choice", "a", "", choices=("a", "b")), "one of a, b"),
])
def test_a_spec_says_what_it_accepts(spec: ParamSpec, expected: str) -> None:
    """Settings messages are built from it: the whole accepted range, not only the bound."""
    assert spec.expected() == expected


def test_a_setting_beyond_any_float_is_one_clear_line_not_a_crash() -> None:
    """An integer literal of 400 digits used to raise OverflowError out of the loader."""
    data = json.loads(dumps(mlp_document()))
    data["training"] = {"lr": 10**400}
    with pytest.raises(GraphFileError, match=r"^g\.nbg: training setting 'lr' must be a number "
                                             r"> 0, got 1000"):
        netbuilder.loads(json.dumps(data), "g.nbg")
    with pytest.raises(SettingsError, match="'lr'"):
        check_settings({"lr": 10**400})
