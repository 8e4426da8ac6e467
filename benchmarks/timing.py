"""Repeated timing with time.perf_counter: warm up, repeat, keep every sample, quote the median."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated calls of one function (warm-up calls not included)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(np.median(self.samples))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.samples, 95))

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def repeats(self) -> int:
        return len(self.samples)


def measure_together(
    functions: dict[str, Callable[[], object]], repeats: int, warmup: int = 1, budget: float | None = None,
) -> dict[str, Timing]:
    """Time each function `repeats` times, taking turns, after `warmup` untimed calls of each.

    Taking turns puts a baseline and what is compared with it under the same conditions (clock
    frequency, other load), so their ratio holds even when the machine drifts. With a `budget`
    (seconds), the repeats are cut, to no fewer than 3, where the warm-up shows that they would
    take much longer than that.
    """
    warm = {name: 0.0 for name in functions}
    for _ in range(max(warmup, 1)):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            warm[name] = time.perf_counter() - start
    if budget is not None:
        repeats = min(repeats, max(3, int(budget / max(sum(warm.values()), 1e-9))))
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def measure(function: Callable[[], object], repeats: int, warmup: int = 1, budget: float | None = None) -> Timing:
    """`measure_together` for a single function."""
    return measure_together({"": function}, repeats, warmup, budget)[""]


def seconds(value: float) -> str:
    """A duration in the unit that suits it: '0.153 s', '4.87 ms', '23.1 µs'."""
    if not np.isfinite(value):
        return "—"
    if abs(value) >= 1.0:
        return f"{value:.2f} s"
    if abs(value) >= 0.1:
        return f"{value:.3f} s"
    if abs(value) >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def ratio(value: float) -> str:
    """A ratio such as '1.37×' or '412×'."""
    if not np.isfinite(value):
        return "—"
    return f"{value:.3g}×" if value < 100 else f"{value:.0f}×"
