"""The only way text from a document reaches generated Python: checked names and literals.

A graph file is untrusted, and the code exported from it is run by the user. So every piece of
a document (node, network and group names, params, a PyTorch op's keyword names and values,
settings, the file name) enters generated source through one of these functions, and through
nothing else:

- :func:`name` returns a name it has checked: an ASCII Python identifier, not a keyword, not a
  dunder, not one of the names the generated module uses for itself. :class:`Names` hands out
  fresh, unique ones made from any text.
- :func:`attribute` returns ``self.a.b`` for a dotted block path whose parts pass :func:`name`
  and are no attribute of ``nn.Module`` (``forward``, ``training``) or ``nn.ModuleDict``.
- :func:`literal` returns ``repr`` of a checked plain value (None, bool, int, finite float,
  str, and tuples or lists of them); non-finite floats read ``float("inf")``.
- :func:`docstring` and :func:`comment` return a docstring literal and a ``#`` comment whose
  text cannot end early: quotes, backslashes and line breaks from the text are escaped.

The generators build everything else from their own constant templates.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
import textwrap
from collections.abc import Iterable
from typing import Any

from netbuilder.core.errors import NetbuilderError
from netbuilder.core.names import CODE_NAMES, MODULE_ATTRIBUTES

__all__ = ["Names", "UnsafeCodeError", "attribute", "comment", "docstring", "literal", "name"]

#: Builtins a generated function may call; a local variable must not shadow them.
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))

_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class UnsafeCodeError(NetbuilderError):
    """A value cannot be written into generated code safely; the message says which."""


def name(text: object, reserved: Iterable[str] = ()) -> str:
    """``text`` itself, once checked to be a safe Python name.

    Args:
        text: the candidate.
        reserved: further names the caller's scope already uses.

    Raises:
        UnsafeCodeError: ``text`` is not an ASCII identifier, is a keyword or a dunder name,
            or is reserved.
    """
    if not isinstance(text, str) or not _ASCII_NAME.fullmatch(text):
        raise UnsafeCodeError(f"{text!r} is not a Python name")
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        raise UnsafeCodeError(f"{text!r} is a Python keyword")
    if text.startswith("__"):
        raise UnsafeCodeError(f"{text!r} is a reserved (dunder) name")
    if text in CODE_NAMES or text in set(reserved):
        raise UnsafeCodeError(f"{text!r} is a name the generated code uses itself")
    return text


def attribute(path: str) -> str:
    """``self.res1.conv1`` for the block path ``res1.conv1``, every part checked.

    Raises:
        UnsafeCodeError: a part is not a safe name or is an attribute of ``nn.Module``.
    """
    parts = path.split(".") if isinstance(path, str) else [path]
    for part in parts:
        name(part)
        if part in MODULE_ATTRIBUTES:
            raise UnsafeCodeError(f"block {path!r}: {part!r} is an attribute of nn.Module")
    return "self." + ".".join(parts)


def identifier_from(text: str) -> str:
    """A name-shaped string from any text (``encoder.attention`` -> ``encoder_attention``)."""
    made = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "_") else "_"
                   for ch in str(text)).lstrip("_")
    if not made or made[0].isdigit():
        made = "v_" + made
    return made


class Names:
    """Unique, checked names in one scope of generated code.

    Args:
        taken: names the scope already uses (its globals, builtins it calls).
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.used: set[str] = set(taken) | set(CODE_NAMES)

    def fresh(self, text: str) -> str:
        """A new name made from ``text``: ``text`` itself when it is free, else ``text_2``..."""
        base = identifier_from(text)
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base += "_"
        candidate, number = base, 2
        while candidate in self.used:
            candidate = f"{base}_{number}"
            number += 1
        self.used.add(name(candidate))
        return candidate

    def take(self, text: str) -> str:
        """Reserves ``text`` exactly (a class name); raises if it is taken or unsafe."""
        if text in self.used:
            raise UnsafeCodeError(f"{text!r} is already a name of the generated code")
        self.used.add(name(text))
        return text


def literal(value: Any) -> str:
    """Python source for a plain constant: ``repr`` of a checked value.

    Strings are written with double quotes when they hold no quote at all (the style of the
    copied netbuilder source); the text between the quotes is still ``repr``'s.

    Raises:
        UnsafeCodeError: the value (or an item) is not None, bool, int, float, str, tuple or
            list.
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if type(value) is int:
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else f'float("{value}")'
    if type(value) is str:
        text = repr(value)
        if "'" not in value and '"' not in value:
            text = '"' + text[1:-1] + '"'
        return text
    if type(value) is tuple:
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if type(value) is list:
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise UnsafeCodeError(f"cannot write the constant {value!r} as code")


def _escaped(text: str) -> str:
    """``text`` with nothing that could end a docstring or comment early.

    Backslashes are doubled and unprintable characters escaped; a double quote is escaped when
    it touches another or ends the text, so no three quotes in a row can form, not even with
    the closing ones.
    """
    out = []
    for index, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"' and (text[index + 1:index + 2] in ('"', "")
                            or text[index - 1:index] == '"'):
            out.append('\\"')
        elif ch == "\n":
            out.append("\n")
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def docstring(text: str, indent: int, width: int = 96, wrap: bool = True) -> str:
    """A docstring literal of ``text``, indented by ``indent`` spaces.

    Args:
        text: the docstring's text; its lines are paragraphs.
        indent: the indentation of the docstring.
        width: the line width to wrap paragraphs to.
        wrap: wrap paragraphs; False keeps the lines as they are (indented examples).

    Raises:
        UnsafeCodeError: never for a ``str``: the result is checked to be one string literal,
            a last guard against a bug in the escaping.
    """
    pad = " " * indent
    lines: list[str] = []
    for paragraph in str(text).strip().splitlines():
        lines += (textwrap.wrap(paragraph, width - indent) if wrap else [paragraph]) or [""]
    lines = [_escaped(line) for line in lines]
    if len(lines) == 1 and len(lines[0]) + indent + 6 <= 100:
        result = f'{pad}"""{lines[0]}"""'
    else:
        body = "\n".join((pad + line) if line else "" for line in lines)
        result = f'{pad}"""{body.lstrip()}\n{pad}"""'
    _check_single_string(result.strip())
    return result


def comment(text: str) -> str:
    """``# text`` on one line, whatever ``text`` holds."""
    escaped = _escaped(str(text)).replace("\n", "\\n")
    return "# " + escaped


def _check_single_string(source: str) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        raise UnsafeCodeError("a docstring could not be written safely") from None
    ok = (len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
          and isinstance(tree.body[0].value, ast.Constant)
          and isinstance(tree.body[0].value.value, str))
    if not ok:
        raise UnsafeCodeError("a docstring could not be written safely")
