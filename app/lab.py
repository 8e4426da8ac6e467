"""The lab's views and the page: each view watches the `LabState` and updates its Bokeh sources in place.

Figures are built once per session. When an input changes (`app.controls`) the server recomputes the
traces and replaces the sources' data inside one `hold`: every run as one table that the browser draws
(`app.trajectories`), and the focused method's rows. Moving through the iterations happens in the
browser (`app.iterations`), which reads the focused method's row k from a source already on the page.
"""

from __future__ import annotations

import html

import numpy as np
import panel as pn
import param
from bokeh.core.properties import field
from bokeh.events import Tap
from bokeh.models import (
    AllIndices,
    Arrow,
    ColumnDataSource,
    Div,
    Ellipse,
    GlyphRenderer,
    Image,
    InlineStyleSheet,
    Legend,
    LegendItem,
    Line,
    LinearColorMapper,
    MultiLine,
    NormalHead,
    Range1d,
    Scatter,
    Segment,
    Span,
    TeeHead,
    UnionRenderers,
)
from bokeh.palettes import Cividis256
from bokeh.plotting import figure

import solvers

from . import scene
from .controls import controls
from .iterations import IterationControls
from .state import LabState
from .trajectories import Trajectories

# Okabe–Ito and Tol's colours, safe for colour-blind viewers; blue and gold are kept for the arrows.
GRADIENT_BLUE, NEWTON_GOLD = "#0072B2", "#E69F00"
METHOD_COLOURS = {
    "gd": "#D55E00", "momentum": "#882255", "nesterov": "#AA4499", "adam": "#44AA99",
    "newton": "#009E73", "damped_newton": "#CC79A7", "newton_ls": "#117733", "trust_region": "#332288",
    "levenberg_marquardt": "#999933", "saddle_free_newton": "#000000", "bfgs": "#DDCC77", "lbfgs": "#88CCEE",
    "gauss_newton": "#661100", "natural_gradient": "#6699CC", "newton_cg": "#888888",
}
# Iterates are coloured through their method's index into the colours: numbers travel as one binary
# buffer, where a column of colour strings is serialised element by element on every update.
METHOD_INDEX = {method: index for index, method in enumerate(METHOD_COLOURS)}
# One Cividis colour per band between contour levels, dark in the valleys.
BAND_COLOURS = [Cividis256[int(i)] for i in np.linspace(0, 255, scene.CONTOUR_LEVELS - 1)]
KIND_MARKERS = {"minimum": "circle", "saddle": "triangle", "maximum": "square"}
PRESENTATION_SCALE = 1.6
SCALED_PROPERTIES = ("line_width", "size", "axis_label_text_font_size", "major_label_text_font_size",
                     "label_text_font_size", "text_font_size")
# The readout's table: eigenvalues coloured by sign, so negative curvature stands out. Its size, and the
# results table's, is their Div's, which projector mode enlarges.
TABLE_FONT_SIZE = 14  # px
READOUT_CSS = """
table.readout { border-collapse: collapse; width: 100%; font-size: 1em; }
table.readout th { text-align: right; padding: 1px 10px 1px 0; font-weight: 600; }
table.readout td.negative { color: #D55E00; font-weight: 700; }
table.readout td.positive { color: #009E73; font-weight: 700; }
table.readout td.verdict { padding-top: 6px; font-style: italic; }
table.readout td.event { color: #555; }
"""
RESULTS_CSS = """
table.results { border-collapse: collapse; font-size: 1em; }
table.results th, table.results td { text-align: left; padding: 2px 12px 2px 0; }
table.results th { font-weight: 600; border-bottom: 1px solid #ccc; }
"""


