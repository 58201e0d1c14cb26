"""Tabu search (``tabu``) for the classic job shop: minimise the makespan.

Start from a feasible warm start, else the best dispatch rule; then move through
machine orders by swapping adjacent operations on a critical path (Nowicki and
Smutnicki's neighbourhood N5), always to the best swap that is not tabu, and after
a stretch without a new best go back to the best order with a few random swaps. The
inner loop is compiled with numba (:mod:`opsplan.solvers.local.tabu_kernel`).

It stops at the time limit, on cancel, when the makespan meets the simple lower
bound (the longest job with its release, or a machine's load with the shortest way
in and out; then the result is proven optimal), or after ``options["tabu_stall"]``
(default 2 000 000) iterations without a new best. Otherwise a heuristic: the bound it
reports is that lower bound. In the race it takes better schedules from its inbox and
continues from them; :mod:`opsplan.solvers.cpsat` runs it first to give CP-SAT a
better start (:func:`search`).

Only for shops where every operation has one machine, the objective is the
makespan, and there are no calendar windows, setups, deadlines, pins or earliest
starts (:func:`why_not` says why not).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import Objective
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)

NAME = "tabu"
VERSION = "1"
RESTART_AFTER = 30_000  # iterations without a new best before going back to the best order
KICK = 4  # random critical swaps made on the way back
DEFAULT_STALL = 2_000_000  # iterations without a new best after which the search ends
TENURE_BASE = 10  # a move stays tabu for TENURE_BASE + jobs / machines iterations, up to half as many more
CHUNK_S = 0.05  # the compiled loop returns to Python (time, cancel, inbox) about this often


def installed() -> bool:
    return importlib.util.find_spec("numba") is not None


def why_not(sc, params: Params | None = None) -> str | None:  # noqa: ANN001 - job-shop scenario
    """Why ``tabu`` cannot run on the job shop ``sc`` with ``params``; None when it can."""
    if sc.objective != Objective.MAKESPAN:
        return f"it minimises the makespan, not {sc.objective.value}"
    if not sc.jobs:
        return "the scenario has no jobs"
    if any(len(op.modes) != 1 for job in sc.jobs for op in job.operations):
        return "every operation must have exactly one machine (no flexible shops)"
    if any(job.deadline is not None for job in sc.jobs):
        return "it does not handle hard deadlines"
    used = {op.modes[0].resource for job in sc.jobs for op in job.operations}
    if any(m.calendar.windows for m in sc.machines if m.id in used):
        return "it does not handle calendar windows"
    if sc.has_setups:
        return "it does not handle setup times"
    if params is not None and (params.pinned or params.options.get("earliest")
                               or params.options.get("max_changes") is not None):
        return "it does not keep pins, earliest starts or a change budget"
    return None


@dataclass(frozen=True)
class Shop:
    """A fitting scenario as the kernel's arrays (operations numbered in job order)."""

    tasks: tuple[str, ...]
    machines: tuple[str, ...]
    p: np.ndarray
    rel: np.ndarray
    jp: np.ndarray
    js: np.ndarray
    mach: np.ndarray
    mstart: np.ndarray
    lower_bound: int


def shop_arrays(sc) -> Shop:  # noqa: ANN001
    tasks: list[str] = []
    p: list[int] = []
    rel: list[int] = []
    jp: list[int] = []
    js: list[int] = []
    mach_of: list[str] = []
    lb = 0
    heads: list[int] = []
    tails: list[int] = []
    for job in sc.jobs:
        first = len(tasks)
        total = sum(op.modes[0].duration for op in job.operations)
        lb = max(lb, job.release + total)
        done = 0
        for k, op in enumerate(job.operations):
            d = op.modes[0].duration
            tasks.append(op.id)
            p.append(d)
            rel.append(job.release if k == 0 else 0)
            jp.append(first + k - 1 if k > 0 else -1)
            js.append(first + k + 1 if k + 1 < len(job.operations) else -1)
            mach_of.append(op.modes[0].resource)
            heads.append(job.release + done)
            done += d
            tails.append(total - done)
    machines = tuple(dict.fromkeys(mach_of))
    index = {m: k for k, m in enumerate(machines)}
    mach = np.asarray([index[m] for m in mach_of], dtype=np.int64)
    counts = np.bincount(mach, minlength=len(machines)) if len(mach) else np.zeros(0, np.int64)
    mstart = np.zeros(len(machines) + 1, dtype=np.int64)
    mstart[1:] = np.cumsum(counts)
    pa = np.asarray(p, dtype=np.int64)
    ha, ta = np.asarray(heads, dtype=np.int64), np.asarray(tails, dtype=np.int64)
    for k in range(len(machines)):
        on = mach == k
        lb = max(lb, int(ha[on].min() + pa[on].sum() + ta[on].min()))
    return Shop(tuple(tasks), machines, pa, np.asarray(rel, dtype=np.int64), np.asarray(jp, dtype=np.int64),
                np.asarray(js, dtype=np.int64), mach, mstart, int(lb))


