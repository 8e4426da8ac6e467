"""Line searches along a descent direction p: choose α in x + αp. Shared by the Newton-type methods."""

from __future__ import annotations

import math

from .linalg import NumericalFailure, along
from .oracle import Oracle

MAX_TRIALS = 60


def backtracking(oracle: Oracle, x, f, g, p, c1: float = 1e-4, shrink: float = 0.5, alpha: float = 1.0):
    """Armijo: the first α in 1, ρ, ρ², … with f(x + αp) ≤ f(x) + c₁ α gᵀp. Returns (α, x + αp, event)."""
    slope = g.dot(p)
    if not slope < 0:
        raise NumericalFailure("the search direction is not a descent direction (gᵀp ≥ 0)")
    for _ in range(MAX_TRIALS):
        point = x + alpha * p
        if oracle.f(point) <= f + c1 * alpha * slope:
            return alpha, point, (f"line search cut the step to α = {alpha:.3g}" if alpha < 1 else "")
        alpha *= shrink
    raise NumericalFailure(f"line search found no decrease of f in {MAX_TRIALS} trials")


class Ray:
    """The objective along the search direction: φ(α) = f(x + αp) and its slope φ'(α) = ∇f(x + αp)ᵀp."""

    def __init__(self, oracle: Oracle, x, p):
        self.oracle, self.x, self.p = oracle, x, p
        self.alpha, self.point = None, None

    def at(self, alpha):
        """x + αp, computed once for both φ(α) and φ'(α)."""
        if alpha != self.alpha:
            self.alpha, self.point = alpha, along(self.x, alpha, self.p)
        return self.point

    def value(self, alpha):
        return self.oracle.f(self.at(alpha))

    def slope(self, alpha):
        return self.oracle.grad(self.at(alpha)).dot(self.p)


def wolfe(oracle: Oracle, x, f, g, p, c1: float = 1e-4, c2: float = 0.9, alpha: float = 1.0):
    """Strong Wolfe: f(x+αp) ≤ f + c₁α gᵀp and |∇f(x+αp)ᵀp| ≤ c₂|gᵀp| (Nocedal & Wright, Alg. 3.5–3.6).

    Returns (α, x + αp, event).
    """
    slope = g.dot(p)
    if not slope < 0:
        raise NumericalFailure("the search direction is not a descent direction (gᵀp ≥ 0)")
    ray = Ray(oracle, x, p)

    def sufficient_decrease(a, value):
        return value <= f + c1 * a * slope

    previous, previous_value = 0.0, f
    for trial in range(MAX_TRIALS):
        value = ray.value(alpha)
        if not sufficient_decrease(alpha, value) or (trial > 0 and value >= previous_value):
            return _zoom(ray, sufficient_decrease, slope, c2, previous, previous_value, alpha, value)
        derivative = ray.slope(alpha)
        if abs(derivative) <= -c2 * slope:
            return alpha, ray.at(alpha), _cut_event(alpha)
        if derivative >= 0:
            return _zoom(ray, sufficient_decrease, slope, c2, alpha, value, previous, previous_value)
        previous, previous_value, alpha = alpha, value, 2.0 * alpha
    raise NumericalFailure("line search could not bracket a step: f keeps decreasing along p")


def _zoom(ray, sufficient_decrease, slope, c2, low, low_value, high, high_value):
    """Shrink [low, high], which brackets a strong-Wolfe step, by safeguarded cubic interpolation."""
    low_derivative = slope if low == 0.0 else ray.slope(low)
    high_derivative = slope if high == 0.0 else ray.slope(high)
    for _ in range(MAX_TRIALS):
        alpha = _interpolate(low, low_value, low_derivative, high, high_value, high_derivative)
        value, derivative = ray.value(alpha), ray.slope(alpha)
        if not sufficient_decrease(alpha, value) or value >= low_value:
            high, high_value, high_derivative = alpha, value, derivative
            continue
        if abs(derivative) <= -c2 * slope:
            return alpha, ray.at(alpha), _cut_event(alpha)
        if derivative * (high - low) >= 0:
            high, high_value, high_derivative = low, low_value, low_derivative
        low, low_value, low_derivative = alpha, value, derivative
    if low > 0:  # sufficient decrease holds at `low`; the curvature condition could not be met
        return low, ray.at(low), f"line search settled for α = {low:.3g} without the curvature condition"
    raise NumericalFailure(f"line search found no decrease of f in {MAX_TRIALS} trials")


def _interpolate(a, value_a, derivative_a, b, value_b, derivative_b):
    """Minimiser of the cubic matching φ and φ' at a and b (N&W eq. 3.59), kept inside the middle 80 %."""
    d1 = derivative_a + derivative_b - 3 * (value_a - value_b) / (a - b)
    radicand = d1 * d1 - derivative_a * derivative_b
    if not radicand >= 0:  # the cubic has no minimiser: bisect
        return 0.5 * (a + b)
    d2 = math.copysign(math.sqrt(radicand), b - a)
    alpha = b - (b - a) * (derivative_b + d2 - d1) / (derivative_b - derivative_a + 2 * d2)
    inner, outer = sorted((a + 0.1 * (b - a), b - 0.1 * (b - a)))
    return alpha if inner <= alpha <= outer else 0.5 * (a + b)


def _cut_event(alpha: float) -> str:
    return "" if alpha == 1.0 else f"line search chose α = {alpha:.3g}"
