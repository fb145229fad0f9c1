"""The Runs tab of the training dock: the run history as a table and a trade-off graph.

The table lists what :meth:`RunStore.runs` returns (rows only, never a series' BLOBs) through
a :class:`RunTableModel` and a :class:`RunFilterProxy`: the cells of a run are formatted once
when it is read, so painting and sorting 1,000 runs only look values up. Beside it, the
trade-off graph (after Neural Network Console's) puts each listed run at its cost (multiply-adds
spent, on a log axis) and its validation error, coloured by recipe, and marks the Pareto front:
the runs that no other run beats on both.

This view is the only GUI code that touches the store; it reads rows, renames and deletes.
A :class:`RunStoreError` becomes a message in the view, never an exception.
"""

from __future__ import annotations

import contextlib
import html
import math
import time
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from netbuilder.train.runstore import RunRow, RunStore, RunStoreError
from netbuilder.ui import theme

# ----- columns -----------------------------------------------------------------------------

COLUMNS = (
    "Show", "Name", "Document", "Network", "Recipe", "Status", "Started", "Duration",
    "Parameters", "Compute", "Samples", "Final loss", "Best val. loss", "Best val. accuracy",
    "Device",
)
(SHOW, NAME, DOCUMENT, NETWORK, RECIPE, STATUS, STARTED, DURATION, PARAMETERS, COMPUTE,
 SAMPLES, FINAL_LOSS, BEST_VAL_LOSS, BEST_VAL_ACCURACY, DEVICE) = range(len(COLUMNS))

_NUMERIC = frozenset({DURATION, PARAMETERS, COMPUTE, SAMPLES, FINAL_LOSS, BEST_VAL_LOSS,
                      BEST_VAL_ACCURACY})

_HEADER_TIPS = {
    SHOW: "Overlay this run's loss curve on the Curves tab",
    NAME: "The run's name: double-click or press F2 to rename it",
    STATUS: "How the run ended; hover a failed run for what went wrong",
    DURATION: "Wall-clock time from start to end (so far, for a running run)",
    PARAMETERS: "Trainable parameters of the network",
    COMPUTE: "Multiply-adds spent training: about 3 × the forward pass's per sample seen "
             "(forward plus backward)",
    SAMPLES: "Training samples seen (an epoch of 60,000 samples counts 60,000)",
    FINAL_LOSS: "Training loss at the end of the run",
    BEST_VAL_LOSS: "Lowest validation loss of any epoch",
    BEST_VAL_ACCURACY: "Highest validation accuracy of any epoch",
    DEVICE: "Where the run trained",
}

#: Text a cell is sized for (its header's width counts too).
_WIDTH_SAMPLES = {
    SHOW: "", NAME: "classifier run 12", DOCUMENT: "mnist-cnn.nbg", NETWORK: "classifier",
    RECIPE: "classification", STATUS: "interrupted", STARTED: "2026-12-02 18:45",
    DURATION: "12 min 30 s", PARAMETERS: "1,234,567", COMPUTE: "123.4 T",
    SAMPLES: "12,345,678", FINAL_LOSS: "0.1234", BEST_VAL_LOSS: "0.1234",
    BEST_VAL_ACCURACY: "99.99%", DEVICE: "cuda:0 (NVIDIA H200)",
}

