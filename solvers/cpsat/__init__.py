"""OR-Tools CP-SAT backend (``cpsat``)."""

from __future__ import annotations

import signal
import threading
import time

import ortools
from opsplan.models import objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import Objective
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.cpsat import jobshop_model as jsm
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
    integral_bound,
)
from opsplan.solvers.starting import MAKESPAN_HINT_RULES, earliest_starts, start_deadline, starting_schedule
from ortools.sat.python import cp_model

NAME = "cpsat"
VERSION = f"OR-Tools {ortools.__version__}"
MIN_SEARCH_S = 0.05  # the search always gets this long, even when building the model used up the limit


def new_solver(optional_intervals: bool = False) -> cp_model.CpSolver:
    """A CpSolver that catches Ctrl+C itself (``catch_sigint_signal``, CP-SAT's default) only
    while Python's default Ctrl+C handling is in place: where the application took SIGINT
    (the CLI turns it into a cancel through the stop token; a race member ignores it),
    CP-SAT catching it would end the search unseen, as if its time were up.

    ``optional_intervals``: switch on CP-SAT's strong no-overlap propagation, for models with
    optional intervals. OR-Tools 9.15's default propagation proved a feasible 6-operation
    flexible shop infeasible (an earliest start, a deadline, an operation with two machines;
    tests/solvers/test_cpsat.py); the strong one does not. It slows the search on flexible
    shops, so :func:`solve` uses it only to check a claim of infeasibility; the explainer's
    small models always use it.
    """
    solver = cp_model.CpSolver()
    solver.parameters.catch_sigint_signal = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if optional_intervals:
        solver.parameters.use_strong_propagation_in_disjunctive = True
    return solver


class _Callback(cp_model.CpSolverSolutionCallback):
    """Forwards improving solutions to the caller's progress callback (runs on a solver thread)."""

    def __init__(self, objective, on_progress: ProgressCallback | None, t0: float, jm=None,  # noqa: ANN001
                 on_solution=None) -> None:  # noqa: ANN001 - callable(Schedule, objective)
        super().__init__()
        self._objective = objective
        self._on_progress = on_progress
        self._t0 = t0
        self._jm = jm
        self._on_solution = on_solution
        self.n = 0

    def on_solution_callback(self) -> None:
        self.n += 1
        if self._on_solution is not None and self._jm is not None:
            self._on_solution(jsm.read_schedule(self._jm, self, NAME), self.objective_value)
        if self._on_progress is not None:
            self._on_progress(
                Progress(self.objective_value, self.best_objective_bound, time.perf_counter() - self._t0, NAME)
            )


class _StopBridge:
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

    def __enter__(self) -> _StopBridge:
        self._stop.on_stop(self._fire)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done.set()
            thread = self._thread
        self._stop.remove(self._fire)
        if thread is not None:
            thread.join()


def _budget(params: Params) -> tuple[tuple[Assignment, ...], int, int] | None:
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


def _budget_ends(budget) -> list[int]:  # noqa: ANN001
    """Where the old plan's bars may end when they keep their place (start + tolerance)."""
    if budget is None:
        return []
    baseline, _, tol = budget
    return [a.end + int(tol) for a in baseline]


def _initial_schedule(sc, params: Params, earliest, budget, deadline=None, stop=None,  # noqa: ANN001
                      ) -> tuple[Schedule | None, str, int | None, bool]:
    """The warm start if feasible, else the best dispatch rule's schedule (see :func:`starting_schedule`)."""
    from opsplan.solvers.dispatch import DETERMINISTIC

    # due-date rules only differ from their base rule when there are due dates: for a
    # makespan the hint tries the rules the benchmarks in the README were measured with
    rules = MAKESPAN_HINT_RULES if sc.objective == Objective.MAKESPAN else DETERMINISTIC
    return starting_schedule(sc, params, earliest, rules, budget, deadline=deadline, stop=stop)


TABU_SHARE = 0.5  # of the time limit the tabu search may use before CP-SAT starts from its best
# iterations without a new best that end the tabu search early: a shop CP-SAT solves at once (ft06)
# must not wait for half the limit (at 15x15 about half a second)
TABU_STALL = 200_000
COMPILE_MIN_LIMIT_S = 30.0  # below this limit an uncompiled tabu kernel is skipped, not compiled