def order_of(shop: Shop, schedule: Schedule) -> np.ndarray | None:
    """The machine orders of a schedule as ``seq`` (None when it lacks an operation)."""
    index = {t: k for k, t in enumerate(shop.tasks)}
    seen = np.zeros(len(shop.tasks), dtype=bool)
    keys: list[tuple[int, int, int, int]] = []
    for a in schedule.work():
        k = index.get(a.task)
        if k is None or seen[k]:
            continue
        seen[k] = True
        # machine, then start, end and route position: every arc of the disjunctive graph goes
        # forward in this order, so the orders have no cycle even with zero-length operations
        keys.append((int(shop.mach[k]), a.start, a.end, k))
    if not seen.all():
        return None
    keys.sort()
    return np.asarray([k for *_, k in keys], dtype=np.int64)


def _links(shop: Shop, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from opsplan.solvers.local import tabu_kernel as kern

    n = len(shop.tasks)
    pos, mp, ms = (np.zeros(n, dtype=np.int64) for _ in range(3))
    kern.link(shop.mstart, seq, pos, mp, ms)
    return pos, mp, ms


def schedule_of(shop: Shop, seq: np.ndarray, solver: str = NAME) -> Schedule:
    """The semi-active schedule of the machine orders ``seq``."""
    from opsplan.solvers.local import tabu_kernel as kern

    n = len(shop.tasks)
    _, mp, ms = _links(shop, seq)
    r, q, order, indeg = (np.zeros(n, dtype=np.int64) for _ in range(4))
    if kern.evaluate(shop.p, shop.rel, shop.jp, shop.js, mp, ms, r, q, order, indeg) < 0:
        raise SolverError("internal: the tabu search's machine orders contain a cycle")
    return Schedule(tuple(Assignment(shop.tasks[o], shop.machines[int(shop.mach[o])], int(r[o]),
                                     int(r[o] + shop.p[o])) for o in range(n)), solver)


def reporter(on_solution: Callable[[Schedule, int], None] | None, on_progress: ProgressCallback | None,
             lower: int, t0: float, solver: str) -> Callable[[Schedule, int], None]:
    """The ``on_best`` for :func:`search` that passes each new best on to a race (``on_solution``)
    and to the progress callback (with ``lower`` as the bound)."""

    def on_best(schedule: Schedule, value: int) -> None:
        if on_solution is not None:
            on_solution(schedule, value)
        if on_progress is not None:
            on_progress(Progress(value, lower, time.perf_counter() - t0, solver))

    return on_best


@dataclass
class Found:
    """What :func:`search` ends with."""

    schedule: Schedule
    makespan: int
    iterations: int
    restarts: int
    found_at_s: float
    stopped: str  # "lower_bound", "time_limit", "cancelled", "stalled"
    adopted: int = 0


def search(sc, start: Schedule, *, deadline: float | None, seed: int = 0,  # noqa: ANN001
           should_stop: Callable[[], bool] | None = None,
           on_best: Callable[[Schedule, int], None] | None = None,
           inbox: Callable[[], Schedule | None] | None = None,
           stall: int = DEFAULT_STALL, t0: float | None = None, shop: Shop | None = None) -> Found:
    """Improve ``start`` (a schedule that passes the checker) until ``deadline`` (``perf_counter``
    time), ``should_stop()``, the lower bound, or ``stall`` iterations without a new best.

    ``shop``: the scenario's arrays when the caller has built them already."""
    from opsplan.solvers.local import tabu_kernel as kern

    t0 = time.perf_counter() if t0 is None else t0
    shop = shop_arrays(sc) if shop is None else shop
    seq = order_of(shop, start)
    if seq is None:
        raise SolverError("the starting schedule lacks operations of the scenario")
    pos, mp, ms = _links(shop, seq)
    best_seq = seq.copy()
    state = np.zeros(kern.STATE_SIZE, dtype=np.int64)
    tu, tv, texp = (np.zeros(kern.TABU_SLOTS, dtype=np.int64) for _ in range(3))
    n_jobs, n_machines = len(sc.jobs), max(1, len(shop.machines))
    tenure_lo = min(kern.TABU_SLOTS // 2, TENURE_BASE + n_jobs // n_machines)
    tenure_hi = min(kern.TABU_SLOTS, tenure_lo + max(2, tenure_lo // 2))
    kern.seed(int(seed) & 0x7FFFFFFF)
    # the start's own makespan (one iteration of zero length evaluates it)
    state[kern.BEST] = np.iinfo(np.int64).max
    if kern.run(shop.p, shop.rel, shop.jp, shop.js, shop.mstart, seq, pos, mp, ms, best_seq, state,
                tu, tv, texp, 0, RESTART_AFTER, tenure_lo, tenure_hi, KICK, shop.lower_bound) < 0:
        raise SolverError("the starting schedule's machine orders contain a cycle")
    state[kern.BEST] = state[kern.CUR]
    best_seq[:] = seq
    best = int(state[kern.BEST])
    found_at = time.perf_counter() - t0
    chunk = 200
    adopted = 0
    stopped = ""
    last_best_it = 0
    while True:
        if best <= shop.lower_bound:
            stopped = "lower_bound"
            break
        if should_stop is not None and should_stop():
            stopped = "cancelled"
            break
        now = time.perf_counter()
        if deadline is not None and now >= deadline:
            stopped = "time_limit"
            break
        if state[kern.IT] - last_best_it >= stall:
            stopped = "stalled"
            break
        if inbox is not None:
            shared = inbox()
            other = order_of(shop, shared) if shared is not None else None
            if other is not None:
                value = objective_value(sc, shared)
                if value < best and not check(sc, shared):
                    seq[:] = other
                    best_seq[:] = other
                    pos, mp, ms = _links(shop, seq)
                    state[kern.BEST] = value
                    state[kern.LAST_IMPROVED] = state[kern.IT]
                    best, adopted, last_best_it = value, adopted + 1, int(state[kern.IT])
        kern.run(shop.p, shop.rel, shop.jp, shop.js, shop.mstart, seq, pos, mp, ms, best_seq, state,
                 tu, tv, texp, chunk, RESTART_AFTER, tenure_lo, tenure_hi, KICK, shop.lower_bound)
        spent = time.perf_counter() - now
        # aim each chunk at CHUNK_S, never past the deadline by much
        rate = chunk / max(spent, 1e-6)
        target = CHUNK_S if deadline is None else max(0.002, min(CHUNK_S, deadline - time.perf_counter()))
        chunk = int(max(10, min(1_000_000, rate * target)))
        if int(state[kern.BEST]) < best:
            best = int(state[kern.BEST])
            found_at = time.perf_counter() - t0
            last_best_it = int(state[kern.IT])
            if on_best is not None:
                on_best(schedule_of(shop, best_seq), best)
    return Found(schedule_of(shop, best_seq), best, int(state[kern.IT]), int(state[kern.RESTARTS]),
                 found_at, stopped, adopted)


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:  # noqa: ANN001
    t0 = time.perf_counter()
    why = why_not(sc, params)  # solve() refuses these already; a direct call must not run either
    if why:
        raise SolverError(f"solver 'tabu' cannot run on '{sc.name}': {why}")
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, VERSION)
    from opsplan.solvers.dispatch.rules import MAKESPAN_HINT_RULES
    from opsplan.solvers.starting import start_deadline, starting_schedule

    start, source, _, _ = starting_schedule(sc, params, {}, MAKESPAN_HINT_RULES,
                                            deadline=start_deadline(t0, params), stop=stop)
    if start is None:
        raise SolverError(f"no starting schedule for '{sc.name}'")
    deadline = None if params.time_limit is None else t0 + float(params.time_limit)
    shop = shop_arrays(sc)
    lower = shop.lower_bound
    on_best = reporter(params.options.get("on_solution"), on_progress, lower, t0, NAME)

    on_best(start, max((a.end for a in start.work()), default=0))
    found = search(sc, start, deadline=deadline, seed=params.seed, should_stop=stop.is_set, on_best=on_best,
                   inbox=params.options.get("inbox"), stall=int(params.options.get("tabu_stall", DEFAULT_STALL)),
                   t0=t0, shop=shop)
    runtime = time.perf_counter() - t0
    stats = {"start": source, "iterations": found.iterations, "restarts": found.restarts,
             "found_at_s": round(found.found_at_s, 3), "adopted": found.adopted, "stopped": found.stopped,
             "lower_bound": lower}
    message = f"{found.iterations} iterations from {source}; best at {found.found_at_s:.2f} s"
    if found.stopped == "lower_bound":
        return Result(Termination.OPTIMAL, SolutionStatus.OPTIMAL, found.schedule, found.makespan, lower, runtime,
                      NAME, VERSION, message=message + "; it meets the lower bound", stats=stats)
    term = {"cancelled": Termination.CANCELLED, "time_limit": Termination.TIME_LIMIT}.get(
        found.stopped, Termination.COMPLETED)
    return Result(term, SolutionStatus.FEASIBLE, found.schedule, found.makespan, lower, runtime, NAME, VERSION,
                  message=message, stats=stats)


__all__ = ["search", "solve", "why_not"]
