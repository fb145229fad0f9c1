"""The training recipes as data: one class per recipe, read by every part that trains.

A recipe says how a network learns (``doc.training["recipe"]``). Its class holds what the
engine, the training dock, the results views and the exported training script need to know,
the way a ``BlockSpec`` serves a block: whether it classifies (accuracy, a confusion matrix),
whether its losses read a target Input, which networks it trains, why its step cannot be
captured in a CUDA graph or exported as a script, and what keeps a document from training
with it (:meth:`Recipe.blockers`, shown before Start). Nothing here imports torch, so the
editor checks a graph as it is drawn; :meth:`Recipe.make_run` imports the engine only when a
run starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from netbuilder.core.flatten import upstream
from netbuilder.core.inference import analyse
from netbuilder.core.tensor import format_shape
from netbuilder.train import results as results_kinds

if TYPE_CHECKING:
    import os

    from netbuilder.core.graph import Document
    from netbuilder.train.data.base import Dataset
    from netbuilder.train.run import Run
    from netbuilder.train.settings import TrainingSettings

__all__ = ["RECIPES", "Blocker", "DataInfo", "NetworkRoles", "Recipe", "get_recipe"]


@dataclass(frozen=True)
class Blocker:
    """Something that keeps a document from training, and where to fix it.

    Attributes:
        message: what is missing or wrong, as a sentence the user can act on.
        graph: the network to look at, when one is to blame.
        node: the id of the block to fix, when there is one.
    """

    message: str
    graph: str | None = None
    node: str | None = None


@dataclass(frozen=True)
class DataInfo:
    """What a data set holds, as the training dock previews it (no tensors).

    Attributes:
        name: the data set's name (built-in name or file name).
        sample_shape: one input sample's shape, batch excluded, as training will see it.
        target_shape: one target's shape; None for data without targets.
        integer_targets: the targets are class indices.
        classes: the class names, for classification data.
        vocab: the characters of a text data set.
        sizes: samples per split ("train", "validation", "test"), the empty ones left out.
        pixel_range: (low, high) of image data, when known.
    """

    name: str
    sample_shape: tuple[int, ...]
    target_shape: tuple[int, ...] | None = None
    integer_targets: bool = False
    classes: tuple[str, ...] = ()
    vocab: str = ""
    sizes: Mapping[str, int] = field(default_factory=dict)
    pixel_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class NetworkRoles:
    """The parts of one network that a recipe cares about, read from the shape checker.

    Attributes:
        graph: the network's name.
        inputs: ids of Input blocks whose values reach an Output (what the model reads).
        targets: ids of Input blocks that only losses read (labels, targets).
        outputs: ids of the Output blocks.
        losses: ids of the loss blocks.
        weighted: ids of blocks with trainable parameters.
        shapes: id of each Input and Output -> its shape (batch excluded), when known.
        feeds: id of each Output -> id of the block wired into it.
    """

    graph: str
    inputs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    losses: tuple[str, ...] = ()
    weighted: tuple[str, ...] = ()
    shapes: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    feeds: Mapping[str, str] = field(default_factory=dict)


def network_roles(doc: Document, network: str) -> NetworkRoles:
    """The :class:`NetworkRoles` of ``network`` (top-level blocks only; groups are opaque)."""
    graph = doc.network(network)
    analysis = analyse(doc, graph)
    flat = analysis.flat_graph
    roles = {node_id: getattr(doc.catalogue.get(node.type), "role", None)
             for node_id, node in graph.nodes.items()}
    of_role = {role: tuple(i for i, r in roles.items() if r == role)
               for role in ("input", "output", "loss")}
    reached: set[str] = set()
    if flat is not None:
        origins = {flat_id: node.origin for flat_id, node in flat.nodes.items()}
        reached = {origins[f] for f in upstream(flat, [n for n in flat.nodes
                                                       if origins[n] in of_role["output"]])}
    shapes: dict[str, tuple[int, ...]] = {}
    for node_id in of_role["input"] + of_role["output"]:
        info = analysis.nodes.get(node_id)
        spec = None
        if info is not None:
            spec = next(iter(info.outputs.values()), None) or next(iter(info.inputs.values()),
                                                                  None)
        if spec is not None:
            shapes[node_id] = tuple(spec.shape)
    feeds = {}
    for node_id in of_role["output"]:
        edge = next((e for e in graph.edges.values() if e.target == node_id), None)
        if edge is not None:
            feeds[node_id] = edge.source
    weighted = tuple(i for i, info in analysis.nodes.items()
                     if info.params > 0 and roles.get(i) not in ("loss",))
    return NetworkRoles(
        graph.name,
        inputs=tuple(i for i in of_role["input"] if i in reached),
        targets=tuple(i for i in of_role["input"] if i not in reached),
        outputs=of_role["output"], losses=of_role["loss"], weighted=weighted,
        shapes=shapes, feeds=feeds)


class Recipe:
    """How a network learns. Subclasses set the class attributes; instances are stateless.

    Attributes:
        name: the id stored in ``doc.training["recipe"]``.
        title: what the dock shows.
        summary: one sentence on what a step does.
        classifies: accuracy and a confusion matrix from the first output's argmax.
        reports_accuracy: an accuracy (or error rate) is reported.
        reports_train_accuracy: the accuracy on the training data is reported at the end (a
            perceptron fits its points; a language model learns its whole text).
        takes_target: the losses read a target Input (a VAE's read the Input itself).
        gradient_step: the step is a gradient step on the graph's loss blocks.
        loss_should_fall: a loss that ends above where it started means the run diverged.
        generates: what it makes after every epoch: "text", "images" or None.
        uses_data_labels: the data set must hold targets.
        script_refusal: why ``export --with-training`` refuses it; None when it exports.
        capture_refusal: why its step is never captured in a CUDA graph; None when it can be.
        results: the kind of results view that shows what it learnt (one of
            ``netbuilder.train.results.KINDS``; the app maps each kind to a view class).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    classifies: ClassVar[bool] = False
    reports_accuracy: ClassVar[bool] = False
    reports_train_accuracy: ClassVar[bool] = False
    takes_target: ClassVar[bool] = True
    gradient_step: ClassVar[bool] = True
    loss_should_fall: ClassVar[bool] = True
    generates: ClassVar[str | None] = None
    uses_data_labels: ClassVar[bool] = True
    script_refusal: ClassVar[str | None] = None
    capture_refusal: ClassVar[str | None] = None
    results: ClassVar[str] = results_kinds.REGRESSION

    def __repr__(self) -> str:
        return f"<recipe {self.name}>"

    # ----- which networks ------------------------------------------------------------------
    def trained_networks(self, doc: Document, extra: Mapping[str, Any],
                         network: str | None) -> tuple[str, ...]:
        """The networks a run trains (one, or a GAN's generator and discriminator)."""
        return (doc.network(network).name,)

    def data_network(self, doc: Document, extra: Mapping[str, Any], network: str | None
                     ) -> str:
        """The network whose Input the training data must fit."""
        return self.trained_networks(doc, extra, network)[-1]

    # ----- what keeps a document from training -----------------------------------------------
    def blockers(self, doc: Document, extra: Mapping[str, Any], network: str | None,
                 data: DataInfo | None) -> list[Blocker]:
        """Everything that keeps ``network`` from training with this recipe on ``data``.

        ``data`` None means no data set is known yet (not chosen, or still loading); the
        data checks are then left out. Shape errors of the graph are the shape checker's,
        not listed again here.
        """
        roles = network_roles(doc, doc.network(network).name)
        found = self._structure(roles)
        if data is not None and not found:
            found += self._data_fit(roles, data, doc)
        return found

    def _structure(self, roles: NetworkRoles) -> list[Blocker]:
        graph = roles.graph
        if not roles.outputs:
            return []  # the shape checker says so already
        if len(roles.inputs) != 1:
            if not roles.inputs:
                return [Blocker(f"network '{graph}' has no Input that feeds its Output", graph)]
            return [Blocker("training feeds one Input; this network has "
                            f"{len(roles.inputs)} that feed its Outputs: remove the extra "
                            "ones or merge them", graph, roles.inputs[1])]
        if not roles.losses:
            prediction = roles.feeds.get(roles.outputs[0], roles.outputs[0])
            return [Blocker(f"the {self.name} recipe trains on a loss block, and network "
                            f"'{graph}' has none: {self._loss_hint()}", graph, prediction)]
        if self.takes_target and len(roles.targets) != 1:
            if not roles.targets:
                return [Blocker(f"the {self.name} recipe compares the prediction with a "
                                "target: add an Input for the targets (labels) and wire it "
                                "into the loss block's target port", graph, roles.losses[0])]
            return [Blocker(f"the losses read {len(roles.targets)} target Inputs; the "
                            f"{self.name} recipe feeds one", graph, roles.targets[1])]
        return []

    def _loss_hint(self) -> str:
        return ("add a loss block (e.g. MSE) fed by the prediction and a target Input")

    def _data_fit(self, roles: NetworkRoles, data: DataInfo, doc: Document) -> list[Blocker]:
        graph, found = roles.graph, []
        model_input = roles.inputs[0]
        expected = roles.shapes.get(model_input)
        name = doc.network(graph).nodes[model_input].name
        if expected is not None and tuple(expected) != tuple(data.sample_shape):
            found.append(Blocker(
                f"the data's samples have shape {format_shape(data.sample_shape)} but Input "
                f"'{name}' takes {format_shape(expected)}: set its shape to "
                f"{format_shape(data.sample_shape)} or choose other data", graph, model_input))
        if self.uses_data_labels and self.takes_target and data.target_shape is None:
            found.append(Blocker(f"data set '{data.name}' has no targets, and the {self.name} "
                                 "recipe learns from them: choose labelled data", graph))
        elif self.takes_target and roles.targets and data.target_shape is not None:
            target = roles.targets[0]
            wanted = roles.shapes.get(target)
            if wanted is not None and math.prod(wanted) != math.prod(data.target_shape):
                label = doc.network(graph).nodes[target].name
                found.append(Blocker(
                    f"the data's targets have shape {format_shape(data.target_shape)} but "
                    f"Input '{label}' takes {format_shape(wanted)}: set its shape to "
                    f"{format_shape(data.target_shape)}", graph, target))
        return found

    # ----- running ---------------------------------------------------------------------------
    def make_run(self, doc: Document, dataset: Dataset, settings: TrainingSettings,
                 network: str | None, resume: str | os.PathLike[str] | None,
                 initial_weights: str | os.PathLike[str] | None = None) -> Run:
        """The engine's run of this recipe, set up and checked before any step."""
        from netbuilder.train.supervised import SupervisedRun

        return SupervisedRun(doc, dataset, settings, network, resume, initial_weights)

    def divergence(self, first: float, recent: list[float]) -> str | None:
        """Why a run has diverged, or None while it has not.

        Args:
            first: the loss of the run's first step (at the initial weights).
            recent: the losses of its latest steps, oldest first.

        A loss that stays exactly flat (the network saturated: no gradient moves it) above
        where it started has diverged. Only gradient steps are judged.
        """
        if len(recent) < 8 or not math.isfinite(first) or not self.gradient_step:
            return None
        low, high = min(recent), max(recent)
        level = sum(recent) / len(recent)
        flat = high - low <= 1e-6 * max(abs(level), 1e-3)
        if flat and level > first and level > 1e-3:
            return (f"the loss is stuck at {level:.4g}, above where it started ({first:.4g}): "
                    "the network saturated and stopped learning")
        return None

    def ended_higher(self, first: float, recent: list[float]) -> str | None:
        """At the end: why a run that finished is reported as diverged (its loss ended well
        above where it started), or None."""
        if (not self.loss_should_fall or not self.gradient_step or not recent
                or not math.isfinite(first)):
            return None
        level = sum(recent) / len(recent)
        if level > 1.25 * first and level - first > 1e-3:
            return (f"the loss ended at {level:.4g}, higher than it started ({first:.4g})")
        return None


class Classification(Recipe):
    name = "classification"
    title = "Classification"
    summary = "the graph's loss blocks against class labels; accuracy and a confusion matrix"
    classifies = True
    reports_accuracy = True
    results = results_kinds.CLASSIFICATION

    def _loss_hint(self) -> str:
        return ("add a Cross-entropy loss fed by the prediction and an Input of the labels "
                "(int64, shape ())")

    def _data_fit(self, roles: NetworkRoles, data: DataInfo, doc: Document) -> list[Blocker]:
        found = super()._data_fit(roles, data, doc)
        prediction = roles.shapes.get(roles.outputs[0])
        if data.classes and prediction and len(prediction) == 1 and prediction[0] != len(
                data.classes):
            block = roles.feeds.get(roles.outputs[0], roles.outputs[0])
            found.append(Blocker(
                f"data set '{data.name}' has {len(data.classes)} classes but the network "
                f"predicts {prediction[0]} values: give the last layer {len(data.classes)} "
                "units", roles.graph, block))
        return found


class Regression(Recipe):
    name = "regression"
    title = "Regression"
    summary = "the graph's loss blocks against numeric targets"


class Perceptron(Recipe):
    name = "perceptron"
    title = "Perceptron rule"
    summary = "the learning rule w ← w − lr·(ŷ − y)·x on one Neuron, no gradients"
    reports_accuracy = True
    reports_train_accuracy = True
    gradient_step = False
    script_refusal = ("it trains with the perceptron learning rule, not by gradient descent on "
                      "a loss block; train it in netbuilder, or export the model with --to "
                      "python")
    capture_refusal = "the perceptron rule has its own tiny step; nothing to capture"
    results = results_kinds.BOUNDARY

    def _structure(self, roles: NetworkRoles) -> list[Blocker]:
        graph = roles.graph
        if not roles.outputs:
            return []
        if len(roles.inputs) != 1:
            return [Blocker("the perceptron reads one Input; this network has "
                            f"{len(roles.inputs)}", graph,
                            roles.inputs[1] if len(roles.inputs) > 1 else None)]
        if len(roles.weighted) != 1:
            where = roles.weighted[1] if len(roles.weighted) > 1 else None
            return [Blocker("the perceptron rule trains exactly one Neuron (one output); this "
                            f"network has {len(roles.weighted)} blocks with weights", graph,
                            where)]
        return []


class LanguageModel(Recipe):
    name = "language_model"
    title = "Next-character language model"
    summary = "predicts the next character of one-hot windows; writes text after every epoch"
    classifies = True
    reports_accuracy = True
    reports_train_accuracy = True
    generates = "text"
    results = results_kinds.TEXT

    def _loss_hint(self) -> str:
        return ("add a Cross-entropy loss fed by the prediction and an Input of the next "
                "characters (int64, shape ())")

    def _data_fit(self, roles: NetworkRoles, data: DataInfo, doc: Document) -> list[Blocker]:
        if not data.vocab:
            return [Blocker(f"the language_model recipe trains on text, but data set "
                            f"'{data.name}' is not text: choose hello_world, tiny_corpus or "
                            "a .txt file", roles.graph)]
        return super()._data_fit(roles, data, doc)


class Vae(Recipe):
    name = "vae"
    title = "Variational autoencoder"
    summary = "reconstruction and KL losses on the network's own Input; shows samples"
    takes_target = False
    generates = "images"
    uses_data_labels = False
    results = results_kinds.VAE

    def _structure(self, roles: NetworkRoles) -> list[Blocker]:
        found = super()._structure(roles)
        if not found and roles.targets:
            found.append(Blocker("a VAE's losses read the network's own Input; remove the "
                                 "target Input or wire the Input into the loss instead",
                                 roles.graph, roles.targets[0]))
        return found

    def _loss_hint(self) -> str:
        return ("add a reconstruction loss (BCE or MSE) reading the Input and a KL divergence "
                "loss on mu and logvar, as in the vae_mnist example")


#: The networks a GAN document names unless its settings say otherwise.
GENERATOR, DISCRIMINATOR = "generator", "discriminator"


class Gan(Recipe):
    name = "gan"
    title = "GAN (generator and discriminator)"
    summary = ("trains the discriminator on a real and a generated batch, then the generator "
               "through the frozen discriminator")
    takes_target = False
    loss_should_fall = False  # the generator's loss rises as the discriminator learns
    generates = "images"
    uses_data_labels = False
    results = results_kinds.GAN
    script_refusal = ("a GAN alternates the updates of two networks (generator and "
                      "discriminator) with losses that are not in either graph; train it in "
                      "netbuilder, or export each network with --to python --network NAME")
    capture_refusal = ("the GAN recipe alternates two networks and optimizers; it runs "
                       "eagerly")

    @staticmethod
    def role_names(extra: Mapping[str, Any]) -> tuple[str, str]:
        return (str(extra.get("generator", GENERATOR)),
                str(extra.get("discriminator", DISCRIMINATOR)))

    def trained_networks(self, doc: Document, extra: Mapping[str, Any],
                         network: str | None) -> tuple[str, ...]:
        return self.role_names(extra)

    def missing_networks(self, doc: Document, extra: Mapping[str, Any]) -> list[Blocker]:
        found = []
        for role, name in zip(("generator", "discriminator"), self.role_names(extra),
                              strict=True):
            if name not in doc.networks:
                found.append(Blocker(
                    f"the gan recipe needs a {role} network named '{name}'; add it with "
                    f"Network ▸ Add Network (or set training.{role} to its name)"))
        return found

    def blockers(self, doc: Document, extra: Mapping[str, Any], network: str | None,
                 data: DataInfo | None) -> list[Blocker]:
        found = self.missing_networks(doc, extra)
        if found:
            return found
        g_name, d_name = self.role_names(extra)
        generator, discriminator = network_roles(doc, g_name), network_roles(doc, d_name)
        for roles, what in ((generator, "noise"), (discriminator, "an image")):
            if roles.outputs and len(roles.inputs) != 1:
                found.append(Blocker(f"network '{roles.graph}' must have exactly one Input "
                                     f"({what}); it has {len(roles.inputs)}", roles.graph,
                                     roles.inputs[1] if len(roles.inputs) > 1 else None))
        if found or not (generator.outputs and discriminator.inputs):
            return found
        made = generator.shapes.get(generator.outputs[0])
        taken = discriminator.shapes.get(discriminator.inputs[0])
        if made is not None and taken is not None and made != taken:
            found.append(Blocker(f"the generator makes {format_shape(made)} but the "
                                 f"discriminator takes {format_shape(taken)}: reshape the "
                                 "generator's output to fit", g_name,
                                 generator.feeds.get(generator.outputs[0])))
        if data is not None and taken is not None and tuple(data.sample_shape) != taken:
            found.append(Blocker(f"the data's images have shape "
                                 f"{format_shape(data.sample_shape)} but the discriminator "
                                 f"takes {format_shape(taken)}", d_name, discriminator.inputs[0]))
        return found

    def make_run(self, doc: Document, dataset: Dataset, settings: TrainingSettings,
                 network: str | None, resume: str | os.PathLike[str] | None,
                 initial_weights: str | os.PathLike[str] | None = None) -> Run:
        from netbuilder.train.gan import GanRun

        return GanRun(doc, dataset, settings, resume, initial_weights)

    def divergence(self, first: float, recent: list[float]) -> str | None:
        reason = super().divergence(first, recent)
        return None if reason is None else reason.replace("the loss", "the generator's loss")


#: Every recipe, by name, in the order the dock lists them.
RECIPES: dict[str, Recipe] = {
    recipe.name: recipe for recipe in (Classification(), Regression(), Perceptron(),
                                       LanguageModel(), Gan(), Vae())
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``.

    Raises:
        KeyError: there is none (the message lists those there are).
    """
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; one of {', '.join(RECIPES)}") from None
