"""Import a PyTorch ``nn.Module`` as a netbuilder graph, with its weights.

    result = import_module(MyNet(), [((1, 28, 28), "float32")])
    compiled = compile_network(result.doc, "model").module
    compiled.load_state_dict(result.weights)      # strict: every key fits
    write_import(result, "mynet.nbg", "mynet.pt")

How: the module is traced with ``torch.fx`` (torch.nn modules stay leaves) in eval mode and run
on example inputs at two batch sizes (``import_trace``). Each traced call becomes a block by
the rules of ``import_rules``, with the module's weights copied under the compiled block's
state-dict keys; a call that has no block but is on the PyTorch op allow-list
(``netbuilder.blocks.torch_op``) becomes a "PyTorch op" placeholder block with a warning;
anything else is refused with a :class:`ModuleImportError` naming the node. Finally the graph
is laid out left to right, checked with shape inference, compiled, loaded with the weights and
run on the example inputs: outputs that differ from the module's are reported as a warning.

Inputs: one entry per forward() argument, either a :class:`TensorSpec`, a ``(shape, dtype)``
pair (shape without the batch dimension, dtype ``"float32"`` or ``"int64"``), or an example
tensor with a batch dimension (its values are used: useful for token ids that must stay below
a vocabulary size; random ids are 0 or 1).
"""

from __future__ import annotations

import importlib
import inspect
import io
import os
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from netbuilder.blocks import CATALOGUE
from netbuilder.compile.builder import compile_network, describe_errors
from netbuilder.compile.import_graph import (
    Assembler,
    Const,
    Missing,
    Parts,
    Value,
    Wire,
    allow_listed,
    fold,
    tensor_spec,
)
from netbuilder.compile.import_rules import map_function, map_module
from netbuilder.compile.import_trace import InputSpec, ModuleImportError, describe, trace
from netbuilder.compile.weights import weights_payload
from netbuilder.core import fileformat
from netbuilder.core.atomic import write_atomic
from netbuilder.core.builder import GraphBuilder
from netbuilder.core.errors import GraphFileError, NetbuilderError
from netbuilder.core.graph import Document, check_identifier
from netbuilder.core.inference import analyse
from netbuilder.core.paths import same_file

#: Largest output difference (absolute) that still counts as "the same outputs".
TOLERANCE = 1e-4


@dataclass
class ImportResult:
    """An imported module.

    Attributes:
        doc: a document holding one network, named as asked.
        name: that network's name.
        weights: a state dict that ``compile_network(doc, name)`` loads strictly.
        warnings: plain sentences naming each node that was approximated or kept as a
            PyTorch op placeholder.
    """

    doc: Document
    name: str
    weights: dict[str, torch.Tensor]
    warnings: list[str] = field(default_factory=list)


class TargetError(NetbuilderError):
    """A ``module:Class`` target cannot be imported or instantiated."""


# --- the public API ------------------------------------------------------------------------


def import_module(module: nn.Module, inputs: Sequence[InputSpec], *, name: str = "model",
                  source: str | None = None) -> ImportResult:
    """Traces ``module`` and builds the equivalent graph and its weights.

    Args:
        module: the module to import; its training flag is restored afterwards.
        inputs: one entry per forward() argument (see the module docstring).
        name: the network's name in the new document (an identifier).
        source: where the module came from (``"pkg.mod:Class"``), for messages.

    Raises:
        ModuleImportError: the module cannot be traced or has a part with no block and no
            allow-listed equivalent; the message names the node.
    """
    if not isinstance(module, nn.Module):
        raise ModuleImportError(f"expected a torch.nn.Module, got {type(module).__name__}")
    try:
        check_identifier(name, "network name")
    except (ValueError, NetbuilderError) as error:
        raise ModuleImportError(str(error)) from None
    where = f"{source}: " if source else ""
    try:
        traced = trace(module, inputs)
        doc = Document(CATALOGUE)
        assembler = Assembler(traced, GraphBuilder(doc, name))
        _assemble(assembler, traced.graph_module)
    except ModuleImportError as error:
        raise ModuleImportError(f"{where}{error}") from None
    assembler.net.layout()
    result = ImportResult(doc, name, assembler.weights, assembler.warnings)
    _check(result, module, traced.examples, where)
    return result


