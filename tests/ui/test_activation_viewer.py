"""The activation viewer: click a block on the canvas and see what it computes while the
network trains (maps, attention heads), probed only while the viewer shows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import netbuilder
from netbuilder.core.graph import Document
from netbuilder.resources import example_path
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.training.activations import selected_blocks
from tests.ui.canvas_gestures import click, node_point
from tests.ui.test_training_dock import finished, ready


def _example(name: str, **training: object) -> Document:
    doc = netbuilder.load(example_path(name))
    doc.training.update({"device": "cpu", **training})
    return doc


def _open(qtbot: Any, window: MainWindow, doc: Document, title: str) -> Any:
    # The viewer's own probes only: the blocks' previews ask for theirs too (the session
    # combines both requests: tests/ui/test_probe_requests.py).
    window.previews.set_enabled(False)
    return ready(qtbot, window, doc, title, timeout=20_000)


def _node_id(window: MainWindow, name: str) -> str:
    editor = window.current_editor
    graph = editor.doc.graph(editor.current_graph)
    return next(node.id for node in graph.nodes.values() if node.name == name)


def test_clicking_a_conv_block_shows_its_feature_maps_after_training(
        qtbot: Any, window: MainWindow) -> None:
    dock = _open(qtbot, window, _example("mnist_cnn", epochs=1, dataset="digits"), "cnn")
    viewer = dock.activations
    dock.views.setCurrentWidget(viewer)
    view = window.current_editor.current_view
    click(qtbot, view, node_point(view, _node_id(window, "conv1")))
    assert viewer.selection.paths == ("conv1",)
    assert dock.session.probe_blocks == ("conv1",)  # asked for before the run starts
    assert dock.start()
    qtbot.waitUntil(lambda: finished(dock), timeout=60_000)
    qtbot.waitUntil(lambda: viewer.shown_probe is dock.session.record.probe, timeout=5_000)
    probe = viewer.shown_probe
    # Only the selected block's output came back; the viewer draws it as tiled maps.
    assert set(probe.activations) == {"conv1"}
    assert probe.activations["conv1"].shape == (32, 26, 26)
    image = viewer.output.images[0].image
    # 32 maps of 26x26 in a grid, 1 pixel apart, shaped to the wide place they are shown in.
    rows, columns = (image.shape[0] + 1) / 27, (image.shape[1] + 1) / 27
    assert rows.is_integer() and columns.is_integer() and rows * columns >= 32
    assert (rows - 1) * columns < 32 and columns > rows
    assert np.nansum(image) == pytest.approx(probe.activations["conv1"].sum(), rel=1e-4)
    assert viewer.pages.currentWidget() is viewer.splitter
    assert viewer.sample_choice.count() == 8 and "label" in viewer.sample_choice.itemText(0)
    for kind in ("activations", "weights", "gradients"):
        assert viewer.histograms.images[kind].image is not None, kind
    viewer.scale_choice.setCurrentIndex(viewer.scale_choice.findData("map"))
    assert viewer.output.bar.levels() == (0.0, 1.0)


def test_the_hidden_viewer_takes_no_probes_and_shown_mid_run_it_does(
        qtbot: Any, window: MainWindow) -> None:
    dock = _open(qtbot, window, _example("mnist_cnn", epochs=1000, dataset="digits",
                                         batch_size=16), "cnn")
    viewer = dock.activations
    window.current_editor.current_scene.select_nodes([_node_id(window, "hidden")])
    assert dock.views.currentWidget() is dock.curves and not viewer.isVisible()
    assert dock.start()
    session = dock.session
    qtbot.waitUntil(lambda: session.record.step > 5, timeout=60_000)
    assert session.record.probe is None and session.probe_interval is None
    dock.views.setCurrentWidget(viewer)
    qtbot.waitUntil(lambda: viewer.shown_probe is not None, timeout=30_000)
    assert set(viewer.shown_probe.activations) == {"hidden"}
    assert viewer.shown_probe.kinds["hidden"] == "vector"
    assert viewer.output.images[0].image.shape == (2, 64)  # 128 units in a strip of 64
    dock.views.setCurrentWidget(dock.curves)
    assert session.runner.control.probe_request() is None
    session.stop()
    qtbot.waitUntil(lambda: finished(dock), timeout=5_000)


def test_a_block_inside_an_opened_group_shows_its_attention_heads(
        qtbot: Any, window: MainWindow) -> None:
    dock = _open(qtbot, window, _example("transformer_classifier", epochs=1,
                                         validation_split=0.1), "transformer")
    viewer = dock.activations
    dock.views.setCurrentWidget(viewer)
    editor = window.current_editor
    group = next(name for name, graph in editor.doc.graphs.items() if graph.kind == "group")
    view = editor.open_graph(group)
    qtbot.waitUntil(lambda: editor.current_graph == group)
    click(qtbot, view, node_point(view, _node_id(window, "attention")))
    assert selected_blocks(editor).paths == ("encoder.attention",)
    assert viewer.selection.paths == ("encoder.attention",)
    assert dock.start()
    qtbot.waitUntil(lambda: finished(dock), timeout=60_000)
    qtbot.waitUntil(lambda: viewer.shown_probe is dock.session.record.probe, timeout=5_000)
    weights = viewer.shown_probe.attention["encoder.attention"]
    heads = [item.image for item in viewer.output.images]
    assert len(heads) == weights.shape[0] >= 1
    for head in heads:
        assert head.shape == (16, 16)
        assert np.allclose(head.sum(axis=1), 1.0, atol=1e-5)  # eval mode: rows sum to 1
    ticks = viewer.output.plots[0].getAxis("bottom")._tickLevels
    assert ticks is not None and len(ticks[0]) == 16  # one token a column


def test_a_hidden_viewer_keeps_each_probes_histograms_once(
        qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session tells its views after every drain of the queue (20 a second) while the
    latest probe stays the same for seconds: its histograms go into the history once."""
    from types import SimpleNamespace

    from netbuilder.train import probe_pictures
    from netbuilder.train.events import Probe
    from netbuilder.ui.training.activations import ActivationViewer

    offered: list[tuple[str, int]] = []
    original_add = probe_pictures.HistogramHistory.add

    def counted_add(self: Any, step: int, counts: Any, edges: Any) -> bool:
        offered.append((f"{id(self)}", step))
        return bool(original_add(self, step, counts, edges))

    monkeypatch.setattr(probe_pictures.HistogramHistory, "add", counted_add)
    viewer = ActivationViewer()
    qtbot.addWidget(viewer)  # never shown: the dock's other tab is in front
    histogram = (np.ones(4), np.linspace(0.0, 1.0, 5))
    record = SimpleNamespace(probe=None)
    viewer.session = SimpleNamespace(record=record)  # type: ignore[assignment]
    for step in (10, 20):
        record.probe = Probe(epoch=1, step=step, activation_histograms={"conv1": histogram},
                             weight_histograms={"conv1.weight": histogram})
        for _drain in range(5):
            viewer._session_updated()
    assert len(offered) == 4  # two probes, two histograms each
    assert [len(history) for history in viewer.histories.values()] == [2, 2]


