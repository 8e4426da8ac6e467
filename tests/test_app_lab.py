"""The lab's views follow its state: every change lands in the Bokeh sources, without a browser."""

from __future__ import annotations

from collections import Counter

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.document.events import DocumentPatchedEvent
from bokeh.models import Range1d
from bokeh.protocol.messages.patch_doc import patch_doc

import solvers
from app.lab import METHOD_INDEX, Lab
from app.state import LabState
from app.trajectories import COLUMNS


@pytest.fixture
def lab():
    return Lab(state=LabState())


def trajectory(lab, method):
    """The path the page draws for `method`, (n, 2), from the table of every run; empty when not drawn."""
    table = lab.trajectories.source.data["table"]
    rows = table[table[:, COLUMNS.index("method_index")] == METHOD_INDEX[method]]
    return rows[:, [COLUMNS.index("x"), COLUMNS.index("y")]]


def focus_column(lab, name):
    """One column of the focused method, as the page reads it from the focus source's table."""
    data = lab.focus.data
    return data[name] if name in ("verdict", "event") else data["table"][:, lab.focus.tags.index(name)]


def test_default_page_draws_the_three_classic_trajectories(lab):
    for method in ("gd", "newton", "damped_newton"):
        expected = solvers.run("rosenbrock", method, x0=(-1.2, 1.0), max_iter=200, tol=1e-8,
                               **lab.state.method_options(method)).xs
        np.testing.assert_array_equal(trajectory(lab, method), expected)
    assert len(trajectory(lab, "bfgs")) == 0
    table = lab.trajectories.source.data["table"]
    assert len(table) == sum(len(trajectory(lab, m)) for m in lab.state.methods)
    assert list(dict.fromkeys(table[:, 0])) == [METHOD_INDEX[m] for m in lab.state.methods]  # the legend's order


def test_damping_changes_only_the_damped_trajectory(lab):
    before = {m: trajectory(lab, m) for m in ("gd", "newton", "damped_newton")}
    runs = dict(lab.runs)
    lab.state.damping = 20.0
    assert lab.runs["gd"] is runs["gd"] and lab.runs["newton"] is runs["newton"]  # not recomputed
    assert lab.runs["damped_newton"] is not runs["damped_newton"]
    after = {m: trajectory(lab, m) for m in before}
    np.testing.assert_array_equal(after["gd"], before["gd"])
    np.testing.assert_array_equal(after["newton"], before["newton"])
    expected = solvers.run("rosenbrock", "damped_newton", x0=(-1.2, 1.0), max_iter=200, tol=1e-8, damping=20.0).xs
    np.testing.assert_array_equal(after["damped_newton"], expected)


def reply_to(lab, change):
    """The PATCH-DOC message the server would send for `change()`, made by Bokeh's own protocol code."""
    document = Document()
    for root in (lab.contour.figure, lab.convergence.figure, lab.iterations.layout()):
        document.add_root(root)
    events = []
    document.on_change(events.append)
    change()
    return patch_doc.create([event for event in events if isinstance(event, DocumentPatchedEvent)])


def test_a_new_start_sends_every_run_as_one_table(lab):
    """Two binary buffers, the table of every run and the focused method's rows, where a buffer per line,
    per iterate column and per error curve made some twenty."""
    reply = reply_to(lab, lambda: setattr(lab.state, "x0", (0.5, -0.5)))
    assert len(reply.buffers) == 2
    table = lab.trajectories.source.data["table"]
    assert np.ascontiguousarray(table).tobytes() in [buffer.to_bytes() for buffer in reply.buffers]


def test_a_new_damping_resends_the_runs_but_reruns_only_damped_newton(lab):
    before = lab.trajectories.source.data["table"]
    reply = reply_to(lab, lambda: setattr(lab.state, "damping", 20.0))
    assert len(reply.buffers) == 2  # and the focused method's rows, for their damped steps at the new λ
    after = lab.trajectories.source.data["table"]
    unchanged = np.isin(after[:, 0], [METHOD_INDEX["gd"], METHOD_INDEX["newton"]])
    np.testing.assert_array_equal(after[unchanged], before[np.isin(before[:, 0], after[unchanged, 0])])


def test_the_damped_step_at_every_iterate_is_the_solution_of_the_damped_system_and_absent_at_zero(lab):
    problem = lab.state.build_problem()
    for damping in (0.5, 20.0):
        lab.state.damping = damping
        x = np.array([-1.2, 1.0])
        expected = x - np.linalg.solve(problem.hess(x) + damping * np.eye(2), problem.grad(x))
        ends = np.array([focus_column(lab, "damped_end_x")[0], focus_column(lab, "damped_end_y")[0]])
        np.testing.assert_allclose(ends, expected, rtol=1e-12)
    lab.state.damping = 0.0  # pure Newton: no damped arrow
    assert np.isnan(focus_column(lab, "damped_end_x")).all()


def test_a_new_start_point_moves_every_trajectory_and_the_start_marker(lab):
    lab.state.x0 = (0.5, -0.5)
    assert lab.contour.start.data == {"x": [0.5], "y": [-0.5]}
    for method in ("gd", "newton", "damped_newton"):
        np.testing.assert_array_equal(trajectory(lab, method)[0], [0.5, -0.5])


