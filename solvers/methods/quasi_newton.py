"""Quasi-Newton methods: curvature learned from how the gradient changes, s = x₊ − x, y = g₊ − g."""

from __future__ import annotations

from collections import deque

import numpy as np

from .. import linesearch
from ..options import Option
from .base import Method, Step, join_events

SKIP_EVENT = "curvature condition yᵀs > 0 failed: update skipped"


def curvature_pair_ok(s: np.ndarray, y: np.ndarray) -> bool:
    """yᵀs > 0 (safely): the update then keeps the inverse Hessian positive definite."""
    return s @ y > 1e-10 * np.linalg.norm(s) * np.linalg.norm(y)


def first_step_length(p: np.ndarray) -> float:
    """Without curvature information yet, the first trial step has unit length."""
    return min(1.0, 1.0 / float(np.linalg.norm(p)))


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
        self.inverse_hessian += (rho * rho * (y @ Hy) + rho) * np.outer(s, s) - rho * (np.outer(Hy, s) + np.outer(s, Hy))
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
                self.pairs.append((s, y, 1.0 / (y @ s)))
            else:
                event = SKIP_EVENT
        p = -self.inverse_hessian_times(g)
        alpha0 = first_step_length(p) if not self.pairs else 1.0
        alpha, searched = linesearch.wolfe(self.oracle, x, f, g, p, alpha=alpha0)
        self.previous = (x, g)
        return Step(direction=p, alpha=alpha, event=join_events(event, searched))

    def inverse_hessian_times(self, g):
        """H⁻¹g by the two-loop recursion (Nocedal & Wright, Alg. 7.4)."""
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            a = rho * (s @ q)
            q -= a * y
            alphas.append(a)
        if self.pairs:
            s, y, _ = self.pairs[-1]
            q *= (s @ y) / (y @ y)
        for (s, y, rho), a in zip(self.pairs, reversed(alphas)):
            q += (a - rho * (y @ q)) * s
        return q
