"""Code for the "PyTorch op" block (``blocks.torch_op``): the recorded call, written out.

An imported module's ``x.permute(0, 2, 1)`` became a block holding ``"Tensor.permute"`` and its
arguments as JSON; here it turns back into that line. ``operator`` calls read as operators
(``a + b``, ``x[:, -1]``), ``Tensor`` methods as methods of their first argument.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeGuard

from torch import nn

from netbuilder.blocks.torch_op import ARG_DTYPES, FUNCTIONS, MAX_INPUTS
from netbuilder.compile.block_code import BlockCode, UnsupportedModuleError
from netbuilder.compile.pysource import UnsafeCodeError, literal, name

_INFIX = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//",
          "matmul": "@", "pow": "**"}


class _TorchOpFields(Protocol):
    """What a PyTorch op block's module holds: the call it replays."""

    function: str
    args: list[Any]
    kwargs: dict[str, Any]


def _is_torch_op(module: nn.Module) -> TypeGuard[_TorchOpFields]:
    # The block's module class is made inside a function (torch is imported lazily there), so
    # it is recognised by name and home rather than by isinstance.
    kind = type(module)
    return kind.__name__ == "TorchOp" and kind.__module__.startswith("netbuilder.blocks")


def render_torch_op(module: nn.Module) -> BlockCode | None:
    """The code of a PyTorch op block's module, or None for any other module."""
    if not _is_torch_op(module):
        return None
    function = module.function
    args = module.args
    kwargs = module.kwargs
    if function not in FUNCTIONS:
        raise UnsupportedModuleError(f"{function!r} is not an allow-listed function")

    try:
        # Written once with stand-in variables: a value that cannot be code is refused here,
        # before any file is written.
        _expression(function, args, kwargs, [f"x{i}" for i in range(MAX_INPUTS)])
    except UnsafeCodeError as error:
        raise UnsupportedModuleError(str(error)) from None

    def statements(targets: str, _attribute: str, tensors: Sequence[str]) -> list[str]:
        return [f"{targets} = {_expression(function, args, kwargs, tensors)}"]

    return BlockCode(None, statements)


def _expression(function: str, args: list[Any], kwargs: dict[str, Any],
                tensors: Sequence[str]) -> str:
    namespace, method = function.split(".")
    method = name(method)
    values = [_value(a, tensors) for a in args]
    keywords = [f"{name(key)}={_value(v, tensors)}" for key, v in kwargs.items()]
    if namespace == "operator" and not keywords:
        if method == "getitem" and len(args) == 2:
            return f"{values[0]}[{_index(args[1], tensors)}]"
        if method == "neg" and len(values) == 1:
            return f"-{values[0]}"
        if method in _INFIX and len(values) == 2:
            return f"{values[0]} {_INFIX[method]} {values[1]}"
    if namespace == "Tensor" and args and _is_input(args[0]):
        return f"{values[0]}.{method}({', '.join(values[1:] + keywords)})"
    owner = {"Tensor": "torch.Tensor", "torch": "torch", "F": "F", "operator": "operator"}[
        namespace]
    return f"{owner}.{method}({', '.join(values + keywords)})"


def _is_input(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"input"}


def _value(value: Any, tensors: Sequence[str]) -> str:
    """Source for an argument in ``blocks.torch_op``'s JSON form."""
    if isinstance(value, list):
        return "[" + ", ".join(_value(v, tensors) for v in value) + "]"
    if not isinstance(value, dict):
        return literal(value)
    ((key, item),) = value.items()
    if key == "input":
        if type(item) is not int or not 0 <= item < len(tensors):
            raise UnsupportedModuleError(f"a PyTorch op argument refers to input {item!r}")
        return tensors[item]
    if key == "batch":
        return f"{tensors[0]}.shape[0]"
    if key == "ellipsis":
        return "..."
    if key == "tuple":
        parts = [_value(v, tensors) for v in item]
        return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
    if key == "slice":
        return "slice(" + ", ".join(_value(v, tensors) for v in item) + ")"
    if key == "dtype" and item in ARG_DTYPES:
        return f"torch.{name(item)}"
    raise UnsupportedModuleError(f"a PyTorch op argument {value!r} has no code form")


def _index(value: Any, tensors: Sequence[str]) -> str:
    """A subscript as Python writes it: ``:, -1`` rather than ``(slice(None), -1)``."""
    if isinstance(value, dict) and set(value) == {"tuple"}:
        return ", ".join(_index(v, tensors) for v in value["tuple"]) or "()"
    if isinstance(value, dict) and set(value) == {"slice"}:
        start, stop, step = (("" if v is None else _value(v, tensors)) for v in value["slice"])
        return f"{start}:{stop}" + (f":{step}" if step else "")
    return _value(value, tensors)
