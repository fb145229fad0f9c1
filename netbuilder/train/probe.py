"""Probes: what chosen blocks compute on fixed samples, and the spread of their numbers.

Forward hooks on the blocks' modules catch their outputs while the model runs (in eval mode,
without gradients) on the probe batch: a few samples of the validation split (the training
split without one). Only the blocks asked for (:class:`ProbeRequest`) keep their outputs;
every block reports the range of its output on the chosen sample, so that a viewer can scale
one layer's pictures against the whole network's. Histograms of activations, weights and
gradients are binned on the device (:func:`device_histograms`), and everything a probe
returns is packed into one tensor that crosses to the host in one copy: a probe costs one
sync, and the loop takes one only every ``interval`` seconds, never per step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import fx, nn

from netbuilder.blocks.torch_sequence import MultiHeadAttention, Recurrent
from netbuilder.train import sync
from netbuilder.train.control import ProbeRequest
from netbuilder.train.events import Probe

#: Probe samples run through the model (histograms are taken over all of them).
PROBE_SAMPLES = 8
#: Values kept of one block's output for the chosen sample (a conv's first maps, say).
MAX_VALUES = 65_536
HISTOGRAM_BINS = 32


@dataclass(frozen=True)
class ProbeBatch:
    """What a recipe runs the probe on.

    Attributes:
        run: runs the model on the probe samples and returns its first output (or None).
        inputs: the probe samples as the model reads them (device tensor), or None.
        labels: their targets (class ids, or values), or None.
        classifies: the first output scores classes: predictions are its argmax.
        predicts: the first output is a prediction to show beside the label (not an image
            a generator or an autoencoder makes).
    """

    run: Callable[[], Any]
    inputs: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    classifies: bool = False
    predicts: bool = True


class ProbeRecorder:
    """Runs a recipe's probe batch and packs the requested outputs into a Probe.

    Args:
        model: the compiled network (its call_module targets are the block names).
        batch: the probe samples and how to run them.
    """

    def __init__(self, model: fx.GraphModule, batch: ProbeBatch) -> None:
        self.model, self.batch = model, batch
        self.blocks = tuple(str(node.target) for node in model.graph.nodes
                            if node.op == "call_module")

    def capture(self, epoch: int, step: int, request: ProbeRequest | None = None) -> Probe:
        """One probe of the blocks ``request`` asks for (all of them without one)."""
        request = request or ProbeRequest(None, 0.0)
        sample = min(max(request.sample, 0), PROBE_SAMPLES - 1)
        caught = _Catcher(sample)
        handles = []
        for name in self.blocks:
            module = self.model.get_submodule(name)
            keep = request.wants(name)
            handles.append(module.register_forward_hook(caught.output_hook(name, keep)))
            if keep and isinstance(module, Recurrent):
                # The layer's own output is every step's hidden state, whatever the block returns.
                handles.append(module.rnn.register_forward_hook(caught.states_hook(name)))
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                prediction = self.batch.run()
                packer = self._pack(caught, request, sample, prediction)
                host = sync.to_host(packer.flat()) if packer.parts else np.zeros(0)
        finally:
            self.model.train(was_training)
            for handle in handles:
                handle.remove()
        return packer.unpack(host, epoch, step, sample, self.blocks, caught.kinds)

    def _pack(self, caught: _Catcher, request: ProbeRequest, sample: int,
              prediction: Any) -> _Packer:
        packer = _Packer()
        parameters = [(name, p) for name, p in self.model.named_parameters()
                      if request.wants(name.rpartition(".")[0])]
        histograms = [("a", name, values) for name, values in caught.batches.items()]
        histograms += [("w", name, p.detach()) for name, p in parameters]
        histograms += [("g", name, p.grad.detach()) for name, p in parameters
                       if p.grad is not None]
        histograms = [entry for entry in histograms if entry[2].numel() > 0]
        if histograms:
            packer.add("histograms", device_histograms([h[2] for h in histograms]),
                       keys=[(kind, name) for kind, name, _ in histograms])
        if caught.ranges:
            packer.add("ranges", torch.stack(list(caught.ranges.values())),
                       keys=list(caught.ranges))
        for name, values in caught.samples.items():
            packer.add("activations", values.reshape(-1)[:MAX_VALUES], key=name,
                       shape=tuple(values.shape))
        for name, values in caught.attention.items():
            packer.add("attention", values, key=name, shape=tuple(values.shape))
        for name, values in caught.states.items():
            packer.add("hidden_states", values.reshape(-1)[:MAX_VALUES], key=name,
                       shape=tuple(values.shape))
        batch = self.batch
        if batch.labels is not None:
            labels = batch.labels[:PROBE_SAMPLES]
            if labels.ndim > 1 and batch.classifies:  # one-hot targets
                labels = labels.reshape(labels.shape[0], -1).argmax(1)
            labels = labels.reshape(labels.shape[0], -1)[:, 0]
            packer.add("labels", labels, key=_ids(labels))
        if batch.predicts and isinstance(prediction, torch.Tensor) and prediction.ndim >= 1:
            rows = prediction.reshape(prediction.shape[0], -1)
            predicted = (rows.argmax(1) if batch.classifies and rows.shape[1] > 1
                         else rows[:, 0])
            packer.add("predictions", predicted, key=_ids(predicted))
        if batch.inputs is not None and batch.inputs.shape[0] > sample:
            one = batch.inputs[sample]
            packer.add("inputs", one.reshape(-1)[:MAX_VALUES], key="input",
                       shape=tuple(one.shape))
        return packer


class _Catcher:
    """The forward hooks' catch: ranges of every block, values of the requested ones."""

    def __init__(self, sample: int) -> None:
        self.sample = sample
        self.ranges: dict[str, torch.Tensor] = {}
        self.batches: dict[str, torch.Tensor] = {}
        self.samples: dict[str, torch.Tensor] = {}
        self.attention: dict[str, torch.Tensor] = {}
        self.states: dict[str, torch.Tensor] = {}
        self.kinds: dict[str, str] = {}

    def output_hook(self, name: str, keep: bool) -> Callable[..., None]:
        def hook(module: nn.Module, _args: Any, output: Any) -> None:
            value = output[0] if isinstance(output, tuple) else output
            if not _is_picture(value, self.sample):
                return
            one = value.detach()[self.sample].float()
            # Plain min and max (a NaN shows on the host, where the range is left out): this
            # runs for every block at every probe.
            self.ranges[name] = torch.stack(torch.aminmax(one))
            if not keep:
                return
            self.batches[name] = value.detach()
            self.samples[name] = one
            if isinstance(module, MultiHeadAttention) and isinstance(output, tuple):
                # (batch, heads, query steps, context steps): each row sums to 1 in eval mode.
                self.attention[name] = output[1].detach()[self.sample].float()
            self.kinds[name] = _kind(module, one)

        return hook

    def states_hook(self, name: str) -> Callable[..., None]:
        def hook(_module: nn.Module, _args: Any, output: Any) -> None:
            steps = output[0] if isinstance(output, tuple) else output
            if isinstance(steps, torch.Tensor) and steps.ndim == 3:
                self.states[name] = steps.detach()[self.sample].float()  # (steps, units)

        return hook


