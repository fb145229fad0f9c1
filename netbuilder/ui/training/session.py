"""The training state of one open document: its runner, its current run, its weights.

Each document widget gets one :class:`TrainingSession` when the training dock first shows it.
Pressing Train snapshots the document (its .nbg text) so the live graph stays editable; the
session notes the undo position then and can tell when the graph changed since the run began.
Closing the document stops its run and waits for it (at most 2 s).
"""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

from netbuilder.core import fileformat
from netbuilder.train.events import Event, Failed, Finished
from netbuilder.train.job import RunFiles, TrainingJob
from netbuilder.train.record import RunRecord
from netbuilder.train.results import RESULTS_INTERVAL_S
from netbuilder.train.settings import TrainingSettings
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.gc_guard import collect_between_runs
from netbuilder.ui.training.runner import TrainingRunner

HISTORY_FILE = "runs.sqlite"


def history_folder() -> Path:
    """Where the run history and the runs' weights live (the user's data folder)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location or Path.home() / ".netbuilder")


class State(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class TrainingSession(QObject):
    """One document's training.

    Signals:
        changed(): the state, the weights or the outcome changed (buttons, messages).
        updated(): new events reached the record (curves redraw).
        run_ended(object): a run ended; its :class:`RunFiles`.

    Attributes:
        record: the current (or last) run's record; None before the first run.
        checkpoint: the last run's checkpoint, to resume from.
        probe_interval: seconds between probes (block outputs and histograms) in the next
            run; None, the default, takes none: probes cost throughput (tests/benchmarks/
            bench_dock.py), so only a view that shows them asks, through :meth:`set_probe`
            (the views' requests combined).
        probe_blocks: the blocks probed (None: all of them), with ``probe_sample`` the
            probe sample whose outputs are kept.

    The document's weights (the last run's, a loaded file, or those beside its file) live on
    the document widget (``editor.weights``), where File ▸ Export finds them too.
    """

    changed = Signal()
    updated = Signal()
    run_ended = Signal(object)

    def __init__(self, editor: DocumentWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.runner = TrainingRunner(self)
        self.runner.events_ready.connect(self._events)
        self.runner.ended.connect(self._ended)
        self.record: RunRecord | None = None
        self.checkpoint: Path | None = None
        self.checkpoint_epochs = 0  # the finished epochs that checkpoint holds
        self.last_run_id: int | None = None
        self.stopping = False
        self._start_index: int | None = None
        self._runs = 0
        self.probe_interval: float | None = None
        #: Each view's probe request: viewer -> (blocks, interval, sample).
        self._probe_requests: dict[str, tuple[tuple[str, ...] | None, float, int | None]] = {}
        self.probe_blocks: tuple[str, ...] | None = None
        self.probe_sample = 0
        #: Whether a results view shows: the run takes Results only then (see show_results).
        self.results_shown = False
        editor.add_close_hook(self.shutdown)

    # ----- state ----------------------------------------------------------------------------
    @property
    def state(self) -> State:
        if not self.runner.running:
            return State.IDLE
        if self.stopping:
            return State.STOPPING
        return State.PAUSED if self.runner.paused else State.RUNNING

    @property
    def graph_changed(self) -> bool:
        """The document was edited since the current run began (the run trains the old one)."""
        return (self._start_index is not None and self.runner.running
                and self.editor.undo_stack.index() != self._start_index)

    # ----- control ---------------------------------------------------------------------------
    def start(self, settings: TrainingSettings, *, resume: bool = False,
              from_weights: bool = False, store: Path | None = None) -> None:
        """Starts a run of the document as it is now.

        Args:
            settings: the checked training settings.
            resume: continue from the last run's checkpoint.
            from_weights: start from the document's weights instead of fresh ones.
            store: the history database; by default the one in :func:`history_folder`.
        """
        folder = history_folder()
        self._runs += 1
        name = f"{self.editor.title.removesuffix(fileformat.SUFFIX)} #{self._runs}"
        job = TrainingJob(
            doc_text=fileformat.dumps(self.editor.doc), document=self.editor.title,
            settings=settings, data=settings.dataset, run_name=name,
            store=store if store is not None else folder / HISTORY_FILE,
            runs_folder=folder / "runs",
            resume=self.checkpoint if resume else None,
            initial_weights=self.editor.weights if from_weights and not resume else None,
            probe_interval=self.probe_interval, results_interval=RESULTS_INTERVAL_S)
        self.record = RunRecord(name)
        self.stopping = False
        self._start_index = self.editor.undo_stack.index()
        collect_between_runs()  # before the worker starts: no collection backlog in the run
        self.runner.start(job)
        self.runner.control.set_probe(self.probe_blocks, self.probe_interval, self.probe_sample)
        self.runner.control.show_results(self.results_shown)
        self.changed.emit()

    def pause(self) -> None:
        self.runner.pause()
        self.changed.emit()

    def resume(self) -> None:
        self.runner.resume()
        self.changed.emit()

    def stop(self) -> None:
        if self.runner.running:
            self.stopping = True
            self.runner.stop()
            self.changed.emit()

    def set_lr(self, lr: float) -> None:
        """A new learning rate for the running job, from its next step on."""
        if self.runner.running:
            self.runner.set_lr(lr)

    def set_probe(self, blocks: tuple[str, ...] | None, interval: float | None,
                  sample: int | None = None, *, viewer: str = "activations") -> None:
        """``viewer`` wants ``blocks`` (None: all of them) probed every ``interval`` seconds
        (None: it wants nothing) in this run and the next.

        Several views may ask at once (the activation viewer, the blocks' previews): the run
        probes the union of their blocks at the shortest of their intervals, and the probe
        sample a view named (``sample`` None: any will do). The running engine takes the
        change at its next step.
        """
        if interval is None:
            self._probe_requests.pop(viewer, None)
        else:
            self._probe_requests[viewer] = (blocks, interval, sample)
        requests = list(self._probe_requests.values())
        if not requests:
            blocks, interval, sample = None, None, 0
        else:
            wanted = [request[0] for request in requests]
            blocks = None if any(b is None for b in wanted) else tuple(
                sorted({block for b in wanted if b is not None for block in b}))
            interval = min(request[1] for request in requests)
            sample = next((request[2] for request in requests if request[2] is not None), 0)
        self.probe_blocks, self.probe_interval, self.probe_sample = blocks, interval, sample
        if self.runner.running:
            self.runner.control.set_probe(blocks, interval, sample)

    def show_results(self, shown: bool) -> None:
        """A results view shows (or no longer does): the run takes Results only meanwhile,
        so a hidden view costs it nothing."""
        self.results_shown = shown
        self.runner.control.show_results(shown)

    def request_text(self, prompt: str, temperature: float, length: int) -> int | None:
        """Asks the running job for text from its latest weights (a TextReply answers);
        None when no job runs."""
        if not self.runner.running:
            return None
        return self.runner.control.request_text(prompt, temperature, length)

    def use_weights(self, path: Path, origin: str) -> None:
        """The document's weights from now on (exported, saved, trained from)."""
        self.editor.weights, self.editor.weights_origin = path, origin
        self.changed.emit()

    def shutdown(self) -> bool:
        """Stops the run and waits for it (the document closes)."""
        return self.runner.shutdown()

    # ----- from the runner -------------------------------------------------------------------
    def _events(self, events: list[Event]) -> None:
        record = self.record
        if record is None:
            return
        for event in events:
            record.write(event)
        self.updated.emit()
        if any(isinstance(e, Finished | Failed) for e in events):
            self.changed.emit()

    def _ended(self, files: RunFiles | None) -> None:
        self.stopping = False
        self._start_index = None
        if self.record is not None:
            self.record.close()
        if files is not None:
            self.last_run_id = files.run_id
            # What this run kept (an earlier run's checkpoint stays the one to continue).
            self.checkpoint_epochs = files.checkpoint_epochs
            if files.checkpoint is not None:
                self.checkpoint = files.checkpoint
            if files.weights is not None:
                where = f"run {files.run_id}" if files.run_id is not None else "the last run"
                self.editor.weights = files.weights
                self.editor.weights_origin = f"trained in {where}"
        self.run_ended.emit(files)
        self.changed.emit()
        collect_between_runs()  # what the run left, while the next has not begun
