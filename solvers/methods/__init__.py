"""The method catalogue: every step rule the lab can run, by name."""

from __future__ import annotations

from ..linalg import NumericalFailure
from .base import Method, Step
from .first_order import Adam, GradientDescent, Momentum, Nesterov
from .least_squares import GaussNewton, LevenbergMarquardt
from .natural_gradient import NaturalGradient
from .newton import DampedNewton, Newton, NewtonLineSearch, SaddleFreeNewton
from .newton_cg import NewtonCG
from .quasi_newton import BFGS, LBFGS
from .trust_region import TrustRegion

METHODS: dict[str, type[Method]] = {
    cls.name: cls
    for cls in (
        GradientDescent, Momentum, Nesterov, Adam,
        Newton, DampedNewton, NewtonLineSearch, TrustRegion, LevenbergMarquardt, SaddleFreeNewton,
        BFGS, LBFGS, GaussNewton, NaturalGradient, NewtonCG,
    )
}


def list_methods() -> list[str]:
    """Names of every method, in catalogue order."""
    return list(METHODS)


def get_method(name: str) -> type[Method]:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(METHODS)}")
    return METHODS[name]


__all__ = ["METHODS", "Method", "NumericalFailure", "Step", "get_method", "list_methods"]
