"""The lab's controls: every choice in the `LabState` has one, linked to it both ways.

Numbers are Bokeh sliders (`state_slider`, on a logarithmic scale where a value spans decades); the
choosers are Panel widgets that answer at once. A change goes from the control straight to the state,
whose watchers (`app.lab.Lab`) recompute and redraw.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import panel as pn
import param
from bokeh.models import CustomJSTickFormatter, Slider

from .coalesce import Coalescer
from .state import MAX_METHODS, PROBLEM_PARAMETERS, LabState

# Logarithmic sliders move log₁₀ of their value a quarter of a decade a notch; the damping slider's range,
# below which its lowest notch is λ = 0, pure Newton.
LOG_NOTCH, LOG_DAMPING_RANGE = 0.25, (-3.0, 4.0)


def controls(state: LabState) -> pn.Column:
    """Every choice of the lab's state, each control linked to it both ways."""
    # Every widget costs a new session a few milliseconds of the server's time while a whole class is
    # arriving: each is built when first shown, and most sessions never show some of them.
    problem_parameters = {
        "kappa": lambda: log_slider(state, "kappa", "condition number κ"),
        "angle": lambda: state_slider(state, "angle", "rotation (degrees)", 1),
        "a": lambda: state_slider(state, "a", "a: minimum at (a, a²)", 0.1),
        "b": lambda: log_slider(state, "b", "b: valley steepness"),
    }
    built: dict[str, pn.viewable.Viewable] = {}

    def parameter_widget(name: str) -> pn.viewable.Viewable:
        if name not in built:
            built[name] = problem_parameters[name]()
        return built[name]

    problem = answer_at_once(pn.widgets.Select.from_param(state.param.problem, label="problem"))
    below = [
        answer_at_once(pn.widgets.MultiChoice.from_param(state.param.methods, label="methods", max_items=MAX_METHODS)),
        answer_at_once(pn.widgets.Select.from_param(state.param.focus, label="arrows for")),
        damping_slider(state),
        log_slider(state, "lr", "learning rate η"),
    ]
    # The settings a lecture seldom touches stay folded, so that the plot fits a 1280×720 projector.
    settings = pn.Card(title="more settings", collapsed=True, sizing_mode="stretch_width")

    def unfold(event) -> None:
        if not event.new and not settings.objects:
            settings.objects = more_settings(state)

    settings.param.watch(unfold, "collapsed")
    toggles = pn.Row(
        pn.widgets.Toggle.from_param(state.param.show_model, label="quadratic model"),
        pn.widgets.Toggle.from_param(state.param.presentation, label="projector mode"),
    )
    column = pn.Column(sizing_mode="stretch_width")

    def show_parameters(*_) -> None:  # only the chosen problem's own parameters
        parameters = [parameter_widget(name) for name in PROBLEM_PARAMETERS.get(state.problem, ())]
        column.objects = [problem, *parameters, *below, settings, toggles]

    state.param.watch(show_parameters, "problem")
    show_parameters()
    return column


def more_settings(state: LabState) -> list[pn.viewable.Viewable]:
    """The settings that only some methods take."""
    return [
        state_slider(state, "beta", "momentum β", 0.01),
        log_slider(state, "natural_lr", "natural-gradient step η"),
        log_slider(state, "radius", "initial trust radius"),
        state_slider(state, "memory", "L-BFGS memory", 1),
        state_slider(state, "cg_iters", "CG iterations (Newton-CG)", 1),
        state_slider(state, "max_iter", "max iterations", 1),
        log_slider(state, "tol", "tolerance on ‖∇f‖"),
    ]


def answer_at_once(widget: pn.widgets.Widget) -> pn.widgets.Widget:
    """Panel waits 50 ms after a change before processing it; the lab recomputes in a few ms, so its
    choosers answer at once. (Every number is set on a `state_slider`, which a drag moves many times a
    second.)"""
    widget._debounce = 0
    return widget


def state_slider(state: LabState, name: str, title: str, step: float, position: Callable[[float], float] = float,
                 value_at: Callable[[float], float] | None = None, **options) -> pn.pane.Bokeh:
    """A slider linked both ways to the state's `name`: `position(value)` places a value on it and
    `value_at(position)` reads one off it; by default the value itself, kept within the parameter's bounds
    (and whole, for an integer).

    A Bokeh slider, not a Panel widget: a change goes from Bokeh's callback straight to the state, where
    Panel's widget machinery (its queue of events, its busy counters) cost a quarter of the round trip.
    A fast drag's positions that queue up while the server works are merged into one change (`Coalescer`).
    """
    parameter = state.param[name]
    if value_at is None:
        low, high = parameter.bounds
        whole = isinstance(parameter, param.Integer)
        options = {"start": low, "end": high, **options}

        def value_at(at: float) -> float:
            kept = min(max(at, low), high)
            return round(kept) if whole else kept

    slider = Slider(title=title, step=step, value=position(getattr(state, name)), sizing_mode="stretch_width",
                    **options)

    def apply(at: float) -> None:
        if not math.isfinite(at):  # no browser sends this: the slider goes back to the state's value
            slider.value = position(getattr(state, name))
        elif at != position(getattr(state, name)):  # else the slider only caught up with the state
            setattr(state, name, value_at(at))

    drag = Coalescer(apply)
    slider.on_change("value", lambda attr, old, new: drag.offer(slider.document, new))

    def follow_state(event) -> None:
        if value_at(slider.value) != event.new:
            slider.value = position(event.new)

    state.param.watch(follow_state, name)
    return pn.pane.Bokeh(slider, sizing_mode="stretch_width")


def log_slider(state: LabState, name: str, title: str, log_range: tuple[float, float] | None = None,
               zero_label: str | None = None) -> pn.pane.Bokeh:
    """A value on a logarithmic slider from 10^low to 10^high (by default the decades of the parameter's
    bounds), read to two significant digits; with a `zero_label`, a notch below 10^low is 0, so labelled."""
    low, high = log_range or decades(state.param[name])
    bottom, zero_below = (low - 2 * LOG_NOTCH, low - LOG_NOTCH) if zero_label else (low, -math.inf)

    def position(value: float) -> float:
        return bottom if value <= 0 else float(np.clip(np.log10(value), low, high))

    def value_at(at: float) -> float:
        return 0.0 if at <= zero_below else float(f"{10 ** min(max(at, low), high):.2g}")

    label = "Number(Math.pow(10, tick).toPrecision(2)).toString()"
    if zero_label:
        label = f"tick <= {zero_below} ? {zero_label!r} : {label}"
    return state_slider(state, name, title, LOG_NOTCH, position, value_at, start=bottom, end=high,
                        format=CustomJSTickFormatter(code=f"return {label};"))  # per session, like every model


def decades(parameter: param.Number) -> tuple[float, float]:
    """log₁₀ of a parameter's bounds: the range of its logarithmic slider."""
    low, high = parameter.bounds
    return math.log10(low), math.log10(high)


def damping_slider(state: LabState) -> pn.pane.Bokeh:
    """λ on a logarithmic slider with 0 at its lowest notch."""
    return log_slider(state, "damping", "damping λ", LOG_DAMPING_RANGE, zero_label="0 (pure Newton)")
