"""The generative recipes: next-character text, the GAN's turns, the VAE's losses and samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import netbuilder
from netbuilder.cli import main
from netbuilder.compile import compile_network
from netbuilder.resources import example_path
from netbuilder.train.control import TrainingControl
from netbuilder.train.data import load_dataset
from netbuilder.train.decoder import latent_decoder, output_nodes
from netbuilder.train.events import EpochEnd, Failed, Finished, Samples, Started
from netbuilder.train.loop import train
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss


def example(name: str, **changes: object) -> tuple[netbuilder.Document, TrainingSettings]:
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc).with_changes(device="cpu", **changes)
    return doc, settings


def samples_of(events: list[object], label: str) -> list[Samples]:
    return [e for e in events if isinstance(e, Samples) and e.label == label]


# ---------------------------------------------------------------------------------------------
# Language models
@pytest.mark.parametrize("name", ["char_rnn", "char_lstm", "char_gru"])
def test_char_models_write_hello_world_from_h_at_their_own_settings(name: str) -> None:
    doc, settings = example(name)
    assert (settings.recipe, settings.epochs) == ("language_model", 100)
    events = list(train(doc, load_dataset("hello_world"), settings))
    finished = events[-1]
    assert isinstance(finished, Finished), finished
    assert finished.metrics["sample"] == "hello world"
    texts = [e for e in events if isinstance(e, Samples)]
    assert len(texts) == 100 and all(e.kind == "text" for e in texts)
    assert texts[0].text != "hello world"  # it learns it; one epoch is not enough
    assert finished.metrics["train_accuracy"] > 0.9


def test_temperature_sampling_is_repeatable_and_checked() -> None:
    doc, settings = example("char_rnn", epochs=20)
    hot = settings.with_changes(extra={"generate": {"start": "wo", "length": 30,
                                                    "temperature": 1.5}})
    first = list(train(doc, load_dataset("hello_world"), hot))[-1]
    again = list(train(doc, load_dataset("hello_world"), hot))[-1]
    assert first.metrics["sample"] == again.metrics["sample"]
    assert first.metrics["sample"].startswith("wo") and len(first.metrics["sample"]) == 32
    assert set(first.metrics["sample"]) <= set("hello world")
    assert first.metrics["sample_from"] == "temperature 1.5 from 'wo'"

    bad = settings.with_changes(extra={"generate": {"start": "hz"}})
    (event,) = list(train(doc, load_dataset("hello_world"), bad))
    assert isinstance(event, Failed) and "'z'" in event.message


def test_language_model_on_images_fails_naming_the_data() -> None:
    doc = classifier_with_loss()
    settings = TrainingSettings(recipe="language_model", device="cpu", epochs=1)
    x, y = torch.randn(20, 1, 4, 4), torch.randint(0, 3, (20,))
    from netbuilder.train.data.base import Dataset, DataSplit

    (event,) = list(train(doc, Dataset("blobs", DataSplit(x, y)), settings))
    assert isinstance(event, Failed) and "text" in event.message and "blobs" in event.message


def test_cli_prints_the_generated_text_and_logs_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "lm.jsonl"
    assert main(["train", "char_rnn", "--log", str(log)]) == 0
    assert "generated text (greedy from 'h'): hello world" in capsys.readouterr().out
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[-1]["event"] == "finished" and records[-1]["sample"] == "hello world"
    assert sum(r["event"] == "sample" for r in records) == 100


# ---------------------------------------------------------------------------------------------
# GAN
@pytest.mark.slow
def test_gan_trains_in_turns_with_finite_losses_and_changing_samples() -> None:
    doc, settings = example("gan_mnist", epochs=3)
    events = list(train(doc, load_dataset("digits"), settings))
    started, finished = events[0], events[-1]
    assert isinstance(started, Started) and "GAN" in started.fallback_reason
    assert isinstance(finished, Finished), finished
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert len(ends) == 3
    for end in ends:
        assert set(end.parts) == {"d_loss", "g_loss"} and end.loss == end.parts["g_loss"]
        assert all(np.isfinite(v) and v > 0 for v in end.parts.values())
    grids = samples_of(events, "fixed noise")
    assert [g.epoch for g in grids] == [1, 2, 3]
    assert grids[0].images.shape == (16, 1, 28, 28)
    assert grids[0].images.min() >= 0.0 and grids[0].images.max() <= 1.0
    assert np.abs(grids[0].images - grids[-1].images).mean() > 1e-3  # the generator learns
    assert grids[-1].images.std() > 0.05  # not one flat colour


def test_gan_resumes_both_networks_and_saves_both(tmp_path: Path) -> None:
    doc, settings = example("gan_mnist", epochs=2, batch_size=256)
    data = load_dataset("digits")
    whole = list(train(doc, data, settings))
    path = tmp_path / "gan.ckpt"
    control = TrainingControl()
    first = []
    for event in train(doc, data, settings, control, checkpoint=path):
        first.append(event)
        if isinstance(event, EpochEnd):
            control.stop()
    state = torch.load(path, weights_only=True)
    assert set(state["networks"]) == set(state["optimizers"]) == {"generator",
                                                                  "discriminator"}
    rest = list(train(doc, data, settings, resume=path))
    losses = [e.parts for e in first + rest if isinstance(e, EpochEnd)]
    assert losses == [e.parts for e in whole if isinstance(e, EpochEnd)]


def test_gan_set_up_errors_say_what_to_change() -> None:
    doc, settings = example("gan_mnist", epochs=1)
    data = load_dataset("digits")
    (event,) = list(train(doc, data, settings.with_changes(extra={"latent_dim": 64})))
    assert isinstance(event, Failed) and "latent_dim" in event.message and "64" in event.message
    renamed = settings.with_changes(extra={"generator": "painter"})
    (event,) = list(train(doc, data, renamed))
    assert isinstance(event, Failed) and "'painter'" in event.message
    points = load_dataset("moons")
    (event,) = list(train(doc, points, settings))
    assert isinstance(event, Failed) and "(1, 28, 28)" in event.message


# ---------------------------------------------------------------------------------------------
# VAE
@pytest.mark.slow
def test_vae_learns_with_both_losses_and_shows_reconstructions_and_prior_samples() -> None:
    doc, settings = example("vae_mnist", epochs=4)
    events = list(train(doc, load_dataset("digits"), settings))
    finished = events[-1]
    assert isinstance(finished, Finished), finished
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert set(ends[0].parts) == {"reconstruction_loss", "kl_loss"}
    assert ends[-1].parts["reconstruction_loss"] < ends[0].parts["reconstruction_loss"]
    # Weighted by the 784 pixels, the reconstruction keeps the KL term from collapsing.
    assert ends[-1].parts["kl_loss"] > 1.0
    assert ends[-1].loss == pytest.approx(784 * ends[-1].parts["reconstruction_loss"]
                                          + ends[-1].parts["kl_loss"], rel=1e-4)
    assert finished.test_loss is not None and np.isfinite(finished.test_loss)
    prior = samples_of(events, "samples from the prior")
    recon = [e for e in events if isinstance(e, Samples) and e.label.startswith("reconstr")]
    assert len(prior) == len(recon) == 4
    assert prior[0].images.shape == (16, 1, 28, 28) and recon[0].images.shape == (16, 1, 28, 28)
    assert np.abs(prior[0].images - prior[-1].images).mean() > 1e-3
    # Different prior points decode to different images.
    assert prior[-1].images.std(axis=0).mean() > 0.01


def test_latent_decoder_is_the_part_after_the_sampling_block() -> None:
    doc = netbuilder.load(example_path("vae_mnist"))
    model = compile_network(doc, with_losses=True).module.eval()
    decoder = latent_decoder(model, output_nodes(model)[0])
    assert decoder is not None
    z = torch.randn(5, 20)
    expected = model.get_submodule("reconstruction")(
        model.get_submodule("pixels")(model.get_submodule("decoder")(z)))
    assert torch.equal(decoder(z), expected)
    # Shares the weights: training the model changes what the decoder draws.
    with torch.no_grad():
        model.get_submodule("pixels").bias.add_(1.0)
    assert not torch.equal(decoder(z), expected)
    plain = compile_network(classifier_with_loss(), with_losses=True).module
    assert latent_decoder(plain, output_nodes(plain)[0]) is None
