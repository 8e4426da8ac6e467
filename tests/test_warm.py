"""Warm sessions (`app.warm`): pages built in advance are the same pages, handed out once each,
refilled only while nobody works, and reclaimed like any other once handed out and left unused."""

from __future__ import annotations

import asyncio
import math
import re
import sys
import time
import urllib.request

from benchmarks.serving import serve, wait_for_log
from benchmarks.student import Student

LAB = [sys.executable, "-m", "app.serve"]


def comparable(value):
    """A document's JSON without what differs between any two sessions: model ids and generated names,
    and the server's guess of the page's address, which the browser replaces with its own on connecting."""
    if isinstance(value, dict):
        if value.get("name") == "panel.models.location.Location":
            return "Location"
        return {key: comparable(item) for key, item in value.items()
                if key not in ("id", "name") or not isinstance(item, str) or key == "name" and "." in item}
    if isinstance(value, list):
        return [comparable(item) for item in value if not (isinstance(item, str) and item.startswith("__ref"))]
    return value


def test_a_warm_page_is_the_page_built_on_demand_and_answers_alike():
    async def scenario(url, read_log):
        warm_before = read_log().count(", warm)")  # the server's own start-up probe may have had one
        warm = await Student.join(url)
        assert read_log().count(", warm)") == warm_before + 1
        cold = await Student.join(url)  # the pool is empty, and refilled only after seconds of quiet
        assert read_log().count(", warm)") == warm_before + 1
        try:
            assert comparable(warm.document) == comparable(cold.document)
            for student in (warm, cold):
                assert await student.set_value(student.model("Slider", title="damping λ"), 0.5) > 0
                assert student.errors == []
        finally:
            await warm.close()
            await cold.close()

    with serve(LAB + ["--warm-sessions", "1"], probe="liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: 1 ready")
        asyncio.run(scenario(url, read_log))
        assert "Traceback" not in read_log()


def test_a_warm_page_behind_a_prefix_is_the_html_panel_renders_on_demand_and_works():
    def page(url):
        html = urllib.request.urlopen(url).read().decode()
        html = re.sub(r'"token":"[^"]+"', "TOKEN", html)
        return re.sub(r"\b(p\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b", "ID", html)

    async def join(url):
        student = await Student.join(url)
        assert await student.set_value(student.model("Slider", title="damping λ"), 0.5) > 0
        assert student.errors == []
        await student.close()

    with serve(LAB + ["--warm-sessions", "1", "--prefix", "/newton-lab"], probe="newton-lab/liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: 1 ready")
        warm, cold = page(url + "newton-lab/"), page(url + "newton-lab/")
        assert read_log().count(", warm)") == 1 and read_log().count("started (") == 2
        assert warm == cold and "TOKEN" in warm
        wait_for_log(read_log, "warm sessions: 1 ready", count=2)  # refilled after the quiet seconds
        asyncio.run(join(url + "newton-lab/"))
        assert read_log().count(", warm)") == 2 and "Traceback" not in read_log()


def test_a_link_opened_on_a_warm_page_shows_its_scene():
    async def scenario(url):
        student = await Student.join(url + "?problem=himmelblau&damping=2.0")
        try:
            assert student.model("panel.models.widgets.CustomSelect", title="problem")["attributes"]["value"] == "himmelblau"
            assert student.model("Slider", title="damping λ")["attributes"]["value"] == math.log10(2.0)  # a log slider
        finally:
            await student.close()

    with serve(LAB + ["--warm-sessions", "1"], probe="liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: 1 ready")
        asyncio.run(scenario(url))
        assert ", warm)" in read_log() and "Traceback" not in read_log()


def test_warm_sessions_are_rebuilt_only_once_nobody_works():
    async def scenario(url, read_log):
        students = [await Student.join(url) for _ in range(2)]  # both warm: the pool is empty
        slider = students[0].model("Slider", title="damping λ")
        busy_until = time.monotonic() + 4.0
        while time.monotonic() < busy_until:  # a student at work: nothing is built
            await students[0].set_value(slider, 0.5 if students[0].errors else time.monotonic() % 1)
            await asyncio.sleep(0.3)
        assert read_log().count("warm sessions: 2 ready") == 1
        for student in students:
            await student.close()

    with serve(LAB + ["--warm-sessions", "2"], probe="liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: 2 ready")
        asyncio.run(scenario(url, read_log))
        wait_for_log(read_log, "warm sessions: 2 ready", count=2, timeout=20)  # quiet again: refilled


def test_a_warm_page_never_connected_is_reclaimed_and_unused_warm_sessions_are_kept():
    with serve(LAB + ["--warm-sessions", "2", "--unused-session-lifetime", "1"], probe="liveness") as (url, read_log):
        wait_for_log(read_log, "warm sessions: 2 ready")
        time.sleep(3)  # longer than the unused-session lifetime and its check: the pool is kept
        assert "ended" not in read_log()
        urllib.request.urlopen(url).read()  # a page whose websocket never comes
        wait_for_log(read_log, "ended", timeout=10)

        async def join():
            student = await Student.join(url)
            assert await student.set_value(student.model("Slider", title="damping λ"), 0.5) > 0
            await student.close()

        warm_before = read_log().count(", warm)")
        asyncio.run(join())
        assert read_log().count(", warm)") == warm_before + 1 and "Traceback" not in read_log()
