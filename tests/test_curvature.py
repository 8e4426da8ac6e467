"""The Hessian's eigen-analysis, the local quadratic model and the empirical order of convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import solvers
from solvers.curvature import (
    VERDICT_TEXT,
    convergence_order,
    convergence_orders,
    damped_newton_directions,
    eigen_analysis,
    newton_directions,
    quadratic_model,
    stationary_kind,
)
from solvers.linalg import symmetric_eigen, symmetric_eigen_stack

EPS = np.finfo(float).eps


def rotated(eigenvalues, degrees=35.0):
    """R diag(eigenvalues) Rᵀ for a rotation R by `degrees` in the (x₁, x₂) plane."""
    d = len(eigenvalues)
    turn = np.eye(d)
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    turn[:2, :2] = [[c, -s], [s, c]]
    return turn @ np.diag(eigenvalues) @ turn.T


# -- verdicts and condition numbers --------------------------------------------------------------

VERDICTS = [
    ([1.0, 4.0], "positive definite", "minimum"),
    ([0.0, 4.0], "positive semidefinite", None),
    ([-1.0, 4.0], "indefinite", "saddle"),
    ([-4.0, -1.0], "negative definite", "maximum"),
    ([-4.0, 0.0], "negative semidefinite", None),
    ([0.0, 0.0], "singular", None),
    ([1.0, 2.0, 3.0], "positive definite", "minimum"),
    ([-1.0, 0.0, 3.0], "indefinite", "saddle"),
]


@pytest.mark.parametrize("eigenvalues, verdict, kind", VERDICTS)
def test_verdict_follows_the_signs_of_the_eigenvalues(eigenvalues, verdict, kind):
    curvature = eigen_analysis(rotated(eigenvalues))
    assert curvature.verdict == verdict and curvature.explanation == VERDICT_TEXT[verdict]
    assert curvature.positive_definite == (verdict == "positive definite")
    assert stationary_kind(curvature) == kind


def test_an_eigenvalue_below_the_relative_threshold_counts_as_zero():
    curvature = eigen_analysis(np.diag([1e-12, 1.0]))
    assert curvature.verdict == "positive semidefinite" and curvature.condition_number == math.inf


@pytest.mark.parametrize(
    "eigenvalues, condition_number",
    [([1.0, 100.0], 100.0), ([-2.0, 8.0], 4.0), ([-5.0, -5.0], 1.0), ([0.5, 2.0, 1e3], 2e3), ([0.0, 1.0], math.inf)],
)
def test_condition_number_is_the_ratio_of_extreme_eigenvalue_magnitudes(eigenvalues, condition_number):
    assert eigen_analysis(rotated(eigenvalues)).condition_number == pytest.approx(condition_number, rel=1e-10)


def test_eigenvalues_are_ascending_with_orthonormal_eigenvectors():
    H = rotated([3.0, -1.0, 2.0], degrees=-70.0)
    curvature = eigen_analysis(H)
    np.testing.assert_allclose(curvature.eigenvalues, [-1.0, 2.0, 3.0], atol=1e-14)
    Q = curvature.eigenvectors
    np.testing.assert_allclose(Q.T @ Q, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(H @ Q, Q * curvature.eigenvalues, atol=1e-14)


# -- Newton directions for a stack of Hessians -----------------------------------------------------

entries = st.floats(-1.0, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(a=entries, b=entries, c=entries, exponent=st.integers(-100, 100))
def test_batched_newton_direction_solves_each_system(a, b, c, exponent):
    """−H⁻¹g through the batched eigen-decomposition equals a direct solve, at every scale."""
    H = 10.0**exponent * np.array([[a, b], [b, c]])
    g = np.array([0.3, -0.7])
    eigenvalues, Q, directions = newton_directions(H[None], g[None])
    size = max(np.abs(H).max(), np.finfo(float).tiny)  # below it, floats have fewer digits than ε promises
    np.testing.assert_allclose(eigenvalues[0], np.linalg.eigvalsh(H), rtol=0, atol=8 * EPS * size)
    condition_number = eigen_analysis(H).condition_number
    representable = np.abs(g).max() / 1e300 < np.abs(eigenvalues[0]).min()  # ‖H⁻¹g‖ does not overflow
    if condition_number < 1e8 and representable:
        np.testing.assert_allclose(H @ directions[0], -g, rtol=0, atol=1e-6)
    elif not np.isfinite(condition_number):
        assert np.isnan(directions[0]).all()
    else:  # ill-conditioned: whatever comes out is a whole direction or none (NaN), never a part of one
        assert np.isnan(directions[0]).all() or np.isfinite(directions[0]).all()


def test_batched_newton_directions_mark_singular_and_non_finite_hessians():
    hessians = np.array([[[2.0, 0.0], [0.0, 4.0]], [[1.0, 0.0], [0.0, 0.0]], [[np.inf, 0.0], [0.0, 1.0]]])
    gradients = np.array([[2.0, 4.0], [1.0, 1.0], [1.0, 1.0]])
    eigenvalues, Q, directions = newton_directions(hessians, gradients)
    np.testing.assert_allclose(directions[0], [-1.0, -1.0])
    assert np.isnan(directions[1]).all() and np.isfinite(eigenvalues[1]).all()
    assert np.isnan(directions[2]).all() and np.isnan(eigenvalues[2]).all()


@settings(max_examples=200, deadline=None)
@given(a=entries, b=entries, c=entries, damping=st.floats(1e-3, 1e3))
def test_damped_newton_direction_solves_the_damped_system(a, b, c, damping):
    """−(H + λI)⁻¹g from H's eigen-decomposition equals a direct solve of the damped system."""
    H = rotated([a, c]) + b * np.array([[0.0, 1.0], [1.0, 0.0]])
    g = np.array([0.3, -0.7])
    eigenvalues, Q = symmetric_eigen_stack(H[None])
    direction = damped_newton_directions(eigenvalues, Q, g[None], damping)[0]
    damped = H + damping * np.eye(2)
    if np.linalg.cond(damped) < 1e8:
        np.testing.assert_allclose(damped @ direction, -g, rtol=0, atol=1e-9 * max(1.0, damping))
    else:
        assert np.isnan(direction).all() or np.isfinite(direction).all()


