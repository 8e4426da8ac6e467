"""The engine's public interface: catalogues, `run`, the Trace it returns, and how it refuses bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from helpers import is_one_sentence, json_round_trip

import solvers

PROBLEM_NAMES = [
    "rosenbrock", "quadratic", "himmelblau", "saddle", "monkey_saddle", "beale", "six_hump_camel",
    "gaussian_mle", "logistic_2d", "quadratic_nd", "logistic_regression",
]
METHOD_NAMES = [
    "gd", "momentum", "nesterov", "adam", "newton", "damped_newton", "newton_ls", "trust_region",
    "levenberg_marquardt", "saddle_free_newton", "bfgs", "lbfgs", "gauss_newton", "natural_gradient", "newton_cg",
]

# -- catalogues ---------------------------------------------------------------------------------


def test_every_problem_is_listed():
    assert sorted(solvers.list_problems()) == sorted(PROBLEM_NAMES)


def test_every_method_is_listed():
    assert sorted(solvers.list_methods()) == sorted(METHOD_NAMES)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_describe_method_is_json(name):
    description = solvers.describe_method(name)
    assert json_round_trip(description) == description
    assert description["name"] == name and description["title"] and description["formula"]


@pytest.mark.parametrize("name", PROBLEM_NAMES)
def test_problem_describe_is_json(name):
    description = json_round_trip(solvers.get_problem(name).describe())
    assert description["name"] == name


# -- run and its Trace ------------------------------------------------------------------------


def test_run_accepts_a_problem_object_with_its_parameters():
    problem = solvers.get_problem("quadratic", kappa=10.0, angle=0.0)
    trace = solvers.run(problem, "newton")
    assert trace.problem == "quadratic" and trace.params == {"kappa": 10.0, "angle": 0.0}
    np.testing.assert_array_equal(trace.x, [0.0, 0.0])


def test_run_by_name_starts_at_the_default_x0():
    trace = solvers.run("rosenbrock", "gd", lr=1e-3, max_iter=5)
    np.testing.assert_array_equal(trace.xs[0], solvers.get_problem("rosenbrock").x0)


def test_run_records_the_given_x0():
    trace = solvers.run("rosenbrock", "newton", x0=[0.5, -0.25], max_iter=3)
    np.testing.assert_array_equal(trace.xs[0], [0.5, -0.25])


@pytest.mark.parametrize("name, d", [("rosenbrock", 2), ("quadratic_nd", 10)])
def test_trace_arrays_have_one_row_per_iterate(name, d):
    trace = solvers.run(name, "gd", lr=1e-3, max_iter=7)
    assert trace.status == "max_iter" and trace.n_iter == 7
    assert trace.xs.shape == (8, d)
    assert trace.fs.shape == trace.grad_norms.shape == (8,)
    np.testing.assert_allclose(trace.grad_norms, np.linalg.norm([s.gradient for s in trace.steps], axis=1))


@pytest.mark.parametrize("method", ["trust_region", "levenberg_marquardt", "newton_cg"])
def test_each_iterate_is_its_row_of_the_columns(method):
    """`steps` and `column` show the same record: None in an iterate is NaN in its column."""
    trace = solvers.run("rosenbrock", method, x0=(-1.5, 2.5), max_iter=12)
    for field in dataclasses.fields(solvers.Iterate):
        if field.name == "event":
            assert [s.event for s in trace.steps] == list(trace.events)
            continue
        column = trace.column(field.name)
        assert field.name not in trace.columns or not column.flags.writeable  # shared, so read-only
        for k, step in enumerate(trace.steps):
            value = getattr(step, field.name)
            expected = np.full(column[k].shape, np.nan) if value is None else np.asarray(value, dtype=float)
            np.testing.assert_array_equal(column[k], expected, err_msg=f"{field.name} at k = {k}")
    np.testing.assert_array_equal(trace.column("step")[:-1], np.diff(trace.xs, axis=0))
    with pytest.raises(ValueError, match="no column 'gradients'"):
        trace.column("gradients")


def test_hessian_diagnostics_are_recorded_by_default_only_in_small_dimensions():
    small = solvers.run("rosenbrock", "gd", lr=1e-3, max_iter=2)
    large = solvers.run("quadratic_nd", "gd", lr=1e-3, max_iter=2)
    forced = solvers.run("quadratic_nd", "gd", lr=1e-3, max_iter=2, diagnostics=True)
    assert all(s.eigenvalues is not None for s in small.steps)
    assert all(s.eigenvalues is None and s.newton_direction is None for s in large.steps)
    assert all(s.eigenvalues is not None and s.newton_direction is not None for s in forced.steps)


OUTCOMES = {  # status → a run that ends with it
    "converged": ("quadratic", "newton", {}),
    "max_iter": ("rosenbrock", "gd", {"lr": 1e-3, "max_iter": 5}),
    "diverged": ("rosenbrock", "gd", {"lr": 10.0}),
    "failed": ("rosenbrock", "newton", {"x0": (0.0, 0.005)}),  # H = diag(0, 200) there
    "failed at x0": ("gaussian_mle", "gd", {"x0": (0.0, -400.0)}),  # e^{−2s} overflows: f = ∞
}


@pytest.fixture(params=list(OUTCOMES), scope="module")
def outcome(request):
    """(expected status, trace)."""
    name, method, options = OUTCOMES[request.param]
    return request.param.split()[0], solvers.run(name, method, **options)


def test_each_outcome_has_its_status(outcome):
    status, trace = outcome
    assert trace.status == status and status in solvers.STATUSES


def test_message_is_one_sentence_and_names_the_status(outcome):
    status, trace = outcome
    assert is_one_sentence(trace.message), trace.message
    assert trace.message.startswith({"max_iter": "stopped"}.get(status, status))


def test_trace_to_dict_round_trips_through_json(outcome):
    _, trace = outcome
    data = trace.to_dict()
    assert json_round_trip(data) == data
    assert data["status"] == trace.status and len(data["steps"]) == trace.n_iter + 1


def test_stationary_kind_is_only_named_for_converged_runs(outcome):
    status, trace = outcome
    assert (trace.stationary_kind is not None) == (status == "converged")


# -- numerical trouble ends the run, never raises ------------------------------------------------


def test_gradient_descent_with_a_huge_learning_rate_diverges_with_finite_iterates():
    trace = solvers.run("rosenbrock", "gd", x0=(1e3, 1e3), lr=1e3)
    assert trace.status == "diverged"
    assert np.all(np.isfinite(trace.xs)) and np.all(np.isfinite(trace.fs))
    assert "diverged" in trace.message and "learning rate" in trace.message


def test_pure_newton_at_a_singular_hessian_fails():
    trace = solvers.run("rosenbrock", "newton", x0=(0.0, 0.005))
    assert trace.status == "failed" and trace.n_iter == 0
    assert "singular" in trace.message


def test_damping_that_cancels_a_negative_eigenvalue_fails():
    """On x² − y², H + 2I = diag(4, 0) is singular."""
    trace = solvers.run("saddle", "damped_newton", damping=2.0)
    assert trace.status == "failed" and "singular" in trace.message


def test_a_start_where_f_overflows_fails_at_once():
    trace = solvers.run("gaussian_mle", "newton", x0=(0.0, -400.0))
    assert trace.status == "failed" and trace.n_iter == 0
    assert "not finite" in trace.message


# -- bad arguments raise ValueError saying what is valid ----------------------------------------


def refusal(*args, **kwargs) -> str:
    """The message of the ValueError that run(*args, **kwargs) raises."""
    with pytest.raises(ValueError) as error:
        solvers.run(*args, **kwargs)
    return str(error.value)


def test_unknown_problem_lists_the_valid_ones():
    message = refusal("banana", "newton")
    assert "banana" in message and all(name in message for name in PROBLEM_NAMES)


def test_unknown_method_lists_the_valid_ones():
    message = refusal("rosenbrock", "newtonn")
    assert "newtonn" in message and all(name in message for name in METHOD_NAMES)


def test_an_option_the_method_does_not_take_is_refused():
    message = refusal("rosenbrock", "newton", lr=0.1)
    assert "'lr'" in message and "newton" in message


def test_an_unknown_option_lists_the_methods_options():
    message = refusal("rosenbrock", "adam", momentum=0.9)
    assert all(name in message for name in ("lr", "beta1", "beta2", "eps"))


@pytest.mark.parametrize(
    "method, options, valid",
    [
        ("damped_newton", {"damping": -1.0}, "≥ 0"),
        ("gd", {"lr": 0.0}, "> 0"),
        ("gd", {"lr": -0.1}, "> 0"),
        ("lbfgs", {"memory": 0}, "≥ 1"),
        ("lbfgs", {"memory": 2.5}, "an integer"),
        ("lbfgs", {"memory": "3"}, "an integer"),
        ("gd", {"lr": math.nan}, "a number"),
        ("gd", {"lr": math.inf}, "a number"),
        ("damped_newton", {"damping": math.inf}, "a number"),
        ("momentum", {"beta": 1.5}, "≤ 1"),
        ("gd", {"lr": True}, "a number"),
        ("levenberg_marquardt", {"curvature": "exact"}, "'gauss_newton', 'hessian'"),
    ],
)
def test_an_invalid_option_value_is_refused_with_its_valid_range(method, options, valid):
    message = refusal("rosenbrock", method, **options)
    (name,) = options
    assert message.startswith(name) and valid in message


@pytest.mark.parametrize(
    "limits, valid",
    [
        ({"max_iter": -1}, "≥ 0"),
        ({"max_iter": 2.5}, "an integer"),
        ({"tol": -1e-8}, "≥ 0"),
        ({"tol": math.nan}, "a number"),
    ],
)
def test_invalid_stopping_rules_are_refused(limits, valid):
    message = refusal("rosenbrock", "newton", **limits)
    assert valid in message


@pytest.mark.parametrize("x0", [(1.0, 2.0, 3.0), (1.0,), (1.0, math.nan), (math.inf, 0.0), "ab"])
def test_a_bad_start_is_refused(x0):
    assert "x0 must be 2 finite numbers" in refusal("rosenbrock", "newton", x0=x0)


def test_gauss_newton_needs_residuals():
    message = refusal("saddle", "gauss_newton")
    assert "residuals" in message and "saddle has none" in message and "rosenbrock" in message


def test_natural_gradient_needs_a_fisher_matrix():
    message = refusal("rosenbrock", "natural_gradient")
    assert "Fisher" in message and "rosenbrock has none" in message and "gaussian_mle" in message


def test_levenberg_marquardt_with_gauss_newton_curvature_needs_residuals():
    assert "residuals" in refusal("saddle", "levenberg_marquardt", curvature="gauss_newton")


def test_a_trust_radius_beyond_its_maximum_is_refused():
    message = refusal("rosenbrock", "trust_region", radius=10.0, max_radius=1.0)
    assert "radius" in message and "max_radius" in message
