"""The Training dock: settings, Start / Pause / Stop, live curves and the run history.

The dock shows the current document's :class:`~netbuilder.ui.training.session.TrainingSession`.
Before Start it lists what keeps the network from training (in the Problems panel too, each
with the block to fix) and keeps Start disabled with the reason as its tooltip. While a run
goes it shows its progress, its curves and, when the graph is edited meanwhile, that the run
trains the graph as it was. A fault shows its message and advice, and Start is ready again.
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core import fileformat
from netbuilder.core.atomic import write_atomic
from netbuilder.core.commands import SetSetting
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.paths import same_file
from netbuilder.train import readiness
from netbuilder.train.events import Failed, Finished
from netbuilder.train.recipes import Blocker, DataInfo, network_roles
from netbuilder.train.runstore import RunStore, RunStoreError
from netbuilder.train.settings import SettingsError, TrainingSettings
from netbuilder.ui.background import BackgroundTask
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.live_label import LiveLabel
from netbuilder.ui.problems import Problem
from netbuilder.ui.throttle import Throttle
from netbuilder.ui.training.activations import ActivationViewer
from netbuilder.ui.training.curves import CurvesView, Overlay
from netbuilder.ui.training.data_view import DataChooser, DataPreviewView
from netbuilder.ui.training.history import RunHistoryView
from netbuilder.ui.training.progress_line import ProgressLine
from netbuilder.ui.training.results import results_tab
from netbuilder.ui.training.runner import DRAIN_INTERVAL_MS
from netbuilder.ui.training.session import (
    HISTORY_FILE,
    State,
    TrainingSession,
    history_folder,
)
from netbuilder.ui.training.settings_form import SettingsForm

if TYPE_CHECKING:  # the preview module imports torch; the dock loads it in the background
    from netbuilder.train.data.preview import DataPreview

#: The settings panel's width; the curves take the rest.
SETTINGS_WIDTH = 330
WEIGHTS_FILTER = "Weights (*.pt *.pth);;All files (*)"
#: Least time between two redraws of the curves while a run streams.
CURVE_FRAME_MS = 100
#: Least time between two updates of the progress line and figures while a run streams.
PROGRESS_FRAME_MS = 250
#: What a data preview is loaded for: (data source, the network's input shape, seed).
_PreviewKey = tuple[str, tuple[int, ...] | None, int]


class TrainingDock(QWidget):
    """The dock's contents.

    Signals:
        problems_changed(list): the training problems of the current document, as Problems
            panel rows.
        status(str, bool): a message for the window's status bar (text, is it an error).
    """

    problems_changed = Signal(list)
    status = Signal(str, bool)
    progress_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor: DocumentWidget | None = None
        self.session: TrainingSession | None = None
        self.sessions: dict[int, TrainingSession] = {}
        self.blockers: list[Blocker] = []
        self._previews: dict[_PreviewKey, DataPreview | str] = {}  # a preview or an error
        self._preview_task: BackgroundTask | None = None
        self._preview_key: _PreviewKey | None = None
        self._start_when_loaded: bool | None = None  # Train pressed while the data loaded
        self._store: RunStore | None = None
        self._build()
        # While a run streams, redraws are paced (each costs the GUI thread 2-5 ms that a
        # training thread on the same cores waits for): the curves at 10 Hz, which with the
        # engine's 25 ms reports keeps a step on screen within about 125 ms; the figures
        # as text at 4 Hz, faster than anyone reads them.
        self._curve_frames = Throttle(CURVE_FRAME_MS, lambda: self.curves.refresh(), self,
                                      tolerance_ms=DRAIN_INTERVAL_MS // 2)
        self._progress_frames = Throttle(PROGRESS_FRAME_MS, self._show_progress, self,
                                         tolerance_ms=DRAIN_INTERVAL_MS // 2)
        self._readiness_timer = QTimer(self)
        self._readiness_timer.setSingleShot(True)
        self._readiness_timer.setInterval(150)
        self._readiness_timer.timeout.connect(self.check_readiness)
        self.set_editor(None)

    def minimumSizeHint(self) -> QSize:
        """Small: the dock shares the bottom with the Problems panel, which may be short
        while the Training tab waits behind it (the settings scroll, the plots shrink)."""
        return QSize(480, 90)

    # ----- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.start_button = QPushButton("▶  Train", self)
        self.start_button.setObjectName("train_start")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.clicked.connect(self.stop)
        self.progress = ProgressLine(self)
        self.progress_text = LiveLabel(self)
        self.progress_text.setProperty("role", "subtle")
        self.form = SettingsForm(self)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 6, 0)
        for button in (self.start_button, self.pause_button, self.stop_button):
            header.addWidget(button)
        header.addWidget(QLabel("on", self))
        header.addWidget(self.form.device)
        header.addSpacing(10)
        progress = QVBoxLayout()
        progress.setSpacing(1)
        progress.addWidget(self.progress_text)
        progress.addWidget(self.progress)
        header.addLayout(progress, 1)

        self.form.changed.connect(self._setting_changed)
        self.form.lr_edited.connect(self._lr_edited)
        self.data = DataChooser(self)
        self.data.chosen.connect(lambda source: self._setting_changed("dataset", source))
        self.form.data_row.addWidget(self.data)
        self.preview = DataPreviewView(self)
        self.form.preview_row.addWidget(self.preview)
        self.weights_label = QLabel(self)
        self.weights_label.setWordWrap(True)
        self.weights_label.setProperty("role", "subtle")
        self.from_weights = QCheckBox("Start from these weights", self)
        self.from_weights.setToolTip("Train on from the weights above instead of fresh ones")
        self.continue_button = QPushButton("Continue last run", self)
        self.continue_button.setToolTip("Resume the last run from its last finished epoch, "
                                        "with its optimizer state")
        self.continue_button.clicked.connect(lambda: self.start(resume=True))
        self.save_weights_button = QPushButton("Save weights…", self)
        self.save_weights_button.clicked.connect(self.save_weights)
        self.load_weights_button = QPushButton("Load weights…", self)
        self.load_weights_button.clicked.connect(self.load_weights)
        weights_page = QWidget(self)
        weights = QVBoxLayout(weights_page)
        weights.setContentsMargins(6, 6, 6, 4)
        weights.addWidget(self.weights_label)
        weights.addWidget(self.from_weights)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_weights_button)
        buttons.addWidget(self.load_weights_button)
        weights.addLayout(buttons)
        weights.addWidget(self.continue_button)
        weights.addStretch(1)
        self.pages = QTabWidget(self)
        self.pages.setDocumentMode(True)
        for page, title in ((self.form.basic, "Setup"), (self.form.advanced, "Advanced"),
                            (weights_page, "Weights")):
            scroll = QScrollArea(self)
            scroll.setWidget(page)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.pages.addTab(scroll, title)
        self.pages.setMinimumWidth(SETTINGS_WIDTH)

        self.curves = CurvesView(self)
        self.curves.exported.connect(self.status)
        self.history = RunHistoryView(self)
        self.history.overlays_changed.connect(self._overlays_changed)
        self.views = QTabWidget(self)
        self.views.setDocumentMode(True)
        self.views.addTab(self.curves, "Curves")
        self.views.addTab(self.history, "Runs")
        self.activations = ActivationViewer(self)
        self.views.addTab(self.activations, "Activations")
        self.results = results_tab(self)
        self.views.addTab(self.results, "Results")
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setContentsMargins(6, 2, 6, 2)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(2)
        right_layout.addWidget(self.message)
        right_layout.addWidget(self.views, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([SETTINGS_WIDTH, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)

    # ----- which document ------------------------------------------------------------------------
    def set_editor(self, editor: DocumentWidget | None) -> None:
        """Shows the training of ``editor`` (the current document; None: no document)."""
        if editor is self.editor and editor is not None:
            return
        if self.editor is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.editor.analysed.disconnect(self._schedule_readiness)
            self.editor.doc.events.disconnect("settings_changed", self._settings_changed)
        if self.session is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self.session.changed.disconnect(self._session_changed)
                self.session.updated.disconnect(self._session_updated)
                self.session.run_ended.disconnect(self._run_ended)
        self.editor = editor
        self.session = self._session_for(editor) if editor is not None else None
        if editor is not None:
            editor.analysed.connect(self._schedule_readiness)
            editor.doc.events.connect("settings_changed", self._settings_changed)
        if self.session is not None:
            self.session.changed.connect(self._session_changed)
            self.session.updated.connect(self._session_updated)
            self.session.run_ended.connect(self._run_ended)
        self.setEnabled(editor is not None)
        self._open_history()
        self.history.set_document(editor.title if editor is not None else None)
        self.curves.show_record(self.session.record if self.session else None)
        self.activations.set_session(self.session)
        self.results.set_session(self.session)
        self._settings_changed()
        self.check_readiness()

    def _session_for(self, editor: DocumentWidget) -> TrainingSession:
        key = id(editor)
        session = self.sessions.get(key)
        if session is None or session.editor is not editor:
            session = TrainingSession(editor, self)
            self.sessions[key] = session
            editor.add_close_hook(lambda: self._forget(key))
        return session

    def _forget(self, key: int) -> None:
        session = self.sessions.pop(key, None)
        if session is not None and session is self.session:
            self.set_editor(None)

    def shutdown(self) -> bool:
        """Stops every document's run and waits for them (the app quits)."""
        stopped = all([session.shutdown() for session in list(self.sessions.values())])  # noqa: C419 (every one)
        if self._store is not None:
            self._store.close()
            self._store = None
        return stopped

    # ----- settings ------------------------------------------------------------------------------
    def _settings(self) -> TrainingSettings | None:
        if self.editor is None:
            return None
        try:
            return TrainingSettings.from_doc(self.editor.doc)
        except SettingsError:
            return None

    def _settings_changed(self, **_: object) -> None:
        settings = self._settings()
        if settings is not None:
            self.form.show_settings(settings)
            self.data.show_source(settings.dataset)
        self._schedule_readiness()

    def _setting_changed(self, key: str, value: object) -> None:
        if self.editor is None:
            return
        label = {"lr": "learning rate", "bf16": "precision", "dataset": "data set"}.get(key)
        self.editor.push(SetSetting("training", key, value, label))

    def _lr_edited(self, lr: float) -> None:
        if self.session is not None and self.session.state is not State.IDLE:
            self.session.set_lr(lr)
            self.status.emit(f"Learning rate {lr:g} from the next step on", False)

    # ----- readiness -----------------------------------------------------------------------------
    def _schedule_readiness(self) -> None:
        self._readiness_timer.start()

    def _network(self) -> str | None:
        editor = self.editor
        if editor is None or not editor.doc.networks:
            return None
        return readiness.training_network(editor.doc, editor.current_graph)

    def check_readiness(self) -> list[Blocker]:
        """Recomputes what keeps the current document from training (also the Problems)."""
        editor, network = self.editor, self._network()
        found: list[Blocker] = []
        if editor is not None and network is not None:
            data, error, loading = self._data_state(network)
            found = readiness.blockers(editor.doc, network, data, error, loading)
        self.blockers = found
        rows = [_problem(editor, b) for b in found
                if editor is not None and b.message != readiness.DATA_LOADING]
        self.problems_changed.emit(rows)
        self._session_changed()
        return found

    def _data_state(self, network: str
                    ) -> tuple[DataInfo | None, tuple[str, str | None] | None, bool]:
        """The preview of the chosen data (loading it in the background when new)."""
        editor = self.editor
        settings = self._settings()
        if editor is None or settings is None or not settings.dataset:
            return None, None, False
        data_network = settings.recipe_spec.data_network(editor.doc, settings.extra, network)
        try:
            shape = readiness.input_shape(editor.doc, data_network)
        except NetbuilderError:
            shape = None
        key: _PreviewKey = (settings.dataset, shape, settings.seed)
        if key in self._previews:
            value = self._previews[key]
            if isinstance(value, str):
                roles = network_roles(editor.doc, data_network)
                node = roles.inputs[0] if roles.inputs else None
                self.preview.show_error(value)
                return None, (value, node), False
            self.preview.show_preview(value)
            return value.info, None, False
        if self._preview_key != key:
            self._load_preview(key)
        return None, None, True

    def _load_preview(self, key: _PreviewKey) -> None:
        source, shape, seed = key
        self._preview_key = key
        self.preview.show_loading(str(source))

        def work() -> object:
            from netbuilder.train.data.preview import preview

            return preview(str(source), shape, int(seed))

        task = BackgroundTask(work, self)
        task.succeeded.connect(lambda value, k=key: self._preview_done(k, value))
        task.failed.connect(lambda message, k=key: self._preview_done(k, message))
        self._preview_task = task
        task.start()

    def _preview_done(self, key: _PreviewKey, value: DataPreview | str) -> None:
        self._previews[key] = value
        if self._preview_key == key:
            self._preview_key = None
        self.check_readiness()
        pending, self._start_when_loaded = self._start_when_loaded, None
        if pending is not None and not self.blockers:
            self.start(resume=pending)

    # ----- control -------------------------------------------------------------------------------
    def start(self, resume: bool = False) -> bool:
        """Starts training the current document (F5); False with the reason when it cannot."""
        session, editor = self.session, self.editor
        if session is None or editor is None or session.state is not State.IDLE:
            return False
        found = self.check_readiness()
        if found and found[0].message == readiness.DATA_LOADING:
            self._start_when_loaded = resume  # starts as soon as the data are in
            self._say("Loading the data set; training starts when it is in…")
            return False
        if found:
            self._say(found[0].message, error=True)
            return False
        settings = self._settings()
        if settings is None:
            return False
        try:
            session.start(settings, resume=resume and session.checkpoint is not None,
                          from_weights=self.from_weights.isChecked(),
                          store=history_folder() / HISTORY_FILE)
        except (OSError, RuntimeError) as error:
            self._say(f"Cannot start: {error}", error=True)
            return False
        self.curves.show_record(session.record)
        if self.views.currentWidget() is self.history:  # a live view stays in front
            self.views.setCurrentWidget(self.curves)
        self.status.emit("Training started", False)
        return True

    def toggle_pause(self) -> None:
        """Pauses a running run, resumes a paused one (F6)."""
        session = self.session
        if session is None:
            return
        if session.state is State.RUNNING:
            session.pause()
        elif session.state is State.PAUSED:
            session.resume()

    def stop(self) -> None:
        """Stops the run after its current step (Shift+F5)."""
        if self.session is not None:
            self.session.stop()

    # ----- weights -------------------------------------------------------------------------------
    def save_weights(self) -> None:
        editor = self.editor
        if editor is None or editor.weights is None:
            return
        suggested = (editor.path.with_suffix(".pt") if editor.path is not None
                     else Path.home() / "weights.pt")
        target, _ = QFileDialog.getSaveFileName(self, "Save trained weights", str(suggested),
                                                WEIGHTS_FILTER)
        if not target:
            return
        try:
            if not same_file(target, editor.weights):  # never raises, even on a link loop
                write_atomic(Path(target), editor.weights.read_bytes())
        except (OSError, NetbuilderError) as error:
            self._say(f"Cannot save the weights: {error}", error=True)
            return
        beside = editor.path is not None and Path(target) == editor.path.with_suffix(".pt")
        self.status.emit(f"Saved the weights to {Path(target).name}"
                         + (": they open with the graph" if beside else ""), False)

    def load_weights(self) -> None:
        editor, session = self.editor, self.session
        if editor is None or session is None:
            return
        folder = str(editor.path.parent) if editor.path is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, "Load trained weights", folder,
                                              WEIGHTS_FILTER)
        if not path:
            return
        # Checked on a snapshot in the background: later edits cannot reach it.
        snapshot = fileformat.snapshot(editor.doc)

        def check() -> object:
            import netbuilder

            for name in snapshot.networks:
                netbuilder.build(snapshot, name, weights=path)
            return path

        task = BackgroundTask(check, self)
        task.succeeded.connect(lambda value: session.use_weights(Path(str(value)),
                                                                 f"{Path(path).name}, loaded"))
        task.failed.connect(lambda message: self._say(f"These weights do not fit: {message}",
                                                      error=True))
        task.start()

    # ----- showing the session -------------------------------------------------------------------
    def _session_changed(self) -> None:
        session, editor = self.session, self.editor
        state = session.state if session is not None else State.IDLE
        idle = state is State.IDLE
        reason = self.blockers[0].message if self.blockers else ""
        self.start_button.setEnabled(session is not None and idle and not reason)
        self.start_button.setToolTip(("Cannot train yet: " + reason) if reason else
                                     "Train the network with these settings (F5)")
        self.pause_button.setEnabled(state in (State.RUNNING, State.PAUSED))
        self.pause_button.setText("Resume" if state is State.PAUSED else "Pause")
        self.stop_button.setEnabled(state in (State.RUNNING, State.PAUSED))
        self.form.recipe.setEnabled(idle)
        self.data.setEnabled(idle)
        self.continue_button.setEnabled(
            idle and session is not None and session.checkpoint is not None and not reason)
        weights = editor.weights if editor is not None else None
        self.weights_label.setText(editor.weights_origin if weights is not None and editor
                                   else "fresh (none trained yet)")
        self.weights_label.setToolTip(str(weights) if weights else "")
        self.save_weights_button.setEnabled(weights is not None and idle)
        self.load_weights_button.setEnabled(idle and editor is not None)
        self.from_weights.setEnabled(weights is not None and idle)
        if weights is None:
            self.from_weights.setChecked(False)
        self._show_message()
        self._session_updated()

    def _show_message(self) -> None:
        session = self.session
        record = session.record if session is not None else None
        outcome = record.outcome if record is not None else None
        if session is not None and session.state is State.STOPPING:
            self._say("Stopping after this step…")
        elif session is not None and session.graph_changed:
            self._say("The graph changed since this run began: the run trains the graph as "
                      "it was when you pressed Train.")
        elif session is not None and session.state is State.PAUSED:
            self._say("Paused: press Resume (F6) to go on; the learning rate can be changed "
                      "meanwhile.")
        elif isinstance(outcome, Failed) and session is not None and not session.runner.running:
            self._say(f"<b>{html.escape(_sentence(outcome.message))}</b><br>"
                      f"{html.escape(outcome.advice)}", error=True, rich=True)
        elif isinstance(outcome, Finished):
            kept = session.checkpoint_epochs if session is not None else 0
            self._say(_finished_text(outcome, record.elapsed if record else 0.0, kept))
        elif self.blockers and (session is None or session.state is State.IDLE):
            self._say("Before training: " + self.blockers[0].message)
        elif session is not None and session.state is State.RUNNING and record is not None \
                and record.started is not None:
            started = record.started
            note = f" ({started.fallback_reason})" if started.fallback_reason else ""
            self._say(f"Training on {started.device}, {started.fast_path} step{note}.")
        else:
            self._say("")

    def _say(self, text: str, error: bool = False, rich: bool = False) -> None:
        body = text if rich else html.escape(text)
        if error and text:
            body = f"<span style='color:#e06c6c'>{body}</span>"
        self.message.setText(body)
        self.message.setVisible(bool(text))

    def _session_updated(self) -> None:
        """New figures arrived (or the state changed): redraws, at a bounded rate while a
        run streams, at once otherwise."""
        session = self.session
        record = session.record if session is not None else None
        if record is not None and record.started is not None and record.running:
            self._progress_frames.request()
            if self.curves.isVisible():  # hidden plots are drawn when they show again
                self._curve_frames.request()
        else:
            self._progress_frames.flush()
            self._curve_frames.flush()
        if session is not None and session.graph_changed:
            self._show_message()

    def _show_progress(self) -> None:
        session = self.session
        record = session.record if session is not None else None
        if record is None or record.started is None:
            self.progress.set_fraction(0.0)
            self.progress_text.setText("No run yet" if record is None else "Loading the data…")
            self.progress_changed.emit("" if record is None else "Training: loading the data…")
            return
        self.progress.set_fraction(record.progress)
        text = progress_text(record)
        self.progress_text.setText(text)
        self.progress_changed.emit(text if record.running else "")

    def _run_ended(self, _files: object) -> None:
        self._refresh_history()
        self._session_changed()
        record = self.session.record if self.session is not None else None
        outcome = record.outcome if record is not None else None
        if isinstance(outcome, Failed):
            self.status.emit(f"Training failed: {_sentence(outcome.message)}", True)
        elif isinstance(outcome, Finished):
            stopped = outcome.metrics.get("stopped")
            self.status.emit("Training stopped" if stopped else "Training finished", False)

    # ----- history -------------------------------------------------------------------------------
    def _open_history(self) -> None:
        if self._store is not None:
            return
        try:
            self._store = RunStore(history_folder() / HISTORY_FILE)
        except RunStoreError as error:
            self._say(f"The run history cannot be opened: {error}", error=True)
            return
        self.history.set_store(self._store, history_folder() / "runs")

    def _refresh_history(self) -> None:
        self.history.refresh()
        self._overlays_changed(self.history.overlay_ids())

    def _overlays_changed(self, ids: list[int]) -> None:
        store = self._store
        overlays = []
        current = self.session.last_run_id if self.session is not None else None
        running = self.session is not None and self.session.state is not State.IDLE
        for run_id in ids:
            if store is None or (running and run_id == current):
                continue
            try:
                steps, values = store.overview(run_id)
                name = store.run(run_id).name
            except (RunStoreError, KeyError, ValueError):
                continue
            overlays.append(Overlay(run_id, name, steps, values))
        self.curves.set_overlays(overlays)