def test_a_new_probe_keeps_the_pictures_title_axes_and_zoom(qtbot: Any) -> None:
    """Each probe hands the output view a new picture: only what changed is redone (a title
    set again, or a range found again, redrew the plot's axes from scratch twice a second,
    and undid a zoom)."""
    from netbuilder.train.probe_pictures import Picture
    from netbuilder.ui.training.probe_plots import OutputView

    view = OutputView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    rng = np.random.default_rng(0)
    view.show_picture(Picture(rng.random((20, 30), dtype=np.float32), (0.0, 1.0)), "conv1")
    plot = view.plots[0]
    retitled: list[str] = []
    original_set_title = plot.setTitle
    plot.setTitle = lambda title=None, **kw: (retitled.append(title),  # type: ignore[method-assign]
                                             original_set_title(title, **kw))
    box = plot.getViewBox()
    box.setRange(xRange=(2, 8), yRange=(3, 9), padding=0)  # the user zooms in
    zoomed = box.viewRange()
    view.show_picture(Picture(rng.random((20, 30), dtype=np.float32), (0.0, 2.0)), "conv1")
    assert retitled == []
    assert box.viewRange() == zoomed
    assert view.bar is not None and tuple(view.bar.levels()) == (0.0, 2.0)
    # Another shape (another block, or a new scale's tiling): shown whole again, retitled.
    view.show_picture(Picture(rng.random((40, 60), dtype=np.float32), (0.0, 1.0)),
                      "conv1 · per map")
    assert view.plots[0] is plot and retitled == ["conv1 · per map"]
    (x0, x1), (y0, y1) = box.viewRange()
    assert x0 <= 0 and x1 >= 60 and y0 <= 0 and y1 >= 40
