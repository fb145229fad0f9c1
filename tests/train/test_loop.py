"""The training loop on the CPU: control, reproducibility, failures, checkpoints, syncs."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
import torch

import netbuilder
from netbuilder.train import supervised, sync
from netbuilder.train.control import TrainingControl
from netbuilder.train.data.base import Dataset, DataSplit
from netbuilder.train.events import EpochEnd, Failed, Finished, Metrics, Started
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss

# The data package's own classes, under the short names these tests use.
Split = DataSplit
Data = Dataset


def blobs(count: int, seed: int = 0) -> Split:
    """Three classes of 1x4x4 images: class k lights up row k."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (count,), generator=g)
    x = torch.randn(count, 1, 4, 4, generator=g) * 0.3
    x[torch.arange(count), 0, y] += 1.0
    return Split(x, y)


def dataset(count: int = 96) -> Data:
    return Data("blobs", blobs(count), test=blobs(60, seed=1), classes=["a", "b", "c"])


SETTINGS = TrainingSettings(recipe="classification", optimizer="adam", lr=0.01, batch_size=8,
                            epochs=3, validation_split=0.25, seed=3, device="cpu")


def run(settings: TrainingSettings = SETTINGS, data: Data | None = None, **kwargs: object
        ) -> list[object]:
    return list(train(classifier_with_loss(), data or dataset(), settings, **kwargs))


def epoch_losses(events: list[object]) -> list[float]:
    return [e.loss for e in events if isinstance(e, EpochEnd)]


def test_events_in_order_with_validation_test_and_confusion_matrix() -> None:
    events = run()
    started, finished = events[0], events[-1]
    assert isinstance(started, Started)
    assert started.device == "cpu" and started.fast_path == "eager"
    assert started.fallback_reason is not None and "cpu" in started.fallback_reason
    # 96 samples, 24 held out for validation: 72 / 8 = 9 steps.
    assert started.steps_per_epoch == 9
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in ends] == [1, 2, 3]
    assert all(e.val_loss is not None and e.val_accuracy is not None for e in ends)
    assert isinstance(finished, Finished)
    assert finished.test_accuracy is not None and finished.test_accuracy > 0.8
    matrix = finished.metrics["confusion_matrix"]
    assert len(matrix) == 3 and sum(map(sum, matrix)) == 60
    assert finished.metrics["epochs_done"] == 3 and not finished.metrics["stopped"]


def test_same_seed_same_losses_other_seed_differs() -> None:
    first, second = epoch_losses(run()), epoch_losses(run())
    assert first == second
    assert epoch_losses(run(SETTINGS.with_changes(seed=4))) != first


def test_last_partial_batch_kept_or_dropped() -> None:
    kept = run(SETTINGS.with_changes(batch_size=10, epochs=1))
    dropped = run(SETTINGS.with_changes(batch_size=10, epochs=1, drop_last=True))
    assert kept[0].steps_per_epoch == 8  # 72 samples: 7 full batches + 2
    assert dropped[0].steps_per_epoch == 7


def test_nan_loss_fails_with_advice() -> None:
    data = dataset()
    data.train.x[5, 0, 0, 0] = float("nan")
    events = run(SETTINGS.with_changes(validation_split=0.0), data)
    assert isinstance(events[-1], Failed)
    assert "nan" in events[-1].message.lower()
    assert "learning rate" in events[-1].advice


def test_shape_mismatch_fails_before_the_first_step_naming_both_shapes() -> None:
    data = Data("wrong", Split(torch.randn(20, 1, 5, 5), torch.zeros(20, dtype=torch.int64)))
    events = run(data=data)
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert "(1, 5, 5)" in events[0].message and "(1, 4, 4)" in events[0].message
    assert "image" in events[0].message


def test_a_recipe_the_network_does_not_fit_and_a_bad_device_fail_cleanly() -> None:
    (event,) = run(SETTINGS.with_changes(recipe="gan"))
    assert isinstance(event, Failed) and "generator" in event.message
    (event,) = run(SETTINGS.with_changes(recipe="vae"))
    assert isinstance(event, Failed) and "vae" in event.message
    if not torch.cuda.is_available():
        (event,) = run(SETTINGS.with_changes(device="cuda"))
        assert isinstance(event, Failed) and "cuda" in event.message


def test_stop_ends_the_run_after_the_current_step() -> None:
    control = TrainingControl()
    events = []
    for event in train(classifier_with_loss(), dataset(), SETTINGS.with_changes(epochs=50),
                       control):
        events.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 2:
            control.stop()
    assert isinstance(events[-1], Finished)
    assert events[-1].metrics["stopped"] and events[-1].metrics["epochs_done"] == 2
    assert events[-1].test_loss is None


