"""What every problem provides: f and its analytic derivatives, landmarks and a default scene."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, ClassVar

import numpy as np

from ..options import Option, validate_options

KINDS = ("minimum", "saddle", "maximum")


@dataclass(frozen=True)
class StationaryPoint:
    """A point where ∇f = 0, with its kind and its value."""

    x: np.ndarray
    kind: str  # one of KINDS
    f: float

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x.tolist(), "kind": self.kind, "f": float(self.f)}


class Problem:
    """A smooth objective f: ℝᵈ → ℝ with analytic gradient, Hessian and Hessian-vector product.

    Two-dimensional problems are written component-wise (``x[0]``, ``x[1]``) so that every
    function also accepts a batch of points of shape ``(2, ...)``: ``grad`` then returns
    ``(2, ...)`` and ``hess`` returns ``(2, 2, ...)``. Those marked ``componentwise`` also take one
    point as a list of Python floats. Sums of squares expose ``residuals`` and ``jacobian`` with the
    convention f = ‖r‖² (no ½); negative log-likelihoods expose ``fisher``.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    formula: ClassVar[str]  # LaTeX
    parameters: ClassVar[dict[str, Option]] = {}
    # Functions only index x: the oracle then passes one point as Python floats, whose arithmetic costs
    # a fraction of numpy's on scalars (a trace evaluates one point at a time).
    componentwise: ClassVar[bool] = False

    # Optional structure, overridden by the problems that have it.
    residuals: Callable[[np.ndarray], np.ndarray] | None = None
    jacobian: Callable[[np.ndarray], np.ndarray] | None = None
    fisher: Callable[[np.ndarray], np.ndarray] | None = None

    def __init__(self, **params: Any) -> None:
        self.params = validate_options(f"problem {self.name!r}", self.parameters, params)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({params})"

    # -- what each problem defines ---------------------------------------------------------
    dim: int
    x0: np.ndarray  # default start
    window: tuple[tuple[float, float], ...] | None = None  # default view, ((xmin, xmax), (ymin, ymax))

    def f(self, x: np.ndarray) -> float | np.ndarray:
        raise NotImplementedError

    def grad(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def hess(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """H(x) v."""
        return self.hessian_operator(x)(v)

    def hessian_operator(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """v ↦ H(x) v, for many products at one x: what depends on x alone is computed once.

        Small problems form their analytic Hessian; large ones never form it.
        """
        return self.hess(x).dot

    def landmarks(self) -> list[tuple[tuple[float, ...], str]]:
        """Known stationary points as (approximate location, kind); refined in `stationary_points`."""
        return []

    # -- derived -------------------------------------------------------------------------
    @property
    def has_residuals(self) -> bool:
        return self.residuals is not None

    @property
    def has_fisher(self) -> bool:
        return self.fisher is not None

    @cached_property
    def stationary_points(self) -> tuple[StationaryPoint, ...]:
        """The known stationary points, polished to machine precision by Newton's method on ∇f = 0."""
        points = []
        for approximate, kind in self.landmarks():
            x = polish_stationary_point(self, np.asarray(approximate, dtype=float))
            points.append(StationaryPoint(x=x, kind=kind, f=float(self.f(x))))
        return tuple(points)

    @property
    def minima(self) -> tuple[StationaryPoint, ...]:
        return tuple(p for p in self.stationary_points if p.kind == "minimum")

    @property
    def f_min(self) -> float | None:
        """The lowest known minimum value f*, or None when no minimum is known."""
        return min((p.f for p in self.minima), default=None)

    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable summary for user interfaces and the command line."""
        return {
            "name": self.name,
            "title": self.title,
            "formula": self.formula,
            "dim": self.dim,
            "params": dict(self.params),
            "x0": np.asarray(self.x0).tolist(),
            "window": self.window,
            "has_residuals": self.has_residuals,
            "has_fisher": self.has_fisher,
            "stationary_points": [p.to_dict() for p in self.stationary_points],
        }


def ones_like_coordinate(x: np.ndarray) -> float | np.ndarray:
    """1 shaped like one coordinate of x: a float for a point, an array for a batch (np.ones_like is slow on scalars)."""
    return 1.0 + 0.0 * x[0]


def polish_stationary_point(problem: Problem, x: np.ndarray, iterations: int = 20) -> np.ndarray:
    """Newton's method on ∇f(x) = 0 from a good guess; stops at rounding level or a singular Hessian."""
    for _ in range(iterations):
        g = problem.grad(x)
        try:
            step = np.linalg.solve(problem.hess(x), g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        if np.linalg.norm(step) <= 1e-15 * (1.0 + np.linalg.norm(x)):
            break
        x = x - step
    return x
