"""Training settings stored in a file are checked at load, naming the key (pure Python)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.core.errors import GraphFileError
from netbuilder.core.fileformat import dumps
from netbuilder.core.training import _CHECKS, SettingsError, check_settings
from tests.helpers import mlp_document

KEYS = sorted(_CHECKS)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6)


def _text_with(training: dict[str, object]) -> str:
    data = json.loads(dumps(mlp_document()))
    data["training"] = training
    return json.dumps(data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(KEYS), json_values)
def test_a_file_loads_exactly_when_its_settings_pass_and_errors_name_the_key(
        key: str, value: object) -> None:
    problem = _problem({key: value})
    if problem is None:
        assert netbuilder.loads(_text_with({key: value})).training == {key: value}
        return
    assert f"'{key}'" in problem and "\n" not in problem
    with pytest.raises(GraphFileError, match=f"g.nbg: training setting '{key}'"):
        netbuilder.loads(_text_with({key: value}), "g.nbg")


def _problem(values: dict[str, object]) -> str | None:
    try:
        check_settings(values)
    except SettingsError as error:
        return str(error)
    return None


@pytest.mark.parametrize(("key", "value"), [
    ("lr", -1), ("lr", 0), ("epochs", 0), ("epochs", 2.5), ("batch_size", "32"),
    ("seed", 2**64), ("optimizer", ["adam"]), ("validation_split", 1), ("recipe", "rl"),
    ("betas", [0.9, 1.0]), ("device", "tpu"), ("drop_last", 1),
])
def test_bad_stored_settings_are_refused(key: str, value: object) -> None:
    with pytest.raises(GraphFileError, match=f"'{key}'"):
        netbuilder.loads(_text_with({key: value, "epochs": 3} if key != "epochs" else
                                    {key: value}))


def test_unknown_keys_are_left_for_the_recipes() -> None:
    doc = netbuilder.loads(_text_with({"generate": {"length": -5}, "lr": 0.1}))
    assert doc.training["generate"] == {"length": -5}
