"""The fuzz harness past the loader: whatever loads must also build, summarise, export, save.

One small document per worked example of every computing block (the loss blocks, Permute
and the PyTorch op included) is mutated at one place: any value anywhere replaced by a
hostile one (lone surrogates, huge numbers, control characters, deep containers...).
Whatever the loader accepts must then analyse, summarise, compile (or refuse with a
NetbuilderError of one line), export code that only holds what codegen writes, and save.

CI runs a few hundred examples; a longer run by hand:
``NETBUILDER_FUZZ_EXAMPLES=20000 pytest tests/compile/test_build_fuzz.py``.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.blocks import CATALOGUE
from netbuilder.compile.builder import build_module
from netbuilder.compile.codegen import python_source
from netbuilder.core import fileformat
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.inference import analyse_document
from netbuilder.core.summary import summary_dict
from tests.compile.test_codegen_safety import check_generated

EXAMPLES = int(os.environ.get("NETBUILDER_FUZZ_EXAMPLES", "600"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CASES = [(spec.type, index) for spec in CATALOGUE if spec.role in ("layer", "loss")
         for index in range(len(spec.examples))]


@functools.cache
def base_document(type_id: str, index: int) -> dict[str, Any]:
    """Inputs of the example's shapes -> the block -> an Output on each of its outputs (a
    loss block's network returns its first input, so that it builds)."""
    spec = CATALOGUE[type_id]
    example = spec.examples[index]
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    inputs = [net.add("input", shape=list(tensor.shape), dtype=tensor.dtype, name=f"in_{port}")
              for port, tensor in example.input_specs().items()]
    node = net.add(spec.type, *inputs, **dict(example.params))
    if spec.role == "loss":
        net.add("output", inputs[0], name="returned")
    else:
        for port in doc.output_ports(node):
            net.add("output", (node, port.name), name=f"out_{port.name}")
    net.layout()
    return json.loads(fileformat.dumps(doc))


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for at, item in enumerate(value):
            found += _paths(item, (*prefix, at))
    return found


HOSTILE_TEXT = st.sampled_from([
    "\ud800", "name\udfff", "\x1b[2J\x1b[H", "a\nb", "forward", "__class__", "self", "x" * 300,
    "", " ", "0abc", "dim=__import__('os').system('true'))#", "ℌ", "\x00", "é",
]) | st.text(st.characters(exclude_categories=()), max_size=12)
NUMBERS = st.sampled_from([0, -1, 1, 2**31, 2**63, 10**308, 1e308, -1e308, 0.5, 10**9]) \
    | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
HOSTILE = st.recursive(
    st.none() | st.booleans() | NUMBERS | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(HOSTILE_TEXT, children, max_size=3),
    max_leaves=12,
)


def _mutated(data: st.DataObject) -> tuple[dict[str, Any], tuple]:
    type_id, index = data.draw(st.sampled_from(CASES), label="block")
    document = copy.deepcopy(base_document(type_id, index))
    paths = _paths(document)[1:]
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(HOSTILE, label="value")
    target = document
    for key in path[:-1]:
        target = target[key]
    last = path[-1]
    if isinstance(target, dict) and data.draw(st.booleans(), label="rename key"):
        # A hostile key in place of a good one (kwargs keys, param names, group names).
        target[value if isinstance(value, str) else str(value)] = target.pop(last)
    else:
        target[last] = value
    return document, path


def _one_line(error: BaseException) -> None:
    message = str(error)
    assert message and "\n" not in message, f"{type(error).__name__}: {message!r}"


def _exercise(text: str) -> None:
    try:
        doc = netbuilder.loads(text, "fuzz.nbg")
    except netbuilder.GraphFileError as error:
        _one_line(error)
        return
    analyse_document(doc)
    summary_dict(doc)
    # Saving must work for whatever loaded (a lone surrogate cannot be written as UTF-8).
    fileformat.dumps(doc).encode("utf-8")
    for network in doc.networks:
        try:
            build_module(doc, network)
            source = python_source(doc, network)
        except NetbuilderError as error:
            _one_line(error)
            continue
        check_generated(source)


@pytest.mark.parametrize(("type_id", "index"), CASES)
def test_every_base_document_builds_and_exports(type_id: str, index: int) -> None:
    """The harness starts from documents that work: a mutation is what breaks them."""
    doc = netbuilder.loads(json.dumps(base_document(type_id, index)), "base.nbg")
    build_module(doc)
    check_generated(python_source(doc))


@FUZZ
@given(st.data())
def test_one_hostile_value_anywhere_is_refused_or_builds_and_exports(data: st.DataObject
                                                                     ) -> None:
    document, _path = _mutated(data)
    try:
        text = json.dumps(document, ensure_ascii=False)
    except (ValueError, TypeError):
        return  # not JSON at all (the loader's own fuzz covers bytes)
    _exercise(text)
