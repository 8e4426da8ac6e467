"""Textbook facts about second-order optimisation, checked on the engine's traces.

Each test states one fact from Nocedal & Wright (or the lecture it illustrates) and measures it.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import best_on_circle, cosine, distances, model_decrease, relative_error

import solvers
from solvers.curvature import convergence_order
from solvers.methods.quasi_newton import CompactPairs, PlanePairs, inverse_bfgs_update
from solvers.methods.trust_region import solve_secular_equation

ARMIJO_C1, WOLFE_C2 = 1e-4, 0.9  # the engine's line-search constants (solvers.linesearch defaults)


def first_step(trace):
    return trace.steps[0]


def gradient_tol(problem, x0=None, relative=1e-8):
    """A stopping tolerance relative to the gradient at the start, so it suits the problem's scale."""
    x0 = problem.x0 if x0 is None else np.asarray(x0, dtype=float)
    return relative * float(np.linalg.norm(problem.grad(x0)))


# -- Newton's method on quadratics --------------------------------------------------------------


@pytest.mark.parametrize("angle", [0.0, 30.0, -60.0, 90.0])
@pytest.mark.parametrize("kappa", [1.0, 10.0, 1e3, 1e6])
def test_newton_minimises_any_spd_quadratic_in_one_step(kappa, angle):
    problem = solvers.get_problem("quadratic", kappa=kappa, angle=angle)
    trace = solvers.run(problem, "newton", tol=gradient_tol(problem))
    assert trace.status == "converged" and trace.n_iter == 1
    assert np.linalg.norm(trace.x - problem.x_star) <= 1e-10 * np.linalg.norm(problem.x0 - problem.x_star)


@pytest.mark.parametrize("d", [5, 50])
def test_newton_minimises_a_d_dimensional_quadratic_in_one_step(d):
    problem = solvers.get_problem("quadratic_nd", d=d, kappa=1e4)
    trace = solvers.run(problem, "newton", tol=gradient_tol(problem))
    assert trace.status == "converged" and trace.n_iter == 1
    assert relative_error(trace.x, problem.x_star) <= 1e-10


# -- rates of convergence -------------------------------------------------------------------------


def test_gradient_descent_iterations_grow_linearly_with_the_condition_number():
    """With η = 1/λmax the slow mode contracts by 1 − 1/κ per step: about κ log(1/ε) iterations."""
    kappas = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    iterations = []
    for kappa in kappas:
        trace = solvers.run(solvers.get_problem("quadratic", kappa=kappa), "gd", lr=1 / kappa,
                            max_iter=100_000, tol=1e-4, diagnostics=False)
        assert trace.status == "converged"
        iterations.append(trace.n_iter)
    slope = np.polyfit(np.log(kappas), np.log(iterations), 1)[0]
    assert 0.85 <= slope <= 1.15


@pytest.mark.parametrize("name, x0", [("rosenbrock", (0.95, 0.9)), ("himmelblau", (3.3, 1.7))])
def test_newton_converges_quadratically_near_a_minimum(name, x0):
    problem = solvers.get_problem(name)
    trace = solvers.run(problem, "newton", x0=x0, tol=1e-13)
    assert trace.stationary_kind == "minimum"
    x_star = min((m.x for m in problem.minima), key=lambda m: np.linalg.norm(m - trace.x))
    assert 1.8 <= convergence_order(distances(trace, x_star)) <= 2.2


def test_gradient_descent_converges_linearly_on_a_quadratic():
    problem = solvers.get_problem("quadratic")
    trace = solvers.run(problem, "gd", lr=0.005, max_iter=2000, tol=1e-12)
    assert 0.9 <= convergence_order(distances(trace, problem.x_star)) <= 1.1


# -- damped Newton interpolates between Newton and gradient descent --------------------------------

ROSENBROCK = solvers.get_problem("rosenbrock")
X0 = ROSENBROCK.x0  # H is positive definite here, with eigenvalues ≈ 24 and 1506
G0, H0 = ROSENBROCK.grad(X0), ROSENBROCK.hess(X0)


def damped_first_step(damping):
    return first_step(solvers.run(ROSENBROCK, "damped_newton", max_iter=1, damping=damping))


@pytest.mark.parametrize("damping", [1e4, 1e6, 1e8])
def test_heavy_damping_turns_the_step_into_gradient_descent_with_rate_one_over_lambda(damping):
    """(H + λI)⁻¹ = (I − H/λ + …)/λ, so λp = −g + O(‖H‖/λ) ‖g‖."""
    p = damped_first_step(damping).direction
    bound = 2 * np.linalg.norm(H0, 2) / damping
    assert 1 - cosine(p, -G0) <= bound
    assert np.linalg.norm(damping * p + G0) <= bound * np.linalg.norm(G0)


