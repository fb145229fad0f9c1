"""netbuilder: design neural networks as graphs, compile them to PyTorch, train and export.

The stable Python API::

    import netbuilder
    doc = netbuilder.load("mnist_cnn.nbg")          # raises netbuilder.GraphFileError
    model = netbuilder.build(doc)                   # a torch.nn.Module
    model = netbuilder.build(doc, "generator", weights="w.pt")
    netbuilder.save(doc, "copy.nbg")                # atomic; byte-identical round trip

Importing netbuilder does not import torch; ``build`` does.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from netbuilder.blocks import CATALOGUE
from netbuilder.core import fileformat
from netbuilder.core.errors import (
    GraphError,
    GraphFileError,
    NetbuilderError,
    ParamError,
    ShapeError,
)
from netbuilder.core.graph import Document

if TYPE_CHECKING:
    from torch import nn

__version__ = "0.1.0"

PathLike = str | os.PathLike[str]


def load(path: PathLike) -> Document:
    """Reads a .nbg file.

    Raises:
        GraphFileError: the file is missing, malformed, hostile or from a newer netbuilder;
            the message names the file and the part at fault.
    """
    return fileformat.load(path, CATALOGUE)


def loads(text: str | bytes, source: str = "<text>") -> Document:
    """Parses the text of a .nbg file (errors name ``source``)."""
    return fileformat.loads(text, CATALOGUE, source)


def save(doc: Document, path: PathLike) -> None:
    """Writes ``doc`` to ``path`` atomically (the old file survives any failure).

    Raises:
        GraphFileError: the file cannot be written.
    """
    fileformat.save(doc, path)


def new_document() -> Document:
    """An empty document using the built-in block catalogue."""
    return Document(CATALOGUE)


def build(doc: Document, network: str | None = None, weights: PathLike | None = None
          ) -> nn.Module:
    """Compiles a network of ``doc`` to a ``torch.nn.Module`` (a ``torch.fx.GraphModule``).

    Args:
        doc: a document from :func:`load` or built in code.
        network: which network, for documents with several (a GAN's "generator"); None
            takes the only one.
        weights: a weights file written by ``netbuilder train --save`` (or a plain state
            dict saved with torch.save), read with ``weights_only=True``.

    Raises:
        GraphError: the network has errors (the message names the blocks) or does not exist.
        GraphFileError: the weights file cannot be read or does not fit.
    """
    from netbuilder.compile import build_module, load_weights

    module = build_module(doc, network)
    if weights is not None:
        load_weights(module, weights, doc.network(network).name)
    return module


__all__ = [
    "Document",
    "GraphError",
    "GraphFileError",
    "NetbuilderError",
    "ParamError",
    "ShapeError",
    "build",
    "load",
    "loads",
    "new_document",
    "save",
]
