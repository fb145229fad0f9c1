"""Recipe pieces: the step and the evaluation of supervised training and the perceptron rule.

Every step function takes a 1-D index tensor into the resident train split, trains on those
samples, adds ``losses * samples`` to a device accumulator vector and appends the step's losses
to the run's :class:`~netbuilder.train.steplog.StepLog`: it never reads a value back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import fx, nn

from netbuilder.train.steplog import StepLog

StepFn = Callable[[torch.Tensor], None]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
ForwardFn = Callable[[torch.Tensor, torch.Tensor], tuple[tuple[torch.Tensor, ...], torch.Tensor]]


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast when asked for; caching off so that CUDA-graph capture accepts it."""
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)


def supervised_forward(model: nn.Module, weights: Mapping[str, float], device: torch.device,
                       bf16: bool, *, with_parts: bool = False,
                       takes_target: bool = True) -> ForwardFn:
    """(x, y) -> (the graph's outputs, its losses as a float32 vector).

    ``model`` is compiled with losses; ``weights`` maps each of its loss blocks to its weight,
    in the order of the compiled parts' ``losses``. The vector's first value is the weighted
    sum of the loss blocks (what is trained); with ``with_parts`` each loss block's own value
    follows, in that order. Without ``takes_target`` (an autoencoder, whose losses read the
    Input itself) y is ignored.
    """
    names = tuple(weights)

    def forward(x: torch.Tensor, y: torch.Tensor) -> tuple[tuple[torch.Tensor, ...],
                                                           torch.Tensor]:
        with autocast(device, bf16):
            outputs, losses = model(x, y) if takes_target else model(x)
        values = [losses[name].float() for name in names]
        total = sum(weights[name] * value for name, value in zip(names, values, strict=True))
        assert isinstance(total, torch.Tensor)
        return outputs, torch.stack([total, *values] if with_parts else [total])

    return forward


def loss_only(forward: ForwardFn) -> LossFn:
    """(x, y) -> the loss vector of a ``supervised_forward``."""
    return lambda x, y: forward(x, y)[1]


def eager_step(compute_loss: LossFn, model: nn.Module, optimizer: torch.optim.Optimizer,
               x: torch.Tensor, y: torch.Tensor, accumulator: torch.Tensor,
               grad_clip: float, step_log: StepLog) -> StepFn:
    """The plain autograd step (CPU, MPS, and CUDA when the graph path is not taken)."""
    params = [p for p in model.parameters() if p.requires_grad]

    def step(index: torch.Tensor) -> None:
        losses = compute_loss(x.index_select(0, index), y.index_select(0, index))
        optimizer.zero_grad(set_to_none=True)
        losses[0].backward()
        if grad_clip > 0:
            nn.utils.clip_grad_norm_(params, grad_clip)
        optimizer.step()
        accumulator.add_(losses.detach() * index.numel())
        step_log.write(losses)

    return step


def find_neuron(model: nn.Module) -> nn.Module:
    """The one module with a (1, features) weight: the perceptron's Neuron.

    Raises:
        ValueError: the network has no such module or more than one trainable layer.
    """
    layers = [m for m in model.modules() if isinstance(getattr(m, "weight", None), nn.Parameter)]
    weight = layers[0].get_parameter("weight") if len(layers) == 1 else None
    if weight is None or weight.ndim != 2 or weight.shape[0] != 1:
        raise ValueError("the perceptron recipe trains a network with exactly one Neuron "
                         f"(one output); this one has {len(layers)} layers with weights")
    return layers[0]


def perceptron_step(model: nn.Module, neuron: nn.Module, optimizer: torch.optim.Optimizer,
                    x: torch.Tensor, y: torch.Tensor, accumulator: torch.Tensor,
                    step_log: StepLog) -> StepFn:
    """The perceptron rule, no autograd: w <- w - lr*(y_hat - y)*x, b <- b - lr*(y_hat - y).

    The rule's update is written into ``.grad`` and applied by a plain SGD optimizer (no
    momentum), so learning-rate changes, schedules and checkpoints work as for any recipe.
    Over a batch the per-sample updates are summed (batch_size 1 is the textbook rule). The
    accumulator counts misclassified samples: the "loss" reported is the error rate.
    """
    seen: dict[str, torch.Tensor] = {}
    # The Neuron's own input, whatever blocks sit between it and the Input.
    neuron.register_forward_pre_hook(lambda _m, args: seen.__setitem__("x", args[0]))
    weight = neuron.weight
    bias = getattr(neuron, "bias", None)

    def step(index: torch.Tensor) -> None:
        xb, yb = x.index_select(0, index), y.index_select(0, index)
        with torch.no_grad():
            (prediction,), _ = model(xb)
            error = prediction.reshape(-1) - yb.reshape(-1).to(prediction.dtype)
            inputs = seen["x"].reshape(error.numel(), -1)
            weight.grad = (error @ inputs).reshape(weight.shape)
            if isinstance(bias, torch.Tensor):
                bias.grad = error.sum().reshape(bias.shape)
            wrong = (error != 0).sum().reshape(1)
            accumulator.add_(wrong)
            step_log.write(wrong.float() / index.numel())  # the step's error rate
        optimizer.step()

    return step


@dataclass
class Evaluation:
    """Figures over one split, still on the device until ``read``."""

    loss_sum: torch.Tensor
    correct: torch.Tensor
    confusion: torch.Tensor | None
    samples: int
    #: A classifier's answer for every sample, and how far the true class's score is below
    #: the answer's (0 where right); the results view reads them (netbuilder.train.results).
    predicted: torch.Tensor | None = None
    margin: torch.Tensor | None = None


def evaluate(model: fx.GraphModule, classifies: bool, x: torch.Tensor, y: torch.Tensor,
             forward: ForwardFn | None, classes: int, batch: int, device: torch.device,
             bf16: bool) -> Evaluation:
    """Loss, correct predictions and (classification) the confusion matrix over a split."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    confusion = (torch.zeros(classes * classes, device=device, dtype=torch.int64)
                 if classifies and classes > 0 else None)
    answers: list[torch.Tensor] = []
    margins: list[torch.Tensor] = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch):
            xb, yb = x[start:start + batch], y[start:start + batch]
            if forward is None:  # the perceptron: its output is the class
                (prediction,), _ = model(xb)
                hits = (prediction.reshape(-1) == yb.reshape(-1).to(prediction.dtype)).sum()
                correct += hits
                loss_sum += xb.shape[0] - hits
                continue
            outputs, losses = forward(xb, yb)
            loss_sum += losses[0] * xb.shape[0]
            if classifies:
                scores = outputs[0]
                predicted = scores.argmax(1)
                truth = yb if yb.dtype == torch.int64 else yb.argmax(1)
                correct += (predicted == truth).sum()
                if scores.ndim == 2 and truth.ndim == 1:  # one answer per sample
                    flat = scores.float()
                    margins.append((flat.gather(1, predicted.reshape(-1, 1))
                                    - flat.gather(1, truth.reshape(-1, 1))).reshape(-1))
                    answers.append(predicted)
                if confusion is not None:
                    confusion += torch.bincount((truth * classes + predicted).reshape(-1),
                                                minlength=classes * classes)
    model.train(was_training)
    return Evaluation(loss_sum, correct, confusion, int(x.shape[0]),
                      torch.cat(answers) if answers else None,
                      torch.cat(margins) if margins else None)
