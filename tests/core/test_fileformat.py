"""The .nbg format: round trips, versions, placeholders and every kind of bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import netbuilder
from netbuilder.core import fileformat
from netbuilder.core.inference import analyse
from tests.helpers import classifier_with_loss, mlp_document

DATA = Path(__file__).resolve().parent.parent / "data"


def test_save_load_save_is_byte_identical(tmp_path: Path) -> None:
    doc = classifier_with_loss()
    doc.training["lr"] = 0.001
    doc.metadata["title"] = "Ünïcode survives"
    first = tmp_path / "a.nbg"
    second = tmp_path / "b.nbg"
    netbuilder.save(doc, first)
    netbuilder.save(netbuilder.load(first), second)
    assert first.read_bytes() == second.read_bytes()


def test_file_is_sorted_pretty_json(tmp_path: Path) -> None:
    path = tmp_path / "m.nbg"
    netbuilder.save(mlp_document(), path)
    text = path.read_text("utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["format"] == "netbuilder-graph"
    assert data["version"] == fileformat.CURRENT_VERSION
    node = data["networks"][0]["nodes"][1]
    assert set(node) == {"id", "name", "type", "type_version", "params", "position", "bypassed"}


def test_loaded_document_keeps_order_ids_and_counter(tmp_path: Path) -> None:
    doc = classifier_with_loss()
    path = tmp_path / "m.nbg"
    netbuilder.save(doc, path)
    again = netbuilder.load(path)
    assert list(again.network().nodes) == list(doc.network().nodes)
    assert list(again.network().edges) == list(doc.network().edges)
    assert again.next_id == doc.next_id
    assert again.path == path


@pytest.mark.parametrize("version", range(1, fileformat.CURRENT_VERSION + 1))
def test_golden_file_of_every_version_loads(version: int, tmp_path: Path) -> None:
    golden = DATA / f"format_v{version}.nbg"
    doc = netbuilder.load(golden)
    assert analyse(doc, "model").ok
    if version == fileformat.CURRENT_VERSION:
        copy = tmp_path / "copy.nbg"
        netbuilder.save(doc, copy)
        assert copy.read_bytes() == golden.read_bytes()


def test_migrations_run_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pretend next version that renamed 'view' to 'canvas': every older file upgrades."""
    text = (DATA / "format_v1.nbg").read_text("utf-8")
    current = fileformat.CURRENT_VERSION
    calls = []

    def rename_view(data: dict) -> dict:
        calls.append(data["version"])
        data["canvas"] = data.pop("view")
        return data

    steps = dict(fileformat.MIGRATIONS)
    steps[current] = rename_view
    monkeypatch.setattr(fileformat, "CURRENT_VERSION", current + 1)
    monkeypatch.setattr(fileformat, "MIGRATIONS", steps)
    data = fileformat.migrate(fileformat.parse(text), "x.nbg")
    assert calls == [current] and data["version"] == current + 1 and "canvas" in data


def test_version_1_gains_bypass_flags_and_frames() -> None:
    doc = netbuilder.load(DATA / "format_v1.nbg")
    assert all(not node.bypassed for _, node in doc.iter_nodes())
    assert all(graph.frames == {} for graph in doc.graphs.values())


def test_newer_file_is_refused_clearly() -> None:
    text = json.dumps({"format": "netbuilder-graph", "version": 99})
    with pytest.raises(netbuilder.GraphFileError, match=r"new\.nbg: was written by a newer "
                       r"netbuilder \(format version 99"):
        netbuilder.loads(text, "new.nbg")


def test_unknown_block_type_is_kept_as_a_placeholder(tmp_path: Path) -> None:
    data = json.loads(fileformat.dumps(mlp_document()))
    node = data["networks"][0]["nodes"][2]
    node["type"] = "quantum_layer"
    node["params"] = {"qubits": 7, "nested": {"a": [1, 2]}}
    path = tmp_path / "future.nbg"
    path.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", "utf-8")
    doc = netbuilder.load(path)
    analysis = analyse(doc, "model")
    (problem,) = analysis.errors
    assert problem.node == node["id"] and "unknown block type 'quantum_layer'" in problem.message
    out = tmp_path / "out.nbg"
    netbuilder.save(doc, out)
    assert json.loads(out.read_text())["networks"][0]["nodes"][2]["params"] == node["params"]
    with pytest.raises(netbuilder.GraphError, match="quantum_layer"):
        netbuilder.build(doc)


