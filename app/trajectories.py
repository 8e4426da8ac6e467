"""Every method's path and errors travel to the page as one table, and the browser draws them.

A change of start point reruns every method; sent as the plots' own columns (a path's x and y, its
iterates, its two error curves, per method) that was some twenty arrays, each serialised, framed and
parsed apart. As one table of rows (method index, k, x, y, log₁₀ f error, log₁₀ x error) it is one
binary buffer, and the browser cuts it into the lines and markers the plots draw, without sending
anything back (`{sync: false}`).
"""

from __future__ import annotations

import numpy as np
from bokeh.models import ColumnDataSource, CustomJS

# The table's columns, in order; a line starts wherever k is 0.
COLUMNS = ("method_index", "k", "x", "y", "log_f_error", "log_x_error")

# Cuts `runs.data.table` into the paths' multi-line, the iterates' scatter and the error curves.
DRAW = """
const quiet = {sync: false};  // the browser's own business: nothing goes to the server
const table = runs.data.table, width = %(width)d, n = table.length / width;
const column = (i) => Float64Array.from({length: n}, (_, row) => table[row * width + i]);
const [index, k, x, y, logF, logX] = [0, 1, 2, 3, 4, 5].map(column);
const starts = [];
k.forEach((value, row) => { if (value === 0) starts.push(row); });
const lines = (values) => starts.map((start, i) => values.subarray(start, starts[i + 1] ?? n));
const methods = starts.map((row) => index[row]);
paths.setv({data: {xs: lines(x), ys: lines(y), colour: methods.map((m) => colours[m]),
                   title: methods.map((m) => titles[m]), method: methods.map((m) => names[m])}}, quiet);
iterates.setv({data: {x, y, method_index: index}}, quiet);
errors.setv({data: {ks: lines(k), log_f_error: lines(logF), log_x_error: lines(logX),
                    colour: methods.map((m) => colours[m])}}, quiet);
""" % {"width": len(COLUMNS)}


def pack(runs: list[tuple[int, dict[str, np.ndarray]]]) -> np.ndarray:
    """(method index, columns) of every run drawn, as one (rows, len(COLUMNS)) table, run after run."""
    blocks = [np.column_stack([np.full(len(columns["k"]), index), *(columns[name] for name in COLUMNS[1:])])
              for index, columns in runs]
    return np.concatenate(blocks) if blocks else np.zeros((0, len(COLUMNS)))


class Trajectories:
    """The table of every run on the page, and the browser-side callback that draws it into the plots."""

    def __init__(self, paths: ColumnDataSource, iterates: ColumnDataSource, errors: ColumnDataSource,
                 colours: list[str], titles: list[str], names: list[str]):
        self.source = ColumnDataSource({"table": np.zeros((0, len(COLUMNS)))}, name="runs")
        self.draw = CustomJS(code=DRAW, args=dict(runs=self.source, paths=paths, iterates=iterates, errors=errors,
                                                  colours=colours, titles=titles, names=names))
        self.source.js_on_change("data", self.draw)  # and once on page load: see `Lab.on_page_load`
        paths.tags = [self.source]  # what they are cut from; it puts the table in every document they are in

    def show(self, runs: list[tuple[int, dict[str, np.ndarray]]]) -> None:
        self.source.data = {"table": pack(runs)}
