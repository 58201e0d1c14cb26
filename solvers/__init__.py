"""Solving: one entry point, one result type, a lazy registry of backends."""

from __future__ import annotations

import time
from dataclasses import replace

from opsplan.models.errors import SolverError, ValidationError
from opsplan.solvers.registry import (
    CAPABILITIES,
    CHANGE_BUDGET,
    EARLIEST,
    PINS,
    available,
    capabilities,
    known,
    load,
    refusal,
    split_name,
    supports,
    variants,
    why_not,
)
from opsplan.solvers.result import (
    Conflict,
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)


def solve(
    scenario,  # noqa: ANN001 - any scenario kind
    solver: str = "cpsat",
    params: Params | None = None,
    on_progress: ProgressCallback | None = None,
    stop: StopToken | None = None,
) -> Result:
    """Solve ``scenario`` with the backend named ``solver``.

    Parameters
    ----------
    scenario
        A validated scenario document of any kind.
    solver
        A registry name, e.g. ``"cpsat"`` or ``"dispatch:spt"``.
    params
        Limits, threads, seed, warm start, pinned assignments.
    on_progress
        Called with every improving solution (objective, bound, elapsed time).
    stop
        Cancel token; a running solve returns within about a second once it is set.

    Returns
    -------
    Result
        Never raises for infeasibility; raises :class:`SolverError` for an
        unknown or uninstalled solver, a solver without an entry for the scenario's
        kind, a shape the backend cannot run (its ``why_not``), or options the
        backend cannot honour (pinned assignments, ``earliest``, a change budget
        ``max_changes``; see :data:`CAPABILITIES` and :func:`supports`).
    """
    from opsplan.models import validate
    from opsplan.models.kinds import descriptor

    kind = scenario.kind
    backend, variant = split_name(solver, kind)
    caps = capabilities(backend, kind)
    options = params.options if params is not None else {}
    for key, capability, what in (
        ("earliest", EARLIEST, "earliest start times"),
        ("max_changes", CHANGE_BUDGET, "a change budget (max_changes)"),
    ):
        if options.get(key) is not None and capability not in caps:
            able = ", ".join(available(kind, capability)) or "none installed"
            raise SolverError(f"solver '{solver}' cannot honour {what}; use one of: {able}")
    kind_descriptor = descriptor(kind)
    pinnable = kind_descriptor.pinnable
    if params is not None and any(a.category not in pinnable for a in params.pinned):
        # pins may come straight from a plan's assignments: a job shop's setup bars are not tasks
        params = replace(params, pinned=tuple(a for a in params.pinned if a.category in pinnable))
    if params is not None and params.pinned and PINS not in caps:
        raise SolverError("solver " + refusal(solver, kind, PINS, f"pinned {kind_descriptor.task_word}s"))
    issues = validate(scenario)
    if issues:
        raise ValidationError(issues, source=getattr(scenario, "name", None))
    params = params or Params()
    reason = why_not(backend, scenario, params)
    if reason:
        raise SolverError(f"solver '{solver}' cannot run on '{getattr(scenario, 'name', kind)}': {reason}")
    module = load(backend, kind)
    stop = stop or StopToken()
    t0 = time.perf_counter()
    result: Result = module.solve(scenario, params, _bound_kept(on_progress), stop, variant)
    if result.runtime_s <= 0:
        result = replace(result, runtime_s=time.perf_counter() - t0)
    if result.schedule is not None:
        result = _checked(scenario, params, result)
    if result.termination == Termination.INFEASIBLE and not result.conflicts and options.get("explain", True):
        result = _explained(scenario, params, result, stop)
    return result


def _bound_kept(on_progress: ProgressCallback | None) -> ProgressCallback | None:
    """``on_progress`` whose reported bound never goes down: a bound proved once stays proved,
    while a solver that chains phases (a tabu start with a simple lower bound, then CP-SAT whose
    search starts from a weaker one) would otherwise report it falling (swv11: 2983, then 1104).
    Objectives pass as they are: a race reports each member's own."""
    if on_progress is None:
        return None
    best: list[float] = []

    def report(p: Progress) -> None:
        if p.bound is not None:
            if best and p.bound < best[0]:
                p = replace(p, bound=best[0])
            else:
                best[:] = [p.bound]
        on_progress(p)

    return report


def _checked(scenario, params: Params, result: Result) -> Result:  # noqa: ANN001
    """``result``, or an error without a schedule when its schedule fails the independent checker:
    no solver hands out a broken plan (impossible pins are the usual cause, e.g. one inside a
    calendar window, before its job's release or out of route order)."""
    from opsplan.models import check

    violations = check(scenario, result.schedule)
    if not violations:
        return result
    why = f"{result.solver or 'the solver'}'s schedule breaks {len(violations)} constraint(s), e.g. {violations[0]}"
    if params.pinned:
        from opsplan.models.kinds import descriptor

        why += f"; the pinned {descriptor(scenario).task_word}s may be impossible to keep"
    return replace(result, termination=Termination.ERROR, solution_status=SolutionStatus.NONE, schedule=None,
                   objective=None, bound=None, message=why,
                   stats={**result.stats, "violations": [str(v) for v in violations[:20]]})


def _explained(scenario, params: Params, result: Result, stop: StopToken) -> Result:  # noqa: ANN001
    """``result`` with the conflicting business constraints named (when an explainer exists for the kind)."""
    from opsplan.solvers.explain import explain

    limit = float(params.options.get("explain_time_limit", 10.0))
    found = explain(scenario, params, limit, stop)
    if found is None or not found.conflicts:
        return result
    stats = {**result.stats, "explain_s": round(found.runtime_s, 3), "explain_minimal": found.minimal,
             "explanation": found.message}
    return replace(result, conflicts=found.conflicts, stats=stats)


__all__ = [
    "CAPABILITIES",
    "CHANGE_BUDGET",
    "Conflict",
    "EARLIEST",
    "PINS",
    "Params",
    "Progress",
    "ProgressCallback",
    "Result",
    "SolutionStatus",
    "SolverError",
    "StopToken",
    "Termination",
    "available",
    "known",
    "solve",
    "supports",
    "variants",
    "why_not",
]
