"""Negative log-likelihoods of small statistical models on fixed seeded data, with their Fisher information."""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Problem, ones_like_coordinate


def log1p_exp(z):
    """log(1 + eᶻ), without overflow for large z."""
    return np.logaddexp(0.0, z)


def sigmoid(z):
    """σ(z) = 1 / (1 + e⁻ᶻ), without overflow for z of either sign."""
    return np.exp(-log1p_exp(-z))


def broadcast_identity(d: int, batch_shape: tuple[int, ...]) -> np.ndarray:
    """The d×d identity, repeated over `batch_shape`: shape (d, d, *batch_shape)."""
    return np.multiply.outer(np.eye(d), np.ones(batch_shape))


class GaussianMLE(Problem):
    """f(μ, s) = s + ½ [v + (μ − m)²] e^{−2s} + ½ log 2π = mean −log N(xᵢ; μ, e^{2s}); m, v: sample moments."""

    name = "gaussian_mle"
    title = "Gaussian maximum likelihood"
    formula = r"f(\mu, s) = \frac1n \sum_i \left[s + \tfrac12 (x_i - \mu)^2 e^{-2s}\right] + \tfrac12 \log 2\pi"
    parameters = {
        "n_samples": Option(50, "number of draws xᵢ from N(1.5, 0.7²)", low=2, high=1e6, integer=True),
        "seed": Option(0, "seed of the sample", low=0, integer=True),
    }
    dim = 2
    componentwise = True
    x0 = np.array([-1.0, 1.0])  # σ = e: the μ-gradient is scaled down by e^{−2s}, the natural gradient is not
    window = ((-2.0, 4.0), (-1.5, 2.0))

    def __init__(self, **params):
        super().__init__(**params)
        rng = np.random.default_rng(self.params["seed"])
        self.sample = 1.5 + 0.7 * rng.standard_normal(self.params["n_samples"])
        self.sample_mean = self.sample.mean()
        self.sample_variance = self.sample.var()  # with 1/n: the maximum-likelihood estimate

    def mean_square_deviation(self, x):
        """(1/n) Σᵢ (xᵢ − μ)² = v + (μ − m)²."""
        return self.sample_variance + (x[0] - self.sample_mean) ** 2

    def f(self, x):
        return x[1] + self.mean_square_deviation(x) * np.exp(-2 * x[1]) / 2 + np.log(2 * np.pi) / 2

    def grad(self, x):
        precision = np.exp(-2 * x[1])
        g_mu = (x[0] - self.sample_mean) * precision
        return np.array([g_mu, 1 - self.mean_square_deviation(x) * precision])

    def hess(self, x):
        precision = np.exp(-2 * x[1])
        h_mu_s = -2 * (x[0] - self.sample_mean) * precision
        return np.array([[precision, h_mu_s], [h_mu_s, 2 * self.mean_square_deviation(x) * precision]])

    def fisher(self, x):
        """Fisher information of one draw in (μ, s): diag(e^{−2s}, 2)."""
        precision = np.exp(-2 * x[1])
        ones = ones_like_coordinate(x)
        return np.array([[precision, 0 * ones], [0 * ones, 2 * ones]])

    def landmarks(self):
        return [((self.sample_mean, np.log(self.sample_variance) / 2), "minimum")]