#: A role whose values sort the column: numbers as numbers, None (no figure) after them.
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
#: A role that gives the run id of any cell.
RUN_ID_ROLE = int(Qt.ItemDataRole.UserRole)

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_CHECK = int(Qt.ItemDataRole.CheckStateRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

NO_RUNS = "No runs yet: press Train"
NO_DOCUMENT_RUNS = "No runs of this document yet"
INTERRUPTED = "interrupted"
_INTERRUPTED_TIP = ("The program that ran it stopped without ending the run (it was closed or "
                    "crashed); what it had written is kept")

#: Recipe colours, taken from the theme's category hues in an order that keeps neighbours
#: apart (recipes get them in alphabetical order, so a recipe keeps its colour as runs come).
_RECIPE_HUES = tuple(theme.CATEGORY_HUES[name] for name in (
    "Dense", "Recurrent", "Input / Output", "Generative", "Convolution", "Normalization",
    "Activation", "Attention", "Pooling", "Loss"))

_SI_PREFIXES = ("", " k", " M", " G", " T", " P", " E")


# ----- pure helpers ------------------------------------------------------------------------

def format_compute(value: float) -> str:
    """An amount of multiply-adds in SI steps: "950", "1.2 k", "3.4 M", "5.6 G", "7.8 T".

    Below 100 of a unit one decimal is shown ("12.3 G"), from 100 on none ("123 G"); a value
    that rounds up to 1000 of a unit moves to the next ("1.0 M", not "1000.0 k").
    """
    value = float(value)
    if not math.isfinite(value):
        return "—"
    if value < 0:
        return "-" + format_compute(-value)
    if value < 999.5:
        return f"{value:.0f}"
    step = 0
    while value >= 1000 and step < len(_SI_PREFIXES) - 1:
        value /= 1000
        step += 1
    text = f"{value:.1f}" if value < 99.95 else f"{value:.0f}"
    if float(text) >= 1000 and step < len(_SI_PREFIXES) - 1:
        value /= 1000
        step += 1
        text = f"{value:.1f}"
    return text + _SI_PREFIXES[step]


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """The indices of the points that no other point beats on both coordinates (minimised).

    A point is beaten (dominated) by another that is at least as good on both and better on
    one; equal points do not beat each other, so every copy of a point on the front is on it.
    Points with a NaN or infinite coordinate are never on the front and beat no other.

    Returns:
        Indices into ``points``, in increasing x (equal points in the order given); their y
        decreases strictly from one distinct point to the next.
    """
    order = sorted((index for index, (x, y) in enumerate(points)
                    if math.isfinite(x) and math.isfinite(y)),
                   key=lambda index: (points[index][0], points[index][1], index))
    front: list[int] = []
    best_y = math.inf
    for index in order:
        x, y = points[index]
        if y < best_y:
            front.append(index)
            best_y = y
        elif front and points[front[-1]] == (x, y):
            front.append(index)  # a copy of the last front point: neither beats the other
    return front


def format_duration(seconds: float | None) -> str:
    """ "45 s", "12 min 30 s", "1 h 05 min", "3 d 4 h"; "—" when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _figure(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.4g}"


def _percent(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{100 * value:.2f}%"


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def status_of(run: RunRow) -> str:
    """The status the table shows: the stored one, or "interrupted" for a dead writer."""
    return INTERRUPTED if run.interrupted else run.status


def run_duration(run: RunRow, now: float) -> float | None:
    """Seconds from start to end; to the last heartbeat for an interrupted run, to ``now``
    for one still running."""
    end: float | None
    if run.ended is not None:
        end = run.ended
    elif run.status == "running" and not run.interrupted:
        end = now
    else:
        end = run.updated or None
    return None if end is None else max(0.0, end - run.started)


def error_of(run: RunRow) -> tuple[float, str] | None:
    """The run's validation error for the trade-off graph and what it is.

    Returns:
        ``(1 - best accuracy, "accuracy")`` when the run has an accuracy, else
        ``(best loss, "loss")``, else None.
    """
    accuracy = _finite(run.best_val_accuracy)
    if accuracy is not None:
        return 1.0 - accuracy, "accuracy"
    loss = _finite(run.best_val_loss)
    if loss is not None:
        return loss, "loss"
    return None


def files_of(run: RunRow, runs_folder: Path | None) -> list[Path]:
    """The run's weights and checkpoint files that lie inside ``runs_folder`` (resolved).

    Files elsewhere are the user's and are never listed; a relative path in the row is
    taken as relative to the runs folder. The files need not exist.
    """
    if not run.weights or runs_folder is None:
        return []
    root = runs_folder.expanduser().resolve()
    weights = Path(run.weights).expanduser()
    if not weights.is_absolute():
        weights = root / weights
    found: list[Path] = []
    for candidate in (weights, weights.with_suffix(".ckpt")):
        # resolve() follows links: a link in the runs folder to a file elsewhere stays out.
        resolved = candidate.resolve()
        if resolved != root and resolved.is_relative_to(root) and resolved not in found:
            found.append(resolved)
    return found


def _cells(run: RunRow, now: float) -> tuple[list[str], list[Any]]:
    """The display text and the sort key of every column of a run."""
    status = status_of(run)
    duration = run_duration(run, now)
    started = datetime.fromtimestamp(run.started)
    compute = float(run.compute)
    accuracy = _finite(run.best_val_accuracy)
    texts = [
        "", run.name, run.document, run.network, run.recipe, status,
        started.strftime("%Y-%m-%d %H:%M"), format_duration(duration), f"{run.parameters:,}",
        format_compute(compute), f"{run.samples_seen:,}", _figure(run.final_loss),
        _figure(run.best_val_loss), _percent(accuracy), run.device,
    ]
    # Floats for every number: Qt compares two variants by the type of the left one, and an
    # int beside a float would be truncated. None (no figure) sorts after every number.
    keys: list[Any] = [
        None, run.name.casefold(), run.document.casefold(), run.network.casefold(),
        run.recipe.casefold(), status, float(run.started), duration, float(run.parameters),
        compute, float(run.samples_seen), _finite(run.final_loss), _finite(run.best_val_loss),
        accuracy, run.device.casefold(),
    ]
    return texts, keys


# ----- the table model ---------------------------------------------------------------------

class RunTableModel(QAbstractTableModel):
    """The runs of the history, one row each, in the order the store lists them.

    Signals:
        ticks_changed(): a "Show" box was ticked or cleared.
        store_failed(str): a rename could not be written (the message says why).
    """

    ticks_changed = Signal()
    store_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: RunStore | None = None
        self._runs: list[RunRow] = []
        self._texts: list[list[str]] = []
        self._keys: list[list[Any]] = []
        self._rows: dict[int, int] = {}  # run id -> row
        self._ticked: dict[int, None] = {}  # insertion-ordered: the order boxes were ticked

    # -- contents ---------------------------------------------------------------------------

    def set_runs(self, runs: Sequence[RunRow], now: float | None = None) -> bool:
        """Replaces the rows; keeps the ticks of runs still there.

        The same runs in the same order are updated in place (an open editor and the
        selection survive); anything else resets the model.

        Returns:
            Whether the ticks changed (a ticked run is gone).
        """
        now = time.time() if now is None else now
        old_ids = [run.id for run in self._runs]
        new_ids = [run.id for run in runs]
        cells = [_cells(run, now) for run in runs]
        same = old_ids == new_ids
        if not same:
            self.beginResetModel()
        self._runs = list(runs)
        self._texts = [texts for texts, _ in cells]
        self._keys = [keys for _, keys in cells]
        self._rows = {run_id: row for row, run_id in enumerate(new_ids)}
        if same:
            if runs:
                self.dataChanged.emit(self.index(0, 0),
                                      self.index(len(runs) - 1, len(COLUMNS) - 1))
        else:
            self.endResetModel()
        # Only runs that were listed and are gone lose their tick: a tick set for a run not
        # listed yet (the dock's new run, before a refresh) is kept for when it appears.
        gone = set(old_ids) - set(new_ids)
        dropped = [run_id for run_id in self._ticked if run_id in gone]
        for run_id in dropped:
            del self._ticked[run_id]
        return bool(dropped)

    def runs(self) -> list[RunRow]:
        return list(self._runs)

    def run_at(self, row: int) -> RunRow:
        return self._runs[row]

    def row_of(self, run_id: int) -> int | None:
        return self._rows.get(run_id)

    def run(self, run_id: int) -> RunRow | None:
        row = self._rows.get(run_id)
        return None if row is None else self._runs[row]

    def ticked(self) -> list[int]:
        return list(self._ticked)

    def set_ticked(self, run_id: int, shown: bool) -> bool:
        """Ticks or clears a run's "Show" box; returns whether that changed anything."""
        if shown == (run_id in self._ticked):
            return False
        if shown:
            self._ticked[run_id] = None
        else:
            del self._ticked[run_id]
        row = self._rows.get(run_id)
        if row is not None:
            cell = self.index(row, SHOW)
            self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.CheckStateRole])
        self.ticks_changed.emit()
        return True

    def clear_ticks(self) -> bool:
        if not self._ticked:
            return False
        self._ticked.clear()
        if self._runs:
            self.dataChanged.emit(self.index(0, SHOW), self.index(len(self._runs) - 1, SHOW),
                                  [Qt.ItemDataRole.CheckStateRole])
        return True

    # -- Qt's model interface ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._runs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY
                   ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            return COLUMNS[section]
        if role == _TOOLTIP:
            return _HEADER_TIPS.get(section)
        if role == _ALIGN:
            return _RIGHT if section in _NUMERIC else _LEFT
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == _DISPLAY:
            return self._texts[row][column]
        if role == SORT_ROLE:
            if column == SHOW:
                return 1.0 if self._runs[row].id in self._ticked else 0.0
            return self._keys[row][column]
        if role == _CHECK:
            if column != SHOW:
                return None
            return (Qt.CheckState.Checked if self._runs[row].id in self._ticked
                    else Qt.CheckState.Unchecked)
        if role == _ALIGN:
            return _RIGHT if column in _NUMERIC else _LEFT
        if role == _FOREGROUND:
            return _status_colour(self._texts[row][STATUS]) if column == STATUS else None
        if role == _EDIT:
            return self._runs[row].name if column == NAME else None
        if role == RUN_ID_ROLE:
            return self._runs[row].id
        if role == _TOOLTIP:
            return self._tooltip(self._runs[row], column)
        return None

    def _tooltip(self, run: RunRow, column: int) -> str | None:
        if column == STATUS:
            if run.message:
                return run.message
            return _INTERRUPTED_TIP if self._texts[self._rows[run.id]][STATUS] == INTERRUPTED \
                else None
        if column == STARTED:
            return datetime.fromtimestamp(run.started).strftime("%A %Y-%m-%d %H:%M:%S")
        if column == COMPUTE:
            return (f"{run.compute:.3g} multiply-adds: 3 × {run.macs_per_sample:,} per sample "
                    f"× {run.samples_seen:,} samples")
        if column in (NAME, DOCUMENT, NETWORK, DEVICE):
            return self._texts[self._rows[run.id]][column] or None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == SHOW:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        elif index.column() == NAME and self.store is not None:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = _EDIT) -> bool:
        if not index.isValid():
            return False
        row, column = index.row(), index.column()
        run = self._runs[row]
        if column == SHOW and role == _CHECK:
            try:
                checked = Qt.CheckState(value) == Qt.CheckState.Checked
            except ValueError:
                checked = bool(value)
            self.set_ticked(run.id, checked)
            return True
        if column == NAME and role == _EDIT:
            return self.rename(run.id, str(value))
        return False

    def rename(self, run_id: int, name: str) -> bool:
        """Renames a run in the store and in the table; returns whether it was renamed."""
        row = self._rows.get(run_id)
        name = name.strip()
        if row is None or self.store is None or not name or name == self._runs[row].name:
            return False
        try:
            self.store.rename(run_id, name)
        except RunStoreError as error:
            self.store_failed.emit(str(error))
            return False
        run = replace(self._runs[row], name=name)
        self._runs[row] = run
        self._texts[row][NAME] = name
        self._keys[row][NAME] = name.casefold()
        self.dataChanged.emit(self.index(row, NAME), self.index(row, NAME))
        return True


