"""Weight files: state dicts per network, read with ``torch.load(weights_only=True)``.

A weights file written by netbuilder holds ``{"format": "netbuilder-weights", "version": 1,
"networks": {name: state_dict}}``; a plain state dict (from hand-written code) is accepted
for a document with one network. Loading never unpickles arbitrary objects.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from netbuilder.core.errors import GraphFileError
from netbuilder.core.files import open_regular

WEIGHTS_FORMAT = "netbuilder-weights"
#: Largest weights file or checkpoint read: far above any network netbuilder builds.
MAX_WEIGHTS_BYTES = 16 * 1024**3
#: The longest reason quoted from an unexpected torch.load error.
MAX_REASON = 160


def weights_dict(modules: dict[str, nn.Module]) -> dict[str, Any]:
    """What ``torch.save`` should write for these networks' weights."""
    return weights_payload({name: module.state_dict() for name, module in modules.items()})


def weights_payload(states: dict[str, dict[str, torch.Tensor]]) -> dict[str, Any]:
    """A weights file's content from each network's state_dict."""
    return {"format": WEIGHTS_FORMAT, "version": 1, "networks": states}


def load_weights(module: nn.Module, path: str | os.PathLike[str], network: str) -> None:
    """Loads the weights of ``network`` from ``path`` into ``module`` (strictly).

    Raises:
        GraphFileError: the file cannot be read, is not a weights file, has no entry for
            the network, or its tensors do not fit the module; the message says which.
    """
    path = Path(path)
    state = _state_for(read_torch_file(path, "weights file"), path, network)
    missing, unexpected, wrong = _compare(module.state_dict(), state)
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing[:3]))
        if unexpected:
            parts.append("unexpected " + ", ".join(unexpected[:3]))
        if wrong:
            parts.append("wrong size for " + ", ".join(wrong[:3]))
        raise GraphFileError(f"{path}: weights do not fit network '{network}': "
                             + "; ".join(parts))
    module.load_state_dict(state)


def read_torch_file(path: Path, what: str) -> Any:
    """What ``torch.save`` wrote to ``path``, read with ``weights_only=True`` onto the CPU.

    Only a regular file of at most :data:`MAX_WEIGHTS_BYTES` is read (never a FIFO or a
    device, which would read forever).

    Raises:
        GraphFileError: the file is missing, not a regular file, too large, or not a file
            ``torch.load`` reads; ``what`` names it ("weights file", "checkpoint").
    """
    with open_regular(path, MAX_WEIGHTS_BYTES, what=what) as handle:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch's notes on pickle protocols: not ours
                return torch.load(handle, map_location="cpu", weights_only=True)
        except GraphFileError:
            raise  # the file held more than it claimed (see open_regular)
        except Exception as error:  # torch raises many kinds for a corrupt or hostile file
            raise GraphFileError(f"{path}: is not a readable {what} ({load_failure(error)})"
                                 ) from None


def load_failure(error: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` refused a file, in a few words of ours.

    torch's own text runs to a dozen lines, terminal escapes included, on how to turn
    ``weights_only`` off (which netbuilder never does); this keeps the fact that matters.
    """
    text = str(error)
    found = re.search(r"unsupported (?:global: )?GLOBAL ([\w.]+)", text, re.IGNORECASE)
    if found:
        return (f"it holds a Python object ({found.group(1)}), not only tensors and numbers; "
                "netbuilder never loads such objects, since loading them can run code")
    if isinstance(error, EOFError):
        return "it is empty or cut short"
    if ("Weights only load failed" in text or isinstance(error, pickle.UnpicklingError)
            or "zip archive" in text or "inline_container" in text):
        return "it is not a file that torch.save wrote, or it is damaged"
    first = next((line.strip() for line in text.splitlines() if line.strip()),
                 type(error).__name__)
    sentence = first.split(". ")[0].rstrip(".")
    if len(sentence) > MAX_REASON:  # cut between words, and say so
        cut = sentence.rfind(" ", 0, MAX_REASON)
        sentence = sentence[:cut if cut > 0 else MAX_REASON] + " ..."
    return sentence


def _state_for(data: Any, path: Path, network: str) -> dict[str, torch.Tensor]:
    if isinstance(data, dict) and data.get("format") == WEIGHTS_FORMAT:
        networks = data.get("networks")
        if not isinstance(networks, dict) or network not in networks:
            names = ", ".join(sorted(networks)) if isinstance(networks, dict) else "none"
            raise GraphFileError(f"{path}: holds no weights for network '{network}' "
                                 f"(it has: {names})")
        data = networks[network]
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()):
        raise GraphFileError(f"{path}: is not a netbuilder weights file or a state dict")
    return data


def _compare(expected: dict[str, torch.Tensor], given: dict[str, torch.Tensor]
             ) -> tuple[list[str], list[str], list[str]]:
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    wrong = [k for k in expected if k in given and given[k].shape != expected[k].shape]
    return missing, unexpected, wrong
