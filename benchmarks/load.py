"""Benchmark 5: a whole class at once — latency under load, throughput, memory, arrival.

Students are real Bokeh client sessions over the websocket (`benchmarks/student.py`), all played
by this one process. Each opens the page, then changes what a student changes — the damping
slider, the start point (a tap on the plot), the problem — one change at a time, waiting for the
answer and then for a think time, until the wave ends. The lab runs as one process, or as two
behind Debian's nginx with `deploy/nginx.conf` (`benchmarks/cluster.py`). CPU and memory are the
lab processes' own, read from /proc. `python -m benchmarks.load [--quick]` runs this alone.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field

import numpy as np

from .cluster import Cluster, cluster
from .report import Section, run_alone, table
from .student import SessionError, Student
from .timing import seconds

THINK = (0.5, 3.0)  # seconds a student waits between one answer and the next change, uniformly
WAVE_SECONDS, QUICK_WAVE_SECONDS = 20.0, 2.0
WARM_WAVE_SECONDS = 5.0  # the class acting once arrived, in the wave that measures arrival with warm sessions
# Seconds: closed sessions are reclaimed soon, to measure what is released. Not shorter: a page's session
# waits unused until its websocket connects, which takes seconds while a class arrives; reclaimed before
# that, it is built a second time (seen with 5 s and 20 students on two processes).
UNUSED_SESSION_LIFETIME, QUICK_UNUSED_SESSION_LIFETIME = 10.0, 2.0


def reclaim_wait(lifetime: float) -> float:
    """Seconds after which the lab has reclaimed closed sessions: their lifetime, then the next check."""
    return 2 * lifetime + 2.0
PROBLEMS = ("rosenbrock", "himmelblau", "quadratic")  # the page opens on the first
P95_AT_30, THROUGHPUT_RATIO, MEMORY_PER_SESSION, ARRIVAL_SECONDS = 0.150, 1.6, 10e6, 10.0


@dataclass
class Wave:
    """What a wave of students saw, and what it cost the lab."""

    students: int
    changes: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the wave it was sent, latency)
    errors: list[str] = field(default_factory=list)
    arrival: float = float("nan")  # seconds until every student's first change was answered
    seconds: float = 0.0  # wall time of the acting part
    cpu: float = 0.0  # lab CPU seconds while the students acted
    memory_before: int = 0
    memory_open: int = 0  # with every session open
    memory_after: int = 0  # once every session was closed and reclaimed

    @property
    def latencies(self) -> list[float]:
        """Changes sent once the whole class was in: what a student meets in the lecture."""
        return [latency for sent, latency in self.changes if sent >= self.arrival]

    @property
    def arrival_latencies(self) -> list[float]:
        """Changes sent while others were still arriving: they wait behind the sessions being built."""
        return [latency for sent, latency in self.changes if sent < self.arrival]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def play(url: str, index: int, started: float, acting_until, think: tuple[float, float], wave: Wave,
               ready: list[float]) -> Student | None:
    """One student: open the page, then change things until the wave ends. Returns the open session."""
    rng = random.Random(index)
    try:
        # Each student's browser keeps nginx's affinity cookie from one lecture to the next: the same
        # class lands on the same processes every wave (a fresh random split would move each process's
        # peak, and with it the memory Python keeps, from wave to wave).
        student = await Student.join(url, cookies={"newton_lab_affinity": f"student-{index}"})
    except Exception as error:  # refused, timed out, reset: whatever keeps a student out counts
        wave.errors.append(f"student {index} could not join: {error!r}")
        return None
    try:
        slider = student.model("Slider", title="damping λ")
        plot = student.model("Figure", name="contour-plot")
        problem = student.model("panel.models.widgets.CustomSelect", title="problem")
        positions = [p for p in (-2.0, -1.0, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0) if p != slider["attributes"]["value"]]
        dampings = iter(rng.sample(positions, len(positions)) * 1000)
        problems = iter(PROBLEMS[1:] + PROBLEMS * 1000)  # every change a new value: it has an answer
        # Mostly the slider (a drag is many changes), now and then a new start point or problem.
        changes = [
            ("damping", lambda: student.set_value(slider, next(dampings))),
            ("start point", lambda: student.tap(plot, rng.uniform(-1.5, 1.5), rng.uniform(-0.5, 2.5))),
            ("damping", lambda: student.set_value(slider, next(dampings))),
            ("damping", lambda: student.set_value(slider, next(dampings))),
            ("problem", lambda: student.set_value(problem, next(problems))),
        ]
        count = rng.randrange(len(changes))
        first = True
        while first or time.perf_counter() < acting_until():
            what, change = changes[count % len(changes)]
            sent = time.perf_counter() - started
            try:
                wave.changes.append((sent, await change()))
            except SessionError as error:
                raise SessionError(f"{what} change: {error}") from None
            count += 1
            if first:
                ready.append(time.perf_counter() - started)
                first = False
            await asyncio.sleep(rng.uniform(*think))
        wave.errors += student.errors
    except SessionError as error:
        wave.errors.append(f"student {index}: {error}")
    return student


async def run_wave(lab: Cluster, students: int, duration: float, think: tuple[float, float], wave: Wave) -> list:
    """Every student arrives at once; they act for `duration` seconds after the last one is ready."""
    ready: list[float] = []
    started = time.perf_counter()
    end = [float("inf")]
    cpu = [0.0]

    async def all_ready():
        while len(ready) + len(wave.errors) < students:
            await asyncio.sleep(0.01)
        wave.arrival = time.perf_counter() - started
        end[0] = time.perf_counter() + duration
        cpu[0] = lab.cpu_seconds()

    watcher = asyncio.ensure_future(all_ready())
    sessions = await asyncio.gather(*(play(lab.url, i, started, lambda: end[0], think, wave, ready)
                                      for i in range(students)))
    await watcher
    wave.cpu = lab.cpu_seconds() - cpu[0]  # while the students acted, after they had all arrived
    wave.seconds = time.perf_counter() - started - wave.arrival
    return [session for session in sessions if session is not None]


def measure(lab: Cluster, students: int, duration: float, think: tuple[float, float] = THINK,
            lifetime: float = UNUSED_SESSION_LIFETIME) -> Wave:
    """One wave on a running lab: latencies, errors, CPU, memory before, open, and after reclaiming
    (`lifetime`: the lab's unused-session lifetime)."""
    wave = Wave(students)
    wave.memory_before = lab.memory()

    async def scenario():
        sessions = await run_wave(lab, students, duration, think, wave)
        wave.memory_open = lab.memory()
        for session in sessions:
            await session.close()

    asyncio.run(scenario())
    time.sleep(reclaim_wait(lifetime))  # the lab reclaims the closed sessions
    wave.memory_after = lab.memory()
    for process in lab.labs:
        if "Traceback" in process.read_log():
            wave.errors.append(f"a traceback in the log of {process.url}")
    return wave


def warm_up(lab: Cluster, lifetime: float) -> None:
    """A few sessions opened and closed first: imports, caches and allocator pools reach their steady size."""
    measure(lab, 4, 1.0, lifetime=lifetime)


def run(quick: bool) -> Section:
    section = Section("5. A class at once")
    duration = QUICK_WAVE_SECONDS if quick else WAVE_SECONDS
    lifetime = QUICK_UNUSED_SESSION_LIFETIME if quick else UNUSED_SESSION_LIFETIME
    sizes = (5,) if quick else (1, 10, 30, 50, 200)
    rows, waves, repeats, saturated = [], {}, {}, {}
    for label, processes, proxy in (("one process", 1, False), ("nginx + 2 processes", 2, True)):
        with cluster(processes, proxy, lifetime) as lab:
            warm_up(lab, lifetime)
            for students in sizes:
                wave = waves[label, students] = measure(lab, students, duration, lifetime=lifetime)
                rows.append(wave_row(label, wave))
                print(f"  {label}, {students} students: {rows[-1]}", flush=True)
            # The largest wave once more: a per-session leak would raise the memory left after it.
            repeats[label] = measure(lab, max(sizes), duration, lifetime=lifetime)
            rows.append(wave_row(f"{label}, again", repeats[label]))
            # Throughput at saturation: students change again as soon as they are answered.
            saturated[label] = measure(lab, 10 if quick else 60, duration, think=(0.0, 0.0), lifetime=lifetime)
    warm = {}
    for label, processes, proxy in (("one process", 1, False), ("nginx + 2 processes", 2, True)):
        largest = max(sizes)
        per_process = warm_sessions_for(largest, processes)
        with cluster(processes, proxy, lifetime, warm_sessions=per_process) as lab:
            memory_started = lab.memory()
            lab.wait_for_warm_sessions()
            memory_ready = lab.memory()
            wave = measure(lab, largest, WARM_WAVE_SECONDS, lifetime=lifetime)
            warm[label] = WarmArrival(processes, per_process, wave, memory_started, memory_ready)
            print(f"  {label}, {largest} students, warm sessions: arrival {seconds(wave.arrival)}", flush=True)
    add_targets(section, waves, repeats, saturated, warm, quick, sizes)
    section.body += [
        __doc__.split("\n\n", 1)[1].strip(),
        f"Each wave: every student arrives at once; once all have had a first answer they act for {duration:.0f} s, "
        f"thinking {THINK[0]:g}–{THINK[1]:g} s between changes. Latency is from sending a change to the last "
        "message of column data it caused. Memory after: once the sessions were closed and the lab reclaimed them "
        f"({lifetime:g} s unused-session lifetime). Python keeps freed memory for reuse rather than "
        "giving it back to the system, so the lab's resident memory stays at the high-water mark of the largest "
        "wave; the leak test is therefore the largest wave run again: what it leaves behind must be within 10 % of "
        "what the first run left (\"after / before\" is against the memory before each wave).",
        "Changes are counted apart by when they were sent: while the class was still arriving (each student's "
        "first change, and more from the early ones), when they wait behind the sessions being built; and once "
        "every student was in, the lecture itself, to which the latency targets apply.",
        table(["lab", "students", "arrival", "changes while arriving", "p50", "p95", "changes once all are in",
               "p50", "p95", "max", "errors", "changes/s", "lab CPU", "memory open", "per session",
               "after / before"], rows),
        "Throughput at saturation (students change again as soon as they are answered, no think time): "
        + "; ".join(f"{label}: {wave.throughput:.0f} changes/s, p50 {seconds(np.median(wave.latencies))}"
                    for label, wave in saturated.items()) + ".",
        "### A class arriving together, with warm sessions",
        "The waves above meet labs that build every session when its page is opened (`--warm-sessions 0`). "
        "Here each lab process has first built, while idle, as many sessions as it will receive students "
        f"(`--warm-sessions {warm_sessions_for(max(sizes), 2)}` for two processes, as docs/deploy.md recommends: "
        "the class size over the processes, and a fifth more behind nginx, whose hash splits a class unevenly); "
        "then the whole class arrives at once and acts for "
        f"{WARM_WAVE_SECONDS:.0f} s as above. Memory: the labs' once started, and once their warm sessions "
        "were built.",
        table(["lab", "students", "warm sessions per process", "arrival", "without warm sessions", "p50", "p95",
               "errors", "memory at start", "with warm sessions built", "per warm session"],
              [arrival.row(label, waves[label, arrival.wave.students]) for label, arrival in warm.items()]),
    ]
    return section


def warm_sessions_for(students: int, processes: int) -> int:
    """Warm sessions per process for a class arriving together (docs/deploy.md)."""
    return students if processes == 1 else math.ceil(1.2 * students / processes)


@dataclass
class WarmArrival:
    """A class arriving at labs that built their sessions in advance."""

    processes: int
    per_process: int  # warm sessions each lab process built
    wave: Wave
    memory_started: int  # the labs' memory once up, before building
    memory_ready: int  # and once every warm session was built

    def row(self, label: str, cold: Wave) -> list:
        wave = self.wave
        latencies = np.array(wave.latencies or [np.nan])
        per_session = (self.memory_ready - self.memory_started) / (self.per_process * self.processes)
        return [label, wave.students, self.per_process, seconds(wave.arrival), seconds(cold.arrival),
                seconds(np.median(latencies)), seconds(np.percentile(latencies, 95)), len(wave.errors),
                f"{self.memory_started / 1e6:.0f} MB", f"{self.memory_ready / 1e6:.0f} MB",
                f"{per_session / 1e6:.1f} MB"]


def wave_row(label: str, wave: Wave) -> list:
    latencies = np.array(wave.latencies or [np.nan])
    arriving = np.array(wave.arrival_latencies or [np.nan])
    per_session = (wave.memory_open - wave.memory_before) / wave.students
    return [label, wave.students, seconds(wave.arrival), len(arriving), seconds(np.median(arriving)),
            seconds(np.percentile(arriving, 95)), len(wave.latencies), seconds(np.median(latencies)),
            seconds(np.percentile(latencies, 95)), seconds(latencies.max()), len(wave.errors),
            f"{wave.throughput:.0f}", f"{wave.cpu / wave.seconds:.2f} CPUs" if wave.seconds else "–",
            f"{wave.memory_open / 1e6:.0f} MB", f"{per_session / 1e6:.1f} MB",
            f"{wave.memory_after / wave.memory_before:.2f}"]


def add_targets(section: Section, waves: dict, repeats: dict, saturated: dict, warm: dict, quick: bool,
                sizes) -> None:
    largest = max(sizes)
    for label in ("one process", "nginx + 2 processes"):
        wave = waves[label, largest]
        section.target(f"Errors at {largest} students, {label}", str(len(wave.errors)), "0", not wave.errors, quick)
        arriving = warm[label].wave
        section.target(f"Arrival of {largest} students, {label}, warm sessions", seconds(arriving.arrival),
                       f"≤ {ARRIVAL_SECONDS:.0f} s", arriving.arrival <= ARRIVAL_SECONDS, quick)
        section.target(f"Errors at {largest} students arriving, {label}, warm sessions", str(len(arriving.errors)),
                       "0", not arriving.errors, quick)
        per_session = (wave.memory_open - wave.memory_before) / wave.students
        section.target(f"Memory per session at {largest} students, {label}", f"{per_session / 1e6:.1f} MB",
                       f"≤ {MEMORY_PER_SESSION / 1e6:.0f} MB", per_session <= MEMORY_PER_SESSION, quick)
        growth = repeats[label].memory_after / wave.memory_after
        section.target(f"Memory left by a second wave of {largest} / by the first, {label}", f"{growth:.2f}×",
                       "≤ 1.10×", growth <= 1.10, quick)
    if ("one process", 30) in waves:
        p95 = np.percentile(waves["one process", 30].latencies, 95)
        section.target("p95 latency at 30 students, one process", seconds(p95), f"≤ {seconds(P95_AT_30)}",
                       p95 <= P95_AT_30, quick)
    ratio = saturated["nginx + 2 processes"].throughput / saturated["one process"].throughput
    section.target("Throughput, nginx + 2 processes / one process", f"{ratio:.2f}×", f"≥ {THROUGHPUT_RATIO}×",
                   ratio >= THROUGHPUT_RATIO, quick)


def main() -> None:
    run_alone(run, "load", __doc__)


if __name__ == "__main__":
    main()