class ContourView(pn.viewable.Viewer):
    """The problem's contours, every method's trajectory, and the arrows at the current iterate."""

    state = param.ClassSelector(class_=LabState)

    def __init__(self, **params):
        super().__init__(**params)
        self.figure = figure(
            sizing_mode="stretch_both", min_height=420, tools="pan,wheel_zoom,reset,save",
            toolbar_location="above", match_aspect=False, output_backend="canvas", name="contour-plot",
            x_range=Range1d(), y_range=Range1d(),
        )
        self.figure.xaxis.axis_label, self.figure.yaxis.axis_label = "x₁", "x₂"
        # First, below everything: the problem's contour bands, and the level lines over them.
        self.bands = ColumnDataSource({"image": [], "x": [], "y": [], "dw": [], "dh": []}, name="contour-bands")
        self.figure.add_glyph(self.bands, Image(image="image", x="x", y="y", dw="dw", dh="dh", color_mapper=LinearColorMapper(
            palette=BAND_COLOURS, low=0, high=len(BAND_COLOURS), high_color="rgba(0, 0, 0, 0)")))  # NO_BAND: unfilled
        self.levels = ColumnDataSource({"x": [], "y": []}, name="contour-levels")
        self.figure.add_glyph(self.levels, Line(x="x", y="y", line_color="white", line_alpha=0.25, line_width=0.8))
        # Every method's path in one multi-line and its iterates in one scatter: a handful of models
        # instead of a renderer per method keeps a new session cheap. The browser fills both from the
        # table of every run (`app.trajectories`).
        # Glyphs go in through `add_glyph`: `figure.scatter` and its kind add a dimmed and a muted copy of
        # every glyph, two models per renderer that nothing here shows (no selection, no muting legend).
        self.paths = ColumnDataSource({"xs": [], "ys": [], "colour": [], "title": [], "method": []}, name="paths")
        self.iterates = ColumnDataSource({"x": [], "y": [], "method_index": []}, name="iterates")
        paths = self.figure.add_glyph(self.paths, MultiLine(xs="xs", ys="ys", line_color="colour", line_width=2.5))
        self.figure.add_layout(Legend(items=[LegendItem(label=field("title"), renderers=[paths])],
                                      location="bottom_right", background_fill_alpha=0.8))
        method_colour = {"field": "method_index", "transform": LinearColorMapper(  # a model per session, like every model
            palette=list(METHOD_COLOURS.values()), low=-0.5, high=len(METHOD_COLOURS) - 0.5)}
        self.figure.add_glyph(self.iterates, Scatter(x="x", y="y", size=5, fill_color=method_colour,
                                                     line_color=method_colour))
        self.landmarks = ColumnDataSource({"x": [], "y": [], "marker": [], "kind": []})
        self.figure.add_glyph(self.landmarks, Scatter(x="x", y="y", marker="marker", size=11, fill_color="white",
                                                      line_color="black", line_width=1.5))
        self.start = ColumnDataSource({"x": [], "y": []})
        self.figure.add_glyph(self.start, Scatter(x="x", y="y", marker="star", size=16, fill_color="white",
                                                  line_color="black"))
        self.current = ColumnDataSource({}, name="current-iterate")  # filled in the browser: row k of the focus
        # While damping is on, the damped Newton step too, between the Newton step and a gradient step; drawn
        # under the Newton step, which it nears as λ → 0.
        damped = self._arrow("damped", METHOD_COLOURS["damped_newton"], 3, "solid", 10)
        gradient = self._arrow("gradient", GRADIENT_BLUE, 3, "solid", 12)
        newton = self._arrow("newton", NEWTON_GOLD, 3, "solid", 12)
        tee = TeeHead(size=6, line_color="white")  # one head for both ends of all four axes
        for i in (1, 2):  # the Hessian's eigenvector axes: solid where f curves up, dashed where it curves down
            for curvature, dash in (("up", "solid"), ("down", "dashed")):
                self.figure.add_layout(Arrow(
                    source=self.current, x_start=f"axis_{i}_{curvature}_x0", y_start=f"axis_{i}_{curvature}_y0",
                    x_end=f"axis_{i}_{curvature}_x1", y_end=f"axis_{i}_{curvature}_y1", line_color="white",
                    line_width=1.5, line_dash=dash, start=tee, end=tee,
                ))
        step = self._arrow("step", "black", 1.5, "dotted", 8)  # the step the method took (damped, searched, ...)
        newton_clip = self.figure.add_glyph(self.current, Scatter(  # the Newton step leaves the view here
            x="newton_clip_x", y="newton_clip_y", marker="x", size=16, line_color=NEWTON_GOLD, line_width=3))
        arrows = [("−∇f, scaled", [gradient]), ("Newton step, true length", [newton, newton_clip]),
                  ("damped Newton step", [damped]), ("step taken", [step])]
        # Above the plot, not over it: the corners hold start points and trust regions of some problem or other.
        self.figure.add_layout(Legend(items=[LegendItem(label=label, renderers=drawn) for label, drawn in arrows],
                                      orientation="horizontal", ncols=2, location="top_left", margin=0, padding=2,
                                      label_height=14, glyph_height=14, spacing=2), "above")
        # The trust region, for trust_region: an ellipse in data units is a true circle on unequal axes.
        self.figure.add_glyph(self.current, Ellipse(x="x", y="y", width="trust_diameter", height="trust_diameter",
                                                    fill_alpha=0.0, line_color="white", line_dash="dashed",
                                                    line_width=1.5))
        self.model = ColumnDataSource({"xs": [], "ys": []}, name="model-contours")  # filled in the browser
        self.model_contours = self.figure.add_glyph(self.model, MultiLine(
            xs="xs", ys="ys", line_color=NEWTON_GOLD, line_dash="dashed", line_width=1.5), visible=False)
        self.figure.on_event(Tap, self._set_start)

    def _arrow(self, name: str, colour: str, width: float, dash: str, head: float) -> GlyphRenderer:
        """An arrow from the current iterate to its `name`_end_x/y: the shaft a glyph, which a legend can
        show, and the head an annotation over it. Returns the shaft."""
        ends = {"x0": "x", "y0": "y", "x1": f"{name}_end_x", "y1": f"{name}_end_y"}
        shaft = self.figure.add_glyph(self.current, Segment(**ends, line_color=colour, line_width=width,
                                                            line_dash=dash))
        self.figure.add_layout(Arrow(source=self.current, x_start="x", y_start="y", x_end=ends["x1"], y_end=ends["y1"],
                                     line_alpha=0, end=NormalHead(size=head, fill_color=colour, line_color=colour)))
        return shaft

    def _set_start(self, event: Tap) -> None:
        if event.x is not None and event.y is not None and np.isfinite([event.x, event.y]).all():
            self.state.x0 = (float(event.x), float(event.y))

    def show_problem(self, problem: solvers.Problem, grid: scene.ContourGrid) -> None:
        (x_low, x_high), (y_low, y_high) = problem.window
        self.figure.x_range.update(start=x_low, end=x_high, reset_start=x_low, reset_end=x_high)
        self.figure.y_range.update(start=y_low, end=y_high, reset_start=y_low, reset_end=y_high)
        self.bands.data = {"image": [grid.bands], "x": [x_low], "y": [y_low], "dw": [x_high - x_low],
                           "dh": [y_high - y_low]}
        self.levels.data = {"x": grid.level_x, "y": grid.level_y}
        points = problem.stationary_points
        self.landmarks.data = {
            "x": [p.x[0] for p in points], "y": [p.x[1] for p in points],
            "marker": [KIND_MARKERS[p.kind] for p in points], "kind": [p.kind for p in points],
        }

    def show_start(self, x0) -> None:
        start = {"x": [x0[0]], "y": [x0[1]]}
        if dict(self.start.data) != start:  # a new damping leaves the start where it was: nothing to send
            self.start.data = start

    def __panel__(self):
        return pn.pane.Bokeh(self.figure, sizing_mode="stretch_both")


