"""The lab's state object and the numbers its views draw, without a browser."""

from __future__ import annotations

import numpy as np
import pytest

import solvers
from app import scene
from app.state import MAX_ITERATIONS, MAX_METHODS, LabState


def test_default_scene_is_the_classic_lab():
    state = LabState()
    assert state.problem == "rosenbrock" and state.x0 == (-1.2, 1.0)
    assert state.methods == ["gd", "newton", "damped_newton"] and state.focus == "newton"


def test_changing_the_problem_resets_the_start_to_its_default():
    state = LabState(x0=(0.3, 0.3), iteration=5)
    state.problem = "himmelblau"
    assert state.x0 == tuple(solvers.get_problem("himmelblau").x0) and state.iteration == 0


def test_problem_parameters_reach_the_problem():
    state = LabState(problem="quadratic", kappa=250.0, angle=-15.0)
    assert state.build_problem().params == {"kappa": 250.0, "angle": -15.0}


def test_each_method_gets_only_the_options_it_takes():
    state = LabState(damping=0.0, lr=0.01, memory=4)
    assert state.method_options("newton") == {}
    assert state.method_options("gd") == {"lr": 0.01}
    assert state.method_options("lbfgs") == {"memory": 4}
    assert state.method_options("damped_newton") == {"damping": 0.0}
    assert state.method_options("levenberg_marquardt")["damping"] > 0  # LM needs a positive start
    assert state.method_options("natural_gradient") == {"lr": 1.0}  # its own step, not gradient descent's


def test_the_state_round_trips_through_a_url_query():
    state = LabState(problem="quadratic", kappa=1e3, methods=["newton", "bfgs"], damping=0.25, x0=(1.5, -2.0))
    copy = LabState()
    assert copy.update_from_query(state.to_query()) == []
    for name in ("problem", "kappa", "methods", "damping", "x0"):
        assert getattr(copy, name) == getattr(state, name)


def test_a_default_state_has_an_empty_query():
    assert LabState().to_query() == ""


@pytest.mark.parametrize("query", ["damping=-1", "problem=nope", "methods=gd,evil", "x0=1", "foo=bar", "lr=abc",
                                   "max_iter=1000000", "methods=" + ",".join(solvers.list_methods())])
def test_bad_url_values_are_reported_and_ignored(query):
    state = LabState()
    ignored = state.update_from_query(query)
    assert len(ignored) == 1
    assert state.to_query() == ""  # nothing else changed


def test_a_change_can_ask_for_at_most_the_capped_work():
    state = LabState()
    state.methods = solvers.list_methods()[:MAX_METHODS]
    state.max_iter = MAX_ITERATIONS
    with pytest.raises(ValueError, match=f"at most {MAX_METHODS} methods"):
        state.methods = solvers.list_methods()[:MAX_METHODS + 1]
    with pytest.raises(ValueError):
        state.max_iter = MAX_ITERATIONS + 1


def test_columns_are_the_engines_numbers():
    problem = solvers.get_problem("rosenbrock")
    run = scene.run_method(problem, "newton", (-1.2, 1.0), 100, 1e-10, {})
    trace, columns = run.trace, run.columns
    assert len(columns["k"]) == trace.n_iter + 1
    np.testing.assert_array_equal(columns["x"], trace.xs[:, 0])
    np.testing.assert_array_equal(columns["f"], trace.fs)
    np.testing.assert_array_equal(columns["lambda_1"], [s.eigenvalues[0] for s in trace.steps])
    first = trace.steps[0]
    unclipped = ~columns["newton_clipped"]
    assert unclipped[0]
    np.testing.assert_allclose([columns["newton_end_x"][0], columns["newton_end_y"][0]], first.x + first.newton_direction)
    descent = np.array([columns["gradient_end_x"][0], columns["gradient_end_y"][0]]) - first.x
    cosine = descent @ -first.gradient / (np.linalg.norm(descent) * np.linalg.norm(first.gradient))
    assert cosine == pytest.approx(1.0)
    assert columns["verdict"][0].startswith("positive definite")
    assert columns["log_x_error"][-1] == pytest.approx(-16)  # Newton lands on (1, 1) exactly


def test_newton_arrow_leaving_the_view_is_clipped_at_its_edge():
    starts, ends = np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([[10.0, 0.0], [0.5, 0.5]])
    clipped, flags = scene.clip_to_window(starts, ends, ((-1.0, 1.0), (-2.0, 2.0)))
    np.testing.assert_allclose(clipped, [[1.0, 0.0], [0.5, 0.5]])
    assert flags.tolist() == [True, False]