def test_pause_blocks_until_resume_and_stop_works_while_paused() -> None:
    control = TrainingControl()
    control.pause()
    threading.Timer(0.3, control.resume).start()
    start = time.perf_counter()
    events = list(train(classifier_with_loss(), dataset(), SETTINGS.with_changes(epochs=1),
                        control))
    assert time.perf_counter() - start >= 0.3
    assert isinstance(events[-1], Finished) and not events[-1].metrics["stopped"]

    control = TrainingControl()
    control.pause()
    threading.Timer(0.2, control.stop).start()
    events = list(train(classifier_with_loss(), dataset(), SETTINGS, control))
    assert isinstance(events[-1], Finished) and events[-1].metrics["stopped"]


def test_set_lr_reaches_the_optimizer() -> None:
    control = TrainingControl()
    seen: list[float] = []
    settings = SETTINGS.with_changes(epochs=40, validation_split=0.0)
    for event in train(classifier_with_loss(), dataset(), settings, control,
                       report_interval=0.0):
        if isinstance(event, Metrics):
            seen.append(event.lr)
            if event.step == 5:
                control.set_lr(0.5)
            if event.step == 20:
                control.stop()
    assert seen[0] == pytest.approx(0.01)
    assert seen[-1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="learning rate"):
        control.set_lr(0)


def test_checkpoint_resume_matches_an_uninterrupted_run(tmp_path) -> None:
    settings = SETTINGS.with_changes(epochs=4, schedule="step", step_size=2, gamma=0.5)
    whole = run(settings)
    path = tmp_path / "run.ckpt"
    control = TrainingControl()
    first = []
    for event in train(classifier_with_loss(), dataset(), settings, control, checkpoint=path):
        first.append(event)
        if isinstance(event, EpochEnd) and event.epoch == 2:
            control.stop()
    assert path.exists() and not list(tmp_path.glob("*.tmp"))
    rest = run(settings, resume=path)
    assert epoch_losses(first) + epoch_losses(rest) == epoch_losses(whole)
    assert rest[-1].test_loss == whole[-1].test_loss


def test_checkpoints_are_spaced_in_time_and_the_last_epoch_is_always_saved(
        tmp_path, monkeypatch) -> None:
    """Five quick epochs within one interval: the first and the last are saved, no more."""
    from netbuilder.train import loop

    saved: list[int] = []
    original = loop.save_checkpoint

    def counting(path: object, state: dict) -> None:
        saved.append(state["epoch"])
        original(path, state)

    monkeypatch.setattr(loop, "save_checkpoint", counting)
    path = tmp_path / "run.ckpt"
    run(SETTINGS.with_changes(epochs=5), checkpoint=path, checkpoint_interval=3600)
    assert saved == [1, 5]
    saved.clear()
    run(SETTINGS.with_changes(epochs=3), checkpoint=path, checkpoint_interval=0)
    assert saved == [1, 2, 3]


def test_a_stop_mid_epoch_keeps_the_last_saved_checkpoint(tmp_path) -> None:
    """Weights part-way through an epoch are not a checkpoint: resuming must stay exact."""
    from netbuilder.train.checkpoint import load_checkpoint

    settings = SETTINGS.with_changes(epochs=4)
    path = tmp_path / "run.ckpt"
    control = TrainingControl()
    steps = 0
    for event in train(classifier_with_loss(), dataset(), settings, control, checkpoint=path,
                       report_interval=0.0, checkpoint_interval=3600):
        if isinstance(event, Metrics):
            steps += len(event.step_losses)
            if steps >= 9 * 2 + 4:  # four steps into the third epoch
                control.stop()
    assert load_checkpoint(path)["epoch"] == 1  # epoch 2 came too soon after epoch 1's save


def test_reads_back_far_less_often_than_it_steps(monkeypatch) -> None:
    """Every device read goes through sync.to_host or Tensor.item; count both."""
    counts = {"to_host": 0, "item": 0}
    original_to_host, original_item = sync.to_host, torch.Tensor.item

    def counting_to_host(values: torch.Tensor) -> list[float]:
        counts["to_host"] += 1
        return original_to_host(values)

    def counting_item(self: torch.Tensor) -> object:
        counts["item"] += 1
        return original_item(self)

    monkeypatch.setattr(sync, "to_host", counting_to_host)
    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    # SGD: torch's own Adam reads its step counter with .item() on the CPU; SGD reads nothing.
    settings = SETTINGS.with_changes(optimizer="sgd", batch_size=1, epochs=4,
                                     validation_split=0.0)
    events = run(settings, report_interval=0.1)
    steps = events[0].steps_per_epoch * 4
    assert steps == 384
    reports = sum(isinstance(e, Metrics) for e in events)
    # One read per report (the last of each epoch included: the epoch's figures come from it)
    # and one for the test evaluation.
    assert counts["to_host"] == reports + 1
    assert counts["item"] == 0
    assert counts["to_host"] < steps / 10


