"""The lab's state: every choice the user makes, in one object that round-trips through a URL query."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import param

import solvers

from . import scene

TWO_D_PROBLEMS = [name for name in solvers.list_problems() if getattr(solvers.PROBLEMS[name], "dim", None) == 2]
DEFAULT_METHODS = ["gd", "newton", "damped_newton"]
# A change reruns every chosen method, on the server's one event loop shared by a whole class: these
# caps bound the work any one session can ask for (at worst 0.13–0.2 s of CPU on these machines).
MAX_METHODS, MAX_ITERATIONS = 6, 1000
# Problem parameters the lab exposes, by problem: (state parameter, problem parameter).
PROBLEM_PARAMETERS = {"quadratic": ("kappa", "angle"), "rosenbrock": ("a", "b")}


def _option(method: str, name: str) -> solvers.options.Option:
    return solvers.METHODS[method].options[name]


class MethodSelection(param.ListSelector):
    """Methods shown side by side: at most MAX_METHODS (more would be unreadable, too)."""

    def _validate(self, val):
        super()._validate(val)
        if val is not None and len(val) > MAX_METHODS:
            raise ValueError(f"at most {MAX_METHODS} methods at once, got {len(val)}")


class LabState(param.Parameterized):
    """What is chosen: problem, methods, their settings, the start point and the iteration shown."""

    problem = param.Selector(default="rosenbrock", objects=TWO_D_PROBLEMS)
    kappa = param.Number(default=100.0, bounds=(1.0, 1e6), doc="condition number of the quadratic")
    angle = param.Number(default=30.0, bounds=(-90.0, 90.0), doc="rotation of the quadratic, degrees")
    a = param.Number(default=1.0, bounds=(-3.0, 3.0), doc="Rosenbrock's minimum is at (a, a²)")
    b = param.Number(default=100.0, bounds=(1e-3, 1e4), doc="steepness of Rosenbrock's valley")

    methods = MethodSelection(default=DEFAULT_METHODS, objects=solvers.list_methods())
    focus = param.Selector(default="newton", objects=solvers.list_methods(), doc="method whose arrows are drawn")

    damping = param.Number(default=1.0, bounds=(0.0, 1e4), doc="λ of damped Newton: 0 is pure Newton")
    lr = param.Number(default=1e-3, bounds=(1e-6, 10.0), doc="learning rate of the first-order methods")
    natural_lr = param.Number(default=1.0, bounds=(1e-6, 10.0), doc="learning rate of natural gradient")
    beta = param.Number(default=0.9, bounds=(0.0, 0.999), doc="momentum")
    radius = param.Number(default=1.0, bounds=(1e-3, 100.0), doc="initial trust radius")
    memory = param.Integer(default=10, bounds=(1, 50), doc="L-BFGS memory")
    cg_iters = param.Integer(default=2, bounds=(1, 50), doc="CG iterations of Newton-CG")
    max_iter = param.Integer(default=200, bounds=(1, MAX_ITERATIONS))
    tol = param.Number(default=1e-8, bounds=(1e-14, 1.0))

    x0 = param.NumericTuple(default=(-1.2, 1.0), length=2, doc="start point")
    iteration = param.Integer(default=0, bounds=(0, None), doc="iterate shown")
    show_model = param.Boolean(default=False, doc="dashed contours of the local quadratic model")
    presentation = param.Boolean(default=False, doc="large fonts and lines for a projector")

    @param.depends("problem", watch=True)
    def _reset_start(self) -> None:
        """A new problem starts from its own default start, at iteration 0."""
        self.param.update(x0=tuple(float(v) for v in self.build_problem().x0), iteration=0)

    def problem_key(self) -> tuple[str, tuple[tuple[str, float], ...]]:
        """The chosen problem's name and the parameters the lab exposes for it."""
        return self.problem, tuple((name, getattr(self, name)) for name in PROBLEM_PARAMETERS.get(self.problem, ()))

    def build_problem(self) -> solvers.Problem:
        """The chosen problem, shared with every session that chose the same."""
        return scene.shared_problem(*self.problem_key())

    def method_options(self, method: str) -> dict[str, Any]:
        """The lab's settings that `method` takes, by the engine's option names."""
        declared = solvers.METHODS[method].options
        settings = {"damping": self.damping, "lr": self.lr, "beta": self.beta, "radius": self.radius,
                    "memory": self.memory, "cg_iters": self.cg_iters}
        if method == "natural_gradient":  # its natural step is 1: F⁻¹∇f already carries the scale
            settings["lr"] = self.natural_lr
        options = {name: value for name, value in settings.items() if name in declared}
        if method == "levenberg_marquardt" and options["damping"] == 0:
            options["damping"] = _option(method, "damping").default  # LM adapts λ; it must start above 0
        if method == "trust_region":
            options["max_radius"] = max(_option(method, "max_radius").default, self.radius)
        return options

    # -- the URL -----------------------------------------------------------------------------
    def to_query(self) -> str:
        """The choices that differ from the defaults, as a URL query string."""
        values = {}
        for name, parameter in self.param.objects("existing").items():
            value = getattr(self, name)
            if name == "name" or value == parameter.default:
                continue
            values[name] = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        return urlencode(values)

    def update_from_query(self, query: str) -> list[str]:
        """Apply a URL query, the problem first; returns one message per value ignored as unknown or invalid."""
        pairs = sorted(parse_qsl(query.lstrip("?")), key=lambda pair: pair[0] != "problem")
        ignored = []
        for name, text in pairs:
            parameter = self.param.objects("existing").get(name)
            if parameter is None or name == "name":
                ignored.append(f"unknown setting {name!r} ignored")
                continue
            try:
                setattr(self, name, _parse(parameter, text))
            except (ValueError, TypeError) as error:
                ignored.append(f"{name}={text!r} ignored: {error}")
        return ignored


def _parse(parameter: param.Parameter, text: str) -> Any:
    if isinstance(parameter, param.ListSelector):
        return [item for item in text.split(",") if item]
    if isinstance(parameter, param.NumericTuple):
        return tuple(float(item) for item in text.split(","))
    if isinstance(parameter, param.Boolean):
        if text not in ("True", "False"):
            raise ValueError("expected True or False")
        return text == "True"
    if isinstance(parameter, param.Integer):
        return int(text)
    if isinstance(parameter, param.Number):
        return float(text)
    return text
