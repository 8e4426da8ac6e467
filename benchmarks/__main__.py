"""`python -m benchmarks [--quick] [--output PATH]`: run every benchmark family and write the report."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from . import basins, latency, load, report, scaling, traces

FAMILIES = (traces, basins, scaling, latency, load)
DEFAULT_OUTPUT = report.REPO / "docs" / "benchmarks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: smaller workloads and few repeats, no verdicts")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where to write the Markdown report (default: docs/benchmarks.md)")
    arguments = sys.argv[1:] if argv is None else argv
    options = parser.parse_args(arguments)
    if hasattr(sys.stdout, "reconfigure"):  # µ and × survive a terminal that is not UTF-8
        sys.stdout.reconfigure(errors="backslashreplace")
    started, clock, other_load = datetime.now().astimezone(), time.perf_counter(), report.OtherLoad()
    machine, references = report.machine(), []  # the machine's speed before each family, and at the end
    sections = []
    for family in FAMILIES:
        name = family.__name__.rsplit(".", 1)[-1]
        references.append(f"before {name} {report.reference_workload() * 1e3:.2f}")
        print(f"{name} …", flush=True)
        section = family.run(options.quick)
        for line in section.summary:
            print(f"  {line}", flush=True)
        sections.append(section)
    elapsed = time.perf_counter() - clock
    other_cpus = other_load.cpus()
    machine["Load average at the end"] = report.load_average()
    references.append(f"at the end {report.reference_workload() * 1e3:.2f}")
    machine["Reference workload (fixed Python and numpy work, not this repository's), ms"] = (
        ", ".join(references) + ": a shared machine's speed changes from minute to minute, and every "
        "figure measured in a slow minute is slower with it")
    if other_cpus is not None:
        machine["Other processes during the run"] = f"{other_cpus:.2f} CPUs busy on average"
    text = report.render(sections, machine, report.command(arguments), started, elapsed, options.quick, other_cpus)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    print("targets:")
    for section in sections:
        for target in section.targets:
            print(f"  {target.verdict:<4}  {target.benchmark}: {target.measured} (target {target.target})")
    print(f"wrote {options.output} in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
