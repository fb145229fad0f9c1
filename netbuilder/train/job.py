"""One training run as the app starts it: a snapshot, its data, its sinks, its files.

:func:`run_job` is what the app's worker thread runs (netbuilder/ui/training/runner.py owns
the thread; this module has no Qt). It rebuilds the document from the text snapshot taken when
Start was pressed, so the live graph stays editable; loads the data set; trains with
:func:`netbuilder.train.loop.train`; writes the run into the history (every step, every epoch,
how it ended); keeps checkpoints (at epoch ends, at most one per 10 s) and the final weights
beside the run's row; and hands every event to ``emit`` (which queues it for the GUI thread).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import netbuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.inference import analyse
from netbuilder.train.control import TrainingControl
from netbuilder.train.events import Event, Failed, Finished
from netbuilder.train.host_memory import release_freed_memory
from netbuilder.train.runstore import RunInfo, RunStore
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.sinks import RunStoreSink, Sinks

if TYPE_CHECKING:
    from netbuilder.core.graph import Document
    from netbuilder.train.data.base import Dataset

#: The engine reports this often for the app. The GUI drains at 20 Hz and redraws the curves
#: at 10 Hz (each redraw takes time the training thread waits for): a step then waits at most
#: 25 ms for its report, 50 ms to be drained and 100 ms to be drawn. A report costs one
#: device sync: 40 a second are far below a step's own cost.
APP_REPORT_INTERVAL_S = 0.025


@dataclass(frozen=True)
class TrainingJob:
    """What to train and where its records go.

    Attributes:
        doc_text: the document as saved (.nbg text) when Start was pressed.
        document: the document's display name (for the history).
        settings: the training settings (the document's, checked).
        data: the data source: a built-in name or a path.
        network: the network to train; None for the first.
        run_name: the run's name in the history.
        store: the run history database; None keeps no history.
        runs_folder: where checkpoints and final weights of runs are kept.
        resume: a checkpoint to continue from.
        initial_weights: a weights file to start from.
        probe_interval: seconds between probes; None for none.
        results_interval: the fewest seconds between Results events (the results views');
            None for none.
    """

    doc_text: str
    document: str
    settings: TrainingSettings
    data: str
    network: str | None = None
    run_name: str = "run"
    store: Path | None = None
    runs_folder: Path | None = None
    resume: Path | None = None
    initial_weights: Path | None = None
    probe_interval: float | None = None
    results_interval: float | None = None
    report_interval: float = APP_REPORT_INTERVAL_S


@dataclass(frozen=True)
class RunFiles:
    """Sent after the last event: where the run's row and files are.

    Attributes:
        run_id: the run's id in the history (None without one).
        weights: the final weights file (None when no epoch finished).
        checkpoint: the last checkpoint, to resume from (None when no epoch finished).
        checkpoint_epochs: the finished epochs the checkpoint and the weights hold
            (checkpoints are spaced in time: a stopped run's may be a little behind).
    """

    run_id: int | None
    weights: Path | None
    checkpoint: Path | None
    checkpoint_epochs: int = 0


def run_job(job: TrainingJob, control: TrainingControl,
            emit: Callable[[Event | RunFiles], None]) -> RunFiles:
    """Runs ``job`` on the calling thread until it ends or ``control`` stops it.

    Every failure becomes a Failed event (bad data, a graph that cannot be built, NaN, out of
    memory); nothing raises. The last thing emitted is the :class:`RunFiles`.
    """
    run = _JobRun(job, control, emit)
    try:
        run.run()
    except NetbuilderError as error:
        run.fail(Failed(str(error), "Fix what the message names, then train again.", "input"))
    except MemoryError:
        run.fail(Failed("out of memory", "Use a smaller batch size, model or data set.",
                        "out_of_memory"))
    except Exception as error:  # a bug: the worker must end with a message, not silently
        import traceback

        traceback.print_exc()
        run.fail(Failed(f"internal error: {type(error).__name__}: {error}",
                        "Please report this as a netbuilder bug."))
    finally:
        run.close()
        # The run's data set is gone now too: hand its memory back as well (the engine kept
        # what its steps freed, netbuilder/train/host_memory.py).
        release_freed_memory()
    emit(run.files)
    return run.files


class _JobRun:
    """The state of one job while it runs on the worker thread."""

    def __init__(self, job: TrainingJob, control: TrainingControl,
                 emit: Callable[[Event | RunFiles], None]) -> None:
        self.job, self.control, self.emit = job, control, emit
        self.sinks = Sinks([])
        self.store: RunStore | None = None
        self.scratch: Path | None = None
        self.files = RunFiles(None, None, None)

    def run(self) -> None:
        job = self.job
        doc = netbuilder.loads(job.doc_text, job.document)
        settings = job.settings
        network = settings.recipe_spec.data_network(doc, settings.extra, job.network)
        dataset = _load_data(job, doc, network)
        if self.control.stopped:
            self.emit(Finished({"stopped": True, "epochs_done": 0}, None, None))
            return
        run_id = None
        if job.store is not None:
            self.store = RunStore(job.store)
            sink = RunStoreSink(self.store, _run_info(job, doc, network))
            self.sinks.sinks.append(sink)
            run_id = sink.open()
        folder = job.runs_folder
        if folder is None:
            self.scratch = folder = Path(tempfile.mkdtemp(prefix="netbuilder-run-"))
        folder.mkdir(parents=True, exist_ok=True)
        checkpoint = folder / (f"run-{run_id}.ckpt" if run_id is not None else "run.ckpt")
        from netbuilder.train.loop import train

        for event in train(doc, dataset, settings, self.control, network=job.network,
                           checkpoint=checkpoint, resume=job.resume,
                           initial_weights=job.initial_weights,
                           report_interval=job.report_interval,
                           probe_interval=job.probe_interval,
                           results_interval=job.results_interval):
            self.sinks.write(event)
            self.emit(event)
            if isinstance(event, Finished | Failed):
                break
        self.files = self._keep_files(checkpoint, run_id)

    def fail(self, failure: Failed) -> None:
        self.sinks.write(failure)
        self.emit(failure)

    def close(self) -> None:
        self.sinks.close()
        if self.store is not None:
            self.store.close()
        if self.scratch is not None and self.files.weights is None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _keep_files(self, checkpoint: Path, run_id: int | None) -> RunFiles:
        """The final weights (from the last checkpoint) beside the run, noted in its row."""
        if not checkpoint.exists():
            return RunFiles(run_id, None, None)
        from netbuilder.train.checkpoint import load_checkpoint
        from netbuilder.train.console import save_weights

        weights = checkpoint.with_suffix(".pt")
        save_weights(checkpoint, weights)
        if self.store is not None and run_id is not None:
            self.store.update_run(run_id, weights=str(weights))
        return RunFiles(run_id, weights, checkpoint, load_checkpoint(checkpoint)["epoch"])


def _load_data(job: TrainingJob, doc: Document, network: str) -> Dataset:
    from netbuilder.train.data import load_dataset
    from netbuilder.train.readiness import input_shape

    if not job.data:
        raise NetbuilderError("no data set: choose one in the Training panel")
    return load_dataset(job.data, input_shape=input_shape(doc, network),
                        seed=job.settings.seed)


def _run_info(job: TrainingJob, doc: Document, network: str) -> RunInfo:
    analysis = analyse(doc, doc.network(network))
    return RunInfo(
        name=job.run_name, document=job.document,
        doc_hash=hashlib.sha256(job.doc_text.encode("utf-8")).hexdigest()[:16],
        network=network, recipe=job.settings.recipe, settings=job.settings.to_dict(),
        device=job.settings.device, parameters=analysis.built_params,
        macs_per_sample=analysis.built_macs, started=time.time())
