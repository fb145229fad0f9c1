"""Text a graph file can hold: every string must encode as UTF-8.

JSON lets a file spell half of a surrogate pair on its own (``"\\ud800"``), and Python keeps
such a lone surrogate in a ``str``, but no UTF-8 file can store it: a document holding one
would load and then fail on every save. So lone surrogates are refused where text comes in,
at load and on each edit, with the place named. Refusing is honest where a repair (``U+FFFD``)
would silently change a name, a parameter or a key the user wrote.
"""

from __future__ import annotations

import re
from typing import Any

from netbuilder.core.errors import GraphError

#: A lone surrogate as Python holds it (a proper pair decodes to one code point above U+FFFF).
SURROGATE = re.compile("[\ud800-\udfff]")
#: A JSON escape of a surrogate: the only way one gets into text decoded as strict UTF-8.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SHOWN = 40


def may_hold_surrogates(text: str) -> bool:
    """Whether JSON ``text`` may decode to a lone surrogate (a cheap test before a full walk)."""
    return bool(_ESCAPED_SURROGATE.search(text) or SURROGATE.search(text))


def text_problem(value: Any, where: str = "") -> str | None:
    """Why ``value`` (a JSON value, keys included) cannot be saved, or None when it can.

    The walk is iterative, so that any nesting depth is safe; the message names the first
    string at fault by its path below ``where`` (``metadata.author``, ``params['a b']``).
    """
    todo: list[tuple[Any, str]] = [(value, where)]
    while todo:
        item, path = todo.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return f"{path or 'a text'}: {_broken(item)}"
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                if isinstance(key, str) and SURROGATE.search(key):
                    return f"{path or 'an object'}: the key {_broken(key)}"
                todo.append((child, _join(path, key)))
        elif isinstance(item, (list, tuple)):
            todo.extend((child, f"{path}[{index}]")
                        for index, child in reversed(list(enumerate(item))))
    return None


def check_text(value: Any, where: str) -> None:
    """Raises GraphError, naming the place, unless every string in ``value`` can be saved."""
    problem = text_problem(value, where)
    if problem is not None:
        raise GraphError(problem)


def _broken(text: str) -> str:
    # repr escapes the surrogate (it is not printable), so the message itself can be printed;
    # a long text is shown around the surrogate, so that the user can find it.
    match = SURROGATE.search(text)
    start = max(0, match.start() - _SHOWN // 2) if match else 0
    shown = repr(text[start:start + _SHOWN])
    if start or start + _SHOWN < len(text):
        shown = f"{'…' if start else ''}{shown}{'…' if start + _SHOWN < len(text) else ''}"
    return f"{shown} holds a lone surrogate (broken Unicode) that no file can store"


def _join(path: str, key: object) -> str:
    if isinstance(key, str) and _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"