@pytest.mark.parametrize("damping", [1e-4, 1e-6, 1e-8])
def test_light_damping_gives_the_pure_newton_step(damping):
    """(H + λI)⁻¹ = H⁻¹ − λH⁻² + …, so the step differs from −H⁻¹g by O(λ ‖H⁻¹‖) relatively."""
    step = damped_first_step(damping)
    bound = 2 * damping * np.linalg.norm(np.linalg.inv(H0), 2)
    assert relative_error(step.direction, step.newton_direction) <= bound


# -- saddles ----------------------------------------------------------------------------------

NEAR_SADDLE = (0.3, 0.1)  # f = x² − y² has its saddle at the origin


def test_pure_newton_jumps_onto_a_saddle():
    """Newton finds a zero of ∇f whatever its kind: on x² − y² it lands on the saddle in one step."""
    trace = solvers.run("saddle", "newton", x0=NEAR_SADDLE)
    assert trace.status == "converged" and trace.stationary_kind == "saddle"
    np.testing.assert_allclose(trace.x, [0.0, 0.0], atol=1e-15)


def test_saddle_free_newton_escapes_a_saddle_downhill():
    """|H|⁻¹ flips the negative curvature: the step goes down along y, so f falls without bound."""
    trace = solvers.run("saddle", "saddle_free_newton", x0=NEAR_SADDLE, max_iter=200)
    assert trace.status == "diverged"
    assert np.all(np.diff(trace.fs) < 0)
    assert np.all(np.diff(np.abs(trace.xs[:, 1])) > 0)
    assert np.linalg.norm(trace.x) > 1e6 * np.linalg.norm(NEAR_SADDLE)


# -- least squares and likelihoods ------------------------------------------------------------


def test_gauss_newton_solves_rosenbrocks_residuals_in_at_most_three_steps():
    """r = (1 − x, 10(y − x²)) has a square Jacobian, so Gauss–Newton is Newton on r = 0."""
    trace = solvers.run("rosenbrock", "gauss_newton", x0=(-1.2, 1.0), tol=1e-10)
    assert trace.status == "converged" and trace.n_iter <= 3
    np.testing.assert_allclose(trace.x, [1.0, 1.0], rtol=1e-12)


def test_natural_gradient_reaches_the_gaussian_mle_in_far_fewer_steps_than_gradient_descent():
    """Far from the sample mean with a wide σ, ∂f/∂μ = (μ − m)/σ² is tiny; F⁻¹ rescales it by σ².

    (Near the MLE, with σ² ≈ 0.4, F ≈ ∇²f ≈ 2I and gradient descent is as fast at the same η: the
    natural gradient's advantage is that its speed does not depend on where it starts.)
    """
    problem = solvers.get_problem("gaussian_mle")
    x0, lr = (-20.0, 3.0), 0.5  # both methods are stable at this η
    natural = solvers.run(problem, "natural_gradient", x0=x0, lr=lr, max_iter=10_000, tol=1e-6)
    plain = solvers.run(problem, "gd", x0=x0, lr=lr, max_iter=10_000, tol=1e-6)
    assert natural.status == plain.status == "converged"
    assert natural.n_iter < plain.n_iter / 3
    mle = [problem.sample.mean(), np.log(problem.sample.std())]  # σ̂² = (1/n) Σ (xᵢ − x̄)²
    np.testing.assert_allclose(natural.x, mle, atol=1e-6)


# -- Newton-CG ------------------------------------------------------------------------------------


def test_newton_cg_with_enough_cg_steps_takes_the_exact_newton_step():
    """CG solves Hp = −g exactly in d steps in exact arithmetic; rounding delays it by a few steps."""
    d = 20
    problem = solvers.get_problem("quadratic_nd", d=d)
    step = first_step(solvers.run(problem, "newton_cg", max_iter=1, cg_iters=2 * d, cg_tol=1e-12))
    newton = -np.linalg.solve(problem.A, problem.grad(problem.x0))
    assert step.alpha == 1.0 and step.inner_iterations <= 2 * d
    assert relative_error(step.direction, newton) <= 1e-10


@pytest.mark.parametrize("name", ["quadratic_nd", "logistic_regression"])
def test_newton_cg_never_forms_the_hessian(name):
    trace = solvers.run(name, "newton_cg")
    assert trace.status == "converged"
    assert trace.evaluations.hess == 0 and trace.evaluations.hvp > 0


