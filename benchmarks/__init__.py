"""Newton Lab's benchmarks: `make bench` (`python -m benchmarks`) measures the engine, writes docs/benchmarks.md.

One module per family, each with `run(quick) -> report.Section`:

- `traces`: one trace of every method, the cost of the per-iterate diagnostics, and ours against scipy.optimize;
- `basins`: vectorised basin maps against a bare numpy loop and against looping `solvers.run` over the starts;
- `scaling`: time per iteration against the dimension on logistic regression, with log-log slopes.

Figures are medians of repeated `time.perf_counter` timings after a warm-up (`timing`); ratios are against
baselines timed in the same run. Nothing here asserts on a timing: the report gives PASS/MISS verdicts for people.
"""
