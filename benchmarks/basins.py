"""Benchmark 2: basin maps, against a bare numpy loop of the same arithmetic and against looping `solvers.run`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np

import solvers

from .report import Section, table, verdict
from .timing import measure_together, ratio, seconds

RESOLUTION, QUICK_RESOLUTION = (256, 256), (48, 48)
MAX_ITER = 50
SAMPLE, QUICK_SAMPLE = 300, 20  # starts run one by one through solvers.run
MAP_TARGET = 0.15  # seconds for himmelblau / newton at 256 × 256
SPEEDUP_TARGET = 50.0  # basin_map over looping solvers.run, scaled to the whole grid


def newton_update(x, y, gx, gy, hxx, hxy, hyy):
    """(x, y) − H⁻¹g for every point, the 2×2 system solved by Cramer's rule."""
    det = hxx * hyy - hxy * hxy
    return x - (hyy * gx - hxy * gy) / det, y - (hxx * gy - hxy * gx) / det


def himmelblau_newton(problem, x, y):
    """A Newton step on f = (x² + y − 11)² + (x + y² − 7)², its gradient and Hessian written out."""
    r1, r2 = x * x + y - 11, x + y * y - 7
    gx, gy = 4 * x * r1 + 2 * r2, 2 * r1 + 4 * y * r2
    return newton_update(x, y, gx, gy, 12 * x * x + 4 * y - 42, 4 * (x + y), 12 * y * y + 4 * x - 26)


def rosenbrock_damped_newton(problem, x, y, damping):
    """A damped Newton step (H + λI)⁻¹g on f = (a − x)² + b (y − x²)²."""
    a, b = problem.params["a"], problem.params["b"]
    valley = y - x * x
    gx, gy = -2 * (a - x) - 4 * b * x * valley, 2 * b * valley
    return newton_update(x, y, gx, gy, 2 - 4 * b * (y - 3 * x * x) + damping, -4 * b * x, 2 * b + damping)


@dataclass(frozen=True, eq=False)  # compared by identity, so that a case can key a dict
class Case:
    label: str
    problem: str
    method: str
    tol: float
    bare_step: Callable
    options: dict = field(default_factory=dict)
    has_map_target: bool = False


CASES = (
    Case("typical: most starts converge early", "himmelblau", "newton", 1e-8, himmelblau_newton,
         has_map_target=True),
    Case("worst case: every start runs all 50 iterations (tol=0)", "rosenbrock", "damped_newton", 0.0,
         rosenbrock_damped_newton, {"damping": 1.0}),
)


