"""MIP backend (``mip``): Pyomo models solved by HiGHS through highspy, for every kind with a MIP builder.

The kind's model comes from its builder (:mod:`.builder`; the ``"builder"`` part of ``mip``'s
registry entry for the kind, e.g. :mod:`.jobshop`), which may offer several formulations
(``Result.stats["formulation"]``, forced with ``Params.options["formulation"]``).

The hand-off to HiGHS is ours (:mod:`.highs_run`, the one engine of every kind), so a warm
start (or the kind's heuristic start) is a real MIP start (``setSolution`` with every column),
every improving solution is reported to ``on_progress``, a :class:`StopToken` interrupts a
running solve, and ``Params.options["inbox"]`` (a zero-argument callable giving a
:class:`Schedule` or None, the solver race's mailbox) is polled during the search; better
feasible schedules are injected as user solutions (``stats["injected"]``).

``pyomo.environ`` is never imported: it loads every Pyomo plugin, and one of them
(community detection, a deferred matplotlib import) raises inside PySide6's import hook
once Qt is loaded, so the GUI could not load this backend.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import highspy
import pyomo.core as pyo
import pyomo.version
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.solvers import registry
from opsplan.solvers.mip import highs_run
from opsplan.solvers.mip.builder import Formulation, MipModelBuilder
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
from opsplan.solvers.starting import earliest_starts, feasible_start, start_deadline

NAME = "mip"


def version() -> str:
    return f"HiGHS {'.'.join(map(str, highs_run.version()))} / Pyomo {pyomo.version.version}"


_TERMINATION = {
    highspy.HighsModelStatus.kOptimal: Termination.OPTIMAL,
    highspy.HighsModelStatus.kTimeLimit: Termination.TIME_LIMIT,
    highspy.HighsModelStatus.kIterationLimit: Termination.TIME_LIMIT,
    highspy.HighsModelStatus.kSolutionLimit: Termination.TIME_LIMIT,
    highspy.HighsModelStatus.kObjectiveBound: Termination.TIME_LIMIT,
    highspy.HighsModelStatus.kObjectiveTarget: Termination.TIME_LIMIT,
    highspy.HighsModelStatus.kInfeasible: Termination.INFEASIBLE,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: Termination.INFEASIBLE,
    highspy.HighsModelStatus.kInterrupt: Termination.CANCELLED,
}


def builder_for(sc) -> MipModelBuilder:  # noqa: ANN001 - a scenario of any kind
    """A new model builder for ``sc`` (the kind's ``mip`` builder from the registry)."""
    return registry.part(NAME, sc.kind, "builder")(sc)


def _reader(lp: highs_run.Lp, x) -> Callable:  # noqa: ANN001 - numpy vector
    def val(v):  # noqa: ANN001, ANN202 - VarData
        k = lp.index.get(id(v))
        return pyo.value(v) if k is None else float(x[k])

    return val


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:
    t0 = time.perf_counter()
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, version(),
                      message="cancelled before the search started")
    if params.options.get("max_changes") is not None:
        raise SolverError("solver 'mip' does not support a change budget (max_changes)")
    earliest = earliest_starts(params)

    start, source = feasible_start(sc, params, deadline=start_deadline(t0, params), stop=stop)
    deadline = None if params.time_limit is None else t0 + float(params.time_limit)

    def build_should_stop() -> bool:  # a cancel, or the time limit passing, ends a long build
        return stop.is_set() or (deadline is not None and time.perf_counter() >= deadline)

    builder = builder_for(sc)
    late = max([0, *earliest.values(), *(a.end for a in params.pinned)])
    # a model that is only a restriction (the job shop's setups that break the triangle inequality)
    # is a heuristic: no proof, no bound, and no horizon cut to the start
    restricted = builder.restricted()
    horizon = builder.horizon(late, None if restricted else start)
    name, why = builder.formulation(params, earliest, horizon)
    message = f"{name} formulation" + (f" ({why})" if why else "")
    if source:
        message += f"; start from {source}"

    def start_only(term: Termination, why: str, stats: dict) -> Result:
        """Stopped before HiGHS ran: the start (checked, keeps every pin) is all there is."""
        value = None if start is None else objective_value(sc, start)
        sol = SolutionStatus.NONE if start is None else SolutionStatus.FEASIBLE
        return Result(term, sol, start, value, None, time.perf_counter() - t0, NAME, version(),
                      message=f"{message}; {why}", stats=stats)

    try:  # a large model takes seconds to build and translate: a stop on the way ends it there
        highs_run.checkpoint(build_should_stop)
        form: Formulation = builder.build(name, params, earliest, horizon, NAME, build_should_stop)
        lp = None if form.infeasible else highs_run.to_lp(form.model, build_should_stop)
    except highs_run.BuildStopped:
        if stop.is_set():
            return start_only(Termination.CANCELLED, "cancelled while building the model",
                              {"formulation": name, "start": source})
        return start_only(Termination.TIME_LIMIT, "the time limit passed while building the model",
                          {"formulation": name, "start": source})
    stats = {"formulation": name, **form.stats, "start": source, "injected": 0}

    def result(term, sol, schedule=None, objective=None, bound=None, **kw) -> Result:  # noqa: ANN001, ANN003
        return Result(term, sol, schedule, objective, bound, time.perf_counter() - t0, NAME, version(),
                      message=kw.pop("message", message), stats=stats, **kw)

    if form.infeasible:
        return result(Termination.INFEASIBLE, SolutionStatus.NONE, message=f"{message}; {form.infeasible}")
    stats.update(columns=lp.n_cols, rows=lp.n_rows, nonzeros=len(lp.vals),
                 build_s=round(time.perf_counter() - t0, 4))
    if lp.trivially_infeasible:
        return result(Termination.INFEASIBLE, SolutionStatus.NONE, message=f"{message}; {lp.trivially_infeasible}")

    x0 = None
    if start is not None:
        values = form.values(start)
        x0 = None if values is None else lp.vector(values)
        if x0 is not None and not lp.is_feasible(x0):
            x0 = None
        stats["start_complete"] = x0 is not None

    best: dict = {"objective": None, "schedule": None}

    on_solution = params.options.get("on_solution")

    def on_improve(x, obj, bound, elapsed) -> None:  # noqa: ANN001 - HiGHS thread
        schedule = form.read(_reader(lp, x))
        value = objective_value(sc, schedule)
        if best["objective"] is None or value < best["objective"]:
            if check(sc, schedule):  # a point that is only feasible within HiGHS's tolerances
                return
            best.update(objective=value, schedule=schedule)
            if on_solution is not None:  # the race shares it with the other members
                on_solution(schedule, value)
        if on_progress is not None:
            b = None if restricted else integral_bound(bound)
            on_progress(Progress(value, None if b is None else min(b, value), elapsed, NAME))

    inbox = params.options.get("inbox")
    seen: dict = {"schedule": None, "x": None}

    def poll():  # noqa: ANN202 - a column vector or None
        schedule = inbox()
        if schedule is None:
            return None
        if schedule is not seen["schedule"]:  # convert each schedule once
            values = form.values(schedule)
            seen.update(schedule=schedule, x=None if values is None else lp.vector(values))
        return seen["x"]

    cfg = highs_run.RunConfig(
        time_limit=None if params.time_limit is None else float(params.time_limit),
        threads=int(params.threads or 0), seed=int(params.seed),
        rel_gap=float(params.gap) if params.gap is not None else 0.0,
        options=dict(params.options.get("highs", {})),
    )
    if params.time_limit is not None and time.perf_counter() - t0 >= params.time_limit:
        return start_only(Termination.TIME_LIMIT, "no time left to solve", stats)  # the build used up the time
    out = highs_run.run(lp, cfg, start=x0, on_improve=on_improve, should_stop=stop.is_set,
                        inbox=None if inbox is None else poll, t0=t0)
    def objective_off(o) -> bool:  # noqa: ANN001
        """HiGHS's objective is not its point's (seen after presolve on shops with zero-length steps)."""
        return (o.x is not None and o.objective is not None
                and abs(lp.objective(o.x) - o.objective) > 1e-6 * max(1.0, abs(o.objective)))

    if ((out.status == highspy.HighsModelStatus.kSolveError or objective_off(out))
            and "presolve" not in cfg.options and not stop.is_set()):
        # HiGHS's presolve can leave a postsolved point that breaks rows ("Solve error", seen on a
        # shop with a zero-length operation reduced to an empty model) or whose objective and bound
        # are not the point's: solve once more without it
        stats["presolve_retry"] = True
        cfg = dataclasses.replace(cfg, options={**cfg.options, "presolve": "off"})
        out = highs_run.run(lp, cfg, start=x0, on_improve=on_improve, should_stop=stop.is_set,
                            inbox=None if inbox is None else poll, t0=t0)
    stats.update(out.stats, injected=out.injected, improving=out.improving)
    if x0 is not None:
        stats["start_accepted"] = bool(out.start_accepted)

    term = _TERMINATION.get(out.status, Termination.ERROR)
    untrusted = restricted  # why HiGHS's final word is no proof here
    if not untrusted and objective_off(out):
        untrusted = "HiGHS's objective differs from its point's"
    schedule = objective = None
    if out.x is not None:
        schedule = form.read(_reader(lp, out.x))
        objective = objective_value(sc, schedule)
        if best["schedule"] is not None and best["objective"] < objective:
            schedule, objective = best["schedule"], best["objective"]
        if check(sc, schedule):  # never hand out a broken schedule (a tolerance artefact)
            schedule = objective = None
            untrusted = untrusted or "HiGHS's final point fails the checker (a tolerance artefact)"
    if schedule is None and best["schedule"] is not None:  # the best checked point seen on the way
        schedule, objective = best["schedule"], best["objective"]
    if start is not None and (schedule is None or objective_value(sc, start) < objective) and (
            untrusted or term in (Termination.CANCELLED, Termination.TIME_LIMIT)):
        # stopped before HiGHS took the start, or a restricted model that could not take it
        schedule, objective = start, objective_value(sc, start)
    bound = None if term == Termination.INFEASIBLE else integral_bound(out.bound)
    if untrusted:
        bound = None
        if term in (Termination.OPTIMAL, Termination.INFEASIBLE):  # a claimed proof; an error stays one
            term = Termination.COMPLETED
        message += f"; no proof: {untrusted}"
    if bound is not None and objective is not None:
        bound = min(bound, objective)
    sol = SolutionStatus.NONE if schedule is None else SolutionStatus.FEASIBLE
    if term == Termination.OPTIMAL and schedule is not None:
        # HiGHS calls a gap-limited stop optimal too: only a closed gap is a proof
        if bound is None or bound >= objective:  # integral bound (rounded up) on an integral objective
            sol, bound = SolutionStatus.OPTIMAL, objective
        else:
            term = Termination.GAP_LIMIT
    elif term == Termination.OPTIMAL:
        term = Termination.ERROR
    if term == Termination.CANCELLED:
        message += "; cancelled"
    if schedule is not None and on_progress is not None:
        on_progress(Progress(objective, bound, time.perf_counter() - t0, NAME))
    log = out.log if params.log else ""
    return result(term, sol, schedule, objective, bound, log=log)