def test_every_step_is_reported_once_in_order_with_its_own_loss() -> None:
    settings = SETTINGS.with_changes(batch_size=4, epochs=3, validation_split=0.0)
    events = run(settings, report_interval=0.0)
    reports = [e for e in events if isinstance(e, Metrics)]
    steps = events[0].steps_per_epoch * 3
    rows = [r for e in reports for r in e.step_losses]
    assert len(rows) == steps
    firsts = [e.first_step for e in reports]
    assert firsts[0] == 1 and all(b > a for a, b in itertools.pairwise(firsts))
    # Each report's mean is the sample-weighted mean of its steps (last batches may be short).
    for event in reports:
        assert event.step_losses.dtype.name == "float32"
        assert abs(float(event.step_losses[:, 0].mean()) - event.loss) < 0.05 + 0.05 * event.loss
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.step for e in ends] == [steps // 3, 2 * steps // 3, steps]


def test_more_steps_than_the_log_holds_between_reports_are_all_kept(monkeypatch) -> None:
    from netbuilder.train import steplog

    monkeypatch.setattr(steplog, "CAPACITY", 5)
    settings = SETTINGS.with_changes(batch_size=2, epochs=1, validation_split=0.0)
    events = run(settings, report_interval=3600.0)
    reports = [e for e in events if isinstance(e, Metrics)]
    assert sum(len(e.step_losses) for e in reports) == events[0].steps_per_epoch == 48
    assert max(len(e.step_losses) for e in reports) == 5


def test_probes_keep_their_spacing(monkeypatch) -> None:
    calls: list[float] = []
    original = supervised.SupervisedRun.probe

    def counting(self: supervised.SupervisedRun, epoch: int, step: int, **how: object
                 ) -> object:
        calls.append(time.perf_counter())
        return original(self, epoch, step, **how)

    monkeypatch.setattr(supervised.SupervisedRun, "probe", counting)
    settings = SETTINGS.with_changes(batch_size=1, epochs=2, validation_split=0.0)
    started = time.perf_counter()
    events = run(settings, probe_interval=0.2)
    seconds = time.perf_counter() - started
    steps = events[0].steps_per_epoch * 2
    # One probe after the first step, then at most one per 0.2 s, and one of the final
    # weights: never one per step.
    assert 1 <= len(calls) <= seconds / 0.2 + 3 < steps


def test_real_dataset_class_is_accepted() -> None:
    base = pytest.importorskip("netbuilder.train.data.base")
    split = blobs(48)
    data = base.Dataset("blobs", base.DataSplit(split.x, split.y))
    events = list(train(classifier_with_loss(), data, SETTINGS.with_changes(epochs=1)))
    assert isinstance(events[-1], Finished)


def test_doc_training_settings_are_used_when_none_given() -> None:
    doc = netbuilder.load(netbuilder.resources.example_path("regression_mlp"))
    doc.training.update(epochs=1, device="cpu")
    g = torch.Generator().manual_seed(0)
    data = Data("rows", Split(torch.randn(30, 10, generator=g), torch.randn(30, 1, generator=g)))
    events = list(train(doc, data))
    assert events[0].steps_per_epoch == 3 and isinstance(events[-1], Finished)


def test_out_of_memory_fails_with_batch_size_advice(monkeypatch) -> None:
    def exhausted(*_args: object) -> object:
        def step(_index: torch.Tensor) -> None:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return step

    monkeypatch.setattr(supervised, "eager_step", exhausted)
    events = run()
    assert isinstance(events[-1], Failed)
    assert "out of GPU memory" in events[-1].message
    assert "smaller batch" in events[-1].advice


def test_bad_settings_in_the_document_fail_naming_the_key() -> None:
    doc = classifier_with_loss()
    doc.training.update(batch_size=0)
    (event,) = list(train(doc, dataset()))
    assert isinstance(event, Failed) and "'batch_size'" in event.message


def test_bf16_and_channels_last_run_on_the_cpu() -> None:
    settings = SETTINGS.with_changes(bf16=True, channels_last=True, epochs=1)
    events = run(settings)
    assert isinstance(events[-1], Finished), events[-1]


def test_resume_accepts_a_checkpoint_written_by_the_cuda_graph_path(tmp_path) -> None:
    """Such a checkpoint has capturable=True and a tensor lr; an eager run keeps its own."""
    path = tmp_path / "run.ckpt"
    settings = SETTINGS.with_changes(epochs=2)
    list(train(classifier_with_loss(), dataset(), settings.with_changes(epochs=1),
               checkpoint=path))
    state = torch.load(path, weights_only=True)
    (optimizer,) = state["optimizers"].values()
    for group in optimizer["param_groups"]:
        group["capturable"], group["lr"] = True, torch.tensor(group["lr"])
    torch.save(state, path)
    events = run(settings, resume=path)
    assert isinstance(events[-1], Finished), events[-1]
