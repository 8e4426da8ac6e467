"""Classic two-dimensional test functions, written component-wise so they accept batches of points."""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Problem, ones_like_coordinate


class Rosenbrock(Problem):
    """f(x, y) = (a − x)² + b (y − x²)², the banana valley; residuals r = (a − x, √b (y − x²))."""

    name = "rosenbrock"
    title = "Rosenbrock's banana valley"
    formula = r"f(x, y) = (a - x)^2 + b\,(y - x^2)^2"
    parameters = {
        "a": Option(1.0, "position of the minimum (a, a²)", low=-3.0, high=3.0),
        "b": Option(100.0, "steepness of the valley walls", low=0.0, high=1e4, low_open=True, log=True),
    }
    dim = 2
    componentwise = True
    x0 = np.array([-1.2, 1.0])
    window = ((-2.0, 2.0), (-1.0, 3.0))

    def f(self, x):
        a, b = self.params["a"], self.params["b"]
        return (a - x[0]) ** 2 + b * (x[1] - x[0] ** 2) ** 2

    def grad(self, x):
        a, b = self.params["a"], self.params["b"]
        valley = x[1] - x[0] ** 2
        return np.array([-2 * (a - x[0]) - 4 * b * x[0] * valley, 2 * b * valley])

    def hess(self, x):
        b = self.params["b"]
        h_xx = 2 - 4 * b * (x[1] - 3 * x[0] ** 2)
        h_xy = -4 * b * x[0]
        h_yy = 2 * b * ones_like_coordinate(x)  # broadcast to the batch shape
        return np.array([[h_xx, h_xy], [h_xy, h_yy]])

    def residuals(self, x):
        a, b = self.params["a"], self.params["b"]
        return np.array([a - x[0], np.sqrt(b) * (x[1] - x[0] ** 2)])

    def jacobian(self, x):
        root_b = np.sqrt(self.params["b"])
        ones = ones_like_coordinate(x)
        return np.array([[-ones, 0 * ones], [-2 * root_b * x[0], root_b * ones]])

    def landmarks(self):
        a = self.params["a"]
        return [((a, a * a), "minimum")]


class SumOfSquares(Problem):
    """f = ‖r‖² from residuals r, their Jacobian J and the curvature Σₖ rₖ ∇²rₖ.

    ∇f = 2 Jᵀr and ∇²f = 2 JᵀJ + 2 Σₖ rₖ ∇²rₖ; Gauss–Newton keeps the first term and drops the second.
    """

    componentwise = True

    def residual_curvature(self, x):
        """Σₖ rₖ(x) ∇²rₖ(x), shape (2, 2, ...)."""
        raise NotImplementedError

    # One point takes BLAS products, a batch einsum: its set-up costs more than a point's arithmetic.
    def f(self, x):
        r = self.residuals(x)
        return r.dot(r) if r.ndim == 1 else (r * r).sum(axis=0)

    def grad(self, x):
        r, J = self.residuals(x), self.jacobian(x)
        return 2 * (r.dot(J) if r.ndim == 1 else np.einsum("k...,ki...->i...", r, J))

    def hess(self, x):
        jacobian = self.jacobian(x)
        gauss_newton = np.einsum("ki...,kj...->ij...", jacobian, jacobian)
        return 2 * gauss_newton + 2 * self.residual_curvature(x)