def load_target(spec: str, search_path: str | os.PathLike[str] | None = None) -> nn.Module:
    """Imports ``"package.module:Class"`` and returns ``Class()``.

    Args:
        spec: the module path and the class name, separated by a colon.
        search_path: a folder looked in first for the module (then ``sys.path``).

    Raises:
        TargetError: the spec is malformed, the module or class is missing, the class needs
            arguments or is not an nn.Module, or running the user's code fails.
    """
    module_name, colon, class_name = spec.partition(":")
    if not colon or not _dotted(module_name) or not class_name.isidentifier():
        raise TargetError(f"'{spec}' is not MODULE:CLASS, e.g. mymodels:ResNet or "
                          "pkg.nets:Classifier")
    folder = str(Path(search_path).resolve()) if search_path is not None else None
    added = folder if folder is not None and folder not in sys.path else None
    if added is not None:
        sys.path.insert(0, added)
    try:
        loaded = _import_fresh(module_name, folder)
    except ModuleNotFoundError as error:
        looked = f" (looked in {folder} and on sys.path)" if folder else ""
        raise TargetError(f"{spec}: no module named '{error.name or module_name}'{looked}"
                          ) from None
    except Exception as error:  # the user's module may raise anything while importing
        raise TargetError(f"{spec}: importing {module_name} failed: "
                          f"{type(error).__name__}: {error}") from None
    finally:
        if added is not None:
            sys.path.remove(added)
    cls = getattr(loaded, class_name, None)
    if cls is None:
        raise TargetError(f"{spec}: module {module_name} has no '{class_name}'")
    if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
        raise TargetError(f"{spec}: '{class_name}' is not an nn.Module class")
    required = _required_arguments(cls)
    if required:
        raise TargetError(f"{spec}: {class_name}() needs arguments ({', '.join(required)}); "
                          "give them defaults, or write a subclass that takes none")
    try:
        return cls()
    except Exception as error:
        raise TargetError(f"{spec}: {class_name}() failed: {type(error).__name__}: "
                          f"{error}") from None


def _import_fresh(module_name: str, folder: str | None) -> types.ModuleType:
    """Imports ``module_name``; a module of the user's folder imported before is re-read.

    The app imports in a long-lived process: without the reload, a model edited since the
    last import would come back as it was. Modules outside the folder (torchvision's) stay
    cached, as reloading a library can break it.
    """
    cached = sys.modules.get(module_name)
    source = getattr(cached, "__file__", None)
    if cached is not None and folder is not None and source is not None \
            and Path(source).resolve().is_relative_to(folder):
        return importlib.reload(cached)
    return importlib.import_module(module_name)


def import_target(spec: str, inputs: Sequence[InputSpec], *, name: str = "model",
                  search_path: str | os.PathLike[str] | None = None) -> ImportResult:
    """:func:`load_target` then :func:`import_module` (what ``netbuilder import`` runs)."""
    return import_module(load_target(spec, search_path), inputs, name=name, source=spec)


def write_import(result: ImportResult, path: str | os.PathLike[str],
                 weights_path: str | os.PathLike[str] | None = None, *,
                 force: bool = False) -> tuple[Path, Path]:
    """Writes the graph (.nbg) and its weights file, each atomically.

    Args:
        result: what :func:`import_module` returned.
        path: the .nbg file.
        weights_path: the weights file; by default ``path`` with the suffix ``.pt``.
        force: replace an existing file at that default weights path too.

    Returns:
        The two paths written.

    Raises:
        GraphFileError: a file cannot be written (an existing one is left as it was), or the
            default weights path holds a file the user did not name (without ``force``).
    """
    path = Path(path)
    weights = Path(weights_path) if weights_path is not None else path.with_suffix(".pt")
    if same_file(weights, path):
        raise GraphFileError(f"{path}: the graph and its weights need two different files")
    check_weights_target(weights, named=weights_path is not None, force=force)
    buffer = io.BytesIO()
    torch.save(weights_payload({result.name: result.weights}), buffer)
    write_atomic(weights, buffer.getvalue())
    fileformat.save(result.doc, path)
    return path, weights


def check_weights_target(weights: Path, *, named: bool, force: bool) -> None:
    """Refuses to replace a file the user did not name (a TorchScript export beside the
    graph, say) unless asked to; a weights path the user named is theirs to replace.

    Raises:
        GraphFileError: ``weights`` exists (or is a dangling link), unnamed and not forced.
    """
    if named or force or not (weights.exists() or weights.is_symlink()):
        return
    raise GraphFileError(f"{weights}: already exists and the import would replace it with the "
                         "weights: name another file with --weights, or replace it with --force")


# --- assembly ------------------------------------------------------------------------------


