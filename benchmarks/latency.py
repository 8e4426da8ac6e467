"""Benchmark 4: the lab as a student meets it — interaction latency, first load, bytes on the wire.

Measured in a real browser (Debian's Chromium driven by Playwright) against real servers on this
machine: the lab as `make run` serves it, and the stock baseline (`benchmarks/stock_app.py` under
plain `panel serve`). The browser's network stack times each interaction (Chrome DevTools Protocol
websocket events): from the frame that carries the change to the server (the slider's new value, the
tap on the plot) to the first frame carrying new column data back. That is the round trip over the
websocket, with TCP_NODELAY on the client as browsers set it; it leaves out the page's own drawing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from .report import Section, table
from .serving import CHROMIUM, CHROMIUM_FLAGS, serve, slider_handle
from .timing import seconds

CHANGES, QUICK_CHANGES = 60, 8
SETTLE_MS = 400
LATENCY_P50, LATENCY_P95 = 0.010, 0.025
LOAD_TARGET, BYTES_TARGET = 1.5, 1.5e6
class WebsocketLog:
    """The page's websocket frames with the network stack's timestamps (seconds), from DevTools."""

    def __init__(self, page):
        self.frames: list[tuple[str, float, str]] = []
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.webSocketFrameSent", lambda e: self._add("sent", e))
        session.on("Network.webSocketFrameReceived", lambda e: self._add("received", e))

    def _add(self, direction: str, event: dict) -> None:
        self.frames.append((direction, event["timestamp"], event["response"].get("payloadData", "")))

    def round_trip(self, change_marker: str) -> float | None:
        """From the frame carrying the change to the first frame of new column data after it."""
        sent = next((t for d, t, payload in self.frames if d == "sent" and change_marker in payload), None)
        if sent is None:
            return None
        return next((t - sent for d, t, payload in self.frames
                     if d == "received" and t >= sent and '"attr":"data"' in payload), None)


def interaction_latencies(page, log: WebsocketLog, act, change_marker: str, changes: int) -> np.ndarray:
    """Round trips of `changes` interactions, one at a time."""
    latencies = []
    for index in range(changes):
        log.frames.clear()
        act(index)
        deadline = time.monotonic() + 10
        while (latency := log.round_trip(change_marker)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no data came back for interaction {index}")
            page.wait_for_timeout(10)
        latencies.append(latency)
        page.wait_for_timeout(SETTLE_MS)  # one interaction at a time; two quick clicks would be a double tap
    return np.array(latencies)


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


def press_slider(page, label: str):
    handle = slider_handle(page, label)
    handle.focus()
    return lambda index: handle.press("ArrowRight" if index % 2 == 0 else "ArrowLeft")


def click_plot(page):
    canvases = [c.bounding_box() for c in page.locator(".bk-Canvas").all()]
    box = max((b for b in canvases if b), key=lambda b: b["width"] * b["height"])
    spots = [(0.2 + 0.6 * f, 0.25 + 0.5 * ((7 * f) % 1)) for f in np.linspace(0, 1, 23)]
    return lambda index: page.mouse.click(box["x"] + spots[index % len(spots)][0] * box["width"],
                                          box["y"] + spots[index % len(spots)][1] * box["height"])


def run(quick: bool) -> Section:
    section = Section("4. The lab in a browser")
    if not Path(CHROMIUM).exists():
        section.body.append("Not measured: no Chromium on this machine (`apt-get install chromium`).")
        section.summary.append("latency: not measured (no Chromium)")
        return section
    from playwright.sync_api import sync_playwright

    changes = QUICK_CHANGES if quick else CHANGES
    lab_command = [sys.executable, "-m", "app.serve"]
    stock_command = [sys.executable, "-m", "panel", "serve", "benchmarks/stock_app.py", "--index", "stock_app"]
    rows, loads = [], {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for label, command, actions in (
            ("stock Panel app (baseline)", stock_command,
             {"slider": (lambda page: press_slider(page, "damping"), '"attr":"value"')}),
            ("Newton Lab (`make run`)", lab_command,
             {"damping slider": (lambda page: press_slider(page, "damping λ"), '"attr":"value"'),
              "click on the plot": (click_plot, '"name":"tap"')}),
        ):
            with serve(command) as (url, _):
                page, loaded, transferred = open_page(browser, url)
                loads[label] = (loaded, transferred)
                log = WebsocketLog(page)
                for action, (make, marker) in actions.items():
                    rows.append((label, action, interaction_latencies(page, log, make(page), marker, changes)))
                page.close()
        browser.close()

    table_rows = []
    for label, action, latencies in rows:
        p50, p95 = np.median(latencies), np.percentile(latencies, 95)
        table_rows.append([label, action, len(latencies), seconds(p50), seconds(p95), seconds(latencies.max())])
        if label.startswith("Newton Lab"):
            section.target(f"Latency, {action}: p50", seconds(p50), f"≤ {seconds(LATENCY_P50)}", p50 <= LATENCY_P50, quick)
            section.target(f"Latency, {action}: p95", seconds(p95), f"≤ {seconds(LATENCY_P95)}", p95 <= LATENCY_P95, quick)
        section.summary.append(f"latency {label}, {action}: p50 {seconds(p50)}, p95 {seconds(p95)}")
    lab_load, lab_bytes = loads["Newton Lab (`make run`)"]
    section.target("First load to the first drawn plot", seconds(lab_load), f"≤ {seconds(LOAD_TARGET)}",
                   lab_load <= LOAD_TARGET, quick)
    section.target("Bytes on the wire, first load", f"{lab_bytes / 1e6:.2f} MB", f"≤ {BYTES_TARGET / 1e6:.1f} MB",
                   lab_bytes <= BYTES_TARGET, quick)
    section.body += [
        __doc__.split("\n\n", 1)[1].strip(),
        f"Each row is {changes} interactions, one at a time; the slider "
        f"moves one step with the arrow keys, alternately right and left; interactions are {SETTLE_MS} ms apart. "
        "The lab's target is p50 ≤ 10 ms and "
        "p95 ≤ 25 ms; the stock app shows what Panel's 50 ms debounce and Nagle's algorithm cost.",
        table(["page", "interaction", "changes", "p50", "p95", "max"], table_rows),
        table(["page", "first load to first drawn plot", "bytes on the wire"],
              [[label, seconds(load), f"{size / 1e6:.2f} MB"] for label, (load, size) in loads.items()]),
    ]
    return section
