"""Property tests: every method on every problem it applies to, from any start, with any valid options.

Hypothesis draws the problem's parameters, the start (inside the view window, far out to ±1e6, or an
edge case such as an exact stationary point), the run's max_iter, tol and diagnostics, and the method's
options, each from its `Option`'s declared valid range (log-uniform where `log=True`, with the bounds
themselves, the default and None as edge cases). What the driver promises must then hold: `solvers.run`
does not raise, the status is one of STATUSES, every recorded x, f and ‖∇f‖ is finite, there are at
most max_iter steps, the message says something, `to_dict()` is strict JSON, and a converged run has
‖∇f‖ ≤ tol. Values just outside an option's range, NaN, infinities and values of the wrong type must
raise ValueError naming the option.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
from helpers import json_round_trip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import solvers
from solvers import METHODS, PROBLEMS, RUN_OPTIONS, STATUSES
from solvers.linalg import norm
from solvers.options import Option

LOG_FLOOR = 1e-12  # a log-uniform draw on a range starting at 0 starts here; 0 (or 5e-324) is an edge case
UNBOUNDED = 1e6  # how far a draw goes on the side of a range that is declared without a bound
# d-dimensional problems stay tiny, so that d ≤ 3 also exercises the per-iterate diagnostics by default.
PROBLEM_CAPS = {"d": 3, "n_samples": 50}
MAX_ITER = 60
FAR = 1e6

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def applicable(method: str, problem: str) -> bool:
    try:
        METHODS[method].check_applicable(solvers.get_problem(problem))
    except ValueError:
        return False
    return True


PAIRS = [(m, p) for m in METHODS for p in PROBLEMS if applicable(m, p)]


# -- valid values of a declared option ------------------------------------------------------------------


def range_of(option: Option, cap: float | None = None) -> tuple[float, float]:
    """(lowest valid value, highest value to draw) of a numeric option."""
    low = -UNBOUNDED if option.low is None else option.low
    if option.low_open:
        low = math.floor(low) + 1 if option.integer else math.nextafter(low, math.inf)
    high = low + UNBOUNDED if option.high is None else option.high
    return low, high if cap is None else min(high, cap)


def log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats spread evenly over the decades of [low, high]; a range starting at 0 starts at LOG_FLOOR."""
    start = max(low, min(LOG_FLOOR, high))
    exponents = st.floats(math.log10(start), math.log10(high))
    return exponents.map(lambda e: min(max(10.0**e, low), high))


def other_types(value):
    """The same valid value as int, float, numpy or Fraction, wherever it converts exactly."""
    if isinstance(value, int):
        return [value, np.int64(value), float(value)]
    same = [value, np.float64(value), Fraction(value)]
    return same + ([int(value)] if value.is_integer() and abs(value) < 2**53 else [])


def valid_values(option: Option, cap: float | None = None) -> st.SearchStrategy:
    """Any value the option's declaration allows, its bounds and default among them."""
    if option.choices is not None:
        values = st.sampled_from(option.choices)
    else:
        low, high = range_of(option, cap)
        if option.integer:
            body = st.integers(int(low), int(high))
            if option.log:
                body = log_uniform(low, high).map(round)
        elif option.log:
            body = log_uniform(low, high)
        else:
            body = st.floats(low, high)
        edges = [e for e in (low, high, option.default) if e is not None and low <= e <= high]
        edges = [int(e) if option.integer else float(e) for e in edges]
        values = st.one_of(body, st.sampled_from(edges)).flatmap(lambda v: st.sampled_from(other_types(v)))
    return st.one_of(st.none(), values) if option.allow_none else values


def option_values(declared: dict[str, Option], caps: dict[str, float] | None = None) -> st.SearchStrategy[dict]:
    """Some of the declared options (the others keep their defaults, unless capped), each drawn valid."""
    caps = caps or {}
    drawn = {n: valid_values(o, caps.get(n)) for n, o in declared.items()}
    always = {n: values for n, values in drawn.items() if n in caps}  # a default may lie above the cap
    return st.fixed_dictionaries(always, optional={n: v for n, v in drawn.items() if n not in caps})


@functools.cache
def method_options(method: str) -> st.SearchStrategy[dict]:
    return option_values(METHODS[method].options)


TOLERANCE = valid_values(RUN_OPTIONS["tol"])


@functools.cache
def problem_parameters(name: str) -> st.SearchStrategy[dict]:
    return option_values(PROBLEMS[name].parameters, PROBLEM_CAPS)


@functools.cache
def problems(name: str) -> st.SearchStrategy[solvers.Problem]:
    return problem_parameters(name).map(lambda params: solvers.get_problem(name, **params))


# -- invalid values of a declared option ----------------------------------------------------------------

WRONG_TYPES = ["1.0", "", b"1", [1.0], (1,), {"value": 1}, 1 + 0j, True, False, np.array([1.0, 2.0]), object()]
NON_FINITE = [math.nan, math.inf, -math.inf, np.float64(math.nan), np.float64(math.inf), np.float64(-math.inf)]


