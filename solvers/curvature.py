"""Eigen-analysis of the Hessian, the local quadratic model, and the empirical order of convergence."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .linalg import symmetric_eigen, symmetric_eigen_stack

# Eigenvalues smaller than this fraction of the largest |λ| count as zero.
ZERO_EIGENVALUE_RTOL = 1e-10

VERDICT_TEXT = {
    "positive definite": "positive definite: the Newton step goes downhill",
    "positive semidefinite": "positive semidefinite: flat along one direction, the Newton step is undefined",
    "indefinite": "indefinite: saddle region, pure Newton may climb",
    "negative semidefinite": "negative semidefinite: curving down and flat, the Newton step is undefined",
    "negative definite": "negative definite: near a maximum, pure Newton climbs towards it",
    "singular": "singular: no curvature at all, the Newton step is undefined",
}


class Curvature(NamedTuple):
    """The Hessian's eigenvalues (ascending), eigenvectors (columns), condition number and verdict."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition_number: float  # max|λ| / min|λ|, inf when singular
    verdict: str  # a key of VERDICT_TEXT

    @property
    def explanation(self) -> str:
        return VERDICT_TEXT[self.verdict]

    @property
    def positive_definite(self) -> bool:
        return self.verdict == "positive definite"


def eigen_analysis(hessian: np.ndarray) -> Curvature:
    """H = Q Λ Qᵀ with λ₁ ≤ … ≤ λ_d, and what the signs of λ say about the Newton step."""
    eigenvalues, eigenvectors = symmetric_eigen(hessian)
    verdict = str(verdicts(eigenvalues[None])[0])
    largest, smallest = np.abs(eigenvalues).max(), np.abs(eigenvalues).min()
    singular = smallest <= ZERO_EIGENVALUE_RTOL * largest
    condition_number = math.inf if singular else float(largest / smallest)
    return Curvature(eigenvalues, eigenvectors, condition_number, verdict)


def verdicts(eigenvalues: np.ndarray) -> np.ndarray:
    """The definiteness (a key of VERDICT_TEXT) of each row of eigenvalues (n, d); '' where not finite.

    An eigenvalue counts as zero when |λ| ≤ ZERO_EIGENVALUE_RTOL · max|λ| of its row.
    """
    magnitudes = np.abs(eigenvalues)
    zero = magnitudes <= ZERO_EIGENVALUE_RTOL * magnitudes.max(axis=1, keepdims=True)
    positive = ((eigenvalues > 0) & ~zero).any(axis=1)
    negative = ((eigenvalues < 0) & ~zero).any(axis=1)
    flat = zero.any(axis=1)
    verdict = VERDICT_OF_SIGNS[4 * positive + 2 * negative + flat]
    return np.where(np.isfinite(eigenvalues).all(axis=1), verdict, "")


# The verdict by which signs occur among the eigenvalues, at 4·(some λ > 0) + 2·(some λ < 0) + (some λ = 0).
VERDICT_OF_SIGNS = np.array([
    "singular", "singular",  # no λ of either sign
    "negative definite", "negative semidefinite",
    "positive definite", "positive semidefinite",
    "indefinite", "indefinite",
])


def newton_directions(hessians: np.ndarray, gradients: np.ndarray):
    """−H⁻¹g = −Q Λ⁻¹ Qᵀ g for a stack of Hessians (n, d, d) and gradients (n, d), all at once.

    Returns (eigenvalues (n, d), eigenvectors (n, d, d), directions (n, d)); a row of directions is
    NaN where its H is singular (by the rule of `eigen_analysis`) or the direction overflows, and every
    row is NaN where H is not finite.
    """
    finite = np.isfinite(hessians.reshape(len(hessians), -1)).all(axis=1)
    if not finite.all():
        hessians = np.where(finite[:, None, None], hessians, 0.0)
    eigenvalues, eigenvectors = symmetric_eigen_stack(hessians)
    directions = damped_newton_directions(eigenvalues, eigenvectors, gradients, 0.0)
    if not finite.all():
        eigenvalues[~finite], eigenvectors[~finite], directions[~finite] = np.nan, np.nan, np.nan
    return eigenvalues, eigenvectors, directions


def damped_newton_directions(eigenvalues: np.ndarray, eigenvectors: np.ndarray, gradients: np.ndarray,
                             damping: float) -> np.ndarray:
    """−(H + λI)⁻¹g = −Q (Λ + λI)⁻¹ Qᵀ g for a stack of H = QΛQᵀ, eigenvalues (n, d), eigenvectors (n, d, d),
    and gradients (n, d). A row is NaN where H + λI is singular (by the rule of `eigen_analysis`) or the
    direction overflows."""
    shifted = eigenvalues + damping
    magnitudes = np.abs(shifted)
    singular = (magnitudes <= ZERO_EIGENVALUE_RTOL * magnitudes.max(axis=1, keepdims=True)).any(axis=1)
    along = (np.swapaxes(eigenvectors, 1, 2) @ gradients[:, :, None])[:, :, 0]  # Qᵀg
    with np.errstate(over="ignore", invalid="ignore"):  # a direction too long for a float: NaN below
        along /= np.where(singular[:, None], 1.0, shifted)  # (Λ + λI)⁻¹Qᵀg
        directions = -(eigenvectors @ along[:, :, None])[:, :, 0]
    directions[singular | ~np.isfinite(directions).all(axis=1)] = np.nan  # singular, or too long for a float
    return directions


# The second-order test: what a stationary point is, by the verdict on its Hessian (absent: inconclusive).
KIND_OF_VERDICT = {"positive definite": "minimum", "negative definite": "maximum", "indefinite": "saddle"}


def stationary_kind(curvature: Curvature) -> str | None:
    """minimum / saddle / maximum by the second-order test, None when it is inconclusive."""
    return KIND_OF_VERDICT.get(curvature.verdict)


def quadratic_model(f: float, g: np.ndarray, H: np.ndarray, x: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """m(x + s) = f + gᵀs + ½ sᵀHs on the grid of points (X, Y), with s = (X, Y) − x."""
    sx, sy = X - x[0], Y - x[1]
    return f + g[0] * sx + g[1] * sy + 0.5 * (H[0, 0] * sx * sx + 2 * H[0, 1] * sx * sy + H[1, 1] * sy * sy)


def convergence_orders(errors: np.ndarray, floor: float = 1e-14) -> np.ndarray:
    """q_k = log(e_{k+1}/e_k) / log(e_k/e_{k−1}); NaN where an error is at or below `floor`."""
    e = np.asarray(errors, dtype=float)
    if e.size < 3:
        return np.empty(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_e = np.where(e > floor, np.log(np.maximum(e, floor)), np.nan)
        numerator, denominator = log_e[2:] - log_e[1:-1], log_e[1:-1] - log_e[:-2]
        return np.where(np.abs(denominator) > 0, numerator / denominator, np.nan)


def convergence_order(errors: np.ndarray, floor: float = 1e-14, last: int = 3) -> float:
    """The empirical order of convergence: median of the last `last` well-defined q_k (NaN if none)."""
    orders = convergence_orders(errors, floor)
    orders = orders[np.isfinite(orders)]
    return float(np.median(orders[-last:])) if orders.size else float("nan")
