"""The lab's controls: each number a slider linked both ways to the state, on its own scale."""

from __future__ import annotations

import numpy as np
import panel as pn
import pytest

from app.controls import controls, damping_slider, log_slider, more_settings, state_slider
from app.state import LabState


def test_damping_slider_is_logarithmic_with_pure_newton_at_its_lowest_notch():
    state = LabState(damping=1.0)
    slider = damping_slider(state).object
    assert slider.value == 0.0  # log₁₀ 1
    slider.value = slider.start
    assert state.damping == 0.0
    slider.value = 2.0
    assert state.damping == 100.0
    state.damping = 0.01
    assert slider.value == -2.0


def test_damping_slider_shows_a_linked_lambda_without_rounding_it_and_survives_absurd_values():
    state = LabState(damping=0.123)  # a link's λ between the slider's notches
    slider = damping_slider(state).object
    assert slider.value == pytest.approx(np.log10(0.123)) and state.damping == 0.123
    slider.value = 1e308  # far beyond the slider's end: its top notch, λ = 10⁴
    assert state.damping == 1e4
    slider.value = float("nan")
    assert state.damping == 1e4 and slider.value == 4.0


def test_learning_rate_slider_is_logarithmic_over_the_rates_the_state_accepts_and_has_no_zero():
    state = LabState()
    slider = log_slider(state, "lr", "learning rate η", (-6.0, 1.0)).object
    assert (slider.start, slider.end, slider.value) == (-6.0, 1.0, -3.0)  # η = 10⁻³
    slider.value = -1.75
    assert state.lr == 0.018  # 10^-1.75, to two digits
    slider.value = slider.start
    assert state.lr == 1e-6  # the smallest rate, not 0
    slider.value = 0.0
    assert state.lr == 1.0
    slider.value = -1e308
    assert state.lr == 1e-6


def test_a_state_slider_gives_the_state_only_values_it_accepts():
    state = LabState()
    slider = state_slider(state, "max_iter", "max iterations", 1).object
    assert (slider.start, slider.end, slider.value) == (1, 1000, 200)
    slider.value = 57.4
    assert state.max_iter == 57 and isinstance(state.max_iter, int)
    slider.value = 1e9
    assert state.max_iter == 1000
    state.max_iter = 300
    assert slider.value == 300


def test_only_the_chosen_problems_parameters_are_shown():
    state = LabState()
    column = controls(state)

    def labels():  # of Panel's widgets and of Bokeh's sliders
        return {w.label if isinstance(w, pn.widgets.Widget) else w.object.title
                for w in column if isinstance(w, (pn.widgets.Widget, pn.pane.Bokeh))}

    assert "a: minimum at (a, a²)" in labels() and "condition number κ" not in labels()
    state.problem = "quadratic"
    assert {"condition number κ", "rotation (degrees)"} <= labels() and "a: minimum at (a, a²)" not in labels()


def test_every_number_is_a_slider_that_shows_the_states_value_on_its_scale():
    state = LabState(problem="quadratic")
    panes = [*controls(state), *more_settings(state)]
    sliders = {pane.object.title: pane.object for pane in panes if isinstance(pane, pn.pane.Bokeh)}
    logarithmic = {"condition number κ": "kappa", "damping λ": "damping", "learning rate η": "lr",
                   "natural-gradient step η": "natural_lr", "initial trust radius": "radius", "tolerance on ‖∇f‖": "tol"}
    linear = {"rotation (degrees)": "angle", "momentum β": "beta", "L-BFGS memory": "memory",
              "CG iterations (Newton-CG)": "cg_iters", "max iterations": "max_iter"}
    assert set(sliders) == set(logarithmic) | set(linear)
    for title, name in logarithmic.items():
        assert sliders[title].value == pytest.approx(np.log10(getattr(state, name))), title
        assert (10 ** sliders[title].start, 10 ** sliders[title].end) == pytest.approx(state.param[name].bounds) \
            or name == "damping"  # whose lowest notch is 0
    for title, name in linear.items():
        assert sliders[title].value == getattr(state, name), title
