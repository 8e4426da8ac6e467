"""From the lab's state to the numbers its views draw: contour grids and per-iterate columns.

Numpy on top of `solvers` (Panel only for its shared cache); the views copy these columns into Bokeh
ColumnDataSources, and the browser picks the row of the iteration shown, so stepping through a
trajectory costs the server nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import panel as pn
from bokeh.plotting.contour import contour_data

import solvers
from solvers.curvature import VERDICT_TEXT, damped_newton_directions, verdicts

GRID_RESOLUTION = 200
BAND_RESOLUTION = 400  # pixels a side of the image of contour bands: sharp at the plot's size on a projector
CONTOUR_LEVELS = 24
NO_BAND = 255  # below the lowest level, above the highest, or where f is not finite: not coloured
GRADIENT_ARROW = 0.12  # the −∇f arrow's drawn length, as a fraction of the window's diagonal
AXIS_LENGTH = 0.15  # the eigenvector axis of least curvature, as a fraction of the diagonal
ERROR_FLOOR = 1e-16  # log₁₀ of errors below this is drawn at −16


@dataclass(frozen=True)
class ContourGrid:
    """f on a regular grid over the window, and contour levels that show its structure.

    The page draws them as one image of band numbers under one line through every level: three
    arrays to send, where filled contour polygons took some 450 (one per ring and coordinate), each a
    websocket frame of its own, for every new page and every new problem.
    """

    xs: np.ndarray
    ys: np.ndarray
    values: np.ndarray  # (len(ys), len(xs))
    levels: np.ndarray
    bands: np.ndarray  # (rows, columns) uint8 over the window: i between levels i and i+1; NO_BAND outside
    level_x: np.ndarray  # every level line, one after another, NaN between lines
    level_y: np.ndarray


@functools.lru_cache(maxsize=64)
def shared_problem(problem_name: str, params: tuple[tuple[str, float], ...]) -> solvers.Problem:
    """One problem object per name and parameters for every session: its stationary points, which the
    error plots need after every run, are then located once. (Asked for at every change: an lru_cache's
    lookup costs a tenth of `pn.cache`'s, which hashes its arguments itself.)"""
    return solvers.get_problem(problem_name, **dict(params))


# Read-only and shared by every session, keyed by the problem and its parameters: tracing the contours
# costs ~10 ms, once per problem rather than once per session.
@pn.cache(max_items=64)
def contour_grid(problem_name: str, params: tuple[tuple[str, float], ...], resolution: int = GRID_RESOLUTION) -> ContourGrid:
    problem = shared_problem(problem_name, params)
    (x_low, x_high), (y_low, y_high) = problem.window
    xs, ys = np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution)
    with np.errstate(all="ignore"):
        values = problem.f(np.array(np.meshgrid(xs, ys)))
    levels = contour_levels(values)
    lines = contour_data(xs, ys, values, levels, want_fill=False).line_data
    return ContourGrid(xs, ys, values, levels, band_image(problem, levels), nan_joined(lines.xs), nan_joined(lines.ys))


def nan_joined(pieces: list[np.ndarray]) -> np.ndarray:
    """One array of all the pieces, a NaN after each: one line that Bokeh breaks at every NaN."""
    gap = np.array([np.nan])
    return np.concatenate([part for piece in pieces for part in (piece, gap)])


def band_image(problem: solvers.Problem, levels: np.ndarray, resolution: int = BAND_RESOLUTION) -> np.ndarray:
    """The band of f at the centre of each pixel of the window: i where levels[i] ≤ f < levels[i + 1]."""
    (x_low, x_high), (y_low, y_high) = problem.window
    centres = (np.arange(resolution) + 0.5) / resolution
    grid = np.array(np.meshgrid(x_low + (x_high - x_low) * centres, y_low + (y_high - y_low) * centres))
    with np.errstate(all="ignore"):
        band = np.digitize(problem.f(grid), levels) - 1
    return np.where((band >= 0) & (band < len(levels) - 1), band, NO_BAND).astype(np.uint8)


