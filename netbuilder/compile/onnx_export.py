"""Exports a network as an ONNX model with a free batch dimension.

Torch 2.13's ``torch.onnx.export`` builds on ``torch.export`` by default (``dynamo=True``; the
older TorchScript-based exporter is deprecated and warns), and that exporter needs the
``onnxscript`` package (which brings ``onnx_ir``). It translates every example network, with
recurrent layers, attention and the padded convolutions. netbuilder runs ``torch.export`` itself
first, so that a block whose Python cannot be captured is named in the error, then hands the
captured program to the ONNX translator. The graph's inputs and outputs carry the names of the
network's Input and Output blocks; the first dimension of each is the symbolic ``batch``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

from netbuilder.compile.example_inputs import example_inputs
from netbuilder.compile.exchange import (
    BlockTracker,
    ExportError,
    PathLike,
    block_names,
    export_mode,
    failure,
    first_line,
    prepare_model,
    write_export,
)
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document

if TYPE_CHECKING:
    import onnx

#: The name of the free first dimension of every input and output.
BATCH = "batch"

#: What the ONNX export imports, and the install line that brings it.
REQUIRED = ("onnx", "onnxscript")
INSTALL_HINT = "pip install 'netbuilder[onnx]'"


def export_onnx(doc: Document, path: PathLike, network: str | None = None,
                weights: PathLike | None = None, opset: int | None = None) -> None:
    """Writes a network of ``doc`` (its model, losses left out) as an ONNX file.

    Args:
        doc: the document.
        path: the file to write (``model.onnx``), weights included; replaced atomically.
        network: the network's name; None for the document's only (or first) network.
        weights: a weights file written by ``netbuilder train --save``; None keeps the fresh
            initialisation.
        opset: the ONNX opset to target; None takes the exporter's default (opset 18 or later;
            an older opset is reached by conversion, which some operators do not survive).

    Raises:
        GraphError: the network does not exist or has errors.
        GraphFileError: the weights file cannot be read or does not fit the network.
        ExportError: the ONNX packages are missing, the opset is not a positive integer, the
            export failed (naming the block when it is known), the model is over ONNX's 2 GB
            single-file limit, or the file cannot be written. ``path`` is then left as it was.
    """
    if opset is not None and (isinstance(opset, bool) or not isinstance(opset, int)
                              or opset < 1):
        raise ExportError(f"the ONNX opset must be a positive integer, not {opset!r}")
    missing = [name for name in REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise ExportError(f"ONNX export needs the package{'s' if len(missing) > 1 else ''} "
                          f"{' and '.join(missing)}: {INSTALL_HINT}")
    compiled = prepare_model(doc, network, weights)
    module, parts = compiled.module, compiled.parts
    inputs = example_inputs(doc, doc.network(network).name)
    batch = torch.export.Dim(BATCH)
    tracker = BlockTracker(module)
    try:
        with export_mode(), tracker:
            program = torch.export.export(module, inputs, strict=False,
                                          dynamic_shapes=tuple({0: batch} for _ in inputs))
    except NetbuilderError:
        raise
    except Exception as error:  # torch.export raises many kinds; the message says which
        raise failure("ONNX", error, tracker.failed_block) from error
    try:
        with export_mode(), _quiet_registry():
            onnx_program = torch.onnx.export(
                program, inputs, dynamo=True, input_names=list(parts.inputs),
                output_names=list(parts.outputs), opset_version=opset, verbose=False)
            assert onnx_program is not None  # always a program with dynamo=True
            proto = onnx_program.model_proto
            _name_batch_dimension(proto, BATCH)
            # One self-contained file: ONNX keeps weights inline up to protobuf's 2 GB limit.
            data = proto.SerializeToString()
    except NetbuilderError:
        raise
    except Exception as error:
        raise failure("ONNX", error, _block_of_failed_op(program, error, block_names(module)),
                      _translation_reason(error)) from error
    write_export(path, data)


@contextlib.contextmanager
def _quiet_registry() -> Iterator[None]:
    """Silences the translator's notes on optional libraries (torchvision) it did not find."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _name_batch_dimension(proto: onnx.ModelProto, name: str) -> None:
    """Renames torch.export's symbol for the batch size (``s77``) to ``name`` everywhere.

    The symbol is the first dimension of the first input; every value whose shape mentions the
    same symbol gets the new name, so the graph stays consistent.
    """
    graph = proto.graph
    if not graph.input or not graph.input[0].type.tensor_type.shape.dim:
        return
    symbol = graph.input[0].type.tensor_type.shape.dim[0].dim_param
    if not symbol:
        return
    for value in (*graph.input, *graph.output, *graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param == symbol:
                dim.dim_param = name


def _translation_reason(error: BaseException) -> str | None:
    """The line of the translator's long message that says what failed.

    It opens with generic advice and states the cause under "## Exception summary"
    (``<class '...DispatchError'>: No ONNX function found for ... aten.cummax``).
    """
    _, found, summary = str(error).partition("## Exception summary")
    if not found:
        return None
    line = first_line(summary)
    # Drop the leading "<class '...'>: " that names torch's internal exception type.
    return re.sub(r"^<class '[^']*'>:\s*", "", line) or None


def _block_of_failed_op(program: torch.export.ExportedProgram, error: BaseException,
                        blocks: list[str]) -> str | None:
    """The block holding the first captured operator that the translator's message names.

    The ONNX translator reports an operator it cannot convert by its name (``aten.xyz``);
    each captured node remembers the module it came from (``nn_module_stack``).
    """
    text = str(error)
    known = set(blocks)
    for node in program.graph_module.graph.nodes:
        if node.op != "call_function" or str(node.target) not in text:
            continue
        stack = node.meta.get("nn_module_stack") or {}
        # Entries run from the outermost module inwards; the deepest block path wins.
        paths = [path for path, _ in stack.values() if path in known]
        if paths:
            return paths[-1]
    return None


__all__ = ["ExportError", "export_onnx"]
