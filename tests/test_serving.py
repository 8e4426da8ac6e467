"""The served lab through real Bokeh client sessions (`benchmarks/student.py`), without a browser."""

from __future__ import annotations

import asyncio
import gzip
import re
import subprocess
import sys
import time
import urllib.request
from collections import OrderedDict

import numpy as np
import pytest

from benchmarks.serving import serve
from benchmarks.student import Student, carries_data


@pytest.fixture(scope="module")
def lab_url():
    with serve([sys.executable, "-m", "app.serve"], probe="liveness") as (url, read_log):
        yield url
        assert "Traceback" not in read_log()


def test_sessions_answer_each_change_with_column_data(lab_url):
    async def scenario():
        students = [await Student.join(lab_url) for _ in range(3)]  # models are per session: all must work
        try:
            for student in students:
                slider = student.model("Slider", title="damping λ")
                plot = student.model("Figure", name="contour-plot")
                latencies = [await student.set_value(slider, 0.5), await student.tap(plot, 0.5, 2.0),
                             await student.set_value(slider, 1.0)]
                assert np.all(np.array(latencies) > 0)
                assert student.errors == []
        finally:
            for student in students:
                await student.close()

    asyncio.run(scenario())


class RecordingStudent(Student):
    """A student who also keeps every message the server sends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received: list = []

    async def receive(self):
        message = await super().receive()
        self.received.append(message)
        return message


def test_a_fast_drag_is_merged_into_one_change_and_its_last_position_wins(lab_url):
    """Positions sent faster than the server answers are not answered one by one: the server computes the
    newest, and the page's address (written by the server from its state) ends at the last one."""
    positions = [0.25, 0.5, 0.75, 1.0] * 5 + [1.5]

    async def scenario():
        student = await RecordingStudent.join(lab_url)
        try:
            slider = student.model("Slider", title="damping λ")
            await asyncio.sleep(0.3)
            student.received = []
            for position in positions:  # back to back, as a drag across the slider on a slow server
                await student.send_events([{"kind": "ModelChanged", "model": {"id": slider["id"]}, "attr": "value",
                                            "new": position}])
            await asyncio.sleep(1.0)
            assert student.errors == []
            return student.received
        finally:
            await student.close()

    received = asyncio.run(scenario())
    answers = [message for message in received if message.msgtype == "PATCH-DOC" and carries_data(message)]
    addresses = [event["new"] for message in received for event in message.content.get("events", [])
                 if event.get("attr") == "search"]
    assert 1 <= len(answers) <= len(positions) // 4
    assert addresses[-1] == "?damping=32.0"  # 10^1.5 to two figures


def test_a_session_sending_garbage_harms_no_other():
    """Bokeh answers malformed messages with an ERROR (and logs them, traceback included); nobody else notices."""

    async def scenario(lab_url):
        rogue, student = await Student.join(lab_url), await Student.join(lab_url)
        try:
            slider = rogue.model("Slider", title="damping λ")
            await rogue.send_events([{"kind": "ModelChanged", "model": {"id": slider["id"]}, "attr": "value",
                                      "new": "not a number"}])
            await rogue.send_events([{"kind": "ModelChanged", "model": {"id": "no-such-model"}, "attr": "value",
                                      "new": 1.0}])
            await rogue.send("NO-SUCH-MESSAGE", {})
            plot = student.model("Figure", name="contour-plot")
            for x in (0.1, 0.2, 0.3):
                assert await student.tap(plot, x, 1.0) > 0
            assert student.errors == []
        finally:
            await rogue.close()
            await student.close()

    with serve([sys.executable, "-m", "app.serve"], probe="liveness") as (url, read_log):
        asyncio.run(scenario(url))
        assert "error handling message" in read_log()


def test_several_processes_on_one_port_serve_the_lab():
    """`--num-procs 2` (NEWTON_LAB_PROCESSES): forked workers share the port; a student's page and websocket
    may reach different ones, and the second then builds the session from its token: slower, but it works."""

    async def scenario(lab_url):
        students = [await Student.join(lab_url) for _ in range(4)]
        try:
            for student in students:
                assert await student.set_value(student.model("Slider", title="damping λ"), 0.5) > 0
                assert student.errors == []
        finally:
            for student in students:
                await student.close()

    with serve([sys.executable, "-m", "app.serve", "--num-procs", "2"], probe="liveness") as (url, read_log):
        asyncio.run(scenario(url))
        assert "Traceback" not in read_log()
    port = url.rsplit(":", 1)[1].strip("/")
    deadline = time.monotonic() + 10
    while workers_left(port) and time.monotonic() < deadline:  # the workers end with the parent
        time.sleep(0.1)
    assert not workers_left(port)


