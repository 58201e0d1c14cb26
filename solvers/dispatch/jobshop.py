"""The job shop's dispatch backend (``dispatch:<rule>`` on job shops): priority rules on the job-shop simulator.

On a single-machine scenario (one operation and one mode per job, one machine
without calendar windows or setups) the rules ``edd``, ``spt``, ``wspt``, ``mdd``,
``atc``, ``eddc`` and ``mddc`` run as sequence rules
(:mod:`opsplan.solvers.dispatch.single_machine`) instead, and
``Params.options["improve"] = True`` follows them with a local search for total
weighted tardiness (limited by ``Params.time_limit`` and
``options["improve_passes"]``).

>>> from opsplan.solvers import solve
>>> result = solve(scenario, "dispatch:spt")        # doctest: +SKIP
>>> result = solve(wt40, "dispatch:mddc", Params(options={"improve": True}))  # doctest: +SKIP
>>> rule, schedule, value = best_rule(scenario)    # doctest: +SKIP

Hard deadlines (``Job.deadline``) are not something a priority rule can promise.
When the asked rule's schedule misses one, :func:`solve` tries every
deterministic rule under both generation schemes and returns the best schedule
that meets every deadline (its ``stats["fallback"]`` names it); when none does,
the result has no schedule (termination ``completed``, status ``none``) and a
message naming the late jobs. It never returns a schedule that misses a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from opsplan.models.errors import SolverError
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.dispatch.rules import DETERMINISTIC, RULES, RuleSpec, get_rule
from opsplan.solvers.dispatch.simulator import SCHEMES, Candidate, CandidateBatch, DispatchError, JobShopSim
from opsplan.solvers.dispatch.single_machine import SEQUENCE_RULES, is_single_machine, run_single_machine
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)

NAME = "dispatch"


def variants() -> tuple[str, ...]:
    """The job shop's rule names: the variants of ``dispatch`` for job shops."""
    return tuple(RULES)


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"opsplan {version('opsplan')}"
    except Exception:  # pragma: no cover - not installed as a distribution
        return "opsplan"


VERSION = _version()


def _objective(scenario, schedule: Schedule) -> int:  # noqa: ANN001 - job-shop scenario
    from opsplan.models import objective_value

    return int(objective_value(scenario, schedule))


def _rollout(
    sim: JobShopSim, spec: RuleSpec, rng: np.random.Generator, options: Mapping[str, Any], name: str
) -> Schedule:
    sim.reset()
    return sim.run(spec.chooser(sim, rng, options)).renamed(name)


def late_jobs(scenario, schedule: Schedule) -> list[str]:  # noqa: ANN001 - job-shop scenario
    """``"<job> ends <t> > deadline <d>"`` for every job of ``schedule`` that ends after its deadline."""
    by_task = schedule.by_task()
    out: list[str] = []
    for job in scenario.jobs:
        if job.deadline is None or not job.operations:
            continue
        a = by_task.get(job.operations[-1].id)
        if a is not None and a.end > job.deadline:
            out.append(f"{job.label} ends {a.end} > deadline {job.deadline}")
    return out


def _has_deadlines(scenario) -> bool:  # noqa: ANN001 - job-shop scenario
    return any(j.deadline is not None for j in scenario.jobs)


def dispatch(
    scenario,  # noqa: ANN001 - job-shop scenario
    rule: str,
    *,
    seed: int = 0,
    pinned: tuple[Assignment, ...] = (),
    options: Mapping[str, Any] | None = None,
    scheme: str | None = None,
    earliest: Mapping[str, int] | None = None,
) -> Schedule:
    """Build one schedule with the priority rule ``rule``.

    Parameters
    ----------
    scenario
        A validated job-shop scenario.
    rule
        A name from :data:`RULES` (``fifo``, ``spt``, ``lpt``, ``mwkr``, ``mor``,
        ``edd``, ``atc``, ``cr``, ``wspt``, ``mdd``, ``eddc``, ``mddc``, ``random``).
        Always the simulator, also on one machine (the sequence rules are
        :mod:`opsplan.solvers.dispatch.single_machine`).
    seed
        Seed of the random rule (ignored by the deterministic ones).
    pinned
        Work assignments kept exactly; the rest is dispatched around them.
    options
        Rule settings, e.g. ``{"atc_k": 3.0}``.
    scheme
        Schedule-generation scheme (default: the rule's own).
    earliest
        Operation id -> earliest start (rescheduling's cut time, late operations).

    Returns
    -------
    Schedule
        Named ``dispatch:<rule>``; it passes the checker.

    Raises
    ------
    DispatchError
        When the pins cannot be honoured (a route predecessor cannot end before
        its pinned successor starts, a pin names an unknown operation/machine, or
        the rule's choices leave two pinned bars without room for their setup).
    """
    spec = get_rule(rule)
    sim = JobShopSim(scenario, pinned, scheme or spec.scheme, earliest)
    schedule = _rollout(sim, spec, np.random.default_rng(seed), options or {}, f"{NAME}:{rule}")
    if pinned and scenario.has_setups:
        # the greedy pass places work around pins but may leave two pinned bars adjacent with a
        # setup between them that does not fit (the base plan had other work between them)
        from opsplan.models import check

        broken = check(scenario, schedule)
        if broken:
            raise DispatchError(f"rule '{rule}' cannot keep the pins: {broken[0]}")
    return schedule


