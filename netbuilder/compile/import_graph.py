"""Assembling an imported graph: fx values as wires and constants, blocks, weights, placeholders.

:class:`Assembler` walks a traced module's fx graph once. Each fx node's value becomes one of

- :class:`Wire`: a tensor with the batch first, carried by an output port of a block;
- :class:`Const`: a value recorded while tracing, in the JSON form PyTorch op blocks use;
- :class:`Parts`: a tuple (an LSTM's ``(out, (h, c))``, ``chunk``), indexed by ``getitem``;
- :class:`Missing`: a value no block provides; using it is an error that says why.

The mapping rules (``import_rules``) turn calls into blocks through :meth:`Assembler.block`;
what they leave becomes a PyTorch op block (:meth:`Assembler.placeholder`) when its function is
allow-listed, and an error naming the node otherwise.
"""

from __future__ import annotations

import json
import keyword
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from netbuilder.blocks.torch_op import FUNCTIONS, MAX_INPUTS, MAX_OUTPUTS, format_specs, resolve
from netbuilder.compile.import_trace import (
    BATCHES,
    WIRE_DTYPES,
    ModuleImportError,
    Traced,
    describe,
)
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Node
from netbuilder.core.names import RESERVED_NODE_NAMES
from netbuilder.core.params import MAX_STR
from netbuilder.core.tensor import TensorSpec


@dataclass(frozen=True)
class Wire:
    """A tensor on an output port of a block (``spec`` excludes the batch)."""

    node: Node
    port: str
    spec: TensorSpec


@dataclass(frozen=True)
class Const:
    """A value recorded while tracing, as a PyTorch op argument (JSON) and as Python."""

    template: Any
    value: Any


