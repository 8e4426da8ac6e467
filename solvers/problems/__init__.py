"""The problem catalogue: every objective the lab can show, by name."""

from __future__ import annotations

from typing import Any

from .base import KINDS, Problem, StationaryPoint
from .classic import Beale, Himmelblau, MonkeySaddle, Rosenbrock, Saddle, SixHumpCamel
from .quadratic import Quadratic, QuadraticND
from .statistics import GaussianMLE, Logistic2D, LogisticRegression

PROBLEMS: dict[str, type[Problem]] = {
    cls.name: cls
    for cls in (
        Rosenbrock,
        Quadratic,
        Himmelblau,
        Saddle,
        MonkeySaddle,
        Beale,
        SixHumpCamel,
        GaussianMLE,
        Logistic2D,
        QuadraticND,
        LogisticRegression,
    )
}


def list_problems() -> list[str]:
    """Names of every problem, in catalogue order."""
    return list(PROBLEMS)


def get_problem(name: str | Problem, **params: Any) -> Problem:
    """The problem called `name`, built with `params` (validated), or `name` itself if a Problem."""
    if isinstance(name, Problem):
        if params:
            raise ValueError("parameters cannot be applied to an existing Problem object")
        return name
    if name not in PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; valid problems: {', '.join(PROBLEMS)}")
    return PROBLEMS[name](**params)


__all__ = ["KINDS", "PROBLEMS", "Problem", "StationaryPoint", "get_problem", "list_problems"]
