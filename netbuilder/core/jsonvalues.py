"""The one check of JSON values read from outside: graph files and clipboard text alike.

JSON allows values no graph needs and some no reader can use: nesting thousands of levels
deep, numbers too large to represent, integers with hundreds of digits. A graph file and a
pasted fragment are checked by the same rules, so that a block that loads from a file can
always be copied and pasted, and a pasted block can always be saved.
"""

from __future__ import annotations

import math
from typing import Any, NoReturn

#: How deep a free-form section of a file (training settings, view state, metadata) may nest.
MAX_DEPTH = 32
#: How deep a block's params may nest, in a file or on the clipboard (real params are at most
#: a list: depth 1).
MAX_PARAM_DEPTH = 8
#: The largest integer magnitude accepted: what an int64 (and so a tensor size) can hold.
MAX_INTEGER = 2**63


def check_json_value(value: Any, where: str, max_depth: int) -> None:
    """Refuses a value that JSON allows but netbuilder does not read.

    Args:
        value: a parsed JSON value (or one a script built: it may hold any Python object).
        where: names the value in messages (``"training"``, ``"node n3: params"``); keys
            are appended as the walk goes down.
        max_depth: the most levels of lists and objects allowed below ``value``.

    Raises:
        ValueError: one line starting with the place: nested too deeply, a key that is not
            a text, a non-finite number, an integer beyond :data:`MAX_INTEGER`, or an object
            JSON cannot hold.
    """
    _check(value, where, max_depth, 0)


def refuse_constant(name: str) -> NoReturn:
    """``parse_constant`` for :func:`json.loads`: NaN and Infinity are not numbers we read."""
    raise ValueError(f"{name} is not a number netbuilder accepts")


def _check(value: Any, where: str, max_depth: int, depth: int) -> None:
    if depth > max_depth:
        raise ValueError(f"{where}: nested more than {max_depth} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be texts")
            _check(item, f"{where}.{key}", max_depth, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, where, max_depth, depth + 1)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: holds a number too large to represent")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        raise ValueError(f"{where}: holds an integer too large to use (beyond 2**63)")
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"{where}: holds a {type(value).__name__}, not a JSON value")