def contour_levels(values: np.ndarray, count: int = CONTOUR_LEVELS) -> np.ndarray:
    """Levels crowded towards the lowest values, where the valleys are: f_min + (f_max − f_min)·t³."""
    finite = values[np.isfinite(values)]
    low, high = float(finite.min()), float(np.quantile(finite, 0.98))
    return low + (high - low) * np.linspace(0.0, 1.0, count + 1)[1:] ** 3


@dataclass
class MethodRun:
    """One method's trace on the lab's problem, or the reason there is none."""

    method: str
    trace: solvers.Trace | None
    error: str = ""
    columns: dict[str, Any] = field(default_factory=dict)
    key: Any = None  # what the run was computed from, so that an unchanged run is not recomputed
    full: bool = True  # with every column a view shows at an iterate, not only its path (`path_columns`)


def run_method(problem: solvers.Problem, method: str, x0, max_iter: int, tol: float, options: dict,
               key: Any = None, full: bool = True) -> MethodRun:
    """Run one method; bad settings become a message instead of an exception.

    Only the method whose arrows are drawn needs every column (`full`); the others draw their path and
    errors, and run without the per-iterate curvature that only the arrows and readouts show.
    """
    try:
        trace = solvers.run(problem, method, x0=x0, max_iter=max_iter, tol=tol, diagnostics=full, **options)
    except ValueError as error:
        return MethodRun(method, None, error=str(error), key=key, full=full)
    columns = iterate_columns(trace, problem) if full else path_columns(trace, problem)
    return MethodRun(method, trace, columns=columns, key=key, full=full)


def path_columns(trace: solvers.Trace, problem: solvers.Problem) -> dict[str, np.ndarray]:
    """The iterates and their errors, indexed by k: what the trajectory and convergence plots draw."""
    xs, fs = trace.xs, trace.fs
    reference = reference_point(trace, problem)
    with np.errstate(all="ignore"):
        return {
            "k": np.arange(len(xs)), "x": xs[:, 0], "y": xs[:, 1],
            "log_f_error": np.log10(np.maximum(np.abs(fs - reference.f), ERROR_FLOOR)),
            "log_x_error": np.log10(np.maximum(np.linalg.norm(xs - reference.x, axis=1), ERROR_FLOOR)),
        }


def iterate_columns(trace: solvers.Trace, problem: solvers.Problem) -> dict[str, np.ndarray]:
    """Everything a view shows at iterate k, as columns indexed by k (NaN where undefined)."""
    xs, fs = trace.xs, trace.fs
    gradients, newton = trace.column("gradient"), trace.column("newton_direction")
    eigenvalues = trace.column("eigenvalues")
    eigenvectors = trace.column("eigenvectors")
    steps = trace.column("step")
    diagonal = float(np.hypot(*np.ptp(np.array(problem.window), axis=1)))
    with np.errstate(all="ignore"):
        unit_descent = -gradients / np.linalg.norm(gradients, axis=1, keepdims=True)
        newton_end, newton_clipped = clip_to_window(xs, xs + newton, problem.window)
        cross = unit_descent[:, 0] * newton[:, 1] - unit_descent[:, 1] * newton[:, 0]
        magnitudes = np.abs(eigenvalues)
        axis_lengths = AXIS_LENGTH * diagonal * np.sqrt(magnitudes.min(axis=1, keepdims=True) / magnitudes)
        columns = path_columns(trace, problem) | {
            "f": fs, "grad_norm": trace.grad_norms,
            "gradient_end_x": xs[:, 0] + GRADIENT_ARROW * diagonal * unit_descent[:, 0],
            "gradient_end_y": xs[:, 1] + GRADIENT_ARROW * diagonal * unit_descent[:, 1],
            "newton_end_x": newton_end[:, 0], "newton_end_y": newton_end[:, 1], "newton_clipped": newton_clipped,
            "step_end_x": xs[:, 0] + steps[:, 0], "step_end_y": xs[:, 1] + steps[:, 1],
            "step_length": np.linalg.norm(steps, axis=1),
            "angle": np.degrees(np.arctan2(np.abs(cross), np.einsum("ij,ij->i", unit_descent, newton))),
            "lambda_1": eigenvalues[:, 0], "lambda_2": eigenvalues[:, 1],
            "condition": magnitudes.max(axis=1) / magnitudes.min(axis=1),
            "verdict": np.array([VERDICT_TEXT.get(v, "") for v in verdicts(eigenvalues)]),
            "alpha": trace.column("alpha"), "damping": trace.column("damping"), "radius": trace.column("radius"),
            "trust_diameter": 2 * trace.column("radius"),
            "event": np.array(trace.events),
        }
        # The local quadratic model's centre (its stationary point x + p) and first eigenvector, for its contours.
        columns["model_cx"], columns["model_cy"] = (xs + newton).T
        columns["v1_x"], columns["v1_y"] = eigenvectors[:, 0, 0], eigenvectors[:, 1, 0]
        columns["newton_clip_x"] = np.where(newton_clipped, newton_end[:, 0], np.nan)  # where the arrow was cut
        columns["newton_clip_y"] = np.where(newton_clipped, newton_end[:, 1], np.nan)
        for i in (0, 1):  # eigenvector axes through x_k, half-length ∝ 1/√|λᵢ|; negative curvature apart
            half = axis_lengths[:, i : i + 1] * eigenvectors[:, :, i] / 2
            for curvature, keep in (("up", eigenvalues[:, i] >= 0), ("down", eigenvalues[:, i] < 0)):
                ends = np.where(keep[:, None], np.concatenate([xs - half, xs + half], axis=1), np.nan)
                for column, values in zip(("x0", "y0", "x1", "y1"), ends.T):
                    columns[f"axis_{i + 1}_{curvature}_{column}"] = values
    return columns


