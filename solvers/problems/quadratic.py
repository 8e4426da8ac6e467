"""Quadratic bowls f = ½ (x − x*)ᵀ A (x − x*): the model every second-order method is built on."""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Problem


class QuadraticForm(Problem):
    """f(x) = ½ (x − x*)ᵀ A (x − x*) for a symmetric positive definite `A` and its minimizer `x_star`.

    The gradient is A (x − x*) and the Hessian is A everywhere. Points may come as a batch of shape (d, ...).
    """

    A: np.ndarray
    x_star: np.ndarray

    def offset(self, x):
        """x − x*, with x* broadcast over the batch axes of x."""
        x = np.asarray(x)
        return x - self.x_star.reshape(self.x_star.shape + (1,) * (x.ndim - 1))

    def f(self, x):
        offset = self.offset(x)
        return 0.5 * np.sum(offset * np.tensordot(self.A, offset, axes=1), axis=0)

    def grad(self, x):
        return np.tensordot(self.A, self.offset(x), axes=1)

    def hess(self, x):
        return np.multiply.outer(self.A, np.ones(np.shape(x)[1:]))  # a fresh copy of A for each point

    def hessian_operator(self, x):
        return self.A.dot

    def landmarks(self):
        return [(tuple(self.x_star), "minimum")]


def read_only(array: np.ndarray) -> np.ndarray:
    """`array`, locked so that no caller changes a problem's data by mistake."""
    array.flags.writeable = False
    return array


def rotation(degrees: float) -> np.ndarray:
    """The 2×2 matrix turning the plane by `degrees` counter-clockwise."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return np.array([[c, -s], [s, c]])


def random_orthogonal(rng: np.random.Generator, d: int) -> np.ndarray:
    """A random d×d orthogonal matrix: Q of the QR factorisation of a Gaussian matrix, signs fixed by R."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


class Quadratic(QuadraticForm):
    """f(x) = ½ xᵀAx, A = R(angle) diag(1, κ) R(angle)ᵀ: elliptic contours with condition number κ."""

    name = "quadratic"
    title = "Ill-conditioned quadratic"
    formula = r"f(x) = \tfrac12 x^\top A x,\quad A = R_\theta \operatorname{diag}(1, \kappa) R_\theta^\top"
    parameters = {
        "kappa": Option(100.0, "condition number κ: ratio of the curvatures", low=1.0, high=1e6, log=True),
        "angle": Option(30.0, "rotation θ of the ellipses' axes, in degrees", low=-90.0, high=90.0),
    }
    dim = 2
    x0 = np.array([-2.5, 1.5])
    window = ((-3.0, 3.0), (-3.0, 3.0))

    def __init__(self, **params):
        super().__init__(**params)
        turn = rotation(self.params["angle"])
        self.A = read_only(turn @ np.diag([1.0, self.params["kappa"]]) @ turn.T)
        self.x_star = read_only(np.zeros(2))


class QuadraticND(QuadraticForm):
    """f(x) = ½ (x − x*)ᵀ A (x − x*), A = Q diag(λ) Qᵀ, λ log-spaced from 1 to κ, Q and x* random."""

    name = "quadratic_nd"
    title = "Random quadratic in d dimensions"
    formula = (
        r"f(x) = \tfrac12 (x - x^*)^\top A\, (x - x^*),\quad A = Q \operatorname{diag}(\lambda)\, Q^\top,"
        r"\ \lambda_i \in [1, \kappa]"
    )
    parameters = {
        "d": Option(10, "dimension", low=1, high=5000, integer=True),
        "kappa": Option(100.0, "condition number κ = λ_max / λ_min", low=1.0, log=True),
        "seed": Option(0, "seed of the random rotation Q and minimizer x*", low=0, integer=True),
    }
    window = None

    def __init__(self, **params):
        super().__init__(**params)
        d, kappa = self.params["d"], self.params["kappa"]
        rng = np.random.default_rng(self.params["seed"])
        eigenvalues = np.logspace(0.0, np.log10(kappa), d)
        q = random_orthogonal(rng, d)
        a = (q * eigenvalues) @ q.T
        self.A = read_only((a + a.T) / 2)  # symmetric to the last bit
        self.x_star = read_only(rng.standard_normal(d))
        self.dim = d
        self.x0 = np.zeros(d)