# -- trust region ---------------------------------------------------------------------------------

CONVEX = solvers.get_problem("quadratic", kappa=10.0)


def test_trust_region_with_a_big_radius_takes_the_newton_step():
    trace = solvers.run(CONVEX, "trust_region", radius=100.0, tol=gradient_tol(CONVEX))
    step = first_step(trace)
    np.testing.assert_allclose(step.step, step.newton_direction, rtol=1e-12)
    assert trace.status == "converged" and trace.n_iter == 1


def test_trust_region_with_a_small_radius_steps_to_the_model_minimiser_on_the_boundary():
    radius = 0.5
    assert np.linalg.norm(np.linalg.solve(CONVEX.A, CONVEX.grad(CONVEX.x0))) > radius  # Newton is outside
    step = first_step(solvers.run(CONVEX, "trust_region", radius=radius, max_iter=1))
    assert step.accepted
    assert np.linalg.norm(step.step) == pytest.approx(radius, rel=1e-9)
    g = CONVEX.grad(CONVEX.x0)
    assert model_decrease(g, CONVEX.A, step.step) <= best_on_circle(g, CONVEX.A, radius) + 1e-12


def test_trust_region_leaves_a_saddle_along_negative_curvature_in_the_hard_case():
    """On the stable axis of x² − y², g = (2x, 0) has no component along the negative curvature
    direction y: (H + λI)p = −g alone never leaves the axis, the hard case must add a y-component."""
    x0, radius = (0.5, 0.0), 1.0
    problem = solvers.get_problem("saddle")
    trace = solvers.run(problem, "trust_region", x0=x0, radius=radius, max_iter=1)
    step = first_step(trace)
    assert step.accepted and trace.fs[1] < trace.fs[0]
    assert np.linalg.norm(step.step) == pytest.approx(radius, rel=1e-9)
    assert abs(step.step[1]) > 0.5 * radius
    g, H = problem.grad(np.array(x0)), problem.hess(np.array(x0))
    assert model_decrease(g, H, step.step) <= best_on_circle(g, H, radius) + 1e-12


@pytest.mark.parametrize("seed", range(50))
def test_secular_equation_puts_the_step_on_the_boundary_in_a_few_newton_steps(seed):
    """From the left of its root, Newton on 1/‖p(λ)‖ − 1/Δ rises monotonically to it (Moré & Sorensen)."""
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 6))
    eigenvalues, g_hat = np.sort(rng.normal(size=d) * 10), rng.normal(size=d)
    lowest = max(0.0, -eigenvalues[0])
    radius = 0.5 * np.linalg.norm(g_hat / (eigenvalues + lowest + 1.0))  # inside: the root is beyond λ = lowest + 1
    lam, p_hat, iterations = solve_secular_equation(g_hat, eigenvalues, radius, lowest)
    assert lam > lowest
    np.testing.assert_allclose(p_hat, -g_hat / (eigenvalues + lam), rtol=1e-15)
    assert np.linalg.norm(p_hat) == pytest.approx(radius, rel=1e-9)
    assert iterations <= 6  # started from the right of the root, Newton overshoots and bisects: up to 9 here


# -- Newton with a line search --------------------------------------------------------------------

INDEFINITE_STARTS = ["himmelblau", "six_hump_camel"]  # their default starts have H not positive definite


@pytest.mark.parametrize("name", INDEFINITE_STARTS)
def test_newton_line_search_shifts_an_indefinite_hessian_and_descends(name):
    trace = solvers.run(name, "newton_ls")
    assert first_step(trace).eigenvalues[0] < 0
    assert "shifted" in first_step(trace).event and first_step(trace).damping > 0
    assert np.all(np.diff(trace.fs) < 0)
    assert trace.stationary_kind == "minimum"


@pytest.mark.parametrize("name", INDEFINITE_STARTS + ["rosenbrock"])
def test_newton_line_search_steps_satisfy_armijo(name):
    trace = solvers.run(name, "newton_ls")
    for k, step in enumerate(trace.steps[:-1]):
        slope = step.gradient @ step.direction
        assert slope < 0
        assert trace.fs[k + 1] <= trace.fs[k] + ARMIJO_C1 * step.alpha * slope


# -- Levenberg–Marquardt --------------------------------------------------------------------------

LM_RUNS = {
    "rosenbrock": {"curvature": "gauss_newton"},
    "six_hump_camel": {"curvature": "hessian"},
}


@pytest.fixture(params=list(LM_RUNS), scope="module")
def lm_trace(request):
    return solvers.run(request.param, "levenberg_marquardt", max_iter=500, **LM_RUNS[request.param])


