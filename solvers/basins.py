"""Basins of attraction: run a method from every point of a grid at once, vectorised over the starts.

Each batch rule is the same formula as its method in `solvers.methods`, written for a batch of
points: x has shape (2, n), the Hessian (2, 2, n), and 2×2 systems are solved in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .curvature import eigen_analysis, stationary_kind
from .driver import DIVERGENCE_FACTOR
from .methods import get_method
from .options import Option, validate_options
from .problems import Problem, get_problem

MAP_OPTIONS = {
    "rows": Option(256, "grid rows", low=1, high=2048, integer=True),
    "cols": Option(256, "grid columns", low=1, high=2048, integer=True),
    "max_iter": Option(50, "iterations from every start", low=0, high=10_000, integer=True),
    "tol": Option(1e-8, "a start has converged when ‖∇f‖ ≤ tol", low=0.0, log=True),
}
SAME_POINT = 1e-5  # end points closer than this × the window's size are the same stationary point


def gradient_descent_step(problem, x, g, lr):
    """x ← x − η ∇f"""
    return x - lr * g


def damped_newton_step(problem, x, g, damping=0.0):
    """x ← x − (H + λI)⁻¹∇f, by Cramer's rule for every point"""
    H = problem.hess(x)
    a, b, c = H[0, 0] + damping, H[0, 1], H[1, 1] + damping
    det = a * c - b * b
    return x - np.array([c * g[0] - b * g[1], a * g[1] - b * g[0]]) / det


def saddle_free_newton_step(problem, x, g):
    """x ← x − |H|⁻¹∇f, through the closed-form eigen-decomposition of every 2×2 Hessian"""
    H = problem.hess(x)
    a, b, c = H[0, 0], H[0, 1], H[1, 1]
    mean, radius = 0.5 * (a + c), np.hypot(0.5 * (a - c), b)
    theta = 0.5 * np.arctan2(2 * b, a - c)
    q_low, q_high = np.array([-np.sin(theta), np.cos(theta)]), np.array([np.cos(theta), np.sin(theta)])
    along_low, along_high = (q_low * g).sum(0), (q_high * g).sum(0)
    return x - q_low * along_low / np.abs(mean - radius) - q_high * along_high / np.abs(mean + radius)


BATCH_RULES: dict[str, Callable[..., np.ndarray]] = {
    "gd": gradient_descent_step,
    "newton": damped_newton_step,
    "damped_newton": damped_newton_step,
    "saddle_free_newton": saddle_free_newton_step,
}


@dataclass(frozen=True)
class BasinMap:
    """Where each start of a grid ends: `labels` index `points` (−1: did not converge)."""

    problem: str
    method: str
    options: dict[str, Any]
    window: tuple[tuple[float, float], tuple[float, float]]
    xs: np.ndarray  # (cols,) grid coordinates
    ys: np.ndarray  # (rows,)
    labels: np.ndarray  # (rows, cols) int
    iterations: np.ndarray  # (rows, cols) int: iterations to converge (max_iter where it did not)
    diverged: np.ndarray  # (rows, cols) bool: the iterate overflowed or became undefined
    points: np.ndarray  # (n, 2) stationary points: the problem's known ones, then any others reached
    kinds: tuple[str | None, ...]  # minimum / saddle / maximum (None: second-order test inconclusive)
    max_iter: int
    tol: float

    def fractions(self) -> dict[str, float]:
        """Share of starts reaching each kind of point, not converging, or diverging."""
        total = self.labels.size
        shares = {kind: 0.0 for kind in ("minimum", "saddle", "maximum")}
        for index, kind in enumerate(self.kinds):
            shares[str(kind)] = shares.get(str(kind), 0.0) + np.count_nonzero(self.labels == index) / total
        shares["not converged"] = np.count_nonzero((self.labels < 0) & ~self.diverged) / total
        shares["diverged"] = np.count_nonzero(self.diverged) / total
        return shares


