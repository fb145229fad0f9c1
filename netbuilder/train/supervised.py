"""The one-network recipes: classification, regression, the perceptron rule, next-character
language models and VAEs.

They share everything but a few details: the losses come from the graph's loss blocks (the
perceptron has its own rule), the data live on the device, and the step is one captured CUDA
graph when ``netbuilder.train.fast`` allows it. A language model is a classifier of the next
character that also writes text after every epoch; a VAE's losses read its own Input, and
after every epoch it shows reconstructions and samples from the prior.
"""

from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import torch
from torch import nn

from netbuilder.compile import compile_network
from netbuilder.core.inference import analyse
from netbuilder.core.tensor import format_shape
from netbuilder.train import fast, results_eval, sync
from netbuilder.train import results as kinds
from netbuilder.train.control import ProbeRequest, TextRequest
from netbuilder.train.decoder import latent_decoder, output_nodes, sampling_nodes
from netbuilder.train.events import Finished, Probe, Results, Samples, TextReply
from netbuilder.train.failures import TrainingError
from netbuilder.train.generate import MAX_LENGTH, GenerateSettings, generate_text
from netbuilder.train.optim import make_optimizer
from netbuilder.train.probe import PROBE_SAMPLES, ProbeBatch, ProbeRecorder
from netbuilder.train.run import Run, checkpoint_fit
from netbuilder.train.settings import TrainingSettings
from netbuilder.train.steps import (
    Evaluation,
    ForwardFn,
    StepFn,
    eager_step,
    evaluate,
    find_neuron,
    loss_only,
    perceptron_step,
    supervised_forward,
)

if TYPE_CHECKING:
    from netbuilder.core.graph import Document
    from netbuilder.train.data.base import Dataset, DataSplit

EVAL_BATCH = 1024
#: Images shown per Samples event of a VAE (reconstructions and prior samples each).
SAMPLE_IMAGES = 16


@dataclass
class _Data:
    """A split resident on the device, cast to the Input blocks' dtypes."""

    x: torch.Tensor
    y: torch.Tensor