def workers_left(port: str) -> bool:
    return subprocess.run(["pgrep", "-f", f"app.serve --num-procs 2 --port {port}"], capture_output=True).returncode == 0


def test_a_write_to_a_closed_page_is_logged_in_one_line_other_errors_in_full(caplog):
    from tornado.websocket import WebSocketClosedError

    from app.serve import quiet_about_closed_pages

    loop = asyncio.new_event_loop()
    reported = []
    loop.default_exception_handler = reported.append
    try:
        with caplog.at_level("INFO", logger="newton_lab"):
            quiet_about_closed_pages(loop, {"message": "never retrieved", "exception": WebSocketClosedError()})
        assert reported == [] and "page closed" in caplog.text
        other = {"message": "never retrieved", "exception": ValueError("a real bug")}
        quiet_about_closed_pages(loop, other)
        assert reported == [other]
    finally:
        loop.close()


def test_sessions_ending_together_are_collected_once_soon_after(monkeypatch):
    from app.serve import GarbageCollection

    collections = []
    monkeypatch.setattr("gc.collect", lambda: collections.append(time.monotonic()))
    collection = GarbageCollection(delay=0.05)

    async def a_class_leaves():
        for _ in range(30):
            collection.session_ended(context=None)
        await asyncio.sleep(0.2)
        collection.session_ended(context=None)  # a later one: a collection of its own
        await asyncio.sleep(0.2)

    asyncio.run(a_class_leaves())
    assert len(collections) == 2 and not collection.due


def test_static_scripts_are_compressed_once_and_served_whole_again(lab_url):
    """Every page load fetches Bokeh's and Panel's scripts; the server gzips each once, and later visitors
    get the same compressed bytes, which decompress to the file itself."""
    page = urllib.request.urlopen(lab_url).read().decode()
    script = lab_url + re.search(r'src="(static/js/bokeh\.min\.js[^"]*)"', page).group(1)
    plain = urllib.request.urlopen(script).read()
    answers = [urllib.request.urlopen(urllib.request.Request(script, headers={"Accept-Encoding": "gzip"}))
               for _ in range(3)]
    bodies = [answer.read() for answer in answers]
    assert all(answer.headers["Content-Encoding"] == "gzip" for answer in answers)
    assert bodies[0] == bodies[1] == bodies[2] and gzip.decompress(bodies[0]) == plain
    assert int(answers[2].headers["Content-Length"]) == len(bodies[2]) < len(plain) / 3


def chunks_through(transform, status, headers, chunks):
    """What a transform makes of a response written as `chunks`: (status, headers, body)."""
    status, headers, first = transform.transform_first_chunk(status, headers, chunks[0], len(chunks) == 1)
    rest = [transform.transform_chunk(chunk, i == len(chunks) - 2) for i, chunk in enumerate(chunks[1:])]
    return status, headers, first + b"".join(rest)


def test_gzip_once_keeps_only_whole_static_gets_and_replays_them_in_one_chunk(monkeypatch):
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    from app.serve import GzipOnce

    monkeypatch.setattr(GzipOnce, "kept", OrderedDict())
    content = b"".join(b"var x%d = %d;\n" % (i, i) for i in range(20_000))
    chunks = [content[i : i + 65536] for i in range(0, len(content), 65536)]

    def serve(path, method="GET", status=200, accept="gzip", etag='"v1"'):
        request = HTTPServerRequest(start_line=RequestStartLine(method, path, "HTTP/1.1"),
                                    headers=HTTPHeaders({"Host": "localhost", "Accept-Encoding": accept}))
        headers = HTTPHeaders({"Content-Type": "application/javascript", "Content-Length": str(len(content))})
        if etag:
            headers["Etag"] = etag
        return chunks_through(GzipOnce(request), status, headers, chunks)

    _, first_headers, first = serve("/static/js/a.js")
    assert "Content-Length" not in first_headers and gzip.decompress(first) == content  # streamed, chunked
    assert list(GzipOnce.kept) == [("/static/js/a.js", '"v1"')]
    _, again_headers, again = serve("/static/js/a.js")
    assert again == first and again_headers["Content-Length"] == str(len(first))
    assert again_headers["Content-Encoding"] == "gzip" and again_headers["Vary"] == "Accept-Encoding"
    _, _, changed = serve("/static/js/a.js", etag='"v2"')  # a new version of the file: compressed anew
    assert gzip.decompress(changed) == content and len(GzipOnce.kept) == 2
    assert serve("/static/js/a.js", accept="identity")[2] == content  # a client without gzip gets the file
    for not_kept in (dict(path="/"), dict(path="/static/js/b.js", status=206), dict(path="/static/js/c.js", etag=None)):
        serve(**not_kept)
    assert len(GzipOnce.kept) == 2
