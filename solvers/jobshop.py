"""The job shop's defaults for the generic solver modules (registered in :mod:`opsplan.solvers.registrations`).

* :func:`heuristic_start`: the best dispatch rule (and on one machine the sequence rules with
  their local search), the base of every starting schedule (:mod:`opsplan.solvers.starting`);
* :func:`race_members`: the race's default members for a job shop's shape;
* :func:`preload`: what the race's fork server loads once (the local searches, the compiled
  tabu kernel when numba's cache has it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from opsplan.models import check
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Schedule
from opsplan.solvers.result import Params, StopToken
from opsplan.solvers.starting import HINT, SEED, Budget, past


def heuristic_start(sc: JobShopScenario, params: Params, earliest: Mapping[str, int], budget: Budget | None = None,
                    *, rules: Iterable[str] | None = None, purpose: str = SEED, deadline: float | None = None,
                    stop: StopToken | None = None) -> tuple[Schedule, str, int] | None:
    """The best of the dispatch ``rules`` (default: every deterministic rule; for an exact solver's
    hint on a makespan, the rules the README's benchmarks were measured with), each under both
    generation schemes, keeping pins and earliest starts; None when no rule gives a schedule
    that passes the checker.

    Without pins, earliest starts or a budget, a single-machine shape then tries the sequence
    rules with their local search (stronger, and milliseconds). ``deadline`` (a
    ``perf_counter`` time) and ``stop`` cut the rules and the local search short.
    """
    from opsplan.solvers.dispatch.jobshop import best_rule
    from opsplan.solvers.dispatch.rules import DETERMINISTIC, MAKESPAN_HINT_RULES
    from opsplan.solvers.dispatch.single_machine import single_machine_seed

    if rules is None:
        # due-date rules only differ from their base rule when there are due dates: for a
        # makespan the hint tries the rules the benchmarks in the README were measured with
        makespan_hint = purpose == HINT and sc.objective == Objective.MAKESPAN
        rules = MAKESPAN_HINT_RULES if makespan_hint else DETERMINISTIC
    should_stop = stop.is_set if stop is not None else None
    try:
        rule, schedule, value = best_rule(sc, tuple(rules), pinned=params.pinned, earliest=earliest,
                                          should_stop=lambda: past(deadline) or (stop is not None and stop.is_set()))
    except Exception:  # a rule that cannot honour odd pins must not stop the exact solver
        return None
    if schedule is None or check(sc, schedule):
        return None
    source = f"dispatch:{rule}"
    if not params.pinned and not earliest and budget is None:
        # a single machine: the sequencing rules with their local search are stronger and take milliseconds
        better = single_machine_seed(sc, deadline=deadline, should_stop=should_stop)
        if better is not None and better[2] < value:
            schedule, source, value = better
    return schedule, source, value


def race_members(sc: JobShopScenario, params: Params) -> list[str]:
    """The race's default members for a job shop.

    * A single-machine weighted-tardiness shape: the iterated local search leads (it finds the
      best known values of wt40-wt100 within seconds) and the exact solvers work for bounds and
      proofs beside it.
    * A classic job shop (makespan, one mode per operation): cpsat leads and ``tabu`` runs a
      second tabu-search walk beside it (another seed) on the core cpsat leaves idle while its
      own tabu phase runs; the MIP is left out there, since on the 82 classic instances it never
      improved on CP-SAT and only took that core.
    * Otherwise cpsat and mip.
    """
    from opsplan.solvers.local import ils, tabu

    if ils.why_not(sc, params) is None:
        return ["ils", "cpsat", "mip"]
    if tabu.why_not(sc, params) is None and tabu.installed():
        return ["cpsat", "tabu"]
    return ["cpsat", "mip"]


def preload() -> None:
    """Import the local searches and load the compiled tabu kernel when numba's cache has it (never
    compile here: that takes seconds and is done once, after installing)."""
    from opsplan.solvers.local import ils, tabu  # noqa: F401

    if tabu.installed():
        from opsplan.solvers.local import tabu_kernel

        if tabu_kernel.is_compiled():
            tabu_kernel.warm()


__all__ = ["heuristic_start", "preload", "race_members"]
