"""The parameter budget: how many weights one network may ask for before build refuses it.

A 1 kB graph can ask for a dense layer of 10**9 units, which would take the machine's memory
(and minutes) before failing. Shape inference counts every block's parameters in pure Python,
so the count is known before anything is allocated: ``summary`` and the editor warn above the
budget and the compiler refuses, naming the biggest block.

The budget belongs to the machine, not to the graph: it is read from the environment
(:data:`ENV_VAR`) or given to the compiler, never from the document, since a hostile file
could otherwise raise its own budget.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from netbuilder.core.errors import GraphError

#: The environment variable that sets the budget, in parameters ("5e9"; "inf" for none).
ENV_VAR = "NETBUILDER_MAX_PARAMS"
#: One billion parameters: 4 GB of float32 weights, about 16 GB to train with Adam.
DEFAULT_MAX_PARAMS = 1_000_000_000
#: Bytes of one float32 weight (what the budget's messages translate parameters into).
BYTES_PER_PARAM = 4


@dataclass(frozen=True)
class Excess:
    """A network over its budget.

    Attributes:
        total: the parameters it asks for.
        budget: the most it may have.
        block: the flat id of the block that holds the most of them.
        block_params: how many that block holds.
    """

    total: int
    budget: int
    block: str
    block_params: int


def param_budget(value: int | float | str | None = None) -> int | None:
    """The budget in parameters: ``value``, else ``$NETBUILDER_MAX_PARAMS``, else the default.

    Returns:
        The budget, or None for no budget (``inf``).

    Raises:
        GraphError: the value is not a positive number of parameters.
    """
    source = "max_params"
    if value is None:
        value = os.environ.get(ENV_VAR, "").strip()
        source = ENV_VAR
        if not value:
            return DEFAULT_MAX_PARAMS
    number = _number(value)
    if number is None or not number >= 1:
        raise GraphError(f"{source}={value!r} is not a number of parameters (such as 5e9, or "
                         "inf for no budget)")
    return None if math.isinf(number) else int(number)


def _number(value: int | float | str) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if not math.isnan(value) else None
    try:
        return float(str(value).replace("_", "").replace(",", ""))
    except ValueError:
        return None


def find_excess(params: Mapping[str, int], budget: int | None) -> Excess | None:
    """The excess of blocks holding ``params`` (flat id -> count) over ``budget``, if any."""
    total = sum(params.values())
    if budget is None or total <= budget or not params:
        return None
    block = max(params, key=params.__getitem__)
    return Excess(total, budget, block, params[block])


def describe_excess(excess: Excess, block_path: str) -> str:
    """One line: how much the network asks for, the budget, the biggest block, the remedy."""
    return (f"it needs {excess.total:,} parameters ({format_bytes(excess.total)} as float32), "
            f"more than the budget of {excess.budget:,}; {block_path} alone holds "
            f"{excess.block_params:,} (set {ENV_VAR} to change the budget)")


def format_bytes(params: int) -> str:
    """The size of ``params`` float32 weights: ``3.1 GB`` (integer arithmetic: any size)."""
    size = params * BYTES_PER_PARAM
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            tenths = size * 10 // scale
            return f"{tenths // 10:,}.{tenths % 10} {unit}"
    return f"{size} B"
