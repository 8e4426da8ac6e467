"""Sums of squares f = ‖r(x)‖²: Gauss–Newton and Levenberg–Marquardt."""

from __future__ import annotations

import numpy as np

from ..linalg import NumericalFailure, solve
from ..options import Option
from .base import Method, Step

MAX_DAMPING = 1e20


class GaussNewton(Method):
    """x ← x − (JᵀJ)⁻¹Jᵀr: Newton with the curvature of the residuals' linearisation"""

    name = "gauss_newton"
    title = "Gauss–Newton"
    formula = r"x_{k+1} = x_k - (J_k^\top J_k)^{-1} J_k^\top r_k"
    requires = "residuals"
    divergence_hint = "Gauss–Newton has no safeguard against long steps: try Levenberg–Marquardt"

    def step(self, x, f, g):
        # ∇f = 2Jᵀr and the Gauss–Newton matrix is 2JᵀJ, so the factors of 2 cancel.
        p = -solve(self.oracle.gauss_newton_matrix(x), g, "JᵀJ")
        return Step(direction=p)


class LevenbergMarquardt(Method):
    """p = −(B + λI)⁻¹∇f;  λ shrinks after a step the model predicted well and grows after a rejected one"""

    name = "levenberg_marquardt"
    title = "Levenberg–Marquardt"
    formula = (
        r"p_k = -\left(B_k + \lambda_k I\right)^{-1} \nabla f_k, \quad "
        r"B_k = 2J_k^\top J_k \text{ or } \nabla^2 f_k, \quad \lambda \downarrow \text{ if accepted}, \ \lambda \uparrow \text{ if rejected}"
    )
    options = {
        "damping": Option(1.0, "initial damping λ₀", low=0.0, high=1e8, low_open=True, log=True),
        "curvature": Option(None, "B: 'gauss_newton' (2JᵀJ, needs residuals) or 'hessian'; None picks "
                            "Gauss–Newton where the problem has residuals", choices=("gauss_newton", "hessian"),
                            allow_none=True),
    }

    def start(self, x):
        if self.curvature is None:
            self.curvature = "gauss_newton" if self.oracle.problem.has_residuals else "hessian"
        if self.curvature == "gauss_newton" and not self.oracle.problem.has_residuals:
            raise ValueError(f"curvature='gauss_newton' needs residuals; {self.oracle.problem.name} has none")
        self.lam, self.growth = self.damping, 2.0
        self.identity = np.eye(len(x))

    def curvature_matrix(self, x):
        if self.curvature == "gauss_newton":
            return self.oracle.gauss_newton_matrix(x)
        return self.oracle.hess(x)

    def step(self, x, f, g):
        if not self.lam <= MAX_DAMPING:
            raise NumericalFailure(f"λ grew past {MAX_DAMPING:.0e}: no step reduces f any more")
        B, lam = self.curvature_matrix(x), self.lam
        p = -solve(B + lam * self.identity, g, "B + λI")
        predicted = -(g.dot(p) + 0.5 * p.dot(B.dot(p)))
        trial = x + p
        rho = (f - self.oracle.f(trial)) / predicted if predicted > 0 else -np.inf
        if rho > 0:  # Nielsen's update: λ falls (by up to 3×) when the model predicted well, rises when ρ < ½
            self.lam, self.growth = lam * max(1 / 3, 1 - (2 * rho - 1) ** 3), 2.0
            change = "lowered" if self.lam < lam else "raised"
            return Step(direction=p, damping=lam, event=f"accepted (ρ = {rho:.2g}): λ {change} to {self.lam:.3g}",
                        point=trial)
        self.lam, self.growth = lam * self.growth, 2 * self.growth
        return Step(direction=p, damping=lam, accepted=False, event=f"step rejected: λ raised to {self.lam:.3g}")