def _assemble(ctx: Assembler, graph_module: fx.GraphModule) -> None:
    outputs: list[Wire] = []
    specs = iter(ctx.traced.inputs)
    for node in graph_module.graph.nodes:
        if node.op == "placeholder":
            spec = next(specs)
            block = ctx.net.add("input", name=ctx.name(node.name), shape=list(spec.shape),
                                dtype=spec.dtype)
            ctx.values[node.name] = Wire(block, "y", spec)
        elif node.op == "get_attr":
            ctx.values[node.name] = Missing(
                f"reads the attribute '{node.target}' of the module directly (a parameter or "
                "buffer outside a torch.nn layer), which no block holds")
        elif node.op == "output":
            outputs = _output_wires(ctx, node)
        else:
            ctx.values[node.name] = _call(ctx, node, graph_module)
    for index, wire in enumerate(outputs):
        label = "output" if len(outputs) == 1 else f"output{index + 1}"
        ctx.net.add("output", (wire.node, wire.port), name=ctx.name(label))


def _call(ctx: Assembler, node: fx.Node, graph_module: fx.GraphModule) -> Value:
    first, second = ctx.recorded(node)
    if node.op == "call_module":
        return map_module(ctx, node, graph_module.get_submodule(str(node.target)))
    if not _holds_tensors(first):
        # Sizes, shapes and other plain values are recorded, not computed by blocks.
        return fold(first, second)
    mapped = map_function(ctx, node)
    if mapped is not None:
        return mapped
    function = allow_listed(node)
    if function is None:
        raise ModuleImportError(f"{describe(node)} has no netbuilder block and is not on the "
                                "PyTorch op allow-list, so it cannot be imported")
    return ctx.placeholder(node, function)


def _holds_tensors(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_holds_tensors(item) for item in value)
    return False


def _output_wires(ctx: Assembler, node: fx.Node) -> list[Wire]:
    wires: list[Wire] = []

    def visit(value: Any) -> None:
        if isinstance(value, (tuple, list)):
            for item in value:
                visit(item)
            return
        if isinstance(value, dict):
            raise ModuleImportError("forward() returns a dict; netbuilder networks return a "
                                    "tensor or a tuple of tensors")
        found = ctx.value(value, node) if isinstance(value, fx.Node) else None
        if isinstance(found, Parts):
            for item in found.items:
                visit_value(item)
            return
        visit_value(found)

    def visit_value(found: Value | None) -> None:
        if isinstance(found, Wire):
            wires.append(found)
        elif isinstance(found, Missing):
            raise ModuleImportError(f"forward() returns a value that {found.reason}")
        elif isinstance(found, Parts):
            for item in found.items:
                visit_value(item)
        else:
            raise ModuleImportError("forward() returns something other than tensors "
                                    f"({'a constant' if isinstance(found, Const) else found})")

    visit(node.args[0])
    if not wires:
        raise ModuleImportError("forward() returns no tensor")
    return wires


# --- checks --------------------------------------------------------------------------------


def _check(result: ImportResult, module: nn.Module, examples: tuple[torch.Tensor, ...],
           where: str) -> None:
    """Analyses, compiles, loads the weights strictly and compares outputs with the module."""
    analysis = analyse(result.doc, result.name)
    if analysis.errors:
        raise ModuleImportError(where + describe_errors(result.doc, analysis))
    compiled = compile_network(result.doc, result.name).module
    try:
        compiled.load_state_dict(result.weights)
    except RuntimeError as error:
        raise ModuleImportError(f"{where}the weights do not fit the imported graph: "
                                f"{str(error).splitlines()[0]}") from None
    was_training = module.training
    module.eval()
    compiled.eval()
    try:
        with torch.no_grad():
            expected = _flat(module(*examples))
            got = _flat(compiled(*examples))
    finally:
        module.train(was_training)
    if len(expected) != len(got):
        raise ModuleImportError(f"{where}the graph returns {len(got)} tensors where the module "
                                f"returns {len(expected)}")
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        if want.shape != have.shape:
            raise ModuleImportError(f"{where}output {index + 1} has shape {tuple(have.shape)} "
                                    f"in the graph but {tuple(want.shape)} in the module")
        gap = (want.double() - have.double()).abs().max().item() if want.numel() else 0.0
        if not gap <= TOLERANCE:
            result.warnings.append(f"output {index + 1} of the imported graph differs from the "
                                   f"module's by up to {gap:.3g} on the example inputs")


def _flat(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in _flat(item)]
    return []


def _dotted(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _required_arguments(cls: type) -> list[str]:
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return []
    return [p.name for p in signature.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


__all__ = [
    "ImportResult",
    "ModuleImportError",
    "TargetError",
    "import_module",
    "import_target",
    "load_target",
    "tensor_spec",
    "write_import",
]