def test_alias_loads_as_the_current_type() -> None:
    data = json.loads(fileformat.dumps(mlp_document()))
    data["networks"][0]["nodes"][2]["type"] = "fully_connected"
    doc = netbuilder.loads(json.dumps(data))
    assert doc.network().nodes[data["networks"][0]["nodes"][2]["id"]].type == "dense"


def _mutated(change) -> str:
    data = json.loads(fileformat.dumps(classifier_with_loss()))
    change(data)
    return json.dumps(data)


def _set_edge_target(data: dict, value: str) -> None:
    data["networks"][0]["edges"][0]["target"] = value


BAD_FILES = {
    "empty": ("", "not valid JSON"),
    "truncated": (fileformat.dumps(mlp_document())[:200], "cut short"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "binary utf-8": (b"\x00\x01\x02junk", "binary data"),
    "not an object": ("[1, 2, 3]", "not a netbuilder graph"),
    "other json": ('{"name": "package"}', "not a netbuilder graph"),
    "deeply nested": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "huge integer": ('{"format": "netbuilder-graph", "version": ' + "9" * 5000 + "}",
                     "refuses"),
    "nan": ('{"format": "netbuilder-graph", "version": NaN}', "refuses"),
    "missing networks": (_mutated(lambda d: d.pop("networks")), "lacks 'networks'"),
    "unknown field": (_mutated(lambda d: d.update(script="rm -rf /")), "unknown field 'script'"),
    "dangling edge": (_mutated(lambda d: _set_edge_target(d, "n999")),
                      "edge e.*refers to node 'n999'"),
    "duplicate id": (_mutated(lambda d: d["networks"][0]["nodes"][1].update(
        id=d["networks"][0]["nodes"][0]["id"])), "id is used twice"),
    "bad name": (_mutated(lambda d: d["networks"][0]["nodes"][0].update(name="import")),
                 "name 'import' is not allowed"),
    "huge float position": (_mutated(lambda d: d["networks"][0]["nodes"][0].update(
        position=[1e308 * 10, 0])), "refuses|position"),
    "no networks": (_mutated(lambda d: d.update(networks=[])), "holds no network"),
    "two wires into one port": (_mutated(lambda d: d["networks"][0]["edges"].append(
        {**d["networks"][0]["edges"][0], "id": "e900"})), "has two wires"),
    "deep training settings": (_mutated(lambda d: d.update(training=json.loads(
        '{"a":' * 50 + "1" + "}" * 50))), "nested more than"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_gives_a_clear_error_naming_the_file(name: str) -> None:
    text, pattern = BAD_FILES[name]
    with pytest.raises(netbuilder.GraphFileError) as caught:
        netbuilder.loads(text, "bad.nbg")
    message = str(caught.value)
    assert message.startswith("bad.nbg: ")
    assert __import__("re").search(pattern, message), message
    assert "\n" not in message and len(message) < 400


def test_bad_param_value_loads_and_is_reported_with_node_and_param() -> None:
    text = _mutated(lambda d: d["networks"][0]["nodes"][2]["params"].update(units=-5))
    doc = netbuilder.loads(text, "bad.nbg")
    (problem,) = analyse(doc, "model").errors
    assert problem.param == "units" and "at least 1" in problem.message
    with pytest.raises(netbuilder.GraphError, match="node dense1: parameter 'units'"):
        netbuilder.build(doc)


def test_missing_and_folder_paths(tmp_path: Path) -> None:
    with pytest.raises(netbuilder.GraphFileError, match="no such file"):
        netbuilder.load(tmp_path / "nope.nbg")
    with pytest.raises(netbuilder.GraphFileError, match="is a folder"):
        netbuilder.load(tmp_path)


def test_save_is_atomic_and_keeps_the_old_file_on_failure(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    path = tmp_path / "m.nbg"
    netbuilder.save(mlp_document(), path)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(netbuilder.GraphFileError, match="No space left"):
        netbuilder.save(mlp_document(hidden=99), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.nbg"]  # no temporary left behind


def test_save_into_a_missing_folder_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(netbuilder.GraphFileError, match="cannot be written"):
        netbuilder.save(mlp_document(), tmp_path / "missing" / "m.nbg")
