"""Natural gradient: steepest descent in the geometry of the model's distributions."""

from __future__ import annotations

from ..linalg import solve
from ..options import Option
from .base import Method, Step


class NaturalGradient(Method):
    """x ← x − η F⁻¹∇f, with F the Fisher information matrix"""

    name = "natural_gradient"
    title = "Natural gradient"
    formula = r"x_{k+1} = x_k - \eta\, F(x_k)^{-1} \nabla f(x_k)"
    options = {"lr": Option(1.0, "learning rate η", low=0.0, high=1e3, low_open=True, log=True)}
    requires = "fisher"
    divergence_hint = "the learning rate is too large: try a smaller one"

    def step(self, x, f, g):
        return Step(direction=-solve(self.oracle.fisher(x), g, "the Fisher matrix"), alpha=self.lr)
