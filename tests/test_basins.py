"""Basin maps: the vectorised grid run agrees with `run` start by start, and labels the points it reaches."""

from __future__ import annotations

import numpy as np
import pytest

import solvers
from solvers.basins import BATCH_RULES

CASES = [
    ("himmelblau", "newton", {}),
    ("himmelblau", "damped_newton", {"damping": 2.0}),
    ("himmelblau", "saddle_free_newton", {}),
    ("six_hump_camel", "newton", {}),
    ("quadratic", "gd", {"lr": 0.009}),
    ("rosenbrock", "newton", {}),
]


@pytest.mark.parametrize("problem, method, options", CASES)
def test_every_start_ends_where_run_ends(problem, method, options):
    """Each grid start reaches the same stationary point, in the same number of iterations, as `run`."""
    bm = solvers.basin_map(problem, method, resolution=(12, 15), max_iter=40, tol=1e-8, **options)
    for row in range(0, 12, 3):
        for col in range(0, 15, 2):
            start = (bm.xs[col], bm.ys[row])
            trace = solvers.run(problem, method, x0=start, max_iter=40, tol=1e-8, diagnostics=False, **options)
            label = bm.labels[row, col]
            if trace.converged:
                assert label >= 0
                np.testing.assert_allclose(bm.points[label], trace.x, atol=1e-4)
                assert abs(bm.iterations[row, col] - trace.n_iter) <= 1  # rounding can tip the last test
            else:
                assert label == -1


def test_himmelblau_newton_reaches_every_kind_of_point():
    """Pure Newton is attracted by minima, saddles and the maximum alike: all nine points have a basin."""
    bm = solvers.basin_map("himmelblau", "newton", resolution=(128, 128), max_iter=50)
    assert bm.labels.shape == (128, 128) and bm.iterations.shape == (128, 128)
    assert set(np.unique(bm.labels)) >= set(range(9))
    shares = bm.fractions()
    assert shares["minimum"] > 0.3 and shares["saddle"] > 0.1 and shares["maximum"] > 0.01
    assert sum(shares.values()) == pytest.approx(1.0)


def test_saddle_free_newton_never_ends_on_a_saddle_or_maximum():
    bm = solvers.basin_map("himmelblau", "saddle_free_newton", resolution=(64, 64), max_iter=60)
    reached = {bm.kinds[label] for label in np.unique(bm.labels) if label >= 0}
    assert reached == {"minimum"}


def test_gradient_descent_with_too_large_a_step_diverges_everywhere_but_the_minimum():
    bm = solvers.basin_map("quadratic", "gd", resolution=(16, 16), max_iter=200, lr=0.03)  # lr·λmax = 3 > 2
    assert bm.diverged.mean() > 0.9
    assert np.all(bm.labels[bm.diverged] == -1)


def test_labels_index_points_and_points_are_stationary():
    bm = solvers.basin_map("six_hump_camel", "newton", resolution=(48, 48), max_iter=50)
    problem = solvers.get_problem("six_hump_camel")
    assert bm.labels.min() >= -1 and bm.labels.max() < len(bm.points)
    assert len(bm.kinds) == len(bm.points)
    for point in bm.points:
        assert np.linalg.norm(problem.grad(point)) < 1e-6


def test_grid_follows_the_window():
    bm = solvers.basin_map("rosenbrock", "newton", resolution=(5, 7), window=((-1, 1), (0, 2)), max_iter=5)
    np.testing.assert_allclose(bm.xs, np.linspace(-1, 1, 7))
    np.testing.assert_allclose(bm.ys, np.linspace(0, 2, 5))
    assert bm.window == ((-1.0, 1.0), (0.0, 2.0))


def test_batch_rules_cover_the_required_methods():
    assert {"newton", "damped_newton", "gd"} <= set(BATCH_RULES)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"problem": "quadratic_nd", "method": "newton"}, "dimension"),
        ({"problem": "himmelblau", "method": "bfgs"}, "vectorised for"),
        ({"problem": "himmelblau", "method": "newtn"}, "valid methods"),
        ({"problem": "himmelblau", "method": "gd", "lr": -1}, "lr must be"),
        ({"problem": "himmelblau", "method": "newton", "damping": 1}, "no option"),
        ({"problem": "himmelblau", "method": "newton", "resolution": (0, 10)}, "rows must be"),
        ({"problem": "himmelblau", "method": "newton", "resolution": (10, 99999)}, "cols must be"),
        ({"problem": "himmelblau", "method": "newton", "resolution": 5}, "resolution must be"),
        ({"problem": "himmelblau", "method": "newton", "window": ((1, 0), (0, 1))}, "xmin < xmax"),
        ({"problem": "himmelblau", "method": "newton", "window": ((0, np.nan), (0, 1))}, "finite"),
        ({"problem": "himmelblau", "method": "newton", "max_iter": -1}, "max_iter must be"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, words):
    with pytest.raises(ValueError, match=words):
        solvers.basin_map(**kwargs)
