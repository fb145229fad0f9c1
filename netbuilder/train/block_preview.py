"""What each block computes on one real sample: the canvas's live thumbnails while editing.

:class:`BlockPreviewer` takes a snapshot of a document, runs one sample of its data set
through every network block by block (eagerly, in eval mode, without gradients) and returns,
per network and node, a :class:`Thumbnail`: a few float32 values already cut down to what a
thumbnail on a block can show. It keeps the loaded sample and the built blocks between calls,
so an edit rebuilds only the blocks it changed and the others keep their weights (their
thumbnails do not flicker). Blocks start from the document's trained weights where it has
some and they still fit, else from a fresh initialisation. One previewer serves one thread.

Blocks that shape inference marks as broken, and every block downstream of one, get no
thumbnail; neither do blocks that fail when run. A network whose Input does not take the data
(a GAN's generator) gets fixed noise; an integer Input that the data do not fit gets zeros.

:func:`thumbnail` turns any one-sample array into a thumbnail; the canvas uses it for the
training probes' activations too (:func:`probe_thumbnails`), so a block looks the same before
and during training. Nothing here imports Qt; only numpy arrays leave a previewer.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from netbuilder.compile.weights import WEIGHTS_FORMAT, read_torch_file
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.flatten import PASS_IN, PASS_OUT, FlatGraph
from netbuilder.core.graph import GROUP, Document
from netbuilder.core.inference import PASS_THROUGH_ROLES, Analysis, ShapeCache, analyse
from netbuilder.train.data import load_dataset
from netbuilder.train.settings import SettingsError, TrainingSettings

#: Feature maps shown of a convolution's output (its first channels).
MAX_MAPS = 6
#: Values kept along a thumbnail's height (a map's rows, a heat map's rows).
MAX_ROWS = 24
#: Values kept along a thumbnail's width (a strip's values, a heat map's columns).
MAX_COLUMNS = 128
#: The seed of the noise fed to Inputs that do not take the data.
NOISE_SEED = 0

_TORCH_DTYPES = {"float32": torch.float32, "int64": torch.int64}
#: Roles that compute nothing worth a thumbnail of their own.
_NO_THUMBNAIL_ROLES = ("output", "loss", *PASS_THROUGH_ROLES)


@dataclass(frozen=True)
class Thumbnail:
    """A block's output for one sample, cut down for a thumbnail.

    Attributes:
        kind: "maps" (``values`` is (maps, rows, columns): a convolution's first channels),
            "image" (an Input's picture: (1 or 3, rows, columns) to show in grey or colour),
            "strip" (a vector: (values,)) or "heatmap" (a sequence: (steps, features)).
        values: float32, finite, binned down to at most :data:`MAX_ROWS` by
            :data:`MAX_COLUMNS` per map.
        low: the smallest value of the output (the colour scale's bottom).
        high: the largest (one scale for the whole block: maps compare with each other).
        shape: the whole output's shape, without the batch.
    """

    kind: str
    values: np.ndarray
    low: float
    high: float
    shape: tuple[int, ...]

    def describe(self) -> str:
        """One line for a tooltip: "32×26×26 · 8 maps · −0.41 … 2.3"."""
        dims = "×".join(map(str, self.shape)) if self.shape else "scalar"
        what = {"maps": f"first {len(self.values)} maps", "image": "the sample",
                "strip": "values", "heatmap": "steps × features"}[self.kind]
        return f"{dims} · {what} · {self.low:.3g} … {self.high:.3g}"


def thumbnail(values: np.ndarray, *, image: bool = False) -> Thumbnail | None:
    """The thumbnail of one sample's output (no batch axis); None for a scalar.

    Args:
        values: the output, any real dtype.
        image: the values are a picture (an Input's sample): with 1 or 3 channels it is shown
            as one grey or colour image rather than as feature maps.
    """
    array = np.asarray(values)
    if array.ndim == 0 or array.size == 0:
        return None
    shape = tuple(int(d) for d in array.shape)
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():  # rare: the check is ten times cheaper than the fix
        array = np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)
    if array.ndim == 1:
        kind, kept = "strip", _binned(array, (MAX_COLUMNS,))
    elif array.ndim == 2:
        kind, kept = "heatmap", _binned(array, (MAX_ROWS, MAX_COLUMNS))
    else:
        maps = array.reshape(-1, *array.shape[-2:])
        if image and maps.shape[0] in (1, 3):
            kind = "image"
        else:
            kind, maps = "maps", maps[:MAX_MAPS]
        kept = _binned(maps, (maps.shape[0], MAX_ROWS, MAX_ROWS))
    low, high = float(array.min()), float(array.max())
    return Thumbnail(kind, np.ascontiguousarray(kept, dtype=np.float32), low, high, shape)


def _binned(array: np.ndarray, limits: tuple[int, ...]) -> np.ndarray:
    """``array`` with each axis longer than its limit averaged down to that many bins."""
    for axis, limit in enumerate(limits):
        length = array.shape[axis]
        if length > limit:
            starts = (np.arange(limit) * length) // limit
            counts = np.diff(np.append(starts, length)).astype(np.float32)
            sums = np.add.reduceat(array, starts, axis=axis)
            shape = [1] * array.ndim
            shape[axis] = limit
            array = sums / counts.reshape(shape)
    return array


def probe_thumbnails(doc: Document, activations: Mapping[str, Any],
                     analyses: Mapping[str, Analysis] | None = None
                     ) -> dict[str, dict[str, Thumbnail]]:
    """Thumbnails from a training probe's activations (block name -> first sample's output).

    A name is matched to the block of that name in each network whose inferred output has
    the activation's shape (or its first rows: a probe cuts a large output along its first
    axis), so a GAN's two networks never take each other's blocks. Runs numpy only.

    Args:
        doc: the document.
        activations: the probe's.
        analyses: shape inference results per network, when the caller has them already
            (the editor does); missing ones are computed.
    """
    found: dict[str, dict[str, Thumbnail]] = {}
    for name, graph in doc.graphs.items():
        if graph.kind == GROUP:
            continue
        analysis = (analyses or {}).get(name) or analyse(doc, graph)
        for node in graph.nodes.values():
            values = activations.get(node.name)
            if values is None:
                continue
            info = analysis.nodes.get(node.id)
            outputs = list(info.outputs.values()) if info is not None else []
            if not outputs or not output_fits(tuple(np.shape(values)), tuple(outputs[0].shape)):
                continue
            thumb = thumbnail(values)
            if thumb is not None:
                found.setdefault(name, {})[node.id] = thumb
    return found


def output_fits(shape: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """An array of ``shape`` can be a block's output of shape ``expected``: the whole of it,
    or its first rows (as a probe keeps of a large output)."""
    return shape == expected or (len(shape) >= 2 and len(shape) == len(expected)
                                 and shape[1:] == expected[1:] and shape[0] < expected[0])


@dataclass(frozen=True)
class Sample:
    """One sample of the data set and its target (no batch axis), as training loads them."""

    x: torch.Tensor
    y: torch.Tensor | None


class BlockPreviewer:
    """Runs a document's networks on one data sample and returns every block's thumbnail.

    Keep one per worker thread: it caches the sample of the last data set and the blocks of
    the last run (those of unchanged blocks are reused; the rest are dropped, so memory
    follows the graph, not the number of edits).
    """

    def __init__(self) -> None:
        self._sample_key: tuple[object, ...] | None = None
        self._sample: Sample | None = None
        self._modules: dict[tuple[object, ...], nn.Module] = {}
        self._shapes = ShapeCache()
        self._weights_key: tuple[object, ...] | None = None
        self._weights: dict[str, _Weights] = {}
        self._lock = threading.Lock()  # one run at a time, whoever calls

    def run(self, doc: Document, stop: Callable[[], bool] | None = None,
            weights: str | None = None) -> dict[str, dict[str, Thumbnail]] | None:
        """Thumbnails per network name and node id; empty without a data set.

        Args:
            doc: the document (a snapshot: it must not change while this runs).
            stop: asked between blocks; when it says True the run gives up and returns None
                (a newer edit superseded this one).
            weights: the document's trained weights (a weights file): each block whose
                tensors in it still fit takes them, so that after training the thumbnails
                show what the trained network computes; edited blocks start fresh. A file
                that cannot be read is ignored.

        Raises:
            NetbuilderError: the data set cannot be loaded (its message says why).
        """
        with self._lock:
            try:
                settings = TrainingSettings.from_doc(doc)
            except SettingsError:
                return {}
            if not settings.dataset:
                return {}
            sample = self._load_sample(doc, settings)
            trained = self._load_weights(weights, doc)
            kept: dict[tuple[object, ...], nn.Module] = {}
            found: dict[str, dict[str, Thumbnail]] = {}
            with torch.no_grad():
                for name, graph in doc.graphs.items():
                    if graph.kind == GROUP:
                        continue
                    analysis = analyse(doc, graph, self._shapes)
                    thumbs = _NetworkRun(doc, analysis, sample, self._modules, kept,
                                         stop, trained.get(name)).run()
                    if thumbs is None:
                        return None
                    if thumbs:
                        found[name] = thumbs
            self._modules = kept
            return found

    def _load_weights(self, path: str | None, doc: Document) -> dict[str, _Weights]:
        """Each network's trained tensors from ``path`` (cached while the file is unchanged)."""
        if path is None:
            return {}
        try:
            stat = os.stat(path)
            key: tuple[object, ...] = (path, stat.st_mtime_ns, stat.st_size)
            if key != self._weights_key:
                self._weights = _Weights.read(Path(path), list(doc.networks))
                self._weights_key = key
        except (OSError, NetbuilderError):
            self._weights, self._weights_key = {}, None
        return self._weights

    def _input_shape(self, doc: Document, network: str) -> tuple[int, ...] | None:
        """The shape of the network's first Input (what the data are shaped to, as training
        does: ``readiness.input_shape``, with this previewer's shape cache)."""
        graph = doc.network(network)
        analysis = analyse(doc, graph, self._shapes)
        for node in graph.nodes.values():
            if node.type == "input":
                spec = analysis.output_spec(node.id, "y")
                return None if spec is None else tuple(spec.shape)
        return None

    def _load_sample(self, doc: Document, settings: TrainingSettings) -> Sample:
        network = settings.recipe_spec.data_network(doc, settings.extra, None) \
            if doc.networks else None
        try:
            shape = self._input_shape(doc, network) if network else None
        except NetbuilderError:
            shape = None
        key = (settings.dataset, shape, settings.seed)
        if key != self._sample_key or self._sample is None:
            dataset = load_dataset(settings.dataset, input_shape=shape, seed=settings.seed)
            split = next((s for s in (dataset.val, dataset.test) if s is not None and len(s)),
                         dataset.train)
            y = split.y[0].clone() if split.y is not None else None
            self._sample = Sample(split.x[0].clone(), y)
            self._sample_key = key
        return self._sample


class _NetworkRun:
    """One network run block by block on the sample (the compiler's walk, done eagerly)."""

    def __init__(self, doc: Document, analysis: Analysis, sample: Sample,
                 built: dict[tuple[object, ...], nn.Module],
                 kept: dict[tuple[object, ...], nn.Module],
                 stop: Callable[[], bool] | None = None, trained: _Weights | None = None
                 ) -> None:
        self.doc, self.analysis, self.sample = doc, analysis, sample
        self.stop, self.trained = stop, trained
        self.built, self.kept = built, kept
        self.values: dict[tuple[str, str], torch.Tensor] = {}
        self.noise = torch.Generator().manual_seed(NOISE_SEED)
        self.fed: set[str] = set()  # "x" and "y" once an Input took them

    def run(self) -> dict[str, Thumbnail] | None:
        """The thumbnails by top-level node id; None when ``stop`` asked to give up."""
        flat = self.analysis.flat_graph
        if flat is None:
            return {}
        broken = _broken(self.analysis, flat)
        incoming: dict[str, dict[str, tuple[str, str]]] = {}
        for edge in flat.edges:
            incoming.setdefault(edge.target, {})[edge.target_port] = (edge.source,
                                                                      edge.source_port)
        thumbs: dict[str, Thumbnail] = {}
        for flat_id in self.analysis.order:
            if self.stop is not None and self.stop():
                return None
            if flat_id in broken or flat_id not in self.analysis.flat:
                continue
            node = flat.nodes[flat_id]
            spec = self.doc.catalogue.get(node.type)
            if spec is None:
                continue
            sources = incoming.get(flat_id, {})
            if spec.role in PASS_THROUGH_ROLES:
                source = sources.get(PASS_IN)
                if source in self.values:
                    self.values[(flat_id, PASS_OUT)] = self.values[source]
                continue
            ports = spec.input_ports(node.params)
            if any(port.name not in sources or sources[port.name] not in self.values
                   for port in ports):
                continue  # an input upstream failed or is missing: nothing to show
            args = [self.values[sources[port.name]] for port in ports]
            outputs = self._compute(flat_id, spec, args)
            if outputs is None:
                continue
            for port, value in zip((p.name for p in spec.output_ports(node.params)), outputs,
                                   strict=False):
                self.values[(flat_id, port)] = value
            if "/" not in flat_id and spec.role not in _NO_THUMBNAIL_ROLES and outputs:
                thumb = _thumbnail_of(outputs[0], image=spec.role == "input")
                if thumb is not None:
                    thumbs[flat_id] = thumb
        for (node_id, _port), source in flat.outputs_of_instance.items():
            if node_id not in thumbs and source in self.values:
                thumb = _thumbnail_of(self.values[source])
                if thumb is not None:
                    thumbs[node_id] = thumb
        return thumbs

    def _compute(self, flat_id: str, spec: Any, args: list[torch.Tensor]
                 ) -> list[torch.Tensor] | None:
        node = self.analysis.flat_graph.nodes[flat_id]  # type: ignore[union-attr]
        if spec.role == "input":
            return [self._input(flat_id)]
        if node.bypassed and args:
            return [args[0]]
        if spec.role in ("output", "loss") or spec.build is None:
            return None
        try:
            module = self._module(flat_id, spec)
            result = module(*(a.unsqueeze(0) for a in args))
        except Exception:  # a block that fails to run just shows nothing
            return None
        values = list(result) if isinstance(result, tuple | list) else [result]
        if not all(isinstance(v, torch.Tensor) and v.ndim >= 1 for v in values):
            return None
        return [v[0] for v in values]

    def _module(self, flat_id: str, spec: Any) -> nn.Module:
        node = self.analysis.flat_graph.nodes[flat_id]  # type: ignore[union-attr]
        info = self.analysis.flat[flat_id]
        key = (self.analysis.graph, flat_id, node.type,
               json.dumps(dict(node.params), sort_keys=True, default=str),
               tuple(sorted((port, tuple(s.shape), s.dtype)
                            for port, s in info.inputs.items())),
               self.trained.identity if self.trained is not None else None)
        module = self.built.get(key) or self.kept.get(key)
        if module is None:
            module = spec.build(node.params, info.inputs)
            if self.trained is not None:
                self.trained.load_into(module, node.path)
            module.eval()
        self.kept[key] = module
        return module

    def _input(self, flat_id: str) -> torch.Tensor:
        """The data sample, its target, or noise: whatever fits this Input's shape."""
        spec = self.analysis.flat[flat_id].outputs.get("y")
        shape = tuple(spec.shape) if spec is not None else ()
        dtype = _TORCH_DTYPES.get(spec.dtype if spec is not None else "float32", torch.float32)
        for name, value in (("x", self.sample.x), ("y", self.sample.y)):
            if name not in self.fed and value is not None and tuple(value.shape) == shape \
                    and value.dtype == dtype:
                self.fed.add(name)
                return value
        if dtype.is_floating_point:
            return torch.randn(shape, generator=self.noise, dtype=dtype)
        return torch.zeros(shape, dtype=dtype)


class _Weights:
    """One network's trained tensors, handed to the blocks they still fit."""

    def __init__(self, state: Mapping[str, torch.Tensor], identity: object) -> None:
        self.state, self.identity = state, identity

    @classmethod
    def read(cls, path: Path, networks: list[str]) -> dict[str, _Weights]:
        """The networks' tensors in a weights file (a plain state dict: the only network's)."""
        data = read_torch_file(path, "weights file")
        if isinstance(data, dict) and data.get("format") == WEIGHTS_FORMAT:
            states = data.get("networks", {})
        elif isinstance(data, dict) and len(networks) == 1:
            states = {networks[0]: data}
        else:
            return {}
        identity = (str(path), os.stat(path).st_mtime_ns)
        return {name: cls(state, identity) for name, state in states.items()
                if isinstance(state, dict)}

    def load_into(self, module: nn.Module, path: str) -> None:
        """Gives ``module`` (block ``path``) its trained tensors when all of them fit."""
        prefix = path + "."
        given = {key[len(prefix):]: value for key, value in self.state.items()
                 if key.startswith(prefix)}
        expected = module.state_dict()
        if given and given.keys() == expected.keys() and all(
                getattr(given[k], "shape", None) == v.shape for k, v in expected.items()):
            module.load_state_dict(given)


def _thumbnail_of(value: torch.Tensor, image: bool = False) -> Thumbnail | None:
    return thumbnail(value.detach().float().cpu().numpy(), image=image)


def _broken(analysis: Analysis, flat: FlatGraph) -> set[str]:
    """Flat ids of the blocks with errors and of every block downstream of one."""
    blamed = {d.node for d in analysis.errors if d.node is not None}
    start = [flat_id for flat_id, node in flat.nodes.items() if node.origin in blamed]
    children: dict[str, list[str]] = {}
    for edge in flat.edges:
        children.setdefault(edge.source, []).append(edge.target)
    broken, todo = set(start), list(start)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in broken:
                broken.add(child)
                todo.append(child)
    return broken
