"""Exceptions that carry a message fit to show a user as it is."""

from __future__ import annotations


class NetbuilderError(Exception):
    """Base of every error netbuilder raises on purpose for bad input."""


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
