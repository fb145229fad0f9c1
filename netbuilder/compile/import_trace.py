"""Tracing an nn.Module for import: the fx graph, and every node's value at two batch sizes.

The module is traced symbolically (``torch.fx``; torch.nn modules stay leaves), then run on
example inputs twice, with two different batch sizes. Comparing the two runs tells what each
value is: a tensor whose first axis is the batch (a wire of the graph), a constant (recorded
as JSON), or a number that is the batch size (``{"batch": true}``). Anything else, such as a
value that depends on the data, cannot become a graph and is refused by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import fx, nn

from netbuilder.core.errors import NetbuilderError
from netbuilder.core.tensor import TensorSpec

#: The two batch sizes the module is run with (different, so that the batch size shows).
BATCHES = (2, 3)

#: Torch dtypes a wire may carry, and their netbuilder names.
WIRE_DTYPES = {torch.float32: "float32", torch.int64: "int64"}


class ModuleImportError(NetbuilderError):
    """An nn.Module cannot be imported as a graph; the message says what and where."""


@dataclass(frozen=True)
class Traced:
    """A traced module and what each of its fx nodes held on the two example runs.

    Attributes:
        graph_module: the symbolic trace (its submodules are the original module's).
        values: fx node name -> (value with batch BATCHES[0], value with BATCHES[1]).
        inputs: the specs of the forward arguments, in order.
        examples: the example inputs of the second run, to compare outputs after import.
    """

    graph_module: fx.GraphModule
    values: dict[str, tuple[Any, Any]]
    inputs: tuple[TensorSpec, ...]
    examples: tuple[torch.Tensor, ...]


InputSpec = TensorSpec | tuple[Sequence[int], str] | torch.Tensor


def input_specs(inputs: Sequence[InputSpec]) -> tuple[list[TensorSpec], list[torch.Tensor | None]]:
    """The TensorSpec of each forward argument, and the example tensor when one was given.

    Raises:
        ModuleImportError: an entry is neither a TensorSpec, a (shape, dtype) pair nor a
            tensor with a batch dimension, or its dtype is not float32 or int64.
    """
    specs: list[TensorSpec] = []
    examples: list[torch.Tensor | None] = []
    for index, item in enumerate(inputs):
        where = f"input {index + 1}"
        if isinstance(item, torch.Tensor):
            if item.dim() < 1 or item.dtype not in WIRE_DTYPES:
                raise ModuleImportError(f"{where}: an example tensor needs a batch dimension "
                                        "and dtype float32 or int64")
            specs.append(TensorSpec(tuple(item.shape[1:]), WIRE_DTYPES[item.dtype]))
            examples.append(item.detach())
            continue
        if isinstance(item, TensorSpec):
            spec = item
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            spec = TensorSpec(tuple(int(d) for d in item[0]), item[1])
        else:
            raise ModuleImportError(f"{where}: give a TensorSpec, a (shape, dtype) pair such "
                                    f"as ((1, 28, 28), 'float32'), or an example tensor; got "
                                    f"{type(item).__name__}")
        if spec.dtype not in WIRE_DTYPES.values():
            raise ModuleImportError(f"{where}: dtype {spec.dtype!r} is not float32 or int64")
        if any(d < 1 for d in spec.shape):
            raise ModuleImportError(f"{where}: sizes must be positive, got {spec.shape}")
        specs.append(spec)
        examples.append(None)
    return specs, examples


def _example(spec: TensorSpec, given: torch.Tensor | None, batch: int,
             generator: torch.Generator) -> torch.Tensor:
    if given is not None:
        # Repeat the user's rows to reach the batch size: their values stay valid ids.
        rows = given.shape[0]
        return given[torch.arange(batch) % rows]
    if spec.dtype == "int64":
        # 0 and 1 are valid token ids and labels for any embedding or loss.
        return torch.randint(0, 2, (batch, *spec.shape), generator=generator)
    return torch.randn(batch, *spec.shape, generator=generator)


class _Recorder(fx.Interpreter):
    """Runs the graph and keeps every node's value (ShapeProp keeps only tensor metadata)."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.seen: dict[str, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as error:  # the user's code may raise anything
            raise ModuleImportError(
                f"node '{n.name}' ({_describe_target(n)}) failed on example inputs: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            ) from None
        self.seen[n.name] = result
        return result


def _describe_target(node: fx.Node) -> str:
    if node.op == "call_module":
        return f"module '{node.target}'"
    if node.op == "call_method":
        return f"method .{node.target}()"
    target = node.target
    name = getattr(target, "__name__", str(target))
    module = (getattr(target, "__module__", None) or "").removeprefix("_")
    return f"{module}.{name}" if module else name


def describe(node: fx.Node) -> str:
    """How messages name an fx node: ``node 'add_1' (operator.add)``."""
    return f"node '{node.name}' ({_describe_target(node)})"


def symbolic_trace(module: nn.Module) -> fx.GraphModule:
    """``torch.fx.symbolic_trace`` with fx's own errors turned into ModuleImportError."""
    try:
        return fx.symbolic_trace(module)
    except Exception as error:  # fx raises TraceError, TypeError, AttributeError, ...
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        hint = ""
        if "symbolically traced" in text or "Proxy" in text or "control flow" in text:
            hint = (": forward() uses Python control flow (if/for/while) that depends on "
                    "tensor values or shapes, which torch.fx cannot trace; move it into a "
                    "submodule or make it static")
        raise ModuleImportError(f"cannot trace {type(module).__name__} with torch.fx "
                                f"({type(error).__name__}: {text[:300]}){hint}") from None


def trace(module: nn.Module, inputs: Sequence[InputSpec]) -> Traced:
    """Traces ``module`` and records every node's value at both batch sizes (in eval mode).

    Raises:
        ModuleImportError: fx cannot trace it, the inputs do not fit forward(), or a node
            fails on the example inputs.
    """
    specs, given = input_specs(inputs)
    was_training = module.training
    # Traced in eval mode: F.dropout(x, training=self.training) records training=False.
    module.eval()
    try:
        graph_module = symbolic_trace(module)
        return _record(graph_module, specs, given)
    finally:
        module.train(was_training)


def _record(graph_module: fx.GraphModule, specs: list[TensorSpec],
            given: list[torch.Tensor | None]) -> Traced:
    placeholders = [n for n in graph_module.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(specs):
        names = ", ".join(n.name for n in placeholders)
        raise ModuleImportError(f"forward() takes {len(placeholders)} "
                                f"tensors ({names}); got {len(specs)} input shapes")
    generator = torch.Generator().manual_seed(0)
    runs: list[dict[str, Any]] = []
    examples: tuple[torch.Tensor, ...] = ()
    with torch.no_grad():
        for batch in BATCHES:
            examples = tuple(_example(spec, example, batch, generator)
                             for spec, example in zip(specs, given, strict=True))
            recorder = _Recorder(graph_module)
            recorder.run(*examples)
            runs.append(recorder.seen)
    values = {name: (runs[0][name], runs[1][name]) for name in runs[0]}
    return Traced(graph_module, values, tuple(specs), examples)
