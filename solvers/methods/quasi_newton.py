"""Quasi-Newton methods: curvature learned from how the gradient changes, s = x₊ − x, y = g₊ − g."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from .. import linesearch
from ..linalg import norm
from ..options import Option
from .base import Method, Step, join_events

SKIP_EVENT = "curvature condition yᵀs > 0 failed: update skipped"


def curvature_pair_ok(s: np.ndarray, y: np.ndarray) -> bool:
    """yᵀs > 0 (safely): the update then keeps the inverse Hessian positive definite."""
    return s @ y > 1e-10 * math.sqrt((s @ s) * (y @ y))


def first_step_length(p: np.ndarray) -> float:
    """Without curvature information yet, the first trial step has unit length."""
    return min(1.0, 1.0 / norm(p))


class BFGS(Method):
    """H⁻¹ ← (I − ρsyᵀ) H⁻¹ (I − ρysᵀ) + ρssᵀ with ρ = 1/yᵀs;  p = −H⁻¹∇f, α by a Wolfe line search"""

    name = "bfgs"
    title = "BFGS"
    formula = (
        r"H^{-1}_{k+1} = (I - \rho_k s_k y_k^\top)\, H^{-1}_k\, (I - \rho_k y_k s_k^\top) + \rho_k s_k s_k^\top, "
        r"\quad \rho_k = \frac{1}{y_k^\top s_k}"
    )

    def start(self, x):
        self.inverse_hessian = np.eye(len(x))
        self.previous = None  # (x, g) of the last iterate

    def step(self, x, f, g):
        event = self.update(x, g) if self.previous is not None else ""
        p = -self.inverse_hessian @ g
        alpha0 = first_step_length(p) if self.previous is None else 1.0
        alpha, searched = linesearch.wolfe(self.oracle, x, f, g, p, alpha=alpha0)
        self.previous = (x, g)
        return Step(direction=p, alpha=alpha, event=join_events(event, searched))

    def update(self, x, g):
        s, y = x - self.previous[0], g - self.previous[1]
        if not curvature_pair_ok(s, y):
            return SKIP_EVENT
        rho = 1.0 / (y @ s)
        # The product form above, expanded so that it costs O(d²) instead of O(d³).
        Hy = self.inverse_hessian @ y
        s_column, Hy_column = s[:, None], Hy[:, None]
        self.inverse_hessian += (rho * rho * (y @ Hy) + rho) * s_column * s - rho * (Hy_column * s + s_column * Hy)
        return ""


class LBFGS(Method):
    """p = −H⁻¹∇f from the last m pairs (s, y) by the two-loop recursion, H₀⁻¹ = (sᵀy / yᵀy) I"""

    name = "lbfgs"
    title = "L-BFGS"
    formula = (
        r"p_k = -H_k^{-1} \nabla f_k \text{ from the last } m \text{ pairs } "
        r"s_i = x_{i+1} - x_i,\ y_i = \nabla f_{i+1} - \nabla f_i"
    )
    options = {"memory": Option(10, "number m of (s, y) pairs remembered", low=1, high=1000, integer=True)}

    def start(self, x):
        self.pairs = deque(maxlen=self.memory)  # (s, y, ρ), oldest first
        self.previous = None

    def step(self, x, f, g):
        event = ""
        if self.previous is not None:
            s, y = x - self.previous[0], g - self.previous[1]
            if curvature_pair_ok(s, y):
                self.pairs.append((s, y, 1.0 / float(y @ s)))
            else:
                event = SKIP_EVENT
        p = -self.inverse_hessian_times(g)
        alpha0 = first_step_length(p) if not self.pairs else 1.0
        alpha, searched = linesearch.wolfe(self.oracle, x, f, g, p, alpha=alpha0)
        self.previous = (x, g)
        return Step(direction=p, alpha=alpha, event=join_events(event, searched))

    def inverse_hessian_times(self, g):
        """H⁻¹g by the two-loop recursion (Nocedal & Wright, Alg. 7.4) with H₀⁻¹ = γI.

        The recursion only ever needs inner products of g with the pairs and of the pairs with each
        other, so those are taken at once, as matrices; the loops then run over plain numbers.
        """
        if not self.pairs:
            return g.copy()
        S, Y = np.array([p[0] for p in self.pairs]), np.array([p[1] for p in self.pairs])  # rows, oldest first
        rho = [p[2] for p in self.pairs]
        sy = (S @ Y.T).tolist()  # sy[i][j] = sᵢᵀyⱼ
        m = len(rho)
        # First loop, newest to oldest: αᵢ = ρᵢ sᵢᵀq with q = g − Σ_{j>i} αⱼyⱼ.
        s_g = (S @ g).tolist()
        alpha = [0.0] * m
        for i in reversed(range(m)):
            s_q = s_g[i]
            for j in range(i + 1, m):
                s_q -= alpha[j] * sy[i][j]
            alpha[i] = rho[i] * s_q
        q = g - np.array(alpha) @ Y
        gamma = sy[-1][-1] / float(Y[-1] @ Y[-1])  # H₀⁻¹ = (sᵀy / yᵀy) I from the newest pair
        # Second loop, oldest to newest: βᵢ = ρᵢ yᵢᵀr with r = γq + Σ_{j<i} (αⱼ − βⱼ)sⱼ.
        y_q = (Y @ q).tolist()
        beta = [0.0] * m
        for i in range(m):
            y_r = gamma * y_q[i]
            for j in range(i):
                y_r += (alpha[j] - beta[j]) * sy[j][i]
            beta[i] = rho[i] * y_r
        return gamma * q + (np.array(alpha) - np.array(beta)) @ S