def damped_step_columns(trace: solvers.Trace, problem: solvers.Problem, damping: float) -> dict[str, np.ndarray]:
    """Where the damped Newton step x − (H + λI)⁻¹∇f ends at every iterate (pulled back to the window), for
    its arrow while damping is on; NaN, no arrow, at λ = 0."""
    xs = trace.xs
    if damping <= 0:
        ends = np.full_like(xs, np.nan)
    else:
        directions = damped_newton_directions(trace.column("eigenvalues"), trace.column("eigenvectors"),
                                              trace.column("gradient"), damping)
        with np.errstate(over="ignore"):  # a finite step near the largest float can overflow x + p: clipped below
            ends, _ = clip_to_window(xs, xs + directions, problem.window)
    return {"damped_end_x": ends[:, 0], "damped_end_y": ends[:, 1]}


def clip_to_window(starts: np.ndarray, ends: np.ndarray, window) -> tuple[np.ndarray, np.ndarray]:
    """Ends pulled back along each segment to the window's edge; and whether each was clipped."""
    low, high = np.array(window).T
    direction = ends - starts
    with np.errstate(all="ignore"):
        leave = np.where(direction > 0, (high - starts) / direction, np.where(direction < 0, (low - starts) / direction, np.inf))
    fraction = np.clip(np.nanmin(np.where(np.isfinite(leave), leave, np.inf), axis=1), 0.0, 1.0)
    return starts + fraction[:, None] * direction, fraction < 1.0


def reference_point(trace: solvers.Trace, problem: solvers.Problem) -> solvers.StationaryPoint:
    """x*, f* for the error plots: the known stationary point where the run ended (a minimum, unless it
    converged to another kind), or, if none is near, the last iterate itself."""
    candidates = [p for p in problem.stationary_points if trace.converged or p.kind == "minimum"]
    nearest = min(candidates, key=lambda p: float(np.linalg.norm(p.x - trace.x)), default=None)
    if trace.converged and (nearest is None or np.linalg.norm(nearest.x - trace.x) > 1e-4):
        return solvers.StationaryPoint(trace.x, trace.stationary_kind or "minimum", float(trace.fs[-1]))
    return nearest if nearest is not None else solvers.StationaryPoint(trace.x, "minimum", float(trace.fs[-1]))
