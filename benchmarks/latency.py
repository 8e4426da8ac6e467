"""Benchmark 4: the lab as a student meets it — interaction latency, first load, bytes on the wire.

Measured against real servers on this machine: the lab as `make run` serves it, and the stock
baseline (`benchmarks/stock_app.py` under plain `panel serve`). Interaction latency is timed by a
real Bokeh client session over the websocket (`benchmarks/student.py`: TCP_NODELAY on the client
as browsers set it, `document_ready` announced as BokehJS does): from sending the change (the
slider's new value, a tap on the plot) until the last message of column data it causes has
arrived. First load and bytes are measured in Debian's Chromium driven by Playwright.
`python -m benchmarks.latency [--quick]` runs this alone.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import numpy as np

from .report import Section, reference_workload, run_alone, table
from .serving import CHROMIUM, CHROMIUM_FLAGS, serve, wait_for_log
from .student import Student
from .timing import seconds

CHANGES, QUICK_CHANGES = 60, 8
PAUSE = 0.2  # seconds between one student's changes: one interaction at a time
LATENCY_P50, LATENCY_P95 = 0.010, 0.025
LOAD_TARGET, BYTES_TARGET = 1.5, 1.5e6
LOADS, QUICK_LOADS = 5, 1  # first loads, each by a browser context of its own (its own empty cache)


async def slider_latencies(url: str, title: str, positions: tuple[float, float], changes: int) -> np.ndarray:
    """Round trips of `changes` moves of the slider titled `title`, back and forth between two positions."""
    student = await Student.join(url)
    try:
        slider = student.model("Slider", title=title)
        latencies = []
        for index in range(changes):
            latencies.append(await student.set_value(slider, positions[index % 2]))
            await asyncio.sleep(PAUSE)
        return np.array(latencies)
    finally:
        await student.close()


async def tap_latencies(url: str, changes: int) -> np.ndarray:
    """Round trips of `changes` taps on the contour plot, each at a new start point."""
    student = await Student.join(url)
    try:
        plot = student.model("Figure", name="contour-plot")
        latencies = []
        for index in range(changes):
            fraction = index / max(1, changes - 1)
            latencies.append(await student.tap(plot, -1.5 + 2.5 * fraction, 2.0 - 1.5 * ((7 * fraction) % 1)))
            await asyncio.sleep(PAUSE)
        return np.array(latencies)
    finally:
        await student.close()


def open_page(browser, url):
    """A page with the recorder installed; returns (page, seconds to the lab's first drawn plot, bytes)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    finished = []
    page.on("requestfinished", lambda request: finished.append(request))
    started = time.perf_counter()
    page.goto(url)
    page.locator(".bk-Canvas").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.readyState === 'complete'")
    loaded = time.perf_counter() - started
    page.wait_for_timeout(1000)
    sizes = [request.sizes() for request in finished]
    transferred = sum(size["responseBodySize"] + size["responseHeadersSize"] for size in sizes)
    return page, loaded, transferred


def run(quick: bool) -> Section:
    section = Section("4. The lab in a browser")
    changes = QUICK_CHANGES if quick else CHANGES
    lab_command = [sys.executable, "-m", "app.serve"]
    stock_command = [sys.executable, "-m", "panel", "serve", "benchmarks/stock_app.py", "--index", "stock_app"]
    rows, speeds = [], []  # the machine's reference workload around each row's changes, ms
    with serve(stock_command) as (url, _):
        rows.append(("stock Panel app (baseline)", "slider",
                     asyncio.run(slider_latencies(url, "damping", (1.1, 1.0), changes))))
    with serve(lab_command, probe="liveness") as (url, _):
        speeds.append(reference_workload())
        rows.append(("Newton Lab (`make run`)", "damping slider",
                     asyncio.run(slider_latencies(url, "damping λ", (0.25, 0.5), changes))))
        speeds.append(reference_workload())
        rows.append(("Newton Lab (`make run`)", "click on the plot", asyncio.run(tap_latencies(url, changes))))
        speeds.append(reference_workload())
    # A page opened on a server that is up and idle, as a student meets it: its warm sessions are built.
    with serve(lab_command, probe="liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: ", timeout=120.0)
        loads = first_loads(url, QUICK_LOADS if quick else LOADS)

    table_rows = []
    for label, action, latencies in rows:
        p50, p95 = np.median(latencies), np.percentile(latencies, 95)
        table_rows.append([label, action, len(latencies), seconds(p50), seconds(p95), seconds(latencies.max())])
        if label.startswith("Newton Lab"):
            section.target(f"Latency, {action}: p50", seconds(p50), f"≤ {seconds(LATENCY_P50)}", p50 <= LATENCY_P50, quick)
            section.target(f"Latency, {action}: p95", seconds(p95), f"≤ {seconds(LATENCY_P95)}", p95 <= LATENCY_P95, quick)
        section.summary.append(f"latency {label}, {action}: p50 {seconds(p50)}, p95 {seconds(p95)}")
    section.body += [
        __doc__.split("\n\n", 1)[1].strip(),
        f"Each row is {changes} changes by one student, {PAUSE * 1000:.0f} ms apart; the slider moves back and "
        "forth between two positions (damped Newton is recomputed each time), each tap sets a new start point "
        "(every method is recomputed). The lab's target is p50 ≤ 10 ms and p95 ≤ 25 ms; the stock app shows what "
        "Panel's 50 ms debounce and Nagle's algorithm cost.",
        table(["page", "interaction", "changes", "p50", "p95", "max"], table_rows),
        "The machine's speed around the lab's rows, as the reference workload of the Machine section (lower is "
        "faster): " + " → ".join(f"{speed * 1e3:.2f} ms" for speed in speeds) + " (before the damping slider, "
        "between, after the clicks).",
    ]
    if loads is None:
        section.body.append("First load not measured: no Chromium on this machine (`apt-get install chromium`).")
        section.summary.append("first load: not measured (no Chromium)")
        return section
    loaded, transferred = float(np.median([load for load, _ in loads])), max(size for _, size in loads)
    section.target("First load to the first drawn plot: median", seconds(loaded), f"≤ {seconds(LOAD_TARGET)}",
                   loaded <= LOAD_TARGET, quick)
    section.target("Bytes on the wire, first load", f"{transferred / 1e6:.2f} MB", f"≤ {BYTES_TARGET / 1e6:.1f} MB",
                   transferred <= BYTES_TARGET, quick)
    section.body.append(f"First load: {len(loads)} pages opened one after another, each in a browser context of its "
                        "own (nothing cached), on a lab that is up and idle with its warm sessions built.")
    section.body.append(table(["page", "first load to first drawn plot: median", "each", "bytes on the wire (most)"],
                              [["Newton Lab (`make run`)", seconds(loaded), ", ".join(seconds(load) for load, _ in loads),
                                f"{transferred / 1e6:.2f} MB"]]))
    return section


def first_loads(url: str, count: int) -> list[tuple[float, int]] | None:
    """(seconds from navigation to the lab's first drawn plot, bytes on the wire) of `count` first loads in
    Chromium, each in a fresh browser context, so that none is served from another's cache."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    loads = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(count):
            page, loaded, transferred = open_page(browser, url)  # browser.new_page: a new context each time
            page.close()
            loads.append((loaded, transferred))
        browser.close()
    return loads


def main() -> None:
    run_alone(run, "latency", __doc__)


if __name__ == "__main__":
    main()
