"""The summary counts what is built, warns above the parameter budget, and reads the same on
every run; hand-written files may leave out params that have defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.blocks import CATALOGUE
from netbuilder.core import fileformat
from netbuilder.core.budget import DEFAULT_MAX_PARAMS, ENV_VAR, format_bytes, param_budget
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import GraphError
from netbuilder.core.inference import analyse
from netbuilder.core.summary import summary_dict, summary_text
from tests.helpers import classifier_with_loss, mlp_document

ROOT = Path(__file__).resolve().parents[2]


def _with_unused_branch() -> netbuilder.Document:
    """mlp_document (323 parameters) plus two dense layers that lead nowhere (154)."""
    doc = mlp_document()
    net = GraphBuilder(doc, "model")
    flat = net.graph.node_by_name("flatten1")
    net.add("dense", net.add("dense", flat, units=8, name="side"), units=2, name="side_out")
    return doc


# ----- totals of what is built ----------------------------------------------------------------
def test_the_total_counts_only_the_blocks_that_are_built() -> None:
    model = summary_dict(_with_unused_branch())["networks"]["model"]
    assert model["total_params"] == model["trainable_params"] == 323
    assert model["not_built"] == {"nodes": ["side", "side_out"], "params": 154, "macs": 144}
    built = {node["name"]: node["built"] for node in model["nodes"]}
    assert built == {"image": True, "flatten1": True, "dense1": True, "dense2": True,
                     "output1": True, "side": False, "side_out": False}
    text = summary_text(_with_unused_branch())
    assert ("  Total: 323 parameters (323 trainable), 304 multiply-adds per sample\n"
            "  Not built (no path to an Output or a loss): side, side_out: 154 parameters, 144 "
            "multiply-adds\n") in text


def test_targets_and_losses_count_as_built_and_nothing_is_listed_apart() -> None:
    data = summary_dict(classifier_with_loss())["networks"]["model"]
    assert data["not_built"] == {"nodes": [], "params": 0, "macs": 0}
    assert "Not built" not in summary_text(classifier_with_loss())


@settings(max_examples=40, deadline=None)
@given(main=st.lists(st.integers(1, 9), min_size=1, max_size=3),
       side=st.lists(st.integers(1, 9), max_size=3), fork=st.integers(0, 3))
def test_built_and_not_built_add_up_to_every_block(main: list[int], side: list[int],
                                                   fork: int) -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    chain = [net.add("input", shape=[3])]
    for units in main:
        chain.append(net.add("dense", chain[-1], units=units))
    net.add("output", chain[-1])
    x = chain[min(fork, len(chain) - 1)]
    for units in side:
        x = net.add("dense", x, units=units)
    analysis = analyse(doc, "model")
    data = summary_dict(doc)["networks"]["model"]
    main_params = sum((a + 1) * b for a, b in zip([3, *main], main, strict=False))
    assert data["total_params"] == main_params == analysis.built_params
    assert data["total_params"] + data["not_built"]["params"] == analysis.total_params
    assert len(data["not_built"]["nodes"]) == len(side)


# ----- the parameter budget ---------------------------------------------------------------------
def _huge() -> netbuilder.Document:
    """1,500 inputs to a million units: 1.5e9 parameters (6 GB) from a 1.5 kB file."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    net.add("output", net.add("dense", net.add("input", shape=[1500]), units=1_000_000,
                              name="huge"))
    return doc


