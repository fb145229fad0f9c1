"""Comparing and remembering the paths a user gives, without failing on odd ones."""

from __future__ import annotations

import os
from pathlib import Path


def resolved(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with its links followed, as far as that can be done.

    ``Path.resolve`` raises RuntimeError on a link loop (Python before 3.13) and OSError where
    a folder cannot be read; a path like that comes back absolute but as written, so that
    comparing or remembering it never fails: opening the file reports the problem itself.
    """
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file (links followed where they can be)."""
    return resolved(a) == resolved(b)