def best_rule(
    scenario,  # noqa: ANN001 - job-shop scenario
    rules: Iterable[str] | None = None,
    *,
    pinned: tuple[Assignment, ...] = (),
    earliest: Mapping[str, int] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[str, Schedule, int]:
    """Run several rules and keep the best schedule by the scenario's objective.

    Parameters
    ----------
    scenario
        A validated job-shop scenario.
    rules
        Rule names to try; by default every deterministic rule, in :data:`RULES` order.
    pinned
        Work assignments kept exactly.
    earliest
        Operation id -> earliest start.
    should_stop
        Once it says stop (a caller's cancel or time limit), the rules not yet run
        are skipped; at least one always runs.

    Returns
    -------
    tuple[str, Schedule, int]
        The winning rule's name, its schedule and its objective value (the first
        rule wins ties). With deadlines, a schedule that meets every deadline beats
        one that misses any, whatever their objectives (the winner may still miss
        one when no rule meets them all: check it).
    """
    names = tuple(rules) if rules is not None else DETERMINISTIC
    if not names:
        raise DispatchError("best_rule needs at least one rule")
    best: tuple[str, Schedule, int] | None = None
    best_key: tuple[bool, int] | None = None
    deadlines = _has_deadlines(scenario)
    for scheme in SCHEMES:  # each rule under both generation schemes: cheap, and neither always wins
        sim = JobShopSim(scenario, pinned, scheme, earliest)
        for name in names:
            if best is not None and should_stop is not None and should_stop():
                break
            spec = get_rule(name)
            schedule = _rollout(sim, spec, np.random.default_rng(0), {}, f"{NAME}:{name}")
            value = _objective(scenario, schedule)
            key = (deadlines and bool(late_jobs(scenario, schedule)), value)
            if best_key is None or key < best_key:
                best = (name if scheme == spec.scheme else f"{name}/{scheme}", schedule, value)
                best_key = key
    assert best is not None
    return best


def solve(
    scenario,  # noqa: ANN001 - job-shop scenario
    params: Params,
    on_progress: ProgressCallback | None,
    stop: StopToken,
    variant: str | None,
) -> Result:
    """Backend entry for ``opsplan.solvers.solve(scenario, "dispatch:<rule>")``.

    Honours ``params.pinned``, ``params.seed`` and ``params.options["earliest"]``
    (operation id -> earliest start); for ``random``,
    ``params.options["samples"]`` (default 1) runs best-of-N rollouts (sample 0
    is the schedule of ``dispatch(..., seed=params.seed)``), stopping early on
    ``stop`` or ``params.time_limit``. Other ``params.options`` go to the rule
    (``atc_k``: ATC's look-ahead).

    Single-machine scenarios (:func:`~opsplan.solvers.dispatch.single_machine.is_single_machine`)
    with a rule of :data:`~opsplan.solvers.dispatch.single_machine.SEQUENCE_RULES`, no pins,
    no ``earliest`` and no ``scheme`` option are sequenced directly;
    ``params.options["improve"] = True`` then runs the local search after the rule,
    within ``params.time_limit`` (its end is then ``time_limit``) and at most
    ``options["improve_passes"]`` passes. ``Result.stats`` tells ``path``
    (``single_machine`` or ``simulator``) and, there, ``rule_value`` and the local
    search's counters.

    Raises
    ------
    SolverError
        When ``params.options`` asks for a change budget (``max_changes``): a
        greedy rule cannot promise one; use ``cpsat``. When ``improve`` is asked for
        where the sequence rules do not apply.
    """
    t0 = time.perf_counter()
    rule = variant or "spt"
    solver = f"{NAME}:{rule}"
    spec = get_rule(rule)

    def result(term: Termination, status: SolutionStatus, sched: Schedule | None, obj, msg: str = "", **stats):
        return Result(term, status, sched, obj, None, time.perf_counter() - t0, solver, VERSION, msg, stats=stats)

    if params.options.get("max_changes") is not None:
        raise SolverError(f"solver '{solver}' cannot honour a change budget (max_changes); use cpsat")
    options = dict(params.options)
    earliest = options.pop("earliest", None)
    for key in ("baseline", "max_changes", "change_tolerance"):
        options.pop(key, None)
    improve = options.pop("improve", False)
    improve_passes = options.pop("improve_passes", None)
    if improve not in (None, False, True):
        raise SolverError(f"option 'improve' must be true or false, got {improve!r}")
    sequenced = (
        rule in SEQUENCE_RULES
        and not params.pinned
        and earliest is None
        and "scheme" not in options
        and is_single_machine(scenario)
    )
    if improve and not sequenced:
        raise SolverError(
            f"option 'improve' needs a single-machine scenario without pins, earliest starts or scheme, "
            f"and one of the rules {', '.join(SEQUENCE_RULES)} (got '{solver}')"
        )
    if stop.is_set():
        return result(Termination.CANCELLED, SolutionStatus.NONE, None, None, "cancelled before start")
    if sequenced:
        limit = None if params.time_limit is None else max(0.0, params.time_limit - (time.perf_counter() - t0))
        schedule, stats = run_single_machine(
            scenario,
            rule,
            options,
            bool(improve),
            name=solver,
            time_limit=limit,
            max_passes=None if improve_passes is None else int(improve_passes),
            should_stop=stop.is_set,
        )
        late = late_jobs(scenario, schedule)
        if late:
            return _deadline_fallback(scenario, params, earliest, solver, late, result, on_progress, **stats)
        value = _objective(scenario, schedule)
        stopped = stats.get("improve_stopped")
        termination = {"time_limit": Termination.TIME_LIMIT, "cancelled": Termination.CANCELLED}.get(
            stopped, Termination.COMPLETED
        )
        res = result(termination, SolutionStatus.FEASIBLE, schedule, value, samples=1, path="single_machine", **stats)
        if on_progress is not None:
            on_progress(Progress(float(value), None, res.runtime_s, solver))
        return res
    samples = max(1, int(options.pop("samples", 1)))
    if spec.deterministic:
        samples = 1  # every rollout would be the same
    try:
        sim = JobShopSim(scenario, params.pinned, options.pop("scheme", spec.scheme), earliest)
        best: tuple[Schedule, int] | None = None
        best_key: tuple[bool, int] = (False, 0)
        deadlines = _has_deadlines(scenario)
        termination = Termination.COMPLETED
        done = 0
        for i in range(samples):
            if i > 0:
                if stop.is_set():
                    termination = Termination.CANCELLED
                    break
                if params.time_limit is not None and time.perf_counter() - t0 >= params.time_limit:
                    termination = Termination.TIME_LIMIT
                    break
            rng = np.random.default_rng(params.seed if i == 0 else [params.seed, i])
            schedule = _rollout(sim, spec, rng, options, solver)
            value = _objective(scenario, schedule)
            done += 1
            key = (deadlines and bool(late_jobs(scenario, schedule)), value)
            if best is None or key < best_key:
                best, best_key = (schedule, value), key
    except DispatchError as exc:
        return result(Termination.ERROR, SolutionStatus.NONE, None, None, str(exc))
    assert best is not None
    schedule, value = best
    late = late_jobs(scenario, schedule)
    if late:
        return _deadline_fallback(scenario, params, earliest, solver, late, result, on_progress, samples=done)
    res = result(termination, SolutionStatus.FEASIBLE, schedule, value, samples=done, path="simulator")
    if on_progress is not None:
        on_progress(Progress(float(value), None, res.runtime_s, solver))
    return res


def _deadline_fallback(scenario, params: Params, earliest, solver: str, late: list[str], result, on_progress,
                       **stats) -> Result:  # noqa: ANN001
    """The asked rule missed a deadline: the best deterministic rule/scheme that meets them all, or no schedule."""
    missed = f"{solver} misses a deadline ({'; '.join(late)})"
    try:
        rule, schedule, value = best_rule(scenario, DETERMINISTIC, pinned=params.pinned, earliest=earliest)
    except DispatchError:
        schedule = None
    if schedule is None or late_jobs(scenario, schedule):
        return result(
            Termination.COMPLETED, SolutionStatus.NONE, None, None,
            f"{missed}, and so does every other dispatch rule: no schedule (try cpsat or mip)",
            **{**stats, "late": late},
        )
    schedule = schedule.renamed(solver)
    res = result(
        Termination.COMPLETED, SolutionStatus.FEASIBLE, schedule, value,
        f"{missed}; used dispatch:{rule}, which meets every deadline",
        **{**stats, "fallback": f"dispatch:{rule}", "late": late},
    )
    if on_progress is not None:
        on_progress(Progress(float(value), None, res.runtime_s, solver))
    return res


__all__ = [
    "RULES",
    "Candidate",
    "CandidateBatch",
    "DispatchError",
    "JobShopSim",
    "RuleSpec",
    "SEQUENCE_RULES",
    "best_rule",
    "dispatch",
    "late_jobs",
    "solve",
    "variants",
]
