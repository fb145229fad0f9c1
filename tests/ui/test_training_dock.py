"""Training from the dock: start with the mouse, watch every step arrive, pause, change the
learning rate, stop, fail and start again, close mid-run; settings as undoable steps; the
checks shown before Start; the history after a restart."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.core.graph import Document
from netbuilder.train.events import Failed, Finished
from netbuilder.train.runstore import RunStore
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.training.session import HISTORY_FILE, State, history_folder
from tests.helpers import moons_classifier
from tests.ui.shell_support import FakeDialogs, close_quietly, show_window

LEFT = Qt.MouseButton.LeftButton


def moons_document(epochs: int = 3, lr: float = 0.01, optimizer: str = "adam") -> Document:
    """A small classifier of the built-in 2-D moons: trains in a fraction of a second."""
    return moons_classifier(epochs, lr=lr, optimizer=optimizer)


def ready(qtbot: Any, window: MainWindow, doc: Document, title: str = "moons",
          timeout: int = 10_000) -> Any:
    """Opens ``doc`` and waits until the dock may start it (its data previewed)."""
    window.add_document(doc, title=title)
    dock = window.training
    window.training_dock.show()
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: dock.start_button.isEnabled() and dock._preview_key is None,
                    timeout=timeout)
    return dock


def finished(dock: Any) -> bool:
    session = dock.session
    return session is not None and session.state is State.IDLE and session.record is not None \
        and session.record.outcome is not None


def test_train_with_the_mouse_and_every_step_reaches_the_curve(qtbot: Any,
                                                               window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=3))
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    record = dock.session.record
    assert isinstance(record.outcome, Finished)
    steps = record.started.steps_per_epoch * 3
    assert len(record.series["loss"]) == steps == record.step
    assert len(record.epochs.epochs) == 3 and record.has_accuracy()
    xs, _ys = dock.curves.lines.points("raw")
    assert len(xs) and xs[0] == 1 and xs[-1] == steps
    assert dock.start_button.isEnabled() and "Finished in" in dock.message.text()
    assert window.editors()[0].weights is not None  # the run's weights are the document's


def test_pause_resume_change_the_rate_and_stop(qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=100_000))
    qtbot.mouseClick(dock.start_button, LEFT)
    session = dock.session
    qtbot.waitUntil(lambda: session.record.step > 20, timeout=10_000)
    qtbot.mouseClick(dock.pause_button, LEFT)
    assert session.state is State.PAUSED and dock.pause_button.text() == "Resume"
    qtbot.wait(300)  # a report may still be on its way
    paused_at = session.record.step
    qtbot.wait(400)
    assert session.record.step == paused_at
    dock.form.lr.setText("0.05")
    dock.form.lr.editingFinished.emit()
    assert window.editors()[0].doc.training["lr"] == 0.05
    qtbot.mouseClick(dock.pause_button, LEFT)
    assert session.state is State.RUNNING
    qtbot.waitUntil(lambda: session.record.lr == 0.05, timeout=10_000)
    assert session.record.step > paused_at
    qtbot.mouseClick(dock.stop_button, LEFT)
    started = time.monotonic()
    qtbot.waitUntil(lambda: finished(dock), timeout=5_000)
    assert time.monotonic() - started < 2.0
    assert session.record.outcome.metrics["stopped"]
    assert "Stopped after" in dock.message.text()


def test_a_failing_run_shows_its_advice_and_trains_again(qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=20, lr=1e6, optimizer="sgd"))
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    outcome = dock.session.record.outcome
    assert isinstance(outcome, Failed) and outcome.kind in ("not_finite", "diverged")
    assert "Lower the learning rate" in dock.message.text()
    assert dock.start_button.isEnabled()
    dock.form.lr.setText("0.01")
    dock.form.lr.editingFinished.emit()
    dock.form.epochs.setValue(2)
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    assert isinstance(dock.session.record.outcome, Finished)


def test_closing_the_window_mid_run_stops_and_joins_the_worker(qtbot: Any,
                                                               dialogs: FakeDialogs) -> None:
    window = show_window(qtbot)
    try:
        dock = ready(qtbot, window, moons_document(epochs=100_000))
        qtbot.mouseClick(dock.start_button, LEFT)
        session = dock.session
        qtbot.waitUntil(lambda: session.record.step > 5, timeout=10_000)
        thread = session.runner._thread
        started = time.monotonic()
        close_quietly(window)
        assert time.monotonic() - started < 2.5
        assert thread is not None and not thread.is_alive()
    finally:
        QApplication.processEvents()
    # The run went into the history as stopped.
    with RunStore(history_folder() / HISTORY_FILE) as store:
        assert [row.status for row in store.runs()] == ["stopped"]


def test_settings_are_undoable_steps_that_save_in_the_file(qtbot: Any, window: MainWindow,
                                                           tmp_path: Any) -> None:
    dock = ready(qtbot, window, moons_document())
    editor = window.editors()[0]
    assert not editor.modified
    dock.form.epochs.setValue(7)
    dock.form.epochs.setValue(9)
    assert editor.doc.training["epochs"] == 9 and editor.modified
    assert editor.undo_stack.count() == 1  # two edits of one field: one step
    editor.undo_stack.undo()
    assert editor.doc.training["epochs"] == 3 and dock.form.epochs.value() == 3
    editor.undo_stack.redo()
    index = dock.form.optimizer.findData("sgd")
    dock.form.optimizer.setCurrentIndex(index)
    dock.form.optimizer.activated.emit(index)
    path = tmp_path / "moons.nbg"
    editor.save(path)
    saved = netbuilder.load(path).training
    assert saved["epochs"] == 9 and saved["optimizer"] == "sgd"


def test_a_refused_value_is_marked_and_not_stored(qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document())
    dock.form.lr.setText("-1")
    dock.form.lr.editingFinished.emit()
    assert window.editors()[0].doc.training["lr"] == 0.01
    assert dock.form.problem.isVisibleTo(dock.form.basic)
    assert "'lr' must be a number > 0" in dock.form.problem.text()


def test_a_new_document_says_what_to_do_first(qtbot: Any, window: MainWindow) -> None:
    window.new_document()
    dock = window.training
    qtbot.waitUntil(lambda: bool(window.problems.problems()), timeout=5_000)
    (problem,) = window.problems.problems()
    assert problem.severity == "warning" and "is empty: drag an Input block" in problem.message
    assert not dock.start_button.isEnabled()
    assert "is empty" in dock.start_button.toolTip()


def test_data_that_does_not_fit_is_shown_on_the_input_before_start(qtbot: Any,
                                                                   window: MainWindow) -> None:
    doc = moons_document()
    doc.training["dataset"] = "digits"
    window.add_document(doc, title="moons")
    dock = window.training
    point = doc.network().node_by_name("point")
    assert point is not None

    def blamed() -> bool:
        return any(p.node == point.id for p in window.problems.problems())

    qtbot.waitUntil(blamed, timeout=10_000)
    problem = next(p for p in window.problems.problems() if p.node == point.id)
    assert "Cannot train yet" in problem.message and "(1, 28, 28)" in problem.message
    assert not dock.start_button.isEnabled() and "(1, 28, 28)" in dock.start_button.toolTip()


def test_a_missing_loss_names_the_block_and_the_recipe(qtbot: Any, window: MainWindow) -> None:
    doc = moons_document()
    graph = doc.network()
    loss = graph.node_by_name("loss")
    label = graph.node_by_name("label")
    for edge in [e for e in graph.edges.values() if e.target == loss.id]:  # type: ignore[union-attr]
        doc.remove_edge(graph, edge.id)
    doc.remove_node(graph, loss.id)  # type: ignore[union-attr]
    doc.remove_node(graph, label.id)  # type: ignore[union-attr]
    window.add_document(doc, title="moons")
    classes = graph.node_by_name("classes")
    qtbot.waitUntil(lambda: any(p.node == classes.id  # type: ignore[union-attr]
                                for p in window.problems.problems()), timeout=5_000)
    assert not window.training.start_button.isEnabled()


def test_the_history_holds_the_run_after_a_restart(qtbot: Any, dialogs: FakeDialogs) -> None:
    window = show_window(qtbot)
    try:
        dock = ready(qtbot, window, moons_document(epochs=2))
        qtbot.mouseClick(dock.start_button, LEFT)
        qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
        steps = dock.session.record.step
    finally:
        close_quietly(window)
    again = show_window(qtbot)
    try:
        again.add_document(moons_document(), title="moons")
        runs = again.training.history.model_rows() if hasattr(
            again.training.history, "model_rows") else None
        with RunStore(history_folder() / HISTORY_FILE) as store:
            (row,) = store.runs()
            assert row.status == "finished" and len(store.steps(row.id)[1]) == steps
            assert row.weights is not None
        assert runs is None or len(runs) == 1
    finally:
        close_quietly(again)


@pytest.mark.parametrize("name", ["F5", "F6", "Shift+F5"])
def test_the_training_commands_have_their_keys_and_sit_in_the_menu(window: MainWindow,
                                                                   name: str) -> None:
    menu = next(m for m in window.menus.values() if m.title() == "&Training")
    keys = [a.shortcut().toString() for a in menu.actions()]
    assert name in keys


def test_editing_the_graph_mid_run_says_the_run_trains_the_old_one(qtbot: Any,
                                                                   window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=100_000))
    qtbot.mouseClick(dock.start_button, LEFT)
    session = dock.session
    qtbot.waitUntil(lambda: session.record.step > 5, timeout=10_000)
    editor = window.editors()[0]
    hidden = editor.doc.network().node_by_name("hidden")
    assert hidden is not None
    editor.push(netbuilder.core.commands.SetParams("model", [hidden.id], {"units": 8}))
    qtbot.waitUntil(lambda: "graph changed since this run began" in dock.message.text(),
                    timeout=5_000)
    assert session.state is State.RUNNING  # the run goes on with the graph it began with
    dock.stop()
    qtbot.waitUntil(lambda: finished(dock), timeout=5_000)


def test_closing_a_document_mid_run_stops_its_run(qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=100_000))
    qtbot.mouseClick(dock.start_button, LEFT)
    session = dock.session
    qtbot.waitUntil(lambda: session.record.step > 5, timeout=10_000)
    thread = session.runner._thread
    editor = window.editors()[0]
    editor.undo_stack.setClean()
    started = time.monotonic()
    window.remove_document(editor)
    assert time.monotonic() - started < 2.5
    assert thread is not None and not thread.is_alive()
    assert not dock.sessions and dock.session is None


def test_the_curves_export_every_step_as_csv_and_the_plots_as_png(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, tmp_path: Any) -> None:
    dock = ready(qtbot, window, moons_document(epochs=2))
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    csv_path, png_path = tmp_path / "steps.csv", tmp_path / "plots.png"
    dialogs.save_paths += [str(csv_path), str(png_path)]
    actions = dock.curves.export_button.menu().actions()
    actions[1].trigger()
    actions[0].trigger()
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("step,epoch,loss")
    assert len(lines) - 1 == dock.session.record.step
    assert png_path.stat().st_size > 1000


def test_the_read_out_names_step_epoch_and_values(qtbot: Any, window: MainWindow) -> None:
    dock = ready(qtbot, window, moons_document(epochs=2))
    qtbot.mouseClick(dock.start_button, LEFT)
    qtbot.waitUntil(lambda: finished(dock), timeout=30_000)
    record = dock.session.record
    per_epoch = record.started.steps_per_epoch
    text = dock.curves.readout_at(per_epoch + 1)
    value = record.series["loss"].values[per_epoch]
    assert text.startswith(f"step {per_epoch + 1:,} · epoch 2 · loss {value:.4g}")
    assert "smoothed" in text
    assert dock.curves.readout_at(10**9) == ""


def _curves_showing(qtbot: Any, epochs: int, width: int = 800, height: int = 400) -> Any:
    """A CurvesView of its own, shown at ``width`` x ``height``, drawing a run of ``epochs``."""
    from netbuilder.ui.training.curves import CurvesView
    from tests.helpers import long_run

    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    view.show_record(long_run(epochs))
    view.refresh()
    return view


@pytest.mark.parametrize("epochs", [10, 5000])
def test_epoch_dots_while_they_fit_then_an_envelope_that_stays_small(qtbot: Any,
                                                                     epochs: int) -> None:
    """Thousands of short epochs must not make each redraw grow with the run."""
    view = _curves_showing(qtbot, epochs)
    columns = max(32, int(view.loss_plot.getViewBox().width()))
    drawn = view.val_loss.xData
    if epochs == 10:
        assert len(drawn) == 10 and view.val_loss.opts["symbol"] == "o"
    else:
        assert 0 < len(drawn) <= 2 * columns and view.val_loss.opts["symbol"] is None
        # The envelope keeps the extremes: the first epoch's (largest) validation loss.
        assert float(np.max(view.val_loss.yData)) == 2.0
    assert len(view.lr.xData) <= max(2 * columns, 2 * epochs)


def test_the_hover_step_line_leaves_the_widgets_own_cursor_alone(qtbot: Any) -> None:
    """The vertical line that follows the mouse is not the widget's ``cursor()``: naming it
    ``cursor`` once hid QWidget.cursor, so asking the curves for their mouse cursor failed."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor

    view = _curves_showing(qtbot, 10)
    assert isinstance(view.cursor(), QCursor)
    assert view.cursor().shape() == Qt.CursorShape.ArrowCursor

    # Moving the mouse over the loss plot shows the step line there.
    box = view.loss_plot.getViewBox()
    centre = view.plots.mapFromScene(box.sceneBoundingRect().center())
    qtbot.mouseMove(view.plots.viewport(), QPoint(centre.x(), centre.y()))
    qtbot.waitUntil(view.step_line.isVisible, timeout=2000)
    assert view.step_line.value() == round(box.mapSceneToView(
        view.plots.mapToScene(centre)).x())


def test_plots_that_outgrew_their_view_fit_it_again_at_the_next_redraw(qtbot: Any) -> None:
    """A moment's wide axis labels once left the learning-rate plot cut off for good."""
    view = _curves_showing(qtbot, 10, 520, 300)
    layout = view.plots.centralWidget
    width = view.plots.viewport().width()
    assert layout.geometry().width() == width
    # Labels as wide as an axis can briefly need: the plots' minimum passes the view's width,
    # and Qt widens their layout past the view.
    axis = view.lr_plot.getAxis("left")
    axis.setWidth(width)
    QApplication.processEvents()
    assert layout.geometry().width() > width
    axis.setWidth(None)  # back to labels that fit
    QApplication.processEvents()
    view.refresh()
    assert layout.geometry().width() == width