class ConvergenceView(pn.viewable.Viewer):
    """log₁₀(f − f*) against k for every method: a straight line is linear convergence, a cliff quadratic."""

    state = param.ClassSelector(class_=LabState)

    def __init__(self, **params):
        super().__init__(**params)
        self.figure = figure(height=260, sizing_mode="stretch_width", tools="pan,wheel_zoom,reset",
                             title="log₁₀ of the error: f − f* solid, ‖x − x*‖ dashed",
                             x_axis_label="iteration k", y_axis_label="log₁₀ error")
        # Filled in the browser from the table of every run (`app.trajectories`).
        self.errors = ColumnDataSource({"ks": [], "log_f_error": [], "log_x_error": [], "colour": []}, name="errors")
        self.figure.add_glyph(self.errors, MultiLine(xs="ks", ys="log_f_error", line_color="colour", line_width=2))
        self.figure.add_glyph(self.errors, MultiLine(xs="ks", ys="log_x_error", line_color="colour", line_width=1.5,
                                                     line_dash="dashed"))
        self.marker = Span(location=0, dimension="height", line_color=NEWTON_GOLD, line_width=2)
        self.figure.add_layout(self.marker)

    def __panel__(self):
        return pn.pane.Bokeh(self.figure, sizing_mode="stretch_width")


