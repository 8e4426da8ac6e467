"""Trust-region Newton: minimise the quadratic model inside a ball whose radius follows the model's honesty."""

from __future__ import annotations

import math

import numpy as np

from ..linalg import NumericalFailure, norm, symmetric_eigen
from ..options import Option
from .base import Method, Step, join_events

SECULAR_TOLERANCE = 1e-10  # relative accuracy of ‖p‖ = Δ on the boundary
EPS = np.finfo(float).eps


class TrustRegion(Method):
    """p = argmin_{‖p‖ ≤ Δ} gᵀp + ½pᵀHp;  accept if ρ = (f(x) − f(x+p)) / (m(0) − m(p)) > η"""

    name = "trust_region"
    title = "Trust-region Newton"
    formula = (
        r"p_k = \arg\min_{\|p\| \le \Delta_k} \nabla f_k^\top p + \tfrac12 p^\top \nabla^2 f_k\, p, \quad "
        r"\rho_k = \frac{f(x_k) - f(x_k + p_k)}{m_k(0) - m_k(p_k)}"
    )
    options = {
        "radius": Option(1.0, "initial trust radius Δ₀", low=0.0, high=1e6, low_open=True, log=True),
        "max_radius": Option(1000.0, "largest trust radius", low=0.0, high=1e12, low_open=True, log=True),
        "eta": Option(0.15, "accept a step when ρ > η", low=0.0, high=0.25),
    }

    def start(self, x):
        if self.radius > self.max_radius:
            raise ValueError(f"radius ({self.radius:g}) must not exceed max_radius ({self.max_radius:g})")
        self.trust_radius = self.radius

    def step(self, x, f, g):
        radius = self.trust_radius
        if radius <= EPS * max(1.0, norm(x)):
            raise NumericalFailure(f"the trust radius collapsed to {radius:.1e}: no step reduces f any more")
        H = self.oracle.hess(x)
        p, on_boundary, iterations = trust_region_step(g, H, radius)
        predicted = -(g.dot(p) + 0.5 * p.dot(H.dot(p)))
        trial = x + p
        rho = (f - self.oracle.f(trial)) / predicted
        if not math.isfinite(rho):  # f overflowed at the trial point: the model lied badly
            rho = -np.inf
        self.trust_radius, resized = self.update_radius(radius, rho, on_boundary)
        accepted = bool(rho > self.eta)
        verdict = "" if accepted else f"step rejected (ρ = {rho:.2g} ≤ η)"
        return Step(direction=p, accepted=accepted, radius=radius, inner_iterations=iterations,
                    event=join_events(verdict, resized), point=trial)

    def update_radius(self, radius, rho, on_boundary):
        """Δ ← Δ/4 when ρ < ¼; Δ ← min(2Δ, Δmax) when ρ > ¾ on the boundary. Returns (Δ, event)."""
        if rho < 0.25:
            return 0.25 * radius, f"model poor (ρ = {rho:.2g}): radius cut to {0.25 * radius:.3g}"
        if rho > 0.75 and on_boundary and radius < self.max_radius:
            grown = min(2.0 * radius, self.max_radius)
            return grown, f"model good on the boundary (ρ = {rho:.2g}): radius grown to {grown:.3g}"
        return radius, ""


