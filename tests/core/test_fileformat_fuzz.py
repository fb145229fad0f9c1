"""Property-based fuzzing of the loader: whatever the bytes, a Document or a GraphFileError.

Whatever loads must also analyse, summarise and save without an exception, so a hostile
file can never crash the editor or the command line.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.inference import analyse_document
from netbuilder.core.summary import summary_dict
from tests.helpers import classifier_with_loss

VALID = json.loads(fileformat.dumps(classifier_with_loss()))
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _check(text: str | bytes) -> None:
    try:
        doc = netbuilder.loads(text, "fuzz.nbg")
    except netbuilder.GraphFileError as error:
        message = str(error)
        assert message.startswith("fuzz.nbg: ") and "\n" not in message
        return
    analyse_document(doc)
    summary_dict(doc)
    fileformat.dumps(doc)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a container slot in a JSON value."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, prefix + (index,))
    return found


ALL_PATHS = _paths(VALID)[1:]


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_loader(data: bytes) -> None:
    _check(data)


@FUZZ
@given(st.sampled_from(ALL_PATHS), json_values)
def test_any_value_anywhere_gives_a_document_or_a_clear_error(path: tuple, value: Any) -> None:
    data = copy.deepcopy(VALID)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    _check(json.dumps(data))


@FUZZ
@given(st.sampled_from(ALL_PATHS))
def test_removing_any_part_gives_a_document_or_a_clear_error(path: tuple) -> None:
    data = copy.deepcopy(VALID)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    _check(json.dumps(data))


@FUZZ
@given(st.integers(0, len(fileformat.dumps(classifier_with_loss()))))
def test_truncated_files_give_a_clear_error(cut: int) -> None:
    _check(fileformat.dumps(classifier_with_loss())[:cut])


def test_groups_nested_to_explode_are_refused_quickly() -> None:
    """Ten uses per level, twelve levels: 10**12 blocks if expanded naively."""
    from netbuilder.core.builder import GraphBuilder
    from netbuilder.core.graph import GROUP
    from netbuilder.core.inference import analyse

    doc = netbuilder.new_document()
    for level in range(12):
        group = GraphBuilder(doc, f"level{level}", GROUP)
        x = group.add("group_input", name="x")
        for _ in range(10):
            x = group.add("group", x, group=f"level{level - 1}") if level else group.add(
                "relu", x)
        group.add("group_output", x, name="y")
    net = GraphBuilder(doc, "model")
    top = net.add("group", net.add("input", shape=[4]), group="level11")
    net.add("output", top)
    # Sized from the definitions: the loader refuses it, and a document built in code is
    # refused by the analysis, without expanding a single use.
    with pytest.raises(netbuilder.GraphFileError, match=r"expands to 1.2e\+12 blocks"):
        netbuilder.loads(fileformat.dumps(doc))
    analysis = analyse(doc, "model")
    assert [d.message for d in analysis.errors] == [
        "group 'level11' expands to 1.2e+12 blocks, more than the 100,000 a network may hold"]
