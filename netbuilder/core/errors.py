"""Exceptions that carry a message fit to show a user as it is."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """``text`` as one line that is safe to print: control and format characters (newlines,
    ANSI escape sequences, bidi overrides) and lone surrogates become ``\\x..``/``\\u....``
    escapes; ordinary Unicode stays as it is.

    Error messages quote names and values from files, which a hostile file can fill with
    terminal escapes (clearing the screen) or newlines (forging lines of output).
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == " "
                   or unicodedata.category(char) == "Zs" else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


class NetbuilderError(Exception):
    """Base of every error netbuilder raises on purpose for bad input.

    The message is kept :func:`printable`: one line, whatever text from a file it quotes.
    """

    def __init__(self, message: object = "", *args: object) -> None:
        super().__init__(printable(str(message)), *args)


class GraphFileError(NetbuilderError):
    """A .nbg file cannot be read or written.

    The message names the file and, where known, the node and parameter at fault.
    """


class GraphError(NetbuilderError):
    """An edit or a build refers to something the graph does not allow."""


class ShapeError(NetbuilderError):
    """A block cannot accept the shapes that reach it.

    Args:
        message: what is wrong, in the user's terms.
        param: the parameter to blame, when one is.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class ParamError(NetbuilderError):
    """A parameter value is out of its declared type, range or choices."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param
