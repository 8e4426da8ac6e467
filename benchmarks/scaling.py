"""Benchmark 3: time per iteration against the dimension d, on logistic regression, with log-log slopes."""

from __future__ import annotations

from functools import partial

import numpy as np

import solvers

from .report import Section, table
from .timing import measure_together, seconds

DIMENSIONS, QUICK_DIMENSIONS = (10, 30, 100, 300, 1000, 2000), (10, 30, 100)
N_SAMPLES = 2000  # held fixed across d, so that a slope shows how an iteration's cost grows with d alone
ITERATIONS = {"gd": 30, "lbfgs": 8, "newton_cg": 4, "newton": 3}  # few enough that none converges (to the last digit)
FIT_FROM = (100, 300)  # slopes fitted on d ≥ each; the fixed cost of an iteration still shows at d = 100
EXPECTED = {  # exponent range expected of time per iteration ∝ d^slope, and why
    "gd": ((0.8, 1.3), "an iteration is f and ∇f at the new point, three products with the n × d data matrix, "
                       "O(nd)"),
    "lbfgs": ((0.8, 1.3), "f and ∇f at O(nd) for each line-search trial, plus the two-loop recursion at O(md)"),
    "newton_cg": ((0.8, 1.6), "Hessian-vector products at O(nd) each, times the CG steps per iteration"),
    "newton": ((1.6, 3.1), "forming H = XᵀWX/n costs O(nd²) and solving with it O(d³); with n ≥ d the first "
                           "dominates, so about d² is expected, d³ only once d ≫ n"),
}


def run(quick: bool) -> Section:
    section = Section("3. Scaling with dimension")
    dimensions = QUICK_DIMENSIONS if quick else DIMENSIONS
    repeats, budget = (3, 0.5) if quick else (25, 6.0)
    per_iteration = {method: [] for method in ITERATIONS}
    cg_steps, notes = [], []
    for d in dimensions:
        problem = solvers.get_problem("logistic_regression", d=d, n_samples=N_SAMPLES)
        timings = measure_together({
            (method, k): partial(solvers.run, problem, method, max_iter=k, tol=0)
            for method, iterations in ITERATIONS.items() for k in (iterations, 0)
        }, repeats, budget=budget)
        for method, iterations in ITERATIONS.items():
            trace = solvers.run(problem, method, max_iter=iterations, tol=0)
            extra = timings[method, iterations].median - timings[method, 0].median
            per_iteration[method].append(extra / max(trace.n_iter, 1))
            if trace.n_iter != iterations:
                notes.append(f"{method} at d = {d} stopped after {trace.n_iter} iterations ({trace.status})")
            if method == "newton_cg":
                cg_steps.append(np.nanmean(trace.column("inner_iterations")))
    ranges = list({tuple(fit_range(dimensions, low)): None for low in FIT_FROM})  # distinct, in order
    slopes = [{method: fit_slope(dimensions, times, fitted) for method, times in per_iteration.items()}
              for fitted in ranges]
    rows = [[d, *(seconds(per_iteration[m][i]) for m in ITERATIONS), f"{cg_steps[i]:.1f}"]
            for i, d in enumerate(dimensions)]
    rows += [[f"**slope, d = {fitted[0]}–{fitted[-1]}**", *(f"**{fit[m]:.2f}**" for m in ITERATIONS), ""]
             for fitted, fit in zip(ranges, slopes)]
    section.body += [
        f"`solvers.run(logistic_regression(d=d, n_samples={N_SAMPLES}), method, max_iter=k, tol=0)` with "
        + ", ".join(f"k = {k} for `{m}`" for m, k in ITERATIONS.items())
        + f". **n_samples is held fixed at {N_SAMPLES}** for every d, so that the slopes show how an iteration's "
        "cost grows with d alone (with n = 2d every slope would carry an extra d from the data). Time per "
        "iteration = (median time of the run − median time of the same run with `max_iter=0`) / iterations, so "
        "that the set-up and the first f and ∇f are not counted; medians of "
        f"{repeats} runs, fewer (but at least 3) where a run is slow. Diagnostics are off by default at d > 3. The "
        "slope is the least-squares fit of log(time per iteration) against log(d) (`numpy.polyfit`) over the "
        "upper range of d, from two starting points to show how much the choice matters.",
        table(["d", *(f"`{m}` per iteration" for m in ITERATIONS), "`newton_cg` CG steps per iteration"], rows),
        interpretation(slopes[-1], ranges[-1], per_iteration, dimensions, cg_steps),
    ]
    if notes:
        section.body.append(f"Runs that stopped early (time per iteration uses their own count): {'; '.join(notes)}.")
    section.summary.append(f"scaling slopes (time/iteration ∝ d^s, d = {ranges[-1][0]}–{ranges[-1][-1]}): "
                           + ", ".join(f"{m} {s:.2f}" for m, s in slopes[-1].items()))
    return section


def fit_range(dimensions, low: int) -> list[int]:
    """The dimensions from `low` up, or the two largest where fewer reach it (a quick run)."""
    fitted = [d for d in dimensions if d >= low]
    return fitted if len(fitted) >= 2 else list(dimensions[-2:])


def fit_slope(dimensions, times, fitted) -> float:
    """The exponent s of time ∝ d^s fitted on the dimensions in `fitted`."""
    chosen = [i for i, d in enumerate(dimensions) if d in fitted]
    logs = np.log([dimensions[i] for i in chosen]), np.log([max(times[i], 1e-12) for i in chosen])
    return float(np.polyfit(*logs, 1)[0])


def interpretation(slopes, fitted, per_iteration, dimensions, cg_steps) -> str:
    """A sentence a method: the slope fitted on `fitted`, what theory expects and why, and whether they agree."""
    sentences = []
    for method, slope in slopes.items():
        (low, high), reason = EXPECTED[method]
        fits = "as expected" if low <= slope <= high else f"outside the expected {low:g}–{high:g}"
        sentences.append(f"- `{method}`: d^{slope:.2f}, {fits}: {reason}.")
    first = [times[0] for times in per_iteration.values()]
    sentences.append(
        f"- At d = {dimensions[0]} an iteration costs {seconds(min(first))} to {seconds(max(first))}: Python's "
        f"fixed cost and the O(n) work on the n = {N_SAMPLES} margins (an exp and a log per sample), neither of "
        f"which grows with d; both still weigh at d = {FIT_FROM[0]} and flatten the slopes fitted from there. BLAS "
        "also runs large products more efficiently than small ones, which can pull a slope a little below the "
        "exponent of the operation count. "
        f"`newton_cg` takes {cg_steps[0]:.1f} CG steps per iteration at d = {dimensions[0]} and {cg_steps[-1]:.1f} "
        f"at d = {dimensions[-1]}; its slope is that of its O(nd) products scaled by this count.")
    return f"**Reading the slopes fitted on d = {fitted[0]}–{fitted[-1]}.**\n\n" + "\n".join(sentences)
