"""Dispatch backend (``dispatch:<rule>``): priority rules on the job-shop simulator.

>>> from opsplan.solvers import solve
>>> result = solve(scenario, "dispatch:spt")        # doctest: +SKIP
>>> rule, schedule, value = best_rule(scenario)    # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from opsplan.models.errors import SolverError
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.dispatch.rules import DETERMINISTIC, RULES, RuleSpec, get_rule
from opsplan.solvers.dispatch.simulator import SCHEMES, Candidate, CandidateBatch, DispatchError, JobShopSim
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
        ``edd``, ``atc``, ``cr``, ``random``).
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
        its pinned successor starts, or a pin names an unknown operation/machine).
    """
    spec = get_rule(rule)
    sim = JobShopSim(scenario, pinned, scheme or spec.scheme, earliest)
    return _rollout(sim, spec, np.random.default_rng(seed), options or {}, f"{NAME}:{rule}")


def best_rule(
    scenario,  # noqa: ANN001 - job-shop scenario
    rules: Iterable[str] | None = None,
    *,
    pinned: tuple[Assignment, ...] = (),
    earliest: Mapping[str, int] | None = None,
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

    Returns
    -------
    tuple[str, Schedule, int]
        The winning rule's name, its schedule and its objective value (the first
        rule wins ties).
    """
    names = tuple(rules) if rules is not None else DETERMINISTIC
    if not names:
        raise DispatchError("best_rule needs at least one rule")
    best: tuple[str, Schedule, int] | None = None
    for scheme in SCHEMES:  # each rule under both generation schemes: cheap, and neither always wins
        sim = JobShopSim(scenario, pinned, scheme, earliest)
        for name in names:
            spec = get_rule(name)
            schedule = _rollout(sim, spec, np.random.default_rng(0), {}, f"{NAME}:{name}")
            value = _objective(scenario, schedule)
            if best is None or value < best[2]:
                best = (name if scheme == spec.scheme else f"{name}/{scheme}", schedule, value)
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
    ``stop`` or ``params.time_limit``. Other ``params.options`` go to the rule.

    Raises
    ------
    SolverError
        When ``params.options`` asks for a change budget (``max_changes``): a
        greedy rule cannot promise one; use ``cpsat``.
    """
    t0 = time.perf_counter()
    rule = variant or "spt"
    solver = f"{NAME}:{rule}"
    spec = get_rule(rule)

    def result(term: Termination, status: SolutionStatus, sched: Schedule | None, obj, msg: str = "", **stats):
        return Result(term, status, sched, obj, None, time.perf_counter() - t0, solver, VERSION, msg, stats=stats)

    if params.options.get("max_changes") is not None:
        raise SolverError(f"solver '{solver}' cannot honour a change budget (max_changes); use cpsat")
    if stop.is_set():
        return result(Termination.CANCELLED, SolutionStatus.NONE, None, None, "cancelled before start")
    options = dict(params.options)
    earliest = options.pop("earliest", None)
    for key in ("baseline", "max_changes", "change_tolerance"):
        options.pop(key, None)
    samples = max(1, int(options.pop("samples", 1)))
    if spec.deterministic:
        samples = 1  # every rollout would be the same
    try:
        sim = JobShopSim(scenario, params.pinned, options.pop("scheme", spec.scheme), earliest)
        best: tuple[Schedule, int] | None = None
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
            if best is None or value < best[1]:
                best = (schedule, value)
    except DispatchError as exc:
        return result(Termination.ERROR, SolutionStatus.NONE, None, None, str(exc))
    assert best is not None
    schedule, value = best
    res = result(termination, SolutionStatus.FEASIBLE, schedule, value, samples=done)
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
    "best_rule",
    "dispatch",
    "solve",
]