class Lab(pn.viewable.Viewer):
    """The whole page for one session: controls, views, and the wiring between them."""

    state = param.ClassSelector(class_=LabState)

    def __init__(self, **params):
        super().__init__(**params)
        self.contour = ContourView(state=self.state)
        self.convergence = ConvergenceView(state=self.state)
        self.trajectories = Trajectories(self.contour.paths, self.contour.iterates, self.convergence.errors,
                                         colours=list(METHOD_COLOURS.values()), names=list(METHOD_COLOURS),
                                         titles=[solvers.METHODS[m].title for m in METHOD_COLOURS])
        self.focus = ColumnDataSource({"table": np.zeros((0, 0)), "verdict": [], "event": []})
        self.readout = Div(text="", sizing_mode="stretch_width", css_classes=["readout"],
                           styles={"font-size": f"{TABLE_FONT_SIZE}px"},
                           stylesheets=[InlineStyleSheet(css=READOUT_CSS)])
        # A plain Bokeh Div: its text is sent as it is, where Panel's HTML pane spends milliseconds per update.
        self.results = Div(text="", sizing_mode="stretch_width", styles={"font-size": f"{TABLE_FONT_SIZE}px"},
                           stylesheets=[InlineStyleSheet(css=RESULTS_CSS)])
        self.formula = pn.pane.LaTeX(sizing_mode="stretch_width")
        self.iterations = IterationControls(self.focus, self.contour.current, self.contour.model, self.readout,
                                            self.convergence.marker)
        # What the browser runs once the page is up: it draws the runs, installs the keys, shows the first iterate.
        self.on_page_load = (self.trajectories.draw, self.iterations.on_page_load)
        self.runs: dict[str, scene.MethodRun] = {}
        self.focused: str | None = None  # the method whose rows and formula the page holds
        self.focused_damping: float | None = None  # the λ of the damped steps in those rows
        self.base_sizes: dict[tuple[str, str], object] = {}  # line widths and font sizes before any scaling
        self._show_problem()
        self._recompute()
        # Until the page's first callback picks row k, the arrows show the start.
        table, names = self.focus.data["table"], self.focus.tags
        # As lists: one row travels inline in the page's JSON, where arrays would be a binary buffer per column.
        self.contour.current.data = {name: table[:1, i].tolist() for i, name in enumerate(names)} if len(table) else {}
        share_stateless_models([self.contour.figure, self.convergence.figure],
                               [self.focus, self.trajectories.source])
        self._show_model()
        if self.state.presentation:  # e.g. from a link
            self._present()

    @param.depends("state.problem", "state.kappa", "state.angle", "state.a", "state.b", watch=True)
    def _show_problem(self) -> None:
        grid = scene.contour_grid(*self.state.problem_key())
        with pn.io.hold():
            self.contour.show_problem(self.state.build_problem(), grid)

    @param.depends("state.problem", "state.kappa", "state.angle", "state.a", "state.b", "state.methods",
                   "state.focus", "state.damping", "state.lr", "state.beta", "state.radius", "state.memory",
                   "state.cg_iters", "state.max_iter", "state.tol", "state.x0", watch=True)
    def _recompute(self) -> None:
        """Run what the change affects (a new damping reruns damped Newton only); redraw if anything changed."""
        state = self.state
        problem = state.build_problem()
        shown, runs = self.runs, {}
        for method in state.methods:
            options = state.method_options(method)
            key = (state.problem_key(), tuple(state.x0), state.max_iter, state.tol, tuple(options.items()))
            full = method == state.focus  # the arrows' method needs every column, the others their path
            previous = shown.get(method)
            reusable = previous is not None and previous.key == key and (previous.full or not full)
            runs[method] = (previous if reusable else
                            scene.run_method(problem, method, state.x0, state.max_iter, state.tol, options, key, full))
        changed = {m for m in set(runs) | set(shown) if runs.get(m) is not shown.get(m)}
        self.runs = runs
        focus = runs.get(state.focus)
        with pn.io.hold():
            if changed:  # a new start changes every run
                self.contour.show_start(state.x0)
                self.trajectories.show([(METHOD_INDEX[m], run.columns) for m, run in runs.items()
                                        if run.trace is not None])
            if state.focus in changed or state.focus != self.focused or state.damping != self.focused_damping:
                self.set_focus_rows(focus if focus is not None and focus.trace is not None else None, problem)
            self.results.text = results_table(runs)
            if state.focus != self.focused:
                method = solvers.METHODS[state.focus]
                self.formula.object = f"{method.title}: ${method.formula}$"
        self.focused, self.focused_damping = state.focus, state.damping

    def set_focus_rows(self, run: scene.MethodRun | None, problem: solvers.Problem) -> None:
        """The focused method's columns, with its damped steps at the lab's λ, as the page keeps them: its
        texts as columns, and every number in one (n, m) table whose columns the source's tags name. One
        buffer on the wire, not one per column."""
        columns = run.columns | scene.damped_step_columns(run.trace, problem, self.state.damping) if run else {}
        names = [name for name, values in columns.items() if values.dtype.kind in "biuf"]
        if names and names != self.focus.tags:
            self.focus.tags = names
        self.focus.data = {
            "table": np.column_stack([columns[name] for name in names]).astype(float) if names else np.zeros((0, 0)),
            "verdict": columns.get("verdict", np.array([], dtype=str)), "event": columns.get("event", np.array([], dtype=str)),
        }

    @param.depends("state.show_model", watch=True)
    def _show_model(self) -> None:
        self.contour.model_contours.visible = self.state.show_model

    @param.depends("state.presentation", watch=True)
    def _present(self) -> None:
        """Projector mode: every line, marker and label of the plots 1.6 times larger, the readout too."""
        factor = PRESENTATION_SCALE if self.state.presentation else 1.0
        with pn.io.hold():
            for figure_ in (self.contour.figure, self.convergence.figure):
                scale_figure(figure_, factor, self.base_sizes)
            for table in (self.readout, self.results):
                table.styles = {"font-size": f"{TABLE_FONT_SIZE * factor:.0f}px"}

    def __panel__(self):
        # Side by side on a projector, stacked on a phone: the flex boxes wrap the plots below the controls,
        # and the readout below the convergence plot. On a 1280×720 projector the readout sits beside the
        # convergence plot, in view with the contours and the iteration controls.
        sidebar = pn.Column(controls(self.state), pn.pane.Bokeh(self.iterations.layout()), width=340,
                            styles={"flex": "0 0 340px"})
        readout = pn.Column(pn.pane.Bokeh(self.readout), self.formula, width=300, styles={"flex": "0 0 300px"})
        convergence = pn.Column(self.convergence, sizing_mode="stretch_width", styles={"flex": "1 1 360px"})
        plots = pn.Column(self.contour, pn.FlexBox(convergence, readout, flex_wrap="wrap", sizing_mode="stretch_width"),
                          pn.pane.Bokeh(self.results), sizing_mode="stretch_both", min_height=700,
                          styles={"flex": "1 1 360px"})
        return pn.FlexBox(sidebar, plots, flex_wrap="wrap", sizing_mode="stretch_width")


