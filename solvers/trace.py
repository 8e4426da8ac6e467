"""The record of a run: one `Iterate` per point visited, and the `Trace` that holds them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np

from .oracle import Evaluations

STATUSES = ("converged", "max_iter", "diverged", "failed")
VECTOR_FIELDS = ("x", "gradient", "eigenvalues", "newton_direction", "direction", "step")


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, and one is built per iterate
class Iterate:
    """The iterate x_k, what the curvature says there, and the step taken from it (None at the end)."""

    k: int
    x: np.ndarray
    f: float
    gradient: np.ndarray
    grad_norm: float
    evaluations: Evaluations  # spent to reach x_k
    # Curvature at x_k, recorded for small d (see `run(..., diagnostics=...)`).
    eigenvalues: np.ndarray | None = None
    eigenvectors: np.ndarray | None = None
    newton_direction: np.ndarray | None = None  # −H⁻¹g, None where H is singular
    # The step from x_k to x_{k+1}.
    direction: np.ndarray | None = None
    step: np.ndarray | None = None  # x_{k+1} − x_k: zero when rejected
    alpha: float | None = None
    damping: float | None = None
    radius: float | None = None
    accepted: bool | None = None
    inner_iterations: int | None = None  # CG steps, secular-equation steps
    event: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


def _jsonable(value: Any) -> Any:
    """numpy → lists of floats; non-finite floats → None (JSON has no NaN)."""
    if isinstance(value, Evaluations):
        return value._asdict()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


@dataclass(frozen=True)
class Trace:
    """A whole run: its settings, the iterates, and how and why it stopped."""

    problem: str
    method: str
    options: dict[str, Any]
    max_iter: int
    tol: float
    steps: tuple[Iterate, ...]
    status: str  # one of STATUSES
    message: str  # one plain sentence on why it stopped
    stationary_kind: str | None = None  # minimum / saddle / maximum where it converged, if known
    params: dict[str, Any] = field(default_factory=dict)  # the problem's parameters

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    @property
    def n_iter(self) -> int:
        return len(self.steps) - 1

    @property
    def x(self) -> np.ndarray:
        """The last iterate."""
        return self.steps[-1].x

    @property
    def evaluations(self) -> Evaluations:
        return self.steps[-1].evaluations

    @cached_property
    def xs(self) -> np.ndarray:
        return np.array([s.x for s in self.steps])

    @cached_property
    def fs(self) -> np.ndarray:
        return np.array([s.f for s in self.steps])

    @cached_property
    def grad_norms(self) -> np.ndarray:
        return np.array([s.grad_norm for s in self.steps])

    def column(self, name: str) -> np.ndarray:
        """One field of every iterate stacked into an array, NaN where a record has None: 'alpha' gives
        (n+1,), 'step' (n+1, d), 'eigenvectors' (n+1, d, d)."""
        values = [getattr(s, name) for s in self.steps]
        shape = next((np.shape(v) for v in values if v is not None), None)
        if shape is None:  # never recorded: vectors and matrices take the shape they would have had
            d = len(self.steps[0].x)
            shape = {"eigenvectors": (d, d)}.get(name, (d,) if name in VECTOR_FIELDS else ())
        return np.array([np.full(shape, np.nan) if v is None else v for v in values], dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "params": _jsonable_dict(self.params),
            "method": self.method,
            "options": _jsonable_dict(self.options),
            "max_iter": self.max_iter,
            "tol": self.tol,
            "status": self.status,
            "message": self.message,
            "stationary_kind": self.stationary_kind,
            "n_iter": self.n_iter,
            "evaluations": self.evaluations._asdict(),
            "steps": [s.to_dict() for s in self.steps],
        }


def _jsonable_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in values.items()}
