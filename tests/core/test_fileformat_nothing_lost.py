"""Nothing is lost on save: what loads can be saved, and every save failure is a clear error.

A lone surrogate ("\\ud800") is what JSON allows and UTF-8 cannot store: it is refused at load
and on each edit, naming the place. A save that fails for any reason (encoding, a full disk,
permissions) is a GraphFileError that leaves the old file as it was, and the temporary files
of killed saves are cleaned at the next save of the same file.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import (
    AddFrame,
    AddNodes,
    EditFrame,
    RenameNetwork,
    RenameNode,
    SetParams,
    SetSetting,
    UndoStack,
)
from netbuilder.core.errors import GraphError, GraphFileError, NetbuilderError
from netbuilder.core.graph import Node
from netbuilder.core.paths import resolved, same_file
from netbuilder.core.text import text_problem
from tests.helpers import classifier_with_loss

LONE = "\ud800"
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _rich_document() -> netbuilder.Document:
    """A document with text in every free-form place: metadata, a frame, a placeholder."""
    doc = classifier_with_loss()
    doc.metadata.update({"title": "Ünïcode 😀", "notes": {"author": "me", "tags": ["a", "b"]}})
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4, 6], name="x")
    net.add("torch_op", x, function="F.softmax", args='[{"input": 0}]', kwargs='{"dim": 1}',
            input_shapes="4x6", output_shapes="4x6", name="op")
    # A block of a type this netbuilder does not know, kept as files keep it.
    doc.add_node(doc.network(), Node(doc.new_id("n"), "not_a_known_block", "placeholder",
                                     {"kwargs": {"key": "value"}}))
    stack = UndoStack(doc)
    stack.push(AddFrame("model", "Title", (0.0, 0.0, 100.0, 100.0), text="some text"))
    return doc


VALID = json.loads(fileformat.dumps(_rich_document()))


def _slots(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Every string of a JSON value: ("value", path) for a text, ("key", path) for a key."""
    found: list[tuple[tuple, str]] = []
    if isinstance(value, str):
        found.append((path, "value"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append((path + (key,), "key"))
            found += _slots(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _slots(item, path + (index,))
    return found


# The format name and version are checked first: a file without them is not a graph at all.
SLOTS = [slot for slot in _slots(VALID) if slot[0] not in (("format",), ("version",))]


def _with_surrogate(path: tuple, kind: str, at: int) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    holder = data
    for key in path[:-1]:
        holder = holder[key]
    last = path[-1]
    if kind == "value":
        text = holder[last]
        holder[last] = text[:at % (len(text) + 1)] + LONE + text[at % (len(text) + 1):]
    else:  # the same key with a surrogate in it, in the same place
        holder[last + LONE] = holder.pop(last)
    return data


# ----- load -------------------------------------------------------------------------------------
@PROPERTY
@given(st.sampled_from(SLOTS), st.integers(0, 50), st.booleans())
def test_a_lone_surrogate_anywhere_is_refused_at_load_naming_the_place(
        slot: tuple[tuple, str], at: int, escaped: bool) -> None:
    path, kind = slot
    data = _with_surrogate(path, kind, at)
    # As a file spells it (an escape), or as text a caller hands over (the character itself).
    text = json.dumps(data, ensure_ascii=escaped)
    with pytest.raises(GraphFileError) as raised:
        netbuilder.loads(text, "broken.nbg")
    message = str(raised.value)
    assert message.startswith("broken.nbg: ") and "\n" not in message
    assert "lone surrogate" in message
    message.encode("utf-8")  # the message itself can be printed
    named = [key for key in path if isinstance(key, str) and key.isidentifier()]
    if named and kind == "value":
        assert named[-1] in message


def test_a_proper_surrogate_pair_is_an_ordinary_character(tmp_path: Path) -> None:
    data = copy.deepcopy(VALID)
    data["metadata"]["title"] = "\ud83d\ude00"  # json.dumps escapes it as a pair
    doc = netbuilder.loads(json.dumps(data), "pair.nbg")
    assert doc.metadata["title"] == "😀"
    netbuilder.save(doc, tmp_path / "pair.nbg")


def test_the_walk_names_keys_and_indexes_and_survives_any_depth() -> None:
    assert text_problem({"a b": [0, {"k": "x" + LONE}]}, "metadata") == (
        "metadata['a b'][1].k: 'x\\ud800' holds a lone surrogate (broken Unicode) that no file "
        "can store")
    deep: Any = LONE
    for _ in range(100_000):
        deep = [deep]
    assert text_problem(deep) is not None


# ----- edits ------------------------------------------------------------------------------------
def _edits(doc: netbuilder.Document) -> list[Any]:
    graph = doc.network()
    dense = graph.node_by_name("dense1")
    op = graph.node_by_name("op")
    frame = next(iter(graph.frames))
    assert dense is not None and op is not None
    torch_op = Node("x", "torch_op", "other", dict(op.params, kwargs=f'{{"{LONE}": 1}}'))
    return [
        SetSetting("metadata", "author", f"a{LONE}"),
        SetSetting("metadata", f"key{LONE}", "value"),
        SetSetting("training", "notes", {"nested": [LONE]}),
        SetParams("model", op.id, {"kwargs": f'{{"k{LONE}": 1}}'}),
        SetParams("model", op.id, {"input_shapes": f"4x6{LONE}"}),
        AddNodes("model", [torch_op]),
        AddFrame("model", f"T{LONE}", (0.0, 0.0, 10.0, 10.0)),
        EditFrame("model", frame, text=f"comment {LONE}"),
        RenameNode("model", dense.id, f"dense{LONE}"),
        RenameNetwork("model", f"model{LONE}"),
    ]


def _content(doc: netbuilder.Document) -> dict[str, Any]:
    # A refused edit may have drawn an id: the counter only grows, and that is harmless.
    data = fileformat.document_to_dict(doc)
    del data["next_id"]
    return copy.deepcopy(data)


@pytest.mark.parametrize("index", range(10))
def test_an_edit_that_would_store_a_lone_surrogate_is_refused(index: int, tmp_path: Path
                                                              ) -> None:
    doc = _rich_document()
    before = _content(doc)
    stack = UndoStack(doc)
    with pytest.raises(GraphError) as raised:
        stack.push(_edits(doc)[index])
    assert "\n" not in str(raised.value)
    assert _content(doc) == before and len(stack) == 0
    netbuilder.save(doc, tmp_path / "still.nbg")  # the document still saves


def test_the_edit_check_names_the_place() -> None:
    doc = _rich_document()
    with pytest.raises(GraphError, match=r"^metadata\.author: 'a\\ud800' holds a lone"):
        UndoStack(doc).push(SetSetting("metadata", "author", f"a{LONE}"))


# ----- saving -----------------------------------------------------------------------------------
def _fail_with(error: OSError) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error
    return fail


SAVE_FAILURES = {
    # What a script can still put in a document by assigning to it directly.
    "lone surrogate": lambda doc, mp: doc.metadata.__setitem__("x", LONE),
    "surrogate key": lambda doc, mp: doc.view.__setitem__(LONE, 1),
    "not JSON": lambda doc, mp: doc.metadata.__setitem__("x", {1, 2}),
    "not finite": lambda doc, mp: doc.training.__setitem__("lr", float("nan")),
    "disk full": lambda doc, mp: mp.setattr(os, "fsync", _fail_with(
        OSError(errno.ENOSPC, "No space left on device"))),
    "permission": lambda doc, mp: mp.setattr(os, "replace", _fail_with(
        PermissionError(errno.EACCES, "Permission denied"))),
    "no folder": lambda doc, mp: None,
}


@pytest.mark.parametrize("cause", SAVE_FAILURES)
def test_every_save_failure_is_a_graph_file_error_that_keeps_the_old_file(
        cause: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.nbg"
    netbuilder.save(classifier_with_loss(), path)
    old = path.read_bytes()
    doc = _rich_document()
    SAVE_FAILURES[cause](doc, monkeypatch)
    target = tmp_path / "missing" / "m.nbg" if cause == "no folder" else path
    with pytest.raises(GraphFileError) as raised:
        netbuilder.save(doc, target)
    monkeypatch.undo()
    message = str(raised.value)
    assert message.startswith(str(target)) and "\n" not in message
    if "surrogate" in cause:
        assert "lone surrogate" in message and ("metadata.x" in message or "view" in message)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nbg"]  # no temporary left


def test_the_temporaries_of_killed_saves_go_at_the_next_save(tmp_path: Path) -> None:
    path = tmp_path / "m.nbg"
    stale = tmp_path / ".m.nbg.a1b2c3d4.tmp"  # named as mkstemp names them
    fresh = tmp_path / ".m.nbg.zzzz9999.tmp"  # a save in progress elsewhere
    other = tmp_path / ".m.nbg.old.abcdefgh.tmp"  # another file's ("m.nbg.old")
    unlike = tmp_path / ".m.nbg.backup.tmp"  # not a name mkstemp makes
    folder = tmp_path / ".m.nbg.q1w2e3r4.tmp"
    folder.mkdir()
    for leftover in (stale, fresh, other, unlike):
        leftover.write_bytes(b"half a graph")
    hour_ago = time.time() - 3600
    for leftover in (stale, other, unlike, folder):
        os.utime(leftover, (hour_ago, hour_ago))
    netbuilder.save(classifier_with_loss(), path)
    assert not stale.exists()
    assert all(p.exists() for p in (fresh, other, unlike, folder))
    netbuilder.load(path)


def test_a_stale_temporary_that_cannot_be_removed_does_not_stop_the_save(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / ".m.nbg.a1b2c3d4.tmp"
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    monkeypatch.setattr(os, "unlink", _fail_with(PermissionError(errno.EACCES, "denied")))
    netbuilder.save(classifier_with_loss(), tmp_path / "m.nbg")
    monkeypatch.undo()
    assert stale.exists() and netbuilder.load(tmp_path / "m.nbg")


# ----- paths ------------------------------------------------------------------------------------
def test_paths_in_a_link_loop_resolve_as_written(tmp_path: Path) -> None:
    loop = tmp_path / "loop.nbg"
    loop.symlink_to(tmp_path / "back.nbg")
    (tmp_path / "back.nbg").symlink_to(loop)
    assert resolved(loop) == loop
    assert same_file(loop, loop) and not same_file(loop, tmp_path / "back.nbg")
    with pytest.raises(GraphFileError) as raised:
        netbuilder.load(loop)
    assert isinstance(raised.value, NetbuilderError) and "\n" not in str(raised.value)
