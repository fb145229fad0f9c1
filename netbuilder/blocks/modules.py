"""The torch modules that block build functions return where torch has no ready one.

This is the only module of ``netbuilder.blocks`` that imports torch at import time, and only
build functions import it, so the editor can check shapes without loading torch. Every module
here keeps its parameters as direct attributes (``dense1.weight``), so state_dict keys read
like hand-written code.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812  (the name every torch user knows)

#: Slope of LeakyReLU when picked as a layer's activation (the GAN tutorials' 0.2).
LEAKY_SLOPE = 0.2


class Step(nn.Module):
    """Heaviside step: 1 where x >= 0, else 0. Its gradient is zero (perceptron rule only)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x >= 0).to(x.dtype)


class Sign(nn.Module):
    """+1 where x >= 0, else -1 (zero maps to +1, as the perceptron rule wants)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


def activation(name: str, dim: int = -1) -> nn.Module:
    """A fresh activation module for an activation name of ``blocks.activations``."""
    factories: dict[str, Callable[[], nn.Module]] = {
        "linear": nn.Identity,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "softmax": lambda: nn.Softmax(dim=dim),
        "log_softmax": lambda: nn.LogSoftmax(dim=dim),
        "step": Step,
        "sign": Sign,
    }
    return factories[name]()


class Dense(nn.Linear):
    """A linear layer followed by an activation, with weights at ``.weight`` / ``.bias``."""

    def __init__(self, in_features: int, units: int, bias: bool, act: str) -> None:
        super().__init__(in_features, units, bias=bias)
        self.activation = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.activation(super().forward(x))
        return y


class Reshape(nn.Module):
    """Reshapes each sample to ``shape`` (batch dimension kept)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Permute(nn.Module):
    """Reorders the non-batch dimensions; ``dims`` counts them from 1."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = (0, *dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)


class Add(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Multiply(nn.Module):
    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        total = xs[0]
        for x in xs[1:]:
            total = total * x
        return total


class Concatenate(nn.Module):
    """Joins inputs along a non-batch axis (``axis`` counts non-batch dims, -1 = last)."""

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.dim = axis if axis < 0 else axis + 1

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


class Sampling(nn.Module):
    """The VAE's reparameterisation: z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1).

    In eval mode it returns mu, so that reconstructions are deterministic.
    """

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return mu
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


class GlobalAvgPool(nn.Module):
    """Mean over every axis but the channels (spatial) or over the steps (sequence)."""

    def __init__(self, over: str) -> None:
        super().__init__()
        self.over = over

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.over == "sequence":
            return x.mean(dim=1)
        return x.flatten(2).mean(dim=2)


class PositionalEncoding(nn.Module):
    """Adds the fixed sinusoidal position signal of "Attention Is All You Need"."""

    table: torch.Tensor  # a buffer: declared, or nn.Module types it as Tensor | Module

    def __init__(self, length: int, d_model: int, dropout: float) -> None:
        super().__init__()
        position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
        rate = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32)
                         * (-math.log(10000.0) / d_model))
        table = torch.zeros(length, d_model)
        table[:, 0::2] = torch.sin(position * rate)
        table[:, 1::2] = torch.cos(position * rate[: d_model // 2])
        # A buffer, not a parameter: saved with the weights, never trained.
        self.register_buffer("table", table, persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.dropout(x + self.table[: x.shape[1]])
        return y


class MSELoss(nn.Module):
    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(prediction, target)


class CrossEntropyLoss(nn.Module):
    """Cross-entropy from logits or probabilities, with class-index or one-hot targets."""

    def __init__(self, inputs: str, label_smoothing: float) -> None:
        super().__init__()
        self.inputs = inputs
        self.label_smoothing = label_smoothing

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.inputs == "probabilities":
            # The tutorials end in softmax; log of clamped probabilities keeps it finite.
            prediction = torch.log(prediction.clamp_min(1e-7))
        if target.is_floating_point():
            return F.cross_entropy(prediction, target, label_smoothing=self.label_smoothing)
        return F.cross_entropy(prediction, target.long(), label_smoothing=self.label_smoothing)


class BCELoss(nn.Module):
    def __init__(self, from_logits: bool) -> None:
        super().__init__()
        self.from_logits = from_logits

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        target = target.to(prediction.dtype)
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(prediction, target)
        # Clamp as Keras does, so a saturated sigmoid gives a large loss, not inf.
        return F.binary_cross_entropy(prediction.clamp(1e-7, 1 - 1e-7), target)


class KLDivergenceLoss(nn.Module):
    """KL(N(mu, exp(logvar)) || N(0, 1)), summed over latent dims, averaged over the batch."""

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        per_sample = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).flatten(1).sum(dim=1)
        return per_sample.mean()
