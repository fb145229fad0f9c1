"""Live block previews on the canvas: thumbnails follow each edit, never an older one; errors
take them away downstream; View ▸ Block Previews hides them; no data set, no work; during
training they follow the run's probes."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PySide6.QtWidgets import QApplication

from netbuilder.core.builder import GraphBuilder
from netbuilder.core.commands import SetParams
from netbuilder.core.graph import Document
from netbuilder.resources import example_path
from netbuilder.train.block_preview import MAX_MAPS, BlockPreviewer, thumbnail
from netbuilder.train.events import Probe
from netbuilder.train.record import RunRecord
from netbuilder.ui.canvas.thumbnail_item import ThumbnailItem
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.live_preview import PROBE_INTERVAL_S, LivePreview
from netbuilder.ui.main_window import MainWindow
from tests.ui.test_training_dock import finished, moons_document, ready

WAIT_MS = 20_000


def open_cnn(qtbot: Any, window: MainWindow) -> DocumentWidget:
    """The CNN example (trained on the built-in digits), once its thumbnails are shown."""
    window.open_file(example_path("mnist_cnn"), as_copy=True)
    editor = window.current_editor
    assert editor is not None
    qtbot.waitUntil(lambda: badge(editor, "conv1") is not None, timeout=WAIT_MS)
    return editor


def item(editor: DocumentWidget, name: str) -> Any:
    scene = editor.current_scene
    assert scene is not None
    node = next(n for n in scene.graph.nodes.values() if n.name == name)
    return scene.node_items[node.id]


def badge(editor: DocumentWidget, name: str) -> ThumbnailItem | None:
    return item(editor, name).thumbnail


def shape_shown(editor: DocumentWidget, name: str) -> tuple[int, ...] | None:
    shown = badge(editor, name)
    return None if shown is None or shown.thumbnail is None else shown.thumbnail.shape


def set_param(editor: DocumentWidget, name: str, **values: object) -> None:
    node_id = item(editor, name).node.id
    assert editor.push(SetParams("model", node_id, values))


def test_a_thumbnail_appears_after_an_edit_and_goes_when_the_edit_breaks_the_graph(
        qtbot: Any, window: MainWindow) -> None:
    editor = open_cnn(qtbot, window)
    conv1 = badge(editor, "conv1")
    assert conv1 is not None and conv1.isVisible()
    view = editor.current_view
    assert view is not None
    view.grab()  # a paint: the badge makes its images then, one per map shown
    assert len(conv1.images) == MAX_MAPS
    assert conv1.parentItem() is item(editor, "conv1"), "the badge hangs from its block"
    assert conv1.mapRectToScene(conv1.boundingRect()).top() > \
        item(editor, "conv1").sceneBoundingRect().top() + item(editor, "conv1").body_rect(
        ).height(), "under the block, not over it"

    set_param(editor, "conv1", filters=16)
    qtbot.waitUntil(lambda: shape_shown(editor, "conv1") == (16, 26, 26), timeout=WAIT_MS)
    assert shape_shown(editor, "conv2") == (64, 11, 11)

    set_param(editor, "conv2", kernel_size=[30, 30])  # larger than its 13×13 input
    downstream = ("conv2", "pool2", "flatten", "hidden", "classes")
    qtbot.waitUntil(lambda: all(badge(editor, n) is None for n in downstream), timeout=WAIT_MS)
    assert shape_shown(editor, "conv1") == (16, 26, 26), "upstream of the error: still shown"
    assert badge(editor, "image") is not None

    window.actions_by_name["undo"].trigger()
    qtbot.waitUntil(lambda: shape_shown(editor, "conv2") == (64, 11, 11), timeout=WAIT_MS)


def test_an_edit_made_while_a_preview_computes_never_leaves_the_older_result_on_screen(
        qtbot: Any, window: MainWindow, monkeypatch: Any) -> None:
    editor = open_cnn(qtbot, window)
    entered, release, second = threading.Event(), threading.Event(), threading.Event()
    original = BlockPreviewer.run
    calls: list[int] = []

    def held_run(self: BlockPreviewer, doc: Document, stop: Any = None,
                 weights: str | None = None) -> Any:
        calls.append(1)
        if len(calls) == 1:
            entered.set()
            release.wait(10)
            # Ignores ``stop``: the older preview finishes, and the canvas must drop it.
            return original(self, doc, None, weights)
        second.wait(10)  # the canvas gets time to take the older result first
        return original(self, doc, stop, weights)

    monkeypatch.setattr(BlockPreviewer, "run", held_run)
    shown: list[tuple[int, ...] | None] = []
    window.previews.applied.connect(lambda _generation: shown.append(
        shape_shown(editor, "conv1")))

    set_param(editor, "conv1", filters=8)
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    set_param(editor, "conv1", filters=4)
    editor.check_now()  # the newer request waits behind the held one
    release.set()
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=WAIT_MS)
    qtbot.wait(150)  # the older result is out; the canvas polls meanwhile
    assert shown == [], "nothing applied while only the older result was in"
    second.set()
    qtbot.waitUntil(lambda: shape_shown(editor, "conv1") == (4, 26, 26), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.previews.worker.busy, timeout=WAIT_MS)
    QApplication.processEvents()
    assert len(calls) >= 2, "the held preview finished and the newer one ran"
    assert (8, 26, 26) not in shown, "the result for the older graph never reached the canvas"
    assert shape_shown(editor, "conv1") == (4, 26, 26)


def test_the_view_menu_toggle_hides_the_thumbnails_and_is_remembered(
        qtbot: Any, window: MainWindow) -> None:
    editor = open_cnn(qtbot, window)
    action = window.actions_by_name["block_previews"]
    assert action.isCheckable() and action.isChecked()
    assert action in window.menus["View"].actions()

    action.trigger()
    assert not action.isChecked() and not window.previews.enabled
    scene = editor.current_scene
    assert scene is not None
    assert not any(isinstance(i, ThumbnailItem) for i in scene.items())
    set_param(editor, "hidden", units=32)
    editor.check_now()
    QApplication.processEvents()
    assert not window.previews.worker.busy, "off: edits compute nothing"
    assert not LivePreview().enabled, "the choice is remembered"

    action.trigger()
    qtbot.waitUntil(lambda: shape_shown(editor, "hidden") == (32,), timeout=WAIT_MS)


def test_nothing_runs_without_a_data_set(qtbot: Any, window: MainWindow) -> None:
    doc = window_document_without_data()
    editor = window.add_document(doc, title="no data")
    editor.check_now()
    scene = editor.current_scene
    assert scene is not None
    node = next(iter(n for n in scene.graph.nodes.values() if n.type == "dense"))
    assert editor.push(SetParams("model", node.id, {"units": 5}))
    editor.check_now()
    qtbot.wait(200)
    assert window.previews.worker.runs == 0 and not window.previews.worker.busy
    assert not any(isinstance(i, ThumbnailItem) for i in scene.items())


def window_document_without_data() -> Document:
    import netbuilder

    doc = netbuilder.new_document()
    net = GraphBuilder(doc, "model")
    x = net.add("input", shape=[4], name="features")
    x = net.add("dense", x, units=3, name="hidden")
    net.add("output", x, name="result")
    net.layout()
    return doc


def test_during_training_the_thumbnails_follow_the_runs_probes(
        qtbot: Any, window: MainWindow) -> None:
    editor = open_cnn(qtbot, window)
    session = window.training.session
    assert session is not None and session.editor is editor
    assert session.probe_interval == PROBE_INTERVAL_S, "probes asked for the thumbnails"

    record = RunRecord("probe test")
    record.write(Probe(1, 10, {"conv1": np.full((32, 26, 26), 3.0, dtype=np.float32)}))
    session.record = record
    session.updated.emit()
    shown = badge(editor, "conv1")
    assert shown is not None and shown.thumbnail is not None
    assert shown.thumbnail.low == shown.thumbnail.high == 3.0
    assert badge(editor, "hidden") is not None, "blocks the probe left out keep theirs"

    window.actions_by_name["block_previews"].trigger()
    assert session.probe_interval is None, "off: the run is not asked for probes"


def test_a_run_puts_its_probes_on_the_blocks_then_its_trained_weights(
        qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=2))
    editor = window.current_editor
    assert editor is not None
    qtbot.waitUntil(lambda: badge(editor, "hidden") is not None, timeout=WAIT_MS)
    runs_before = window.previews.worker.runs
    session = dock.session
    from_probes: list[bool] = []
    runs_during: list[int] = []

    def compare() -> None:  # after the preview's own slot: what the canvas shows now
        runs_during.append(window.previews.worker.runs)
        probe = session.record.probe if session.record is not None else None
        shown = badge(editor, "hidden")
        if probe is not None and shown is not None and shown.thumbnail is not None:
            expected = thumbnail(probe.activations["hidden"])
            from_probes.append(expected is not None and np.array_equal(
                shown.thumbnail.values, expected.values))

    session.updated.connect(compare)
    assert dock.start()
    qtbot.waitUntil(lambda: finished(dock), timeout=60_000)
    assert from_probes and all(from_probes), "the probe's activations were on the block"
    assert set(runs_during) == {runs_before}, "no preview beside the training"

    # The run's weights are the document's now: the next preview shows what they compute.
    assert editor.weights is not None
    expected = BlockPreviewer().run(editor.doc, weights=str(editor.weights))
    assert expected is not None
    node = item(editor, "hidden").node.id
    qtbot.waitUntil(lambda: window.previews.worker.runs > runs_before
                    and not window.previews.worker.busy, timeout=WAIT_MS)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: badge(editor, "hidden") is not None and np.array_equal(
        badge(editor, "hidden").thumbnail.values, expected["model"][node].values),
        timeout=WAIT_MS)


def test_while_training_an_edit_takes_outdated_thumbnails_off_at_once(
        qtbot: Any, window: MainWindow, monkeypatch: Any) -> None:
    editor = open_cnn(qtbot, window)
    qtbot.waitUntil(lambda: not window.previews.worker.busy, timeout=WAIT_MS)
    monkeypatch.setattr(window.previews, "_training", lambda: True)
    runs = window.previews.worker.runs

    set_param(editor, "pool1", pool_size=[3, 3])  # 32×13×13 becomes 32×8×8 downstream
    editor.check_now()
    assert badge(editor, "pool1") is None, "its shape changed: the old output is gone"
    assert badge(editor, "conv1") is not None and badge(editor, "hidden") is not None
    set_param(editor, "conv2", kernel_size=[30, 30])
    editor.check_now()
    assert all(badge(editor, n) is None for n in ("conv2", "pool2", "flatten", "hidden"))
    assert badge(editor, "conv1") is not None
    QApplication.processEvents()
    assert window.previews.worker.runs == runs and not window.previews.worker.busy, \
        "no preview beside a run: its probes bring new thumbnails"