def out_of_range(option: Option) -> st.SearchStrategy:
    """Numbers just below or above the declared range, and floats far outside it."""
    beyond = []
    if option.low is not None:
        edge = option.low if option.low_open else math.nextafter(option.low, -math.inf)
        beyond += [st.just(edge), st.floats(max_value=edge, allow_nan=False, allow_infinity=False)]
        if option.integer:
            top = math.ceil(option.low) - (0 if option.low_open else 1)
            beyond.append(st.integers(top - 10**6, top))
    if option.high is not None:
        edge = math.nextafter(option.high, math.inf)
        beyond += [st.just(edge), st.floats(min_value=edge, allow_nan=False, allow_infinity=False)]
        if option.integer:
            beyond.append(st.integers(math.floor(option.high) + 1, math.floor(option.high) + 10**6))
    if option.integer:  # not whole numbers, inside the range
        low, high = range_of(option)
        beyond.append(st.floats(low, high).filter(lambda v: not v.is_integer()))
    return st.one_of(beyond) if beyond else st.nothing()


def invalid_values(option: Option) -> st.SearchStrategy:
    if option.choices is not None:
        names = st.text(max_size=12).filter(lambda s: s not in option.choices)
        wrong = st.one_of(names, st.sampled_from(WRONG_TYPES + NON_FINITE + [0, 1.5]))
    else:
        wrong = st.one_of(out_of_range(option), st.sampled_from(WRONG_TYPES + NON_FINITE))
    return wrong if option.allow_none else st.one_of(wrong, st.none())


# -- starts ---------------------------------------------------------------------------------------------

EDGE_COORDINATES = [0.0, -0.0, 1.0, -1.0, FAR, -FAR, 1e-300, -5e-324, 1e3, -1e3, 1e300, -1e155]  # powers overflow


@dataclass(frozen=True)
class NearLandmark:
    """x₀ or a known stationary point (the index wraps around them), moved by `offset` in every coordinate."""

    index: int
    offset: float

    def point(self, problem: solvers.Problem) -> np.ndarray:
        landmarks = [np.asarray(problem.x0, dtype=float)] + [p.x for p in stationary_points(problem)]
        return landmarks[self.index % len(landmarks)] + self.offset


@functools.cache
def starts(name: str, dim: int) -> st.SearchStrategy:
    """Points in the view window, far out to ±1e6, and edge cases: x0, stationary points, odd coordinates.

    Window and x0 are the same for every instance of a problem with that dimension; stationary points
    depend on the parameters, so they are looked up only when a NearLandmark is drawn.
    """
    problem = solvers.get_problem(name, **({"d": dim} if "d" in PROBLEMS[name].parameters else {}))
    box = problem.window if problem.window is not None else ((-3.0, 3.0),) * dim
    inside = st.tuples(*(st.floats(low, high) for low, high in box))
    magnitude = st.tuples(st.sampled_from([-1.0, 1.0]), st.floats(-3.0, math.log10(FAR))).map(lambda t: t[0] * 10 ** t[1])
    far = st.lists(st.one_of(st.floats(-FAR, FAR), magnitude), min_size=dim, max_size=dim)
    landmark = st.builds(NearLandmark, st.integers(0, 20), st.one_of(st.just(0.0), st.floats(-1e-6, 1e-6)))
    coordinates = EDGE_COORDINATES + [c for pair in box for c in pair] + list(np.asarray(problem.x0, float))
    odd = st.lists(st.sampled_from(coordinates), min_size=dim, max_size=dim)
    return st.one_of(inside, far, landmark, odd)


def stationary_points(problem: solvers.Problem) -> tuple[solvers.StationaryPoint, ...]:
    """The problem's known stationary points; none where locating them fails (a bug of its own, tested below)."""
    try:
        return problem.stationary_points
    except np.linalg.LinAlgError:
        return ()


def starts_finite(problem: solvers.Problem, x0) -> bool:
    """f(x₀) and ‖∇f(x₀)‖ are finite, as the driver needs them to take a first step (‖·‖ as it measures it)."""
    x = np.asarray(x0, dtype=float)
    with np.errstate(all="ignore"):
        return math.isfinite(problem.f(x)) and math.isfinite(norm(problem.grad(x)))


# -- combinations the declarations cannot express --------------------------------------------------------


def invalid_combination(method: str, problem: solvers.Problem, options: dict) -> str | None:
    """The option whose value is valid alone but not with the others (documented in the method), or None."""
    settings_ = {n: o.default for n, o in METHODS[method].options.items()} | options
    if method == "trust_region" and settings_["radius"] > settings_["max_radius"]:
        return "radius"
    if method == "levenberg_marquardt" and settings_["curvature"] == "gauss_newton" and not problem.has_residuals:
        return "curvature"
    return None


@pytest.mark.parametrize("method, problem", PAIRS)
def test_a_start_where_f_overflows_ends_the_run_with_a_message(method, problem):
    """Python's float powers raise OverflowError where numpy's give inf: no run may let it out."""
    small = solvers.get_problem(problem, **{k: v for k, v in PROBLEM_CAPS.items() if k in PROBLEMS[problem].parameters})
    trace = solvers.run(small, method, [1e300] * small.dim)
    assert trace.status in STATUSES and trace.message


