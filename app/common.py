"""What the command line and the bench sets share: the parser class (one-line errors), the package
version, output paths checked before any work, solver arguments and options, number formats,
the objective override. Imports nothing else of ``opsplan.app`` (``cli`` and ``bench*`` import it)."""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from pathlib import Path
from typing import Any, NoReturn

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


# -- the parser, the version ---------------------------------------------------------------------
class Parser(argparse.ArgumentParser):
    """argparse with one-line errors for a bad argument value: ``opsplan: error: argument --index:
    must be at least 1, got 0`` instead of a usage block above it (the value's flag says where the
    problem is). Other errors (a missing argument, an unknown flag) keep argparse's usage, which
    shows what the command expects. Subcommand parsers are made of the same class."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument "):
            self.exit(2, f"{PROG}: error: {' '.join(message.split())}\n")
        super().error(message)


def package_version() -> str:
    """The installed distribution's version; in a source tree without metadata (or a bundle that
    lacks it), the ``version`` of the pyproject.toml beside the packages; else ``0+unknown``."""
    try:
        from importlib.metadata import version

        return version(PROG)
    except Exception:  # noqa: BLE001 - no metadata: not installed, or a frozen bundle without it
        pass
    try:
        import tomllib

        with (Path(__file__).resolve().parent.parent / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except Exception:  # noqa: BLE001 - no pyproject.toml either
        return "0+unknown"


# -- output paths, checked before any work -------------------------------------------------------
def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def output_error(path: str | os.PathLike[str], flag: str = "-o") -> str | None:
    """Why ``path`` cannot be written as an output file, in one line, or None when it can.

    Checked before a command reads or solves anything, so that a plan is never computed only to be
    thrown away at the end: ``path`` must not be a folder or a device; its folder must be a folder
    (not a file: ``existing_file/sub.json``) that exists or can be created, and be writable.
    A missing folder is created when the file is saved, as before."""
    text = os.fspath(path)
    if not text.strip():
        return f"{flag}: an empty file name"
    p = Path(os.path.realpath(text))  # a link to a file: that file is written
    try:
        mode: int | None = os.stat(p).st_mode
    except (FileNotFoundError, NotADirectoryError):  # new file; or a file where a folder should be (below)
        mode = None
    except OSError as e:  # a name too long, a loop of links, no permission to look
        return f"{text}: cannot be written: {e.strerror or e}"
    if mode is not None:
        if stat.S_ISDIR(mode):
            return f"{text}: is a folder; {flag} needs a file name (e.g. {os.path.join(text, 'plan.json')})"
        if not stat.S_ISREG(mode):
            return f"{text}: is not a regular file (a device or a pipe); {flag} needs a file name"
    folder = _nearest_existing(p.parent)
    if not folder.is_dir():
        return f"{text}: cannot be written: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{text}: cannot be written: no permission to write in {folder}"
    return None


def output_folder_error(path: str | os.PathLike[str], flag: str) -> str | None:
    """Why ``path`` cannot be an output folder (``--schedules DIR``, ``--out DIR``), or None."""
    text = os.fspath(path)
    if not text.strip():
        return f"{flag}: an empty folder name"
    p = Path(os.path.realpath(text))
    if p.exists() and not p.is_dir():
        return f"{text}: is a file; {flag} needs a folder"
    folder = _nearest_existing(p)
    if not folder.is_dir():
        return f"{text}: cannot be created: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{text}: cannot be written: no permission to write in {folder}"
    return None


def check_output(path: str | os.PathLike[str] | None, flag: str = "-o") -> None:
    """Raise an :class:`~opsplan.models.errors.OpsPlanError` (the CLI prints it in one line, exit 2)
    when ``path`` cannot be written (see :func:`output_error`); None is fine. Call it first in every
    command that writes a file (solve, reschedule, import, export, batch, report): before reading
    inputs or solving."""
    from opsplan.models.errors import OpsPlanError

    why = None if path is None else output_error(path, flag)
    if why:
        raise OpsPlanError(why)


def check_output_folder(path: str | os.PathLike[str] | None, flag: str) -> None:
    """:func:`check_output` for an output folder (``batch --schedules DIR``, ``policy train --out DIR``)."""
    from opsplan.models.errors import OpsPlanError

    why = None if path is None else output_folder_error(path, flag)
    if why:
        raise OpsPlanError(why)


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
    "Parser",
    "add_objective_arg",
    "add_solver_args",
    "at_least",
    "check_objective",
    "check_output",
    "check_output_folder",
    "fail",
    "fmt_num",
    "objective_name",
    "output_error",
    "output_folder_error",
    "package_version",
    "positive_seconds",
    "solver_options",
    "solver_params",
]
