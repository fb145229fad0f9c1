"""The recipe registry: what each recipe asks of a document, checked before Start, and the
divergence checks that end a run that stopped learning."""

from __future__ import annotations

import pytest

import netbuilder
from netbuilder.core.builder import GraphBuilder
from netbuilder.resources import example_path, list_examples
from netbuilder.train import settings as settings_module
from netbuilder.train.events import Failed, Finished
from netbuilder.train.loop import train
from netbuilder.train.recipes import RECIPES, DataInfo, get_recipe
from netbuilder.train.settings import TrainingSettings
from tests.helpers import classifier_with_loss, mlp_document

DIGITS = DataInfo("digits", (1, 28, 28), (), True, tuple("0123456789"),
                  sizes={"train": 1000, "test": 100})


def test_every_recipe_is_one_registered_class_with_a_title_and_a_summary() -> None:
    assert tuple(RECIPES) == settings_module.RECIPES
    assert len({type(r) for r in RECIPES.values()}) == len(RECIPES)
    for name, recipe in RECIPES.items():
        assert recipe.name == name and recipe.title and recipe.summary
    assert get_recipe("vae") is RECIPES["vae"]
    with pytest.raises(KeyError, match="unknown recipe 'nope'; one of classification"):
        get_recipe("nope")


def test_flags_the_engine_and_the_script_read() -> None:
    classifying = {name for name, r in RECIPES.items() if r.classifies}
    assert classifying == {"classification", "language_model"}
    assert {n for n, r in RECIPES.items() if r.script_refusal} == {"perceptron", "gan"}
    assert {n for n, r in RECIPES.items() if r.capture_refusal} == {"perceptron", "gan"}
    assert not RECIPES["vae"].takes_target and RECIPES["regression"].takes_target


@pytest.mark.parametrize("name", list_examples())
def test_every_bundled_example_is_ready_to_train_on_its_own_data(name: str) -> None:
    doc = netbuilder.load(example_path(name))
    settings = TrainingSettings.from_doc(doc)
    assert settings.recipe_spec.blockers(doc, settings.extra, None, None) == []


def test_a_network_without_a_loss_block_names_the_block_that_predicts() -> None:
    doc = mlp_document()
    (blocker,) = RECIPES["classification"].blockers(doc, {}, None, None)
    assert "has none: add a Cross-entropy loss" in blocker.message
    assert blocker.node == doc.network().node_by_name("dense2").id  # type: ignore[union-attr]


def test_a_loss_without_a_target_input_names_the_loss() -> None:
    doc = mlp_document()
    net = GraphBuilder(doc, "model")
    prediction = net.graph.node_by_name("dense2")
    loss = net.add("mse_loss", prediction, prediction)
    (blocker,) = RECIPES["regression"].blockers(doc, {}, None, None)
    assert "add an Input for the targets" in blocker.message and blocker.node == loss.id


def test_data_that_does_not_fit_names_the_input_and_the_last_layer() -> None:
    doc = classifier_with_loss()  # image (1, 4, 4), 3 classes
    found = RECIPES["classification"].blockers(doc, {}, None, DIGITS)
    graph = doc.network()
    assert [b.node for b in found] == [graph.node_by_name("image").id,  # type: ignore[union-attr]
                                       graph.node_by_name("dense2").id]  # type: ignore[union-attr]
    assert "shape (1, 28, 28) but Input 'image' takes (1, 4, 4)" in found[0].message
    assert "10 classes but the network predicts 3 values" in found[1].message


def test_text_recipes_need_text_and_vaes_need_no_labels() -> None:
    doc = netbuilder.load(example_path("char_rnn"))
    (blocker,) = RECIPES["language_model"].blockers(doc, {}, None, DIGITS)
    assert "is not text" in blocker.message
    vae = netbuilder.load(example_path("vae_mnist"))
    unlabelled = DataInfo("pictures", (1, 28, 28))
    assert RECIPES["vae"].blockers(vae, {}, None, unlabelled) == []


def test_a_gan_without_its_second_network_says_what_to_add() -> None:
    doc = netbuilder.load(example_path("gan_mnist"))
    doc.remove_graph("discriminator")
    (blocker,) = RECIPES["gan"].blockers(doc, {}, None, None)
    assert "needs a discriminator network named 'discriminator'" in blocker.message
    assert "Add Network" in blocker.message


def test_a_perceptron_needs_exactly_one_neuron() -> None:
    doc = mlp_document()
    (blocker,) = RECIPES["perceptron"].blockers(doc, {}, None, None)
    assert "exactly one Neuron" in blocker.message


@pytest.mark.parametrize(("first", "recent", "diverged"), [
    (2.0, [12.0153] * 32, True),             # saturated above the start
    (2.0, [0.0] * 32, False),                # converged
    (2.0, [1.5, 1.4, 1.6, 1.3] * 8, False),  # still learning
    (2.0, [12.0153] * 4, False),             # too few steps to tell
])
def test_a_flat_loss_above_the_start_is_divergence(first: float, recent: list[float],
                                                   diverged: bool) -> None:
    assert (RECIPES["classification"].divergence(first, recent) is not None) == diverged


def test_a_loss_that_ends_higher_than_it_started_diverged_except_a_gans() -> None:
    assert RECIPES["language_model"].ended_higher(2.0, [12.0, 13.0]) is not None
    assert RECIPES["language_model"].ended_higher(2.0, [0.1, 0.2]) is None
    assert RECIPES["gan"].ended_higher(0.7, [1.8, 1.9]) is None  # its generator's loss rises


def test_a_run_that_diverges_ends_as_diverged_not_finished() -> None:
    doc = netbuilder.load(example_path("char_rnn"))
    settings = TrainingSettings.from_doc(doc).with_changes(lr=0.5, epochs=40)
    from netbuilder.train.data import load_dataset

    events = list(train(doc, load_dataset("hello_world", input_shape=(10, 8)), settings))
    assert isinstance(events[-1], Failed) and events[-1].kind == "diverged"
    assert "Lower the learning rate" in events[-1].advice
    healthy = list(train(doc, load_dataset("hello_world", input_shape=(10, 8)),
                         settings.with_changes(lr=0.01, epochs=5)))
    assert isinstance(healthy[-1], Finished)
