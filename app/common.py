"""What the command line and the bench sets share: solver arguments and options, number formats,
the objective override. Imports nothing else of ``opsplan.app`` (``cli`` and ``bench*`` import it)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

PROG = "opsplan"


def fail(message: str, code: int = 2) -> int:
    """Print ``opsplan: error: message`` on standard error and return ``code`` (the exit status)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


def fmt_num(v: float | None) -> str:
    """A whole number without decimals, other numbers with three; ``-`` for None."""
    if v is None:
        return "-"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.3f}"


# -- solver arguments ---------------------------------------------------------------------------
def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds above 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: '{text}'") from None
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got '{text}'")
    return v


def at_least(low: int):  # noqa: ANN201 - an argparse type
    """argparse type: a whole number no smaller than ``low``."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: '{text}'") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {v}")
        return v

    parse.__name__ = f"whole number >= {low}"
    return parse


def add_solver_args(p: argparse.ArgumentParser, default: str = "cpsat") -> None:
    """``--solver``, ``--samples``, ``--solvers``, ``--start-from``, ``--time-limit``, ``--threads``, ``--seed``."""
    p.add_argument("--solver", default=default,
                   help="cpsat, mip, race, dispatch:<rule>, ... (see `opsplan solvers`)")
    p.add_argument("--samples", type=at_least(1), default=None, metavar="N",
                   help="policy:<name>: best of N sampled rollouts (1: greedy)")
    p.add_argument("--solvers", default=None, metavar="A,B,C",
                   help="race these solvers in parallel processes, sharing solutions (implies --solver race)")
    p.add_argument("--start-from", default=None, metavar="SOLVER",
                   help="cpsat, mip, race: start from this solver's schedule (e.g. a policy:<name>) when it "
                        "beats the best dispatch rule")
    p.add_argument("--time-limit", type=positive_seconds, default=None, metavar="S",
                   help="wall-clock limit in seconds")
    p.add_argument("--threads", type=at_least(0), default=0, metavar="N", help="solver threads (0: solver default)")
    p.add_argument("--seed", type=int, default=0)


def solver_options(args: argparse.Namespace) -> dict[str, Any]:
    """The backend options the shared solver arguments ask for (``--samples``, ``--start-from``, ``--solvers``)."""
    options: dict[str, Any] = {}
    if getattr(args, "samples", None) is not None:
        options["samples"] = int(args.samples)
    start = getattr(args, "start_from", None)
    if start:
        from opsplan.solvers.registry import split_name

        split_name(start)  # an unknown name fails before anything runs
        options["start_from"] = start
    solvers = getattr(args, "solvers", None)
    if solvers:
        options["solvers"] = [s.strip() for s in solvers.split(",") if s.strip()]
    return options


def solver_params(args: argparse.Namespace, **extra: Any):  # noqa: ANN201 - a solvers.Params
    """The :class:`~opsplan.solvers.Params` of the shared solver arguments, with ``extra`` fields."""
    from opsplan.solvers import Params

    options = solver_options(args)
    if options:
        extra["options"] = {**extra.get("options", {}), **options}
    return Params(time_limit=args.time_limit, threads=args.threads, seed=args.seed, **extra)


# -- the objective override ---------------------------------------------------------------------
def add_objective_arg(p: argparse.ArgumentParser, kind: str | None = None) -> None:
    """``--objective NAME``: judge the scenario by another objective its kind declares."""
    from opsplan.models.kinds import descriptor, descriptors

    if kind is None:  # any kind's file: each kind's names
        known = "; ".join(f"{d.kind}: {', '.join(d.objectives)}" for d in descriptors())
    else:
        known = ", ".join(descriptor(kind).objectives)
    p.add_argument("--objective", default=None, metavar="NAME",
                   help=f"solve for this objective instead of the scenario's own ({known})")


def check_objective(kind: str, name: str) -> str:
    """``name`` when scenarios of ``kind`` declare it; else the error :func:`opsplan.models.kinds.with_objective`
    gives, raised before any scenario is read (a bench set knows its kind up front)."""
    from opsplan.models.kinds import descriptor

    return descriptor(kind).objective(name)


def objective_name(scenario: Any) -> str | None:
    """The name of the objective ``scenario`` is judged by (one of its kind's ``objectives``), or None."""
    from opsplan.models.kinds import descriptor

    return descriptor(scenario).objective_of(scenario) or None


__all__ = [
    "PROG",
    "add_objective_arg",
    "add_solver_args",
    "at_least",
    "check_objective",
    "fail",
    "fmt_num",
    "objective_name",
    "positive_seconds",
    "solver_options",
    "solver_params",
]
