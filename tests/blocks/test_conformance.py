"""One harness over the whole catalogue: every block type must pass every check here."""

from __future__ import annotations

import json

import pytest
import torch

from netbuilder.blocks import CATALOGUE
from netbuilder.core.blockspec import BlockSpec, Example
from netbuilder.core.params import validate_params
from netbuilder.core.tensor import TensorSpec

SPECS = list(CATALOGUE)
COMPUTING = [spec for spec in SPECS if spec.role in ("layer", "loss")]
BATCH = 3


def _cases() -> list[tuple[BlockSpec, int, Example]]:
    return [(spec, index, example) for spec in COMPUTING
            for index, example in enumerate(spec.examples)]


def _random(spec: TensorSpec, unit_interval: bool) -> torch.Tensor:
    if spec.dtype == "int64":
        # 0 and 1 are valid token ids and class labels for every example.
        return torch.randint(0, 2, (BATCH, *spec.shape))
    if unit_interval:  # probabilities and binary targets for the loss blocks
        return torch.rand(BATCH, *spec.shape)
    return torch.randn(BATCH, *spec.shape)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_defaults_validate_and_round_trip_through_json(spec: BlockSpec) -> None:
    params = spec.default_params()
    assert validate_params(spec.params, params) == []
    assert json.loads(json.dumps(params, sort_keys=True)) == params


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_docs_and_help_are_present(spec: BlockSpec) -> None:
    assert spec.title and spec.doc
    assert "Input shape:" in spec.doc and "Output shape:" in spec.doc, spec.type
    for param in spec.params:
        assert len(param.help) > 10, f"{spec.type}.{param.name} needs help text"
        param.validate(param.default)
    for port in spec.input_ports(spec.default_params()) + spec.output_ports(
            spec.default_params()):
        assert port.name.isidentifier()
    for name in spec.summary_params:
        spec.param(name)
    for param in spec.params:
        for name, values in param.enabled_when:
            switch = spec.param(name)
            assert switch.kind == "choice" and set(values) <= set(switch.choices), (
                f"{spec.type}.{param.name}: enabled_when names a choice that does not exist")


@pytest.mark.parametrize("spec", COMPUTING, ids=lambda s: s.type)
def test_every_computing_block_has_examples(spec: BlockSpec) -> None:
    assert spec.examples, f"{spec.type} needs at least one worked example"
    assert spec.build is not None


@pytest.mark.parametrize(("spec", "index", "example"), _cases(),
                         ids=lambda v: v.type if isinstance(v, BlockSpec) else str(v)
                         if isinstance(v, int) else None)
def test_shape_rule_matches_the_built_module(spec: BlockSpec, index: int,
                                              example: Example) -> None:
    params = {**spec.default_params(), **example.params}
    assert validate_params(spec.params, params) == []
    assert json.loads(json.dumps(params)) == params
    inputs = example.input_specs()
    assert list(inputs) == [port.name for port in spec.input_ports(params)]

    predicted = spec.infer_outputs(params, inputs)
    assert list(predicted) == [port.name for port in spec.output_ports(params)]

    torch.manual_seed(0)
    module = spec.build(params, inputs)
    assert isinstance(module, torch.nn.Module)
    with torch.no_grad():
        result = module(*(_random(s, spec.role == "loss") for s in inputs.values()))
    results = result if isinstance(result, tuple) else (result,)
    assert len(results) == len(predicted)
    for (port, expected), tensor in zip(predicted.items(), results, strict=True):
        if spec.role == "loss":
            assert tensor.shape == (), f"{spec.type}.{port}: a loss is one number"
            assert torch.isfinite(tensor)
            continue
        assert tuple(tensor.shape) == (BATCH, *expected.shape), f"{spec.type}.{port}"
        expected_dtype = torch.int64 if expected.dtype == "int64" else torch.float32
        assert tensor.dtype == expected_dtype

    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    assert spec.count_params(params, inputs, predicted) == trainable
    assert spec.count_macs(params, inputs, predicted) >= 0


def test_aliases_resolve_to_their_block() -> None:
    for spec in SPECS:
        for alias in spec.aliases:
            assert CATALOGUE[alias] is spec
