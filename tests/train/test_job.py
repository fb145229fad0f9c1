"""A training job as the app runs it: a snapshot, the history, the final weights."""

from __future__ import annotations

from pathlib import Path

import netbuilder
from netbuilder.core import fileformat
from netbuilder.resources import example_path
from netbuilder.train.control import TrainingControl
from netbuilder.train.events import Failed, Finished, Metrics, Started
from netbuilder.train.job import RunFiles, TrainingJob, run_job
from netbuilder.train.runstore import RunStore
from netbuilder.train.settings import TrainingSettings


def _job(tmp_path: Path, **changes: object) -> TrainingJob:
    doc = netbuilder.load(example_path("regression_mlp"))
    settings = TrainingSettings.from_doc(doc).with_changes(epochs=2, device="cpu")
    values = {"doc_text": fileformat.dumps(doc), "document": "regression_mlp.nbg",
              "settings": settings, "data": settings.dataset, "run_name": "first",
              "store": tmp_path / "runs.sqlite", "runs_folder": tmp_path / "runs"}
    values.update(changes)
    return TrainingJob(**values)  # type: ignore[arg-type]


def test_a_job_trains_records_every_step_and_keeps_the_weights(tmp_path: Path) -> None:
    seen: list[object] = []
    files = run_job(_job(tmp_path), TrainingControl(), seen.append)
    assert isinstance(seen[0], Started) and isinstance(seen[-2], Finished)
    assert seen[-1] == files and isinstance(files, RunFiles)
    assert files.weights is not None and files.weights.exists()
    assert files.checkpoint is not None and files.checkpoint.name == f"run-{files.run_id}.ckpt"
    steps = sum(len(e.step_losses) for e in seen if isinstance(e, Metrics))
    with RunStore(tmp_path / "runs.sqlite") as store:
        row = store.run(files.run_id)  # type: ignore[arg-type]
        assert row.status == "finished" and row.name == "first"
        assert row.weights == str(files.weights) and row.parameters == 121
        assert len(store.steps(row.id)[1]) == steps == seen[0].steps_per_epoch * 2
    # The weights load into the network they were trained for.
    doc = netbuilder.load(example_path("regression_mlp"))
    netbuilder.build(doc, weights=files.weights)


def test_bad_data_ends_the_job_with_a_message_not_an_exception(tmp_path: Path) -> None:
    seen: list[object] = []
    files = run_job(_job(tmp_path, data=str(tmp_path / "missing.csv")), TrainingControl(),
                    seen.append)
    failed = seen[-2]
    assert isinstance(failed, Failed) and failed.kind == "input"
    assert "missing.csv" in failed.message and files.weights is None


def test_a_job_stopped_before_it_starts_ends_at_once(tmp_path: Path) -> None:
    control = TrainingControl()
    control.stop()
    seen: list[object] = []
    run_job(_job(tmp_path), control, seen.append)
    assert isinstance(seen[-2], Finished) and seen[-2].metrics["stopped"]
