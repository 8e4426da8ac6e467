"""The command line: `list` shows the catalogue, `run` minimises one problem with one method.

    python -m solvers list [--json]
    python -m solvers run rosenbrock newton --x0=-1.2,1
    python -m solvers run quadratic damped_newton --param kappa=1000 --damping=0.1 --json

Exit status: 0 for any completed run, whatever its status; 2 for bad input, with a one-line message.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, NamedTuple

from . import (
    PROBLEMS,
    RUN_OPTIONS,
    Iterate,
    Trace,
    describe_method,
    get_problem,
    list_methods,
    list_problems,
    run,
)
from .linalg import norm

X_COMPONENTS_MAX_DIM = 3  # the table shows x component by component up to this d, ‖x‖ beyond
SUBSCRIPTS = "₁₂₃"


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]), run the command and return the exit status."""
    try:
        args, extra = build_parser().parse_known_args(argv)
        return args.command(args, extra)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:
        """Report a usage error in one line, as every other bad input is (argparse prints the usage too)."""
        raise ValueError(f"{message} (see {self.prog} --help)")


def build_parser() -> Parser:
    parser = Parser(prog="python -m solvers", description="Newton Lab's solvers from the command line.")
    commands = parser.add_subparsers(required=True, metavar="{list,run}")
    listing = commands.add_parser("list", help="the problems and methods, with their parameters and options")
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    listing.set_defaults(command=list_command)
    running = commands.add_parser(
        "run", allow_abbrev=False, help="minimise PROBLEM with METHOD and print every iterate",
        epilog="Method options are written --NAME=VALUE or --NAME VALUE, e.g. --damping=0.1 --lr 1e-3; "
        "'none' stands for None. `python -m solvers list` shows every option and its valid values.",
    )
    running.add_argument("problem", help="one of: " + ", ".join(list_problems()))
    running.add_argument("method", help="one of: " + ", ".join(list_methods()))
    running.add_argument("--x0", metavar="X1,X2", help="start point: --x0=-1.2,1 (default: the problem's own)")
    for flags, name in ((("--max-iter", "--max_iter"), "max_iter"), (("--tol",), "tol")):
        option = RUN_OPTIONS[name]
        running.add_argument(
            *flags, dest=name, type=parse_value, default=option.default, help=f"{option.doc} (default: %(default)s)",
        )
    running.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                         help="problem parameter, repeatable")
    running.add_argument("--json", action="store_true", help="print the whole trace as JSON instead of a table")
    running.set_defaults(command=run_command)
    return parser


# -- list ------------------------------------------------------------------------------------

def list_command(args: argparse.Namespace, extra: list[str]) -> int:
    if extra:
        raise ValueError(f"list takes no arguments but --json, got {' '.join(extra)}")
    problems = [get_problem(name).describe() for name in list_problems()]
    methods = [describe_method(name) for name in list_methods()]
    print(to_json({"problems": problems, "methods": methods}) if args.json else format_catalogue(problems, methods))
    return 0


def format_catalogue(problems: list[dict], methods: list[dict]) -> str:
    lines = ["Problems (set a parameter with --param NAME=VALUE)"]
    for problem in problems:
        lines.append(f"  {problem['name']:<21}d={problem['dim']:<4}{problem['title']}")
        declared = PROBLEMS[problem["name"]].parameters
        for name, default in problem["params"].items():
            lines.append(format_setting(name, default, declared[name].describe(), declared[name].doc))
    lines += ["", "Methods (set an option with --NAME=VALUE)"]
    for method in methods:
        needs = f"  (needs {method['requires']})" if method["requires"] else ""
        lines.append(f"  {method['name']:<21}{method['title']}{needs}")
        for name, option in method["options"].items():
            lines.append(format_setting(name, option["default"], option["valid"], option["doc"]))
    return "\n".join(lines)


def format_setting(name: str, default: Any, valid: str, doc: str) -> str:
    """One parameter or option: its default, its valid values, then what it does."""
    return f"      {name + ' = ' + format_value(default):<24}{valid:<38}{doc}"


# -- run -------------------------------------------------------------------------------------

