"""Quasi-Newton methods: curvature learned from how the gradient changes, s = x₊ − x, y = g₊ − g."""

from __future__ import annotations

from collections import deque

import numpy as np

from .. import linesearch
from ..linalg import norm
from ..options import Option
from .base import Method, Step, join_events

SKIP_EVENT = "curvature condition yᵀs > 0 failed: update skipped"


def curvature_pair_ok(s: np.ndarray, y: np.ndarray) -> bool:
    """yᵀs > 0 (safely): the update then keeps the inverse Hessian positive definite."""
    return s.dot(y) > 1e-10 * norm(s) * norm(y)


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
        p = -self.inverse_hessian.dot(g)
        alpha0 = first_step_length(p) if self.previous is None else 1.0
        alpha, point, searched = linesearch.wolfe(self.oracle, x, f, g, p, alpha=alpha0)
        self.previous = (x, g)
        return Step(direction=p, alpha=alpha, event=join_events(event, searched), point=point)

    def update(self, x, g):
        s, y = x - self.previous[0], g - self.previous[1]
        if not curvature_pair_ok(s, y):
            return SKIP_EVENT
        self.inverse_hessian = inverse_bfgs_update(self.inverse_hessian, s, y)
        return ""


def inverse_bfgs_update(H: np.ndarray, s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, ρ = 1/yᵀs, as the rank-two update H + usᵀ + suᵀ, u = ½(ρ²yᵀHy + ρ)s − ρHy.

    The expanded form costs O(d²) instead of the product's O(d³).
    """
    if H.shape == (2, 2):  # in floats: for the plane, numpy's per-call overhead would cost more than the arithmetic
        (a, b), (_, c) = H.tolist()
        (s0, s1), (y0, y1) = s.tolist(), y.tolist()
        rho = 1.0 / (y0 * s0 + y1 * s1)
        Hy0, Hy1 = a * y0 + b * y1, b * y0 + c * y1
        k = 0.5 * (rho * rho * (y0 * Hy0 + y1 * Hy1) + rho)
        u0, u1 = k * s0 - rho * Hy0, k * s1 - rho * Hy1
        cross = u0 * s1 + s0 * u1
        return np.array([[a + 2 * u0 * s0, b + cross], [b + cross, c + 2 * u1 * s1]])
    rho = 1.0 / y.dot(s)
    Hy = H.dot(y)
    u = 0.5 * (rho * rho * y.dot(Hy) + rho) * s - rho * Hy
    outer = u[:, None] * s
    return H + (outer + outer.T)  # the sum first: exactly symmetric


class LBFGS(Method):
    """p = −H⁻¹∇f with H⁻¹ built from the last m pairs (s, y) and H₀⁻¹ = (sᵀy / yᵀy) I"""

    name = "lbfgs"
    title = "L-BFGS"
    formula = (
        r"p_k = -H_k^{-1} \nabla f_k \text{ from the last } m \text{ pairs } "
        r"s_i = x_{i+1} - x_i,\ y_i = \nabla f_{i+1} - \nabla f_i"
    )
    options = {"memory": Option(10, "number m of (s, y) pairs remembered", low=1, high=1000, integer=True)}

    def start(self, x):
        self.pairs = PlanePairs(self.memory) if len(x) == 2 else CompactPairs(self.memory, len(x))
        self.previous = None

    def step(self, x, f, g):
        event = ""
        if self.previous is not None:
            s, y = x - self.previous[0], g - self.previous[1]
            if curvature_pair_ok(s, y):
                self.pairs.remember(s, y)
            else:
                event = SKIP_EVENT
        p = -self.pairs.inverse_hessian_times(g)
        alpha0 = first_step_length(p) if not len(self.pairs) else 1.0
        alpha, point, searched = linesearch.wolfe(self.oracle, x, f, g, p, alpha=alpha0)
        self.previous = (x, g)
        return Step(direction=p, alpha=alpha, event=join_events(event, searched), point=point)


class CompactPairs:
    """The last m pairs, and H⁻¹g from them in the compact form of Byrd, Nocedal & Schnabel (N&W eq. 7.24).

    A few BLAS products with arrays kept up to date pair by pair, instead of a recursion over the pairs.
    """

    def __init__(self, memory: int, dim: int) -> None:
        m = self.memory = memory
        # The pairs sit in m slots, a new one in the slot of the oldest: nothing is ever shifted. Every array
        # lists them in slot order, which is all the compact form asks.
        self.S, self.Y = np.zeros((m, dim)), np.zeros((m, dim))  # rows sᵢ and yᵢ
        self.s_dot_y = np.zeros(m)  # sᵢᵀyᵢ: the diagonal D
        self.R_inverse = np.zeros((m, m))  # R⁻¹, R the triangle of sᵢᵀyⱼ with pair i no newer than pair j
        self.y_gram = np.zeros((m, m))  # yᵢᵀyⱼ
        self.n_pairs, self.newest, self.gamma = 0, -1, 1.0  # H₀⁻¹ = γI, γ = sᵀy / yᵀy of the newest pair

    def __len__(self) -> int:
        return self.n_pairs

    def remember(self, s, y):
        """Put (s, y) in the slot of the oldest pair, and update R⁻¹ and the y's Gram matrix to match.

        Both are updated, not rebuilt. Forgetting a pair drops its row and column from R⁻¹: R is a
        triangle in the order of age, and without its first row and column its inverse is the trailing
        block of R⁻¹. The new pair, the newest, borders R with the column [c; r] = [Sᵀy; sᵀy], and so
        R⁻¹ with [−R⁻¹c / r; 1 / r].
        """
        slot = (self.newest + 1) % self.memory
        self.newest, self.n_pairs = slot, min(self.n_pairs + 1, self.memory)
        n = self.n_pairs
        self.R_inverse[slot], self.R_inverse[:, slot] = 0.0, 0.0  # forget the pair that was in the slot
        self.S[slot], self.Y[slot] = s, y
        s_y, y_y = self.S[:n].dot(y), self.Y[:n].dot(y)  # sᵢᵀy and yᵢᵀy for every pair kept, the new one included
        r = s_y[slot]
        self.R_inverse[:n, slot] = self.R_inverse[:n, :n].dot(s_y) / -r  # the slot's zero column leaves r out
        self.R_inverse[slot, slot], self.s_dot_y[slot] = 1.0 / r, r
        self.y_gram[slot, :n] = self.y_gram[:n, slot] = y_y
        self.gamma = float(r / y_y[slot])

    def inverse_hessian_times(self, g):
        """H⁻¹g = γ(g − Yu) + Sv, u = R⁻¹Sᵀg, v = R⁻ᵀ((D + γYᵀY)u − γYᵀg), the pairs the columns of S and Y."""
        n, gamma = self.n_pairs, self.gamma
        if not n:
            return g.copy()
        S, Y, R_inverse = self.S[:n], self.Y[:n], self.R_inverse[:n, :n]  # rows: S.dot(g) is Sᵀg
        u = R_inverse.dot(S.dot(g))
        v = R_inverse.T.dot(self.s_dot_y[:n] * u + gamma * (self.y_gram[:n, :n].dot(u) - Y.dot(g)))
        return gamma * (g - u.dot(Y)) + v.dot(S)


class PlanePairs:
    """The last m pairs of a two-dimensional problem, as floats, and H⁻¹g by the two-loop recursion (N&W Alg. 7.4).

    In the plane the compact form's BLAS products cost more in numpy's call overhead than the whole
    recursion costs in float arithmetic.
    """

    def __init__(self, memory: int) -> None:
        self.pairs = deque(maxlen=memory)  # (s₀, s₁, y₀, y₁, ρ = 1/sᵀy), oldest first

    def __len__(self) -> int:
        return len(self.pairs)

    def remember(self, s, y):
        (s0, s1), (y0, y1) = s.tolist(), y.tolist()
        self.pairs.append((s0, s1, y0, y1, 1.0 / (s0 * y0 + s1 * y1)))

    def inverse_hessian_times(self, g):
        """q ← q − αᵢyᵢ with αᵢ = ρᵢsᵢᵀq, newest pair first; r = γq; r ← r + (αᵢ − ρᵢyᵢᵀr)sᵢ, oldest first."""
        if not self.pairs:
            return g.copy()
        q0, q1 = g.tolist()
        alphas = []
        for s0, s1, y0, y1, rho in reversed(self.pairs):
            alpha = rho * (s0 * q0 + s1 * q1)
            q0, q1 = q0 - alpha * y0, q1 - alpha * y1
            alphas.append(alpha)
        s0, s1, y0, y1, rho = self.pairs[-1]
        gamma = (s0 * y0 + s1 * y1) / (y0 * y0 + y1 * y1)  # H₀⁻¹ = γI
        r0, r1 = gamma * q0, gamma * q1
        for (s0, s1, y0, y1, rho), alpha in zip(self.pairs, reversed(alphas)):
            correction = alpha - rho * (y0 * r0 + y1 * r1)
            r0, r1 = r0 + correction * s0, r1 + correction * s1
        return np.array([r0, r1])
