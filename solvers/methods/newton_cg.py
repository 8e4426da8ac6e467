"""Hessian-free Newton: the Newton system solved by conjugate gradients, using only products Hv."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .. import linesearch
from ..linalg import norm
from ..options import Option
from .base import Method, Step, join_events


class NewtonCG(Method):
    """p ≈ −H⁻¹∇f by truncated CG on Hessian-vector products (stopped at negative curvature);  x ← x + αp"""

    name = "newton_cg"
    title = "Newton-CG (Hessian-free)"
    formula = (
        r"\nabla^2 f_k\, p_k \approx -\nabla f_k \text{ by CG until } "
        r"\|\nabla^2 f_k p_k + \nabla f_k\| \le \eta_k \|\nabla f_k\|, \quad x_{k+1} = x_k + \alpha_k p_k"
    )
    options = {
        "cg_iters": Option(None, "most CG iterations per step (None: 20 d)", low=1, high=100000,
                           integer=True, allow_none=True),
        "cg_tol": Option(None, "relative residual η at which CG stops (None: min(½, √‖∇f‖), superlinear)",
                         low=0.0, high=1.0, log=True, allow_none=True),
    }

    def step(self, x, f, g):
        grad_norm = norm(g)
        forcing = min(0.5, math.sqrt(grad_norm)) if self.cg_tol is None else self.cg_tol
        max_iterations = 20 * len(x) if self.cg_iters is None else self.cg_iters
        hvp = self.oracle.hessian_operator(x)
        p, iterations, truncated = truncated_cg(hvp, g, forcing * grad_norm, max_iterations)
        alpha, point, searched = linesearch.wolfe(self.oracle, x, f, g, p)
        return Step(direction=p, alpha=alpha, inner_iterations=iterations, event=join_events(truncated, searched),
                    point=point)


def truncated_cg(hvp: Callable[[np.ndarray], np.ndarray], g: np.ndarray, tolerance: float, max_iterations: int):
    """Solve Hp = −g by conjugate gradients until ‖Hp + g‖ ≤ tolerance (Nocedal & Wright, Alg. 7.1).

    At negative curvature dᵀHd ≤ 0 it stops with the last iterate, or −g if that is still zero.
    Returns (p, CG iterations, event).
    """
    p = np.zeros(g.shape)  # not zeros_like, whose dispatch is slow for small arrays
    residual = g  # r = Hp + g; never changed in place
    direction = -residual
    residual_sq = residual.dot(residual)
    for iteration in range(max_iterations):
        Hd = hvp(direction)
        curvature = direction.dot(Hd)
        if curvature <= 0:
            if iteration == 0:
                return -g, 1, "negative curvature at once: steepest descent instead"
            return p, iteration + 1, f"negative curvature after {iteration} CG steps: truncated"
        step = residual_sq / curvature
        p = p + step * direction
        residual = residual + step * Hd
        new_residual_sq = residual.dot(residual)
        if math.sqrt(new_residual_sq) <= tolerance:
            return p, iteration + 1, ""
        direction = -residual + (new_residual_sq / residual_sq) * direction
        residual_sq = new_residual_sq
    return p, max_iterations, ""
