"""Serving the lab on a free local port and driving Debian's Chromium: shared by benchmarks and tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, read_log, timeout: float = 60.0) -> None:
    """Poll `url` until it answers; RuntimeError with the server's log if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up:\n{read_log()}") from error
            time.sleep(0.2)


def wait_for_log(read_log, text: str, count: int = 1, timeout: float = 60.0) -> None:
    """Until `text` appears `count` times in what `read_log()` returns; RuntimeError with the log's end if
    time runs out."""
    deadline = time.monotonic() + timeout
    while read_log().count(text) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{text!r} not logged {count} times in {timeout:g} s:\n{read_log()[-3000:]}")
        time.sleep(0.1)


@contextmanager
def running(command: list[str], log: Path, probe: str, environment: dict[str, str] | None = None,
            timeout: float = 60.0):
    """Run `command` from the repository (output to the file `log`, never a pipe nobody reads, which
    could fill and stall it) until the block ends, once the URL `probe` answers; yields the process."""
    with open(log, "w") as output:
        process = subprocess.Popen(command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
                                   env={**os.environ, **(environment or {})})
    try:
        wait_until_up(probe, process, lambda: log.read_text(errors="replace"), timeout)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serve(command: list[str], timeout: float = 60.0, probe: str = ""):
    """Run `command --port N` until the block ends, once the path `probe` answers (the page itself by
    default; "liveness" for the lab, which then keeps every session it builds in advance for the
    students); yields (url, read_log), `read_log()` being what the server wrote so far."""
    port = free_port()
    url = f"http://localhost:{port}/"
    with tempfile.TemporaryDirectory(prefix="newton-lab-server-") as directory:
        log = Path(directory) / "server.log"
        with running(command + ["--port", str(port)], log, url + probe, timeout=timeout):
            yield url, lambda: log.read_text(errors="replace")


def slider_handle(page, label: str):
    """The handle of the slider whose title starts with `label` (Panel and Bokeh sliders are noUiSliders)."""
    return page.locator(".bk-input-group", has_text=label).locator(".noUi-handle").first
