"""Starting schedules for the exact backends: a feasible warm start, else the best dispatch rule.

cpsat uses one as a solution hint (and to shrink the horizon), mip to tighten its
horizon and big-M; both need the same two questions answered the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from opsplan.models import check, objective_value
from opsplan.models.schedule import Category, Schedule
from opsplan.solvers.result import Params, StopToken

Budget = tuple  # (baseline assignments, max changes, tolerance)
START_SHARE = 0.5  # of a solver's time limit that finding its starting schedule may use
# for a makespan the starting schedule tries the rules the README's benchmarks were measured with
# (the due-date rules only differ from their base rule when there are due dates)
MAKESPAN_HINT_RULES = ("fifo", "spt", "lpt", "mwkr", "mor", "edd", "atc", "cr")


def past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() >= deadline


def start_deadline(t0: float, params: Params) -> float | None:
    """When the search for a starting schedule must end (``perf_counter`` time; None: no limit)."""
    return None if params.time_limit is None else t0 + START_SHARE * float(params.time_limit)


def honours(schedule: Schedule, params: Params, earliest: Mapping[str, int], budget: Budget | None = None) -> bool:
    """True when ``schedule`` keeps the pins, the earliest starts and the change budget.

    Only such a schedule (that also passes the checker) is a solution of the whole model.
    """
    by_task = schedule.by_task()
    for a in params.pinned:
        b = by_task.get(a.task)
        if a.category == Category.WORK and (b is None or (b.resource, b.start) != (a.resource, a.start)):
            return False
    if any(task in by_task and by_task[task].start < t for task, t in earliest.items()):
        return False
    if budget is not None:
        from opsplan.solvers.reschedule import count_changes

        baseline, k, tol = budget
        if count_changes(Schedule(baseline), schedule, tol) > k:
            return False
    return True


def earliest_starts(params: Params) -> dict[str, int]:
    """``params.options["earliest"]`` as ``{operation id: earliest start}`` (empty when not given)."""
    return {str(k): int(v) for k, v in (params.options.get("earliest") or {}).items()}


def feasible_start(sc, params: Params, rules: Iterable[str] | None = None, *,  # noqa: ANN001
                   deadline: float | None = None, stop: StopToken | None = None,
                   ) -> tuple[Schedule | None, str]:
    """The warm start, else the best of ``rules`` (default: every deterministic rule), when it honours
    pins and earliest starts; ``(None, "")`` otherwise."""
    if rules is None:
        from opsplan.solvers.dispatch import DETERMINISTIC

        rules = DETERMINISTIC
    schedule, source, _, ok = starting_schedule(sc, params, earliest_starts(params), rules,
                                                deadline=deadline, stop=stop)
    return (schedule, source) if ok else (None, "")


def starting_schedule(
    sc, params: Params, earliest: Mapping[str, int], rules: Iterable[str], budget: Budget | None = None, *,
    deadline: float | None = None, stop: StopToken | None = None,
) -> tuple[Schedule | None, str, int | None, bool]:
    """The warm start if it passes the checker and :func:`honours` everything, else the best of ``rules``.

    Returns the schedule (None when there is none that passes the checker), where it
    came from, its objective, and whether it :func:`honours` pins, earliest starts and
    budget (a dispatch schedule that breaks the budget is still a useful hint).
    ``deadline`` (a ``perf_counter`` time) and ``stop`` cut the single-machine local
    search and a ``start_from`` solver short, so a solver's time limit and cancel hold
    while it starts.
    """
    should_stop = stop.is_set if stop is not None else None
    warm = params.warm_start
    if warm is not None and not check(sc, warm) and honours(warm, params, earliest, budget):
        return warm, "warm start", objective_value(sc, warm), True
    from opsplan.solvers.dispatch import best_rule

    try:
        rule, schedule, value = best_rule(sc, tuple(rules), pinned=params.pinned, earliest=earliest,
                                          should_stop=lambda: past(deadline) or (stop is not None and stop.is_set()))
    except Exception:  # a rule that cannot honour odd pins must not stop the exact solver
        schedule = None
    if schedule is None or check(sc, schedule):
        other = start_from(sc, params, earliest, budget, stop=stop)
        return (other[0], other[1], other[2], True) if other is not None else (None, "", None, False)
    source = f"dispatch:{rule}"
    if not params.pinned and not earliest and budget is None:
        # a single machine: the sequencing rules with their local search are stronger and take milliseconds
        better = single_machine_seed(sc, deadline=deadline, should_stop=should_stop)
        if better is not None and better[2] < value:
            schedule, source, value = better
    ok = honours(schedule, params, earliest, budget)
    other = start_from(sc, params, earliest, budget, stop=stop)
    if other is not None and (other[2] < value or not ok):
        schedule, source, value = other
        ok = True
    return schedule, source, value, ok


START_FROM_SHARE = 0.25  # of the caller's time limit that options["start_from"] may use


def start_from(sc, params: Params, earliest: Mapping[str, int], budget: Budget | None = None,  # noqa: ANN001
               *, stop: StopToken | None = None) -> tuple[Schedule, str, int] | None:
    """The schedule of ``params.options["start_from"]`` (another solver, e.g. ``policy:jobshop-sl``),
    when one is named and its schedule passes the checker and :func:`honours` everything; else None.

    The solver gets the same pins, threads, seed and options (``samples``, ``earliest``...),
    without ``start_from`` itself (no recursion), a quarter of the time limit and the
    caller's cancel token.
    """
    name = params.options.get("start_from")
    if not name:
        return None
    from dataclasses import replace

    from opsplan.solvers import solve

    options = {k: v for k, v in params.options.items() if k not in ("start_from", "on_solution", "inbox")}
    options["explain"] = False
    limit = None if params.time_limit is None else params.time_limit * START_FROM_SHARE
    if stop is not None and stop.is_set():
        return None
    result = solve(sc, str(name), replace(params, time_limit=limit, warm_start=None, options=options), stop=stop)
    schedule = result.schedule
    if schedule is None or check(sc, schedule) or not honours(schedule, params, earliest, budget):
        return None
    return schedule, str(result.solver or name), objective_value(sc, schedule)


def single_machine_seed(sc, *, deadline: float | None = None,  # noqa: ANN001
                        should_stop: Callable[[], bool] | None = None) -> tuple[Schedule, str, int] | None:
    """The best single-machine rule followed by the local search, or None when ``sc`` is not that shape.

    Each rule's local search gets at most a second, less when ``deadline`` is near; past the
    deadline or on ``should_stop`` the rules not yet tried are skipped (once one has a result).
    """
    from opsplan.solvers.dispatch.single_machine import SEQUENCE_RULES, is_single_machine, run_single_machine

    if getattr(sc, "kind", "") != "jobshop" or not is_single_machine(sc):
        return None
    if any(job.deadline is not None for job in sc.jobs):
        return None  # the sequencing rules ignore hard deadlines
    best = None
    rules = tuple(SEQUENCE_RULES)
    for k, rule in enumerate(rules):
        limit = 1.0
        if deadline is not None:
            left = deadline - time.perf_counter()
            if best is not None and left <= 0:
                break
            limit = max(0.01, min(1.0, left / (len(rules) - k)))
        if best is not None and should_stop is not None and should_stop():
            break
        try:
            schedule, _ = run_single_machine(sc, rule, None, True, time_limit=limit, should_stop=should_stop)
        except Exception:  # a rule that cannot run on this data is skipped, never fatal
            continue
        if check(sc, schedule):
            continue
        value = objective_value(sc, schedule)
        if best is None or value < best[2]:
            best = (schedule, f"dispatch:{rule}+local search", value)
    return best
