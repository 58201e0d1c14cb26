"""The CP-SAT engine every kind's model runs on: the solver, its parameters, cancel, progress, status.

Kind-neutral: :func:`new_solver` (Ctrl+C handling, strong propagation for optional intervals),
:class:`SolutionCallback` (improving solutions to the caller's progress callback and to the race),
:class:`StopBridge` (the cancel token to a running search), :func:`configure` (limits, threads,
seed, gap, log, raw parameters), :func:`change_budget` (the budget options, checked) and
:func:`outcome` (CP-SAT's status as a :class:`~opsplan.solvers.result.Termination` and
:class:`~opsplan.solvers.result.SolutionStatus`). The backend's flow is :mod:`opsplan.solvers.cpsat`;
the model comes from the kind's builder (:mod:`.builder`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

import ortools
from opsplan.models.errors import SolverError
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    SolutionStatus,
    StopToken,
    Termination,
    integral_bound,
)
from ortools.sat.python import cp_model

NAME = "cpsat"
VERSION = f"OR-Tools {ortools.__version__}"
MIN_SEARCH_S = 0.05  # the search always gets this long, even when building the model used up the limit

Budget = tuple[tuple[Assignment, ...], int, int]  # (baseline work, max changes, tolerance)


def new_solver(optional_intervals: bool = False) -> cp_model.CpSolver:
    """A CpSolver that catches Ctrl+C itself (``catch_sigint_signal``, CP-SAT's default) only
    while Python's default Ctrl+C handling is in place: where the application took SIGINT
    (the CLI turns it into a cancel through the stop token; a race member ignores it),
    CP-SAT catching it would end the search unseen, as if its time were up.

    ``optional_intervals``: switch on CP-SAT's strong no-overlap propagation, for models with
    optional intervals. OR-Tools 9.15's default propagation proved a feasible 6-operation
    flexible shop infeasible (an earliest start, a deadline, an operation with two machines;
    tests/solvers/test_cpsat.py); the strong one does not. It slows the search on flexible
    shops, so the solve uses it only to check a claim of infeasibility; the explainer's
    small models always use it.
    """
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if optional_intervals:
        solver.parameters.use_strong_propagation_in_disjunctive = True
    return solver


class SolutionCallback(cp_model.CpSolverSolutionCallback):
    """Forwards improving solutions to the caller's progress callback (runs on a solver thread), and
    with ``read`` and ``on_solution`` each solution's schedule to ``on_solution(schedule, objective)``
    (the race shares it)."""

    def __init__(self, on_progress: ProgressCallback | None, t0: float,
                 read: Callable[[cp_model.CpSolverSolutionCallback], Schedule] | None = None,
                 on_solution: Callable[[Schedule, float], None] | None = None) -> None:
        super().__init__()
        self._on_progress = on_progress
        self._t0 = t0
        self._read = read
        self._on_solution = on_solution
        self.n = 0

    def on_solution_callback(self) -> None:
        self.n += 1
        if self._on_solution is not None and self._read is not None:
            self._on_solution(self._read(self), self.objective_value)
        if self._on_progress is not None:
            self._on_progress(
                Progress(self.objective_value, self.best_objective_bound, time.perf_counter() - self._t0, NAME)
            )


class StopBridge:
    """Relays the cancel token to a running CP-SAT solve.

    ``stop_search`` only acts on a search in progress, so a token set while the
    model is still being built or presolved would be lost; once set, the bridge
    keeps calling it every 50 ms until the solve returns.
    """

    def __init__(self, stop: StopToken, solver: cp_model.CpSolver) -> None:
        self._stop = stop
        self._solver = solver
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # a stop may fire from another thread while the solve ends

    def _fire(self) -> None:
        with self._lock:
            if self._thread is not None or self._done.is_set():
                return
            self._thread = threading.Thread(target=self._loop, name="cpsat-stop", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._done.is_set():
            self._solver.stop_search()
            self._done.wait(0.05)

    def __enter__(self) -> StopBridge:
        self._stop.on_stop(self._fire)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done.set()
            thread = self._thread
        self._stop.remove(self._fire)
        if thread is not None:
            thread.join()


def change_budget(params: Params) -> Budget | None:
    """``(baseline work, max_changes, tolerance)`` from the options, or None without a budget."""
    k = params.options.get("max_changes")
    if k is None:
        return None
    tol = params.options.get("change_tolerance", 0) or 0
    for name, v in (("max_changes", k), ("change_tolerance", tol)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise SolverError(f"option {name} must be a whole number >= 0, got {v!r}")
    baseline = params.options.get("baseline")
    if baseline is None:
        raise SolverError("option max_changes needs a baseline (options['baseline']: the old assignments)")
    work = tuple(a for a in baseline if a.category == Category.WORK)
    return work, k, tol


def budget_ends(budget: Budget | None) -> list[int]:
    """Where the old plan's bars may end when they keep their place (start + tolerance)."""
    if budget is None:
        return []
    baseline, _, tol = budget
    return [a.end + int(tol) for a in baseline]


def configure(solver: cp_model.CpSolver, params: Params, t0: float) -> list[str]:
    """Set the time limit (wall time for the whole call: what came before the search came out of it),
    threads, seed, gap, log and ``options["cpsat"]``'s raw parameters; returns the list the log
    lines go to (when ``params.log``)."""
    p = solver.parameters
    if params.time_limit is not None:
        p.max_time_in_seconds = max(MIN_SEARCH_S, float(params.time_limit) - (time.perf_counter() - t0))
    if params.threads:
        p.num_workers = int(params.threads)
    p.random_seed = int(params.seed)
    if params.gap is not None:
        p.relative_gap_limit = float(params.gap)
    p.log_search_progress = bool(params.log)
    for key, value in params.options.get("cpsat", {}).items():
        if isinstance(value, list | tuple):  # repeated fields (e.g. subsolvers) cannot be assigned
            getattr(p, key).extend(value)
        else:
            setattr(p, key, value)
    log_lines: list[str] = []
    if params.log:
        p.log_to_stdout = False
        solver.log_callback = log_lines.append
    return log_lines


def closed(solver: cp_model.CpSolver) -> bool:
    """True when the solver's bound meets its objective (the objective is integral)."""
    return integral_bound(solver.best_objective_bound) >= round(solver.objective_value)


def outcome(status: int, solver: cp_model.CpSolver, params: Params, cancelled: bool,
            ) -> tuple[Termination, SolutionStatus]:
    """CP-SAT's ``status`` as why the solve stopped and what it has."""
    stopped = Termination.CANCELLED if cancelled else Termination.TIME_LIMIT
    if status == cp_model.OPTIMAL and params.gap is not None and not closed(solver):
        # CP-SAT calls a stop at relative_gap_limit optimal too: only a closed gap is a proof
        return Termination.GAP_LIMIT, SolutionStatus.FEASIBLE
    if status == cp_model.OPTIMAL:
        return Termination.OPTIMAL, SolutionStatus.OPTIMAL
    if status == cp_model.FEASIBLE:
        return stopped, SolutionStatus.FEASIBLE
    if status == cp_model.INFEASIBLE:
        return Termination.INFEASIBLE, SolutionStatus.NONE
    if status == cp_model.UNKNOWN:
        return stopped, SolutionStatus.NONE
    return Termination.ERROR, SolutionStatus.NONE


__all__ = [
    "MIN_SEARCH_S",
    "NAME",
    "VERSION",
    "SolutionCallback",
    "StopBridge",
    "budget_ends",
    "change_budget",
    "closed",
    "configure",
    "new_solver",
    "outcome",
]