def _ids(values: torch.Tensor) -> str | None:
    """The key that marks class ids (integers) among the packed parts."""
    return None if values.is_floating_point() else "ids"


def _is_picture(value: Any, sample: int) -> bool:
    return (isinstance(value, torch.Tensor) and value.ndim >= 2 and value.is_floating_point()
            and value.shape[0] > sample)


def _kind(module: nn.Module, one: torch.Tensor) -> str:
    """How a viewer draws a block's output for one sample."""
    if isinstance(module, MultiHeadAttention):
        return "attention"
    if isinstance(module, Recurrent):
        return "recurrent"
    return {1: "vector", 2: "sequence", 3: "maps"}.get(one.ndim, "values")


def _finite_range(values: torch.Tensor) -> torch.Tensor:
    """(low, high) of the finite values, on the device; (0, 0) when there are none."""
    flat = values.reshape(-1)
    finite = torch.isfinite(flat)
    low = torch.where(finite, flat, torch.inf).min()
    high = torch.where(finite, flat, -torch.inf).max()
    some = finite.any()
    zero = torch.zeros((), device=flat.device)
    return torch.stack([torch.where(some, low, zero), torch.where(some, high, zero)])


def device_histograms(tensors: Iterable[torch.Tensor], bins: int = HISTOGRAM_BINS
                      ) -> torch.Tensor:
    """Histograms of the finite values of each tensor, binned where the tensors are.

    Each row is ``(low, high, count_1, ..., count_bins)``: ``bins`` equal bins from the
    lowest to the highest finite value, the last one closed (as ``numpy.histogram``); a
    constant tensor gets the range value ± 0.5. Nothing is read back: the minimum and maximum
    stay on the device (``torch.histc`` needs them as host numbers, a sync per tensor), and
    the counts come from ``index_add_`` (``bincount`` reads its largest value back on CUDA).

    Args:
        tensors: non-empty tensors, any shape and float dtype, on one device.
        bins: bins per histogram.

    Returns:
        float32 tensor of shape (number of tensors, 2 + bins), on the tensors' device.
    """
    rows = []
    for tensor in tensors:
        flat = tensor.detach().reshape(-1).float()
        finite = torch.isfinite(flat)
        low, high = _finite_range(flat)
        flat_range = high <= low
        low = torch.where(flat_range, low - 0.5, low)
        high = torch.where(flat_range, high + 0.5, high)
        clean = torch.where(finite, flat, low)
        index = ((clean - low) * (bins / (high - low))).floor().clamp_(0, bins - 1).long()
        counts = torch.zeros(bins, device=flat.device).index_add_(0, index, finite.float())
        rows.append(torch.cat([low.reshape(1), high.reshape(1), counts]))
    return torch.stack(rows)