def test_summary_warns_above_the_budget_naming_the_block(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    data = summary_dict(_huge())
    assert data["errors"] == []
    (warning,) = data["warnings"]
    assert warning["name"] == "huge"
    assert warning["message"] == (
        "the network is too big to build: it needs 1,501,000,000 parameters (6.0 GB as "
        "float32), more than the budget of 1,000,000,000; huge alone holds 1,501,000,000 (set "
        "NETBUILDER_MAX_PARAMS to change the budget)")
    monkeypatch.setenv(ENV_VAR, "2e9")
    assert summary_dict(_huge())["warnings"] == []


def test_a_bad_budget_setting_is_a_warning_not_a_crash(monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "lots")
    messages = [w["message"] for w in summary_dict(mlp_document())["warnings"]]
    assert messages == [("NETBUILDER_MAX_PARAMS='lots' is not a number of parameters (such as "
                         "5e9, or inf for no budget); using the default of 1,000,000,000")]


@pytest.mark.parametrize(("value", "budget"), [
    (None, DEFAULT_MAX_PARAMS), ("5e9", 5_000_000_000), ("2_000_000", 2_000_000),
    ("inf", None), (300, 300)])
def test_the_budget_reads_numbers_in_the_usual_notations(monkeypatch, value, budget) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    if isinstance(value, str):
        monkeypatch.setenv(ENV_VAR, value)
        value = None
    assert param_budget(value) == budget


@pytest.mark.parametrize("value", ["0", "-5", "nan", "ten", True, 0.5])
def test_the_budget_refuses_what_is_not_a_count(value) -> None:
    with pytest.raises(GraphError, match="is not a number of parameters"):
        param_budget(value)


def test_sizes_read_as_bytes() -> None:
    assert [format_bytes(n) for n in (10, 300, 2_500_000, 10**9, 10**20)] == [
        "40 B", "1.2 kB", "10.0 MB", "4.0 GB", "400,000,000.0 TB"]


# ----- params left out of a hand-written file ---------------------------------------------------
def test_a_hand_written_file_may_leave_out_params_with_defaults() -> None:
    data = json.loads(fileformat.dumps(mlp_document()))
    dense = next(n for n in data["networks"][0]["nodes"] if n["type"] == "dense")
    dense["params"] = {"units": 16}
    doc = netbuilder.loads(json.dumps(data))
    assert analyse(doc, "model").ok
    assert doc.network().nodes[dense["id"]].params == {
        **CATALOGUE["dense"].default_params(), "units": 16}
    assert fileformat.dumps(doc) == fileformat.dumps(mlp_document())


@settings(max_examples=60, deadline=None)
@given(spec=st.sampled_from([s for s in CATALOGUE if s.params and s.role != "group"]),
       data=st.data())
def test_any_left_out_param_loads_as_its_default(spec, data) -> None:
    defaults = spec.default_params()
    kept = data.draw(st.sets(st.sampled_from(sorted(defaults))))
    doc = netbuilder.new_document()
    GraphBuilder(doc, "model").add(spec.type, name="block")
    text = json.loads(fileformat.dumps(doc))
    node = text["networks"][0]["nodes"][0]
    node["params"] = {key: value for key, value in node["params"].items() if key in kept}
    loaded = netbuilder.loads(json.dumps(text))
    assert loaded.network().node_by_name("block").params == defaults


# ----- the same messages on every run -----------------------------------------------------------
def _cycle_file(path: Path) -> None:
    """A five-block cycle among twenty other blocks, so that set order would show."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4])
    for _ in range(20):
        x = net.add("relu", x)
    ring = [net.add("add", x, name="alpha")]
    for name in ("bravo", "charlie", "delta", "echo"):
        ring.append(net.add("relu", ring[-1], name=name))
    net.connect(ring[-1], ring[0], "x2")
    net.add("output", ring[2])
    fileformat.save(doc, path)


def test_the_cycle_message_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    path = tmp_path / "cycle.nbg"
    _cycle_file(path)
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-m", "netbuilder", "summary", str(path)],
                             capture_output=True, text=True, env=environment, cwd=ROOT,
                             timeout=60, check=False)
        assert run.returncode == 2
        outputs.add(run.stdout + run.stderr)
    (output,) = outputs
    assert ("model / alpha: is part of a cycle: alpha → bravo → charlie → delta → echo → "
            "alpha") in output
