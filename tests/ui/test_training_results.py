"""The Training dock's Results tab: the view of each recipe fills in during the first epoch;
the confusion matrix counts the validation split and a click on a cell shows its samples; the
decision boundary, the GAN grid and the VAE panels receive pictures; the prompt box writes
text off the GUI thread, from a running job and from the weights after it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train import results as kinds
from netbuilder.train.events import Results
from netbuilder.train.recipes import RECIPES
from netbuilder.train.record import RunRecord
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.training.results import VIEWS, ResultsView
from netbuilder.ui.training.results.boundary import BoundaryView
from netbuilder.ui.training.results.classification import ClassificationView
from netbuilder.ui.training.results.gan import GanView
from netbuilder.ui.training.results.text import TextView
from netbuilder.ui.training.results.vae import VaeView
from netbuilder.ui.training.session import State
from tests.ui.test_training_dock import finished, moons_document

LEFT = Qt.MouseButton.LeftButton
EXAMPLES = sorted(path.stem for path in example_path("mnist_cnn").parent.glob("*.nbg"))


def open_example(qtbot: Any, window: MainWindow, doc: netbuilder.Document, title: str,
                 **training: object) -> Any:
    """Opens ``doc`` on the CPU with the Results tab shown; waits until Train may start."""
    doc.training.update({"device": "cpu", **training})
    window.add_document(doc, title=title)
    dock = window.training
    window.training_dock.show()
    window.training_dock.raise_()
    dock.views.setCurrentWidget(dock.results)
    qtbot.waitUntil(lambda: dock.start_button.isEnabled() and dock._preview_key is None,
                    timeout=30_000)
    return dock


def shown_view(dock: Any) -> ResultsView:
    view = dock.results.stack.currentWidget()
    assert isinstance(view, ResultsView)
    return view


def latest(dock: Any) -> Any:
    record = dock.session.record if dock.session is not None else None
    return record.results.latest if record is not None else None


def test_every_recipe_kind_has_a_view_class() -> None:
    assert set(VIEWS) == set(kinds.KINDS)
    assert {recipe.results for recipe in RECIPES.values()} <= set(VIEWS)
    assert all(view.kind == kind for kind, view in VIEWS.items())


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_bundled_example_fills_its_results_view_in_the_first_epoch(
        qtbot: Any, window: MainWindow, name: str) -> None:
    doc = netbuilder.load(example_path(name))
    dock = open_example(qtbot, window, doc, name)
    recipe = RECIPES[doc.training["recipe"]]
    view = shown_view(dock)
    assert view.kind == recipe.results and not dock.results.message.isHidden()
    qtbot.mouseClick(dock.start_button, LEFT)
    assert dock.views.currentWidget() is dock.results  # starting keeps the results in view
    qtbot.waitUntil(lambda: latest(dock) is not None, timeout=60_000)
    first = latest(dock)
    assert first.kind == recipe.results and first.epoch == 1
    qtbot.waitUntil(lambda: dock.results.message.isHidden(), timeout=5_000)
    assert shown_view(dock) is view and view._shown_count >= 1
    dock.stop()
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)


def test_a_hidden_results_tab_costs_the_run_nothing(qtbot: Any, window: MainWindow) -> None:
    dock = open_example(qtbot, window, moons_document(epochs=3), "moons")
    dock.views.setCurrentWidget(dock.curves)
    assert not dock.session.results_shown
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    assert dock.session.record.results.count == 0
    dock.views.setCurrentWidget(dock.results)
    assert dock.session.results_shown and dock.session.runner.control.results_wanted


def test_the_confusion_matrix_counts_the_validation_split_and_shows_a_cells_samples(
        qtbot: Any, window: MainWindow) -> None:
    dock = open_example(qtbot, window, moons_document(epochs=3), "moons")
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    view = shown_view(dock)
    assert isinstance(view, ClassificationView)
    event = latest(dock)
    assert event.final and event.epoch == 3
    held = round(200 * 0.2)  # the moons' train split held out for validation
    assert int(view.matrix.counts.sum()) == held == len(event.true)
    assert f"{held:,} samples" in view.matrix_title.text()
    # 2-D points: the decision regions show beside the matrix.
    assert view.plane_panel.isVisible() and view.plane.image.image is not None
    # Click the matrix cell that holds the most samples: its samples are listed.
    counts = view.matrix.counts
    row, column = divmod(int(counts.argmax()), len(counts))
    centre = view.matrix.cell_centre(row, column).toPoint()
    qtbot.mouseClick(view.matrix, LEFT, pos=centre)
    assert view.cell == (row, column) and view.matrix.selected == (row, column)
    shown = view.shown_indices()
    assert len(shown) == counts[row, column]
    assert np.all(event.true[shown] == row) and np.all(event.predicted[shown] == column)
    assert view.lines.count() == min(len(shown), 32)  # 2-D points are shown as text
    assert view.samples_title.text().startswith(f"True {row}, predicted {column}")
    qtbot.mouseClick(view.matrix, LEFT, pos=centre)  # again: back to the worst mistakes
    assert view.cell is None and "mistakes" in view.samples_title.text()


def test_the_cnn_shows_its_worst_mistakes_as_pictures(qtbot: Any, window: MainWindow) -> None:
    doc = netbuilder.load(example_path("mnist_cnn"))
    dock = open_example(qtbot, window, doc, "mnist_cnn", epochs=1)
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=120_000)
    view = shown_view(dock)
    assert isinstance(view, ClassificationView)
    assert int(view.matrix.counts.sum()) == len(latest(dock).true)
    wrong = int(view.matrix.counts.sum() - np.trace(view.matrix.counts))
    assert view.pictures.count == min(wrong, 24) and view.pictures.has_image
    assert len(view.pictures.notes) == view.pictures.count


def test_the_perceptron_boundary_receives_its_plane(qtbot: Any, window: MainWindow) -> None:
    doc = netbuilder.load(example_path("perceptron"))
    dock = open_example(qtbot, window, doc, "perceptron", epochs=2)
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=60_000)
    view = shown_view(dock)
    assert isinstance(view, BoundaryView)
    image = view.plane.image.image
    assert image is not None and image.shape[:2] == (64, 64)
    assert len(view.plane.points.data) == 200
    assert "Decision boundary · end of epoch 2" in view.title.text()


def test_the_gan_grid_keeps_an_epoch_for_the_slider(qtbot: Any) -> None:
    view = GanView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    record = RunRecord("gan")
    grids = [np.full((16, 1, 28, 28), level, np.float32) for level in (0.2, 0.5, 0.8)]
    for epoch, grid in enumerate(grids[:2], start=1):
        record.write(Results(kinds.GAN, epoch, 10 * epoch, final=True,
                             images={"fixed noise": grid}))
    assert view.show_record(record)
    assert view.slider.maximum() == 1 and view.slider.value() == 1
    assert view.grid.title == "Fixed noise after epoch 2" and view.grid.count == 16
    # A mid-epoch grid is the live end of the slider, which follows it.
    record.write(Results(kinds.GAN, 3, 25, images={"fixed noise": grids[2]}))
    view.show_record(record)
    assert view.slider.maximum() == 2 and view.slider.value() == 2
    assert view.slider_label.text() == "epoch 3 (live)"
    # Moved back, it stays on the epoch chosen while new grids come.
    view.slider.setValue(0)
    assert view.grid.title == "Fixed noise after epoch 1"
    assert view.slider_label.text() == "epoch 1 of 2"
    record.write(Results(kinds.GAN, 3, 30, final=True, images={"fixed noise": grids[2]}))
    view.show_record(record)
    assert view.slider.value() == 0 and view.grid.title == "Fixed noise after epoch 1"
    assert sorted(record.results.epoch_images) == [1, 2, 3]


def test_the_vae_panels_receive_pictures(qtbot: Any, window: MainWindow) -> None:
    doc = netbuilder.load(example_path("vae_mnist"))
    dock = open_example(qtbot, window, doc, "vae_mnist", epochs=1)
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=120_000)
    view = shown_view(dock)
    assert isinstance(view, VaeView)
    assert view.reconstructions.count == 16  # 8 inputs above their 8 reconstructions
    assert view.prior.count == 16
    assert view.walk.count == 49 and view.walk.title.startswith("Latent walk: z")


def test_the_prompt_box_writes_text_during_and_after_the_run(qtbot: Any,
                                                            window: MainWindow) -> None:
    doc = netbuilder.load(example_path("char_rnn"))
    dock = open_example(qtbot, window, doc, "char_rnn", epochs=100_000)
    qtbot.mouseClick(dock.start_button, LEFT)
    view = shown_view(dock)
    assert isinstance(view, TextView)
    qtbot.waitUntil(lambda: latest(dock) is not None, timeout=30_000)
    # While it trains: the running job answers from its latest weights.
    qtbot.keyClicks(view.prompt, "wor")
    view.temperature.setValue(0)
    qtbot.mouseClick(view.generate_button, LEFT)
    assert view.pending is not None
    qtbot.waitUntil(lambda: view.replies == 1, timeout=30_000)
    assert view.output.toPlainText().startswith("wor")
    assert len(view.output.toPlainText()) == 3 + view.length.value()
    assert dock.session.state is State.RUNNING
    qtbot.waitUntil(lambda: dock.session.record.epoch >= 2, timeout=30_000)  # weights kept
    dock.stop()
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    # After it: a background task writes with the run's weights.
    view.temperature.setValue(20)
    view.length.setValue(25)
    qtbot.keyClick(view.prompt, Qt.Key.Key_Return)
    assert view.task is not None, view.status.text()
    qtbot.waitUntil(lambda: view.replies == 2, timeout=30_000)
    text = view.output.toPlainText()
    assert text.startswith("wor") and len(text) == 3 + 25
    assert set(text) <= set("helo wrd")