class Himmelblau(SumOfSquares):
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)²: four minima, four saddles, one maximum."""

    name = "himmelblau"
    title = "Himmelblau's function"
    formula = r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    dim = 2
    x0 = np.array([0.5, -0.5])  # on the concave cap: Newton climbs to the maximum, gradient descent rolls away
    window = ((-5.0, 5.0), (-5.0, 5.0))

    def residuals(self, x):
        return np.array([x[0] ** 2 + x[1] - 11, x[0] + x[1] ** 2 - 7])

    def jacobian(self, x):
        ones = ones_like_coordinate(x)
        return np.array([[2 * x[0], ones], [ones, 2 * x[1]]])

    def residual_curvature(self, x):
        r = self.residuals(x)
        return np.array([[2 * r[0], 0 * r[0]], [0 * r[0], 2 * r[1]]])

    def landmarks(self):
        minima = [(3.0, 2.0), (-2.805, 3.131), (-3.779, -3.283), (3.584, -1.848)]
        saddles = [(0.087, 2.884), (-3.073, -0.081), (3.385, 0.074), (-0.128, -1.954)]
        maximum = (-0.271, -0.923)
        return [(p, "minimum") for p in minima] + [(p, "saddle") for p in saddles] + [(maximum, "maximum")]


class Saddle(Problem):
    """f(x, y) = x² − y², the plain saddle: curving up along x and down along y."""

    name = "saddle"
    title = "Saddle"
    formula = r"f(x, y) = x^2 - y^2"
    dim = 2
    componentwise = True
    x0 = np.array([1.5, 0.05])  # close to the stable axis: Newton jumps onto the saddle
    window = ((-2.0, 2.0), (-2.0, 2.0))

    def f(self, x):
        return x[0] ** 2 - x[1] ** 2

    def grad(self, x):
        return np.array([2 * x[0], -2 * x[1]])

    def hess(self, x):
        ones = ones_like_coordinate(x)
        return np.array([[2 * ones, 0 * ones], [0 * ones, -2 * ones]])

    def landmarks(self):
        return [((0.0, 0.0), "saddle")]


class MonkeySaddle(Problem):
    """f(x, y) = x³ − 3xy², the monkey saddle: three valleys, and a zero Hessian at the origin."""

    name = "monkey_saddle"
    title = "Monkey saddle"
    formula = r"f(x, y) = x^3 - 3\,x y^2"
    dim = 2
    componentwise = True
    x0 = np.array([1.0, 0.3])  # Newton only halves the distance to the degenerate saddle at each step
    window = ((-1.5, 1.5), (-1.5, 1.5))

    def f(self, x):
        return x[0] ** 3 - 3 * x[0] * x[1] ** 2

    def grad(self, x):
        return np.array([3 * x[0] ** 2 - 3 * x[1] ** 2, -6 * x[0] * x[1]])

    def hess(self, x):
        return np.array([[6 * x[0], -6 * x[1]], [-6 * x[1], -6 * x[0]]])

    def landmarks(self):
        return [((0.0, 0.0), "saddle")]  # degenerate: the Hessian vanishes there


class Beale(SumOfSquares):
    """f(x, y) = Σₖ (cₖ − x + x yᵏ)², c = (1.5, 2.25, 2.625): flat plateaus and steep arms."""

    name = "beale"
    title = "Beale's function"
    formula = r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
    dim = 2
    x0 = np.array([1.0, 1.4])  # Newton heads for the saddle (0, 1), gradient descent for the minimum
    window = ((-4.5, 4.5), (-4.5, 4.5))

    def residuals(self, x):
        return np.array(
            [1.5 - x[0] + x[0] * x[1], 2.25 - x[0] + x[0] * x[1] ** 2, 2.625 - x[0] + x[0] * x[1] ** 3]
        )

    def jacobian(self, x):
        return np.array(
            [[x[1] - 1, x[0]], [x[1] ** 2 - 1, 2 * x[0] * x[1]], [x[1] ** 3 - 1, 3 * x[0] * x[1] ** 2]]
        )

    def residual_curvature(self, x):
        r = self.residuals(x)
        c_xy = r[0] + 2 * x[1] * r[1] + 3 * x[1] ** 2 * r[2]
        c_yy = 2 * x[0] * r[1] + 6 * x[0] * x[1] * r[2]
        return np.array([[0 * c_xy, c_xy], [c_xy, c_yy]])

    def landmarks(self):
        # All of ℝ²'s stationary points (found by eliminating x from ∇f = 0). Left of the saddle (0, 1)
        # lies no other minimum but a valley that falls for ever (towards f ≈ 0.45) as x → −∞, y → 1.
        return [((3.0, 0.5), "minimum"), ((0.0, 1.0), "saddle"), ((0.1005, -2.6445), "saddle")]


class SixHumpCamel(Problem):
    """f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²: six minima, two of them global."""

    name = "six_hump_camel"
    title = "Six-hump camel"
    formula = r"f(x, y) = \left(4 - 2.1\,x^2 + \tfrac{x^4}{3}\right) x^2 + xy + \left(-4 + 4y^2\right) y^2"
    dim = 2
    componentwise = True
    x0 = np.array([-1.0, 0.5])  # Newton heads for a saddle, gradient descent for a global minimum
    window = ((-2.0, 2.0), (-1.0, 1.0))

    def f(self, x):
        camel_back = (4 - 2.1 * x[0] ** 2 + x[0] ** 4 / 3) * x[0] ** 2
        return camel_back + x[0] * x[1] + (-4 + 4 * x[1] ** 2) * x[1] ** 2

    def grad(self, x):
        return np.array([8 * x[0] - 8.4 * x[0] ** 3 + 2 * x[0] ** 5 + x[1], x[0] - 8 * x[1] + 16 * x[1] ** 3])

    def hess(self, x):
        h_xx = 8 - 25.2 * x[0] ** 2 + 10 * x[0] ** 4
        h_xy = ones_like_coordinate(x)
        h_yy = -8 + 48 * x[1] ** 2
        return np.array([[h_xx, h_xy], [h_xy, h_yy]])

    def landmarks(self):
        # All fifteen stationary points in ℝ²; f(−x, −y) = f(x, y) pairs them up around the origin.
        half = [
            ((0.0898, -0.7127), "minimum"),
            ((1.7036, -0.7961), "minimum"),
            ((1.6071, 0.5687), "minimum"),
            ((1.1092, -0.7683), "saddle"),
            ((1.2961, 0.6051), "saddle"),
            ((1.6381, 0.2287), "saddle"),
            ((1.2302, 0.1623), "maximum"),
        ]
        return [((0.0, 0.0), "saddle")] + half + [((-x, -y), kind) for (x, y), kind in half]