def _tabu_phase(sc, params: Params, hint: Schedule, source: str, value: int | None,  # noqa: ANN001
                on_progress: ProgressCallback | None, stop: StopToken, t0: float):  # noqa: ANN202
    """On a classic job shop (makespan), improve the starting schedule with the tabu search first.

    Returns the (possibly better) hint, its source and value, and the search's figures.
    Skipped with ``options["no_tabu"]``, where the shape does not fit, and without numba.
    """
    from opsplan.solvers.dispatch import tabu

    share = params.options.get("tabu_share", TABU_SHARE)
    if params.options.get("no_tabu") or not share or tabu.fits(sc, params) or not tabu.installed():
        return hint, source, value, {}
    from opsplan.solvers.dispatch import tabu_kernel

    if params.time_limit is not None and params.time_limit < COMPILE_MIN_LIMIT_S and not tabu_kernel.is_compiled():
        # its first run compiles the kernel for seconds (``make`` does it at install): not inside a short limit
        return hint, source, value, {"tabu": "skipped: its kernel is not compiled yet "
                                             "(python -m opsplan.solvers.dispatch.tabu_kernel compiles it)"}
    deadline = None if params.time_limit is None else t0 + float(share) * float(params.time_limit)
    shop = tabu.shop_arrays(sc)
    lower = shop.lower_bound
    on_best = tabu.reporter(params.options.get("on_solution"), on_progress, lower, t0, NAME)
    # In the race, the other members' schedules are not read here: the walk keeps its own path
    # (measured on swv07: merging two walks made both slower), and CP-SAT starts from the walk's
    # best even where a shared one is better (measured on la27, 60 s: from the tabu member's 1242
    # CP-SAT stayed at 1242 for 47 s; from its own walk's 1243 it proved 1235 within 11 s). A better
    # shared schedule waits for the race to restart the member on it, once its own search is still.
    found = tabu.search(sc, hint, deadline=deadline, seed=params.seed, should_stop=stop.is_set, on_best=on_best,
                        stall=int(params.options.get("tabu_stall", TABU_STALL)), t0=t0, shop=shop)
    stats = {"tabu_iterations": found.iterations, "tabu_makespan": found.makespan,
             "tabu_s": round(time.perf_counter() - t0, 3), "lower_bound": lower}
    if value is None or found.makespan < value:
        return found.schedule, f"tabu search from {source}", found.makespan, stats
    return hint, source, value, stats


