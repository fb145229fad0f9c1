"""Results events: every recipe names a view kind, the loop sends what that view shows (during
the first epoch, at epoch ends, only when asked), and a running language model writes text on
request."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.resources import example_path
from netbuilder.train import results as kinds
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.events import EpochEnd, Finished, Results, TextReply
from netbuilder.train.generate import text_from_weights
from netbuilder.train.loop import train
from netbuilder.train.readiness import input_shape
from netbuilder.train.recipes import RECIPES
from netbuilder.train.results import ResultsCadence, ResultsLog
from netbuilder.train.settings import TrainingSettings
from tests.helpers import moons_classifier


def run_example(name: str, epochs: int = 1, control: TrainingControl | None = None,
                interval: float | None = 0.0, **changes: object) -> list[object]:
    """Every event of a short CPU run of a bundled example (Results as often as allowed)."""
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=epochs,
                                                            **changes)
    network = settings.recipe_spec.data_network(doc, settings.extra, None)
    dataset = load_dataset(settings.dataset, input_shape=input_shape(doc, network),
                           seed=settings.seed)
    return list(train(doc, dataset, settings, control, results_interval=interval))


def results_of(events: list[object]) -> list[Results]:
    return [e for e in events if isinstance(e, Results)]


def test_every_recipe_names_a_results_kind() -> None:
    assert {recipe.results for recipe in RECIPES.values()} <= set(kinds.KINDS)
    assert RECIPES["perceptron"].results == kinds.BOUNDARY
    assert RECIPES["gan"].results == kinds.GAN and RECIPES["vae"].results == kinds.VAE


def test_no_results_unless_asked_for_or_while_no_view_shows() -> None:
    assert results_of(run_example("regression_mlp", epochs=3, interval=None)) == []
    control = TrainingControl()
    control.show_results(False)
    assert results_of(run_example("regression_mlp", epochs=3, control=control)) == []


def test_the_confusion_matrix_counts_the_whole_validation_split() -> None:
    doc = moons_classifier(2, batch_size=16, lr=0.001, validation_split=0.25)
    settings = TrainingSettings.from_doc(doc)
    dataset = load_dataset("moons", input_shape=(2,), seed=settings.seed)
    events = list(train(doc, dataset, settings, results_interval=0.0))
    results = results_of(events)
    first_epoch_end = next(i for i, e in enumerate(events) if isinstance(e, EpochEnd))
    assert any(events.index(r) < first_epoch_end for r in results)  # during the first epoch
    held = round(dataset.train.x.shape[0] * 0.25)
    for event in results:
        assert event.kind == kinds.CLASSIFICATION and event.split == "validation"
        assert event.confusion.shape == (2, 2) and event.confusion.sum() == held
        assert event.true.shape == event.predicted.shape == event.margin.shape == (held,)
        # The matrix and the per-sample answers tell the same story.
        assert np.trace(event.confusion) == int(np.sum(event.true == event.predicted))
        assert np.all(event.margin[event.true == event.predicted] == 0)
        assert np.all(event.margin >= 0)
        # 2-D inputs: the decision regions over the plane, with the points.
        assert event.boundary.shape == (64, 64) and set(np.unique(event.boundary)) <= {0, 1}
        assert event.points.shape[1] == 2 and len(event.point_labels) == len(event.points)
    # The held-out points are sent once: they do not change.
    assert results[0].sample_text is not None and len(results[0].sample_text) == held
    assert all(r.sample_text is None and r.samples is None for r in results[1:])
    final = [r for r in results if r.final]
    assert [r.epoch for r in final] == [1, 2]
    finished = events[-1]
    assert isinstance(finished, Finished)


def test_the_cnn_sends_its_digits_as_pictures_once() -> None:
    results = results_of(run_example("mnist_cnn", epochs=1))
    first = results[0]
    assert first.epoch == 1 and not first.final
    assert first.samples.shape == (len(first.true), 1, 28, 28)
    assert first.samples.min() >= 0.0 and first.samples.max() <= 1.0
    assert first.confusion.shape == (10, 10) and first.classes[:2] == ("0", "1")
    assert results[-1].final and results[-1].samples is None


def test_regression_sends_predicted_against_true() -> None:
    results = results_of(run_example("regression_mlp", epochs=2))
    assert results[0].epoch == 1 and results[0].kind == kinds.REGRESSION
    assert results[0].true.shape == results[0].predicted.shape == (100, 1)
    assert results[0].boundary is None  # 10 inputs: no plane


def test_the_perceptron_sends_its_boundary_with_the_points() -> None:
    results = results_of(run_example("perceptron", epochs=1))
    event = results[0]
    assert event.kind == kinds.BOUNDARY and event.epoch == 1
    assert event.boundary.shape == (64, 64)
    assert set(np.unique(event.boundary)) <= {0.0, 1.0}
    x0, x1, y0, y1 = event.extent
    assert x0 < event.points[:, 0].min() and event.points[:, 0].max() < x1
    assert y0 < event.points[:, 1].min() and event.points[:, 1].max() < y1


def test_the_gan_sends_its_fixed_noise_grid_during_the_first_epoch() -> None:
    events = run_example("gan_mnist", epochs=1)
    results = results_of(events)
    assert results[0].epoch == 1 and not results[0].final
    grids = [r.images["fixed noise"] for r in results]
    assert all(g.shape == (16, 1, 28, 28) for g in grids)
    assert results[-1].final
    log = ResultsLog()
    for event in results:
        log.write(event)
    assert list(log.epoch_images) == [1]


def test_the_vae_sends_reconstructions_prior_samples_and_a_walk() -> None:
    event = results_of(run_example("vae_mnist", epochs=1))[0]
    assert event.kind == kinds.VAE and event.epoch == 1
    images = event.images
    assert images["inputs"].shape == images["reconstructions"].shape == (8, 1, 28, 28)
    assert images["prior"].shape == (16, 1, 28, 28)
    first, second, side = event.walk_dims
    assert first != second and 0 <= first < 20 and 0 <= second < 20
    assert images["walk"].shape == (side * side, 1, 28, 28)
    # Along a row only the second dimension changes: neighbours differ, rows repeat nothing.
    assert not np.allclose(images["walk"][0], images["walk"][side - 1])


def test_a_running_language_model_writes_text_on_request() -> None:
    control = TrainingControl()
    first = control.request_text("wor", 0.0, 12)
    second = control.request_text("xyz", 0.5, 5)
    events = run_example("char_rnn", epochs=2, control=control)
    replies = [e for e in events if isinstance(e, TextReply)]
    assert [r.request for r in replies] == [first, second]
    assert replies[0].text is not None and replies[0].text.startswith("wor")
    assert len(replies[0].text) == 3 + 12
    assert replies[1].text is None and "'x'" in replies[1].error
    results = results_of(events)
    assert results[0].kind == kinds.TEXT and results[0].text.startswith("h")


def test_text_from_a_weights_file(tmp_path: Path) -> None:
    from netbuilder.train.console import save_weights

    doc = netbuilder.load(example_path("char_rnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", epochs=80)
    dataset = load_dataset("hello_world", input_shape=(10, 8), seed=0)
    checkpoint = tmp_path / "run.ckpt"
    *_, finished = train(doc, dataset, settings, checkpoint=checkpoint)
    assert isinstance(finished, Finished) and finished.metrics["sample"] == "hello world"
    weights = tmp_path / "run.pt"
    save_weights(checkpoint, weights)
    assert text_from_weights(doc, None, "hello_world", weights, "h", 0.0, 10) == "hello world"
    sampled = text_from_weights(doc, None, "hello_world", weights, "wo", 1.0, 30, seed=3)
    assert sampled.startswith("wo") and len(sampled) == 32 and set(sampled) <= set("helo wrd")


def test_the_cadence_spaces_slow_results_out() -> None:
    cadence = ResultsCadence(1.0)
    assert cadence.due(0.0)
    cadence.taken(0.0, 0.01)
    assert not cadence.due(0.5) and cadence.due(1.02)
    cadence.taken(2.0, 2.1)  # 0.1 s each: at most 2% of the time
    assert not cadence.due(6.0) and cadence.due(7.2)
    assert cadence.epoch_end_due(0.0, last_epoch=False)
    # An epoch end's Results (cheap: the validation pass is reused) keep the earned gap.
    cadence.taken(7.2, 7.21, epoch_end=True)
    assert not cadence.due(10.0) and cadence.due(12.3)
    assert not cadence.epoch_end_due(7.3, last_epoch=False)
    assert cadence.epoch_end_due(7.3, last_epoch=True)


def test_the_log_keeps_one_grid_per_epoch_within_bounds() -> None:
    log = ResultsLog()
    grid = np.zeros((4, 1, 8, 8), np.float32)
    for epoch in range(1, 2 * kinds.MAX_EPOCH_GRIDS + 2):
        log.write(Results(kinds.GAN, epoch, epoch, final=False, images={"fixed noise": grid}))
        log.write(Results(kinds.GAN, epoch, epoch, final=True, images={"fixed noise": grid}))
    assert len(log.epoch_images) <= kinds.MAX_EPOCH_GRIDS
    assert 1 in log.epoch_images and 2 * kinds.MAX_EPOCH_GRIDS + 1 in log.epoch_images
    assert log.latest is not None and log.count == 2 * (2 * kinds.MAX_EPOCH_GRIDS + 1)


@pytest.mark.parametrize(("values", "expected"), [
    (torch.zeros(3, 16, dtype=torch.int64), None),  # token ids
    (torch.rand(3, 784), (3, 1, 28, 28)),
    (torch.rand(3, 3, 8, 8) * 4 - 2, (3, 3, 8, 8)),
    (torch.rand(3, 10), None),
])
def test_which_samples_are_pictures(values: torch.Tensor, expected: tuple | None) -> None:
    from netbuilder.train.results_eval import pictures

    shown = pictures(values)
    if expected is None:
        assert shown is None
    else:
        assert shown.shape == expected and shown.min() >= 0 and shown.max() <= 1


def test_results_that_fail_never_end_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from netbuilder.train.supervised import SupervisedRun

    def broken(self: SupervisedRun, final: bool) -> dict:
        raise RuntimeError("outputs this view cannot show")

    monkeypatch.setattr(SupervisedRun, "_regression_results", broken)
    with pytest.warns(RuntimeWarning, match="cannot show"):
        events = run_example("regression_mlp", epochs=2)
    assert results_of(events) == [] and isinstance(events[-1], Finished)
