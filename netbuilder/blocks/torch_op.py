"""The "PyTorch op" block: a placeholder for a traced operation that has no block of its own.

Importing an ``nn.Module`` (``netbuilder.compile.fx_import``) turns every traced call it cannot
map to a real block into one of these. Its params are JSON data only:

- ``function``: a name from the fixed allow-list :data:`FUNCTIONS` (``"Tensor.permute"``,
  ``"torch.matmul"``, ``"operator.getitem"``, ``"F.softmax"``). A file naming anything else fails
  to validate (the param is a ``choice``), and the build function looks the name up in the same
  list again, so a hostile .nbg can never call ``os.system``, ``torch.save`` or ``eval``.
- ``args`` / ``kwargs``: the call's arguments as JSON, where ``{"input": k}`` stands for the
  tensor on input port k+1 and ``{"batch": true}`` for the batch size. Slices, ``...`` and
  tuples are spelled ``{"slice": [start, stop, step]}``, ``{"ellipsis": true}`` and
  ``{"tuple": [...]}``; dtypes ``{"dtype": "float32"}``.
- ``inputs``: the number of tensor inputs.
- ``input_shapes`` / ``output_shapes``: the shapes seen while tracing, batch excluded, written
  ``"16x8x8; 10:int64; scalar"``. The shape rule needs no torch: it hands back the recorded
  output shapes when the inputs match the recorded ones, and refuses any other input.

Importing this module does not import torch; the build function does.
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from netbuilder.core.blockspec import BlockSpec, Example, PortSpec
from netbuilder.core.errors import ShapeError
from netbuilder.core.params import MAX_STR, ParamSpec
from netbuilder.core.tensor import DTYPES, TensorSpec, format_shape

_TENSOR_METHODS = (
    "abs", "add", "amax", "amin", "argmax", "chunk", "clamp", "contiguous", "cos", "div", "exp",
    "expand", "flatten", "float", "log", "log_softmax", "matmul", "mean", "mul", "neg",
    "permute", "pow", "relu", "repeat", "reshape", "rsqrt", "sigmoid", "sin", "softmax",
    "split", "sqrt", "square", "squeeze", "std", "sub", "sum", "tanh", "transpose",
    "unsqueeze", "var", "view",
)
_TORCH_FUNCTIONS = (
    "abs", "add", "amax", "amin", "argmax", "bmm", "cat", "chunk", "clamp", "cos", "div",
    "einsum", "exp", "flatten", "log", "log_softmax", "matmul", "maximum", "mean", "minimum",
    "mul", "neg", "permute", "pow", "relu", "reshape", "rsqrt", "sigmoid", "sin", "softmax",
    "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "sum", "tanh", "transpose",
    "unsqueeze", "var",
)
_FUNCTIONAL = (
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "avg_pool1d", "avg_pool2d", "dropout", "elu", "gelu", "hardsigmoid", "hardswish",
    "hardtanh", "interpolate", "leaky_relu", "log_softmax", "max_pool1d", "max_pool2d", "mish",
    "normalize", "pad", "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus",
    "tanh",
)
_OPERATORS = ("add", "floordiv", "getitem", "matmul", "mul", "neg", "pow", "sub", "truediv")

#: Every function a PyTorch op block may call, as ``namespace.name``: ``Tensor`` methods,
#: ``torch`` functions, ``F`` (torch.nn.functional) and Python's ``operator`` module.
FUNCTIONS: tuple[str, ...] = (
    tuple(f"Tensor.{name}" for name in _TENSOR_METHODS)
    + tuple(f"torch.{name}" for name in _TORCH_FUNCTIONS)
    + tuple(f"F.{name}" for name in _FUNCTIONAL)
    + tuple(f"operator.{name}" for name in _OPERATORS)
)
_ALLOWED = frozenset(FUNCTIONS)

#: The dtypes a ``{"dtype": ...}`` argument may name.
ARG_DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "bool")

MAX_INPUTS = 8
MAX_OUTPUTS = 8


def resolve(name: str) -> Callable[..., Any]:
    """The callable behind an allow-listed name.

    Raises:
        ShapeError: ``name`` is not on the allow-list (param ``function``).
    """
    if name not in _ALLOWED:
        raise ShapeError(f"'{name}' is not a function a PyTorch op block may call; it must "
                         "be one of the allow-listed torch operations", "function")
    import operator

    import torch
    from torch.nn import functional

    namespace, attribute = name.split(".")
    owner = {"Tensor": torch.Tensor, "torch": torch, "F": functional,
             "operator": operator}[namespace]
    function: Callable[..., Any] = getattr(owner, attribute)
    return function


# --- shapes as text -----------------------------------------------------------------------


def format_specs(specs: list[TensorSpec] | tuple[TensorSpec, ...]) -> str:
    """``"16x8x8; 10:int64; scalar"``: the form the shape params hold."""
    return "; ".join(_format_spec(spec) for spec in specs)


def _format_spec(spec: TensorSpec) -> str:
    text = "x".join(str(d) for d in spec.shape) if spec.shape else "scalar"
    return text if spec.dtype == "float32" else f"{text}:{spec.dtype}"


def parse_specs(text: str, param: str) -> list[TensorSpec]:
    """Reads what :func:`format_specs` writes.

    Raises:
        ShapeError: the text is not such a list (blaming ``param``).
    """
    specs = []
    for part in text.split(";"):
        shape_text, _, dtype = part.strip().partition(":")
        dtype = dtype.strip() or "float32"
        shape_text = shape_text.strip()
        if dtype not in DTYPES:
            raise ShapeError(f"'{part.strip()}' names dtype '{dtype}'; use float32 or int64",
                             param)
        if shape_text == "scalar":
            specs.append(TensorSpec((), dtype))
            continue
        dims = shape_text.split("x")
        if not all(d.isdigit() and 0 < int(d) <= 1_000_000 for d in dims):
            raise ShapeError(f"'{part.strip()}' is not a shape like 16x8x8, 10:int64 or "
                             "scalar", param)
        specs.append(TensorSpec(tuple(int(d) for d in dims), dtype))
    return specs


# --- arguments as JSON --------------------------------------------------------------------


def parse_json(text: str, param: str, kind: type) -> Any:
    """The JSON value of an ``args`` (a list) or ``kwargs`` (an object) param."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ShapeError(f"is not valid JSON: {text[:40]!r}", param) from None
    if not isinstance(value, kind):
        what = "a JSON list" if kind is list else "a JSON object"
        raise ShapeError(f"must be {what}", param)
    return value