def test_levenberg_marquardt_converges_to_a_minimum(lm_trace):
    assert lm_trace.status == "converged" and lm_trace.stationary_kind == "minimum"


def test_levenberg_marquardt_rejected_steps_keep_x_and_raise_lambda(lm_trace):
    steps = lm_trace.steps
    rejected = [k for k in range(lm_trace.n_iter) if not steps[k].accepted]
    assert rejected, "this run is expected to reject some steps"
    for k in rejected:
        assert np.all(steps[k].step == 0) and np.array_equal(lm_trace.xs[k + 1], lm_trace.xs[k])
        assert steps[k + 1].damping > steps[k].damping


def test_levenberg_marquardt_events_say_truly_whether_lambda_went_down(lm_trace):
    """An event 'λ lowered to …' must mean the next λ is smaller (Nielsen's rule raises λ when ρ < ½)."""
    steps = lm_trace.steps
    for now, after in zip(steps[:-2], steps[1:-1]):
        if "lowered" in now.event:
            assert after.damping < now.damping, now.event


# -- quasi-Newton ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["bfgs", "lbfgs"])
@pytest.mark.parametrize("name", ["quadratic", "rosenbrock"])
def test_quasi_newton_converges_to_the_minimum(method, name):
    problem = solvers.get_problem(name)
    trace = solvers.run(problem, method, max_iter=200)
    assert trace.status == "converged"
    np.testing.assert_allclose(trace.x, problem.minima[0].x, atol=1e-7)


@pytest.mark.parametrize("method", ["bfgs", "lbfgs", "newton_cg"])
@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "beale"])
def test_line_search_steps_satisfy_the_strong_wolfe_conditions(method, name):
    trace = solvers.run(name, method, max_iter=200)
    for k, step in enumerate(trace.steps[:-1]):
        slope = step.gradient @ step.direction
        assert trace.fs[k + 1] <= trace.fs[k] + ARMIJO_C1 * step.alpha * slope, k
        assert abs(trace.steps[k + 1].gradient @ step.direction) <= WOLFE_C2 * abs(slope), k


def curvature_pairs(rng, count, d):
    """Random pairs (s, y) with sᵀy > 0, as a descent method meets them: y = As for a random SPD A."""
    pairs = []
    for _ in range(count):
        factor = rng.normal(size=(d, d))
        s = rng.normal(size=d)
        pairs.append((s, (factor @ factor.T + 0.1 * np.eye(d)) @ s))
    return pairs


@pytest.mark.parametrize("d", [2, 5])
def test_inverse_bfgs_update_is_the_product_form_and_meets_the_secant_equation(d):
    rng = np.random.default_rng(d)
    H = np.eye(d)
    for s, y in curvature_pairs(rng, 6, d):
        rho, identity = 1.0 / (y @ s), np.eye(d)
        product_form = (identity - rho * np.outer(s, y)) @ H @ (identity - rho * np.outer(y, s)) + rho * np.outer(s, s)
        H = inverse_bfgs_update(H, s, y)
        np.testing.assert_allclose(H, product_form, rtol=1e-12, atol=1e-12 * np.abs(product_form).max())
        np.testing.assert_allclose(H @ y, s, rtol=1e-10)  # H⁻¹₊ y = s
        np.testing.assert_allclose(H, H.T, rtol=0, atol=0)


@pytest.mark.parametrize("memory", [1, 3, 10])
def test_two_loop_recursion_in_the_plane_equals_the_compact_form(memory):
    """The plane's pairs (floats, two-loop) and the compact form give the same H⁻¹g, also once pairs are forgotten."""
    rng = np.random.default_rng(memory)
    plane, compact = PlanePairs(memory), CompactPairs(memory, 2)
    for s, y in curvature_pairs(rng, 2 * memory + 3, 2):
        plane.remember(s, y)
        compact.remember(s, y)
        assert len(plane) == len(compact)
        g = rng.normal(size=2)
        np.testing.assert_allclose(plane.inverse_hessian_times(g), compact.inverse_hessian_times(g), rtol=1e-9)


# -- first-order methods with memory --------------------------------------------------------------


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
def test_momentum_converges_faster_than_gradient_descent_at_the_same_rate(method):
    problem = solvers.get_problem("quadratic")  # κ = 100
    plain = solvers.run(problem, "gd", lr=0.01, max_iter=5000, tol=1e-6)
    fast = solvers.run(problem, method, lr=0.01, beta=0.9, max_iter=5000, tol=1e-6)
    assert plain.status == fast.status == "converged"
    assert fast.n_iter < plain.n_iter / 2


