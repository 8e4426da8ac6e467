"""Moving through a trajectory in the browser: play, pause, step, step back, reset, speed and keys.

The focused method's per-iterate columns are already on the page; these controls only pick row k.
Every change they make is set with `{sync: false}`, so a hall of students pressing Play sends
nothing to the server. The iteration shown lives in the convergence plot's marker (`marker.location`).
"""

from __future__ import annotations

from bokeh.layouts import column, row
from bokeh.models import Button, ColumnDataSource, CustomJS, Div, Slider, Span

# The controls' callback: `show(k)` copies row k of `focus` (see `Lab.set_focus_rows`) into `current` and
# writes the readout.
PRELUDE = """
const quiet = {sync: false};  // the browser's own business: nothing goes to the server
const length = () => (focus.data.event || []).length;
const k = () => Math.round(marker.location);
const number = (v, digits = 4) => (v === null || Number.isNaN(v)) ? '—' : Number(v).toPrecision(digits);
const sign = (v) => (v === null || Number.isNaN(v)) ? '' : (v < 0 ? 'negative' : 'positive');
function stop() {
  if (window.newtonLabTimer) { clearInterval(window.newtonLabTimer); window.newtonLabTimer = null; }
  play.setv({label: '▶ Play'}, quiet);
}
// Row j of the focused method as {column: value}: its numbers are row j of one table, named by the tags.
function rowAt(j) {
  const d = focus.data, names = focus.tags, width = names.length;
  const r = {verdict: d.verdict[j], event: d.event[j]};
  names.forEach((name, i) => { r[name] = d.table[j * width + i]; });
  return r;
}
function show(step) {
  const n = length();
  if (n === 0) {
    readout.setv({text: `<table class="readout"><tr><td class="event">No trajectory to show for the method the
      arrows are for: add it to the methods, or see the results table for why it could not run.</td></tr></table>`}, quiet);
    return;
  }
  const j = Math.max(0, Math.min(Math.round(step), n - 1));
  const r = rowAt(j);
  current.setv({data: Object.fromEntries(Object.entries(r).map(([name, value]) => [name, [value]]))}, quiet);
  model.setv({data: modelContours(r)}, quiet);
  marker.setv({location: j}, quiet);
  slider.setv({end: Math.max(1, n - 1), value: j}, quiet);
  readout.setv({text: `<table class="readout">
    <tr><th>iteration</th><td>${j} of ${n - 1}</td></tr>
    <tr><th>f</th><td>${number(r.f, 6)}</td></tr>
    <tr><th>‖∇f‖</th><td>${number(r.grad_norm, 3)}</td></tr>
    <tr><th>λ₁</th><td class="${sign(r.lambda_1)}">${number(r.lambda_1)}</td></tr>
    <tr><th>λ₂</th><td class="${sign(r.lambda_2)}">${number(r.lambda_2)}</td></tr>
    <tr><th>condition number</th><td>${number(r.condition, 3)}</td></tr>
    <tr><th>angle(−∇f, Newton)</th><td>${number(r.angle, 3)}°</td></tr>
    <tr><th>step length</th><td>${number(r.step_length, 3)}</td></tr>
    <tr><td colspan="2" class="verdict">${r.verdict}</td></tr>
    <tr><td colspan="2" class="event">${r.event}</td></tr></table>`}, quiet);
}
// Level sets of the local quadratic model m(x + s) = f + gᵀs + ½ sᵀHs through x_k and at a quarter and four
// times its height above the model's stationary point c: ellipses when H is definite, hyperbolas when not.
function modelContours(r) {
  const xs = [], ys = [];
  const l1 = r.lambda_1, l2 = r.lambda_2, cx = r.model_cx, cy = r.model_cy;
  if ([l1, l2, cx, cy].some((v) => v === null || Number.isNaN(v))) return {xs, ys};
  const v1 = [r.v1_x, r.v1_y], v2 = [-r.v1_y, r.v1_x];
  const a0 = (r.x - cx) * v1[0] + (r.y - cy) * v1[1], b0 = (r.x - cx) * v2[0] + (r.y - cy) * v2[1];
  const height = 0.5 * (l1 * a0 * a0 + l2 * b0 * b0);  // m(x_k) − m(c)
  const ts = Array.from({length: 73}, (_, i) => -Math.PI + 2 * Math.PI * i / 72);
  const curve = (points) => { xs.push(points.map(([a, b]) => cx + a * v1[0] + b * v2[0]));
                              ys.push(points.map(([a, b]) => cy + a * v1[1] + b * v2[1])); };
  for (const level of [0.25, 1, 4].map((s) => s * height)) {
    const ra = 2 * level / l1, rb = 2 * level / l2;  // squared semi-axes, signed
    if (ra > 0 && rb > 0) curve(ts.map((t) => [Math.sqrt(ra) * Math.cos(t), Math.sqrt(rb) * Math.sin(t)]));
    else if (ra > 0) for (const side of [1, -1]) curve(ts.map((t) => [side * Math.sqrt(ra) * Math.cosh(t / 2), Math.sqrt(-rb) * Math.sinh(t / 2)]));
    else if (rb > 0) for (const side of [1, -1]) curve(ts.map((t) => [Math.sqrt(-ra) * Math.sinh(t / 2), side * Math.sqrt(rb) * Math.cosh(t / 2)]));
  }
  return {xs, ys};
}
function toggle() {
  if (window.newtonLabTimer) { stop(); return; }
  if (k() >= length() - 1) show(0);
  play.setv({label: '⏸ Pause'}, quiet);
  window.newtonLabTimer = setInterval(() => { if (k() >= length() - 1) stop(); else show(k() + 1); },
                                      1000 / speed.value);
}
"""

