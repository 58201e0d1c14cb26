"""Iterated local search (``ils``) for single-machine total weighted tardiness.

Start from the warm start or the best sequencing rule followed by the local
search (:func:`~opsplan.solvers.dispatch.single_machine.improve`); then repeat:
perturb the current sequence with a few random swaps of nearby jobs, descend again
(steepest descent over insertions and near interchanges,
:func:`~opsplan.solvers.dispatch.single_machine.descend`; with release dates or more
than 200 jobs the first-improvement :func:`~opsplan.solvers.dispatch.single_machine.improve`), and move
there when it is no worse, or, one time in ten, when it is within 0.2 % of the best
(a walk that can leave a plateau's basin), keeping the best sequence seen. It stops at
the time limit, on cancel, at zero tardiness, or after ``options["ils_stall"]``
(default 20 000) kicks without a new best.

A heuristic: it proves nothing (the bound it reports is 0, or the value itself when
that is 0). In the race it takes better schedules from its inbox and continues from
them. Only for single-machine shapes whose objective is total weighted tardiness,
without pins, earliest starts or deadlines.
"""

from __future__ import annotations

import random
import time

from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import Objective
from opsplan.models.schedule import Schedule
from opsplan.solvers.dispatch.single_machine import (
    SWAP_REACH,
    build_schedule,
    descend,
    improve,
    is_single_machine,
    single_machine_data,
    weighted_tardiness,
)
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)

NAME = "ils"
VERSION = "2"
DEFAULT_STALL = 20_000
# steepest descent evaluates all n^2 insertions per move: per kick 4.2 against 20.6 ms for
# improve()'s first-improvement passes at 100 jobs, 31 against 45 at 200, 219 against 140 at 500
STEEPEST_MAX_JOBS = 200
ACCEPT_BAND = 0.002  # a worse sequence within this fraction of the best may be accepted ...
ACCEPT_PROB = 0.1  # ... this often


def why_not(sc, params: Params) -> str | None:  # noqa: ANN001 - job-shop scenario
    """Why ``ils`` cannot run on the job shop ``sc`` with ``params``; None when it can."""
    if not is_single_machine(sc):
        return "it needs a single-machine shop (one operation per job, one machine, no calendar or setups)"
    if sc.objective != Objective.TOTAL_WEIGHTED_TARDINESS:
        return f"it minimises total weighted tardiness, not {sc.objective.value}"
    if any(job.deadline is not None for job in sc.jobs):
        return "it does not handle hard deadlines"
    if params.pinned or params.options.get("earliest"):
        return "it does not keep pins or earliest starts"
    return None


def _order_of(schedule: Schedule, tasks: tuple[str, ...]) -> list[int] | None:
    pos = {t: k for k, t in enumerate(tasks)}
    work = sorted((a.start, pos[a.task]) for a in schedule.work() if a.task in pos)
    return [k for _, k in work] if len(work) == len(tasks) else None


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:  # noqa: ANN001
    t0 = time.perf_counter()
    why = why_not(sc, params)  # solve() refuses these already; a direct call must not run either
    if why:
        raise SolverError(f"solver 'ils' cannot run on '{sc.name}': {why}")
    data = single_machine_data(sc)
    p, d, w, r = data.p, data.d, data.w, (data.r if data.has_releases else None)
    n = len(p)
    rng = random.Random(int(params.seed))
    deadline = None if params.time_limit is None else t0 + float(params.time_limit)
    stall_limit = int(params.options.get("ils_stall", DEFAULT_STALL))
    on_solution = params.options.get("on_solution")
    inbox = params.options.get("inbox")

    def value_of(order) -> int:  # noqa: ANN001
        return int(weighted_tardiness(p, d, w, order, r=r))

    def left() -> float | None:
        return None if deadline is None else deadline - time.perf_counter()

    # the start: a feasible warm start, else the best rule with the local search
    start = None
    source = ""
    if params.warm_start is not None and not check(sc, params.warm_start):
        start = _order_of(params.warm_start, data.tasks)
        source = "warm start"
    if start is None:
        from opsplan.solvers.dispatch.single_machine import single_machine_seed
        from opsplan.solvers.starting import start_deadline

        seed = single_machine_seed(sc, deadline=start_deadline(t0, params), should_stop=stop.is_set)
        if seed is not None:
            start, source = _order_of(seed[0], data.tasks), seed[1]
    if start is None:
        start, source = list(range(n)), "input order"
    swap_reach = int(params.options.get("ils_swap_reach", SWAP_REACH))

    def descent(order: list[int]) -> list[int]:
        if r is not None or n > STEEPEST_MAX_JOBS:
            return improve(p, d, w, order, r=r, time_limit=left(), should_stop=stop.is_set)
        return descend(p, d, w, order, swap_reach=swap_reach, deadline=deadline, should_stop=stop.is_set)

    current = improve(p, d, w, start, r=r, time_limit=left(), should_stop=stop.is_set)
    cur_val = value_of(current)
    best, best_val = list(current), cur_val
    found_at = time.perf_counter() - t0
    kicks = stall = adopted = 0

    def report() -> None:
        if on_solution is not None:
            on_solution(build_schedule(data, best, NAME), best_val)
        if on_progress is not None:
            on_progress(Progress(best_val, 0, time.perf_counter() - t0, NAME))

    report()
    stopped = "zero" if best_val == 0 else ""
    while not stopped:
        if stop.is_set():
            stopped = "cancelled"
            break
        if deadline is not None and time.perf_counter() >= deadline:
            stopped = "time_limit"
            break
        if stall >= stall_limit:
            stopped = "stalled"
            break
        if inbox is not None:
            shared = inbox()
            if shared is not None:
                order = _order_of(shared, data.tasks)
                if order is not None and value_of(order) < best_val:
                    current, cur_val = order, value_of(order)
                    best, best_val = list(order), cur_val
                    adopted += 1
                    stall = 0
        # kick: a few swaps of jobs at most ``span`` positions apart
        cand = list(current)
        span = max(2, min(n - 1, n // 5))
        for _ in range(rng.randint(2, 4)):
            i = rng.randrange(n)
            j = min(n - 1, max(0, i + rng.randint(-span, span)))
            cand[i], cand[j] = cand[j], cand[i]
        cand = descent(cand)
        val = value_of(cand)
        kicks += 1
        if val <= cur_val or (val <= best_val * (1 + ACCEPT_BAND) and rng.random() < ACCEPT_PROB):
            current, cur_val = cand, val
        if val < best_val:
            best, best_val = list(cand), val
            found_at = time.perf_counter() - t0
            stall = 0
            report()
            if best_val == 0:
                stopped = "zero"
        else:
            stall += 1

    schedule = build_schedule(data, best, NAME)
    objective = objective_value(sc, schedule)
    runtime = time.perf_counter() - t0
    stats = {"start": source, "kicks": kicks, "found_at_s": round(found_at, 3), "adopted": adopted,
             "stopped": stopped}
    if objective == 0:
        return Result(Termination.OPTIMAL, SolutionStatus.OPTIMAL, schedule, 0, 0, runtime, NAME, VERSION,
                      message="no job is late", stats=stats)
    term = {"cancelled": Termination.CANCELLED, "time_limit": Termination.TIME_LIMIT}.get(
        stopped, Termination.COMPLETED)
    return Result(term, SolutionStatus.FEASIBLE, schedule, objective, 0, runtime, NAME, VERSION,
                  message=f"{kicks} kicks from {source}; best at {found_at:.2f} s", stats=stats)


__all__ = ["solve", "why_not"]
