"""Probes: what each block outputs on a few fixed samples, and the spread of the gradients.

Forward hooks on the blocks' modules catch their outputs while the model runs (in eval mode,
without gradients) on the probe batch. A probe reads all of that back to the host, so the loop
takes one only every ``probe_interval`` seconds, never per step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import fx

from netbuilder.train.events import Probe

#: Probe samples run through the model (histograms are taken over all of them).
PROBE_SAMPLES = 8
#: Values kept of one block's output for the first sample (a conv's first maps, say).
MAX_VALUES = 65_536
HISTOGRAM_BINS = 32


class ProbeRecorder:
    """Runs ``run_model`` on fixed samples and packs block outputs and gradients into a Probe.

    Args:
        model: the compiled network (its call_module targets are the block names).
        run_model: runs the model on the probe batch (how depends on the recipe).
    """

    def __init__(self, model: fx.GraphModule, run_model: Any) -> None:
        self.model, self.run_model = model, run_model
        self.blocks = [str(node.target) for node in model.graph.nodes
                       if node.op == "call_module"]

    def capture(self, epoch: int, step: int) -> Probe:
        seen: dict[str, torch.Tensor] = {}
        handles = [
            self.model.get_submodule(name).register_forward_hook(_keeper(name, seen))
            for name in self.blocks
        ]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                self.run_model()
        finally:
            self.model.train(was_training)
            for handle in handles:
                handle.remove()
        gradients = {name: p.grad.detach() for name, p in self.model.named_parameters()
                     if p.grad is not None}
        # Binned on the host: numpy's histogram is exact and the tensors are small.
        host = _to_cpu({**{f"a:{k}": v for k, v in seen.items()},
                        **{f"g:{k}": v for k, v in gradients.items()}})
        activations, activation_histograms, gradient_histograms = {}, {}, {}
        for key, values in host.items():
            kind, name = key.split(":", 1)
            if kind == "a":
                activations[name] = values[0].reshape(-1)[:MAX_VALUES].reshape(
                    _kept_shape(values[0].shape))
                activation_histograms[name] = _histogram(values)
            else:
                gradient_histograms[name] = _histogram(values)
        return Probe(epoch, step, activations, activation_histograms, gradient_histograms)


def _keeper(name: str, seen: dict[str, torch.Tensor]) -> Any:
    def hook(_module: Any, _args: Any, output: Any) -> None:
        value = output[0] if isinstance(output, tuple) else output
        if isinstance(value, torch.Tensor) and value.ndim >= 1 and value.is_floating_point():
            seen[name] = value.detach()
    return hook


def _kept_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the first MAX_VALUES values: whole rows of the first axis, or flat."""
    size = int(np.prod(shape)) if shape else 1
    if size <= MAX_VALUES:
        return tuple(shape)
    per_row = size // shape[0]
    rows = MAX_VALUES // per_row
    return (rows, *shape[1:]) if rows >= 1 else (MAX_VALUES,)


def _to_cpu(tensors: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {key: value.float().cpu().numpy() for key, value in tensors.items()}


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(HISTOGRAM_BINS, dtype=np.int64), np.linspace(0.0, 1.0, HISTOGRAM_BINS + 1)
    low, high = float(finite.min()), float(finite.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    return np.histogram(finite, bins=HISTOGRAM_BINS, range=(low, high))
