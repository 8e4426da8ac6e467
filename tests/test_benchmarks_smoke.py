"""`python -m benchmarks --quick` runs end to end and writes its report. Structure only: no timing asserts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import solvers

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("## Machine", "## Targets", "## 1. Traces", "## 2. Basin maps", "## 3. Scaling with dimension",
            "## 4. The lab in a browser", "## 5. A class at once")


def test_quick_benchmarks_write_a_report_with_every_section(tmp_path):
    output = tmp_path / "bench.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert str(output) in completed.stdout  # the summary names the file it wrote
    report = output.read_text(encoding="utf-8")
    positions = [report.find(heading) for heading in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "--quick" in report and "OPENBLAS_CORETYPE" in report and "BLAS used by numpy" in report
    assert re.search(r"Reference workload.*before traces [0-9.]+, before basins .* at the end [0-9.]+", report)
    traces = report[report.find("## 1. Traces"):report.find("## 2. Basin maps")]
    for method in solvers.list_methods():  # every method has its row
        assert f"`{method}`" in traces
    assert "slope" in report[report.find("## 3. Scaling"):report.find("## 4.")]
    browser = report[report.find("## 4."):report.find("## 5.")]
    assert re.search(r"machine's speed around the lab's rows.*: [0-9.]+ ms → [0-9.]+ ms → [0-9.]+ ms", browser)


def test_every_long_run_case_really_runs_200_iterations():
    """The "200 iterations, really run" table measures each method on a case chosen for it; a case that stops
    early (converged, or ‖∇f‖ exactly 0 after some change of rounding) proves nothing and reads as a miss."""
    from benchmarks.traces import MAX_ITER, long_run_cases

    for method, run in long_run_cases().items():
        trace = run()
        assert trace.n_iter == MAX_ITER, (method, trace.status, trace.message)
