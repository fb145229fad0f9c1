"""Small graphs built in code, shared by the tests."""

from __future__ import annotations

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.graph import Document


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