class SupervisedRun(Run):
    """A run of one network whose step is a supervised (or self-supervised) update."""

    def __init__(self, doc: Document, dataset: Dataset, settings: TrainingSettings,
                 network: str | None, resume: str | os.PathLike[str] | None,
                 initial_weights: str | os.PathLike[str] | None = None) -> None:
        super().__init__(settings, resume, initial_weights)
        #: What the recipe asks of the run (netbuilder.train.recipes): read, never a name test.
        self.recipe = settings.recipe_spec
        compiled = compile_network(doc, network, with_losses=True)
        self.model, self.parts = compiled.module, compiled.parts
        self.graph = doc.network(network)
        self._check_roles()
        self.network_classes = _network_classes(doc, self.graph.name)
        self.train_data, self.val_data, self.test_data = self._splits(dataset)
        self.samples = int(self.train_data.x.shape[0])
        self.classes = self._class_count(dataset)
        self.class_names = tuple(dataset.classes or (str(i) for i in range(self.classes)))
        # The last split evaluated (an epoch end's Results reuse the validation pass).
        self._evaluation: tuple[_Data, Evaluation] | None = None
        self._samples_sent = False
        self.model.to(self.device)
        if settings.channels_last and self.train_data.x.ndim == 4:
            # Module.to takes memory_format; torch's overloads leave it out.
            self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.networks = {self.graph.name: self.model}
        losses = self.parts.losses
        self.part_names = tuple(losses) if len(losses) > 1 else ()
        self.record_losses(1 + len(self.part_names))
        weights = {name: float(self._loss_weight(name)) for name in losses}
        self.forward = supervised_forward(self.model, weights, self.device, settings.bf16,
                                          with_parts=bool(self.part_names),
                                          takes_target=self.recipe.takes_target)
        self.restore_networks()
        self.step_fn = self._build_step()
        self.restore_progress()
        self.generate = self._generate_settings(dataset)
        self.sample_noise = self._vae_noise()
        self.probe_recorder = ProbeRecorder(self.model, self._probe_batch())

    # ----------------------------------------------------------------------------------------
    # Set-up checks
    def _check_roles(self) -> None:
        parts = self.parts
        model_inputs = [n for n in parts.inputs if n not in parts.targets]
        if len(model_inputs) != 1:
            raise TrainingError("the network must have exactly one Input that feeds its "
                                f"outputs; it has {len(model_inputs)}",
                                "Remove the extra Input blocks or train another network.")
        self.input_name = model_inputs[0]
        self.target_name: str | None = None
        if not self.recipe.gradient_step:
            return
        if not self.recipe.takes_target:
            if not parts.losses or parts.targets:
                raise TrainingError(
                    f"the {self.recipe.name} recipe needs loss blocks that read the network's "
                    "own Input (a "
                    "reconstruction loss, and a KL divergence loss on mu and logvar) and no "
                    f"target Input; this network has {len(parts.losses)} loss blocks and "
                    f"{len(parts.targets)} targets",
                    "Wire the Input into the reconstruction loss's target, as in the "
                    "vae_mnist example.")
            return
        if len(parts.targets) != 1 or not parts.losses:
            raise TrainingError(
                f"the {self.recipe.name} recipe needs a loss block reading one target Input; this "
                f"network has {len(parts.losses)} loss blocks and {len(parts.targets)} targets",
                "Add a loss block (e.g. cross-entropy or MSE) and a target Input feeding it.")
        self.target_name = parts.targets[0]

    def _input_spec(self, name: str) -> tuple[tuple[int, ...], torch.dtype]:
        node = self.graph.node_by_name(name)
        assert node is not None
        dtype = torch.int64 if node.params.get("dtype") == "int64" else torch.float32
        return tuple(node.params.get("shape", ())), dtype

    def _splits(self, dataset: Dataset) -> tuple[_Data, _Data | None, _Data | None]:
        train: DataSplit | _Raw = dataset.train
        val: DataSplit | _Raw | None = dataset.val
        # Which labels file a loader looked for and did not find, per split (IDX data).
        self._missing_labels: dict[str, str] = dataset.meta.get("missing_labels", {})
        if val is None and self.settings.validation_split > 0:
            train, val = _split_off(train, self.settings.validation_split, self.settings.seed)
        prepared = self._prepare("train", train)  # None: no samples
        if prepared is None:
            raise TrainingError(f"data set '{dataset.name}' has no training samples",
                                "Choose another data set.")
        return (prepared, self._prepare("validation", val), self._prepare("test", dataset.test))

    def _prepare(self, what: str, split: DataSplit | _Raw | None) -> _Data | None:
        """Checks a split against the Input blocks (before any step) and moves it over."""
        if split is None or split.x.shape[0] == 0:
            return None
        shape, dtype = self._input_spec(self.input_name)
        if tuple(split.x.shape[1:]) != shape:
            raise TrainingError(
                f"the {what} data's samples have shape {format_shape(tuple(split.x.shape[1:]))} "
                f"but Input '{self.input_name}' expects {format_shape(shape)}",
                f"Set the Input's shape to {format_shape(tuple(split.x.shape[1:]))} or choose "
                "a data set that matches the network.")
        x = split.x.to(dtype)
        if self.settings.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        x = x.to(self.device)
        if not self.recipe.takes_target:
            return _Data(x, x)  # the losses read the Input itself; y is never used
        if split.y is None:
            # A validation split taken from train lacks the labels train lacks.
            note = self._missing_labels.get("train" if what == "validation" else what)
            raise TrainingError(f"the {what} data has no targets" + (f" ({note})" if note else ""),
                                f"The {self.recipe.name} recipe needs labelled data.")
        y = split.y
        if self.target_name is not None:
            target_shape, target_dtype = self._input_spec(self.target_name)
            sample = tuple(y.shape[1:])
            if sample != target_shape:
                if math.prod(sample) != math.prod(target_shape):
                    raise TrainingError(
                        f"the {what} targets have shape {format_shape(sample)} but Input "
                        f"'{self.target_name}' expects {format_shape(target_shape)}",
                        f"Set the Input's shape to {format_shape(sample)}.")
                # (N,) values for a (1) target and the like: same numbers, other layout.
                y = y.reshape((y.shape[0], *target_shape))
            y = y.to(target_dtype)
            self._check_labels(what, y)
        else:
            y = y.to(torch.float32)
        return _Data(x, y.to(self.device))

    def _check_labels(self, what: str, y: torch.Tensor) -> None:
        """Class ids must name one of the network's classes (checked on the CPU, once).

        Left to the loss, a label out of range stops the run at its first batch (on a GPU as
        a device-side assert that ends the process), or later at a batch that holds it.
        """
        count = self.network_classes
        if count is None or y.dtype != torch.int64 or y.numel() == 0:
            return
        low, high = int(y.min()), int(y.max())
        bad = low if low < 0 else high if high >= count else None
        if bad is not None:
            raise TrainingError(
                f"the {what} data has label {bad}, but network '{self.graph.name}' has "
                f"{count} class{'es' * (count != 1)} (labels 0 to {count - 1})",
                "Give the layer before the loss as many units as the data has classes, or "
                "fix the labels.", kind="input")

    def _class_count(self, dataset: Dataset) -> int:
        if not self.recipe.classifies:
            return 0
        if dataset.classes:
            return len(dataset.classes)
        y = self.train_data.y
        if y.dtype != torch.int64:
            return int(y.shape[1])
        # The network's count: a label set without its highest class still gets every row.
        return self.network_classes or int(y.max()) + 1

    def _loss_weight(self, name: str) -> float:
        node = self.graph.node_by_name(name)
        return 1.0 if node is None else node.params.get("weight", 1.0)

    # ----------------------------------------------------------------------------------------
    # The step
    def _build_step(self) -> StepFn:
        settings, data = self.settings, self.train_data
        reason = fast.fast_path_reason(self.device, settings, data.x.shape[0])
        self.fallback_reason = reason
        if not self.recipe.gradient_step:
            neuron = find_neuron(self.model)
            optimizer: torch.optim.Optimizer = torch.optim.SGD(neuron.parameters(),
                                                               lr=settings.lr)
            self._restore_optimizer(optimizer)
            self.optimizers = {self.graph.name: optimizer}
            return perceptron_step(self.model, neuron, optimizer, data.x, data.y,
                                   self.accumulator, self.step_log)
        loss = loss_only(self._step_forward())
        if reason is None:
            optimizer = make_optimizer(self.model.parameters(), settings, capturable=True,
                                       device=self.device)
            try:
                step = fast.CudaGraphStep(loss, self.model, optimizer, data.x, data.y,
                                          settings.batch_size, self.accumulator,
                                          self.step_log, settings.grad_clip)
            except torch.cuda.OutOfMemoryError:
                raise  # the eager step would not fit either: the run fails with advice
            except (RuntimeError, NotImplementedError) as error:
                self.fallback_reason = ("capturing the step failed "
                                        f"({str(error).splitlines()[0]})")
            else:
                self._restore_optimizer(optimizer, in_place=True)
                self.optimizers = {self.graph.name: optimizer}
                self.fast_path = "cuda_graph"
                return step
        optimizer = make_optimizer(self.model.parameters(), settings)
        self._restore_optimizer(optimizer)
        self.optimizers = {self.graph.name: optimizer}
        return eager_step(loss, self.model, optimizer, data.x, data.y, self.accumulator,
                          settings.grad_clip, self.step_log)

    def _step_forward(self) -> ForwardFn:
        """The train step's forward: ``self.forward``, or with ``torch_compile`` the same over
        the compiled model (compiled at the first step, before capture). Evaluation, probes and
        samples keep the plain model, whose hooks and changing batch sizes compile nothing."""
        if not self.settings.torch_compile:
            return self.forward
        # torch.compile returns the module wrapped (typed as a plain callable).
        compiled = cast(nn.Module, torch.compile(self.model))
        weights = {name: float(self._loss_weight(name)) for name in self.parts.losses}
        return supervised_forward(compiled, weights, self.device, self.settings.bf16,
                                  with_parts=bool(self.part_names),
                                  takes_target=self.recipe.takes_target)

    def step(self, rows: torch.Tensor) -> None:
        self.step_fn(rows)

    def _restore_optimizer(self, optimizer: torch.optim.Optimizer, in_place: bool = False
                           ) -> None:
        saved = self.saved_optimizer(self.graph.name)
        if saved is None:
            return
        with checkpoint_fit(f"the optimizer of network '{self.graph.name}'"):
            _load_optimizer(optimizer, saved, in_place)

    # ----------------------------------------------------------------------------------------
    # Epoch ends
    def validate(self) -> tuple[float | None, float | None]:
        loss, accuracy, _ = self._figures(self.val_data)
        return loss, accuracy

    def samples_at(self, epoch: int) -> list[Samples]:
        if self.generate is not None:
            return [Samples(epoch, "text", self.generate.describe(), text=self._text())]
        if self.recipe.generates == "images":
            return self._vae_samples(epoch)
        return []

    def probe(self, epoch: int, step: int, request: ProbeRequest | None = None
              ) -> Probe | None:
        return self.probe_recorder.capture(epoch, step, request)

    def finish(self, last: dict[str, Any], epochs_done: int, stopped: bool) -> Finished:
        metrics: dict[str, Any] = {**last, "epochs_done": epochs_done, "stopped": stopped}
        if self.generate is not None and epochs_done > 0:
            metrics["sample"] = self._text()
            metrics["sample_from"] = self.generate.describe()
        if stopped:
            return Finished(metrics, None, None)
        evaluated = self.test_data or self.val_data
        test_loss, test_accuracy, confusion = self._figures(self.test_data)
        if self.recipe.classifies and evaluated is not None:
            if self.test_data is None:
                _, _, confusion = self._figures(self.val_data)
            metrics["confusion_matrix"] = confusion
            metrics["confusion_split"] = "test" if self.test_data is not None else "validation"
        if self.recipe.reports_train_accuracy:
            _, metrics["train_accuracy"], _ = self._figures(self.train_data)
        return Finished(metrics, test_loss, test_accuracy)

    def _figures(self, data: _Data | None
                 ) -> tuple[float | None, float | None, list[list[int]] | None]:
        """(loss, accuracy, confusion matrix) of a split; one sync for all of them."""
        if data is None:
            return None, None, None
        result: Evaluation = evaluate(
            self.model, self.recipe.classifies, data.x, data.y,
            self.forward if self.recipe.gradient_step else None, self.classes,
            max(EVAL_BATCH, self.settings.batch_size), self.device, self.settings.bf16)
        self._evaluation = (data, result)
        parts = [result.loss_sum.reshape(1).float(), result.correct.reshape(1).float()]
        if result.confusion is not None:
            parts.append(result.confusion.float())
        values = sync.to_host(torch.cat(parts))
        loss = values[0] / result.samples
        accuracy = (values[1] / result.samples
                    if self.recipe.reports_accuracy else None)
        confusion = None
        if result.confusion is not None:
            flat = [int(v) for v in values[2:]]
            c = self.classes
            confusion = [flat[row * c:(row + 1) * c] for row in range(c)]
        return loss, accuracy, confusion

    def _probe_batch(self) -> ProbeBatch:
        """The first samples of the validation split (of the training split without one)."""
        data = self.val_data or self.train_data
        x, y = data.x[:PROBE_SAMPLES], data.y[:PROBE_SAMPLES]
        # The recorder is this run's own: a strong reference back would make a cycle that
        # keeps the run, and with it the whole data set, alive after the run until the
        # garbage collector comes by (which in the app only runs on the GUI thread).
        this = weakref.ref(self)

        def run() -> torch.Tensor:
            me = this()
            assert me is not None, "probed after its run ended"
            if not me.recipe.gradient_step:
                (prediction,), _ = me.model(x)
                return prediction
            outputs, _ = me.forward(x, y)
            return outputs[0]

        takes_target = self.recipe.takes_target  # an autoencoder's output is a picture
        return ProbeBatch(run, inputs=x, labels=y if takes_target else None,
                          classifies=self.recipe.classifies, predicts=takes_target)

    # ----------------------------------------------------------------------------------------
    # Language models
    def _generate_settings(self, dataset: Dataset) -> GenerateSettings | None:
        if self.recipe.generates != "text":
            return None
        if not dataset.vocab:
            raise TrainingError(
                f"the language_model recipe trains on text, but data set '{dataset.name}' "
                "has no characters (vocabulary)",
                "Choose a text data set: hello_world, tiny_corpus or a .txt file.")
        shape, _ = self._input_spec(self.input_name)
        if len(shape) != 2 or shape[1] != len(dataset.vocab):
            raise TrainingError(
                f"Input '{self.input_name}' must read one-hot windows (steps, "
                f"{len(dataset.vocab)}) for a text of {len(dataset.vocab)} characters; it "
                f"reads {format_shape(shape)}",
                f"Set the Input's shape to (steps, {len(dataset.vocab)}).")
        self.vocab, self.seq_len = dataset.vocab, shape[0]
        self.text_rng = torch.Generator(device=self.device)
        return GenerateSettings.from_settings(self.settings.extra, dataset.vocab)

    def _text(self) -> str:
        assert self.generate is not None
        self.text_rng.manual_seed(self.settings.seed)  # the same text for the same weights
        probabilities = self._loss_param("inputs") == "probabilities"
        was_training = self.model.training
        self.model.eval()
        try:
            return generate_text(self._predict, self.vocab, self.seq_len, self.generate,
                                 self.device, outputs_probabilities=probabilities,
                                 generator=self.text_rng)
        finally:
            self.model.train(was_training)

    def _predict(self, window: torch.Tensor) -> torch.Tensor:
        return self._outputs(window)

    def _outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The network's first output for inputs ``x`` (the losses see stand-in targets)."""
        if not self.recipe.gradient_step:
            (first, *_), _ = self.model(x)
            return first
        y = self.train_data.y
        target = torch.zeros((x.shape[0], *y.shape[1:]), dtype=y.dtype, device=self.device)
        outputs, _ = self.forward(x, target)
        return outputs[0]

    def _loss_param(self, key: str) -> Any:
        node = self.graph.node_by_name(self.parts.losses[0])
        return None if node is None else node.params.get(key)

    def reply(self, request: TextRequest) -> TextReply:
        if self.generate is None:
            return super().reply(request)
        prompt = request.prompt or self.vocab[:1]
        unknown = sorted(set(prompt) - set(self.vocab))
        if unknown:
            return TextReply(request.id, request.prompt, request.temperature,
                             error="the training text has no " + ", ".join(map(repr, unknown)))
        settings = GenerateSettings(prompt, min(max(request.length, 1), MAX_LENGTH),
                                    min(max(request.temperature, 0.0), 10.0))
        was_training = self.model.training
        self.model.eval()
        try:
            text = generate_text(self._predict, self.vocab, self.seq_len, settings, self.device,
                                 outputs_probabilities=self._loss_param("inputs")
                                 == "probabilities", generator=self.text_rng)
        except (RuntimeError, ValueError) as error:  # the run goes on; the view says why
            return TextReply(request.id, request.prompt, request.temperature,
                             error=str(error).splitlines()[0])
        finally:
            self.model.train(was_training)
        return TextReply(request.id, request.prompt, request.temperature, text=text)

    # ----------------------------------------------------------------------------------------
    # Results views (netbuilder.train.results)
    def results(self, epoch: int, step: int, final: bool) -> Results | None:
        makers = {kinds.CLASSIFICATION: self._classification_results,
                  kinds.REGRESSION: self._regression_results,
                  kinds.BOUNDARY: self._boundary_results,
                  kinds.TEXT: self._text_results,
                  kinds.VAE: self._vae_results}
        maker = makers.get(self.recipe.results)
        if maker is None:
            return None
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                fields = maker(final)
        finally:
            self.model.train(was_training)
        return Results(self.recipe.results, epoch, step, final, **fields)

    def _results_split(self) -> tuple[_Data, str]:
        if self.val_data is not None:
            return self.val_data, "validation"
        return self.train_data, "train"

    def _classification_results(self, final: bool) -> dict[str, Any]:
        data, split = self._results_split()
        stash = self._evaluation
        if final and stash is not None and stash[0] is data:
            result = stash[1]  # this epoch's validation pass: no second one
        else:
            result = evaluate(self.model, True, data.x, data.y, self.forward, self.classes,
                              max(EVAL_BATCH, self.settings.batch_size), self.device,
                              self.settings.bf16)
        if result.confusion is None or result.predicted is None or result.margin is None:
            return {"split": split}
        count = min(kinds.MAX_SAMPLES, int(data.x.shape[0]))
        truth = data.y[:count]
        truth = truth if truth.dtype == torch.int64 else truth.argmax(1)
        host = sync.to_host(torch.cat([result.confusion.float(),
                                       result.predicted[:count].float(),
                                       result.margin[:count].float(),
                                       truth.reshape(-1).float()]))
        cells = self.classes * self.classes
        fields: dict[str, Any] = {
            "split": split, "classes": self.class_names,
            "confusion": host[:cells].reshape(self.classes, self.classes).astype(np.int64),
            "predicted": host[cells:cells + count].astype(np.int64),
            "margin": host[cells + count:cells + 2 * count].astype(np.float32),
            "true": host[cells + 2 * count:].astype(np.int64)}
        fields.update(self._first_samples(data, count))
        fields.update(self._plane_fields())
        return fields

    def _first_samples(self, data: _Data, count: int) -> dict[str, Any]:
        """The split's first samples to show: in the run's first Results only."""
        if self._samples_sent:
            return {}
        self._samples_sent = True
        shown = results_eval.pictures(data.x[:count])
        if shown is not None:
            return {"samples": shown}
        return {"sample_text": results_eval.sample_texts(data.x[:count])}

    def _plane_fields(self) -> dict[str, Any]:
        """The decision regions (or output values) over the plane, for 2-D inputs."""
        x = self.train_data.x
        if x.ndim != 2 or x.shape[1] != 2 or not x.is_floating_point():
            return {}
        labels = self.train_data.y if self.recipe.takes_target else None
        return results_eval.plane(x, self._outputs, self.recipe.classifies, labels)

    def _regression_results(self, final: bool) -> dict[str, Any]:
        data, split = self._results_split()
        count = min(kinds.MAX_SAMPLES, int(data.x.shape[0]))
        answers = torch.cat([self._outputs(data.x[start:start + EVAL_BATCH]).float()
                             .reshape(-1, 1 if data.y.ndim == 1 else data.y[0].numel())
                             for start in range(0, count, EVAL_BATCH)])[:count]
        truth = data.y[:count].float().reshape(count, -1)
        host = sync.to_host(torch.cat([answers.reshape(-1), truth.reshape(-1)]))
        middle = answers.numel()
        return {"split": split,
                "predicted": host[:middle].reshape(count, -1).astype(np.float32),
                "true": host[middle:].reshape(count, -1).astype(np.float32),
                **self._plane_fields()}

    def _boundary_results(self, final: bool) -> dict[str, Any]:
        plane = self._plane_fields()
        return plane if plane else self._regression_results(final)

    def _text_results(self, final: bool) -> dict[str, Any]:
        if self.generate is None:
            return {}
        return {"text": self._text(), "text_from": self.generate.describe()}

    def _vae_results(self, final: bool) -> dict[str, Any]:
        data, split = self._results_split()
        originals = data.x[:SAMPLE_IMAGES // 2]
        outputs, _ = self.forward(originals, originals)
        images = {"inputs": results_eval.pictures(originals),
                  "reconstructions": results_eval.pictures(
                      outputs[0].reshape(originals.shape))}
        fields: dict[str, Any] = {"split": split}
        decoder = getattr(self, "decoder", None)
        if self.sample_noise is not None and decoder is not None:
            images["prior"] = results_eval.pictures(decoder(self.sample_noise))
            means = self._latent_means(data.x[:128])
            walk, fields["walk_dims"] = results_eval.latent_walk(
                decoder, means, tuple(self.sample_noise.shape[1:]))
            images["walk"] = walk
        fields["images"] = {k: v for k, v in images.items() if v is not None}
        return fields

    def _latent_means(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's means for ``x`` (the sampling block passes them on in eval mode)."""
        seen: dict[str, torch.Tensor] = {}
        node = sampling_nodes(self.model)[0]
        module = self.model.get_submodule(str(node.target))
        handle = module.register_forward_hook(lambda _m, _a, out: seen.__setitem__("mu", out))
        try:
            self.forward(x, x)
        finally:
            handle.remove()
        return seen["mu"]

    # ----------------------------------------------------------------------------------------
    # VAEs
    def _vae_noise(self) -> torch.Tensor | None:
        """Fixed prior noise, so that successive epochs decode the same points."""
        if self.recipe.generates != "images" or not sampling_nodes(self.model):
            return None
        outputs = output_nodes(self.model)
        self.decoder = latent_decoder(self.model, outputs[0]) if outputs else None
        if self.decoder is None:
            return None
        mu_shape = self._latent_shape()
        noise = torch.Generator().manual_seed(self.settings.seed)
        return torch.randn((SAMPLE_IMAGES, *mu_shape), generator=noise).to(self.device)

    def _latent_shape(self) -> tuple[int, ...]:
        seen: dict[str, tuple[int, ...]] = {}
        node = sampling_nodes(self.model)[0]
        module = self.model.get_submodule(str(node.target))
        handle = module.register_forward_hook(
            lambda _m, _a, out: seen.__setitem__("z", tuple(out.shape[1:])))
        try:
            with torch.no_grad():
                self.forward(self.train_data.x[:1], self.train_data.y[:1])
        finally:
            handle.remove()
        return seen["z"]

    def _vae_samples(self, epoch: int) -> list[Samples]:
        data = self.val_data or self.train_data
        originals = data.x[:SAMPLE_IMAGES // 2]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                outputs, _ = self.forward(originals, originals)
                pictures = [("reconstructions (odd: input, even: output)",
                             torch.stack([originals, outputs[0].reshape(originals.shape)], 1)
                             .reshape(-1, *originals.shape[1:]))]
                if self.sample_noise is not None and self.decoder is not None:
                    pictures.append(("samples from the prior", self.decoder(self.sample_noise)))
        finally:
            self.model.train(was_training)
        events = []
        for label, images in pictures:
            shown = as_images(images)
            if shown is not None:
                events.append(Samples(epoch, "images", label, images=shown))
        return events


def _network_classes(doc: Document, network: str) -> int | None:
    """How many classes the network's class-id losses score (the fewest, if several).

    None when no cross-entropy loss of the network reads class ids (int64 targets).
    """
    graph = doc.network(network)
    analysis = analyse(doc, graph)
    counts = []
    for node in graph.nodes.values():
        info = analysis.nodes.get(node.id)
        if node.type != "cross_entropy_loss" or info is None:
            continue
        prediction, target = info.inputs.get("prediction"), info.inputs.get("target")
        if (prediction is not None and target is not None and target.dtype == "int64"
                and prediction.rank >= 1):
            counts.append(prediction.shape[0])
    return min(counts, default=None)


def _load_optimizer(optimizer: torch.optim.Optimizer, saved: dict[str, Any], in_place: bool
                    ) -> None:
    """Loads a checkpoint's optimizer state (a captured step's: into its state tensors)."""
    if not in_place:
        # A checkpoint from the CUDA-graph path carries capturable=True and a tensor lr;
        # this optimizer keeps its own (the device may differ now).
        own = [(g.get("capturable"), g.get("foreach"), g["lr"])
               for g in optimizer.param_groups]
        optimizer.load_state_dict(saved)
        for group, (capturable, foreach, lr) in zip(optimizer.param_groups, own,
                                                    strict=True):
            group["capturable"], group["foreach"], group["lr"] = capturable, foreach, lr
        return
    # A captured graph points at the optimizer's state tensors: copy into them.
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for index, param in enumerate(params):
        for key, value in saved["state"].get(index, {}).items():
            optimizer.state[param][key].copy_(value)


def as_images(values: torch.Tensor) -> Any:
    """(N, C, H, W) or (N, H*W) values in [0, 1] as a float32 numpy array, or None."""
    values = values.detach().float()
    if values.ndim == 2:
        side = math.isqrt(values.shape[1])
        if side * side != values.shape[1]:
            return None
        values = values.reshape(-1, 1, side, side)
    if values.ndim != 4:
        return None
    return values.clamp(0.0, 1.0).cpu().numpy()


def _split_off(split: DataSplit | _Raw, fraction: float, seed: int
               ) -> tuple[_Raw, _Raw | None]:
    """Holds out ``fraction`` of the samples (a seeded shuffle) as the validation split."""
    count = int(split.x.shape[0])
    held = round(count * fraction)
    if held == 0 or held == count:
        return _Raw(split.x, split.y), None
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    keep, hold = order[held:], order[:held]
    y = split.y
    return (_Raw(split.x[keep], None if y is None else y[keep]),
            _Raw(split.x[hold], None if y is None else y[hold]))


@dataclass
class _Raw:
    """A CPU split made here (the validation hold-out): what DataSplit's x and y are."""

    x: torch.Tensor
    y: torch.Tensor | None
