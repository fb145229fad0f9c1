"""Weight files: state dicts per network, read with ``torch.load(weights_only=True)``.

A weights file written by netbuilder holds ``{"format": "netbuilder-weights", "version": 1,
"networks": {name: state_dict}}``; a plain state dict (from hand-written code) is accepted
for a document with one network. Loading never unpickles arbitrary objects.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from netbuilder.core.errors import GraphFileError

WEIGHTS_FORMAT = "netbuilder-weights"


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
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise GraphFileError(f"{path}: no such weights file") from None
    except Exception as error:  # torch raises many kinds for a corrupt or hostile file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise GraphFileError(f"{path}: is not a readable weights file ({first_line[:200]})"
                             ) from None
    state = _state_for(data, path, network)
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
