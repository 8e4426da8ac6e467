"""The driver loop shared by every method: stopping rules, divergence checks and the record of each iterate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .curvature import KIND_OF_VERDICT, eigen_analysis, newton_directions, stationary_kind, verdicts
from .linalg import NumericalFailure, along, norm
from .methods import Method, get_method
from .methods.base import join_events
from .options import Option, validate_options
from .oracle import Oracle
from .problems import Problem, get_problem
from .trace import CURVATURE_FIELDS, Trace, tabulate

RUN_OPTIONS = {
    "max_iter": Option(100, "most iterations", low=0, high=1_000_000, integer=True),
    "tol": Option(1e-8, "stop when ‖∇f‖ ≤ tol", low=0.0, log=True),
}
DIAGNOSTIC_MAX_DIM = 3  # record eigenvectors and the Newton direction at every iterate up to this d
CLASSIFY_MAX_DIM = 200  # name the stationary point reached (minimum/saddle/maximum) up to this d
DIVERGENCE_FACTOR = 1e8  # an iterate farther than this × max(1, ‖x₀‖) from the origin has diverged
NUMERICAL_ERRORS = (NumericalFailure, np.linalg.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError)


def run(
    problem: str | Problem,
    method: str,
    x0: Any = None,
    *,
    max_iter: int = 100,
    tol: float = 1e-8,
    diagnostics: bool | None = None,
    **options: Any,
) -> Trace:
    """Minimise `problem` with `method` from `x0` (None: the problem's default start), recording every iterate.

    `options` are the method's own (see `solvers.describe_method`). `diagnostics` records the Hessian's
    eigen-decomposition and the pure Newton direction at every iterate; by default when d ≤ 3.
    Bad arguments raise ValueError; numerical trouble ends the run with a status and a message.
    """
    problem = get_problem(problem)
    method_class = get_method(method)
    settings = validate_options(f"method {method_class.name!r}", method_class.options, options)
    method_class.check_applicable(problem)
    limits = validate_options("run", RUN_OPTIONS, {"max_iter": max_iter, "tol": tol})
    x = start_point(problem, x0)
    if diagnostics is None:
        diagnostics = problem.dim <= DIAGNOSTIC_MAX_DIM
    oracle = Oracle(problem)
    rule = method_class(oracle, **settings)
    rule.start(x)
    with np.errstate(all="ignore"):
        rows, last, status, message = _iterate(rule, oracle, x, limits["max_iter"], limits["tol"])
        columns, events = tabulate(rows, last)
        if diagnostics:
            columns.update(_curvature_columns(problem, columns["x"], columns["gradient"]))
    kind = _stationary_kind(problem, columns) if status == "converged" else None
    if kind is not None:
        message += f", at a {kind}" + (" (the Hessian is indefinite there)" if kind == "saddle" else "")
    message += "."
    return Trace(
        problem=problem.name, params=dict(problem.params), method=method_class.name, options=settings,
        max_iter=limits["max_iter"], tol=limits["tol"], columns=columns, events=(*events, message), status=status,
        message=message, stationary_kind=kind,
    )


def start_point(problem: Problem, x0: Any) -> np.ndarray:
    """x₀ as a float vector of the problem's dimension, or ValueError."""
    if x0 is None:
        return np.array(problem.x0, dtype=float)
    try:
        x = np.array(x0, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        x = None
    if x is None or x.shape != (problem.dim,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x0 must be {problem.dim} finite numbers, got {x0!r}")
    return x


def _iterate(rule: Method, oracle: Oracle, x: np.ndarray, max_iter: int, tol: float):
    """The loop: test, step, check, record. Returns (a row per step, the last iterate, status, message).

    The rows and the last iterate are laid out as `trace.ROW_FIELDS` and `trace.ITERATE_FIELDS`.
    """
    rows: list[tuple] = []
    f, g = oracle.f(x, count=False), oracle.grad(x)
    if not (math.isfinite(f) and math.isfinite(norm(g))):
        message = "failed at the start: f or ∇f is not finite at x₀"
        return rows, (x, f, g, float("nan"), oracle.counts()), "failed", message
    bound = DIVERGENCE_FACTOR * max(1.0, norm(x))
    k, grad_norm = 0, norm(g)
    while True:
        arrival = oracle.counts()
        if grad_norm <= tol:
            status, message = "converged", f"converged in {k} iterations: ‖∇f‖ = {grad_norm:.1e} ≤ tol = {tol:.0e}"
            break
        if k == max_iter:
            status = "max_iter"
            message = f"stopped after {max_iter} iterations without converging: ‖∇f‖ = {grad_norm:.1e} > tol = {tol:.0e}"
            break
        try:
            step = rule.step(x, f, g)
        except NUMERICAL_ERRORS as error:
            status, message = "failed", f"failed at iteration {k}: {error}"
            break
        if not step.accepted:
            x_new = x
        elif step.point is not None:  # formed already by the method: the same sum, not recomputed
            x_new = step.point
        else:
            x_new = along(x, step.alpha, step.direction)
        distance = norm(x_new)
        if not distance <= bound:
            if not np.all(np.isfinite(step.direction)):
                status, message = "failed", f"failed at iteration {k}: the step is not finite"
            else:
                status = "diverged"
                message = f"diverged at iteration {k}: the step left every bound (‖x‖ > {bound:.0e})"
            break
        f_new, g_new = oracle.f(x_new, count=False), oracle.grad(x_new)
        grad_norm_new = norm(g_new)
        if not (math.isfinite(f_new) and math.isfinite(grad_norm_new)):
            status, message = "diverged", f"diverged at iteration {k}: f or ∇f overflowed at the next iterate"
            break
        event = step.event
        if f_new > f:
            event = join_events(event, f"f went up from {f:.4g} to {f_new:.4g}")
        rows.append((x, f, g, grad_norm, arrival, step.direction, step.alpha, step.damping, step.radius,
                     step.accepted, step.inner_iterations, event))
        x, f, g, grad_norm, k = x_new, f_new, g_new, grad_norm_new, k + 1
    if status == "diverged" and rule.divergence_hint:
        message += ": " + rule.divergence_hint
    return rows, (x, f, g, grad_norm, arrival), status, message


def _curvature_columns(problem: Problem, xs: np.ndarray, gradients: np.ndarray) -> dict[str, np.ndarray]:
    """The Hessian's eigen-decomposition and the pure Newton direction −H⁻¹g at every iterate, as columns.

    Done once after the loop, batched over all iterates: per iterate it would cost more than the step.
    NaN rows where H is not finite, and in the directions where H is singular or −H⁻¹g overflows.
    """
    if problem.dim == 2:  # two-dimensional problems evaluate a batch of points at once
        hessians = problem.hess(xs.T).transpose(2, 0, 1)  # (2, 2, n) → (n, 2, 2)
    else:
        hessians = np.array([problem.hess(x) for x in xs])
    return dict(zip(CURVATURE_FIELDS, newton_directions(hessians, gradients)))


def _stationary_kind(problem: Problem, columns: dict[str, np.ndarray]) -> str | None:
    """Which kind of stationary point the last iterate is, by the second-order test (None if inconclusive)."""
    if "eigenvalues" in columns:  # recorded with the diagnostics: no second look at H
        return KIND_OF_VERDICT.get(str(verdicts(columns["eigenvalues"][-1:])[0]))
    if problem.dim > CLASSIFY_MAX_DIM:
        return None
    with np.errstate(all="ignore"):
        H = problem.hess(columns["x"][-1])
    if not np.all(np.isfinite(H)):
        return None
    return stationary_kind(eigen_analysis(H))
