"""A short class through nginx (deploy/nginx.conf) and two lab processes: correctness, not timing.

Twenty real Bokeh client sessions change the damping, the start point and the problem; every change
must be answered, nothing may error, the proxy must keep each student on one process while spreading
students over both, and a second identical wave must not leave more memory behind than the first.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.cluster import NGINX, cluster
from benchmarks.load import UNUSED_SESSION_LIFETIME, measure

STUDENTS = 20

if not Path(NGINX).exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but there is no nginx at {NGINX} (.ci/run installs it)", pytrace=False)
    pytest.skip("no nginx on this machine (apt-get install nginx)", allow_module_level=True)


@pytest.fixture(scope="module")
def waves():
    with cluster(processes=2, proxy=True, unused_session_lifetime=UNUSED_SESSION_LIFETIME) as lab:
        first = measure(lab, STUDENTS, duration=3.0, lifetime=UNUSED_SESSION_LIFETIME)
        second = measure(lab, STUDENTS, duration=3.0, lifetime=UNUSED_SESSION_LIFETIME)
        logs = [process.read_log() for process in lab.labs]
    return first, second, logs


def test_every_change_is_answered_without_errors(waves):
    for wave in waves[:2]:
        assert wave.errors == []
        assert len(wave.changes) >= STUDENTS  # every student joined and was answered at least once
        assert min(latency for _, latency in wave.changes) > 0


def test_the_proxy_spreads_students_and_every_session_ends(waves):
    *_, logs = waves
    started = [log.count(" started (") for log in logs]
    ended = [log.count(" ended after ") for log in logs]
    assert all(count > 0 for count in started), started  # both processes served students
    assert sum(started) == 2 * STUDENTS and ended == started  # one session each, every one reclaimed
    assert not any("Traceback" in log for log in logs)


def test_a_second_wave_leaves_no_more_memory_than_the_first(waves):
    first, second, _ = waves
    assert second.memory_after <= 1.10 * first.memory_after
