"""Copies netbuilder's own torch module classes into generated code, with what they need.

An exported file must run with torch alone, so a class such as ``Recurrent`` is written into it
as source. :func:`definitions_source` takes the classes an export uses and returns their source
plus every top-level name they refer to (``CELLS``, a helper function, a class imported from a
sibling module), each once and before its first use. Imports of torch, ``nn``, ``F`` and
``math`` are left to the generated file's header (:data:`HEADER_IMPORTS`).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
from dataclasses import dataclass, field
from functools import cache

#: Names the generated header provides, with the import line that provides each.
HEADER_IMPORTS: dict[str, str] = {
    "math": "import math",
    "operator": "import operator",
    "torch": "import torch",
    "nn": "from torch import nn",
    "F": "from torch.nn import functional as F",
}

#: Only definitions from these packages are copied; anything else must be a header import.
_OWN_PACKAGE = "netbuilder."


@dataclass
class _ModuleIndex:
    """The top-level statements of one module, by the names they define or import."""

    source_lines: list[str]
    defines: dict[str, ast.stmt] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (module, name)
    order: dict[int, int] = field(default_factory=dict)  # id(stmt) -> position


@cache
def _index(module_name: str) -> _ModuleIndex:
    module = importlib.import_module(module_name)
    source = inspect.getsource(module)
    tree = ast.parse(source)
    index = _ModuleIndex(source.splitlines())
    for position, stmt in enumerate(tree.body):
        index.order[id(stmt)] = position
        if isinstance(stmt, ast.ClassDef | ast.FunctionDef):
            index.defines[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    index.defines[target.id] = stmt
        elif isinstance(stmt, ast.ImportFrom) and stmt.module:
            for alias in stmt.names:
                index.imports[alias.asname or alias.name] = (stmt.module, alias.name)
    return index


def _text(index: _ModuleIndex, stmt: ast.stmt) -> str:
    # Decorators sit above the def; the docstring and comments inside are kept as written.
    first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
    assert stmt.end_lineno is not None
    return "\n".join(index.source_lines[first - 1: stmt.end_lineno])


def _referenced(stmt: ast.stmt) -> list[str]:
    names: list[str] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


class UnknownDefinitionError(LookupError):
    """A copied definition refers to a name that is neither copied nor a header import."""


def definitions_source(classes: list[type]) -> tuple[str, set[str]]:
    """Source of ``classes`` and their dependencies, and the header names that source uses.

    Args:
        classes: classes defined at the top level of a ``netbuilder`` module.

    Returns:
        The definitions separated by two blank lines (dependencies first, each once), and the
        keys of :data:`HEADER_IMPORTS` they refer to.

    Raises:
        UnknownDefinitionError: a definition refers to a global that cannot be copied.
    """
    emitted: list[tuple[str, str]] = []  # (module, name) in emission order
    texts: dict[tuple[str, str], str] = {}
    header: set[str] = set()
    visiting: set[tuple[str, str]] = set()

    def visit(module_name: str, name: str) -> None:
        key = (module_name, name)
        if key in texts or key in visiting:
            return
        index = _index(module_name)
        if name in index.imports:
            source_module, source_name = index.imports[name]
            if not source_module.startswith(_OWN_PACKAGE):
                raise UnknownDefinitionError(f"{module_name}.{name} comes from {source_module}")
            visit(source_module, source_name)
            return
        stmt = index.defines.get(name)
        if stmt is None:
            raise UnknownDefinitionError(f"{module_name} defines no {name}")
        visiting.add(key)
        local = _local_names(stmt)
        for used in _referenced(stmt):
            if used == name or used in local or hasattr(builtins, used):
                continue
            if used in HEADER_IMPORTS:
                header.add(used)
            elif used in index.defines or used in index.imports:
                visit(module_name, used)
            # Any other name is local to a function (a parameter, a loop variable).
        visiting.discard(key)
        # One statement may define several names; emit it once.
        text = _text(index, stmt)
        if text not in texts.values():
            texts[key] = text
            emitted.append(key)
        else:
            texts[key] = ""

    for cls in classes:
        visit(cls.__module__, cls.__name__)
    return "\n\n\n".join(texts[key] for key in emitted), header


def _local_names(stmt: ast.stmt) -> set[str]:
    """Names bound inside a definition: parameters, assignments, comprehension variables."""
    local: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
    return local
