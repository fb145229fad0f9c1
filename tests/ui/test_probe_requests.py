"""The views' probe requests, combined by the document's training session."""

from __future__ import annotations

from typing import Any

import netbuilder
from netbuilder.resources import example_path
from netbuilder.ui.main_window import MainWindow


def test_views_ask_for_probes_together_and_each_takes_back_only_its_own(
        qtbot: Any, window: MainWindow) -> None:
    window.add_document(netbuilder.load(example_path("mnist_cnn")), title="cnn")
    session = window.training.session
    session.set_probe(None, None, viewer="previews")
    session.set_probe(None, None)
    assert session.probe_interval is None
    session.set_probe(None, 2.0, viewer="previews")  # every block, now and then
    session.set_probe(("conv1",), 0.5, 3)  # the viewer: one block, often, sample 3
    assert session.probe_blocks is None and session.probe_interval == 0.5
    assert session.probe_sample == 3  # the previews take any sample
    session.set_probe(None, None)  # the viewer is hidden: the previews' request stands
    assert (session.probe_blocks, session.probe_interval) == (None, 2.0)
    session.set_probe(None, None, viewer="previews")
    session.set_probe(("conv1",), 0.5)
    session.set_probe(("pool1", "conv1"), 1.0, viewer="other")
    assert session.probe_blocks == ("conv1", "pool1") and session.probe_interval == 0.5
    session.set_probe(None, None)
    session.set_probe(None, None, viewer="other")
    assert session.probe_interval is None and session.probe_blocks is None