def grid(problem: solvers.Problem, resolution: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The starts of `basin_map`'s grid over the problem's window, row by row."""
    rows, cols = resolution
    xs, ys = np.linspace(*problem.window[0], cols), np.linspace(*problem.window[1], rows)
    return np.tile(xs, rows), np.repeat(ys, cols)


def bare_loop(case: Case, problem: solvers.Problem, x: np.ndarray, y: np.ndarray):
    """MAX_ITER steps from every start at once: no convergence test, no bookkeeping."""
    with np.errstate(all="ignore"):
        for _ in range(MAX_ITER):
            x, y = case.bare_step(problem, x, y, **case.options)
    return x, y


def loop_of_runs(case: Case, problem: solvers.Problem, starts: np.ndarray) -> None:
    for x0 in starts:
        solvers.run(problem, case.method, x0, max_iter=MAX_ITER, tol=case.tol, diagnostics=False, **case.options)


def agreement(case: Case, basin_map: solvers.BasinMap, x: np.ndarray, y: np.ndarray) -> str:
    """Share of the starts basin_map saw converge whose bare-loop end point is the same stationary point."""
    labels = basin_map.labels.ravel()
    converged = labels >= 0
    if not converged.any():
        return "— (none converged)"
    targets = basin_map.points[labels[converged]]
    scale = max(high - low for low, high in basin_map.window)
    same = np.hypot(x[converged] - targets[:, 0], y[converged] - targets[:, 1]) <= 1e-5 * scale
    return f"{100 * same.mean():.1f} %"


def run(quick: bool) -> Section:
    section = Section("2. Basin maps")
    resolution, sample_size = (QUICK_RESOLUTION, QUICK_SAMPLE) if quick else (RESOLUTION, SAMPLE)
    repeats = 3 if quick else 15
    prepared, functions = [], {}
    for case in CASES:
        problem = solvers.get_problem(case.problem)
        x, y = grid(problem, resolution)
        chosen = np.random.default_rng(0).choice(x.size, size=sample_size, replace=False)
        starts = np.column_stack([x[chosen], y[chosen]])
        draw = partial(solvers.basin_map, problem, case.method, resolution=resolution, max_iter=MAX_ITER,
                       tol=case.tol, **case.options)
        functions[case, "map"], functions[case, "bare"] = draw, partial(bare_loop, case, problem, x, y)
        functions[case, "loop"] = partial(loop_of_runs, case, problem, starts)
        prepared.append((case, problem, x, y, draw))
    all_timings = measure_together(functions, repeats)
    rows = []
    for case, problem, x, y, draw in prepared:
        timings = {part: all_timings[case, part] for part in ("map", "bare", "loop")}
        basin_map = draw()
        full_runs = np.mean(basin_map.iterations == MAX_ITER)
        map_time = timings["map"].median
        looped = timings["loop"].median * x.size / sample_size
        speedup = looped / map_time
        options = "".join(f", {name}={value}" for name, value in case.options.items())
        call = f"`basin_map({case.problem!r}, {case.method!r}{options}, tol={case.tol:g})`"
        map_verdict = verdict(map_time <= MAP_TARGET, quick) if case.has_map_target else "—"
        rows.append([
            call, case.label, f"{100 * full_runs:.0f} %", f"{np.median(basin_map.iterations):.0f}",
            seconds(map_time), seconds(timings["map"].p95), map_verdict,
            seconds(timings["bare"].median), ratio(map_time / timings["bare"].median),
            agreement(case, basin_map, *bare_loop(case, problem, x, y)),
            seconds(looped), ratio(speedup), verdict(speedup >= SPEEDUP_TARGET, quick),
        ])
        if case.has_map_target:
            section.target(f"Basin map {case.problem} / {case.method}, {resolution[0]} × {resolution[1]}",
                           seconds(map_time), f"≤ {seconds(MAP_TARGET)}", map_time <= MAP_TARGET, quick)
        section.target(f"Basin map {case.problem} / {case.method} vs looping `solvers.run`", ratio(speedup),
                       f"≥ {ratio(SPEEDUP_TARGET)}", speedup >= SPEEDUP_TARGET, quick)
        section.summary.append(
            f"basin map {case.problem}/{case.method}: {seconds(map_time)} "
            f"(bare loop {seconds(timings['bare'].median)}), "
            f"{ratio(speedup)} faster than looping solvers.run")
    section.body += [
        f"`solvers.basin_map(problem, method, resolution={resolution}, max_iter={MAX_ITER})` over the problem's "
        f"window ({resolution[0] * resolution[1]} starts), median and p95 of {repeats} runs. Two baselines, "
        "timed in turns with the map:",
        f"- **bare loop**: {MAX_ITER} full iterations of the same update on every start, vectorised in numpy, the "
        "gradient and Hessian written out inline and each 2×2 system solved by Cramer's rule, with no "
        "convergence test and no bookkeeping. *map / bare* above 1× is the price of the engine's generality "
        "(problem methods, checks, labelling the end points); below 1× the map gains by dropping converged starts. "
        "*agrees* is the share of the starts the map saw converge for which the bare loop ends on the same "
        "stationary point.\n"
        f"- **looping `solvers.run`**: `run(problem, method, x0, max_iter={MAX_ITER}, tol=…, "
        f"diagnostics=False)` from {sample_size} starts drawn at random (seed 0) from the same grid, the total "
        f"scaled by {x.size}/{sample_size} to the whole grid. The speed-up is that estimate over the map's median.",
        f"The map target (≤ {seconds(MAP_TARGET)}) is the issue's, for himmelblau / newton; the worst case is "
        "shown for what it costs when no start leaves the batch early.",
        table(["call", "case", "starts running all iterations", "median iterations", "map (median)", "map (p95)",
               f"≤ {seconds(MAP_TARGET)}", "bare loop (median)", "map / bare", "agrees",
               "looping run, whole grid (est.)", "speed-up", f"≥ {ratio(SPEEDUP_TARGET)}"], rows),
    ]
    return section