def progress_text(record: object) -> str:
    """``Epoch 3 of 10 · step 1,234 of 4,690 · 4,512 samples/s · 0:42 left``."""
    from netbuilder.train.record import RunRecord

    assert isinstance(record, RunRecord) and record.started is not None
    started = record.started
    epoch = min(record.epoch + (1 if record.running else 0), started.total_epochs)
    parts = [f"Epoch {max(epoch, 1)} of {started.total_epochs}",
             f"step {record.step:,} of {record.total_steps:,}"]
    if record.samples_per_s:
        parts.append(f"{record.samples_per_s:,.0f} samples/s")
    eta = record.eta
    if record.running and eta is not None:
        parts.append(f"{_clock(eta)} left")
    elif not record.running:
        parts.append(f"took {_clock(record.elapsed)}")
    return " · ".join(parts)


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _finished_text(outcome: Finished, elapsed: float, kept_epochs: int) -> str:
    metrics = outcome.metrics
    if metrics.get("stopped"):
        done = metrics.get("epochs_done", 0)
        text = f"Stopped after {done} finished epoch{'s' * (done != 1)}"
        if not kept_epochs:
            return text + "."
        # Checkpoints are at most one per 10 s: short epochs may not all have one.
        which = ("of the last finished epoch" if kept_epochs >= done
                 else f"after epoch {kept_epochs}")
        return (f"{text}; the weights {which} are kept (Continue last run goes on from "
                "there).")
    parts = [f"Finished in {_clock(elapsed)}"]
    if outcome.test_accuracy is not None:
        split = metrics.get("confusion_split", "test")
        parts.append(f"{split} accuracy {outcome.test_accuracy * 100:.2f}%")
    elif outcome.test_loss is not None:
        parts.append(f"test loss {outcome.test_loss:.4g}")
    if metrics.get("val_accuracy") is not None:
        parts.append(f"validation accuracy {metrics['val_accuracy'] * 100:.2f}%")
    elif metrics.get("loss") is not None:
        parts.append(f"final loss {metrics['loss']:.4g}")
    if metrics.get("sample"):
        parts.append(f"writes “{metrics['sample']}”")
    return ", ".join(parts) + "."


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


def _problem(editor: DocumentWidget | None, blocker: Blocker) -> Problem:
    """A Problems panel row for a training blocker."""
    graph = blocker.graph or ""
    name, block_type = "", ""
    if editor is not None and blocker.node and graph in editor.doc.graphs:
        node = editor.doc.graph(graph).nodes.get(blocker.node)
        if node is not None:
            name = node.name
            spec = editor.doc.catalogue.get(node.type)
            block_type = spec.title if spec else node.type
    return Problem(graph, blocker.node, "Cannot train yet: " + blocker.message, "warning",
                   name, block_type)

