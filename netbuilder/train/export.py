"""One entry point for every export: what ``netbuilder export`` and File ▸ Export call.

The exporters themselves live where their inputs do: readable PyTorch code, ONNX and
TorchScript in :mod:`netbuilder.compile` (they need the compiled module only), the training
script here in :mod:`netbuilder.train` (it also needs the training settings). This module picks
one, checks the request first (so that a mistake costs no compile), and names what it wrote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document
from netbuilder.core.paths import same_file

#: The formats, with the file suffix each writes and the words a user sees.
FORMATS: dict[str, tuple[str, str]] = {
    "python": (".py", "PyTorch code"),
    "onnx": (".onnx", "ONNX"),
    "torchscript": (".pt", "TorchScript"),
}


class ExportRequestError(NetbuilderError):
    """An export was asked for in a way that cannot work (the message says how to fix it)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export, and where.

    Attributes:
        to: one of :data:`FORMATS`.
        out: the file to write (its folder must exist).
        network: which network of the document; None takes the first.
        weights: a weights file written by ``netbuilder train --save``; None keeps the fresh
            initialisation of the compiled module.
        with_training: for "python", write a training script (model class included) that
            runs alone or under torchrun.
        force: replace the other files the export writes beside ``out`` (see
            :func:`extra_outputs`) when they exist. ``out`` itself, named by the user, is
            always replaced.
    """

    to: str
    out: Path
    network: str | None = None
    weights: Path | None = None
    with_training: bool = False
    force: bool = False


def extra_outputs(request: ExportRequest) -> list[Path]:
    """The files ``request`` writes besides ``request.out``, which the user did not name.

    Only Python code with trained weights has one: the weights as a plain state_dict beside
    the script (``model.py`` -> ``model.pt``).
    """
    if request.to != "python" or request.with_training or request.weights is None:
        return []
    from netbuilder.compile.codegen import weights_beside_script

    return [weights_beside_script(Path(request.out), Path(request.weights))]


def existing_extra_outputs(request: ExportRequest) -> list[Path]:
    """The :func:`extra_outputs` that exist already (links included, even broken ones)."""
    return [path for path in extra_outputs(request) if os.path.lexists(path)]


def check_request(doc: Document, request: ExportRequest) -> None:
    """Raises :class:`ExportRequestError` for a request that cannot succeed."""
    if request.to not in FORMATS:
        raise ExportRequestError(
            f"unknown export format {request.to!r}; choose one of {', '.join(FORMATS)}")
    if request.with_training and request.to != "python":
        raise ExportRequestError("a training script is Python: use --to python with "
                                 "--with-training")
    if request.with_training and request.weights is not None:
        raise ExportRequestError("the training script trains from scratch and takes no "
                                 "--weights; export the model with --weights instead")
    names = list(doc.networks)
    if request.network is not None and request.network not in names:
        raise ExportRequestError(f"there is no network {request.network!r}; this document "
                                 f"has {', '.join(repr(name) for name in names)}")
    if request.weights is not None and not Path(request.weights).is_file():
        raise ExportRequestError(f"weights file {request.weights} does not exist")
    folder = Path(request.out).parent
    if not folder.is_dir():
        raise ExportRequestError(f"cannot write {request.out}: folder {folder} does not exist")
    if Path(request.out).is_dir():
        raise ExportRequestError(f"cannot write {request.out}: it is a folder; give a file name")
    _check_not_an_input(doc, request)
    existing = [] if request.force else existing_extra_outputs(request)
    if existing:
        raise ExportRequestError(
            f"{existing[0]} exists and is not the file being exported: the weights of "
            f"{Path(request.out).name} would replace it; add --force to overwrite it, or "
            "choose another output name")


def _check_not_an_input(doc: Document, request: ExportRequest) -> None:
    """Refuses an output that is a file this export reads: the result would destroy it."""
    inputs = [("the weights file this export reads", request.weights),
              ("the graph being exported", doc.path)]
    for what, source in inputs:
        if source is not None and same_file(request.out, source):
            raise ExportRequestError(f"cannot write {request.out}: it is {what}; choose "
                                     "another output name")


def export_document(doc: Document, request: ExportRequest) -> list[Path]:
    """Writes ``request``'s export of ``doc``; returns the files written, the main one first.

    Every file is written atomically: a failure leaves whatever was at ``request.out`` as it
    was.

    Raises:
        ExportRequestError: the request cannot work (see :func:`check_request`).
        NetbuilderError: the network has errors, a block cannot be exported (the message
            names it), or the weights do not fit.
    """
    check_request(doc, request)
    out = Path(request.out)
    network = request.network
    if request.to == "python" and request.with_training:
        from netbuilder.train.script import write_training_script

        write_training_script(doc, out, network)
        return [out]
    if request.to == "python":
        from netbuilder.compile.codegen import write_python

        written = write_python(doc, out, network, weights=request.weights,
                               overwrite=request.force)
        return list(written) if written else [out]
    if request.to == "onnx":
        from netbuilder.compile.onnx_export import export_onnx

        export_onnx(doc, out, network, weights=request.weights)
        return [out]
    from netbuilder.compile.torchscript_export import export_torchscript

    export_torchscript(doc, out, network, weights=request.weights)
    return [out]


def default_output(source: Path | None, doc_title: str, to: str, network: str | None,
                   with_training: bool = False) -> str:
    """A file name to suggest: ``mnist_cnn.onnx``, ``gan_mnist_generator.py``, ``train_x.py``."""
    stem = source.stem if source is not None else (doc_title or "model")
    if network:
        stem = f"{stem}_{network}"
    if with_training:
        stem = f"train_{stem}"
    return stem + FORMATS[to][0]
