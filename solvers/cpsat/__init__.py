"""OR-Tools CP-SAT backend (``cpsat``), for every kind that registers a CP-SAT model builder.

The flow is the same for every kind: a starting schedule (the warm start, else the kind's
heuristic, see :mod:`opsplan.solvers.starting`), which the kind's builder may improve first
(the job shop's tabu phase); the model from the kind's builder (:mod:`.builder`), with the
pins, earliest starts and change budget of :mod:`.parts`; the start as a hint; the search on the
engine (:mod:`.engine`: cancel, progress, status); and a result that is never worse than the
start. The kind's builder is the ``"builder"`` part of ``cpsat``'s registry entry for the kind.
"""

from __future__ import annotations

import time

from opsplan.models import objective_value
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Schedule, count_changes
from opsplan.solvers import registry
from opsplan.solvers.cpsat import parts
from opsplan.solvers.cpsat.builder import CpModelBuilder
from opsplan.solvers.cpsat.engine import (
    NAME,
    VERSION,
    SolutionCallback,
    StopBridge,
    budget_ends,
    change_budget,
    configure,
    new_solver,
    outcome,
)
from opsplan.solvers.result import (
    Params,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)
from opsplan.solvers.starting import HINT, earliest_starts, start_deadline, starting_schedule
from ortools.sat.python import cp_model


def builder_for(sc) -> CpModelBuilder:  # noqa: ANN001 - a scenario of any kind
    """A new model builder for ``sc`` (the kind's ``cpsat`` builder from the registry)."""
    return registry.part(NAME, sc.kind, "builder")(sc)


def _initial_schedule(sc, params: Params, earliest, budget, deadline=None, stop=None,  # noqa: ANN001
                      ) -> tuple[Schedule | None, str, int | None, bool]:
    """The warm start if feasible, else the kind's heuristic for a hint (see :func:`starting_schedule`)."""
    return starting_schedule(sc, params, earliest, None, budget, deadline=deadline, stop=stop, purpose=HINT)


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:  # noqa: ANN001
    t0 = time.perf_counter()
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, VERSION)

    builder = builder_for(sc)
    word = descriptor(sc).task_word
    earliest = earliest_starts(params)
    budget = change_budget(params)
    no_hint = params.options.get("no_hint")
    hint, hint_source, hint_value, exact = (
        (None, "", None, False) if no_hint
        else _initial_schedule(sc, params, earliest, budget, start_deadline(t0, params), stop)
    )
    start_stats: dict = {}
    improve = getattr(builder, "improve_start", None)  # optional in the protocol
    if improve is not None and hint is not None and exact and not stop.is_set():
        hint, hint_source, hint_value, start_stats = improve(params, hint, hint_source, hint_value, on_progress,
                                                             stop, t0)
    started = params.options.get("started")
    if started is not None:
        started()  # the race: from here on a better shared schedule may be a reason to restart
    if stop.is_set():
        if hint is not None and exact:
            # cancelled while starting (in the tabu search, say): the best start so far is the answer
            return Result(Termination.CANCELLED, SolutionStatus.FEASIBLE, Schedule(hint.assignments, NAME),
                          objective_value(sc, hint), start_stats.get("lower_bound"), time.perf_counter() - t0,
                          NAME, VERSION, message=f"cancelled before CP-SAT started; the result is {hint_source}",
                          stats={"hint": hint_source, "hint_objective": hint_value, **start_stats})
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None,
                      time.perf_counter() - t0, NAME, VERSION, message="cancelled before the search started")
    # earliest starts, pins and, under a change budget, the old plan's bars that stay may sit late:
    # a serial plan after the latest of them still fits
    late = max([0, *earliest.values(), *(a.end for a in params.pinned), *budget_ends(budget)])
    # only schedules at least as good as an exact start matter: the builder may shrink the domains to it
    horizon = builder.horizon(late, hint if hint is not None and exact else None)
    builder.variables(cp_model.CpModel(), horizon)
    builder.constraints()
    m, tasks = builder.model, builder.tasks
    parts.add_pins(m, tasks, params.pinned, word=word)
    if earliest:
        parts.add_earliest(m, tasks, earliest, word=word)
    if budget is not None:
        parts.add_change_budget(m, tasks, budget[0], budget[1], budget[2], params.pinned, word=word)
    # Measured: a trivial lower bound in the objective's domain stops CP-SAT's own
    # bound from improving (la21: 935 stays, against 995 without it), so none is set.
    builder.objective()
    if hint is not None:
        builder.hint(hint)

    solver = new_solver()
    log_lines = configure(solver, params, t0)
    cb = SolutionCallback(on_progress, t0, lambda values: builder.read_schedule(values, NAME),
                          params.options.get("on_solution"))
    with StopBridge(stop, solver):
        status = solver.solve(m, cb)
    recheck = ""
    p = solver.parameters
    if status == cp_model.INFEASIBLE and builder.optional_intervals and not p.use_strong_propagation_in_disjunctive \
            and not stop.is_set():
        # OR-Tools 9.15's default no-overlap propagation proved a feasible flexible shop infeasible
        # (see new_solver); the strong one does not, but slows the search a lot on flexible shops
        # (Brandimarte at 5 s: 11.3 % against 7.0 %), so only a claim of infeasibility is checked with it
        check = new_solver(optional_intervals=True)
        check.parameters.copy_from(p)
        check.parameters.use_strong_propagation_in_disjunctive = True
        if params.time_limit is not None:
            check.parameters.max_time_in_seconds = max(1.0, float(params.time_limit) - (time.perf_counter() - t0))
        with StopBridge(stop, check):
            status = check.solve(m, cb)
        solver = check
        recheck = "infeasibility checked with strong no-overlap propagation"
    runtime = time.perf_counter() - t0

    term, sol = outcome(status, solver, params, stop.is_set())
    schedule = objective = None
    bound = solver.best_objective_bound if sol != SolutionStatus.NONE or term != Termination.ERROR else None
    if sol != SolutionStatus.NONE:
        schedule = builder.read_schedule(solver, NAME)
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
        **start_stats,
    }
    if budget is not None:
        stats["max_changes"] = budget[1]
        if schedule is not None:
            stats["changes"] = count_changes(Schedule(budget[0]), schedule, budget[2])
    return Result(
        term, sol, schedule, objective, bound, runtime, NAME, VERSION,
        message=message, log="\n".join(log_lines), stats=stats,
    )


__all__ = ["NAME", "VERSION", "builder_for", "solve"]
