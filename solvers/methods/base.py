"""What a method is: options, a start, and a step rule that proposes x_{k+1} from x_k."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..options import Option
from ..oracle import Oracle
from ..problems import PROBLEMS, Problem


@dataclass(slots=True)
class Step:
    """A proposed step: x_{k+1} = x_k + alpha · direction if accepted, else x_{k+1} = x_k."""

    direction: np.ndarray
    alpha: float = 1.0
    accepted: bool = True
    damping: float | None = None
    radius: float | None = None
    inner_iterations: int | None = None
    event: str = ""
    point: np.ndarray | None = None  # x_k + alpha · direction, if the method has formed it (a line search's point)


class Method:
    """A step rule. Subclasses declare `options` and implement `step`; state lives on the instance."""

    name: ClassVar[str]
    title: ClassVar[str]
    formula: ClassVar[str]  # LaTeX of the update
    options: ClassVar[dict[str, Option]] = {}
    requires: ClassVar[str | None] = None  # "residuals" or "fisher"
    divergence_hint: ClassVar[str] = ""

    def __init__(self, oracle: Oracle, **settings: Any) -> None:
        self.oracle = oracle
        for name, value in settings.items():
            setattr(self, name, value)

    @classmethod
    def check_applicable(cls, problem: Problem) -> None:
        """Raise ValueError when the problem lacks the structure this method needs."""
        if cls.requires is None or getattr(problem, cls.requires) is not None:
            return
        having = [name for name, p in PROBLEMS.items() if getattr(p, cls.requires) is not None]
        needs = {"residuals": "a sum of squares with residuals r(x)", "fisher": "a likelihood with a Fisher matrix"}
        raise ValueError(
            f"{cls.name} needs {needs[cls.requires]}; {problem.name} has none. "
            f"Problems that have it: {', '.join(having)}"
        )

    def start(self, x: np.ndarray) -> None:
        """Initialise the method's state at the start point."""

    def step(self, x: np.ndarray, f: float, g: np.ndarray) -> Step:
        raise NotImplementedError

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "name": cls.name,
            "title": cls.title,
            "formula": cls.formula,
            "requires": cls.requires,
            "options": {name: {"default": o.default, "valid": o.describe(), "doc": o.doc} for name, o in cls.options.items()},
        }


def uphill_warning(g: np.ndarray, direction: np.ndarray, name: str = "Newton direction") -> str:
    """An event when the direction climbs (gᵀp > 0), which only happens when the curvature is not positive."""
    if g.dot(direction) > 0:
        return f"{name} points uphill (gᵀp > 0): the curvature matrix is not positive definite"
    return ""


def join_events(*events: str) -> str:
    return "; ".join(filter(None, events))