def _closed(solver) -> bool:  # noqa: ANN001
    """True when the solver's bound meets its objective (the objective is integral)."""
    return integral_bound(solver.best_objective_bound) >= round(solver.objective_value)


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:
    t0 = time.perf_counter()
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, VERSION)

    earliest = earliest_starts(params)
    budget = _budget(params)
    no_hint = params.options.get("no_hint")
    hint, hint_source, hint_value, exact = (
        (None, "", None, False) if no_hint
        else _initial_schedule(sc, params, earliest, budget, start_deadline(t0, params), stop)
    )
    tabu_stats: dict = {}
    if hint is not None and exact and not stop.is_set():
        hint, hint_source, hint_value, tabu_stats = _tabu_phase(sc, params, hint, hint_source, hint_value,
                                                                on_progress, stop, t0)
    started = params.options.get("started")
    if started is not None:
        started()  # the race: from here on a better shared schedule may be a reason to restart
    if stop.is_set():
        if hint is not None and exact:
            # cancelled while starting (in the tabu search, say): the best start so far is the answer
            return Result(Termination.CANCELLED, SolutionStatus.FEASIBLE, Schedule(hint.assignments, NAME),
                          objective_value(sc, hint), tabu_stats.get("lower_bound"), time.perf_counter() - t0,
                          NAME, VERSION, message=f"cancelled before CP-SAT started; the result is {hint_source}",
                          stats={"hint": hint_source, "hint_objective": hint_value, **tabu_stats})
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None,
                      time.perf_counter() - t0, NAME, VERSION, message="cancelled before the search started")
    # earliest starts, pins and, under a change budget, the old plan's bars that stay may sit late:
    # a serial plan after the latest of them still fits
    late = max([0, *earliest.values(), *(a.end for a in params.pinned), *_budget_ends(budget)])
    horizon = sc.horizon(after=late)
    if hint is not None and exact and sc.objective == Objective.MAKESPAN:
        # only schedules at least as good as the hint matter: shrink every domain to it
        horizon = min(horizon, hint.makespan)
    jm = jsm.add_variables(sc, horizon)
    jsm.add_constraints(jm)
    jsm.add_pins(jm, params.pinned)
    if earliest:
        jsm.add_earliest(jm, earliest)
    if budget is not None:
        jsm.add_change_budget(jm, budget[0], budget[1], budget[2], params.pinned)
    # Measured: a trivial lower bound in the objective's domain stops CP-SAT's own
    # bound from improving (la21: 935 stays, against 995 without it), so none is set.
    jsm.add_objective(jm)
    if hint is not None:
        jsm.add_hint(jm, hint)

    solver = new_solver()
    p = solver.parameters
    if params.time_limit is not None:
        # the limit is wall time for the whole call: the starting schedule and the model came out of it
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

    cb = _Callback(jm.objective, on_progress, t0, jm, params.options.get("on_solution"))
    with _StopBridge(stop, solver):
        status = solver.solve(jm.model, cb)
    recheck = ""
    if status == cp_model.INFEASIBLE and sc.is_flexible and not p.use_strong_propagation_in_disjunctive \
            and not stop.is_set():
        # OR-Tools 9.15's default no-overlap propagation proved a feasible flexible shop infeasible
        # (see new_solver); the strong one does not, but slows the search a lot on flexible shops
        # (Brandimarte at 5 s: 11.3 % against 7.0 %), so only a claim of infeasibility is checked with it
        check = new_solver(optional_intervals=True)
        check.parameters.copy_from(p)
        check.parameters.use_strong_propagation_in_disjunctive = True
        if params.time_limit is not None:
            check.parameters.max_time_in_seconds = max(1.0, float(params.time_limit) - (time.perf_counter() - t0))
        with _StopBridge(stop, check):
            status = check.solve(jm.model, cb)
        solver = check
        recheck = "infeasibility checked with strong no-overlap propagation"
    runtime = time.perf_counter() - t0

    cancelled = stop.is_set()
    if status == cp_model.OPTIMAL and params.gap is not None and not _closed(solver):
        # CP-SAT calls a stop at relative_gap_limit optimal too: only a closed gap is a proof
        term, sol = Termination.GAP_LIMIT, SolutionStatus.FEASIBLE
    elif status == cp_model.OPTIMAL:
        term, sol = Termination.OPTIMAL, SolutionStatus.OPTIMAL
    elif status == cp_model.FEASIBLE:
        term, sol = (Termination.CANCELLED if cancelled else Termination.TIME_LIMIT), SolutionStatus.FEASIBLE
    elif status == cp_model.INFEASIBLE:
        term, sol = Termination.INFEASIBLE, SolutionStatus.NONE
    elif status == cp_model.UNKNOWN:
        term, sol = (Termination.CANCELLED if cancelled else Termination.TIME_LIMIT), SolutionStatus.NONE
    else:
        term, sol = Termination.ERROR, SolutionStatus.NONE

    schedule = objective = None
    bound = solver.best_objective_bound if sol != SolutionStatus.NONE or term != Termination.ERROR else None
    if sol != SolutionStatus.NONE:
        schedule = jsm.read_schedule(jm, solver, NAME)
        objective = objective_value(sc, schedule)
    elif term == Termination.INFEASIBLE:
        bound = None
    message = "; ".join(x for x in (f"hint from {hint_source}" if hint_source else "", recheck) if x)
    stopped = term in (Termination.TIME_LIMIT, Termination.CANCELLED)
    if stopped and hint is not None and exact and (objective is None or hint_value < objective):
        # stopped before it found anything as good (a limit of a fraction of a second): the starting
        # schedule passes the checker and keeps every pin, so it is the answer
        schedule, sol = Schedule(hint.assignments, NAME), SolutionStatus.FEASIBLE
        objective = objective_value(sc, schedule)
        message = f"CP-SAT found nothing better in the time; the result is the starting schedule ({hint_source})"
    stats = {
        "solutions": cb.n,
        "branches": solver.num_branches,
        "conflicts": solver.num_conflicts,
        "hint": hint_source,
        "hint_objective": hint_value,
        "horizon": horizon,
        **tabu_stats,
    }
    if budget is not None:
        from opsplan.solvers.reschedule import count_changes

        stats["max_changes"] = budget[1]
        if schedule is not None:
            stats["changes"] = count_changes(Schedule(budget[0]), schedule, budget[2])
    return Result(
        term, sol, schedule, objective, bound, runtime, NAME, VERSION,
        message=message, log="\n".join(log_lines), stats=stats,
    )
