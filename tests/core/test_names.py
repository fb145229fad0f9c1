"""Names that compile: what a node, network or group may be called, checked in the core."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.commands import RenameNode
from netbuilder.core.errors import GraphError, GraphFileError
from netbuilder.core.graph import Graph
from netbuilder.core.names import (
    IDENTIFIER,
    RESERVED_NODE_NAMES,
    check_identifier,
    check_node_name,
    name_stem,
    node_name_problem,
)
from tests.helpers import classifier_with_loss, mlp_document

#: Names that once passed every check and then failed in build, train or export.
BAD_NODE_NAMES = ["forward", "training", "graph", "code", "state_dict", "to", "type", "self",
                  "parts", "keys", "__init__", "__class__", "_modules", "hidden\n", "class",
                  "1conv", "", "conv-1", "ｃｏｎｖ", "a" * 65]


@pytest.mark.parametrize("name", BAD_NODE_NAMES)
def test_names_that_cannot_name_a_submodule_are_refused_with_the_reason(name: str) -> None:
    with pytest.raises(GraphError, match=r"node name .* is not allowed: "):
        check_node_name(name)
    assert node_name_problem(name)


@pytest.mark.parametrize("name", ["conv1", "hidden", "x", "Dense_2", "forward_1", "to_rgb"])
def test_plain_names_pass(name: str) -> None:
    check_node_name(name)
    check_identifier(name, "network name")


def test_a_final_newline_is_not_part_of_a_name() -> None:
    with pytest.raises(GraphError):
        check_identifier("model\n", "network name")


@given(st.text(max_size=70))
@settings(max_examples=300, deadline=None)
def test_every_accepted_node_name_is_an_ascii_identifier_no_module_attribute(text: str) -> None:
    if node_name_problem(text) is None:
        assert text.isascii() and text.isidentifier() and text[0].isalpha()
        assert text not in RESERVED_NODE_NAMES


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_stems_made_from_any_text_give_valid_numbered_names(text: str) -> None:
    stem = name_stem(text)
    assert IDENTIFIER.fullmatch(stem + "1")
    check_node_name(stem + "1")
    graph = Graph("model")
    check_node_name(graph.unique_name(text))


@pytest.mark.parametrize("name", ["forward", "training", "hidden\n", "_private"])
def test_the_loader_refuses_a_reserved_or_odd_node_name_and_names_the_node(name: str) -> None:
    data = json.loads(fileformat.dumps(mlp_document()))
    node = data["networks"][0]["nodes"][2]
    node["name"] = name
    with pytest.raises(GraphFileError, match=rf"node {node['id']}: name .* is not allowed"):
        netbuilder.loads(json.dumps(data), "bad.nbg")


def test_renaming_a_block_to_a_reserved_name_is_refused_and_changes_nothing() -> None:
    doc = mlp_document()
    graph = doc.network()
    node = graph.node_by_name("dense1")
    assert node is not None
    with pytest.raises(GraphError, match="PyTorch modules use 'state_dict'"):
        RenameNode(graph.name, node.id, "state_dict").redo(doc)
    assert node.name == "dense1"


def test_a_wire_from_a_port_the_block_lacks_is_a_load_error() -> None:
    data = json.loads(fileformat.dumps(classifier_with_loss()))
    edge = data["networks"][0]["edges"][0]
    edge["source_port"] = "nonsense"
    with pytest.raises(GraphFileError, match=r"has no output 'nonsense' \(its outputs: y\)"):
        netbuilder.loads(json.dumps(data), "bad.nbg")


def test_a_wire_into_a_port_the_block_lacks_is_a_load_error() -> None:
    data = json.loads(fileformat.dumps(classifier_with_loss()))
    edge = data["networks"][0]["edges"][-1]
    edge["target_port"] = "x9"
    with pytest.raises(GraphFileError, match="has no input 'x9'"):
        netbuilder.loads(json.dumps(data), "bad.nbg")


@given(st.text(st.characters(exclude_categories=()), max_size=40))
def test_an_error_message_is_one_printable_line_whatever_it_quotes(text: str) -> None:
    """Names and values from a file can hold newlines, terminal escapes, lone surrogates."""
    from netbuilder.core.errors import GraphError, printable

    message = str(GraphError(f"node '{text}' is wrong"))
    assert message.isprintable() or all(c.isprintable() or c.isspace() for c in message)
    assert "\n" not in message and "\x1b" not in message and "\r" not in message
    message.encode("utf-8")  # no lone surrogate left to break a log file
    if text.isprintable():
        assert printable(text) == text  # ordinary text, any script, is left alone