def share_stateless_models(figures, sources) -> None:
    """One `AllIndices` filter for the figures' renderers, and one `UnionRenderers` policy for their sources
    and the other `sources`: Bokeh makes one of each per renderer and per source, and each model on the page
    is work for every message (Bokeh's serialiser indexes them all) and for the page's first load."""
    every_index, union = AllIndices(), UnionRenderers()
    renderers = [renderer for figure_ in figures for renderer in figure_.renderers]
    for renderer in renderers:
        renderer.view.filter = every_index
    for source in [renderer.data_source for renderer in renderers] + list(sources):
        source.selection_policy = union


def scale_figure(figure_, factor: float, base_sizes: dict) -> None:
    """Set every line width, marker size and font size of a figure to `factor` times its original."""
    for model in figure_.select({}):
        for name in SCALED_PROPERTIES:
            if name not in model.properties():
                continue
            base = base_sizes.setdefault((model.id, name), getattr(model, name))
            if isinstance(base, (int, float)):
                setattr(model, name, base * factor)
            elif isinstance(base, str) and base.endswith("px"):
                setattr(model, name, f"{float(base[:-2]) * factor:.0f}px")
            elif isinstance(base, dict) and isinstance(base.get("value"), (int, float)):  # a sized marker spec
                setattr(model, name, base["value"] * factor)


def results_table(runs: dict[str, scene.MethodRun]) -> str:
    """One row per method: status, iterations and evaluations, or why it could not run."""
    rows = []
    for method, run in runs.items():
        if run.trace is None:
            rows.append(f"<tr><td>{method}</td><td colspan='5'>{html.escape(run.error)}</td></tr>")
            continue
        e = run.trace.evaluations
        rows.append(f"<tr><td>{method}</td><td title='{html.escape(run.trace.message)}'>{run.trace.status}</td>"
                    f"<td>{run.trace.n_iter}</td><td>{e.f}</td><td>{e.grad}</td><td>{e.hess + e.hvp}</td></tr>")
    header = ("<tr><th>method</th><th>status</th><th>iterations</th>"
              "<th title='evaluations of f the method asked for (the trials of a line search, the test of a trust "
              "region); the value recorded at each iterate for the plots is not counted'>f</th>"
              "<th title='gradient evaluations'>∇f</th>"
              "<th title='Hessians formed, or Hessian-vector products for Hessian-free methods'>H / Hv</th></tr>")
    return f"<table class='results'>{header}{''.join(rows)}</table>"
