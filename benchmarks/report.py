"""The report: machine description, targets with verdicts, and one Markdown section per benchmark family."""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import scipy

REPO = Path(__file__).resolve().parent.parent
BUSY_MACHINE = 0.25  # CPUs kept busy by other processes above which the report warns


def verdict(passed: bool, quick: bool = False) -> str:
    """PASS or MISS; a quick run, whose workloads are cut down, assesses nothing."""
    if quick:
        return "n/a (--quick)"
    return "PASS" if passed else "MISS"


@dataclass(frozen=True)
class Target:
    """One target of the issue and how this run measured up to it."""

    benchmark: str
    measured: str
    target: str
    verdict: str


@dataclass
class Section:
    """A family's part of the report: Markdown paragraphs and tables, its targets, its stdout summary."""

    title: str
    body: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def target(self, benchmark: str, measured: str, target: str, passed: bool, quick: bool) -> None:
        self.targets.append(Target(benchmark, measured, target, verdict(passed, quick)))


def run_alone(run: Callable[[bool], Section], family: str, description: str) -> None:
    """`python -m benchmarks.<family> [--quick]`: one family of benchmarks on its own, its targets printed."""
    arguments = argparse.ArgumentParser(prog=f"python -m benchmarks.{family}", description=description)
    arguments.add_argument("--quick", action="store_true")
    section = run(arguments.parse_args().quick)
    for line in section.summary:
        print(line)
    for target in section.targets:
        print(f"{target.verdict:<4}  {target.benchmark}: {target.measured} (target {target.target})")


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; columns of figures right-aligned, the others left-aligned."""
    align = [":--" if column == 0 or not all(_figure(row[column]) for row in rows) else "--:"
             for column in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _figure(cell: object) -> bool:
    """Whether a table cell holds a figure ('1.2 ms', '−0.3', '**1.47**', '—'), not words."""
    text = str(cell).strip("*")
    return text[:1].isdigit() or text[:1] in "-−.—"


def machine() -> dict[str, str]:
    """What ran the benchmarks: CPU, cores, memory, OS, versions, BLAS and the engine's revision."""
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or "unknown")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")),
                  None)
    os_release = dict(line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line)
    distribution = os_release.get("PRETTY_NAME", "").strip('"')
    kernel = f"{platform.system()} {platform.release()} {platform.machine()}"
    return {
        "CPU": f"{model} ({os.cpu_count()} logical CPUs, {usable} usable by this process)",
        "Memory": f"{int(memory) / 2**20:.1f} GiB" if memory else "unknown",
        "OS": ", ".join(part for part in (distribution, kernel) if part),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "BLAS used by numpy": _numpy_blas(),
        "BLAS used by scipy": _build_blas(scipy),
        "OPENBLAS_CORETYPE": _environment("OPENBLAS_CORETYPE"),
        "Thread settings": ", ".join(f"{name} = {_environment(name)}"
                                     for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")),
        "Engine revision": _revision(),
        "Load average at the start": load_average(),
    }


class OtherLoad:
    """How many CPUs other processes kept busy while the benchmarks ran (from /proc/stat less our own CPU time)."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        lines = _read("/proc/stat").splitlines()
        if not lines or not lines[0].startswith("cpu "):
            return None
        ticks = [int(v) for v in lines[0].split()[1:9]]  # user nice system idle iowait irq softirq steal
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        return busy, sum(os.times()[:4]), time.monotonic()

    def cpus(self) -> float | None:
        """The average number of CPUs busy with anything but this process and its children, so far."""
        end = self._sample()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return None
        others = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(others, 0.0) / (end[2] - self.start[2])


def reference_workload() -> float:
    """Seconds a fixed workload of Python and small numpy operations takes, median of 15: independent of this
    repository, so that it tells how fast the machine itself is running (a shared machine has slower days)."""
    x, p = np.array([1.0, 2.0]), np.array([0.3, 0.4])

    def work() -> float:
        total = 0.0
        for i in range(2000):
            total += float((x + 0.5 * p).dot(p)) + 0.5 * i
        return total

    timings = []
    for _ in range(15):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return float(np.median(timings))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine slows every figure down."""
    fields = _read("/proc/loadavg").split()
    return " / ".join(fields[:3]) + " (1 / 5 / 15 min)" if fields else "unknown"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _environment(name: str) -> str:
    value = os.environ.get(name)
    return "not set" if value is None else f"set to {value!r}"


def _build_blas(module) -> str:
    """The BLAS a numpy or scipy build was linked against, from its show_config."""
    try:
        blas = module.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older builds without mode="dicts"
        return "unknown"
    text = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    configuration = blas.get("openblas configuration")
    return f"{text} ({configuration.strip()})" if configuration else text


def _numpy_blas() -> str:
    """numpy's build BLAS, and for OpenBLAS the kernel it picked at run time (what OPENBLAS_CORETYPE overrides)."""
    built = _build_blas(np)
    runtime = _openblas_runtime()
    return f"{built}; at run time: {runtime}" if runtime else built


def _openblas_runtime() -> str:
    """Core name and thread count reported by the OpenBLAS that numpy has loaded, '' if not found."""
    libraries = {line.split()[-1] for line in _read("/proc/self/maps").splitlines()
                 if "openblas" in line.lower() and "numpy" in line}
    for path in sorted(libraries):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", ""):
            try:
                corename = getattr(library, f"scipy_openblas_get_corename{suffix}", None) or getattr(
                    library, f"openblas_get_corename{suffix}")
                threads = getattr(library, f"scipy_openblas_get_num_threads{suffix}", None) or getattr(
                    library, f"openblas_get_num_threads{suffix}")
            except AttributeError:
                continue
            corename.restype = ctypes.c_char_p
            return f"core {corename().decode()}, {threads()} threads"
    return ""


def _revision() -> str:
    """The commit the engine was measured at, and whether solvers/ had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout.strip()
        changes = subprocess.run(["git", "status", "--porcelain", "--", "solvers"], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"git {commit}" + (" with uncommitted changes in solvers/" if changes else ", solvers/ as committed")


def command(arguments: list[str]) -> str:
    """How this run was started: `make bench` sets MAKELEVEL for the commands it runs."""
    if os.environ.get("MAKELEVEL") and not arguments:
        return f"`make bench` (runs `{Path(sys.executable).name} -m benchmarks`)"
    return "`" + " ".join(["python -m benchmarks", *arguments]) + "`"


def render(sections: list[Section], machine_info: dict[str, str], how: str, started: datetime,
           elapsed: float, quick: bool, other_cpus: float | None = None) -> str:
    """The whole report as Markdown; `other_cpus`: how many CPUs other processes kept busy meanwhile."""
    parts = [
        "# Benchmarks",
        f"Written by {how} on {started.strftime('%Y-%m-%d %H:%M:%S %Z').strip()}; the run took {elapsed:.0f} s. "
        "Every run overwrites this file.",
    ]
    if other_cpus is not None and other_cpus > BUSY_MACHINE:
        parts.append(f"**The machine was not idle**: other processes kept {other_cpus:.1f} of its "
                     f"{os.cpu_count()} CPUs busy on average during the run, so the figures are slower and noisier "
                     "than on an idle machine; numpy's multithreaded BLAS calls (the larger d in section 3) suffer "
                     "most, since a call waits for whichever of its threads is descheduled.")
    if quick:
        parts.append("**This is a `--quick` smoke run**: workloads and repeats are cut down, so the figures are "
                     "only indicative and no target is assessed.")
    parts += [
        "## Machine",
        table(["", ""], [[name, value] for name, value in machine_info.items()]),
        "## How it is measured",
        "- Every figure is the **median** of repeated calls timed with `time.perf_counter`, after untimed warm-up "
        "calls; p95 and min are given where the spread matters. The garbage collector stays on, as in use.\n"
        "- Everything in one table is timed in turns, one call of each per round, so that a slow spell of the "
        "machine (a busy neighbour, a lower clock: on a virtual machine such spells come and go for seconds, unseen "
        "by the load average) falls on every row alike. Ratios are against a baseline from the same rounds. Where "
        "the min sits well below the median, the machine was noisy.\n"
        "- The tests never assert on timings; the verdicts below are for people.",
        "## Targets",
        table(["benchmark", "measured", "target", "verdict"],
              [[t.benchmark, t.measured, t.target, f"**{t.verdict}**"] for s in sections for t in s.targets]),
    ]
    for section in sections:
        parts += [f"## {section.title}", *section.body]
    return "\n\n".join(parts) + "\n"
