"""Typed block parameters: declaration, validation and JSON-safe values.

A block declares its parameters once as :class:`ParamSpec` objects; the inspector builds its
form from them, the file loader validates with them and the docs list them. The training
settings of a document (:mod:`netbuilder.core.training`) are declared and checked the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from netbuilder.core.errors import ParamError

#: The kinds a parameter can be, and what a value of that kind looks like in JSON.
KINDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "choice": "one of a fixed set of names",
    "str": "a text",
    "ints": "a list of integers",
    "int_or_ints": "an integer or a list of integers",
    "floats": "a list of numbers",
}

# Keeps a hostile file from asking for a tensor of 10**30 elements or a 10,000-long shape.
MAX_INT = 2**31 - 1
MAX_LIST = 16
MAX_STR = 200


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a block type.

    Attributes:
        name: the key in the file and the keyword of the build function.
        kind: one of :data:`KINDS`.
        default: the value a new block gets.
        help: one sentence for the inspector's tooltip.
        minimum: smallest allowed value (for lists: of each element).
        maximum: largest allowed value (for lists: of each element).
        choices: the allowed names of a ``choice`` parameter.
        length: for lists (``ints``, ``int_or_ints``, ``floats``): the exact length, or
            None for any.
        title: the label in the inspector; defaults to the name with spaces.
        min_length: for lists: the fewest entries allowed.
        enabled_when: the parameter matters only while each named ``choice`` parameter
            holds one of the listed values (the inspector greys it out otherwise), e.g.
            ``(("padding", ("explicit",)),)``.
        minimum_open: ``minimum`` itself is refused (the value must be more than it).
        maximum_open: ``maximum`` itself is refused (the value must be less than it).
        largest: the largest magnitude of an integer (a block's sizes: :data:`MAX_INT`; a
            seed or a count that reaches torch as an int64: more).
        max_length: the longest ``str``, or None for no limit (a path).
    """

    name: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None
    title: str = ""
    min_length: int = 0
    enabled_when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    minimum_open: bool = False
    maximum_open: bool = False
    largest: int = MAX_INT
    max_length: int | None = MAX_STR

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} has no choices")

    def applies(self, params: dict[str, Any]) -> bool:
        """False when ``enabled_when`` says this parameter is ignored for these params."""
        return all(params.get(name) in values for name, values in self.enabled_when)

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    def validate(self, value: Any) -> Any:
        """Returns ``value`` if it is valid, else raises :class:`ParamError`.

        The value is returned unchanged (not normalised), so that a loaded file saves back
        byte for byte.
        """
        check = getattr(self, f"_check_{self.kind}")
        check(value)
        return value

    def expected(self) -> str:
        """What a valid value is, in a few words: ``a number > 0``, ``one of sgd, adam``."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "str":
            return "a text"
        span = self._span()
        if self.kind == "int":
            return "a whole number" + span
        if self.kind == "float":
            return "a number" + span
        if self.kind == "int_or_ints":
            return "a whole number or a list of whole numbers" + span
        noun = "whole numbers" if self.kind == "ints" else "numbers"
        count = f"{self.length} {noun}" if self.length is not None else f"a list of {noun}"
        return count + span

    def _span(self) -> str:
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            left, right = "(" if self.minimum_open else "[", ")" if self.maximum_open else "]"
            return f" in {left}{_fmt(low)}, {_fmt(high)}{right}"
        if low is not None:
            return f" {'>' if self.minimum_open else '>='} {_fmt(low)}"
        if high is not None:
            return f" {'<' if self.maximum_open else '<='} {_fmt(high)}"
        return ""

    def _fail(self, message: str) -> NoReturn:
        raise ParamError(f"parameter '{self.name}' {message}", self.name)

    def _check_range(self, value: float) -> None:
        low, high = self.minimum, self.maximum
        if low is not None and (value <= low if self.minimum_open else value < low):
            bound = "more than" if self.minimum_open else "at least"
            self._fail(f"must be {bound} {_fmt(low)}, got {_fmt(value)}")
        if high is not None and (value >= high if self.maximum_open else value > high):
            bound = "less than" if self.maximum_open else "at most"
            self._fail(f"must be {bound} {_fmt(high)}, got {_fmt(value)}")

    def _check_int(self, value: Any) -> None:
        if not _is_int(value):
            self._fail(f"must be an integer, got {describe_value(value)}")
        if abs(value) > self.largest:
            self._fail(f"is too large ({_fmt(value)})")
        self._check_range(value)

    def _check_float(self, value: Any) -> None:
        if not (_is_int(value) or isinstance(value, float)):
            self._fail(f"must be a number, got {describe_value(value)}")
        if not _finite(value):
            self._fail(f"must be a finite number, got {describe_value(value)}")
        self._check_range(value)

    def _check_bool(self, value: Any) -> None:
        if not isinstance(value, bool):
            self._fail(f"must be true or false, got {describe_value(value)}")

    def _check_choice(self, value: Any) -> None:
        if value not in self.choices:
            options = ", ".join(self.choices)
            self._fail(f"must be one of {options}; got {describe_value(value)}")

    def _check_str(self, value: Any) -> None:
        if not isinstance(value, str):
            self._fail(f"must be a text, got {describe_value(value)}")
        if self.max_length is not None and len(value) > self.max_length:
            self._fail(f"is longer than {self.max_length} characters")

    def _check_list(self, value: Any, of: str) -> None:
        if not isinstance(value, list):
            self._fail(f"must be a list of {of}, got {describe_value(value)}")
        if self.length is not None and len(value) != self.length:
            self._fail(f"must have {self.length} entries, got {len(value)}")
        if len(value) > MAX_LIST:
            self._fail(f"has more than {MAX_LIST} entries")
        if len(value) < self.min_length:
            self._fail(f"must have at least {self.min_length} entries")

    def _check_ints(self, value: Any) -> None:
        self._check_list(value, "integers")
        for item in value:
            self._check_int(item)

    def _check_floats(self, value: Any) -> None:
        self._check_list(value, "numbers")
        for item in value:
            self._check_float(item)

    def _check_int_or_ints(self, value: Any) -> None:
        if isinstance(value, list):
            self._check_ints(value)
        else:
            self._check_int(value)


@dataclass
class ParamIssue:
    """A parameter that failed validation."""

    param: str
    message: str


def validate_params(specs: tuple[ParamSpec, ...], params: Mapping[str, Any]
                    ) -> list[ParamIssue]:
    """Checks a whole params dict against its specs: missing, unknown and bad values."""
    issues: list[ParamIssue] = []
    known = {spec.name: spec for spec in specs}
    for name in params:
        if name not in known:
            issues.append(ParamIssue(name, f"unknown parameter '{name}'"))
    for spec in specs:
        if spec.name not in params:
            issues.append(ParamIssue(spec.name, f"parameter '{spec.name}' is missing"))
            continue
        try:
            spec.validate(params[spec.name])
        except ParamError as error:
            issues.append(ParamIssue(spec.name, str(error)))
    return issues


def default_params(specs: tuple[ParamSpec, ...]) -> dict[str, Any]:
    """A fresh params dict holding every default (lists copied, never shared)."""
    return {spec.name: _copy(spec.default) for spec in specs}


def as_tuple(value: int | list[int], length: int) -> tuple[int, ...]:
    """Expands an ``int_or_ints`` value to a tuple of ``length`` integers."""
    if isinstance(value, list):
        return tuple(value)
    return (value,) * length


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float (JSON allows 4,300 digits)
        return False


def _is_int(value: Any) -> bool:
    # bool is an int subclass in Python, but `true` is not a valid layer size.
    return isinstance(value, int) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def describe_value(value: Any) -> str:
    """``repr(value)``, cut to 40 characters (values in messages come from files)."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return text


__all__ = [
    "KINDS",
    "ParamIssue",
    "ParamSpec",
    "as_tuple",
    "default_params",
    "describe_value",
    "validate_params",
]
