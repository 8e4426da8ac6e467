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


F, GRAD, HESS, HVP = range(len(Evaluations._fields))  # the kinds of evaluation, as indices into the counts


class Oracle:
    """f, ∇f, ∇²f and Hv of a problem; each distinct request by the method is counted once.

    The driver also reads f at every iterate to record the run (``count=False``); that read is not
    charged to the method unless it asks for f there too.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._counts = [0] * len(Evaluations._fields)  # in the order of Evaluations' fields
        self._memory: list[list | None] = [None] * len(Evaluations._fields)  # per kind: [key, value, counted]
        self._componentwise = problem.componentwise

    @property
    def evaluations(self) -> Evaluations:
        return Evaluations._make(self._counts)

    def counts(self) -> tuple[int, ...]:
        """The counts so far as a plain tuple, in the order of Evaluations' fields: cheaper, for the record."""
        return tuple(self._counts)

    def _at(self, function: Callable, x: np.ndarray) -> Any:
        """function(x), given x as Python floats where the problem takes them (Problem.componentwise)."""
        if self._componentwise:
            try:
                return function(x.tolist())
            except OverflowError:  # a float's power raises where numpy's gives inf: let numpy answer
                pass
        return function(x)

    def _evaluate(self, kind: int, function: Callable, x: np.ndarray, count: bool) -> Any:
        key = x.tobytes()
        memo = self._memory[kind]
        if memo is None or memo[0] != key:
            memo = self._memory[kind] = [key, self._at(function, x), False]
        if count and not memo[2]:
            self._counts[kind] += 1
            memo[2] = True
        return memo[1]

    def f(self, x: np.ndarray, count: bool = True) -> float:
        return float(self._evaluate(F, self.problem.f, x, count))

    def grad(self, x: np.ndarray, count: bool = True) -> np.ndarray:
        return self._evaluate(GRAD, self.problem.grad, x, count)

    def hess(self, x: np.ndarray) -> np.ndarray:
        return self._evaluate(HESS, self.problem.hess, x, count=True)

    def hessian_operator(self, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """v ↦ ∇²f(x)v for many products at one x, each product counted as an hvp."""
        product = self._at(self.problem.hessian_operator, x)

        def counted_product(v: np.ndarray) -> np.ndarray:
            self._counts[HVP] += 1
            return product(v)

        return counted_product

    # Structure of sums of squares and likelihoods; counted with the Hessian, as curvature.
    def gauss_newton_matrix(self, x: np.ndarray) -> np.ndarray:
        """2 JᵀJ, the curvature of f = ‖r‖² without the second derivatives of r."""
        J = self._at(self.problem.jacobian, x)
        self._counts[HESS] += 1
        return 2.0 * J.T.dot(J)

    def fisher(self, x: np.ndarray) -> np.ndarray:
        self._counts[HESS] += 1
        return self._at(self.problem.fisher, x)
