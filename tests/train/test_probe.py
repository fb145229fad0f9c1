"""Probe events: block outputs and gradient spreads on fixed samples, only when asked."""

from __future__ import annotations

import numpy as np

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train.data.base import Dataset
from netbuilder.train.events import Finished, Probe
from netbuilder.train.loop import train
from netbuilder.train.probe import HISTOGRAM_BINS, PROBE_SAMPLES
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