def test_adam_converges_on_the_quadratic():
    trace = solvers.run("quadratic", "adam", lr=0.05, max_iter=5000, tol=1e-6)
    assert trace.status == "converged"
    assert np.linalg.norm(trace.x) < 1e-5


# -- what every method records ----------------------------------------------------------------

RECORD_RUNS = {  # a short run of each method on a problem it applies to
    "gd": ("rosenbrock", {"lr": 1e-3}),
    "momentum": ("rosenbrock", {"lr": 1e-4}),
    "nesterov": ("rosenbrock", {"lr": 1e-4}),
    "adam": ("rosenbrock", {"lr": 0.05}),
    "newton": ("rosenbrock", {}),
    "damped_newton": ("rosenbrock", {"damping": 1.0}),
    "newton_ls": ("himmelblau", {}),
    "trust_region": ("rosenbrock", {}),
    "levenberg_marquardt": ("six_hump_camel", {"curvature": "hessian"}),
    "saddle_free_newton": ("six_hump_camel", {}),
    "bfgs": ("rosenbrock", {}),
    "lbfgs": ("rosenbrock", {}),
    "gauss_newton": ("beale", {}),
    "natural_gradient": ("gaussian_mle", {"lr": 0.5}),
    "newton_cg": ("rosenbrock", {}),
}


def test_record_runs_cover_every_method():
    assert sorted(RECORD_RUNS) == sorted(solvers.list_methods())


@pytest.fixture(params=list(RECORD_RUNS), scope="module")
def record(request):
    """(problem, trace) of a short run of one method."""
    name, options = RECORD_RUNS[request.param]
    problem = solvers.get_problem(name)
    return problem, solvers.run(problem, request.param, max_iter=40, **options)


def test_trace_has_one_record_per_iterate_and_only_the_last_has_no_step(record):
    _, trace = record
    assert trace.n_iter >= 1
    assert [s.k for s in trace.steps] == list(range(trace.n_iter + 1))
    assert all(s.step is not None and s.direction is not None for s in trace.steps[:-1])
    last = trace.steps[-1]
    assert last.step is None and last.direction is None and last.event == trace.message


def test_trace_starts_at_x0(record):
    problem, trace = record
    np.testing.assert_array_equal(trace.xs[0], problem.x0)


def test_each_iterate_is_the_last_plus_its_step(record):
    _, trace = record
    for k, step in enumerate(trace.steps[:-1]):
        rounding = 4 * np.finfo(float).eps * np.abs(trace.xs[k : k + 2]).max()
        np.testing.assert_allclose(trace.xs[k + 1], trace.xs[k] + step.step, rtol=0, atol=rounding)


def test_accepted_steps_are_alpha_times_direction_and_rejected_ones_are_zero(record):
    _, trace = record
    for step in trace.steps[:-1]:
        if step.accepted:
            np.testing.assert_allclose(step.step, step.alpha * step.direction, rtol=1e-12,
                                       atol=1e-15 * np.linalg.norm(step.x))
        else:
            assert np.all(step.step == 0)


def test_two_dimensional_iterates_record_the_hessian_eigensystem_and_newton_direction(record):
    problem, trace = record
    for step in trace.steps:
        H = problem.hess(step.x)
        Q, eigenvalues = step.eigenvectors, step.eigenvalues
        np.testing.assert_allclose(Q @ np.diag(eigenvalues) @ Q.T, H, atol=1e-12 * np.abs(H).max())
        if step.newton_direction is None:
            assert np.abs(eigenvalues).min() <= 1e-10 * np.abs(eigenvalues).max()
        else:
            residual = H @ step.newton_direction + step.gradient
            scale = np.linalg.norm(H, 2) * np.linalg.norm(step.newton_direction) + np.linalg.norm(step.gradient)
            assert np.linalg.norm(residual) <= 1e-10 * scale


def test_newton_direction_is_none_where_the_hessian_is_singular():
    """Rosenbrock's Hessian is singular on the parabola y = x² + 1/200, e.g. at (0, 0.005)."""
    trace = solvers.run("rosenbrock", "gd", x0=(0.0, 0.005), max_iter=1, lr=1e-4)
    here = first_step(trace)
    assert here.newton_direction is None
    assert here.eigenvalues[0] == 0.0 and here.eigenvalues[1] > 0


def test_evaluation_counts_are_cumulative(record):
    _, trace = record
    counts = np.array([s.evaluations for s in trace.steps])
    assert np.all(np.diff(counts, axis=0) >= 0)
    assert counts[-1].sum() > 0
