"""The GAN recipe: a generator and a discriminator network, trained in turns.

As in the tutorial (SEED_MODELS.md, network 7), every step first trains the discriminator on a
real batch (label 1) and a generated batch (label 0), then trains the generator through the
frozen discriminator with label 1 on fresh noise. Both use the document's optimizer settings
(the tutorial's Adam, lr 0.0002, beta1 0.5). After every epoch the generator draws images from
the same fixed noise, so the samples show training progress.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F  # noqa: N812 (the usual spelling)
from torch import fx

from netbuilder.compile import CompiledParts, compile_network
from netbuilder.core.tensor import format_shape
from netbuilder.train import results as kinds
from netbuilder.train.control import ProbeRequest
from netbuilder.train.events import Finished, Probe, Results, Samples
from netbuilder.train.failures import TrainingError
from netbuilder.train.optim import make_optimizer
from netbuilder.train.probe import PROBE_SAMPLES, ProbeBatch, ProbeRecorder
from netbuilder.train.recipes import RECIPES, Gan
from netbuilder.train.run import Run, checkpoint_fit
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.steps import autocast
from netbuilder.train.supervised import SAMPLE_IMAGES, as_images

if TYPE_CHECKING:
    from netbuilder.core.graph import Document, Graph
    from netbuilder.train.data.base import Dataset

#: Loss terms reported besides the generator's loss (the run's "loss").
PARTS = ("d_loss", "g_loss")


def network_names(doc: Document, settings: TrainingSettings) -> tuple[str, str]:
    """(generator, discriminator) network names, checked against the document.

    Raises:
        TrainingError: the document lacks one of them.
    """
    recipe = RECIPES["gan"]
    assert isinstance(recipe, Gan)
    missing = recipe.missing_networks(doc, settings.extra)
    if missing:
        have = ", ".join(f"'{n}'" for n in doc.networks)
        raise TrainingError(missing[0].message + f" (this document has {have})",
                            "Rename a network, or add the one that is missing.")
    return recipe.role_names(settings.extra)


class GanRun(Run):
    """A run of the generator and discriminator networks of one document."""

    part_names = PARTS

    def __init__(self, doc: Document, dataset: Dataset, settings: TrainingSettings,
                 resume: str | os.PathLike[str] | None,
                 initial_weights: str | os.PathLike[str] | None = None) -> None:
        super().__init__(settings, resume, initial_weights)
        g_name, d_name = network_names(doc, settings)
        generator, discriminator = compile_network(doc, g_name), compile_network(doc, d_name)
        self.generator = generator.module.to(self.device)
        self.discriminator = discriminator.module.to(self.device)
        self.networks = {g_name: self.generator, d_name: self.discriminator}
        self.latent = self._latent_shape(generator.parts, doc.network(g_name))
        self._check_shapes(discriminator.parts, doc.network(d_name))
        self.d_outputs_probabilities = _ends_in_sigmoid(doc.network(d_name))
        self.real = self._prepare(dataset, doc.network(g_name))
        self.samples = int(self.real.shape[0])
        self.record_losses(1 + len(PARTS))
        self.restore_networks()
        self.optimizers = {g_name: make_optimizer(self.generator.parameters(), settings),
                           d_name: make_optimizer(self.discriminator.parameters(), settings)}
        for name, optimizer in self.optimizers.items():
            saved = self.saved_optimizer(name)
            if saved is not None:
                with checkpoint_fit(f"the optimizer of network '{name}'"):
                    optimizer.load_state_dict(saved)
        self.noise = torch.Generator(device=self.device)
        self.noise.manual_seed(settings.seed + 1)
        fixed = torch.Generator().manual_seed(settings.seed)
        self.fixed_noise = torch.randn((SAMPLE_IMAGES, *self.latent),
                                       generator=fixed).to(self.device)
        self.restore_progress()
        if self.resume_state is not None and "noise_rng" in self.resume_state:
            with checkpoint_fit("this run's noise generator"):
                self.noise.set_state(self.resume_state["noise_rng"])
        self.fallback_reason = settings.recipe_spec.capture_refusal
        probe_noise = self.fixed_noise[:PROBE_SAMPLES]
        model = self.generator  # not self: the run would hold itself in a cycle
        self.probe_recorder = ProbeRecorder(model, ProbeBatch(
            lambda: model(probe_noise), inputs=probe_noise, predicts=False))

    # ----------------------------------------------------------------------------------------
    # Set-up checks
    def _latent_shape(self, parts: CompiledParts, graph: Graph) -> tuple[int, ...]:
        name, shape = _only_input(parts, graph, "the generator", "the noise")
        wanted = self.settings.extra.get("latent_dim")
        if wanted is not None and shape != (wanted,):
            raise TrainingError(
                f"training setting latent_dim is {wanted} but the generator's Input "
                f"'{name}' takes {format_shape(shape)}",
                "Make them agree: change latent_dim or the Input's shape.")
        return shape

    def _check_shapes(self, parts: CompiledParts, discriminator: Graph) -> None:
        name, self.image_shape = _only_input(parts, discriminator, "the discriminator",
                                             "an image")
        with torch.no_grad():
            fake = self.generator.eval()(torch.zeros((2, *self.latent), device=self.device))
            verdict = self.discriminator.eval()(
                torch.zeros((2, *self.image_shape), device=self.device))
        if tuple(fake.shape[1:]) != self.image_shape:
            raise TrainingError(
                f"the generator makes {format_shape(tuple(fake.shape[1:]))} but the "
                f"discriminator's Input '{name}' takes {format_shape(self.image_shape)}",
                "Reshape the generator's output to the discriminator's Input shape.")
        if verdict[0].numel() != 1:
            raise TrainingError(
                f"the discriminator must give one value per image (real or fake); it gives "
                f"{format_shape(tuple(verdict.shape[1:]))}",
                "End the discriminator with Dense 1 (sigmoid).")

    def _prepare(self, dataset: Dataset, generator: Graph) -> torch.Tensor:
        x = dataset.train.x
        if tuple(x.shape[1:]) != self.image_shape:
            raise TrainingError(
                f"the data's samples have shape {format_shape(tuple(x.shape[1:]))} but the "
                f"discriminator's Input takes {format_shape(self.image_shape)}",
                "Choose a data set of images of that shape, or change the Input.")
        x = x.to(torch.float32)
        # Images known to lie in [0, 1] are mapped to a tanh generator's [-1, 1], as the
        # tutorial scales MNIST; other data are taken as they are.
        if dataset.meta.get("pixel_range") == (0.0, 1.0) and _ends_in(generator, "tanh"):
            x = x * 2.0 - 1.0
        self.tanh_output = _ends_in(generator, "tanh")
        return x.to(self.device)

    # ----------------------------------------------------------------------------------------
    # The step
    def step(self, rows: torch.Tensor) -> None:
        real = self.real.index_select(0, rows)
        count = rows.numel()
        g_opt, d_opt = self.optimizers.values()
        bf16, device = self.settings.bf16, self.device
        ones = torch.ones(count, 1, device=device)
        zeros = torch.zeros(count, 1, device=device)

        noise = torch.randn((count, *self.latent), device=device, generator=self.noise)
        with autocast(device, bf16):
            fake = self.generator(noise)
            d_loss = 0.5 * (self._bce(self.discriminator(real), ones)
                            + self._bce(self.discriminator(fake.detach()), zeros))
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        self._clip(self.discriminator)
        d_opt.step()

        noise = torch.randn((count, *self.latent), device=device, generator=self.noise)
        self.discriminator.requires_grad_(False)  # frozen while the generator learns
        try:
            with autocast(device, bf16):
                g_loss = self._bce(self.discriminator(self.generator(noise)), ones)
            g_opt.zero_grad(set_to_none=True)
            g_loss.backward()
        finally:
            self.discriminator.requires_grad_(True)
        self._clip(self.generator)
        g_opt.step()
        losses = torch.stack([g_loss.detach().float(), d_loss.detach().float(),
                              g_loss.detach().float()])
        self.accumulator.add_(losses * count)
        self.step_log.write(losses)

    def _bce(self, verdict: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        verdict = verdict.reshape(-1, 1).float()
        if self.d_outputs_probabilities:
            # Clamped as Keras does, so a saturated sigmoid gives a large loss, not inf.
            return F.binary_cross_entropy(verdict.clamp(1e-7, 1 - 1e-7), label)
        return F.binary_cross_entropy_with_logits(verdict, label)

    def _clip(self, network: fx.GraphModule) -> None:
        if self.settings.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(network.parameters(), self.settings.grad_clip)

    # ----------------------------------------------------------------------------------------
    # Epoch ends
    def samples_at(self, epoch: int) -> list[Samples]:
        shown = self._fixed_noise_images()
        return [] if shown is None else [Samples(epoch, "images", "fixed noise", images=shown)]

    def results(self, epoch: int, step: int, final: bool) -> Results | None:
        shown = self._fixed_noise_images()
        images = {} if shown is None else {"fixed noise": shown}
        return Results(kinds.GAN, epoch, step, final, images=images)

    def _fixed_noise_images(self) -> Any:
        """The generator's pictures of the fixed noise, in [0, 1] (numpy), or None."""
        self.generator.eval()
        try:
            with torch.no_grad():
                images = self.generator(self.fixed_noise).float()
        finally:
            self.generator.train()
        if self.tanh_output:
            images = (images + 1.0) / 2.0
        return as_images(images)

    def probe(self, epoch: int, step: int, request: ProbeRequest | None = None
              ) -> Probe | None:
        return self.probe_recorder.capture(epoch, step, request)

    def state(self, epochs_done: int) -> dict[str, Any]:
        return {**super().state(epochs_done), "noise_rng": self.noise.get_state()}

    def finish(self, last: dict[str, Any], epochs_done: int, stopped: bool) -> Finished:
        return Finished({**last, "epochs_done": epochs_done, "stopped": stopped}, None, None)


