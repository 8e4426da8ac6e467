"""Newton's method and its safeguarded relatives: damping, line search, saddle-free curvature."""

from __future__ import annotations

import numpy as np

from .. import linesearch
from ..curvature import ZERO_EIGENVALUE_RTOL
from ..linalg import NumericalFailure, solve, symmetric_eigen, symmetric_eigenvalues
from ..options import Option
from .base import Method, Step, join_events, uphill_warning

DAMPING = Option(0.0, "damping λ: 0 is pure Newton, large λ approaches gradient descent with η = 1/λ",
                 low=0.0, high=1e8, log=True)
NEWTON_HINT = "pure Newton has no safeguard against long steps: try damping, a line search or a trust region"


class Newton(Method):
    """x ← x − H⁻¹∇f"""

    name = "newton"
    title = "Newton's method"
    formula = r"x_{k+1} = x_k - \left[\nabla^2 f(x_k)\right]^{-1} \nabla f(x_k)"
    divergence_hint = NEWTON_HINT

    def step(self, x, f, g):
        p = -solve(self.oracle.hess(x), g, "the Hessian")
        return Step(direction=p, event=uphill_warning(g, p))


class DampedNewton(Method):
    """x ← x − (H + λI)⁻¹∇f"""

    name = "damped_newton"
    title = "Damped Newton"
    formula = r"x_{k+1} = x_k - \left[\nabla^2 f(x_k) + \lambda I\right]^{-1} \nabla f(x_k)"
    options = {"damping": DAMPING}
    divergence_hint = NEWTON_HINT

    def start(self, x):
        self.damping_matrix = self.damping * np.eye(len(x))

    def step(self, x, f, g):
        H = self.oracle.hess(x)
        p = -solve(H + self.damping_matrix, g, "H + λI")
        return Step(direction=p, damping=self.damping, event=uphill_warning(g, p, "damped Newton direction"))


class NewtonLineSearch(Method):
    """p = −(H + τI)⁻¹∇f, τ ≥ 0 lifting the lowest eigenvalue of H above zero;  x ← x + αp (Armijo)"""

    name = "newton_ls"
    title = "Newton with line search"
    formula = (
        r"p_k = -\left[\nabla^2 f(x_k) + \tau_k I\right]^{-1} \nabla f(x_k), \quad "
        r"x_{k+1} = x_k + \alpha_k p_k, \quad f(x_{k+1}) \le f(x_k) + c_1 \alpha_k \nabla f_k^\top p_k"
    )
    options = {
        "c1": Option(1e-4, "sufficient-decrease constant c₁ of the Armijo rule", low=0.0, high=0.5, low_open=True, log=True),
        "shrink": Option(0.5, "factor ρ by which a rejected α is cut", low=0.01, high=0.99),
    }

    def start(self, x):
        self.identity = np.eye(len(x))

    def step(self, x, f, g):
        H = self.oracle.hess(x)
        shift = positive_definite_shift(H)
        p = -solve(H + shift * self.identity, g, "the shifted Hessian")
        alpha, point, cut = linesearch.backtracking(self.oracle, x, f, g, p, self.c1, self.shrink)
        shifted = f"Hessian not positive definite: shifted by τ = {shift:.3g} for a descent direction" if shift else ""
        return Step(direction=p, alpha=alpha, damping=shift, event=join_events(shifted, cut), point=point)


def positive_definite_shift(H: np.ndarray, margin: float = 1e-3) -> float:
    """τ = 0 when H ≻ 0; otherwise τ = β − λ₁, lifting the lowest eigenvalue to β = margin · max(1, max|λ|)."""
    eigenvalues = symmetric_eigenvalues(H)
    lowest, highest = float(eigenvalues[0]), float(eigenvalues[-1])
    largest = max(-lowest, highest)  # max|λ|, the eigenvalues being ascending
    if lowest > ZERO_EIGENVALUE_RTOL * largest:
        return 0.0
    return float(margin * max(1.0, largest) - lowest)


class SaddleFreeNewton(Method):
    """x ← x − |H|⁻¹∇f, where |H| = Q|Λ|Qᵀ flips negative curvature"""

    name = "saddle_free_newton"
    title = "Saddle-free Newton"
    formula = r"x_{k+1} = x_k - |\nabla^2 f(x_k)|^{-1} \nabla f(x_k), \quad |H| = Q\,|\Lambda|\,Q^\top"

    def step(self, x, f, g):
        eigenvalues, Q = symmetric_eigen(self.oracle.hess(x))
        magnitudes = np.abs(eigenvalues)
        sizes = magnitudes.tolist()  # the extremes of d numbers, without numpy's reductions
        if min(sizes) <= ZERO_EIGENVALUE_RTOL * max(sizes):
            raise NumericalFailure("the Hessian is singular, so |H|⁻¹ is undefined")
        p = -Q.dot(Q.T.dot(g) / magnitudes)
        flipped = "negative curvature flipped: the step goes downhill along it" if eigenvalues[0] < 0 else ""
        return Step(direction=p, event=flipped)
