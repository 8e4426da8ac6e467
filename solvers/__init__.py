"""Newton Lab's solver engine: problems, methods and the driver that runs them. Pure numpy.

    import solvers
    tr = solvers.run("rosenbrock", "newton", x0=(-1.2, 1.0), max_iter=100, tol=1e-10)
    tr.xs, tr.fs, tr.status, tr.message, tr.steps[k].newton_direction
"""

from . import curvature
from .basins import BasinMap, basin_map
from .driver import RUN_OPTIONS, run
from .methods import METHODS, Method, get_method, list_methods
from .problems import PROBLEMS, Problem, StationaryPoint, get_problem, list_problems
from .trace import STATUSES, Iterate, Trace


def describe_method(name: str) -> dict:
    """A method's title, formula and options (defaults and valid ranges), JSON-serialisable."""
    return get_method(name).describe()


__all__ = [
    "METHODS", "PROBLEMS", "RUN_OPTIONS", "STATUSES",
    "BasinMap", "Iterate", "Method", "Problem", "StationaryPoint", "Trace",
    "basin_map", "curvature", "describe_method", "get_method", "get_problem", "list_methods", "list_problems", "run",
]