def _feeding_output(graph: Graph) -> Any:
    """The node wired into the network's (first) Output block."""
    for node in graph.nodes.values():
        if node.type == "output":
            edge = graph.edge_into(node.id, "x")
            if edge is not None:
                source = graph.nodes[edge.source]
                # Reshape, flatten and the like keep the values: look through them.
                while source.type in ("reshape", "flatten", "reroute"):
                    edge = graph.edge_into(source.id, "x")
                    if edge is None:
                        break
                    source = graph.nodes[edge.source]
                return source
    return None


def _ends_in(graph: Graph, activation: str) -> bool:
    """Whether the network's output comes from a block ending in ``activation``."""
    source = _feeding_output(graph)
    if source is None:
        return False
    return source.type == activation or source.params.get("activation") == activation


def _only_input(parts: CompiledParts, graph: Graph, network: str, what: str
                ) -> tuple[str, tuple[int, ...]]:
    """The name and shape of a network's one Input block.

    Raises:
        TrainingError: the network has more or fewer Inputs than one.
    """
    inputs = parts.inputs
    if len(inputs) != 1:
        raise TrainingError(f"{network} must have exactly one Input ({what}); it has "
                            f"{len(inputs)}", "Remove the extra Input blocks.")
    node = graph.node_by_name(inputs[0])
    assert node is not None
    return inputs[0], tuple(int(d) for d in node.params.get("shape", ()))


def _ends_in_sigmoid(graph: Graph) -> bool:
    return _ends_in(graph, "sigmoid")