def decode(value: Any, tensors: tuple[Any, ...], param: str = "args") -> Any:
    """Turns the JSON form of an argument into the value the call receives.

    ``tensors`` are the op's inputs (batch first); ``{"input": k}`` becomes ``tensors[k]`` and
    ``{"batch": true}`` their batch size. Only data comes out: numbers, texts, slices,
    ``Ellipsis``, tuples, lists, torch dtypes and the input tensors.
    """
    if isinstance(value, list):
        return [decode(item, tensors, param) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ShapeError(f"holds an object with keys {sorted(value)}; expected one of input, "
                         "batch, slice, ellipsis, tuple, dtype", param)
    ((key, item),) = value.items()
    if key == "input":
        if not isinstance(item, int) or not 0 <= item < len(tensors):
            raise ShapeError(f"refers to input {item!r}, but the op has {len(tensors)}", param)
        return tensors[item]
    if key == "batch":
        return tensors[0].shape[0]
    if key == "ellipsis":
        return Ellipsis
    if key == "tuple" and isinstance(item, list):
        return tuple(decode(part, tensors, param) for part in item)
    if key == "slice" and isinstance(item, list) and len(item) == 3:
        return slice(*(decode(part, tensors, param) for part in item))
    if key == "dtype" and item in ARG_DTYPES:
        import torch

        return getattr(torch, item)
    raise ShapeError(f"holds {{{key!r}: {item!r}}}, which is not an argument form a PyTorch "
                     "op block knows", param)


def _check_template(value: Any, inputs: int, param: str) -> None:
    """Validates a JSON argument template without torch (the shape rule's part)."""
    if isinstance(value, list):
        for item in value:
            _check_template(item, inputs, param)
    elif isinstance(value, dict):
        if len(value) != 1:
            decode(value, (), param)  # raises with the message
        ((key, item),) = value.items()
        if key == "input" and not (isinstance(item, int) and 0 <= item < inputs):
            raise ShapeError(f"refers to input {item!r}, but the op has {inputs}", param)
        if key in ("tuple", "slice"):
            _check_template(item, inputs, param)
        elif key not in ("input", "batch", "ellipsis", "dtype"):
            raise ShapeError(f"holds the key {key!r}, which is not an argument form a "
                             "PyTorch op block knows", param)
        if key == "dtype" and item not in ARG_DTYPES:
            raise ShapeError(f"names dtype {item!r}; allowed: {', '.join(ARG_DTYPES)}", param)


# --- the block ----------------------------------------------------------------------------


def _count(params: Mapping[str, Any], name: str, limit: int) -> int:
    value = params.get(name, 1)
    return value if isinstance(value, int) and 1 <= value <= limit else 1


def _output_count(params: Mapping[str, Any]) -> int:
    # Ports are asked for before params are validated (loading, drawing): any value must do.
    text = params.get("output_shapes", "")
    if not isinstance(text, str):
        return 1
    try:
        return min(len(parse_specs(text, "output_shapes")), MAX_OUTPUTS)
    except ShapeError:
        return 1


def _input_ports(params: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    return tuple(PortSpec(f"x{i}") for i in range(1, _count(params, "inputs", MAX_INPUTS) + 1))


def _output_ports(params: Mapping[str, Any]) -> tuple[PortSpec, ...]:
    count = _output_count(params)
    if count == 1:
        return (PortSpec("y"),)
    return tuple(PortSpec(f"y{i}") for i in range(1, count + 1))


def _shape_rule(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]
                ) -> dict[str, TensorSpec]:
    resolve_name = params["function"]
    if resolve_name not in _ALLOWED:
        raise ShapeError(f"'{resolve_name}' is not an allow-listed function", "function")
    _check_template(parse_json(params["args"], "args", list), params["inputs"], "args")
    for key, value in parse_json(params["kwargs"], "kwargs", dict).items():
        if not _is_argument_name(key):
            raise ShapeError(f"has the keyword {key[:40]!r}, which is not a Python argument "
                             "name", "kwargs")
        _check_template(value, params["inputs"], "kwargs")
    recorded = parse_specs(params["input_shapes"], "input_shapes")
    outputs = parse_specs(params["output_shapes"], "output_shapes")
    if len(recorded) != params["inputs"]:
        raise ShapeError(f"records {len(recorded)} input shapes for {params['inputs']} "
                         "inputs", "input_shapes")
    if len(outputs) > MAX_OUTPUTS:
        raise ShapeError(f"records more than {MAX_OUTPUTS} outputs", "output_shapes")
    given = list(inputs.values())
    if given != recorded:
        seen = ", ".join(_describe(spec) for spec in given)
        expected = ", ".join(_describe(spec) for spec in recorded)
        raise ShapeError(f"{resolve_name} was recorded for inputs {expected} while importing; "
                         f"it receives {seen}: re-import the module with these shapes, or "
                         "rebuild this step from blocks")
    ports = [port.name for port in _output_ports(params)]
    return dict(zip(ports, outputs, strict=True))


def _is_argument_name(key: str) -> bool:
    """A keyword a call can take: an ASCII identifier, not a keyword, not private."""
    return (key.isascii() and key.isidentifier() and not keyword.iskeyword(key)
            and not key.startswith("_"))


def _describe(spec: TensorSpec) -> str:
    text = format_shape(spec.shape) if spec.shape else "a scalar"
    return text if spec.dtype == "float32" else f"{text} {spec.dtype}"


@cache
def _module_class() -> type:
    """The nn.Module class of the block, defined on first use so torch loads only then."""
    from torch import nn

    class TorchOp(nn.Module):
        """Calls one allow-listed torch operation with recorded constant arguments."""

        def __init__(self, function: str, args: list[Any], kwargs: dict[str, Any],
                     outputs: int) -> None:
            super().__init__()
            self.function = function
            self.call = resolve(function)
            self.args = args
            self.kwargs = kwargs
            self.outputs = outputs

        def forward(self, *tensors: Any) -> Any:
            args = decode(self.args, tensors)
            kwargs = {key: decode(value, tensors, "kwargs") for key, value in
                      self.kwargs.items()}
            result = self.call(*args, **kwargs)
            return tuple(result) if self.outputs > 1 else result

        def extra_repr(self) -> str:
            return f"function={self.function}, args={self.args}, kwargs={self.kwargs}"

    return TorchOp


def _build(params: Mapping[str, Any], inputs: Mapping[str, TensorSpec]) -> Any:
    _shape_rule(params, inputs)  # refuses what the shape rule refuses, the allow-list first
    return _module_class()(params["function"], parse_json(params["args"], "args", list),
                           parse_json(params["kwargs"], "kwargs", dict), _output_count(params))


def _json_param(name: str, default: str, help: str) -> ParamSpec:
    return ParamSpec(name, "str", default, help)


TORCH_OP = BlockSpec(
    type="torch_op",
    title="PyTorch op",
    category="Structure",
    in_palette=False,  # made by `netbuilder import` only: it needs traced shapes
    doc=(
        "A PyTorch operation kept from an imported module because no block does the same: it "
        "calls `function` (one of a fixed list of safe torch operations) with the recorded "
        "arguments. It only works for the input shapes seen while importing; rebuild it from "
        f"blocks to make it general. Arguments longer than {MAX_STR} characters cannot be "
        "recorded.\n\n"
        "Input shape: exactly `input_shapes`, one per input port.\n"
        "Output shape: `output_shapes`, one per output port."
    ),
    params=(
        ParamSpec("function", "choice", "Tensor.contiguous",
                  "The torch operation to call (Tensor methods, torch, F = "
                  "torch.nn.functional, operator).", choices=FUNCTIONS),
        _json_param("args", '[{"input": 0}]',
                    'Positional arguments as JSON; {"input": 0} is the first input tensor, '
                    '{"batch": true} the batch size.'),
        _json_param("kwargs", "{}", "Keyword arguments as a JSON object."),
        ParamSpec("inputs", "int", 1, "How many tensors the op receives.", minimum=1,
                  maximum=MAX_INPUTS),
        _json_param("input_shapes", "1", "The input shapes seen while importing, batch "
                    "excluded, separated by ';': 16x8x8, 10:int64, scalar."),
        _json_param("output_shapes", "1", "The output shapes seen while importing, one per "
                    "output port, in the same form."),
    ),
    inputs=_input_ports,
    outputs=_output_ports,
    infer=_shape_rule,
    build=_build,
    summary_params=("function",),
    examples=(
        Example({"x1": (4, 6)}, {"function": "Tensor.permute",
                                 "args": '[{"input": 0}, 0, 2, 1]',
                                 "input_shapes": "4x6", "output_shapes": "6x4"},
                "swap the two axes of each sample"),
        Example({"x1": (3, 4), "x2": (4, 5)},
                {"function": "torch.matmul", "args": '[{"input": 0}, {"input": 1}]',
                 "inputs": 2, "input_shapes": "3x4; 4x5", "output_shapes": "3x5"},
                "batched matrix product"),
        Example({"x1": (6, 5)}, {"function": "Tensor.chunk", "args": '[{"input": 0}, 2]',
                                 "kwargs": '{"dim": 1}', "input_shapes": "6x5",
                                 "output_shapes": "3x5; 3x5"},
                "two outputs"),
        Example({"x1": (7, 3)}, {"function": "operator.getitem",
                                 "args": '[{"input": 0}, {"tuple": [{"slice": [null, null, '
                                         'null]}, -1]}]',
                                 "input_shapes": "7x3", "output_shapes": "3"},
                "x[:, -1]: the last step"),
        Example({"x1": (2, 3)}, {"function": "Tensor.view",
                                 "args": '[{"input": 0}, {"batch": true}, -1]',
                                 "input_shapes": "2x3", "output_shapes": "6"},
                "view with the batch size"),
    ),
)

SPECS = (TORCH_OP,)
