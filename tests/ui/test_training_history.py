"""The Runs tab: the run history's table, its filter, deletes and the trade-off graph."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMessageBox, QWidget

from netbuilder.train import runstore
from netbuilder.train.runstore import RunInfo, RunStore, RunStoreError
from netbuilder.ui import theme
from netbuilder.ui.training.history import (
    BEST_VAL_ACCURACY,
    BEST_VAL_LOSS,
    COMPUTE,
    DEVICE,
    DOCUMENT,
    DURATION,
    FINAL_LOSS,
    NAME,
    NO_DOCUMENT_RUNS,
    NO_RUNS,
    PARAMETERS,
    SAMPLES,
    SHOW,
    STARTED,
    STATUS,
    RunHistoryView,
    format_compute,
    pareto_front,
)

START = 1_780_000_000.0  # a fixed moment, so that the Started and Duration cells are known


def add_run(
    store: RunStore,
    name: str,
    *,
    document: str = "mnist.nbg",
    recipe: str = "classification",
    status: str = "finished",
    parameters: int = 225_034,
    macs: int = 1_000_000,
    samples: int = 60_000,
    final_loss: float | None = 0.3,
    val_loss: float | None = 0.25,
    val_accuracy: float | None = 0.9,
    started: float | None = None,
    duration: float = 125.0,
    weights: Path | None = None,
    message: str | None = None,
) -> int:
    """A run in the history, finished with these figures (or still running)."""
    started = START + len(store.runs()) * 60 if started is None else started
    run_id = store.create_run(RunInfo(
        name=name, document=document, doc_hash="0123abcd", network="classifier",
        recipe=recipe, settings={"epochs": 2}, device="cpu", parameters=parameters,
        macs_per_sample=macs, started=started))
    fields: dict[str, Any] = {
        "samples_seen": samples, "final_loss": final_loss, "best_val_loss": val_loss,
        "best_val_accuracy": val_accuracy, "message": message,
        "weights": str(weights) if weights is not None else None,
    }
    if status == "running":
        store.update_run(run_id, **fields)
    else:
        store.finish_run(run_id, status, ended=started + duration, **fields)
    return run_id


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    opened = RunStore(tmp_path / "runs.sqlite")
    yield opened
    opened.close()


@pytest.fixture
def view(qtbot: Any) -> RunHistoryView:
    widget = RunHistoryView()
    qtbot.addWidget(widget)
    widget.resize(900, 260)
    return widget


def cell(view: RunHistoryView, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole
         ) -> Any:
    return view.proxy.index(row, column).data(role)


def column_texts(view: RunHistoryView, column: int) -> list[str]:
    return [cell(view, row, column) for row in range(view.proxy.rowCount())]


def row_of(view: RunHistoryView, run_id: int) -> int:
    for row in range(view.proxy.rowCount()):
        if view.proxy.index(row, 0).data(Qt.ItemDataRole.UserRole) == run_id:
            return row
    raise AssertionError(f"run {run_id} is not listed")


# ----- pure helpers ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (950, "950"), (999.4, "999"), (1_234, "1.2 k"), (3.4e6, "3.4 M"),
    (5.6e9, "5.6 G"), (7.8e12, "7.8 T"), (9.1e15, "9.1 P"), (12.34e9, "12.3 G"),
    (123.4e9, "123 G"), (999.96e3, "1.0 M"), (999.6, "1.0 k"), (math.nan, "—"),
])
def test_format_compute(value: float, text: str) -> None:
    assert format_compute(value) == text


def test_pareto_front_by_hand() -> None:
    assert pareto_front([]) == []
    assert pareto_front([(3.0, 0.5)]) == [0]
    # (2, 0.4) is beaten by (1, 0.3) on both; (4, 0.1) and (3, 0.2) each win on one.
    points = [(4.0, 0.1), (2.0, 0.4), (1.0, 0.3), (3.0, 0.2)]
    assert pareto_front(points) == [2, 3, 0]
    # Ties: the same cost and a worse error is beaten, the same error at more cost is beaten,
    # and two equal points are both on the front (neither beats the other).
    ties = [(1.0, 0.5), (1.0, 0.7), (2.0, 0.5), (3.0, 0.2), (3.0, 0.2), (0.5, 0.9)]
    assert pareto_front(ties) == [5, 0, 3, 4]
    # NaN and infinities are never on it and beat nothing.
    assert pareto_front([(math.nan, 0.0), (1.0, math.inf), (2.0, 0.3)]) == [2]
    # In increasing x, with y going down.
    front = pareto_front([(5.0, 1.0), (1.0, 5.0), (3.0, 3.0), (4.0, 4.0), (2.0, 4.5)])
    assert front == [1, 4, 2, 0]


# ----- the table ---------------------------------------------------------------------------

def test_rows_and_formatted_cells(view: RunHistoryView, store: RunStore,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = add_run(store, "baseline", parameters=225_034, macs=2_000_000, samples=600_000,
                    final_loss=0.1234567, val_loss=0.0612, val_accuracy=0.98123)
    failed = add_run(store, "too big", status="failed", val_accuracy=None, val_loss=None,
                     final_loss=None, message="Out of memory: lower the batch size")
    running = add_run(store, "still going", status="running")
    view.set_store(store, store.path.parent)
    view.set_document(None)

    assert view.proxy.rowCount() == 3
    # Newest first by default.
    assert [cell(view, row, NAME) for row in range(3)] == ["still going", "too big",
                                                           "baseline"]
    row = row_of(view, first)
    assert cell(view, row, DOCUMENT) == "mnist.nbg"
    assert cell(view, row, STATUS) == "finished"
    assert cell(view, row, STARTED) == time.strftime("%Y-%m-%d %H:%M", time.localtime(START))
    assert cell(view, row, DURATION) == "2 min 05 s"
    assert cell(view, row, PARAMETERS) == "225,034"
    assert cell(view, row, COMPUTE) == "3.6 T"  # 3 × 2M multiply-adds × 600k samples
    assert cell(view, row, SAMPLES) == "600,000"
    assert cell(view, row, FINAL_LOSS) == "0.1235"
    assert cell(view, row, BEST_VAL_LOSS) == "0.0612"
    assert cell(view, row, BEST_VAL_ACCURACY) == "98.12%"
    assert cell(view, row, DEVICE) == "cpu"
    assert cell(view, row, SHOW, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert view.proxy.index(row, NAME).flags() & Qt.ItemFlag.ItemIsEditable
    assert not view.proxy.index(row, STATUS).flags() & Qt.ItemFlag.ItemIsEditable

    row = row_of(view, failed)
    assert cell(view, row, STATUS) == "failed"
    assert cell(view, row, STATUS, Qt.ItemDataRole.ToolTipRole) == \
        "Out of memory: lower the batch size"
    assert cell(view, row, BEST_VAL_ACCURACY) == "—"
    assert cell(view, row, STATUS, Qt.ItemDataRole.ForegroundRole) == theme.current().error
    assert cell(view, row_of(view, first), STATUS, Qt.ItemDataRole.ToolTipRole) is None

    assert cell(view, row_of(view, running), STATUS) == "running"
    # A writer that stopped beating: the run says "running" but its process is gone.
    monkeypatch.setattr(runstore, "STALE_S", -1.0)
    view.refresh()
    row = row_of(view, running)
    assert cell(view, row, STATUS) == "interrupted"
    assert "stopped without ending" in cell(view, row, STATUS, Qt.ItemDataRole.ToolTipRole)


def test_sorting_numeric_columns_sorts_numbers(view: RunHistoryView, store: RunStore) -> None:
    # As text "100" < "1,000" < "9" < "90,000"; as numbers 9 < 100 < 1,000 < 90,000.
    for name, parameters in (("a", 1_000), ("b", 9), ("c", 90_000), ("d", 100)):
        add_run(store, name, parameters=parameters)
    add_run(store, "no accuracy", parameters=5, val_accuracy=None)
    view.set_store(store)
    view.set_document(None)
    view.table.sortByColumn(PARAMETERS, Qt.SortOrder.AscendingOrder)
    assert column_texts(view, PARAMETERS) == ["5", "9", "100", "1,000", "90,000"]
    view.table.sortByColumn(PARAMETERS, Qt.SortOrder.DescendingOrder)
    assert column_texts(view, PARAMETERS) == ["90,000", "1,000", "100", "9", "5"]
    # A run without a figure sorts after every number.
    view.table.sortByColumn(BEST_VAL_ACCURACY, Qt.SortOrder.AscendingOrder)
    assert column_texts(view, BEST_VAL_ACCURACY)[-1] == "—"


def test_rename_in_place_writes_the_store(view: RunHistoryView, store: RunStore) -> None:
    run_id = add_run(store, "first try")
    view.set_store(store)
    index = view.proxy.index(row_of(view, run_id), NAME)
    assert index.data(Qt.ItemDataRole.EditRole) == "first try"
    assert view.proxy.setData(index, "  wider layers ", Qt.ItemDataRole.EditRole)
    assert store.run(run_id).name == "wider layers"
    assert index.data() == "wider layers"
    assert not view.proxy.setData(index, "   ", Qt.ItemDataRole.EditRole)  # no empty names
    assert store.run(run_id).name == "wider layers"


def test_f2_opens_the_name_editor_and_enter_activates(qtbot: Any, view: RunHistoryView,
                                                      store: RunStore) -> None:
    run_id = add_run(store, "first try")
    view.set_store(store)
    view.show()
    qtbot.waitExposed(view)
    table = view.table
    table.setFocus()
    table.setCurrentIndex(view.proxy.index(0, NAME))
    qtbot.keyClick(table, Qt.Key.Key_F2)
    assert table.state() == QAbstractItemView.State.EditingState
    table.closePersistentEditor(view.proxy.index(0, NAME))
    table.setCurrentIndex(view.proxy.index(0, STATUS))
    table.setFocus()
    with qtbot.waitSignal(view.run_activated, timeout=1000) as activated:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert activated.args == [run_id]


def double_click(widget: QWidget, position: QPoint) -> None:
    """Press, release, double-click, release: what a user's double-click delivers.

    QTest's mouseDClick delivered only the first press to the table offscreen (no
    doubleClicked signal), so the events are sent by hand.
    """
    point = QPointF(position)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, buttons in ((QEvent.Type.MouseButtonPress, left),
                          (QEvent.Type.MouseButtonRelease, none),
                          (QEvent.Type.MouseButtonDblClick, left),
                          (QEvent.Type.MouseButtonRelease, none)):
        event = QMouseEvent(kind, point, widget.mapToGlobal(point), Qt.MouseButton.LeftButton,
                            buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def test_double_click_outside_the_name_activates(qtbot: Any, view: RunHistoryView,
                                                 store: RunStore) -> None:
    run_id = add_run(store, "first try")
    view.set_store(store)
    view.show()
    qtbot.waitExposed(view)
    table = view.table
    seen: list[int] = []
    view.run_activated.connect(seen.append)
    table.scrollTo(view.proxy.index(0, STATUS))
    rect = table.visualRect(view.proxy.index(0, STATUS))
    assert table.viewport().rect().contains(rect.center())
    double_click(table.viewport(), rect.center())
    assert seen == [run_id]
    table.scrollTo(view.proxy.index(0, NAME))
    rect = table.visualRect(view.proxy.index(0, NAME))
    double_click(table.viewport(), rect.center())
    assert seen == [run_id]  # the Name cell edits instead
    assert table.state() == QAbstractItemView.State.EditingState


def test_show_boxes_emit_overlays(qtbot: Any, view: RunHistoryView, store: RunStore) -> None:
    older = add_run(store, "older")
    newer = add_run(store, "newer")
    view.set_store(store)
    with qtbot.waitSignal(view.overlays_changed, timeout=1000) as ticked:
        view.proxy.setData(view.proxy.index(row_of(view, newer), SHOW), Qt.CheckState.Checked,
                           Qt.ItemDataRole.CheckStateRole)
    assert ticked.args == [[newer]]
    # Qt's delegate hands the state over as an int.
    with qtbot.waitSignal(view.overlays_changed, timeout=1000) as ticked:
        view.proxy.setData(view.proxy.index(row_of(view, older), SHOW),
                           Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert ticked.args == [[newer, older]]
    assert view.overlay_ids() == [newer, older]
    assert cell(view, row_of(view, older), SHOW, Qt.ItemDataRole.CheckStateRole) == \
        Qt.CheckState.Checked
    with qtbot.waitSignal(view.overlays_changed, timeout=1000) as ticked:
        view.set_overlay(newer, False)
    assert ticked.args == [[older]]
    with qtbot.assertNotEmitted(view.overlays_changed):
        view.set_overlay(older, True)  # already ticked: nothing changes


def test_refresh_keeps_selection_sort_and_ticks(view: RunHistoryView, store: RunStore) -> None:
    ids = [add_run(store, f"run {n}", parameters=n * 1000) for n in (3, 1, 2)]
    view.set_store(store)
    view.table.sortByColumn(PARAMETERS, Qt.SortOrder.AscendingOrder)
    view.set_overlay(ids[2], True)
    view.table.selectRow(row_of(view, ids[0]))
    assert view.selected_ids() == [ids[0]]
    newest = add_run(store, "run 4", parameters=500)
    view.refresh()
    assert view.proxy.rowCount() == 4
    assert view.selected_ids() == [ids[0]]
    assert view.overlay_ids() == [ids[2]]
    assert column_texts(view, PARAMETERS) == ["500", "1,000", "2,000", "3,000"]
    assert cell(view, 0, NAME) == "run 4" and row_of(view, newest) == 0


def test_delete_removes_runs_and_only_files_in_the_runs_folder(
        qtbot: Any, view: RunHistoryView, store: RunStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    inside = folder / "run-1.pt"
    elsewhere = tmp_path / "mine" / "weights.pt"
    elsewhere.parent.mkdir()
    for path in (inside, inside.with_suffix(".ckpt"), elsewhere, elsewhere.with_suffix(".ckpt")):
        path.write_bytes(b"weights")
    keep = add_run(store, "keep me")
    ours = add_run(store, "ours", weights=inside)
    theirs = add_run(store, "theirs", weights=elsewhere)
    view.set_store(store, folder)
    view.set_overlay(ours, True)
    asked: list[str] = []

    def answer(*args: Any, **_kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    view.table.selectRow(row_of(view, ours))
    view.table.selectionModel().select(
        view.proxy.index(row_of(view, theirs), 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert sorted(view.selected_ids()) == sorted([ours, theirs])
    assert view.delete_button.isEnabled()
    with qtbot.waitSignal(view.overlays_changed, timeout=1000) as overlays:
        qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert overlays.args == [[]]
    assert asked and "Delete 2 runs?" in asked[0]
    assert [run.id for run in store.runs()] == [keep]
    assert not inside.exists() and not inside.with_suffix(".ckpt").exists()
    assert elsewhere.exists() and elsewhere.with_suffix(".ckpt").exists()
    assert view.proxy.rowCount() == 1

    # "No" keeps everything; the button does what the key does.
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *_args, **_kwargs: QMessageBox.StandardButton.No)
    view.table.selectRow(0)
    view.delete_button.click()
    assert [run.id for run in store.runs()] == [keep]


def test_delete_keeps_a_run_still_training(view: RunHistoryView, store: RunStore,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    running = add_run(store, "live", status="running")
    view.set_store(store)
    asked: list[object] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **_kwargs: asked.append(args) or
                        QMessageBox.StandardButton.Yes)
    view.table.selectRow(0)
    view.delete_selected()
    assert not asked
    assert [run.id for run in store.runs()] == [running]
    assert "still training" in view.message_text()


def test_this_document_only(view: RunHistoryView, store: RunStore) -> None:
    view.set_store(store)
    assert view.stack.currentWidget() is view.empty_label
    assert view.empty_label.text() == NO_RUNS
    add_run(store, "mnist 1", document="mnist.nbg")
    add_run(store, "gan 1", document="gan.nbg")
    add_run(store, "mnist 2", document="mnist.nbg")
    view.refresh()
    assert view.document_only.isChecked()
    view.set_document("mnist.nbg")
    assert sorted(column_texts(view, NAME)) == ["mnist 1", "mnist 2"]
    assert view.table.isColumnHidden(DOCUMENT)
    view.document_only.setChecked(False)
    assert view.proxy.rowCount() == 3
    assert not view.table.isColumnHidden(DOCUMENT)
    view.document_only.setChecked(True)
    view.set_document("fresh.nbg")
    assert view.proxy.rowCount() == 0
    assert view.stack.currentWidget() is view.empty_label
    assert view.empty_label.text() == NO_DOCUMENT_RUNS
    assert len(view.scatter.points()) == 0
    # No document at all: every run, and the box cannot be used.
    view.set_document(None)
    assert view.proxy.rowCount() == 3
    assert not view.document_only.isEnabled()
    assert view.stack.currentWidget() is view.splitter


# ----- the trade-off graph -----------------------------------------------------------------

def test_scatter_has_one_point_per_run_with_an_error(view: RunHistoryView,
                                                     store: RunStore) -> None:
    cheap = add_run(store, "cheap", macs=1_000, val_accuracy=0.80)
    best = add_run(store, "best", macs=100_000, val_accuracy=0.95)
    beaten = add_run(store, "beaten", macs=200_000, val_accuracy=0.90)
    loss_only = add_run(store, "loss only", recipe="regression", macs=10_000,
                        val_accuracy=None, val_loss=0.5)
    add_run(store, "no figures", val_accuracy=None, val_loss=None)
    add_run(store, "no samples", samples=0)
    add_run(store, "other document", document="other.nbg")
    view.set_store(store)
    view.set_document("mnist.nbg")
    points = view.scatter.points()
    assert sorted(point.data() for point in points) == sorted([cheap, best, beaten, loss_only])
    by_id = {point.data(): point for point in points}
    assert by_id[best].pos().y() == pytest.approx(0.05)
    assert by_id[loss_only].pos().y() == pytest.approx(0.5)
    assert by_id[cheap].pos().x() == pytest.approx(math.log10(3 * 1_000 * 60_000))
    # The front is cheap and best: "loss only" costs more than cheap and errs more, beaten
    # costs more than best and errs more.
    assert by_id[best].size() > by_id[beaten].size()
    assert by_id[cheap].size() > by_id[beaten].size()
    assert by_id[loss_only].size() == by_id[beaten].size()
    xs, _ys = view.front_line.getData()
    assert len(xs) == 3  # two front points: across, then down
    assert "or loss" in view.plot.getAxis("left").labelText
    tip = view.scatter.opts["tip"](x=0.0, y=0.0, data=best)  # as pyqtgraph's hover calls it
    assert "best" in tip and "95.00%" in tip and "compute" in tip
    # Clicking a point selects its row.
    view._point_clicked(view.scatter, [by_id[beaten]], None)
    assert view.selected_ids() == [beaten]
    # Accuracy runs only: the axis says so.
    view.document_only.setChecked(False)
    store.delete(loss_only)
    view.refresh()
    assert "1 − accuracy" in view.plot.getAxis("left").labelText
    assert len(view.scatter.points()) == 4


def test_theme_change_restyles(view: RunHistoryView, store: RunStore) -> None:
    add_run(store, "a")
    view.set_store(store)
    dark = view.plot_widget.backgroundBrush().color()
    theme.apply("light")
    try:
        assert view.plot_widget.backgroundBrush().color() != dark
        assert len(view.scatter.points()) == 1
    finally:
        theme.apply("dark")


def test_screenshot(view: RunHistoryView, store: RunStore, tmp_path: Path) -> None:
    figures = [("classification", 200_000, 0.91), ("classification", 1_500_000, 0.955),
               ("classification", 8_000_000, 0.975), ("classification", 30_000_000, 0.97),
               ("augmented", 4_000_000, 0.962), ("augmented", 20_000_000, 0.981),
               ("augmented", 90_000_000, 0.985), ("classification", 600_000, 0.93),
               ("augmented", 1_000_000, 0.90)]
    for number, (recipe, macs, accuracy) in enumerate(figures, 1):
        add_run(store, f"cnn {number}", recipe=recipe, macs=macs, val_accuracy=accuracy,
                samples=60_000 * (1 + number % 3), parameters=macs // 20,
                status="stopped" if number == 4 else "finished",
                val_loss=(1 - accuracy) * 3)
    add_run(store, "out of memory", status="failed", val_accuracy=None, val_loss=None,
            message="CUDA out of memory: lower the batch size")
    view.set_store(store)
    view.set_document("mnist.nbg")
    view.show()
    view.table.selectRow(2)
    path = tmp_path / "history_view.png"
    assert view.grab().save(str(path))
    assert path.stat().st_size > 5_000
    print(f"screenshot: {path}")


# ----- scale and failures ------------------------------------------------------------------

def test_a_thousand_runs_load_fast(qtbot: Any, store: RunStore) -> None:
    for number in range(1000):
        add_run(store, f"run {number}", document="mnist.nbg" if number % 2 else "other.nbg",
                recipe=("classification", "augmented", "regression")[number % 3],
                macs=1_000 + 37 * number, parameters=10 * number,
                val_accuracy=0.5 + (number % 97) / 200, started=START + number)
    began = time.perf_counter()
    view = RunHistoryView()
    qtbot.addWidget(view)
    view.resize(900, 260)
    view.set_store(store)
    view.set_document("mnist.nbg")
    view.show()
    qtbot.waitExposed(view)
    view.table.sortByColumn(COMPUTE, Qt.SortOrder.DescendingOrder)
    view.grab()  # painted once
    elapsed = time.perf_counter() - began
    print(f"1,000 runs: model, view, sort and first paint in {elapsed * 1000:.0f} ms")
    assert view.runs_model.rowCount() == 1000
    assert view.proxy.rowCount() == 500
    assert len(view.scatter.points()) == 500
    assert elapsed < 1.0


def test_store_errors_show_a_message(view: RunHistoryView, store: RunStore,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = add_run(store, "a")
    view.set_store(store)
    assert view.message_text() == ""

    def broken() -> list[object]:
        raise RunStoreError("cannot read the run history runs.sqlite: disk I/O error")

    monkeypatch.setattr(store, "runs", broken)
    view.refresh()
    assert "disk I/O error" in view.message_text()
    assert view.proxy.rowCount() == 1  # what was listed stays
    monkeypatch.undo()
    view.refresh()
    assert view.message_text() == ""

    store.close()  # closed underneath the view
    view.refresh()
    assert "closed" in view.message_text()
    index = view.proxy.index(0, NAME)
    assert not view.proxy.setData(index, "new name", Qt.ItemDataRole.EditRole)
    assert "closed" in view.message_text()
    assert cell(view, 0, NAME) == "a"
    assert view.proxy.index(0, NAME).data(Qt.ItemDataRole.UserRole) == run_id


def test_no_store(view: RunHistoryView) -> None:
    view.set_store(None)
    assert view.empty_label.text() == NO_RUNS
    assert view.selected_ids() == []
    view.delete_selected()  # nothing to do, nothing raised
    assert view.proxy.index(0, 0) == QModelIndex()
