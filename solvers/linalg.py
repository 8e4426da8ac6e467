"""Small dense linear algebra for the engine: closed forms where LAPACK's call overhead would dominate.

Traces of two-dimensional problems solve 2×2 systems and eigenproblems at every iterate, where
numpy's per-call overhead costs far more than the arithmetic; the closed forms below are as accurate.
For the same reason the engine multiplies vectors with `ndarray.dot`, not `@`: the same BLAS product,
without the matmul ufunc's dispatch, which costs more than a product of small vectors.
"""

from __future__ import annotations

import math

import numpy as np


class NumericalFailure(Exception):
    """The method cannot take a step here (singular matrix, failed line search); the run ends 'failed'."""


SMALL = 16  # vectors up to this length are handled as Python floats


def norm(v: np.ndarray) -> float:
    """‖v‖₂, cheaply; inf or NaN when an entry is not finite."""
    if v.size <= SMALL:  # a few floats: hypot is faster than a BLAS call, and does not overflow
        return math.hypot(*v.tolist())
    return math.sqrt(v.dot(v))


def along(x: np.ndarray, alpha: float, p: np.ndarray) -> np.ndarray:
    """x + αp. The usual α = 1 spares the product: x + 1·p is x + p exactly, and a scalar times a small
    array costs more than the sum."""
    return x + p if alpha == 1.0 else x + alpha * p


def solve(matrix: np.ndarray, rhs: np.ndarray, what: str) -> np.ndarray:
    """matrix⁻¹ rhs, or NumericalFailure naming `what` when the matrix is singular."""
    if matrix.shape == (2, 2):
        # Cramer's rule: for 2×2 it is as accurate as LU and far cheaper than a LAPACK call.
        (a, b), (c, d) = matrix.tolist()
        (r0, r1), det = rhs.tolist(), a * d - b * c
        solution = np.array([(d * r0 - b * r1) / det, (a * r1 - c * r0) / det]) if det != 0 else None
    else:
        try:
            solution = np.linalg.solve(matrix, rhs)
        except np.linalg.LinAlgError:
            solution = None
    if solution is None:
        raise NumericalFailure(f"{what} is singular, so the step is undefined")
    if not math.isfinite(norm(solution)):
        raise NumericalFailure(f"{what} is numerically singular, so the step is undefined")
    return solution


def eigen_2x2(a, b, c, xp=math):
    """λ₁ ≤ λ₂ and (cos θ, sin θ) of [[a, b], [b, c]], whose eigenvectors are the axes rotated by θ.

    λ = m ∓ √(((a − c)/2)² + b²) with m = (a + c)/2, and θ = ½ atan2(2b, a − c): as accurate as LAPACK
    (|δλ| ≲ ε‖H‖) and far cheaper for one matrix. With xp=numpy, a, b, c may be arrays (a stack of matrices).
    """
    mean, radius = 0.5 * (a + c), xp.hypot(0.5 * (a - c), b)
    theta = 0.5 * xp.atan2(2 * b, a - c)
    return mean - radius, mean + radius, xp.cos(theta), xp.sin(theta)


def symmetric_eigenvalues(H: np.ndarray) -> np.ndarray:
    """Ascending eigenvalues of one symmetric matrix, without the eigenvectors."""
    if H.shape != (2, 2):
        return np.linalg.eigvalsh(H)
    (a, b), (_, c) = H.tolist()
    lowest, highest, _, _ = eigen_2x2(a, b, c)
    return np.array([lowest, highest])


def symmetric_eigen(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ascending eigenvalues and orthonormal eigenvectors (columns) of one symmetric matrix."""
    if H.shape != (2, 2):
        return np.linalg.eigh(H)
    (a, b), (_, c) = H.tolist()
    lowest, highest, cos, sin = eigen_2x2(a, b, c)
    return np.array([lowest, highest]), np.array([[-sin, cos], [cos, sin]])


def symmetric_eigen_stack(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`symmetric_eigen` of each matrix of a stack (n, d, d): eigenvalues (n, d), eigenvectors (n, d, d)."""
    if H.shape[1:] != (2, 2):
        return np.linalg.eigh(H)
    lowest, highest, cos, sin = eigen_2x2(H[:, 0, 0], H[:, 0, 1], H[:, 1, 1], xp=np)
    return np.stack([lowest, highest], axis=1), np.stack([-sin, cos, cos, sin], axis=1).reshape(-1, 2, 2)
