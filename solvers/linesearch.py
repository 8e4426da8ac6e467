"""Line searches along a descent direction p: choose α in x + αp. Shared by the Newton-type methods."""

from __future__ import annotations

import numpy as np

from .linalg import NumericalFailure
from .oracle import Oracle

MAX_TRIALS = 60


def backtracking(oracle: Oracle, x, f, g, p, c1: float = 1e-4, shrink: float = 0.5, alpha: float = 1.0):
    """Armijo: the first α in 1, ρ, ρ², … with f(x + αp) ≤ f(x) + c₁ α gᵀp. Returns (α, event)."""
    slope = g @ p
    if not slope < 0:
        raise NumericalFailure("the search direction is not a descent direction (gᵀp ≥ 0)")
    for _ in range(MAX_TRIALS):
        if oracle.f(x + alpha * p) <= f + c1 * alpha * slope:
            return alpha, (f"line search cut the step to α = {alpha:.3g}" if alpha < 1 else "")
        alpha *= shrink
    raise NumericalFailure(f"line search found no decrease of f in {MAX_TRIALS} trials")


def wolfe(oracle: Oracle, x, f, g, p, c1: float = 1e-4, c2: float = 0.9, alpha: float = 1.0):
    """Strong Wolfe: f(x+αp) ≤ f + c₁α gᵀp and |∇f(x+αp)ᵀp| ≤ c₂|gᵀp| (Nocedal & Wright, Alg. 3.5–3.6)."""
    slope = g @ p
    if not slope < 0:
        raise NumericalFailure("the search direction is not a descent direction (gᵀp ≥ 0)")

    def phi(a):
        return oracle.f(x + a * p)

    def dphi(a):
        return oracle.grad(x + a * p) @ p

    def sufficient_decrease(a, value):
        return value <= f + c1 * a * slope

    previous, previous_value = 0.0, f
    for trial in range(MAX_TRIALS):
        value = phi(alpha)
        if not sufficient_decrease(alpha, value) or (trial > 0 and value >= previous_value):
            return _zoom(phi, dphi, sufficient_decrease, slope, c2, previous, previous_value, alpha, value)
        derivative = dphi(alpha)
        if abs(derivative) <= -c2 * slope:
            return alpha, _cut_event(alpha)
        if derivative >= 0:
            return _zoom(phi, dphi, sufficient_decrease, slope, c2, alpha, value, previous, previous_value)
        previous, previous_value, alpha = alpha, value, 2.0 * alpha
    raise NumericalFailure("line search could not bracket a step: f keeps decreasing along p")


def _zoom(phi, dphi, sufficient_decrease, slope, c2, low, low_value, high, high_value):
    """Shrink [low, high], which brackets a strong-Wolfe step, by safeguarded cubic interpolation."""
    low_derivative = slope if low == 0.0 else dphi(low)
    high_derivative = slope if high == 0.0 else dphi(high)
    for _ in range(MAX_TRIALS):
        alpha = _interpolate(low, low_value, low_derivative, high, high_value, high_derivative)
        value, derivative = phi(alpha), dphi(alpha)
        if not sufficient_decrease(alpha, value) or value >= low_value:
            high, high_value, high_derivative = alpha, value, derivative
            continue
        if abs(derivative) <= -c2 * slope:
            return alpha, _cut_event(alpha)
        if derivative * (high - low) >= 0:
            high, high_value, high_derivative = low, low_value, low_derivative
        low, low_value, low_derivative = alpha, value, derivative
    if low > 0:  # sufficient decrease holds at `low`; the curvature condition could not be met
        return low, f"line search settled for α = {low:.3g} without the curvature condition"
    raise NumericalFailure(f"line search found no decrease of f in {MAX_TRIALS} trials")


def _interpolate(a, value_a, derivative_a, b, value_b, derivative_b):
    """Minimiser of the cubic matching φ and φ' at a and b (N&W eq. 3.59), kept inside the middle 80 %."""
    d1 = derivative_a + derivative_b - 3 * (value_a - value_b) / (a - b)
    d2 = np.sign(b - a) * np.sqrt(d1 * d1 - derivative_a * derivative_b)
    alpha = b - (b - a) * (derivative_b + d2 - d1) / (derivative_b - derivative_a + 2 * d2)
    inner, outer = sorted((a + 0.1 * (b - a), b - 0.1 * (b - a)))
    return alpha if inner <= alpha <= outer else 0.5 * (a + b)


def _cut_event(alpha: float) -> str:
    return "" if alpha == 1.0 else f"line search chose α = {alpha:.3g}"