def trust_region_step(g: np.ndarray, H: np.ndarray, radius: float) -> tuple[np.ndarray, bool, int]:
    """Exact solution of min gᵀp + ½pᵀHp s.t. ‖p‖ ≤ Δ through H = QΛQᵀ (Moré & Sorensen).

    The minimiser is p(λ) = −(H + λI)⁻¹g with λ ≥ max(0, −λ₁) and λ(Δ − ‖p‖) = 0. Returns
    (p, whether p is on the boundary, number of secular-equation iterations).
    """
    eigenvalues, Q = symmetric_eigen(H)
    g_hat = Q.T.dot(g)
    values = eigenvalues.tolist()
    smallest, largest = values[0], values[-1]  # ascending
    if smallest > 0:
        newton = -g_hat / eigenvalues
        if norm(newton) <= radius:
            return Q.dot(newton), False, 0
    lowest = max(0.0, -smallest)
    scale = max(1.0, -smallest, largest)  # max(1, max|λ|)
    if smallest + lowest <= 1e-12 * scale:  # λ₁ ≤ 0, or positive but negligible
        p = hard_case_step(g_hat, eigenvalues, Q, radius, lowest, 1e-12 * scale)
        if p is not None:
            return p, True, 0
    _, p_hat, iterations = solve_secular_equation(g_hat, eigenvalues, radius, lowest)
    return Q.dot(p_hat), True, iterations


def hard_case_step(g_hat, eigenvalues, Q, radius, lowest, zero):
    """The step of the hard case, when g has no component along the most negative curvature, else None.

    Then ‖p(λ)‖ < Δ for every λ > −λ₁: the solution is p(−λ₁) plus a walk along the lowest eigenvector
    out to the boundary. `zero` is how small λᵢ + lowest must be to count as the lowest curvature.
    """
    along_lowest = eigenvalues + lowest <= zero  # true for the first few
    if norm(g_hat[along_lowest]) > 1e-12 * max(1.0, norm(g_hat)):
        return None
    others = ~along_lowest
    p_hat = np.zeros_like(g_hat)
    p_hat[others] = -g_hat[others] / (eigenvalues[others] + lowest)
    gap = radius**2 - p_hat.dot(p_hat)
    if gap < 0:  # p(−λ₁) already leaves the region: the secular equation has its root after all
        return None
    p_hat[np.argmax(along_lowest)] = np.sqrt(gap)  # walk along the lowest eigenvector to Δ
    return Q.dot(p_hat)


def solve_secular_equation(g_hat, eigenvalues, radius, lowest, max_iterations=100):
    """The λ > lowest with ‖p(λ)‖ = Δ: Newton on 1/‖p(λ)‖ − 1/Δ, safeguarded by bisection.

    Returns (λ, p(λ) in the eigenbasis, iterations).

    1/‖p(λ)‖ is concave, so Newton's iterates from a λ left of the root (‖p(λ)‖ ≥ Δ) rise monotonically
    to it. λ = |ĝ₁|/Δ − λ₁ is one: p's first component alone has length Δ there.
    """
    # The d terms (ĝᵢ, λᵢ) as Python floats: for the lab's small d far cheaper than numpy calls, and for
    # large d nothing next to the eigen-decomposition that produced them.
    terms = list(zip(g_hat.tolist(), eigenvalues.tolist()))
    low, high = lowest, lowest + norm(g_hat) / radius  # ‖p(high)‖ ≤ Δ always
    lam = max(lowest, abs(terms[0][0]) / radius - terms[0][1])

    def p_at(lam):  # p(λ) in the eigenbasis
        return [-gi / (li + lam) for gi, li in terms]

    for iteration in range(1, max_iterations + 1):
        p_hat = p_at(lam)
        norm_p = math.hypot(*p_hat)
        if abs(norm_p - radius) <= SECULAR_TOLERANCE * radius:
            return lam, np.array(p_hat), iteration
        if norm_p > radius:
            low = lam
        else:
            high = lam
        # d/dλ of 1/‖p(λ)‖ = Σ ĝᵢ²/(λᵢ+λ)³ / ‖p‖³
        derivative = sum(pi * pi / (li + lam) for pi, (_, li) in zip(p_hat, terms)) / norm_p**3
        lam = lam - (1 / norm_p - 1 / radius) / derivative  # Newton step on φ(λ) = 1/‖p‖ − 1/Δ
        if not low < lam < high:
            lam = 0.5 * (low + high)
    return lam, np.array(p_at(lam)), max_iterations
