"""Probe events: block outputs and the spread of activations, weights and gradients on fixed
samples, only when asked and only of the blocks asked for."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train import sync
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.data.base import Dataset
from netbuilder.train.events import Finished, Probe
from netbuilder.train.loop import train
from netbuilder.train.probe import HISTOGRAM_BINS, PROBE_SAMPLES, device_histograms
from netbuilder.train.readiness import input_shape
from netbuilder.train.settings import TrainingSettings
from tests.train.test_loop_results import synthetic_digits


def cnn_events(probe_interval: float | None) -> list[object]:
    doc = netbuilder.load(example_path("mnist_cnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=1,
                                                           batch_size=32)
    data = Dataset("squares", synthetic_digits(96, 0))
    return list(train(doc, data, settings, probe_interval=probe_interval))


def test_probes_carry_block_outputs_and_histograms() -> None:
    events = cnn_events(probe_interval=0.0)
    assert isinstance(events[-1], Finished)
    probes = [e for e in events if isinstance(e, Probe)]
    assert probes, "a zero interval probes after every step"
    probe = probes[-1]
    assert probe.activations["conv1"].shape == (32, 26, 26)
    assert probe.activations["classes"].shape == (10,)
    assert np.isclose(probe.activations["classes"].sum(), 1.0, atol=1e-5)  # softmax
    counts, edges = probe.activation_histograms["conv1"]
    assert counts.shape == (HISTOGRAM_BINS,) and edges.shape == (HISTOGRAM_BINS + 1,)
    assert counts.sum() == PROBE_SAMPLES * 32 * 26 * 26
    grad_counts, _ = probe.gradient_histograms["conv1.weight"]
    assert grad_counts.sum() == 32 * 1 * 3 * 3
    assert "loss" not in probe.activations  # a scalar is no picture


def test_no_probes_unless_asked() -> None:
    assert not any(isinstance(e, Probe) for e in cnn_events(probe_interval=None))


# ----- probes of the blocks asked for --------------------------------------------------------
def _probes(example: str, blocks: set[str] | None, *, data: Dataset | None = None,
            sample: int = 0, **changes: object) -> list[Probe]:
    """The probes of one short run of ``example``, every step, of ``blocks`` only."""
    doc = netbuilder.load(example_path(example))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=1, **changes)
    if data is None:
        data = load_dataset(settings.dataset, input_shape=input_shape(doc, "model"),
                            seed=settings.seed)
    control = TrainingControl()
    control.set_probe(blocks, 0.0, sample=sample)
    events = list(train(doc, data, settings, control))
    assert isinstance(events[-1], Finished), events[-1]
    return [e for e in events if isinstance(e, Probe)]


def test_a_probed_conv_block_gives_its_maps_and_nothing_else_reaches_the_host(
        monkeypatch: pytest.MonkeyPatch) -> None:
    copies: list[int] = []
    original = sync.to_host

    def counted(values: torch.Tensor) -> np.ndarray:
        if values.numel() > 1000:  # a probe's copy (a report's is a few hundred values)
            copies.append(values.numel())
        return original(values)

    monkeypatch.setattr(sync, "to_host", counted)
    probes = _probes("mnist_cnn", {"conv1"}, data=Dataset("squares", synthetic_digits(96, 0)),
                     batch_size=32, sample=2)
    probe = probes[-1]
    assert set(probe.activations) == {"conv1"} and probe.kinds == {"conv1": "maps"}
    assert probe.activations["conv1"].shape == (32, 26, 26) and probe.sample == 2
    assert set(probe.activation_histograms) == {"conv1"}
    assert set(probe.weight_histograms) == set(probe.gradient_histograms) == {
        "conv1.weight", "conv1.bias"}
    assert probe.weight_histograms["conv1.weight"][0].sum() == 32 * 1 * 3 * 3
    # Every block's range (for a network-wide colour scale), but none of their values.
    assert {"conv1", "pool1", "conv2", "hidden", "classes"} <= set(probe.ranges)
    low, high = probe.ranges["conv1"]
    assert low == pytest.approx(probe.activations["conv1"].min())
    assert high == pytest.approx(probe.activations["conv1"].max())
    assert probe.labels.dtype == np.int64 and probe.labels.shape == (PROBE_SAMPLES,)
    assert probe.predictions.dtype == np.int64 and probe.predictions.shape == (PROBE_SAMPLES,)
    assert probe.predictions.min() >= 0 and probe.predictions.max() < 10
    assert probe.inputs.shape == (1, 28, 28)
    # One copy a probe, holding the maps of one sample and small things, no other block's.
    blocks = len(probe.ranges)
    expected = (32 * 26 * 26 + 1 * 28 * 28 + 2 * PROBE_SAMPLES + 2 * blocks
                + 5 * (HISTOGRAM_BINS + 2))  # activations, weight x2, gradient x2
    assert copies and len(copies) == len(probes) and set(copies) == {expected}


def test_the_request_changes_mid_run_and_is_served_at_the_next_step() -> None:
    doc = netbuilder.load(example_path("mnist_cnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=1,
                                                           batch_size=16)
    control = TrainingControl()
    control.set_probe({"conv1"}, 3600.0)  # one probe, then none for an hour...
    seen = []
    for event in train(doc, Dataset("squares", synthetic_digits(160, 0)), settings, control):
        if isinstance(event, Probe):
            seen.append(set(event.activations))
            if len(seen) == 1:
                control.set_probe({"hidden"}, 3600.0)  # ...unless the request changes
    assert seen[:2] == [{"conv1"}, {"hidden"}]


def test_no_probe_once_the_viewer_asks_for_none() -> None:
    control = TrainingControl()
    control.set_probe(None, None)
    doc = netbuilder.load(example_path("mnist_cnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=1,
                                                           batch_size=32)
    events = list(train(doc, Dataset("squares", synthetic_digits(64, 0)), settings, control,
                        probe_interval=0.0))
    assert not any(isinstance(e, Probe) for e in events)


def test_attention_weights_per_head_sum_to_one_in_eval_mode() -> None:
    probe = _probes("transformer_classifier", {"encoder"}, batch_size=64)[-1]
    weights = probe.attention["encoder.attention"]
    heads = weights.shape[0]
    assert weights.shape == (heads, 16, 16) and heads >= 1
    assert np.allclose(weights.sum(axis=-1), 1.0, atol=1e-5)
    assert probe.kinds["encoder.attention"] == "attention"
    assert probe.inputs.shape == (16,)  # the tokens, for the heat map's axes
    assert set(probe.activations) >= {"encoder.attention", "encoder.norm1"}
    assert "classes" not in probe.activations


def test_a_recurrent_block_gives_every_steps_hidden_state() -> None:
    probe = _probes("char_rnn", {"recurrent2"}, batch_size=8)[-1]
    assert probe.kinds == {"recurrent2": "recurrent"}
    assert probe.activations["recurrent2"].shape == (50,)  # the block returns the last state
    states = probe.hidden_states["recurrent2"]
    assert states.ndim == 2 and states.shape[1] == 50
    assert np.allclose(states[-1], probe.activations["recurrent2"], atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_histograms_binned_on_the_device_equal_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=5000).astype(np.float32) * (seed + 1)
    values[:3] = [np.nan, np.inf, -np.inf]  # not counted
    constant = np.full(40, 2.5, dtype=np.float32)
    rows = device_histograms([torch.from_numpy(values), torch.from_numpy(constant)]).numpy()
    finite = values[np.isfinite(values)]
    counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
    assert rows[0, :2] == pytest.approx([edges[0], edges[-1]])
    assert rows[0, 2:].sum() == finite.size
    # float32 on the device against float64 in numpy: a value on an edge may change bins.
    assert np.abs(rows[0, 2:] - counts).max() <= 2
    counts, edges = np.histogram(constant, bins=HISTOGRAM_BINS)
    assert rows[1, :2] == pytest.approx([edges[0], edges[-1]])
    assert np.array_equal(rows[1, 2:], counts)