class LogisticLoss(Problem):
    """f(w) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + (ridge/2) ‖w‖², labels yᵢ ∈ {−1, +1}.

    Subclasses set `labels` yᵢ and `signed_features`, the n×d matrix of rows yᵢ xᵢ; weights may come as a
    batch of shape (d, ...). Since yᵢ² = 1 the Hessian XᵀWX/n + ridge·I, W = diag(σ(zᵢ) σ(−zᵢ)), is also
    the Fisher information.
    """

    labels: np.ndarray
    signed_features: np.ndarray

    def margins(self, w):
        """yᵢ xᵢᵀw for every sample i: shape (n, ...)."""
        return np.tensordot(self.signed_features, w, axes=1)

    def f(self, w):
        loss = np.mean(log1p_exp(-self.margins(w)), axis=0)
        return loss + self.params["ridge"] / 2 * np.sum(np.square(w), axis=0)

    def grad(self, w):
        misfit = sigmoid(-self.margins(w))  # probability the model gives to the wrong label
        n = len(self.signed_features)
        return -np.tensordot(self.signed_features.T, misfit, axes=1) / n + self.params["ridge"] * w

    def curvature_weights(self, w):
        """W = σ(zᵢ) σ(−zᵢ), the variance of each label under the model: shape (n, ...)."""
        margins = self.margins(w)
        return sigmoid(margins) * sigmoid(-margins)

    def hess(self, w):
        signed, weights = self.signed_features, self.curvature_weights(w)
        data_term = np.einsum("ij,ik,i...->jk...", signed, signed, weights, optimize=True) / len(signed)
        return data_term + self.params["ridge"] * broadcast_identity(signed.shape[1], np.shape(w)[1:])

    def hessian_operator(self, w):
        """v ↦ Xᵀ(W ⊙ Xv)/n + ridge·v: W once for every product, O(nd) a product, and the Hessian never formed."""
        signed, weights, ridge = self.signed_features, self.curvature_weights(w), self.params["ridge"]
        return lambda v: signed.T @ (weights * (signed @ v)) / len(signed) + ridge * v

    def fisher(self, w):
        return self.hess(w)

    def landmarks(self):
        return [(tuple(self.minimizer()), "minimum")]

    def minimizer(self, tolerance: float = 1e-12, iterations: int = 100) -> np.ndarray:
        """The minimum, by Newton's method from w = 0 with backtracking.

        With a tiny ridge on separable data the minimum lies far out, more plain Newton steps away than
        the base class's polish takes; the backtracking keeps each step from overshooting on the way.
        """
        w = np.zeros(self.signed_features.shape[1])
        for _ in range(iterations):
            gradient = self.grad(w)
            step = np.linalg.solve(self.hess(w), gradient)
            decrease = gradient @ step  # the Newton decrement squared
            if decrease < tolerance:
                break
            t, f_w = 1.0, self.f(w)
            while self.f(w - t * step) > f_w - t * decrease / 4 and t > 1e-10:
                t /= 2
            w = w - t * step
        return w


def logistic_labels(rng: np.random.Generator, features: np.ndarray, w_true: np.ndarray) -> np.ndarray:
    """Labels ±1 drawn from the logistic model: P(y = +1) = σ(xᵀ w_true)."""
    return np.where(rng.random(len(features)) < sigmoid(features @ w_true), 1.0, -1.0)


class Logistic2D(LogisticLoss):
    """f(w) = (1/n) Σᵢ log(1 + exp(−yᵢ (w₀ + w₁ tᵢ))) + (ridge/2) ‖w‖²: intercept and slope."""

    name = "logistic_2d"
    title = "Logistic regression with two weights"
    formula = r"f(w) = \frac1n \sum_i \log\left(1 + e^{-y_i (w_0 + w_1 t_i)}\right) + \frac{\lambda}{2} \|w\|^2"
    parameters = {
        "ridge": Option(0.0, "strength λ of the L2 penalty", low=0.0, high=10.0),
    }
    dim = 2
    x0 = np.array([-2.0, 1.0])  # far out, where f is nearly flat: the undamped Newton step overshoots
    window = ((-3.0, 3.0), (-4.0, 2.0))
    n_samples, data_seed, w_true = 40, 0, np.array([0.5, -1.5])  # a fixed data set that is not separable

    def __init__(self, **params):
        super().__init__(**params)
        rng = np.random.default_rng(self.data_seed)
        t = rng.standard_normal(self.n_samples)
        features = np.column_stack([np.ones_like(t), t])
        self.labels = logistic_labels(rng, features, self.w_true)
        self.signed_features = self.labels[:, None] * features


class LogisticRegression(LogisticLoss):
    """f(w) = (1/n) Σᵢ log(1 + exp(−yᵢ xᵢᵀw)) + (ridge/2) ‖w‖² on n Gaussian samples in d dimensions."""

    name = "logistic_regression"
    title = "Logistic regression in d dimensions"
    formula = r"f(w) = \frac1n \sum_i \log\left(1 + e^{-y_i x_i^\top w}\right) + \frac{\lambda}{2} \|w\|^2"
    parameters = {
        "d": Option(10, "number of weights", low=1, high=5000, integer=True),
        "n_samples": Option(500, "number of samples", low=1, high=1e6, integer=True),
        "seed": Option(0, "seed of the features, true weights and labels", low=0, integer=True),
        "ridge": Option(
            1e-3, "strength λ of the L2 penalty; λ > 0 keeps f strongly convex",
            low=1e-8, high=10.0, log=True,
        ),
    }
    window = None

    def __init__(self, **params):
        super().__init__(**params)
        d, n = self.params["d"], self.params["n_samples"]
        rng = np.random.default_rng(self.params["seed"])
        features = rng.standard_normal((n, d))
        w_true = 2 * rng.standard_normal(d) / np.sqrt(d)  # ‖w_true‖ ≈ 2: labels informative, not certain
        self.labels = logistic_labels(rng, features, w_true)
        self.signed_features = self.labels[:, None] * features
        self.dim = d
        self.x0 = np.zeros(d)