@dataclass(frozen=True)
class Parts:
    """A tuple of values, taken apart with ``getitem``."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Missing:
    """A value the graph cannot carry; ``reason`` completes "... because it ...". """

    reason: str


Value = Wire | Const | Parts | Missing

_MODULE_ATTRIBUTES = frozenset(dir(nn.Module)) | RESERVED_NODE_NAMES


def allow_listed(node: fx.Node) -> str | None:
    """The allow-list name of a call (``"Tensor.view"``, ``"torch.cat"``), or None."""
    if node.op == "call_method":
        name = f"Tensor.{node.target}"
        return name if name in _ALLOWED_SET else None
    if node.op == "call_function":
        return _by_callable().get(_key(node.target))
    return None


_ALLOWED_SET = frozenset(FUNCTIONS)
#: Allow-listed torch, F and operator callables -> their names (filled on first use).
_TABLE: dict[Any, str] = {}


def _key(target: Any) -> Any:
    try:
        hash(target)
    except TypeError:
        return id(target)
    return target


def _by_callable() -> dict[Any, str]:
    if not _TABLE:
        for name in FUNCTIONS:
            if not name.startswith("Tensor."):
                _TABLE.setdefault(_key(resolve(name)), name)
    return _TABLE


@dataclass
class Assembler:
    """Builds one network from a traced module.

    Attributes:
        traced: the fx graph and the recorded values.
        net: where the blocks go.
        values: fx node name -> its :data:`Value`.
        weights: the state dict of the compiled network, filled as blocks are added.
        warnings: plain sentences about approximations and placeholders.
    """

    traced: Traced
    net: GraphBuilder
    values: dict[str, Value] = field(default_factory=dict)
    weights: dict[str, torch.Tensor] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    # --- names and values ----------------------------------------------------------------

    def name(self, base: str) -> str:
        """A free node name close to ``base`` (fx names and module paths, made identifiers)."""
        stem = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_"
                       for c in base).strip("_")[:56]
        stem = stem or "node"
        if not stem[0].isalpha():
            stem = "n_" + stem
        if keyword.iskeyword(stem) or stem in _MODULE_ATTRIBUTES:
            stem += "_"  # a submodule may not shadow nn.Module's own attributes
        if self.net.graph.node_by_name(stem) is None:
            return stem
        return self.net.graph.unique_name(stem + "_")

    def value(self, arg: Any, node: fx.Node) -> Value:
        """The value of an fx node argument of ``node``."""
        if isinstance(arg, fx.Node):
            return self.values[arg.name]
        return Const(self.encode_literal(arg, node), arg)

    def wire(self, arg: Any, node: fx.Node) -> Wire:
        """The wire an argument arrives on; raises when it is not a tensor of the graph."""
        found = self.value(arg, node)
        if isinstance(found, Wire):
            return found
        if isinstance(found, Missing):
            raise ModuleImportError(f"{describe(node)} uses a value that {found.reason}")
        raise ModuleImportError(f"{describe(node)}: expected a tensor argument")

    def recorded(self, node: fx.Node) -> tuple[Any, Any]:
        return self.traced.values[node.name]

    def output_specs(self, node: fx.Node) -> list[TensorSpec]:
        """The specs of a call's tensor result (one, or one per element of a tuple)."""
        first, second = self.recorded(node)
        if isinstance(first, torch.Tensor):
            return [tensor_spec(first, second, node)]
        return [tensor_spec(a, b, node) for a, b in zip(first, second, strict=True)]

    def arg(self, node: fx.Node, index: int, name: str, default: Any = None) -> Any:
        """A call argument given by position or keyword (fx keeps what the code wrote)."""
        if index < len(node.args):
            return node.args[index]
        return node.kwargs.get(name, default)

    # --- blocks --------------------------------------------------------------------------

    def block(self, node: fx.Node, type_id: str, sources: list[Wire], name: str | None = None,
              **params: Any) -> Node:
        """Adds a block fed by ``sources``; a refused param becomes an error naming the node."""
        try:
            return self.net.add(type_id, *[(w.node, w.port) for w in sources],
                                name=self.name(name or node.name), **params)
        except NetbuilderError as error:
            raise ModuleImportError(f"{describe(node)}: cannot become a {type_id} block: "
                                    f"{error}") from None

    def wire_of(self, block: Node, node: fx.Node, port: str = "y") -> Wire:
        """The wire leaving ``block``, with the spec recorded for ``node``."""
        (spec,) = self.output_specs(node)
        return Wire(block, port, spec)

    def copy_weights(self, block: Node, module: nn.Module, prefix: str = "") -> None:
        """Records ``module``'s state dict under the compiled block's keys."""
        for key, tensor in module.state_dict().items():
            self.weights[f"{block.name}.{prefix}{key}"] = tensor.detach().clone()

    def warn(self, node: fx.Node, text: str) -> None:
        self.warnings.append(f"{describe(node)} {text}")

    # --- placeholders --------------------------------------------------------------------

    def placeholder(self, node: fx.Node, function: str) -> Value:
        """A PyTorch op block calling ``function`` with ``node``'s recorded arguments."""
        inputs: list[Wire] = []
        args = self.encode_literal(list(node.args), node, inputs)
        kwargs = {key: self.encode_literal(value, node, inputs)
                  for key, value in node.kwargs.items()}
        if not inputs:
            raise ModuleImportError(f"{describe(node)} takes no tensor from the graph; "
                                    "netbuilder cannot record it as a PyTorch op")
        if len(inputs) > MAX_INPUTS:
            raise ModuleImportError(f"{describe(node)} takes {len(inputs)} tensors; a PyTorch "
                                    f"op block takes at most {MAX_INPUTS}")
        outputs = self.output_specs(node)
        if len(outputs) > MAX_OUTPUTS:
            raise ModuleImportError(f"{describe(node)} returns {len(outputs)} tensors; a "
                                    f"PyTorch op block returns at most {MAX_OUTPUTS}")
        params: dict[str, Any] = {
            "function": function,
            "args": _dump(args),
            "kwargs": _dump(kwargs),
            "inputs": len(inputs),
            "input_shapes": format_specs([wire.spec for wire in inputs]),
            "output_shapes": format_specs(outputs),
        }
        for key, text in params.items():
            if isinstance(text, str) and len(text) > MAX_STR:
                raise ModuleImportError(f"{describe(node)}: its {key} are too long to record "
                                        f"in a PyTorch op block ({len(text)} characters, at "
                                        f"most {MAX_STR})")
        block = self.block(node, "torch_op", inputs, **params)
        self.warn(node, f"has no netbuilder block; kept as the PyTorch op block "
                        f"'{block.name}' calling {function}, which works only for the shapes "
                        "seen while importing")
        if len(outputs) == 1 and isinstance(self.recorded(node)[0], torch.Tensor):
            return Wire(block, "y", outputs[0])
        return Parts(tuple(Wire(block, f"y{i}", spec)
                           for i, spec in enumerate(outputs, start=1)))

    def encode_literal(self, value: Any, node: fx.Node, inputs: list[Wire] | None = None
                       ) -> Any:
        """The JSON form of an argument; fx nodes inside it become their values.

        Tensors are appended to ``inputs`` (once each) and written ``{"input": k}``.
        """
        if isinstance(value, fx.Node):
            found = self.values[value.name]
            if isinstance(found, Wire):
                if inputs is None:
                    raise ModuleImportError(f"{describe(node)}: a tensor is used where a "
                                            "constant was expected")
                if found not in inputs:
                    inputs.append(found)
                return {"input": inputs.index(found)}
            if isinstance(found, Const):
                return found.template
            if isinstance(found, Parts):
                return {"tuple": [self.encode_part(item, node, inputs)
                                  for item in found.items]}
            raise ModuleImportError(f"{describe(node)} uses a value that {found.reason}")
        if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ModuleImportError(f"{describe(node)}: the argument {value} cannot be "
                                        "recorded (not a finite number)")
            return value
        if isinstance(value, list):
            return [self.encode_literal(item, node, inputs) for item in value]
        if isinstance(value, tuple):
            return {"tuple": [self.encode_literal(item, node, inputs) for item in value]}
        if isinstance(value, slice):
            return {"slice": [self.encode_literal(part, node, inputs)
                              for part in (value.start, value.stop, value.step)]}
        if value is Ellipsis:
            return {"ellipsis": True}
        if isinstance(value, torch.dtype):
            name = str(value).removeprefix("torch.")
            return {"dtype": name}
        raise ModuleImportError(f"{describe(node)}: cannot record an argument of type "
                                f"{type(value).__name__}")

    def encode_part(self, item: Value, node: fx.Node, inputs: list[Wire] | None) -> Any:
        if isinstance(item, Wire):
            if inputs is None:
                raise ModuleImportError(f"{describe(node)}: unexpected tensor")
            if item not in inputs:
                inputs.append(item)
            return {"input": inputs.index(item)}
        if isinstance(item, Const):
            return item.template
        if isinstance(item, Parts):
            return {"tuple": [self.encode_part(part, node, inputs) for part in item.items]}
        raise ModuleImportError(f"{describe(node)} uses a value that {item.reason}")


