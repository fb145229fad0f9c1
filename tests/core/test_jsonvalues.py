"""One JSON check for files and clipboard text: what loads can be copied and pasted."""

from __future__ import annotations

import json
from typing import Any

import pytest

import netbuilder
from netbuilder.core.commands import UndoStack
from netbuilder.core.commands.clipboard import Paste, copy_fragment, fragment_from_text
from netbuilder.core.errors import GraphFileError
from netbuilder.core.fileformat import dumps
from netbuilder.core.jsonvalues import MAX_PARAM_DEPTH, check_json_value
from tests.helpers import mlp_document


def _file_with(change: Any) -> str:
    data = json.loads(dumps(mlp_document()))
    change(data)
    return json.dumps(data)


def _unknown_block(params: dict[str, Any]) -> Any:
    def change(data: dict[str, Any]) -> None:
        data["networks"][0]["nodes"].append({
            "id": "n900", "name": "mystery1", "type": "from_a_newer_app", "type_version": 1,
            "params": params, "position": [0, 0], "bypassed": False})
    return change


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("value", "message"), [
    ({"a": _nested(MAX_PARAM_DEPTH + 1)}, "nested more than 8 levels deep"),
    ({"size": 10**30}, "integer too large"),
])
def test_file_and_clipboard_refuse_the_same_params(value: dict[str, Any], message: str
                                                    ) -> None:
    with pytest.raises(GraphFileError, match=message):
        netbuilder.loads(_file_with(_unknown_block(value)), "g.nbg")
    node = {"id": "n1", "name": "mystery1", "type": "from_a_newer_app", "type_version": 1,
            "params": value, "position": [0, 0]}
    text = json.dumps({"format": "netbuilder-fragment", "nodes": [node], "edges": []})
    with pytest.raises(ValueError, match=message):
        fragment_from_text(text)


def test_a_block_that_loads_from_a_file_can_be_copied_and_pasted() -> None:
    """The deepest params a file may hold paste: the two checks are one."""
    params = {"a": _nested(MAX_PARAM_DEPTH - 1), "size": 2**63}
    doc = netbuilder.loads(_file_with(_unknown_block(params)), "g.nbg")
    text = json.dumps(copy_fragment(doc, "model", ["n900"]))
    stack = UndoStack(doc)
    paste = Paste("model", fragment_from_text(text))
    stack.push(paste)
    (pasted,) = paste.node_ids
    assert doc.graph("model").nodes[pasted].params == params


def test_free_form_sections_may_nest_deeper_than_params() -> None:
    deep = {"a": _nested(20)}
    doc = netbuilder.loads(_file_with(lambda d: d.update(metadata=deep)), "g.nbg")
    assert doc.metadata == deep
    with pytest.raises(GraphFileError, match=r"g\.nbg: metadata\.big: holds an integer too"):
        netbuilder.loads(_file_with(lambda d: d.update(metadata={"big": 2**64})), "g.nbg")


@pytest.mark.parametrize(("value", "message"), [
    ({1: "a"}, "x: keys must be texts"),
    ({"a": float("inf")}, "x.a: holds a number too large to represent"),
    ({"a": {1, 2}}, "x.a: holds a set, not a JSON value"),
    ([[[1]]], "x: nested more than 2 levels deep"),
])
def test_what_a_script_can_build_but_json_cannot_hold(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        check_json_value(value, "x", 2)
