"""The latency baseline: a stock Panel app doing the minimum — a slider, one trajectory, one source.

Served with plain `panel serve` (Panel's 50 ms debounce, Nagle's algorithm on), as anyone would write it.
"""

import panel as pn
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

import solvers

damping = pn.widgets.FloatSlider(name="damping", start=0.0, end=10.0, step=0.1, value=1.0)
source = ColumnDataSource({"x": [], "y": []})
plot = figure(width=500, height=400)
plot.line("x", "y", source=source)


def show(damping_value: float) -> None:
    trace = solvers.run("rosenbrock", "damped_newton", max_iter=50, tol=0.0, damping=damping_value)
    source.data = {"x": trace.xs[:, 0], "y": trace.xs[:, 1]}


damping.param.watch(lambda event: show(event.new), "value")
show(damping.value)
pn.Column(damping, plot).servable(title="stock baseline")