def tensor_spec(first: Any, second: Any, node: fx.Node) -> TensorSpec:
    """The per-sample spec of a tensor recorded at both batch sizes.

    Raises:
        ModuleImportError: it is not a tensor, its first axis is not the batch, or its dtype
            is neither float32 nor int64.
    """
    if not (isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor)):
        raise ModuleImportError(f"{describe(node)} returns {type(first).__name__}, not a "
                                "tensor or a tuple of tensors")
    batched = (first.dim() >= 1 and second.dim() >= 1 and first.shape[0] == BATCHES[0]
               and second.shape[0] == BATCHES[1] and first.shape[1:] == second.shape[1:])
    if not batched:
        raise ModuleImportError(
            f"{describe(node)} returns a tensor of shape {tuple(first.shape)} for a batch of "
            f"{BATCHES[0]} and {tuple(second.shape)} for {BATCHES[1]}: its first axis is not "
            "the batch, which every wire of a netbuilder graph carries first")
    if first.dtype not in WIRE_DTYPES:
        raise ModuleImportError(f"{describe(node)} returns {first.dtype} values; netbuilder "
                                "wires carry float32 or int64")
    return TensorSpec(tuple(first.shape[1:]), WIRE_DTYPES[first.dtype])


def fold(first: Any, second: Any) -> Value:
    """A non-tensor value recorded at both batch sizes, as a constant (or why it cannot be)."""
    try:
        return Const(_fold(first, second), first)
    except ValueError as error:
        return Missing(str(error))


def _fold(first: Any, second: Any) -> Any:
    if (isinstance(first, int) and not isinstance(first, bool) and isinstance(second, int)
            and (first, second) == BATCHES):
        return {"batch": True}
    if isinstance(first, (tuple, list)) and isinstance(second, (tuple, list)):
        if len(first) != len(second):
            raise ValueError("changes length with the batch size")
        items = [_fold(a, b) for a, b in zip(first, second, strict=True)]
        return items if isinstance(first, list) else {"tuple": items}
    if isinstance(first, torch.Tensor) or isinstance(second, torch.Tensor):
        raise ValueError("is a tensor without a batch axis")
    if first != second:
        raise ValueError(f"depends on the data or the batch size ({first!r}, then {second!r})")
    if first is None or isinstance(first, (bool, int, str)):
        return first
    if isinstance(first, float) and math.isfinite(first):
        return first
    if isinstance(first, torch.dtype):
        return {"dtype": str(first).removeprefix("torch.")}
    raise ValueError(f"is a {type(first).__name__}, which cannot be recorded")


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))
