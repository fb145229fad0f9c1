"""Exports a network as TorchScript: a file that ``torch.jit.load`` (Python or C++) runs alone.

The model is traced with :func:`torch.jit.trace`, not scripted: ``torch.jit.script`` cannot
compile the block modules (``super().forward()`` in Dense and the convolutions, ``*inputs`` in
the merge blocks). Torch 2.13 marks both as deprecated in favour of ``torch.export``, whose
``.pt2`` files are not TorchScript (``torch.jit.load`` and libtorch's ``torch::jit::load`` cannot
read them), so the TorchScript format stays on the tracer. Tracing records the operations of one
run; the trace is therefore checked by torch on a second, differently sized batch (the batch
size stays free) and must match the eager module's outputs within 1e-5 there.
"""

from __future__ import annotations

import io

import torch

from netbuilder.compile.example_inputs import example_inputs
from netbuilder.compile.exchange import (
    BlockTracker,
    ExportError,
    PathLike,
    export_mode,
    failure,
    prepare_model,
    write_export,
)
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document

#: Largest difference allowed between the trace and the eager module on the check batch.
CHECK_TOLERANCE = 1e-5

#: Batch sizes of the tracing inputs and of the check inputs; they differ so that a size the
#: trace froze by mistake shows up as a failed check.
TRACE_BATCH, CHECK_BATCH = 2, 3


def export_torchscript(doc: Document, path: PathLike, network: str | None = None,
                       weights: PathLike | None = None) -> None:
    """Writes a network of ``doc`` (its model, losses left out) as a TorchScript file.

    Args:
        doc: the document.
        path: the file to write (``model.pt``); replaced atomically.
        network: the network's name; None for the document's only (or first) network.
        weights: a weights file written by ``netbuilder train --save``; None keeps the fresh
            initialisation.

    Raises:
        GraphError: the network does not exist or has errors.
        GraphFileError: the weights file cannot be read or does not fit the network.
        ExportError: tracing failed (naming the block when one raised) or the file cannot be
            written. ``path`` is then left as it was.
    """
    module = prepare_model(doc, network, weights).module
    name = doc.network(network).name
    inputs = example_inputs(doc, name, batch=TRACE_BATCH, seed=0)
    check = example_inputs(doc, name, batch=CHECK_BATCH, seed=1)
    tracker = BlockTracker(module)
    try:
        with export_mode(), tracker:
            traced = torch.jit.trace(module, inputs, check_inputs=[check],
                                     check_tolerance=CHECK_TOLERANCE)
            buffer = io.BytesIO()
            torch.jit.save(traced, buffer)
    except NetbuilderError:
        raise
    except Exception as error:  # torch raises many kinds; the message says which part failed
        raise failure("TorchScript", error, tracker.failed_block) from error
    write_export(path, buffer.getvalue())


__all__ = ["ExportError", "export_torchscript"]
