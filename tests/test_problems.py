"""The problem catalogue: analytic derivatives against finite differences, batches, landmarks, options."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import norm

from solvers.problems import KINDS, get_problem, list_problems

# Small instances of the d-dimensional problems, so that finite differences stay cheap.
SMALL = {"quadratic_nd": {"d": 5}, "logistic_regression": {"d": 5, "n_samples": 60}}
CATALOGUE = [
    "rosenbrock", "quadratic", "himmelblau", "saddle", "monkey_saddle", "beale", "six_hump_camel",
    "gaussian_mle", "logistic_2d", "quadratic_nd", "logistic_regression",
]


def small(name):
    return get_problem(name, **SMALL.get(name, {}))


def names_where(has):
    """The problems with some structure, so that each test runs only where it applies."""
    return [name for name in list_problems() if has(small(name))]


@pytest.fixture(params=list_problems())
def problem(request):
    return small(request.param)


def sample_points(problem, count=4, seed=1):
    """x0 and `count - 1` random points: uniform in the window, or standard normal without one."""
    rng = np.random.default_rng(seed)
    if problem.window is None:
        others = rng.standard_normal((count - 1, problem.dim))
    else:
        low, high = np.array(problem.window).T
        others = rng.uniform(low, high, size=(count - 1, problem.dim))
    return [np.array(problem.x0, dtype=float)] + list(others)


def central_differences(fun, x):
    """∂fun/∂xⱼ by central differences, stacked on the last axis (a gradient, Hessian or Jacobian)."""
    h = 1e-6 * max(1.0, np.max(np.abs(x)))
    steps = h * np.eye(len(x))
    return np.stack([(fun(x + e) - fun(x - e)) / (2 * h) for e in steps], axis=-1)


def assert_matches_differences(analytic, numeric, scale, rtol=1e-6):
    """Norm-wise relative agreement; `scale` sizes the round-off of the differences (e.g. |f| or ‖∇f‖)."""
    error = np.max(np.abs(analytic - numeric))
    assert error <= rtol * (np.max(np.abs(analytic)) + scale + 1e-3), (analytic, numeric)


def is_two_dimensional(problem):
    return problem.window is not None


# -- the catalogue ---------------------------------------------------------------------------


def test_catalogue_order():
    assert list_problems() == CATALOGUE


def test_describe_is_json(problem):
    description = json.loads(json.dumps(problem.describe()))
    assert description["name"] == problem.name and description["dim"] == problem.dim


def test_x0_and_window_make_sense(problem):
    x0 = np.asarray(problem.x0)
    assert x0.shape == (problem.dim,)
    assert np.isfinite(problem.f(x0))
    if is_two_dimensional(problem):
        assert problem.dim == 2
        for value, (low, high) in zip(x0, problem.window):
            assert low < value < high
        for point in problem.stationary_points:
            if point.kind == "minimum":
                assert all(low <= v <= high for v, (low, high) in zip(point.x, problem.window))
    else:
        assert problem.window is None


# -- analytic derivatives ---------------------------------------------------------------------


def test_gradient_matches_finite_differences(problem):
    for x in sample_points(problem):
        numeric = central_differences(problem.f, x)
        assert_matches_differences(problem.grad(x), numeric, scale=abs(problem.f(x)))


def test_hessian_matches_finite_differences_of_gradient(problem):
    for x in sample_points(problem):
        numeric = central_differences(problem.grad, x)
        assert_matches_differences(problem.hess(x), numeric, scale=np.max(np.abs(problem.grad(x))))


def test_hessian_is_symmetric(problem):
    for x in sample_points(problem):
        hessian = problem.hess(x)
        np.testing.assert_allclose(hessian, hessian.T, rtol=1e-12, atol=1e-12 * np.max(np.abs(hessian)))


def test_hvp_matches_hessian_times_vector(problem):
    rng = np.random.default_rng(2)
    for x in sample_points(problem):
        v = rng.standard_normal(problem.dim)
        expected = problem.hess(x) @ v
        np.testing.assert_allclose(problem.hvp(x, v), expected, rtol=1e-10, atol=1e-12 * np.max(np.abs(expected)))


@pytest.mark.parametrize("name", names_where(lambda p: p.has_residuals))
def test_residuals_and_jacobian(name):
    problem = small(name)
    for x in sample_points(problem):
        r, jacobian = problem.residuals(x), problem.jacobian(x)
        assert jacobian.shape == (len(r), problem.dim)
        np.testing.assert_allclose(problem.f(x), np.sum(r**2), rtol=1e-12)
        np.testing.assert_allclose(problem.grad(x), 2 * jacobian.T @ r, rtol=1e-10, atol=1e-10)
        numeric = central_differences(problem.residuals, x)
        assert_matches_differences(jacobian, numeric, scale=np.max(np.abs(r)))


@pytest.mark.parametrize("name", names_where(lambda p: p.has_fisher))
def test_fisher_is_symmetric_positive_semidefinite(name):
    problem = small(name)
    for x in sample_points(problem):
        fisher = problem.fisher(x)
        assert fisher.shape == (problem.dim, problem.dim)
        np.testing.assert_allclose(fisher, fisher.T, rtol=1e-12)
        assert np.linalg.eigvalsh(fisher).min() >= -1e-12 * np.abs(fisher).max()


@pytest.mark.parametrize("name", names_where(lambda p: p.window is not None))
def test_batch_equals_pointwise(name):
    problem = small(name)
    low, high = np.array(problem.window).T
    batch = np.random.default_rng(3).uniform(low, high, size=(3, 4, 2)).transpose(2, 0, 1)  # (2, 3, 4)
    functions = [problem.f, problem.grad, problem.hess]
    functions += [fun for fun in (problem.residuals, problem.jacobian, problem.fisher) if fun is not None]
    for fun in functions:
        batched = np.asarray(fun(batch))
        for index in np.ndindex(3, 4):
            pointwise = np.asarray(fun(batch[(slice(None), *index)]))
            assert batched.shape == pointwise.shape + (3, 4), fun.__name__
            np.testing.assert_allclose(batched[(..., *index)], pointwise, rtol=1e-12, atol=1e-12, err_msg=fun.__name__)


@pytest.mark.parametrize("name", names_where(lambda p: p.componentwise))
def test_componentwise_problems_take_a_point_as_python_floats(name):
    """The oracle hands them points as lists of floats: every function must give what it gives for an array."""
    problem = small(name)
    functions = [problem.f, problem.grad, problem.hess, problem.hessian_operator]
    functions += [fun for fun in (problem.residuals, problem.jacobian, problem.fisher) if fun is not None]
    v = np.array([0.3, -0.7])
    for x in sample_points(problem):
        for fun in functions:
            from_floats, from_array = fun(x.tolist()), fun(x)
            if fun == problem.hessian_operator:
                from_floats, from_array = from_floats(v), from_array(v)
            assert np.shape(from_floats) == np.shape(from_array), fun.__name__
            np.testing.assert_allclose(from_floats, from_array, rtol=1e-14, atol=1e-300, err_msg=fun.__name__)


# -- stationary points ------------------------------------------------------------------------


def test_stationary_points_are_stationary_and_of_their_kind(problem):
    assert problem.stationary_points, "every problem knows at least one stationary point"
    for point in problem.stationary_points:
        assert point.kind in KINDS
        assert np.linalg.norm(problem.grad(point.x)) < 1e-8
        assert point.f == pytest.approx(problem.f(point.x))
        eigenvalues = np.linalg.eigvalsh(problem.hess(point.x))
        if np.min(np.abs(eigenvalues)) <= 1e-8 * max(1.0, np.max(np.abs(eigenvalues))):
            continue  # singular: the Hessian cannot tell the kind (the monkey saddle)
        expected = {"minimum": (True, False), "maximum": (False, True), "saddle": (True, True)}[point.kind]
        assert (bool(np.any(eigenvalues > 0)), bool(np.any(eigenvalues < 0))) == expected, (point, eigenvalues)


def test_stationary_points_are_distinct(problem):
    points = [p.x for p in problem.stationary_points]
    for i, a in enumerate(points):
        for b in points[:i]:
            assert np.linalg.norm(a - b) > 1e-6


def kinds(problem):
    return [p.kind for p in problem.stationary_points]


def test_himmelblau_has_four_minima_four_saddles_one_maximum():
    counted = kinds(get_problem("himmelblau"))
    assert (counted.count("minimum"), counted.count("saddle"), counted.count("maximum")) == (4, 4, 1)
    assert get_problem("himmelblau").f_min == pytest.approx(0.0, abs=1e-20)


def test_six_hump_camel_has_two_global_minima():
    problem = get_problem("six_hump_camel")
    counted = kinds(problem)
    assert (counted.count("minimum"), counted.count("saddle"), counted.count("maximum")) == (6, 7, 2)
    assert problem.f_min == pytest.approx(-1.0316, abs=1e-4)
    global_minima = [p.x for p in problem.minima if p.f < problem.f_min + 1e-10]
    assert sorted(np.round(x, 4).tolist() for x in global_minima) == [[-0.0898, 0.7127], [0.0898, -0.7127]]


def test_beale_minimum_and_saddles():
    problem = get_problem("beale")
    assert kinds(problem) == ["minimum", "saddle", "saddle"]
    np.testing.assert_allclose(problem.minima[0].x, [3.0, 0.5], atol=1e-12)


def test_monkey_saddle_has_a_zero_hessian_at_its_saddle():
    (point,) = get_problem("monkey_saddle").stationary_points
    assert point.kind == "saddle"
    assert not np.any(get_problem("monkey_saddle").hess(point.x))


# -- the individual problems ------------------------------------------------------------------


def test_quadratic_matrix():
    problem = get_problem("quadratic", kappa=100, angle=30)
    np.testing.assert_allclose(np.linalg.eigvalsh(problem.A), [1.0, 100.0])
    np.testing.assert_allclose(problem.hess(problem.x0), problem.A)
    stiff_direction = np.linalg.eigh(problem.A)[1][:, 1]
    assert abs(stiff_direction @ [-np.sin(np.pi / 6), np.cos(np.pi / 6)]) == pytest.approx(1.0)


def test_quadratic_nd_spectrum_and_minimum():
    problem = get_problem("quadratic_nd", d=6, kappa=1e3, seed=4)
    np.testing.assert_allclose(np.linalg.eigvalsh(problem.A), np.logspace(0, 3, 6), rtol=1e-10)
    (minimum,) = problem.minima
    assert problem.f(minimum.x) == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_array_equal(problem.x0, np.zeros(6))
    assert not np.array_equal(get_problem("quadratic_nd", d=6, seed=5).A, problem.A)


@pytest.mark.parametrize("name", ["quadratic", "quadratic_nd"])
def test_quadratic_data_cannot_be_changed_by_a_caller(name):
    problem = get_problem(name)
    hessian = problem.hess(problem.x0)
    hessian += 1.0  # a method may damp the Hessian it was given in place
    np.testing.assert_array_equal(problem.hess(problem.x0), problem.A)
    with pytest.raises(ValueError):
        problem.A[0, 0] = 1.0


def test_gaussian_mle_matches_the_sample():
    problem = get_problem("gaussian_mle")
    sample = problem.sample
    assert len(sample) == 50
    mu, s = 0.3, 0.2
    assert problem.f(np.array([mu, s])) == pytest.approx(-np.mean(norm.logpdf(sample, mu, np.exp(s))))
    (minimum,) = problem.minima
    np.testing.assert_allclose(minimum.x, [sample.mean(), np.log(sample.std(ddof=0))], rtol=1e-12)
    np.testing.assert_allclose(problem.fisher(minimum.x), problem.hess(minimum.x), rtol=1e-12)


def test_logistic_2d_fisher_equals_hessian_and_data_are_not_separable():
    for ridge in (0.0, 0.1):
        problem = get_problem("logistic_2d", ridge=ridge)
        for w in sample_points(problem):
            np.testing.assert_allclose(problem.fisher(w), problem.hess(w), rtol=1e-12)
    t, positive = problem.signed_features[:, 1] * problem.labels, problem.labels > 0
    assert t[positive].max() > t[~positive].min() and t[~positive].max() > t[positive].min()


def test_logistic_regression_hvp_never_forms_the_hessian(monkeypatch):
    problem = get_problem("logistic_regression", d=50, n_samples=80)
    w, v = np.full(50, 0.1), np.ones(50)
    expected = problem.hess(w) @ v
    monkeypatch.setattr(problem, "hess", lambda x: pytest.fail("hvp formed the Hessian"))
    np.testing.assert_allclose(problem.hvp(w, v), expected, rtol=1e-10)


@pytest.mark.parametrize("d, n_samples, ridge", [(2, 500, 1e-3), (200, 500, 1e-3), (200, 60, 1e-6), (3, 2, 1e-8), (3, 1, 1e-8)])
def test_logistic_regression_finds_its_minimum(d, n_samples, ridge):
    problem = get_problem("logistic_regression", d=d, n_samples=n_samples, ridge=ridge)
    (minimum,) = problem.stationary_points
    assert np.linalg.norm(problem.grad(minimum.x)) < 1e-8
    assert np.linalg.eigvalsh(problem.hess(minimum.x)).min() > 0


def test_logistic_regression_fisher_equals_hessian():
    problem = get_problem("logistic_regression", **SMALL["logistic_regression"])
    w = np.random.default_rng(5).standard_normal(5)
    np.testing.assert_allclose(problem.fisher(w), problem.hess(w))


# -- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("quadratic", {"kappa": 0}, "kappa must be a number ≥ 1"),
        ("quadratic", {"angle": 1000}, "angle must be a number ≥ -90 and ≤ 90"),
        ("quadratic", {"kapa": 3}, "its options are: kappa, angle"),
        ("himmelblau", {"a": 1}, "its options are: none"),
        ("quadratic_nd", {"d": 2.5}, "d must be an integer ≥ 1 and ≤ 5000"),
        ("logistic_regression", {"ridge": 0}, "ridge must be a number ≥ 1e-08"),
        ("gaussian_mle", {"n_samples": 1}, "n_samples must be an integer ≥ 2"),
        ("no_such_problem", {}, "valid problems: rosenbrock, quadratic, himmelblau"),
    ],
)
def test_invalid_parameters_say_what_is_valid(name, params, message):
    with pytest.raises(ValueError, match=message):
        get_problem(name, **params)


def test_parameters_are_validated_and_kept(problem):
    rebuilt = get_problem(problem.name, **problem.params)
    assert rebuilt.params == problem.params
    np.testing.assert_array_equal(rebuilt.x0, problem.x0)
