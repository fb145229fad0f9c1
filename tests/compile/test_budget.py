"""The compiler refuses a model above the parameter budget before allocating any weight, and
the summary's total is what the compiler builds."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import netbuilder
from netbuilder.compile import builder
from netbuilder.compile.builder import compile_network, count_parameters
from netbuilder.core.budget import ENV_VAR
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.summary import summary_dict


def _huge() -> netbuilder.Document:
    """1,500 inputs to a million units: 1.5e9 parameters (6 GB), then a small head."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("dense", net.add("input", shape=[1500]), units=1_000_000, name="huge")
    net.add("output", net.add("dense", x, units=2, name="head"))
    return doc


def test_build_refuses_above_the_budget_before_building_any_block(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)

    def no_module(*args: object) -> None:
        raise AssertionError("a block was built")

    monkeypatch.setattr(builder._Emitter, "_call", no_module)
    start = time.perf_counter()
    with pytest.raises(netbuilder.GraphError) as caught:
        netbuilder.build(_huge())
    assert time.perf_counter() - start < 1.0
    assert str(caught.value) == (
        "network 'model' cannot be built: it needs 1,503,000,002 parameters (6.0 GB as "
        "float32), more than the budget of 1,000,000,000; huge alone holds 1,501,000,000 (set "
        "NETBUILDER_MAX_PARAMS to change the budget)")
    # Training compiles with the losses: refused the same way.
    with pytest.raises(netbuilder.GraphError, match="huge alone holds"):
        compile_network(_huge(), with_losses=True)


def test_the_budget_is_set_by_the_environment_or_by_the_caller(monkeypatch) -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    net.add("output", net.add("dense", net.add("input", shape=[9]), units=10, name="fc"))
    monkeypatch.setenv(ENV_VAR, "99")
    with pytest.raises(netbuilder.GraphError, match=r"needs 100 parameters .* budget of 99; "
                                                    r"fc alone holds 100"):
        netbuilder.build(doc)
    assert count_parameters(compile_network(doc, max_params=100).module) == 100
    monkeypatch.setenv(ENV_VAR, "inf")
    assert count_parameters(netbuilder.build(doc)) == 100
    monkeypatch.setenv(ENV_VAR, "none of it")
    with pytest.raises(netbuilder.GraphError, match="NETBUILDER_MAX_PARAMS='none of it'"):
        netbuilder.build(doc)


@settings(max_examples=25, deadline=None)
@given(main=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       side=st.lists(st.integers(1, 6), max_size=2), budget=st.integers(1, 150))
def test_refused_exactly_when_the_built_model_is_over_budget(
        main: list[int], side: list[int], budget: int) -> None:
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = first = net.add("input", shape=[4])
    for units in main:
        x = net.add("dense", x, units=units)
    net.add("output", x)
    for units in side:  # an unused branch: never built, never counted against the budget
        first = net.add("dense", first, units=units)
    total = summary_dict(doc)["networks"]["model"]["total_params"]
    if total > budget:
        with pytest.raises(netbuilder.GraphError, match="more than the budget"):
            compile_network(doc, max_params=budget)
    else:
        assert count_parameters(compile_network(doc, max_params=budget).module) == total
    assert count_parameters(compile_network(doc, max_params="inf").module) == total
