"""First-order methods: they see only the gradient."""

from __future__ import annotations

import numpy as np

from ..options import Option
from .base import Method, Step

LEARNING_RATE = Option(1e-3, "learning rate η", low=0.0, high=1e3, low_open=True, log=True)
MOMENTUM = Option(0.9, "momentum β", low=0.0, high=1.0, log=False)
HINT = "the learning rate is too large for the curvature (η λmax > 2): try a smaller one"


class GradientDescent(Method):
    """x ← x − η ∇f(x)"""

    name = "gd"
    title = "Gradient descent"
    formula = r"x_{k+1} = x_k - \eta\,\nabla f(x_k)"
    options = {"lr": LEARNING_RATE}
    divergence_hint = HINT

    def step(self, x, f, g):
        return Step(direction=-g, alpha=self.lr)


class Momentum(Method):
    """v ← βv − η ∇f(x);  x ← x + v  (Polyak's heavy ball)"""

    name = "momentum"
    title = "Gradient descent with momentum"
    formula = r"v_{k+1} = \beta v_k - \eta\,\nabla f(x_k), \quad x_{k+1} = x_k + v_{k+1}"
    options = {"lr": LEARNING_RATE, "beta": MOMENTUM}
    divergence_hint = HINT

    def start(self, x):
        self.velocity = np.zeros_like(x)

    def step(self, x, f, g):
        self.velocity = self.beta * self.velocity - self.lr * g
        return Step(direction=self.velocity)


class Nesterov(Momentum):
    """v ← βv − η ∇f(x + βv);  x ← x + v  (the gradient is read at the look-ahead point)"""

    name = "nesterov"
    title = "Nesterov's accelerated gradient"
    formula = r"v_{k+1} = \beta v_k - \eta\,\nabla f(x_k + \beta v_k), \quad x_{k+1} = x_k + v_{k+1}"

    def step(self, x, f, g):
        lookahead_gradient = self.oracle.grad(x + self.beta * self.velocity)
        self.velocity = self.beta * self.velocity - self.lr * lookahead_gradient
        return Step(direction=self.velocity)


class Adam(Method):
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  x ← x − η m̂ / (√v̂ + ε)"""

    name = "adam"
    title = "Adam"
    formula = (
        r"m_{k+1} = \beta_1 m_k + (1-\beta_1) g_k, \quad v_{k+1} = \beta_2 v_k + (1-\beta_2) g_k^2, \quad "
        r"x_{k+1} = x_k - \eta\,\frac{\hat m_{k+1}}{\sqrt{\hat v_{k+1}} + \epsilon}"
    )
    options = {
        "lr": Option(0.05, "learning rate η", low=0.0, high=1e3, low_open=True, log=True),
        "beta1": Option(0.9, "decay of the gradient average β₁", low=0.0, high=0.9999),
        "beta2": Option(0.999, "decay of the squared-gradient average β₂", low=0.0, high=0.99999),
        "eps": Option(1e-8, "ε, keeps the division finite", low=0.0, high=1.0, low_open=True, log=True),
    }
    divergence_hint = HINT

    def start(self, x):
        self.mean, self.second_moment, self.t = np.zeros_like(x), np.zeros_like(x), 0

    def step(self, x, f, g):
        self.t += 1
        self.mean = self.beta1 * self.mean + (1 - self.beta1) * g
        self.second_moment = self.beta2 * self.second_moment + (1 - self.beta2) * g * g
        mean_hat = self.mean / (1 - self.beta1**self.t)
        second_moment_hat = self.second_moment / (1 - self.beta2**self.t)
        return Step(direction=-mean_hat / (np.sqrt(second_moment_hat) + self.eps), alpha=self.lr)