@st.composite
def runs(draw, method: str, problem_name: str):
    """The arguments of one `solvers.run`: problem, x0 and keywords."""
    problem = draw(problems(problem_name), label="problem")
    x0 = draw(starts(problem_name, problem.dim), label="x0")
    if isinstance(x0, NearLandmark):
        x0 = x0.point(problem)
    x0 = np.array(x0, dtype=float) if draw(st.booleans(), label="x0 as an array") else list(x0)
    options = draw(method_options(method), label="options")
    keywords = dict(
        max_iter=draw(st.integers(0, MAX_ITER), label="max_iter"),
        tol=draw(TOLERANCE, label="tol"),
        diagnostics=draw(st.sampled_from([None, True, False]), label="diagnostics"),
    )
    return problem, x0, options, keywords


def run_or_check_refusal(method, problem, x0, options, keywords):
    """The trace of the run, or None after checking that an invalid combination was refused by name."""
    refused = invalid_combination(method, problem, options)
    if refused is None:
        return solvers.run(problem, method, x0, **keywords, **options)
    with pytest.raises(ValueError, match=refused):
        solvers.run(problem, method, x0, **keywords, **options)
    return None


# -- the properties -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, problem_name", PAIRS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_run_keeps_its_promises(method, problem_name, data):
    problem, x0, options, keywords = data.draw(runs(method, problem_name))
    trace = run_or_check_refusal(method, problem, x0, options, keywords)
    if trace is None:
        return
    assert trace.status in STATUSES
    assert isinstance(trace.message, str) and trace.message.strip()
    assert 0 <= trace.n_iter <= keywords["max_iter"]
    assert trace.xs.shape == (trace.n_iter + 1, problem.dim)
    assert np.all(np.isfinite(trace.xs))
    if not starts_finite(problem, x0):
        assert trace.status == "failed" and trace.n_iter == 0, trace.message
        return
    assert np.all(np.isfinite(trace.fs)), trace.fs
    assert np.all(np.isfinite(trace.grad_norms)), trace.grad_norms
    if trace.status == "converged":
        assert trace.grad_norms[-1] <= trace.tol


@pytest.mark.parametrize("method", list(METHODS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_trace_is_strict_json(method, data):
    problem_name = data.draw(st.sampled_from([p for m, p in PAIRS if m == method]), label="problem_name")
    problem, x0, options, keywords = data.draw(runs(method, problem_name))
    trace = run_or_check_refusal(method, problem, x0, options, keywords)
    if trace is not None:  # strict JSON: no NaN, no infinity, no numpy objects
        assert json_round_trip(trace.to_dict())["status"] == trace.status


# Every declared option as (method, name, Option); the run's own options are tried with gradient descent.
DECLARED = [(m, n, o) for m in METHODS for n, o in METHODS[m].options.items()] + [
    ("gd", n, o) for n, o in RUN_OPTIONS.items()
]
NUMERIC = [(m, n, o) for m, n, o in DECLARED if o.choices is None]


def declared_ids(declared):
    return [f"{m}-{n}" if n in METHODS[m].options else f"run-{n}" for m, n, _ in declared]


def run_with_option(method: str, name: str, value):
    """One iteration of `method` on the first problem it applies to, with option `name` set to `value`."""
    problem = next(p for m, p in PAIRS if m == method)
    return solvers.run(problem, method, **({"max_iter": 1} | {name: value}))


@pytest.mark.parametrize("method, name, option", DECLARED, ids=declared_ids(DECLARED))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_invalid_option_raises_value_error_naming_it(method, name, option, data):
    value = data.draw(invalid_values(option), label=name)
    with pytest.raises(ValueError) as refusal:
        run_with_option(method, name, value)
    assert name in str(refusal.value).replace(repr(value), ""), str(refusal.value)


@pytest.mark.parametrize("method, name, option", NUMERIC, ids=declared_ids(NUMERIC))
def test_an_integer_beyond_any_float_raises_value_error_naming_the_option(method, name, option):
    """10**400 lies outside every range (or past any float, where none is declared) and converts to no float."""
    with pytest.raises(ValueError, match=name):
        run_with_option(method, name, 10**400)


@settings(max_examples=200, deadline=None)
@given(case=st.sampled_from(list(PROBLEMS)).flatmap(lambda name: st.tuples(st.just(name), problem_parameters(name))))
def test_any_valid_problem_describes_itself(case):
    """describe(), which locates the stationary points, works for any valid parameters (strict JSON too)."""
    name, params = case
    assert json_round_trip(solvers.get_problem(name, **params).describe())["name"] == name


@pytest.mark.parametrize("d, n_samples", [(2, 1), (3, 1), (3, 2)])
def test_logistic_regression_with_fewer_samples_than_weights_describes_itself(d, n_samples):
    """A corner the draws above seldom reach: n < d and the smallest ridge allowed."""
    smallest_ridge = solvers.PROBLEMS["logistic_regression"].parameters["ridge"].low
    problem = solvers.get_problem("logistic_regression", d=d, n_samples=n_samples, ridge=smallest_ridge)
    assert json_round_trip(problem.describe())["name"] == "logistic_regression"
