"""What the ONNX and TorchScript exporters share: the model to export, errors, the file write.

Both exporters take the model that ``netbuilder.build`` returns (losses left out), load the
weights file when one is given, put it in eval mode (Dropout off, the VAE's Sampling returns
its mean), and write the result with :func:`netbuilder.core.atomic.write_atomic`, so a
failure never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import fx, nn

from netbuilder.compile.builder import CompiledNetwork, compile_network
from netbuilder.compile.weights import load_weights
from netbuilder.core.atomic import write_atomic
from netbuilder.core.errors import NetbuilderError
from netbuilder.core.graph import Document

PathLike = str | os.PathLike[str]

#: Terminal colour codes, which some torch messages carry.
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ExportError(NetbuilderError):
    """A network could not be exported; the message says which block failed when it is known.

    Attributes:
        block: the dotted name of the block at fault (``conv1``, ``res1.conv1``), or None.
    """

    def __init__(self, message: str, block: str | None = None) -> None:
        super().__init__(message)
        self.block = block


def prepare_model(doc: Document, network: str | None, weights: PathLike | None
                  ) -> CompiledNetwork:
    """The network's model (losses left out) in eval mode, with the weights of ``weights``.

    The model is the one ``netbuilder.build`` returns; its parts name the ONNX inputs and
    outputs.

    Raises:
        GraphError: the network does not exist or has errors.
        GraphFileError: the weights file cannot be read or does not fit the network.
    """
    name = doc.network(network).name
    compiled = compile_network(doc, name)
    module = compiled.module
    if weights is not None:
        load_weights(module, weights, name)
    module.eval()
    # Exports hold constants, not trainable leaves: keeps autograd out of the traced graphs.
    module.requires_grad_(False)
    return compiled


def write_export(path: PathLike, data: bytes) -> None:
    """Writes an exported model atomically (a temporary file in the same folder, then rename).

    Raises:
        ExportError: the file cannot be written.
    """
    try:
        write_atomic(Path(path), data)
    except NetbuilderError as error:
        raise ExportError(str(error)) from None


def block_names(module: fx.GraphModule) -> list[str]:
    """The blocks of a compiled module: the targets of its ``call_module`` nodes."""
    return [str(node.target) for node in module.graph.nodes if node.op == "call_module"]


class BlockTracker:
    """Remembers which block was running when an export failed inside a block's forward.

    Forward hooks on every block push its name on entry and pop it on return; an exception
    skips the pop, so the innermost unfinished block is the one that raised.
    """

    def __init__(self, module: fx.GraphModule) -> None:
        self.module = module
        self.running: list[str] = []
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    @property
    def failed_block(self) -> str | None:
        return self.running[-1] if self.running else None

    def __enter__(self) -> BlockTracker:
        for name in block_names(self.module):
            block = self.module.get_submodule(name)
            self._handles.append(block.register_forward_pre_hook(self._entered(name)))
            self._handles.append(block.register_forward_hook(self._left(name)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _entered(self, name: str) -> Callable[[nn.Module, object], None]:
        def hook(module: nn.Module, args: object) -> None:
            self.running.append(name)
        return hook

    def _left(self, name: str) -> Callable[[nn.Module, object, object], None]:
        def hook(module: nn.Module, args: object, output: object) -> None:
            if self.running and self.running[-1] == name:
                self.running.pop()
        return hook


@contextlib.contextmanager
def export_mode() -> Iterator[None]:
    """Settings that make an export record the same computation the eager model runs.

    nn.MultiheadAttention takes a fused "fast path" only in some grad modes; a trace and its
    check would then record different graphs. The general path is exported instead: it is
    what the model runs while training, and every runtime supports it. Warnings from tracing
    (torch's own RNN checks, deprecation notes about torch.jit) are not the user's to act on.
    """
    fast_path = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            # torch.export's note on nn.RNN caching its weight list: about torch, not the model.
            warnings.filterwarnings("ignore", "The tensor attributes .* during export",
                                    UserWarning)
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast_path)


def failure(what: str, error: BaseException, block: str | None, reason: str | None = None
            ) -> ExportError:
    """An ExportError naming the format, the block at fault and why (``reason`` or the first
    line of the error's message)."""
    if reason is None:
        reason = first_line(str(error)) or type(error).__name__
    where = f" at block '{block}'" if block else ""
    return ExportError(f"{what} export failed{where}: {reason[:300]}", block)


def first_line(text: str) -> str:
    """The first non-blank line of a message, without terminal colour codes."""
    for line in _ANSI.sub("", text).splitlines():
        if line.strip():
            return line.strip()
    return ""