def test_angle_between_gradient_and_newton_directions_is_zero_on_a_round_bowl():
    problem = solvers.get_problem("quadratic", kappa=1.0)
    run = scene.run_method(problem, "gd", (1.0, 2.0), 5, 1e-12, {"lr": 0.1})
    np.testing.assert_allclose(run.columns["angle"][:-1], 0.0, atol=1e-6)


def test_an_invalid_setting_becomes_a_message_not_an_exception():
    problem = solvers.get_problem("rosenbrock")
    run = scene.run_method(problem, "gauss_newton", (0.0, 0.0), 10, 1e-8, {"lr": 1.0})
    assert run.trace is None and "no option" in run.error


def test_contour_levels_rise_and_crowd_towards_the_valley():
    grid = scene.contour_grid("rosenbrock", (("a", 1.0), ("b", 100.0)))
    assert grid.values.shape == (len(grid.ys), len(grid.xs))
    gaps = np.diff(grid.levels)
    assert np.all(gaps > 0) and gaps[0] < gaps[-1] / 10
    assert scene.contour_grid("rosenbrock", (("a", 1.0), ("b", 100.0))) is grid  # shared, computed once


@pytest.mark.parametrize("name", ["rosenbrock", "himmelblau", "monkey_saddle"])
def test_contour_bands_and_level_lines_lie_where_f_says(name):
    grid = scene.contour_grid(name, ())
    problem = solvers.get_problem(name)
    (x_low, x_high), (y_low, y_high) = problem.window
    rows, columns = grid.bands.shape
    row, column = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    centres = np.array([x_low + (x_high - x_low) * (column + 0.5) / columns,  # the image's pixel centres
                        y_low + (y_high - y_low) * (row + 0.5) / rows])
    values, bands = problem.f(centres), grid.bands.astype(int)
    inside = bands != scene.NO_BAND
    assert inside.mean() > 0.5
    assert np.all(grid.levels[bands[inside]] <= values[inside])
    assert np.all(values[inside] < grid.levels[bands[inside] + 1])
    assert np.all((values[~inside] < grid.levels[0]) | (values[~inside] >= grid.levels[-1]))
    # One line through every level, NaN between the pieces: each piece lies on one level of f as
    # interpolated on the grid (its vertices are on the grid's edges).
    from scipy.interpolate import RegularGridInterpolator

    interpolated = RegularGridInterpolator((grid.ys, grid.xs), grid.values, bounds_error=False, fill_value=None)
    pieces = np.split(np.arange(len(grid.level_x)), np.flatnonzero(np.isnan(grid.level_x)))
    assert len(pieces) >= len(grid.levels)
    for piece in pieces:
        piece = piece[np.isfinite(grid.level_x[piece])]
        if len(piece):
            on_line = interpolated(np.column_stack([grid.level_y[piece], grid.level_x[piece]]))
            level = grid.levels[np.argmin(np.abs(grid.levels - on_line[0]))]
            np.testing.assert_allclose(on_line, level, rtol=1e-6)


def test_eigen_axes_are_split_by_the_sign_of_the_curvature():
    problem = solvers.get_problem("saddle")  # λ = −2 along y, +2 along x
    columns = scene.run_method(problem, "newton", (1.0, 0.5), 3, 1e-12, {}).columns
    assert np.isfinite(columns["axis_1_down_x0"][0]) and np.isnan(columns["axis_1_up_x0"][0])
    assert np.isfinite(columns["axis_2_up_x0"][0]) and np.isnan(columns["axis_2_down_x0"][0])


def test_a_clipped_newton_arrow_is_marked_where_it_leaves_the_view():
    problem = solvers.get_problem("rosenbrock")
    columns = scene.run_method(problem, "newton", (-1.2, 1.0), 10, 1e-10, {}).columns
    clipped = columns["newton_clipped"]
    assert clipped.any()
    assert np.isfinite(columns["newton_clip_x"][clipped]).all() and np.isnan(columns["newton_clip_x"][~clipped]).all()


@pytest.mark.parametrize("x0", [(1e300, 1e300), (1e6, -1e6), (0.0, 0.0)])
def test_any_start_gives_columns_even_when_the_run_fails_at_once(x0):
    problem = solvers.get_problem("rosenbrock")
    for method in ("gd", "newton", "trust_region"):
        run = scene.run_method(problem, method, x0, 50, 1e-8, {})
        assert run.trace is not None
        assert all(len(values) == run.trace.n_iter + 1 for values in run.columns.values())