def test_damping_slides_the_newton_step_to_a_gradient_step_of_length_one_over_lambda():
    H, g = rotated([0.5, 40.0]), np.array([1.0, 2.0])
    eigenvalues, Q = symmetric_eigen_stack(H[None])
    np.testing.assert_allclose(damped_newton_directions(eigenvalues, Q, g[None], 0.0)[0], -np.linalg.solve(H, g))
    for damping in (1e6, 1e9):  # λ → ∞: −(H + λI)⁻¹g → −g/λ, gradient descent with η = 1/λ
        direction = damped_newton_directions(eigenvalues, Q, g[None], damping)[0]
        np.testing.assert_allclose(damping * direction, -g, rtol=50 / damping)


# -- the 2×2 closed form -----------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(a=entries, b=entries, c=entries, exponent=st.integers(-100, 100))
def test_closed_form_2x2_eigensystem_agrees_with_lapack_at_every_scale(a, b, c, exponent):
    H = 10.0**exponent * np.array([[a, b], [b, c]])
    size = max(np.abs(H).max(), np.finfo(float).tiny)
    eigenvalues, Q = symmetric_eigen(H)
    np.testing.assert_allclose(eigenvalues, np.linalg.eigh(H)[0], rtol=0, atol=8 * EPS * size)
    np.testing.assert_allclose(Q.T @ Q, np.eye(2), atol=8 * EPS)
    np.testing.assert_allclose(H @ Q, Q * eigenvalues, rtol=0, atol=8 * EPS * size)
    stacked_eigenvalues, stacked_Q = symmetric_eigen_stack(np.array([H, 2 * H]))  # the same formula, batched
    np.testing.assert_allclose(stacked_eigenvalues, [eigenvalues, 2 * eigenvalues], rtol=0, atol=8 * EPS * size)
    np.testing.assert_allclose(stacked_Q, [Q, Q], rtol=0, atol=8 * EPS)


# -- the quadratic model --------------------------------------------------------------------------


def test_quadratic_model_is_exact_on_a_quadratic():
    """Taylor's expansion f + gᵀs + ½ sᵀHs has no remainder when f is quadratic."""
    problem = solvers.get_problem("quadratic", kappa=50.0, angle=20.0)
    x = np.array([0.7, -1.3])
    X, Y = np.meshgrid(np.linspace(-3, 3, 41), np.linspace(-3, 3, 37))
    model = quadratic_model(problem.f(x), problem.grad(x), problem.hess(x), x, X, Y)
    np.testing.assert_allclose(model, problem.f(np.array([X, Y])), rtol=1e-12, atol=1e-12)


def test_quadratic_model_matches_f_to_second_order_on_rosenbrock():
    """Elsewhere the model's error shrinks like ‖s‖³: a tenth of the distance, a thousandth of the error."""
    problem = solvers.get_problem("rosenbrock")
    x = np.array([-0.5, 0.5])
    f, g, H = problem.f(x), problem.grad(x), problem.hess(x)
    direction = np.array([0.6, -0.8])

    def error(h):
        X, Y = x + h * direction
        return abs(quadratic_model(f, g, H, x, X, Y) - problem.f(x + h * direction))

    assert error(1e-2) / error(1e-1) == pytest.approx(1e-3, rel=0.2)


# -- empirical order of convergence ---------------------------------------------------------------


def test_squaring_errors_have_order_two():
    errors = 0.5 ** (2.0 ** np.arange(7))  # e_{k+1} = e_k²
    assert convergence_order(errors) == pytest.approx(2.0, rel=1e-12)


def test_geometric_errors_have_order_one():
    errors = 3.0 * 0.7 ** np.arange(30)  # e_{k+1} = 0.7 e_k
    np.testing.assert_allclose(convergence_orders(errors), 1.0, rtol=1e-10)
    assert convergence_order(errors) == pytest.approx(1.0, rel=1e-10)


def test_secant_like_errors_have_the_golden_ratio_as_order():
    errors = [0.9, 0.9]
    while errors[-1] > 1e-12:
        errors.append(errors[-1] * errors[-2])  # e_{k+1} = e_k e_{k−1}
    assert convergence_order(np.array(errors)) == pytest.approx((1 + math.sqrt(5)) / 2, rel=1e-3)


def test_errors_at_the_floor_are_ignored():
    errors = np.array([1e-1, 1e-2, 1e-4, 1e-8, 1e-16, 0.0])
    orders = convergence_orders(errors)
    assert np.isnan(orders[-2:]).all()
    assert convergence_order(errors) == pytest.approx(2.0)


def test_fewer_than_three_errors_have_no_order():
    assert convergence_orders(np.array([1.0, 0.1])).size == 0
    assert math.isnan(convergence_order(np.array([1.0, 0.1])))