def test_only_the_focused_method_carries_the_curvature_of_every_iterate(lab):
    assert lab.runs["newton"].full and "lambda_1" in lab.runs["newton"].columns
    assert not lab.runs["gd"].full and "lambda_1" not in lab.runs["gd"].columns
    assert lab.runs["gd"].trace.steps[0].eigenvalues is None  # run without the diagnostics it does not show
    lab.state.focus = "gd"  # now its arrows are drawn: rerun with everything
    assert lab.runs["gd"].full and focus_column(lab, "lambda_1")[0] == pytest.approx(
        solvers.run("rosenbrock", "gd", x0=(-1.2, 1.0), max_iter=0).steps[0].eigenvalues[0])
    newton = lab.runs["newton"]
    lab.state.focus = "newton"
    assert lab.runs["newton"] is newton  # a full run serves again as it is


def test_focus_selects_the_rows_the_browser_steps_through(lab):
    lab.state.focus = "damped_newton"
    expected = solvers.run("rosenbrock", "damped_newton", x0=(-1.2, 1.0), max_iter=200, tol=1e-8, damping=1.0)
    np.testing.assert_array_equal(focus_column(lab, "f"), expected.fs)
    assert len(focus_column(lab, "k")) == expected.n_iter + 1


def test_the_legend_says_which_arrow_is_scaled_and_which_has_its_true_length(lab):
    from bokeh.core.property.vectorization import Value
    from bokeh.models import Legend, Segment

    labels = {item.label.value: item.renderers for legend in lab.contour.figure.select(Legend) for item in legend.items
              if isinstance(item.label, Value)}
    gradient, newton = labels["−∇f, scaled"][0].glyph, labels["Newton step, true length"][0].glyph
    assert isinstance(gradient, Segment) and (gradient.x1, gradient.y1) == ("gradient_end_x", "gradient_end_y")
    assert isinstance(newton, Segment) and (newton.x1, newton.y1) == ("newton_end_x", "newton_end_y")
    current = lab.contour.current.data
    newton_step = lab.runs["newton"].trace.column("newton_direction")[0]
    assert (current["newton_end_x"][0], current["newton_end_y"][0]) == pytest.approx(np.array([-1.2, 1.0]) + newton_step)


def test_a_new_problem_redraws_landmarks_and_view(lab):
    lab.state.problem = "himmelblau"
    kinds = lab.contour.landmarks.data["kind"]
    assert sorted(kinds) == ["maximum"] + ["minimum"] * 4 + ["saddle"] * 4
    assert (lab.contour.figure.x_range.start, lab.contour.figure.x_range.end) == (-5.0, 5.0)
    np.testing.assert_array_equal(trajectory(lab, "newton")[0], solvers.get_problem("himmelblau").x0)


def test_the_reset_tool_returns_to_the_problems_window(lab):
    """The view is the problem's window, not fitted to the data: a reset after panning goes back to it,
    for the problem now shown."""
    lab.state.problem = "himmelblau"
    for axis_range, (low, high) in zip((lab.contour.figure.x_range, lab.contour.figure.y_range),
                                       solvers.get_problem("himmelblau").window):
        assert isinstance(axis_range, Range1d)
        assert (axis_range.reset_start, axis_range.reset_end) == (low, high)


def test_every_renderer_and_source_share_one_filter_and_one_selection_policy(lab):
    """Bokeh makes an AllIndices filter per renderer and a UnionRenderers policy per source; each model on
    the page costs every message and the first load, so the lab's figures share one of each."""
    document = Document()
    document.add_root(pn.panel(lab).get_root(document))
    kinds = Counter(type(model).__name__ for model in document.models)
    assert kinds["GlyphRenderer"] > 10 and kinds["ColumnDataSource"] > 10
    assert kinds["AllIndices"] == 1 and kinds["UnionRenderers"] == 1


def test_the_first_rows_of_the_arrows_travel_inline(lab):
    """The page's first row of the arrows' columns is sent as plain numbers in the document's JSON: as
    arrays, each of its ~50 columns would be a binary buffer of its own, framed and parsed apart."""
    assert lab.contour.current.data and all(isinstance(value, list) and len(value) == 1
                                            for value in lab.contour.current.data.values())


def test_a_method_that_cannot_run_says_why_and_the_others_still_draw(lab):
    lab.state.methods = ["newton", "natural_gradient"]
    assert "natural_gradient needs a likelihood" in lab.results.text
    assert len(trajectory(lab, "newton")) > 1 and len(trajectory(lab, "natural_gradient")) == 0


def test_a_diverging_method_reports_its_status_and_keeps_its_finite_path(lab):
    lab.state.param.update(methods=["gd"], lr=0.05)
    assert "diverged" in lab.results.text
    assert np.isfinite(trajectory(lab, "gd")).all()


def test_importing_the_page_script_serves_nothing():
    import app.main  # noqa: F401  the `if pn.state.served:` guard keeps tests free of a server


def test_presentation_mode_enlarges_lines_and_labels_and_returns_exactly(lab):
    lines = [r.glyph for r in lab.contour.figure.renderers if getattr(r, "glyph", None) is not None
             and hasattr(r.glyph, "line_width")]
    before = [glyph.line_width for glyph in lines]
    label = lab.contour.figure.xaxis[0].axis_label_text_font_size
    lab.state.presentation = True
    assert [glyph.line_width for glyph in lines] == pytest.approx([1.6 * width for width in before])
    assert float(lab.contour.figure.xaxis[0].axis_label_text_font_size[:-2]) > float(label[:-2])
    lab.state.presentation = False
    assert [glyph.line_width for glyph in lines] == pytest.approx(before)
    assert lab.contour.figure.xaxis[0].axis_label_text_font_size == label


def test_a_link_can_open_the_lab_in_presentation_mode():
    lab = Lab(state=LabState(presentation=True))
    assert lab.readout.styles["font-size"] == lab.results.styles["font-size"] == "22px"  # 1.6 × 14 px
