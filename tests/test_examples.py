"""Every bundled example loads, has the tutorial's figures, compiles and runs forward."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import pytest
import torch

import netbuilder
from netbuilder import resources
from netbuilder.compile import compile_network
from netbuilder.core import fileformat
from netbuilder.core.inference import analyse
from netbuilder.core.layout import estimated_block_size

ROOT = Path(__file__).resolve().parent.parent

# Trainable parameters per network, from SEED_MODELS.md (recurrent counts follow PyTorch,
# which keeps two bias vectors per gate where Keras keeps one).
EXPECTED_PARAMS = {
    "perceptron": {"model": 3},
    "regression_mlp": {"model": 121},
    "mnist_cnn": {"model": 225_034},
    "mnist_cnn_same": {"model": 421_642},
    "mnist_cnn_b": {"model": 93_322},
    "char_rnn": {"model": 3_000 + 5_100 + 408},
    "char_lstm": {"model": 4 * 3_000 + 4 * 5_100 + 408},
    "char_gru": {"model": 3 * 3_000 + 3 * 5_100 + 408},
    "gan_mnist": {"generator": 1_489_936, "discriminator": 533_505},
    "vae_mnist": {"model": 314_000 + 2 * 8_020 + 8_400 + 314_384},
    "transformer_classifier": {"model": 9_122},
}


def _load_script():
    spec = importlib.util.spec_from_file_location("make_examples",
                                                  ROOT / "packaging" / "make_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_seed_model_ships_as_an_example() -> None:
    assert resources.list_examples() == sorted(EXPECTED_PARAMS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_example_is_what_the_script_writes(name: str) -> None:
    document = _load_script().EXAMPLES[name]()
    assert resources.example_path(name).read_text("utf-8") == fileformat.dumps(document), (
        "run `python packaging/make_examples.py`")


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_example_has_the_tutorial_parameter_counts(name: str) -> None:
    doc = netbuilder.load(resources.example_path(name))
    counts = {}
    for network in doc.networks:
        analysis = analyse(doc, network)
        assert analysis.diagnostics == [], analysis.diagnostics
        counts[network] = analysis.total_params
    assert counts == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_example_compiles_and_runs_forward_and_backward(name: str) -> None:
    doc = netbuilder.load(resources.example_path(name))
    for network in doc.networks:
        model = netbuilder.build(doc, network)
        assert sum(p.numel() for p in model.parameters()) == EXPECTED_PARAMS[name][network]
        analysis = analyse(doc, network)
        inputs = []
        for input_name in compile_network(doc, network).parts.inputs:
            node = doc.network(network).node_by_name(input_name)
            spec = analysis.nodes[node.id].outputs["y"]
            if spec.dtype == "int64":
                inputs.append(torch.randint(0, 2, (4, *spec.shape)))
            else:
                inputs.append(torch.rand(4, *spec.shape))
        result = model(*inputs)
        first = result[0] if isinstance(result, tuple) else result
        assert first.shape[0] == 4 and torch.isfinite(first).all()

        if analysis_has_losses(doc, network):
            trainer_view = compile_network(doc, network, with_losses=True)
            feeds = inputs + [_target(doc, network, n) for n in trainer_view.parts.targets]
            _, losses = trainer_view.module(*feeds)
            total = sum(losses.values())
            total.backward()
            assert torch.isfinite(total)


def analysis_has_losses(doc: netbuilder.Document, network: str) -> bool:
    return any(doc.catalogue[n.type].role == "loss" for n in doc.network(network).nodes.values())


def _target(doc: netbuilder.Document, network: str, name: str) -> torch.Tensor:
    node = doc.network(network).node_by_name(name)
    spec = analyse(doc, network).nodes[node.id].outputs["y"]
    if spec.dtype == "int64":
        return torch.randint(0, 2, (4, *spec.shape))
    return torch.rand(4, *spec.shape)


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_example_layout_reads_like_text_without_overlaps(name: str) -> None:
    """Left to right within a band, bands one under the other, no block on another."""
    doc = netbuilder.load(resources.example_path(name))
    for graph in doc.graphs.values():
        boxes = {}
        for node in graph.nodes.values():
            width, height = estimated_block_size(len(doc.input_ports(node)),
                                                 len(doc.output_ports(node)))
            x, y = node.position
            boxes[node.id] = (x, y, x + width, y + height)
        for edge in graph.edges.values():
            source, target = boxes[edge.source], boxes[edge.target]
            # Rightwards, or on to a band further down.
            assert source[0] < target[0] or source[3] < target[1]
        for a, b in itertools.combinations(boxes.values(), 2):
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert doc.metadata["title"] and doc.metadata["description"]
