"""The description of one block type, and the catalogue that holds them.

A :class:`BlockSpec` is data: the palette, the inspector, shape inference, the compiler, the
file loader, the generated reference and the conformance test all read the same object. Its
shape rule is pure Python; its build function imports torch only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.params import ParamSpec, default_params
from netbuilder.core.tensor import TensorSpec

Params = Mapping[str, Any]
Inputs = Mapping[str, TensorSpec]
ShapeRule = Callable[[Params, Inputs], "Mapping[str, TensorSpec] | TensorSpec"]
CountRule = Callable[[Params, Inputs, Mapping[str, TensorSpec]], int]
BuildFn = Callable[[Params, Inputs], Any]
PortsFn = Callable[[Params], "tuple[PortSpec, ...]"]

#: How the compiler treats a block. ``layer`` blocks become submodules.
ROLES = ("layer", "input", "output", "loss", "group", "group_input", "group_output",
         "reroute")

CATEGORIES = (
    "Input / Output",
    "Dense",
    "Convolution",
    "Pooling",
    "Recurrent",
    "Attention",
    "Normalization",
    "Activation",
    "Structure",
    "Merge",
    "Generative",
    "Loss",
)


@dataclass(frozen=True)
class PortSpec:
    """One input or output of a block."""

    name: str
    help: str = ""


@dataclass(frozen=True)
class Example:
    """A worked example: params (overriding defaults) and the input shapes fed to them.

    The conformance test builds the module, runs it on random data of these shapes and
    checks that the shape rule predicted the real output shape.
    """

    inputs: Mapping[str, tuple[int, ...] | TensorSpec]
    params: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""

    def input_specs(self) -> dict[str, TensorSpec]:
        return {
            port: value if isinstance(value, TensorSpec) else TensorSpec(tuple(value))
            for port, value in self.inputs.items()
        }


def _no_params(params: Params, inputs: Inputs, outputs: Mapping[str, TensorSpec]) -> int:
    return 0


@dataclass(frozen=True)
class BlockSpec:
    """Everything netbuilder knows about one block type.

    Attributes:
        type: the stable id written in files (``"conv2d"``).
        version: bumped when params change meaning; ``migrate`` upgrades old params.
        title: the name on the palette and the node (``"Conv 2D"``).
        category: one of :data:`CATEGORIES`.
        doc: what it computes, with ``Input shape:`` and ``Output shape:`` lines.
        params: the typed parameters.
        inputs: input ports, or a function of the params that returns them.
        outputs: output ports, or a function of the params.
        infer: the shape rule: params and input specs to output specs; raises ShapeError.
        build: returns a ``torch.nn.Module`` whose forward takes the inputs in port order.
        count_params: trainable parameter count, in pure Python.
        count_macs: multiply-accumulate operations per sample, in pure Python.
        examples: worked examples for the docs and the conformance test.
        aliases: former type ids that load as this type.
        role: how the compiler treats the block (:data:`ROLES`).
        migrate: upgrades params written by an older ``version``: (old_version, params) -> params.
        summary_params: the params worth showing on the node face.
        in_palette: offered in the palette and quick add; False for blocks that only an
            import creates (the PyTorch op placeholder needs shapes recorded by tracing).
    """

    type: str
    title: str
    category: str
    doc: str
    infer: ShapeRule
    params: tuple[ParamSpec, ...] = ()
    inputs: tuple[PortSpec, ...] | PortsFn = (PortSpec("x"),)
    outputs: tuple[PortSpec, ...] | PortsFn = (PortSpec("y"),)
    build: BuildFn | None = None
    count_params: CountRule = _no_params
    count_macs: CountRule = _no_params
    examples: tuple[Example, ...] = ()
    aliases: tuple[str, ...] = ()
    role: str = "layer"
    version: int = 1
    migrate: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None
    summary_params: tuple[str, ...] = ()
    in_palette: bool = True

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"{self.type}: unknown role {self.role!r}")
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.type}: unknown category {self.category!r}")

    def input_ports(self, params: Params) -> tuple[PortSpec, ...]:
        return self.inputs(params) if callable(self.inputs) else self.inputs

    def output_ports(self, params: Params) -> tuple[PortSpec, ...]:
        return self.outputs(params) if callable(self.outputs) else self.outputs

    def default_params(self) -> dict[str, Any]:
        return default_params(self.params)

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.type} has no parameter {name!r}")

    def infer_outputs(self, params: Params, inputs: Inputs) -> dict[str, TensorSpec]:
        """Runs the shape rule and names a lone result after the only output port."""
        result = self.infer(params, inputs)
        if isinstance(result, TensorSpec):
            (port,) = self.output_ports(params)
            return {port.name: result}
        return dict(result)


class Catalogue:
    """The registry of block types, looked up by id or by a former (alias) id."""

    def __init__(self, specs: tuple[BlockSpec, ...] | list[BlockSpec] = ()) -> None:
        self._specs: dict[str, BlockSpec] = {}
        self._aliases: dict[str, str] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: BlockSpec) -> None:
        if spec.type in self._specs or spec.type in self._aliases:
            raise ValueError(f"block type {spec.type!r} is registered twice")
        self._specs[spec.type] = spec
        for alias in spec.aliases:
            if alias in self._specs or alias in self._aliases:
                raise ValueError(f"alias {alias!r} of {spec.type!r} is taken")
            self._aliases[alias] = spec.type

    def get(self, type_id: str) -> BlockSpec | None:
        """The spec for ``type_id`` or one of its aliases; None if unknown."""
        spec = self._specs.get(type_id)
        if spec is None and type_id in self._aliases:
            spec = self._specs[self._aliases[type_id]]
        return spec

    def canonical(self, type_id: str) -> str:
        """The current id for ``type_id`` (itself when it is not an alias)."""
        return self._aliases.get(type_id, type_id)

    def __getitem__(self, type_id: str) -> BlockSpec:
        spec = self.get(type_id)
        if spec is None:
            raise KeyError(f"unknown block type {type_id!r}")
        return spec

    def __contains__(self, type_id: object) -> bool:
        return isinstance(type_id, str) and self.get(type_id) is not None

    def __iter__(self) -> Iterator[BlockSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def by_category(self) -> dict[str, list[BlockSpec]]:
        """Specs grouped by category, in :data:`CATEGORIES` order (for the palette)."""
        groups: dict[str, list[BlockSpec]] = {category: [] for category in CATEGORIES}
        for spec in self._specs.values():
            groups[spec.category].append(spec)
        return {category: specs for category, specs in groups.items() if specs}