@dataclass
class _Part:
    group: str
    size: int
    key: Any = None
    keys: list[Any] = field(default_factory=list)
    shape: tuple[int, ...] = ()


class _Packer:
    """Concatenates a probe's device tensors into one and splits the host copy again."""

    def __init__(self) -> None:
        self.parts: list[_Part] = []
        self.tensors: list[torch.Tensor] = []

    def add(self, group: str, values: torch.Tensor, *, key: Any = None,
            keys: list[Any] | None = None, shape: tuple[int, ...] = ()) -> None:
        flat = values.detach().reshape(-1).float()
        self.parts.append(_Part(group, flat.numel(), key, keys or [], shape))
        self.tensors.append(flat)

    def flat(self) -> torch.Tensor:
        return torch.cat(self.tensors)

    def unpack(self, host: np.ndarray, epoch: int, step: int, sample: int,
               blocks: tuple[str, ...], kinds: dict[str, str]) -> Probe:
        out: dict[str, Any] = {"activations": {}, "attention": {}, "hidden_states": {},
                               "activation_histograms": {}, "weight_histograms": {},
                               "gradient_histograms": {}, "ranges": {}}
        by_kind = {"a": "activation_histograms", "w": "weight_histograms",
                   "g": "gradient_histograms"}
        offset = 0
        for part in self.parts:
            values = host[offset:offset + part.size]
            offset += part.size
            if part.group == "histograms":
                for (kind, name), row in zip(part.keys, values.reshape(len(part.keys), -1),
                                             strict=True):
                    edges = np.linspace(row[0], row[1], row.size - 1)
                    out[by_kind[kind]][name] = (row[2:].astype(np.int64), edges)
            elif part.group == "ranges":
                for name, (low, high) in zip(part.keys, values.reshape(-1, 2), strict=True):
                    if np.isfinite(low) and np.isfinite(high):
                        out["ranges"][name] = (float(low), float(high))
            elif part.group in ("activations", "hidden_states", "inputs"):
                shaped = values.astype(np.float32).reshape(_kept_shape(part.shape))
                if part.group == "inputs":
                    out["inputs"] = shaped
                else:
                    out[part.group][part.key] = shaped
            elif part.group == "attention":
                out["attention"][part.key] = values.astype(np.float32).reshape(part.shape)
            else:  # labels, predictions: class ids when the key says so
                out[part.group] = values.astype(np.int64) if part.key == "ids" else values.copy()
        return Probe(epoch, step, sample=sample, blocks=blocks, kinds=dict(kinds), **out)


def _kept_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of the first MAX_VALUES values: whole rows of the first axis, or flat."""
    size = int(np.prod(shape)) if shape else 1
    if size <= MAX_VALUES:
        return tuple(shape)
    per_row = size // shape[0]
    rows = MAX_VALUES // per_row
    return (rows, *shape[1:]) if rows >= 1 else (MAX_VALUES,)