def basin_map(
    problem: str | Problem,
    method: str,
    resolution: tuple[int, int] = (256, 256),
    window: tuple[tuple[float, float], tuple[float, float]] | None = None,
    max_iter: int = 50,
    tol: float = 1e-8,
    **options: Any,
) -> BasinMap:
    """Run `method` from every point of a rows × cols grid over `window` (default: the problem's view)."""
    problem = get_problem(problem)
    if problem.dim != 2:
        raise ValueError(f"basin maps are drawn in the plane; {problem.name} has dimension {problem.dim}")
    if method not in BATCH_RULES:
        get_method(method)  # an unknown name gets the catalogue's message
        raise ValueError(f"basin_map is vectorised for {', '.join(BATCH_RULES)}; not for {method}")
    settings = validate_options(f"method {method!r}", get_method(method).options, options)
    try:
        rows, cols = resolution
    except (TypeError, ValueError):
        raise ValueError(f"resolution must be (rows, cols), got {resolution!r}") from None
    limits = validate_options("basin_map", MAP_OPTIONS, {"rows": rows, "cols": cols, "max_iter": max_iter, "tol": tol})
    window = _validated_window(window if window is not None else problem.window)
    xs = np.linspace(*window[0], limits["cols"])
    ys = np.linspace(*window[1], limits["rows"])
    starts = np.array([np.tile(xs, len(ys)), np.repeat(ys, len(xs))])
    step = BATCH_RULES[method]
    with np.errstate(all="ignore"):
        ends, iterations, converged, diverged = _iterate_all(problem, step, settings, starts, limits["max_iter"], limits["tol"])
        points, kinds, labels = _label_end_points(problem, ends, converged, window)
    shape = (len(ys), len(xs))
    return BasinMap(
        problem=problem.name, method=method, options=settings, window=window, xs=xs, ys=ys,
        labels=labels.reshape(shape), iterations=iterations.reshape(shape), diverged=diverged.reshape(shape),
        points=points, kinds=kinds, max_iter=limits["max_iter"], tol=limits["tol"],
    )


def _validated_window(window) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x_low, x_high), (y_low, y_high) = window
        bounds = [float(v) for v in (x_low, x_high, y_low, y_high)]
    except (TypeError, ValueError):
        raise ValueError(f"window must be ((xmin, xmax), (ymin, ymax)), got {window!r}") from None
    if not (np.all(np.isfinite(bounds)) and bounds[0] < bounds[1] and bounds[2] < bounds[3]):
        raise ValueError(f"window must be finite with xmin < xmax and ymin < ymax, got {window!r}")
    return (bounds[0], bounds[1]), (bounds[2], bounds[3])


def _iterate_all(problem, step, settings, starts, max_iter, tol):
    """Iterate every start; a start leaves the batch when it converges or diverges (by `run`'s rule)."""
    n = starts.shape[1]
    ends, iterations = starts.copy(), np.full(n, max_iter)
    converged, diverged = np.zeros(n, bool), np.zeros(n, bool)
    active, x = np.arange(n), starts
    bound_sq = (DIVERGENCE_FACTOR * np.maximum(1.0, np.hypot(starts[0], starts[1]))) ** 2  # as in `run`
    for k in range(max_iter + 1):
        g = problem.grad(x)
        grad_sq = g[0] * g[0] + g[1] * g[1]
        done = grad_sq <= tol * tol
        bad = ~done & ~(np.isfinite(grad_sq) & (x[0] * x[0] + x[1] * x[1] <= bound_sq))
        leaving = done | bad if k < max_iter else np.ones(active.size, bool)
        if leaving.any():
            ends[:, active[leaving]] = x[:, leaving]
            iterations[active[done]] = k
            converged[active[done]] = True
            diverged[active[bad]] = True
            staying = ~leaving
            active, x, g, bound_sq = active[staying], x[:, staying], g[:, staying], bound_sq[staying]
        if active.size == 0:
            break
        x = step(problem, x, g, **settings)
    return ends, iterations, converged, diverged


def _label_end_points(problem, ends, converged, window):
    """Match converged end points to known stationary points; new ones are added and classified."""
    scale = max(window[0][1] - window[0][0], window[1][1] - window[1][0])
    known = problem.stationary_points
    points = [p.x for p in known]
    kinds: list[str | None] = [p.kind for p in known]
    labels = np.full(ends.shape[1], -1)
    remaining = np.flatnonzero(converged)
    while remaining.size:
        for index, point in enumerate(points):
            near = np.hypot(ends[0, remaining] - point[0], ends[1, remaining] - point[1]) <= SAME_POINT * scale
            labels[remaining[near]] = index
            remaining = remaining[~near]
        if remaining.size:  # a stationary point the catalogue does not list
            new_point = ends[:, remaining[0]].copy()
            points.append(new_point)
            kinds.append(stationary_kind(eigen_analysis(problem.hess(new_point))))
    return np.array(points, dtype=float).reshape(-1, 2), tuple(kinds), labels
