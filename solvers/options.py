"""Declared, validated options: the one place where user-supplied numbers are checked.

Methods and problems declare their tunable numbers as `Option`s. The same declaration validates
what a caller passes (with a message that lists what is valid) and tells a user interface how to
build a control for it (range, log scale, integer, choices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any


@dataclass(frozen=True)
class Option:
    """One tunable value with its default and its valid range."""

    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the bound `low` itself is not allowed
    integer: bool = False
    log: bool = False  # best explored on a logarithmic scale
    choices: tuple[str, ...] | None = None
    allow_none: bool = False  # None selects an automatic value described in `doc`

    def describe(self) -> str:
        """The valid values in words, e.g. 'a number > 0' or 'one of "a", "b"'."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "an integer" if self.integer else "a number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.low_open else '≥'} {self.low:g}")
        if self.high is not None:
            bounds.append(f"≤ {self.high:g}")
        text = kind + (" " + " and ".join(bounds) if bounds else "")
        return text + (" or None" if self.allow_none else "")

    def validate(self, name: str, value: Any) -> Any:
        """Return `value` converted to its type, or raise ValueError saying what is valid."""
        if value is None and self.allow_none:
            return None
        converted = self._converted(value)
        if converted is None:
            raise ValueError(f"{name} must be {self.describe()}, got {value!r}")
        return converted

    def _converted(self, value: Any) -> Any:
        """`value` as this option's type if it is valid, else None."""
        if self.choices is not None:
            return value if isinstance(value, str) and value in self.choices else None
        if isinstance(value, bool) or not isinstance(value, Real):
            return None
        try:
            number = float(value)  # an int beyond any float overflows here
        except OverflowError:
            return None
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            return None
        value = int(value) if self.integer else number
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return None
        if self.high is not None and value > self.high:
            return None
        return value


def validate_options(owner: str, declared: dict[str, Option], given: dict[str, Any]) -> dict[str, Any]:
    """All declared options of `owner`, defaults filled in and `given` values validated."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        valid = ", ".join(declared) if declared else "none"
        names = ", ".join(repr(name) for name in unknown)
        raise ValueError(f"{owner} has no option {names}; its options are: {valid}")
    values = {name: option.default for name, option in declared.items()}
    for name, value in given.items():
        values[name] = declared[name].validate(name, value)
    return values
