"""The lab in a real browser: Debian's Chromium driven by Playwright against `panel serve` on a free port.

Without Chromium these tests skip on a developer's machine and fail under CI=true (`.ci/run` installs it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from benchmarks.serving import CHROMIUM, CHROMIUM_FLAGS, serve, slider_handle

playwright_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI=true but no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
    pytest.skip("no Chromium on this machine (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def lab_url():
    with serve([sys.executable, "-m", "app.serve"], probe="liveness") as (url, read_log):
        yield url
        log = read_log()
    assert "Traceback" not in log, log  # no input broke the server


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Page:
    """A loaded lab page that records console errors and requests to other hosts."""

    def __init__(self, browser, url, width=1280, height=720):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.errors, self.foreign, self.sent = [], [], []
        host = urlparse(url).netloc
        self.page.on("websocket", lambda socket: socket.on("framesent", lambda frame: self.sent.append(frame)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self._record(request.url, host))
        self.page.goto(url)
        self.readout.wait_for(timeout=20_000)

    def _record(self, url, host):
        parsed = urlparse(url)
        if parsed.scheme not in ("data", "blob") and parsed.netloc != host:
            self.foreign.append(url)

    @property
    def readout(self):
        return self.page.locator("table.readout")

    def readout_value(self, label):
        return self.page.locator(f"table.readout tr:has(th:text-is('{label}')) td").inner_text()

    def results(self):
        return self.page.locator("table.results").inner_text()

    def wait_for_change(self, read, before, timeout=10.0):
        deadline = time.monotonic() + timeout
        while read() == before and time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
        return read()


@pytest.fixture
def page(browser, lab_url):
    lab = Page(browser, lab_url)
    yield lab
    lab.page.close()


def main_plot_box(page):
    """The contour plot: the largest Bokeh canvas on the page."""
    boxes = [canvas.bounding_box() for canvas in page.page.locator(".bk-Canvas").all()]
    return max((b for b in boxes if b), key=lambda b: b["width"] * b["height"])


def test_page_draws_contours_and_trajectories_offline_without_errors(page):
    box = main_plot_box(page)
    assert box["width"] > 400 and box["height"] > 300
    picture = page.page.screenshot(clip=box)
    assert len(set(picture[1000:20000])) > 50  # a drawn plot, not a blank canvas
    assert page.readout_value("iteration") == "0 of 6"
    assert "converged" in page.results()
    assert page.errors == []
    assert page.foreign == []


DRAWN = """() => {
  const model = (name) => Bokeh.documents[0].get_model_by_name(name).data;
  const paths = model('paths'), errors = model('errors');
  return {titles: paths.title, lengths: paths.xs.map((line) => line.length), starts: paths.xs.map((line, i) => [line[0], paths.ys[i][0]]),
          errors: errors.ks.map((line) => line.length), iterates: model('iterates').x.length};
}"""


def test_the_browser_draws_every_run_from_the_one_table_it_was_sent(page):
    import solvers
    from app.state import LabState

    drawn = page.page.evaluate(DRAWN)
    state = LabState()
    runs = [solvers.run(state.problem, method, x0=state.x0, max_iter=state.max_iter, tol=state.tol,
                        **state.method_options(method)) for method in state.methods]
    assert drawn["titles"] == ["Gradient descent", "Newton's method", "Damped Newton"]  # the legend
    assert drawn["lengths"] == drawn["errors"] == [len(run.xs) for run in runs]
    assert drawn["iterates"] == sum(len(run.xs) for run in runs)
    assert drawn["starts"] == [[-1.2, 1.0]] * 3
    box = main_plot_box(page)
    page.page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.2 * box["height"])
    moved = page.wait_for_change(lambda: page.page.evaluate(DRAWN)["starts"], drawn["starts"])
    assert moved != drawn["starts"] and all(start == moved[0] for start in moved)
    assert page.errors == []


def test_clicking_the_plot_moves_the_start_point(page):
    before = page.readout_value("f")
    box = main_plot_box(page)
    page.page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.2 * box["height"])
    assert page.wait_for_change(lambda: page.readout_value("f"), before) != before
    assert page.errors == []


ARROW_TAILS = "() => ['x', 'y'].map((c) => Bokeh.documents[0].get_model_by_name('current-iterate').data[c][0])"


def test_step_advances_the_iteration_and_moves_the_arrows(page):
    before, tails = page.readout_value("f"), page.page.evaluate(ARROW_TAILS)
    page.page.get_by_role("button", name="Step ▶").click()
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "0 of 6") == "1 of 6"
    assert page.readout_value("f") != before
    assert tails == [-1.2, 1.0] and page.page.evaluate(ARROW_TAILS) != tails  # the arrows start at x₁ now
    page.page.get_by_role("button", name="◀ Step back").click()
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "1 of 6") == "0 of 6"


def test_keyboard_steps_plays_and_resets(page):
    page.page.locator("body").click(position={"x": 5, "y": 5})
    page.page.keyboard.press("ArrowRight")
    page.page.keyboard.press("ArrowRight")
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "0 of 6") == "2 of 6"
    page.page.keyboard.press("r")
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "2 of 6") == "0 of 6"
    page.page.keyboard.press(" ")
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "0 of 6", timeout=5) != "0 of 6"


def test_play_runs_to_the_end_in_the_browser_alone(page):
    page.page.wait_for_timeout(1000)  # let the page's start-up messages pass
    page.sent.clear()
    page.page.get_by_role("button", name="▶ Play").click()
    assert page.wait_for_change(lambda: page.readout_value("iteration"), "0 of 6", timeout=5) != "0 of 6"
    page.page.wait_for_function("() => !window.newtonLabTimer", timeout=10_000)  # stopped at the last iterate
    assert page.readout_value("iteration") == "6 of 6"
    assert page.sent == []  # playing cost the server nothing: not one websocket message


DAMPED = """() => {
  const model = (name) => Bokeh.documents[0].get_model_by_name(name).data;
  const paths = model('paths'), current = model('current-iterate');
  const damped = paths.method.indexOf('damped_newton');
  return {path: Array.from(paths.xs[damped]), arrow: [current.damped_end_x[0], current.damped_end_y[0]]};
}"""


def test_damping_slider_changes_the_damped_trajectory_and_the_damped_arrow(page):
    before, drawn = page.results(), page.page.evaluate(DAMPED)
    handle = slider_handle(page.page, "damping λ")
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    assert page.wait_for_change(page.results, before) != before
    moved = page.wait_for_change(lambda: page.page.evaluate(DAMPED), drawn)
    assert moved["path"] != drawn["path"] and moved["arrow"] != drawn["arrow"]
    assert page.errors == []


def test_dragging_the_damping_slider_redraws_while_the_button_is_still_down(page):
    drawn = page.page.evaluate(DAMPED)
    handle = slider_handle(page.page, "damping λ").bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.page.mouse.move(x, y)
    page.page.mouse.down()
    for step in range(1, 9):  # a person's drag: small moves, a few frames apart
        page.page.mouse.move(x + 10 * step, y)
        page.page.wait_for_timeout(30)
    moved = page.wait_for_change(lambda: page.page.evaluate(DAMPED)["path"], drawn["path"])
    page.page.mouse.up()
    assert moved != drawn["path"]  # redrawn before the release
    assert page.errors == []


def test_folded_settings_appear_when_unfolded_and_work(page):
    assert page.page.locator(".bk-input-group", has_text="max iterations").count() == 0  # built on demand
    page.page.get_by_text("more settings").click()
    before = page.results()
    handle = slider_handle(page.page, "max iterations")
    handle.focus()
    for _ in range(3):
        handle.press("PageDown")  # gradient descent now stops early, after fewer iterations
    page.page.wait_for_function("() => window.location.search.includes('max_iter=')", timeout=10_000)
    assert page.wait_for_change(page.results, before) != before
    assert page.errors == []


def test_a_1280_by_720_projector_shows_plot_readout_and_step_buttons_without_scrolling(page):
    in_view = [main_plot_box(page), page.readout.bounding_box(),
               page.page.get_by_role("button", name="Step ▶").bounding_box()]
    assert all(box["y"] >= 0 and box["y"] + box["height"] <= 720 and box["x"] + box["width"] <= 1280 for box in in_view)


def test_projector_mode_enlarges_the_readout_and_the_results(browser, lab_url, page):
    deep = "(selector) => { const find = (root) => root.querySelector(selector) || [...root.querySelectorAll('*')]" \
           ".map((e) => e.shadowRoot && find(e.shadowRoot)).find(Boolean); return parseFloat(getComputedStyle(find(document)).fontSize); }"
    projector = Page(browser, lab_url + "?presentation=True")
    for selector in ("table.readout td", "table.results td"):
        normal = page.page.evaluate(deep, selector)
        assert normal >= 14 and projector.page.evaluate(deep, selector) == pytest.approx(1.6 * normal, rel=0.05)
    projector.page.close()


def test_phone_width_still_shows_the_plot(browser, lab_url):
    phone = Page(browser, lab_url, width=390, height=844)
    boxes = [c.bounding_box() for c in phone.page.locator(".bk-Canvas").all()]
    assert any(b and b["width"] > 200 for b in boxes)
    phone.page.close()


def test_the_address_bar_follows_the_scene_and_a_link_restores_it(page, browser, lab_url):
    box = main_plot_box(page)
    page.page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.3 * box["height"])
    page.page.wait_for_function("() => window.location.search.includes('x0=')", timeout=10_000)
    link = page.page.url
    restored = Page(browser, link)
    assert restored.readout_value("f") == page.readout_value("f")
    restored.page.close()


def test_a_diverging_method_reports_it_and_the_page_keeps_working(browser, lab_url):
    import solvers

    n_iter = solvers.run("rosenbrock", "gd", lr=0.05, max_iter=200).n_iter
    lab = Page(browser, lab_url + "?methods=gd,newton&lr=0.05&focus=gd")
    assert "diverged" in lab.results()
    lab.page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(n_iter):
        lab.page.keyboard.press("ArrowRight")
    assert lab.wait_for_change(lambda: lab.readout_value("iteration"), "0 of 0") == f"{n_iter} of {n_iter}"
    assert "diverged" in lab.page.locator("table.readout td.event").inner_text()
    assert lab.errors == []
    lab.page.close()


def test_quadratic_model_contours_are_drawn_for_the_iterate_shown(browser, lab_url):
    lab = Page(browser, lab_url + "?show_model=True")
    count = "() => Bokeh.documents[0].get_model_by_name('model-contours').data.xs.length"
    lab.page.wait_for_function(f"() => ({count})() > 0", timeout=10_000)
    assert lab.page.evaluate(count) == 3  # three ellipses around the Newton point: H is positive definite at x₀
    lab.page.close()


@pytest.mark.parametrize("query", ["?x0=1e300,1e300", "?x0=nan,nan", "?problem=nope&damping=-3&max_iter=99999999",
                                   "?methods=gauss_newton,natural_gradient&problem=saddle"])
def test_hostile_links_leave_a_working_page(browser, lab_url, query):
    lab = Page(browser, lab_url + query)
    assert lab.errors == []
    lab.page.get_by_role("button", name="Step ▶").click()  # still responsive
    assert lab.results().startswith("method")
    lab.page.close()
