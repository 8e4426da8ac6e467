"""Serving the lab on a free local port and driving Debian's Chromium: shared by benchmarks and tests."""

from __future__ import annotations

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


@contextmanager
def serve(command: list[str], timeout: float = 60.0):
    """Run `command --port N` from the repository until the block ends; yields (url, read_log).

    The server's output goes to a temporary file (a pipe nobody reads could fill and stall it);
    `read_log()` returns what it wrote so far.
    """
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        def read_log() -> str:
            log.flush()
            log.seek(0)
            return log.read()

        process = subprocess.Popen(command + ["--port", str(port)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   text=True)
        url = f"http://localhost:{port}/"
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError as error:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise RuntimeError(f"{' '.join(command)} did not start:\n{read_log()}") from error
                time.sleep(0.2)
        try:
            yield url, read_log
        finally:
            process.terminate()
            process.wait(timeout=10)


def slider_handle(page, label: str):
    """The handle of the slider whose title starts with `label` (Panel and Bokeh sliders are noUiSliders)."""
    return page.locator(".bk-input-group", has_text=label).locator(".noUi-handle").first