def _status_colour(status: str) -> QColor | None:
    colours = theme.current()
    if status in ("failed", "diverged"):
        return colours.error
    if status in (INTERRUPTED, "stopped"):
        return colours.warning
    if status == "running":
        return QColor(theme.panel().link)
    return None


class RunFilterProxy(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE` and, when a document is set, keeps only its runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document: str | None = None
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def document(self) -> str | None:
        return self._document

    def set_document(self, name: str | None) -> None:
        """Keeps the runs of the document ``name`` only (None: every run)."""
        if name == self._document:
            return
        if hasattr(self, "endFilterChange"):  # Qt 6.10 on; invalidateFilter is deprecated
            self.beginFilterChange()
            self._document = name
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._document = name
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int,
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._document is None:
            return True
        model = self.sourceModel()
        assert isinstance(model, RunTableModel)
        return model.run_at(source_row).document == self._document

    def accepts(self, run: RunRow) -> bool:
        return self._document is None or run.document == self._document


# ----- the table view ----------------------------------------------------------------------

class _RunTable(QTableView):
    """The table, with Delete and Enter handled here (Enter activates, never edits)."""

    delete_requested = Signal()
    activate_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # While a name is being edited the editor has the keys; an Enter it passes on (after
        # committing) must not also activate the run.
        editing = self.state() == QAbstractItemView.State.EditingState and not self.hasFocus()
        if not editing:
            if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Delete:
                self.delete_requested.emit()
                event.accept()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.currentIndex().isValid():
                    self.activate_requested.emit(self.currentIndex())
                event.accept()
                return
        super().keyPressEvent(event)


# ----- the trade-off graph's axes ----------------------------------------------------------

class _ComputeAxis(pg.AxisItem):
    """A log axis of multiply-adds whose ticks read "1 G", "10 G", ... not "1e+09".

    pyqtgraph labels every minor tick that fits ("5 6 7 8 9 10", a row of digits): this one
    labels the decades, and the 2s and 5s (or every tick) only where there is room for them.
    """

    LABEL_PX = 48  # the room one label needs, gap included

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decades = max(abs(self.range[1] - self.range[0]), 1e-9)
        per_decade = max(self.geometry().width(), 1.0) / decades / self.LABEL_PX
        texts = []
        for value in values:
            mantissa = round(10.0 ** (float(value) - math.floor(float(value) + 1e-9)), 6)
            if mantissa in (1.0, 10.0) or per_decade >= 9 or (
                    per_decade >= 3 and mantissa in (2.0, 5.0)):
                texts.append(format_compute(10.0 ** float(value) * scale).replace(".0 ", " "))
            else:
                texts.append("")
        return texts


class _ErrorAxis(pg.AxisItem):
    """The error axis: percentages while every point is 1 - accuracy, plain figures else."""

    percent = False

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if not self.percent:
            return super().tickStrings(values, scale, spacing)
        decimals = max(0, -math.floor(math.log10(max(spacing * 100, 1e-12))))
        return [f"{100 * value * scale:.{decimals}f}%" for value in values]


# ----- the view ----------------------------------------------------------------------------

class _PointTip:
    """The scatter's hover text, holding the view weakly: a bound method kept in the plot
    item's options would tie the view and its items into a reference cycle."""

    def __init__(self, view: RunHistoryView) -> None:
        self._view = weakref.ref(view)

    def __call__(self, x: float, y: float, data: Any) -> str:
        view = self._view()
        return view._point_tip(x, y, data) if view is not None else ""


class RunHistoryView(QWidget):
    """The run history: a sortable, filterable table beside the error-against-compute graph.

    Signals:
        overlays_changed(list): the ids of the runs whose "Show" box is ticked, in the order
            they were ticked, after any change.
        run_activated(int): a run was double-clicked outside its Name and Show cells, or
            Enter was pressed on it.
    """

    overlays_changed = Signal(list)
    run_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store: RunStore | None = None
        self._runs_folder: Path | None = None
        self._document: str | None = None
        self._point_ids: list[int] = []
        self._recipe_colours: dict[str, QColor] = {}

        self.runs_model = RunTableModel(self)
        self.runs_model.ticks_changed.connect(self._ticks_changed)
        self.runs_model.store_failed.connect(self._show_message)
        self.proxy = RunFilterProxy(self)
        self.proxy.setSourceModel(self.runs_model)

        self.table = _RunTable(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._size_columns()
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.activate_requested.connect(self._activate)
        self.table.delete_requested.connect(self.delete_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        # The trade-off graph. Items are kept as attributes: pyqtgraph's scene does not keep
        # Python references of its own, and a collected item vanishes from the picture.
        self._compute_axis = _ComputeAxis("bottom")
        self._error_axis = _ErrorAxis("left")
        # No context menus: they would switch the axes' log modes under the data. Without
        # enableMenu=False the ViewBox would make a menu and drop it, parentless, to the
        # garbage collector; the PlotItem's own menu (always made) is handed to the widget
        # for the same reason. A QMenu left to the collector is destroyed whenever Python
        # happens to collect, which can be inside another QObject's destructor: seen as a
        # deadlock in ~QObject and a crash in the collector in this module's tests.
        self.plot_widget = pg.PlotWidget(
            self, axisItems={"bottom": self._compute_axis, "left": self._error_axis},
            enableMenu=False)
        self.plot_widget.setAntialiasing(True)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(False, None)
        menu = getattr(self.plot, "ctrlMenu", None)
        if isinstance(menu, QMenu):
            menu.setParent(self.plot_widget, menu.windowFlags())
        group = getattr(self.plot, "stateGroup", None)  # the menu's settings, a bare QObject
        if isinstance(group, QObject) and group.parent() is None:
            group.setParent(self.plot_widget)
        for axis in (self._compute_axis, self._error_axis):
            axis.enableAutoSIPrefix(False)  # the tick strings carry their own units
        self.plot.setLogMode(x=True, y=False)
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setLabel("bottom", "compute (multiply-adds)")
        self.plot.setLabel("left", "validation error")
        self.plot.layout.setContentsMargins(2, 4, 8, 2)
        self.front_line = pg.PlotCurveItem()
        self.front_line.setZValue(1)
        self._tip = _PointTip(self)
        self.scatter = pg.ScatterPlotItem(hoverable=True, tip=self._tip, symbol="o")
        self.scatter.setZValue(2)
        self.scatter.sigClicked.connect(self._point_clicked)
        # Under the points (it is bigger, so it still shows), and deaf to the mouse: a click
        # or hover on a selected point reaches the point.
        self.selection_ring = pg.ScatterPlotItem(symbol="o", size=17)
        self.selection_ring.setZValue(1.5)
        self.selection_ring.setAcceptHoverEvents(False)
        self.selection_ring.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        for item in (self.front_line, self.scatter, self.selection_ring):
            self.plot.addItem(item)
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(False)
        # Clipped rather than wrapped or widening the pane when there are many recipes.
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setContentsMargins(6, 0, 6, 2)
        graph = QWidget(self)
        graph_layout = QVBoxLayout(graph)
        graph_layout.setContentsMargins(0, 0, 0, 0)
        graph_layout.setSpacing(0)
        graph_layout.addWidget(self.plot_widget, 1)
        graph_layout.addWidget(self.legend)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(graph)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([540, 360])
        self.table.setMinimumWidth(200)
        graph.setMinimumWidth(180)

        self.empty_label = QLabel(NO_RUNS, self)
        self.empty_label.setProperty("role", "subtle")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.splitter)
        self.stack.addWidget(self.empty_label)

        self.document_only = QCheckBox("This document only", self)
        self.document_only.setToolTip("List only the runs of the document being edited")
        self.document_only.setChecked(True)
        self.document_only.toggled.connect(self._apply_filter)
        self.count_label = QLabel(self)
        self.count_label.setProperty("role", "subtle")
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Delete the selected runs with their weights and "
                                      "checkpoints (Delete)")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self.delete_selected)
        self.message = QLabel(self)
        self.message.setProperty("role", "problem")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(self.document_only)
        bar.addSpacing(12)
        bar.addWidget(self.count_label)
        bar.addStretch(1)
        bar.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)

        theme.notifier().changed.connect(self._apply_theme)
        self._apply_theme()
        self._apply_filter()

    # ----- public API ------------------------------------------------------------------------

    def set_store(self, store: RunStore | None, runs_folder: Path | None = None) -> None:
        """Shows the history in ``store`` (None: none); ``runs_folder`` holds the runs'
        weights and checkpoints, the only place where Delete removes files."""
        changed_store = store is not self._store
        self._store = store
        self._runs_folder = Path(runs_folder) if runs_folder is not None else None
        self.runs_model.store = store
        ticks_dropped = changed_store and self.runs_model.clear_ticks()
        if changed_store:
            self.runs_model.set_runs([])
        self.refresh()
        if ticks_dropped:
            self._ticks_changed()

    def set_document(self, name: str | None) -> None:
        """The document being edited: "This document only" keeps its runs (None: no document;
        every run is listed and the box is disabled)."""
        self._document = name
        self._apply_filter()

    def refresh(self) -> None:
        """Reads the runs again, keeping the selection, the sort order and the ticks."""
        if self._reload():
            self._show_message("")

    def overlay_ids(self) -> list[int]:
        """The runs whose "Show" box is ticked, in the order they were ticked."""
        return self.runs_model.ticked()

    def set_overlay(self, run_id: int, shown: bool) -> None:
        """Ticks or clears a run's "Show" box (``overlays_changed`` follows a change)."""
        self.runs_model.set_ticked(run_id, shown)

    def selected_ids(self) -> list[int]:
        """The selected runs, in the table's order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [int(self.proxy.index(row, 0).data(RUN_ID_ROLE)) for row in rows]

    def message_text(self) -> str:
        """The error shown above the table ("" when none)."""
        return self.message.text() if not self.message.isHidden() else ""

    def delete_selected(self) -> None:
        """Deletes the selected runs, after asking, with their files in the runs folder."""
        if self._store is None:
            return
        runs = [run for run in map(self.runs_model.run, self.selected_ids()) if run is not None]
        if not runs:
            return
        # A run still training belongs to its writer: deleting it would lose its last data.
        live = [run for run in runs if run.status == "running" and not run.interrupted]
        doomed = [run for run in runs if run not in live]
        if not doomed:
            self._show_message("A run that is still training cannot be deleted: stop it first.")
            return
        if len(doomed) == 1:
            question = f"Delete the run “{doomed[0].name}”?"
        else:
            question = f"Delete {len(doomed)} runs?"
        details = ["Their weights and checkpoints in the runs folder are deleted too; this "
                   "cannot be undone." if len(doomed) > 1 else
                   "Its weights and checkpoint in the runs folder are deleted too; this "
                   "cannot be undone."]
        if live:
            details.append(f"{len(live)} run(s) still training are kept.")
        answer = QMessageBox.question(
            self, "Delete runs", question + "\n\n" + " ".join(details),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return
        problems: list[str] = []
        for run in doomed:
            try:
                self._store.delete(run.id)
            except RunStoreError as error:
                problems.append(str(error))
                break
            problems.extend(self._delete_files(run))
        reloaded = self._reload()
        if problems:
            self._show_message(problems[0] if len(problems) == 1
                               else f"{problems[0]} (and {len(problems) - 1} more problems)")
        elif reloaded:
            self._show_message("")

    # ----- reading -----------------------------------------------------------------------------

    def _reload(self) -> bool:
        """Reads the store into the table; False (and a message) when it cannot be read."""
        if self._store is None:
            runs: list[RunRow] = []
        else:
            try:
                runs = self._store.runs()
            except RunStoreError as error:
                self._show_message(str(error))
                return False
        selected = set(self.selected_ids())
        current = self.table.currentIndex()
        current_id = current.data(RUN_ID_ROLE) if current.isValid() else None
        current_column = current.column() if current.isValid() else NAME
        ticks_dropped = self.runs_model.set_runs(runs)
        if self.table.selectionModel().selectedRows() == [] and selected:
            self._select_ids(selected, current_id, current_column)
        self._update_recipe_colours()
        self._update_after_rows()
        if ticks_dropped:
            self._ticks_changed()
        return True

    def _select_ids(self, ids: set[int], current_id: int | None, column: int) -> None:
        selection = QItemSelection()
        for run_id in ids:
            index = self._proxy_index(run_id, 0)
            if index is not None:
                selection.select(index, index)
        model = self.table.selectionModel()
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                 | QItemSelectionModel.SelectionFlag.Rows)
        model.select(selection, flags)
        if current_id is not None:
            index = self._proxy_index(current_id, column)
            if index is not None:
                model.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)

    def _proxy_index(self, run_id: int, column: int) -> QModelIndex | None:
        row = self.runs_model.row_of(run_id)
        if row is None:
            return None
        index = self.proxy.mapFromSource(self.runs_model.index(row, column))
        return index if index.isValid() else None

    def _delete_files(self, run: RunRow) -> list[str]:
        problems = []
        for path in files_of(run, self._runs_folder):
            try:
                if path.is_file():
                    path.unlink()
            except OSError as error:
                problems.append(f"cannot delete {path}: {error.strerror or error}")
        return problems

    # ----- reacting ----------------------------------------------------------------------------

    def _apply_filter(self, *_: object) -> None:
        has_document = self._document is not None
        self.document_only.setEnabled(has_document)
        only = has_document and self.document_only.isChecked()
        self.proxy.set_document(self._document if only else None)
        # Every listed run is of this document then: its column would only repeat the name.
        self.table.setColumnHidden(DOCUMENT, only)
        self._update_after_rows()

    def _update_after_rows(self) -> None:
        shown = self.proxy.rowCount()
        total = self.runs_model.rowCount()
        if total == 0:
            self.empty_label.setText(NO_RUNS)
        elif shown == 0:
            self.empty_label.setText(NO_DOCUMENT_RUNS)
        self.stack.setCurrentWidget(self.splitter if shown else self.empty_label)
        if shown == total:
            self.count_label.setText(f"{total:,} run{'s' if total != 1 else ''}")
        else:
            self.count_label.setText(f"{shown:,} of {total:,} runs")
        self._redraw_plot()
        self._selection_changed()

    def _ticks_changed(self) -> None:
        self.overlays_changed.emit(self.overlay_ids())

    def _double_clicked(self, index: QModelIndex) -> None:
        # The Name cell opens its editor and the Show cell toggles: neither opens the run.
        if index.isValid() and index.column() not in (NAME, SHOW):
            self._activate(index)

    def _activate(self, index: QModelIndex) -> None:
        run_id = index.data(RUN_ID_ROLE)
        if run_id is not None:
            self.run_activated.emit(int(run_id))

    def _selection_changed(self, *_: object) -> None:
        selected = self.selected_ids()
        self.delete_button.setEnabled(bool(selected) and self._store is not None)
        self._draw_selection(set(selected))

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setToolTip(text)
        self.message.setVisible(bool(text))

    def _header_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for column in range(len(COLUMNS)):
            if column in (SHOW, NAME):
                continue
            action = QAction(COLUMNS[column], menu)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(
                lambda shown, column=column: self.table.setColumnHidden(column, not shown))
            menu.addAction(action)
        menu.exec(self.table.horizontalHeader().mapToGlobal(position))
        menu.deleteLater()

    def _size_columns(self) -> None:
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        for column, title in enumerate(COLUMNS):
            sample = metrics.horizontalAdvance(_WIDTH_SAMPLES[column]) + 16
            width = max(sample, metrics.horizontalAdvance(title) + 24)
            header.resizeSection(column, width)
        header.resizeSection(SHOW, max(metrics.horizontalAdvance("Show") + 16, 44))

    # ----- the trade-off graph -----------------------------------------------------------------

    def _update_recipe_colours(self) -> None:
        recipes = sorted({run.recipe for run in self.runs_model.runs()})
        self._recipe_colours = {recipe: QColor(_RECIPE_HUES[index % len(_RECIPE_HUES)])
                                for index, recipe in enumerate(recipes)}

    def _plotted(self) -> list[tuple[RunRow, float, float, str]]:
        """The listed runs that have a cost and an error: (run, log10 compute, error, kind)."""
        points = []
        for run in self.runs_model.runs():
            if not self.proxy.accepts(run):
                continue
            compute = run.compute
            error = error_of(run)
            if error is None or not compute > 0 or not math.isfinite(compute):
                continue  # no place on a log axis, or nothing to rank it by
            points.append((run, math.log10(compute), error[0], error[1]))
        return points

    def _redraw_plot(self) -> None:
        colours = theme.current()
        points = self._plotted()
        self._point_ids = [run.id for run, *_ in points]
        kinds = {kind for *_, kind in points}
        xs = np.array([x for _, x, _, _ in points], dtype=np.float64)
        ys = np.array([y for _, _, y, _ in points], dtype=np.float64)
        front = pareto_front(list(zip(xs.tolist(), ys.tolist(), strict=True)))
        on_front = set(front)
        outline = pg.mkPen(colours.node_text, width=1.5)
        brushes = []
        pens = []
        sizes = []
        for index, (run, *_) in enumerate(points):
            colour = QColor(self._recipe_colours.get(run.recipe, colours.node_subtle))
            if index in on_front:
                sizes.append(11)
                pens.append(outline)
            else:
                colour.setAlpha(200)
                sizes.append(7)
                pens.append(pg.mkPen(None))
            brushes.append(pg.mkBrush(colour))
        self.scatter.setData(x=xs, y=ys, data=self._point_ids, brush=brushes, pen=pens,
                             size=sizes, hoverable=True, tip=self._tip,
                             hoverSize=13, hoverPen=pg.mkPen(colours.selection, width=2))
        # The front as a staircase: across at a point's error to the next point's cost, then
        # down to its error; every run above or right of the steps is beaten by one on them.
        step_x: list[float] = []
        step_y: list[float] = []
        for position, index in enumerate(front):
            if position:
                step_x.append(float(xs[index]))
                step_y.append(step_y[-1])
            step_x.append(float(xs[index]))
            step_y.append(float(ys[index]))
        front_colour = QColor(colours.selection)
        front_colour.setAlpha(200)
        self.front_line.setData(step_x, step_y,
                                pen=pg.mkPen(front_colour, width=1.5, style=Qt.PenStyle.DashLine))
        self._error_axis.percent = kinds == {"accuracy"}
        self._error_axis.picture = None  # tick strings depend on `percent`: draw them anew
        self._error_axis.update()
        if kinds == {"accuracy"}:
            label = "val. error (1 − accuracy)"
        elif kinds == {"loss"}:
            label = "best val. loss"
        elif kinds:
            label = "val. error or loss"
        else:
            label = "validation error"
        self.plot.setLabel("left", label)
        self._update_legend(points, bool(front))
        self._draw_selection(set(self.selected_ids()))

    def _update_legend(self, points: list[tuple[RunRow, float, float, str]],
                       has_front: bool) -> None:
        colours = theme.current()
        recipes = sorted({run.recipe for run, *_ in points})
        parts = [f'<span style="color:{self._recipe_colours[recipe].name()}">●</span>&nbsp;'
                 f"{html.escape(recipe)}" for recipe in recipes]
        if has_front:
            parts.append(f'<span style="color:{colours.selection.name()}">╌ ◉</span>&nbsp;'
                         "Pareto front")
        missing = sum(1 for run in self.runs_model.runs() if self.proxy.accepts(run)) \
            - len(points)
        text = " &nbsp; ".join(parts)
        self.legend.setText(f'<span style="color:{colours.node_subtle.name()}">{text}</span>')
        self.legend.setVisible(bool(parts))
        # Said in the tooltip, not the line: the legend must stay one line in a low dock.
        tip = ["One point per listed run: its compute and its validation error.",
               "The Pareto front joins the runs that no other run beats on both."]
        if missing:
            tip.append(f"{missing} listed run{'s' if missing != 1 else ''} without a "
                       "validation figure or without samples seen are not drawn.")
        self.legend.setToolTip("\n".join(tip))

    def _draw_selection(self, selected: set[int]) -> None:
        xs, ys = self.scatter.getData()
        if xs is None or not len(self._point_ids):
            self.selection_ring.setData([], [])
            return
        keep = [index for index, run_id in enumerate(self._point_ids) if run_id in selected]
        self.selection_ring.setData(
            x=np.asarray(xs)[keep], y=np.asarray(ys)[keep], size=17, brush=pg.mkBrush(None),
            pen=pg.mkPen(theme.current().selection, width=2))

    def _point_tip(self, x: float, y: float, data: Any) -> str:
        """The hover text of a point (``data`` is its run id)."""
        run = self.runs_model.run(int(data)) if data is not None else None
        if run is None:
            return ""
        compute = f"compute {format_compute(run.compute)} multiply-adds"
        lines = [run.name, f"{run.recipe} · {status_of(run)} · {run.network}",
                 f"{compute}, {run.samples_seen:,} samples"]
        accuracy = _finite(run.best_val_accuracy)
        if accuracy is not None:
            lines.append(f"best val. accuracy {_percent(accuracy)} "
                         f"(error {_percent(1 - accuracy)})")
        if _finite(run.best_val_loss) is not None:
            lines.append(f"best val. loss {_figure(run.best_val_loss)}")
        lines.append(f"parameters {run.parameters:,}")
        return "\n".join(lines)

    def _point_clicked(self, _item: object, points: Sequence[Any], _event: object) -> None:
        if not len(points):
            return
        run_id = points[0].data()
        if run_id is None:
            return
        index = self._proxy_index(int(run_id), NAME)
        if index is None:
            return
        model = self.table.selectionModel()
        model.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                              | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    # ----- looks -------------------------------------------------------------------------------

    def _apply_theme(self, _name: str = "") -> None:
        colours = theme.current()
        panel = theme.panel()
        self.plot_widget.setBackground(QColor(panel.base))
        text = colours.node_subtle
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
        for axis in (self._compute_axis, self._error_axis):
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
            axis.setStyle(tickFont=font)
            axis.label.setFont(font)
        # Axis titles are HTML in pyqtgraph: setLabel again to recolour them.
        for name in ("bottom", "left"):
            axis = self.plot.getAxis(name)
            axis.setLabel(axis.labelText, color=text.name())
        self._redraw_plot()
        with contextlib.suppress(RuntimeError):
            self.table.viewport().update()  # the Status colours come from the theme