def run_command(args: argparse.Namespace, extra: list[str]) -> int:
    trace = run(
        get_problem(args.problem, **dict(parse_assignment(text, "--param NAME=VALUE") for text in args.param)),
        args.method,
        x0=None if args.x0 is None else [parse_value(text) for text in args.x0.split(",")],
        max_iter=args.max_iter,
        tol=args.tol,
        **method_options(extra),
    )
    print(to_json(trace.to_dict()) if args.json else format_trace(trace))
    return 0


def method_options(extra: list[str]) -> dict[str, Any]:
    """The arguments argparse did not know, --NAME=VALUE or --NAME VALUE, as method options."""
    options = {}
    remaining = iter(extra)
    for argument in remaining:
        if not argument.startswith("--"):
            raise ValueError(f"unexpected argument {argument!r}; method options are written --NAME=VALUE")
        if "=" not in argument:
            argument += "=" + next(remaining, "")
        name, value = parse_assignment(argument[2:], "--NAME=VALUE")
        options[name.replace("-", "_")] = value
    return options


def parse_assignment(text: str, usage: str) -> tuple[str, Any]:
    """'name=value' as (name, value), or ValueError showing `usage`."""
    name, has_value, value = text.partition("=")
    if not has_value:
        raise ValueError(f"expected {usage}, got {text!r}")
    return name, parse_value(value)


def parse_value(text: str) -> Any:
    """A command-line value: int or float where it parses as one, None for 'none', else the string.

    Whether the value is valid is for the option it is given to (see `solvers.options`) to say.
    """
    if text.lower() == "none":
        return None
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return text


# -- the iteration table ---------------------------------------------------------------------

class Column(NamedTuple):
    header: str
    width: int
    spec: str  # format spec of the value
    value: Callable[[Iterate], Any]  # None leaves the cell blank


def format_trace(trace: Trace) -> str:
    """A heading, one row per iterate (its event running to the end of the line) and a summary."""
    columns = table_columns(len(trace.x))
    header = format_row(columns, [c.header for c in columns]) + "  event"
    rows = [format_row(columns, [format_cell(c, step) for c in columns]) + "  " + step.event for step in trace.steps]
    return "\n".join([format_heading(trace), header, *(row.rstrip() for row in rows), format_summary(trace)])


def table_columns(dim: int) -> list[Column]:
    if dim <= X_COMPONENTS_MAX_DIM:
        xs = [Column(f"x{SUBSCRIPTS[i]}", 13, ".6g", lambda s, i=i: s.x[i]) for i in range(dim)]
    else:
        xs = [Column("‖x‖", 13, ".6g", lambda s: norm(s.x))]
    return [
        Column("k", 4, "d", lambda s: s.k),
        *xs,
        Column("f", 13, ".5e", lambda s: s.f),
        Column("‖g‖", 8, ".1e", lambda s: s.grad_norm),
        Column("λmin", 10, ".3e", lambda s: None if s.eigenvalues is None else s.eigenvalues[0]),
        Column("λmax", 10, ".3e", lambda s: None if s.eigenvalues is None else s.eigenvalues[-1]),
        Column("α", 9, ".3g", lambda s: s.alpha),
    ]


def format_cell(column: Column, step: Iterate) -> str:
    value = column.value(step)
    return "" if value is None else format(value, column.spec)


def format_row(columns: list[Column], cells: list[str]) -> str:
    return " ".join(cell.rjust(column.width) for column, cell in zip(columns, cells))


def format_heading(trace: Trace) -> str:
    return (f"{with_settings(trace.problem, trace.params)} by {with_settings(trace.method, trace.options)}; "
            f"max_iter={trace.max_iter}, tol={trace.tol:g}")


def format_summary(trace: Trace) -> str:
    counts = ", ".join(f"{kind} {count}" for kind, count in trace.evaluations._asdict().items())
    return f"status: {trace.status} | {trace.message} | iterations: {trace.n_iter} | evaluations: {counts}"


def with_settings(name: str, settings: dict[str, Any]) -> str:
    """'name (a=1, b=100)', or just the name when there are no settings."""
    if not settings:
        return name
    return f"{name} ({', '.join(f'{key}={format_value(value)}' for key, value in settings.items())})"


def format_value(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
