"""The served lab through real Bokeh client sessions (`benchmarks/student.py`), without a browser."""

from __future__ import annotations

import asyncio
import sys

import numpy as np
import pytest

from benchmarks.serving import serve
from benchmarks.student import Student


@pytest.fixture(scope="module")
def lab_url():
    with serve([sys.executable, "-m", "app.serve"]) as (url, read_log):
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

