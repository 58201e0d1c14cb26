"""Starting schedules for the exact backends: a feasible warm start, else the kind's heuristic.

cpsat uses one as a solution hint (and to shrink the horizon), mip to tighten its
horizon and big-M, the race as its first incumbent; all need the same two questions
answered the same way. What the heuristic is belongs to the scenario's kind (its
``start`` in :class:`~opsplan.solvers.registry.KindSolvers`; for a job shop the best
dispatch rule); ``options["start_from"]`` adds another solver's schedule (a learned
policy's, say) to choose from.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from opsplan.models import check, objective_value
from opsplan.models.schedule import Category, Schedule, count_changes
from opsplan.solvers import registry
from opsplan.solvers.result import Params, StopToken

Budget = tuple  # (baseline assignments, max changes, tolerance)
START_SHARE = 0.5  # of a solver's time limit that finding its starting schedule may use
SEED = "seed"  # a feasible start (mip, the race)
HINT = "hint"  # an exact solver's hint (cpsat): the kind may pick other heuristics for it


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
    """The warm start, else the kind's heuristic (``rules``: which of the kind's dispatch rules; default
    the kind's choice), when it honours pins and earliest starts; ``(None, "")`` otherwise."""
    schedule, source, _, ok = starting_schedule(sc, params, earliest_starts(params), rules,
                                                deadline=deadline, stop=stop)
    return (schedule, source) if ok else (None, "")


def heuristic(sc, params: Params, earliest: Mapping[str, int], budget: Budget | None = None, *,  # noqa: ANN001
              rules: Iterable[str] | None = None, purpose: str = SEED, deadline: float | None = None,
              stop: StopToken | None = None) -> tuple[Schedule, str, int] | None:
    """The kind's heuristic schedule ``(schedule, source, objective)`` (it passes the checker), or None
    when the kind has none or it found nothing."""
    ref = registry.kind_solvers(sc.kind).start
    if ref is None:
        return None
    return registry.resolve(ref)(sc, params, earliest, budget, rules=rules, purpose=purpose,
                                 deadline=deadline, stop=stop)


def starting_schedule(
    sc, params: Params, earliest: Mapping[str, int], rules: Iterable[str] | None = None,  # noqa: ANN001
    budget: Budget | None = None, *, deadline: float | None = None, stop: StopToken | None = None,
    purpose: str = SEED,
) -> tuple[Schedule | None, str, int | None, bool]:
    """The warm start if it passes the checker and :func:`honours` everything, else the better of the
    kind's heuristic (:func:`heuristic`) and ``options["start_from"]``'s schedule (:func:`start_from`).

    Returns the schedule (None when there is none that passes the checker), where it
    came from, its objective, and whether it :func:`honours` pins, earliest starts and
    budget (a heuristic schedule that breaks the budget is still a useful hint).
    ``deadline`` (a ``perf_counter`` time) and ``stop`` cut the heuristic and a
    ``start_from`` solver short, so a solver's time limit and cancel hold while it starts.
    ``rules`` and ``purpose`` go to the kind's heuristic.
    """
    warm = params.warm_start
    if warm is not None and not check(sc, warm) and honours(warm, params, earliest, budget):
        return warm, "warm start", objective_value(sc, warm), True
    got = heuristic(sc, params, earliest, budget, rules=rules, purpose=purpose, deadline=deadline, stop=stop)
    if got is None:
        other = start_from(sc, params, earliest, budget, stop=stop)
        return (other[0], other[1], other[2], True) if other is not None else (None, "", None, False)
    schedule, source, value = got
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
