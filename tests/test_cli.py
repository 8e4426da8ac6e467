"""The command line: `python -m solvers list` and `python -m solvers run`, in-process and once for real."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import solvers
from solvers.cli import main

ROSENBROCK_NEWTON = ["run", "rosenbrock", "newton", "--x0=-1.2,1"]


def cli(capsys, *argv):
    """(exit status, stdout, stderr) of the command line given `argv`."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys, *argv):
    status, out, _ = cli(capsys, "run", *argv, "--json")
    assert status == 0
    return json.loads(out)


def test_run_prints_a_table_and_a_summary(capsys):
    status, out, err = cli(capsys, *ROSENBROCK_NEWTON)
    assert status == 0 and err == ""
    heading, header, *rows, summary = out.splitlines()
    assert heading.startswith("rosenbrock (a=1, b=100) by newton")
    assert header.split() == ["k", "x₁", "x₂", "f", "‖g‖", "λmin", "λmax", "α", "event"]
    n_iter = solvers.run("rosenbrock", "newton", x0=(-1.2, 1)).n_iter
    assert [row.split()[0] for row in rows] == [str(k) for k in range(n_iter + 1)]
    assert rows[0].split()[1:3] == ["-1.2", "1"]
    assert "converged in" in rows[-1]
    assert summary.startswith("status: converged |")
    assert f"iterations: {n_iter}" in summary and "evaluations: f 0, grad 7, hess 6, hvp 0" in summary


def test_run_as_a_subprocess():
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "solvers", *ROSENBROCK_NEWTON], capture_output=True, text=True, cwd=root, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "‖g‖" in result.stdout and "λmin" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("status: converged")


def test_json_is_the_trace(capsys):
    data = run_json(capsys, "rosenbrock", "newton", "--x0=-1.2,1")
    expected = solvers.run("rosenbrock", "newton", x0=(-1.2, 1))
    assert data["status"] == "converged"
    assert data["n_iter"] == expected.n_iter == len(data["steps"]) - 1
    assert data["steps"][0]["x"] == [-1.2, 1.0]


def test_large_problems_show_the_norm_of_x_and_no_eigenvalues(capsys):
    status, out, _ = cli(capsys, "run", "quadratic_nd", "newton", "--param", "d=20")
    assert status == 0
    header, first = out.splitlines()[1:3]
    assert header.split()[:3] == ["k", "‖x‖", "f"]
    assert len(first.split()) == 5  # k, ‖x‖, f, ‖g‖, α: the eigenvalue cells are blank


def test_a_run_that_does_not_converge_still_exits_0(capsys):
    status, out, _ = cli(capsys, "run", "rosenbrock", "gd", "--max-iter", "3")
    assert status == 0
    assert out.splitlines()[-1].startswith("status: max_iter")


@pytest.mark.parametrize(
    "argv, names",
    [
        (["rosenbrock", "newton", "--damping=1"], ["damping", "its options are: none"]),
        (["rosenbrock", "damped_newton", "--dampnig=1"], ["dampnig", "damping"]),
        (["rosenbrock", "damped_newton", "--damping=-1"], ["damping must be a number ≥ 0"]),
        (["rosenbrock", "newtn"], ["newtn", "valid methods", "newton_cg"]),
        (["rosenbrok", "newton"], ["rosenbrok", "valid problems", "rosenbrock"]),
        (["rosenbrock", "newton", "--x0=1,2,3"], ["x0 must be 2 finite numbers"]),
        (["rosenbrock", "newton", "--x0=a,b"], ["x0 must be 2 finite numbers"]),
        (["rosenbrock", "newton", "--max-iter=many"], ["max_iter must be an integer"]),
        (["quadratic", "newton", "--param", "kappa"], ["--param NAME=VALUE"]),
        (["quadratic", "newton", "--param", "kapa=3"], ["kapa", "kappa, angle"]),
        (["rosenbrock", "newton", "stray"], ["stray", "--NAME=VALUE"]),
        (["rosenbrock"], ["required", "method"]),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(capsys, argv, names):
    status, out, err = cli(capsys, "run", *argv)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    for name in names:
        assert name in err


def test_list_mentions_every_problem_and_method(capsys):
    status, out, _ = cli(capsys, "list")
    assert status == 0
    for name in solvers.list_problems() + solvers.list_methods():
        assert f"  {name} " in out
    assert "kappa = 100" in out and "damping = 0" in out and "a number ≥ 0 and ≤ 1e+08" in out


def test_list_json(capsys):
    status, out, _ = cli(capsys, "list", "--json")
    assert status == 0
    data = json.loads(out)
    assert [p["name"] for p in data["problems"]] == solvers.list_problems()
    assert [m["name"] for m in data["methods"]] == solvers.list_methods()
    assert data["methods"][solvers.list_methods().index("lbfgs")]["options"]["memory"]["default"] == 10


def test_param_sets_a_problem_parameter(capsys):
    default = run_json(capsys, "quadratic", "gd", "--max-iter=5")
    stiff = run_json(capsys, "quadratic", "gd", "--max-iter=5", "--param", "kappa=1000", "--param", "angle=45")
    assert stiff["params"] == {"kappa": 1000.0, "angle": 45.0}
    assert stiff["steps"][0]["gradient"] != default["steps"][0]["gradient"]


def test_method_options_change_the_trajectory(capsys):
    pure = run_json(capsys, "rosenbrock", "damped_newton", "--x0=-1.2,1")
    damped = run_json(capsys, "rosenbrock", "damped_newton", "--x0=-1.2,1", "--damping=1.0")
    assert damped["options"] == {"damping": 1.0}
    assert damped["steps"][1]["x"] != pure["steps"][1]["x"]


@pytest.mark.parametrize(
    "method, flags, expected",
    [
        ("gd", ["--lr", "1e-3"], {"lr": 1e-3}),
        ("lbfgs", ["--memory=5"], {"memory": 5}),
        ("levenberg_marquardt", ["--curvature=hessian", "--damping", "2"], {"curvature": "hessian", "damping": 2.0}),
        ("newton_cg", ["--cg-iters=none", "--cg_tol=0.1"], {"cg_iters": None, "cg_tol": 0.1}),
    ],
)
def test_method_option_spellings(capsys, method, flags, expected):
    options = run_json(capsys, "rosenbrock", method, "--max-iter=2", *flags)["options"]
    assert {name: options[name] for name in expected} == expected
