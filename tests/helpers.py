"""Small graphs built in code, shared by the tests."""

from __future__ import annotations

import numpy as np

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import Document
from netbuilder.train.events import EpochEnd, Finished, Metrics, Started
from netbuilder.train.record import RunRecord


def mlp_document(hidden: int = 16) -> Document:
    """image (1, 4, 4) -> flatten -> dense(hidden, relu) -> dense(3, softmax) -> output."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[1, 4, 4], name="image")
    x = net.add("flatten", x)
    x = net.add("dense", x, units=hidden)
    x = net.add("dense", x, units=3, activation="softmax")
    net.add("output", x)
    net.layout()
    return doc


def classifier_with_loss() -> Document:
    """mlp_document plus a label Input and a cross-entropy loss block."""
    doc = mlp_document()
    net = GraphBuilder(doc, "model")
    label = net.add("input", shape=[], dtype="int64", name="label")
    prediction = net.graph.node_by_name("dense2")
    assert prediction is not None
    net.add("cross_entropy_loss", prediction, label)
    net.layout()
    return doc


def moons_classifier(epochs: int = 3, **training: object) -> Document:
    """A small classifier of the built-in 2-D moons (point -> dense 16 -> dense 2 softmax,
    with a label Input and a cross-entropy loss) that trains in a fraction of a second on
    the CPU; ``training`` overrides its settings (batch size 8, Adam at 0.01, a fifth held
    out for validation)."""
    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[2], name="point")
    x = net.add("dense", x, units=16, name="hidden")
    y = net.add("dense", x, units=2, activation="softmax", name="classes")
    net.add("output", y, name="probabilities")
    label = net.add("input", shape=[], dtype="int64", name="label")
    net.add("cross_entropy_loss", y, label, name="loss")
    net.layout()
    doc.training.update({"recipe": "classification", "dataset": "moons", "epochs": epochs,
                         "batch_size": 8, "lr": 0.01, "optimizer": "adam",
                         "validation_split": 0.2, "device": "cpu", **training})
    return doc


def long_run(epochs: int, steps_per_epoch: int = 2, schedule: bool = True) -> RunRecord:
    """A record fed as the engine feeds it: a report per epoch, then the epoch's end."""
    record = RunRecord(clock=lambda: 0.0)
    record.write(Started(epochs, steps_per_epoch, "cpu", "eager"))
    step = 0
    for epoch in range(1, epochs + 1):
        step += steps_per_epoch
        losses = np.full((steps_per_epoch, 1), 1.0 / epoch, np.float32)
        lr = 0.1 / epoch if schedule else 0.1
        record.write(Metrics(epoch, step, 1.0 / epoch, 100.0, lr, step_losses=losses,
                             samples=8 * steps_per_epoch))
        accuracy = None if epoch % 3 else epoch / epochs
        record.write(EpochEnd(epoch, 1.0 / epoch, 2.0 / epoch, accuracy, 100.0, step=step))
    record.write(Finished({"loss": 1.0 / epochs}, None, None))
    return record
