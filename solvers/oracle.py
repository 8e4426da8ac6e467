"""The oracle: how methods see a problem, remembering the last point and counting evaluations."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .problems import Problem


class Evaluations(NamedTuple):
    """Cumulative counts of what a method asked the problem for."""

    f: int = 0
    grad: int = 0
    hess: int = 0
    hvp: int = 0


class Oracle:
    """f, ∇f, ∇²f and Hv of a problem; each distinct request by the method is counted once.

    The driver also reads f at every iterate to record the run (``count=False``); that read is not
    charged to the method unless it asks for f there too.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._counts = dict.fromkeys(Evaluations._fields, 0)  # in the order of Evaluations' fields
        self._memory: dict[str, list] = {}

    @property
    def evaluations(self) -> Evaluations:
        return Evaluations(*self._counts.values())

    def _evaluate(self, kind: str, function: Callable, x: np.ndarray, count: bool) -> Any:
        key = x.tobytes()
        memo = self._memory.get(kind)  # [key, value, counted]
        if memo is None or memo[0] != key:
            memo = self._memory[kind] = [key, function(x), False]
        if count and not memo[2]:
            self._counts[kind] += 1
            memo[2] = True
        return memo[1]

    def f(self, x: np.ndarray, count: bool = True) -> float:
        return float(self._evaluate("f", self.problem.f, x, count))

    def grad(self, x: np.ndarray, count: bool = True) -> np.ndarray:
        return self._evaluate("grad", self.problem.grad, x, count)

    def hess(self, x: np.ndarray) -> np.ndarray:
        return self._evaluate("hess", self.problem.hess, x, count=True)

    def hessian_operator(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """v ↦ ∇²f(x)v for many products at one x, each product counted as an hvp."""
        product = self.problem.hessian_operator(x)

        def counted_product(v: np.ndarray) -> np.ndarray:
            self._counts["hvp"] += 1
            return product(v)

        return counted_product

    # Structure of sums of squares and likelihoods; counted with the Hessian, as curvature.
    def gauss_newton_matrix(self, x: np.ndarray) -> np.ndarray:
        """2 JᵀJ, the curvature of f = ‖r‖² without the second derivatives of r."""
        J = self.problem.jacobian(x)
        self._counts["hess"] += 1
        return 2.0 * J.T.dot(J)

    def fisher(self, x: np.ndarray) -> np.ndarray:
        self._counts["hess"] += 1
        return self.problem.fisher(x)
