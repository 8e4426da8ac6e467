"""The record of a run: the `Trace`, column by column, and the `Iterate`, one row of it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np

from .oracle import Evaluations

STATUSES = ("converged", "max_iter", "diverged", "failed")
CURVATURE_FIELDS = ("eigenvalues", "eigenvectors", "newton_direction")  # recorded with the diagnostics


@dataclass(slots=True)
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


# What the driver records per step, in this order, and per iterate: the first five of them.
ROW_FIELDS = ("x", "f", "gradient", "grad_norm", "evaluations",
              "direction", "alpha", "damping", "radius", "accepted", "inner_iterations", "event")
ITERATE_FIELDS = ROW_FIELDS[:5]


def tabulate(rows: list[tuple], last: tuple) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """The columns of a run, one row per iterate, from its steps' rows (ROW_FIELDS) and its last iterate
    (ITERATE_FIELDS). A step's fields on the last row, and None anywhere, are NaN; `step` is x_{k+1} − x_k.

    Returns the columns and the steps' events.
    """
    recorded = dict(zip(ROW_FIELDS, zip(*rows))) if rows else dict.fromkeys(ROW_FIELDS, ())
    columns = {name: np.array([*recorded[name], value]) for name, value in zip(ITERATE_FIELDS, last)}
    d = len(last[0])
    columns["direction"] = np.array([*recorded["direction"], np.full(d, np.nan)]).reshape(-1, d)
    columns["step"] = np.concatenate([np.diff(columns["x"], axis=0), np.full((1, d), np.nan)])
    for name in ("alpha", "damping", "radius", "accepted", "inner_iterations"):
        columns[name] = np.array([*recorded[name], None], dtype=float)
    return columns, recorded["event"]


@dataclass(frozen=True, eq=False)
class Trace:
    """A whole run: its settings, its iterates column by column, and how and why it stopped."""

    problem: str
    method: str
    options: dict[str, Any]
    max_iter: int
    tol: float
    columns: dict[str, np.ndarray]  # one row per iterate x_0 … x_n; see `column`
    events: tuple[str, ...]  # per iterate: what was notable about the step from it; the last, why the run stopped
    status: str  # one of STATUSES
    message: str  # one plain sentence on why it stopped
    stationary_kind: str | None = None  # minimum / saddle / maximum where it converged, if known
    params: dict[str, Any] = field(default_factory=dict)  # the problem's parameters

    def __post_init__(self) -> None:
        for column in self.columns.values():
            column.flags.writeable = False  # shared by every view of the trace

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    @property
    def n_iter(self) -> int:
        return len(self.events) - 1

    @property
    def x(self) -> np.ndarray:
        """The last iterate."""
        return self.xs[-1]

    @property
    def evaluations(self) -> Evaluations:
        """Everything the method asked for, over the whole run."""
        return Evaluations._make(self.columns["evaluations"][-1].tolist())

    @property
    def xs(self) -> np.ndarray:
        return self.columns["x"]

    @property
    def fs(self) -> np.ndarray:
        return self.columns["f"]

    @property
    def grad_norms(self) -> np.ndarray:
        return self.columns["grad_norm"]

    def column(self, name: str) -> np.ndarray:
        """One field of every iterate (a field of `Iterate`), NaN where the iterate has None: 'alpha' gives
        (n+1,), 'step' (n+1, d), 'eigenvectors' (n+1, d, d). Read-only: copy it to change it."""
        if name in self.columns:
            return self.columns[name]
        if name == "k":
            return np.arange(self.n_iter + 1)
        if name not in CURVATURE_FIELDS:
            raise ValueError(f"no column {name!r}; the columns: {', '.join(f.name for f in fields(Iterate))}")
        d = self.xs.shape[1]  # not recorded: NaN in the shape it would have had
        return np.full((self.n_iter + 1, d, d) if name == "eigenvectors" else (self.n_iter + 1, d), np.nan)

    @cached_property
    def steps(self) -> tuple[Iterate, ...]:
        """The run iterate by iterate, built from the columns when first asked for."""
        c, last = self.columns, self.n_iter
        curvature = "eigenvalues" in c
        return tuple(
            Iterate(
                k, c["x"][k], float(c["f"][k]), c["gradient"][k], float(c["grad_norm"][k]),
                Evaluations._make(c["evaluations"][k].tolist()),
                eigenvalues=_finite_row(c["eigenvalues"][k]) if curvature else None,
                eigenvectors=_finite_row(c["eigenvectors"][k]) if curvature else None,
                newton_direction=_finite_row(c["newton_direction"][k]) if curvature else None,
                direction=None if k == last else c["direction"][k],
                step=None if k == last else c["step"][k],
                alpha=_number(c["alpha"][k]), damping=_number(c["damping"][k]), radius=_number(c["radius"][k]),
                accepted=None if k == last else bool(c["accepted"][k]),
                inner_iterations=None if math.isnan(c["inner_iterations"][k]) else int(c["inner_iterations"][k]),
                event=self.events[k],
            )
            for k in range(last + 1)
        )

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


def _finite_row(row: np.ndarray) -> np.ndarray | None:
    """The row, or None where it was not recorded (NaN): a non-finite Hessian, a singular one's −H⁻¹g."""
    return row if np.isfinite(row).all() else None


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _jsonable_dict(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in values.items()}