# Installed once per page: → / ← step, space plays or pauses, r resets; typing in a field is left alone.
KEYS = """
function installKeys() {
  if (window.newtonLabKeys) return;
  window.newtonLabKeys = true;
  document.addEventListener('keydown', (event) => {
    const target = event.composedPath()[0];
    if (target && (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
                   (target.getAttribute && target.getAttribute('role') === 'slider'))) return;
    if (event.key === 'ArrowRight') { stop(); show(k() + 1); }
    else if (event.key === 'ArrowLeft') { stop(); show(k() - 1); }
    else if (event.key === ' ') { toggle(); }
    else if (event.key === 'r' || event.key === 'R') { stop(); show(0); }
    else return;
    event.preventDefault();
  });
}
"""

# One callback for every control, told apart by the model that fired it: a callback per control would
# send the prelude above once per control in every new session's document.
ACTIONS = """
const origin = cb_obj.origin ?? cb_obj;  // a click's button, or the model that changed
if (origin === reset) { stop(); show(0); }
else if (origin === back) { stop(); show(k() - 1); }
else if (origin === play) { toggle(); }
else if (origin === step) { stop(); show(k() + 1); }
else if (origin === slider) { if (slider.value !== k()) { stop(); show(slider.value); } }
else { installKeys(); show(k()); }  // the page has loaded, or new data came from the server
"""


class IterationControls:
    """The buttons, the iteration slider and the speed slider, wired to their browser-side callbacks."""

    def __init__(self, focus: ColumnDataSource, current: ColumnDataSource, model: ColumnDataSource, readout: Div,
                 marker: Span):
        self.slider = Slider(start=0, end=1, value=0, step=1, title="iteration", sizing_mode="stretch_width")
        self.speed = Slider(start=1, end=20, value=4, step=1, title="speed (iterations per second)",
                            sizing_mode="stretch_width")
        self.reset = Button(label="Reset", width=62)
        self.back = Button(label="◀ Step back", width=92)
        self.play = Button(label="▶ Play", width=76, button_type="primary")
        self.step = Button(label="Step ▶", width=68)
        callback = CustomJS(code=PRELUDE + KEYS + ACTIONS, args=dict(
            focus=focus, current=current, model=model, readout=readout, marker=marker, slider=self.slider,
            play=self.play, speed=self.speed, reset=self.reset, back=self.back, step=self.step))
        for button in (self.reset, self.back, self.play, self.step):
            button.js_on_event("button_click", callback)
        self.slider.js_on_change("value", callback)
        focus.js_on_change("data", callback)  # new data keeps the iteration shown, clipped to the new length
        self.on_page_load = callback  # installs the keys and shows the first iterate

    def layout(self):
        return column(row(self.reset, self.back, self.play, self.step), self.slider, self.speed,
                      sizing_mode="stretch_width")
