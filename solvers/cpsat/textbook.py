"""The plain textbook CP-SAT job-shop model, kept only as a benchmark baseline.

One interval per operation, no-overlap per machine, minimise makespan; no hints,
no tightened horizon, default parameters. Classic (single-mode) shops only: no
releases, calendars, setups, deadlines or pins, which it would ignore.
"""

from __future__ import annotations

import time

from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.cpsat.engine import MIN_SEARCH_S, VERSION, new_solver
from opsplan.solvers.result import Params, Progress, Result, SolutionStatus, StopToken, Termination
from ortools.sat.python import cp_model

NAME = "cpsat-textbook"


def why_not(sc: JobShopScenario, params: Params | None = None) -> str | None:
    """Why the baseline cannot run on ``sc``: it handles only classic makespan job shops."""
    if (sc.is_flexible or sc.objective.value != "makespan" or sc.setups
            or any(j.deadline is not None or j.release for j in sc.jobs)
            or any(m.calendar.windows for m in sc.machines)):
        return ("the textbook baseline handles only classic makespan job shops "
                "(no releases, calendars, setups or deadlines)")
    return None


def solve(sc: JobShopScenario, params: Params, on_progress, stop: StopToken, variant=None) -> Result:
    why = why_not(sc, params)  # solve() refuses these already; a direct call must not run either
    if why:
        raise SolverError(why)
    t0 = time.perf_counter()
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, VERSION)
    m = cp_model.CpModel()
    horizon = sum(op.modes[0].duration for j in sc.jobs for op in j.operations)
    starts, itvs, ends = {}, {}, []
    per_machine: dict[str, list] = {}
    for job in sc.jobs:
        prev = None
        for op in job.operations:
            md = op.modes[0]
            s = m.new_int_var(0, horizon, "")
            e = m.new_int_var(0, horizon, "")
            itv = m.new_interval_var(s, md.duration, e, "")
            starts[op.id], itvs[op.id] = (s, md), itv
            if md.duration > 0:  # zero-length work takes no machine time (the checker's rule)
                per_machine.setdefault(md.resource, []).append(itv)
            if prev is not None:
                m.add(s >= prev)
            prev = e
        ends.append(prev)
    for lst in per_machine.values():
        m.add_no_overlap(lst)
    mk = m.new_int_var(0, horizon, "makespan")
    m.add_max_equality(mk, ends)
    m.minimize(mk)
    solver = new_solver()
    if params.time_limit is not None:
        # the same wall-time accounting as cpsat: building the model counts
        solver.parameters.max_time_in_seconds = max(MIN_SEARCH_S, float(params.time_limit) - (time.perf_counter() - t0))
    if params.threads:
        solver.parameters.num_workers = int(params.threads)
    stop.on_stop(solver.stop_search)
    status = solver.solve(m)
    stop.remove(solver.stop_search)
    runtime = time.perf_counter() - t0
    stopped = Termination.CANCELLED if stop.is_set() else Termination.TIME_LIMIT
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sched = Schedule(
            tuple(
                Assignment(op_id, md.resource, solver.value(s), solver.value(s) + md.duration)
                for op_id, (s, md) in starts.items()
            ),
            NAME,
        )
        opt = status == cp_model.OPTIMAL
        if on_progress:
            on_progress(Progress(solver.objective_value, solver.best_objective_bound, runtime, NAME))
        return Result(
            Termination.OPTIMAL if opt else stopped,
            SolutionStatus.OPTIMAL if opt else SolutionStatus.FEASIBLE,
            sched, round(solver.objective_value), round(solver.best_objective_bound), runtime, NAME, VERSION,
        )
    term = Termination.INFEASIBLE if status == cp_model.INFEASIBLE else stopped
    return Result(term, SolutionStatus.NONE, None, None, None, runtime, NAME, VERSION)
