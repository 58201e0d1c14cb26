"""Disruptions and rescheduling of a job-shop plan (pure Python, no Qt).

A plan is running when something goes wrong: a machine breaks down
(:class:`MachineDown`) or an operation will start late (:class:`OperationLate`).
Rescheduling keeps the past and re-plans the future:

1. :func:`prepare` fixes the *cut time* ``t``, the *frozen* assignments (what
   already started) and the *new scenario* (the breakdown added to the machine's
   calendar), and an ``earliest`` start for every other operation;
2. :func:`reschedule` solves the new scenario with the frozen assignments pinned,
   optionally under a *change budget*: at most K operations may differ from the
   old plan.

>>> down = parse_down("M3@120+60")                      # doctest: +SKIP
>>> new_sc, result = reschedule(sc, plan, [down], max_changes=5)   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from opsplan.models.core import MAX_TIME, Calendar, Issue, Window
from opsplan.models.errors import OpsPlanError, ValidationError
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Category, Schedule, schedule_diff
from opsplan.solvers.result import Params, ProgressCallback, Result, StopToken

BREAKDOWN = "breakdown"  # reason of the calendar window a MachineDown adds


class DisruptionError(OpsPlanError):
    """A disruption written in text could not be read (one line, with the expected form)."""


@dataclass(frozen=True, slots=True)
class MachineDown:
    """Machine ``machine`` is unavailable over ``[at, at + duration)`` (breakdown and repair)."""

    machine: str
    at: int
    duration: int

    @property
    def end(self) -> int:
        """When the machine is back."""
        return self.at + self.duration

    def __str__(self) -> str:
        return f"{self.machine}@{self.at}+{self.duration}"


@dataclass(frozen=True, slots=True)
class OperationLate:
    """Operation ``task`` cannot start before its planned start plus ``delay``."""

    task: str
    delay: int

    def __str__(self) -> str:
        return f"{self.task}@+{self.delay}"


Disruption = MachineDown | OperationLate

_DOWN = re.compile(r"^(?P<machine>\S+)@(?P<at>\d+)\+(?P<duration>\d+)$")
_LATE = re.compile(r"^(?P<task>\S+)@\+(?P<delay>\d+)$")


def parse_down(text: str) -> MachineDown:
    """``"M3@120+60"`` -> ``MachineDown("M3", 120, 60)``: machine M3 down from 120 for 60.

    Raises :class:`DisruptionError` (one line) for any other form or a zero duration.
    Whether the machine exists is checked against a scenario by :func:`validate_disruptions`.
    """
    m = _DOWN.match(text.strip())
    if m is None:
        raise DisruptionError(f"bad machine breakdown {text!r}: expected MACHINE@AT+DURATION, e.g. M3@120+60")
    down = MachineDown(m["machine"], _number(m["at"], text), _number(m["duration"], text))
    if down.duration <= 0:
        raise DisruptionError(f"bad machine breakdown {text!r}: the duration must be positive")
    return down


def parse_late(text: str) -> OperationLate:
    """``"J3.2@+30"`` -> ``OperationLate("J3.2", 30)``: operation J3.2 starts 30 later than planned.

    Raises :class:`DisruptionError` (one line) for any other form or a zero delay.
    """
    m = _LATE.match(text.strip())
    if m is None:
        raise DisruptionError(f"bad late operation {text!r}: expected TASK@+DELAY, e.g. J3.2@+30")
    late = OperationLate(m["task"], _number(m["delay"], text))
    if late.delay <= 0:
        raise DisruptionError(f"bad late operation {text!r}: the delay must be positive")
    return late


def _number(digits: str, text: str) -> int:
    # more than 10 significant digits is past the range, however many (int() refuses 4300+)
    value = int(digits) if len(digits.lstrip("0")) <= 10 else MAX_TIME + 1
    if value > MAX_TIME:
        raise DisruptionError(f"bad disruption {text[:60]!r}: {digits[:20]}{'...' if len(digits) > 20 else ''} "
                              f"is past the largest time {MAX_TIME}")
    return value


def _some(ids: Iterable[str], limit: int = 8) -> str:
    ids = list(ids)
    more = f", ... ({len(ids) - limit} more)" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _event_time(d: Disruption, planned: Mapping[str, Assignment]) -> int | None:
    """When a disruption happens: a breakdown's ``at``; a late operation's planned start."""
    if isinstance(d, MachineDown):
        return d.at
    a = planned.get(d.task)
    return None if a is None else a.start


def validate_disruptions(
    scenario: JobShopScenario,
    schedule: Schedule,
    disruptions: Sequence[Disruption],
    at: int | None = None,
) -> list[Issue]:
    """Every problem of ``disruptions`` against ``scenario`` and the running ``schedule``.

    Unknown machines or operations, non-positive durations or delays, a late
    operation the schedule does not place or that already started before the cut
    time, a cut time after a disruption (a breakdown in the past cannot be
    re-planned), a schedule placing unknown operations, and nothing to do at all.
    Paths are ``disruptions[i]`` and ``at``.
    """
    issues: list[Issue] = []
    planned = schedule.by_task()
    ops = scenario.operation_index
    seen: set[str] = set()
    for a in schedule.work():
        if a.task not in ops:
            issues.append(Issue("schedule", f"assigns unknown operation '{a.task}'"))
            continue
        # the running plan is the past: what no plan can be is an input error, not a solver's to find
        job, _, op = ops[a.task]
        if a.task in seen:
            issues.append(Issue("schedule", f"assigns operation '{a.task}' more than once"))
        elif op.mode_on(a.resource) is None:
            issues.append(Issue("schedule", f"places operation '{a.task}' on '{a.resource}', which it cannot use "
                                            f"(modes: {_some(m.resource for m in op.modes)})"))
        elif a.end < a.start:
            issues.append(Issue("schedule", f"operation '{a.task}' ends at {a.end}, before its start {a.start}"))
        seen.add(a.task)
    if not disruptions and at is None:
        issues.append(Issue("", "nothing to reschedule: give a disruption or a cut time"))
    if at is not None and at < 0:
        issues.append(Issue("at", f"the cut time must not be negative, got {at}"))
    for i, d in enumerate(disruptions):
        p = f"disruptions[{i}] ({d})"
        if isinstance(d, MachineDown):
            if d.machine not in scenario.machine_index:
                issues.append(Issue(p, f"unknown machine '{d.machine}' (have: {_some(scenario.machine_index)})"))
            if d.at < 0:
                issues.append(Issue(p, f"the breakdown time must not be negative, got {d.at}"))
            if d.duration <= 0:
                issues.append(Issue(p, f"the duration must be positive, got {d.duration}"))
            if d.end > MAX_TIME:
                issues.append(Issue(p, f"the machine is back at {d.end}, past the largest time {MAX_TIME}"))
        elif isinstance(d, OperationLate):
            if d.task not in ops:
                issues.append(Issue(p, f"unknown operation '{d.task}'"))
            elif d.task not in planned:
                issues.append(Issue(p, f"operation '{d.task}' is not in the schedule"))
            if d.delay <= 0:
                issues.append(Issue(p, f"the delay must be positive, got {d.delay}"))
        else:
            issues.append(Issue(p, f"not a disruption: {type(d).__name__}"))
            continue
        when = _event_time(d, planned)
        if at is not None and when is not None and at > when:
            what = "breaks down" if isinstance(d, MachineDown) else "was planned to start"
            issues.append(Issue(p, f"the cut time {at} is after the disruption ({what} at {when})"))
    return issues


@dataclass(frozen=True)
class ReschedulePlan:
    """What :func:`prepare` decided; the input of the solve.

    ``scenario`` is the new scenario (breakdowns in the machines' calendars),
    ``original`` the old one, ``baseline`` the old schedule. ``at`` is the cut
    time. ``frozen`` are the old work assignments kept exactly, ``interrupted``
    the old assignments cut by a breakdown (re-planned), ``earliest`` the
    earliest start of every operation that is not frozen.
    """

    scenario: JobShopScenario
    original: JobShopScenario
    baseline: Schedule
    disruptions: tuple[Disruption, ...]
    at: int
    frozen: tuple[Assignment, ...]
    interrupted: tuple[Assignment, ...]
    earliest: Mapping[str, int] = field(hash=False)

    @property
    def name(self) -> str:
        """Name of the rescheduled plan."""
        return f"{self.baseline.name or 'plan'} rescheduled @{self.at}"

    def baseline_fits(self) -> bool:
        """True when the old schedule is still feasible: checker on the new scenario and every earliest start."""
        return fits(self.scenario, self.baseline, self.earliest)

    def params(
        self, base: Params | None = None, max_changes: int | None = None, tolerance: int = 0
    ) -> Params:
        """``base`` with the frozen assignments pinned, the earliest starts and the change budget.

        The user's own pins in ``base`` are kept for operations that are not frozen.
        The warm start is the old schedule when it still fits, else ``base``'s warm
        start when that fits, else none.
        """
        base = base or Params()
        frozen_tasks = {a.task for a in self.frozen}
        pinned = self.frozen + tuple(
            a for a in base.pinned if a.category == Category.WORK and a.task not in frozen_tasks
        )
        options = dict(base.options)
        options["earliest"] = dict(self.earliest)
        if max_changes is not None:
            options["baseline"] = self.baseline.work()
            options["max_changes"] = int(max_changes)
            options["change_tolerance"] = int(tolerance)
        warm = None
        if self.baseline_fits():
            warm = self.baseline
        elif base.warm_start is not None and fits(self.scenario, base.warm_start, self.earliest):
            warm = base.warm_start
        return replace(base, pinned=pinned, warm_start=warm, options=options)


def fits(scenario: JobShopScenario, schedule: Schedule, earliest: Mapping[str, int]) -> bool:
    """True when ``schedule`` passes the checker on ``scenario`` and starts nothing before its earliest time."""
    from opsplan.models import check

    by_task = schedule.by_task()
    if any(task in by_task and by_task[task].start < t for task, t in earliest.items()):
        return False
    return not check(scenario, schedule)


def _with_downtime(scenario: JobShopScenario, downs: Sequence[MachineDown]) -> JobShopScenario:
    if not downs:
        return scenario
    machines = []
    for m in scenario.machines:
        extra = tuple(Window(d.at, d.end, BREAKDOWN) for d in downs if d.machine == m.id)
        if extra:
            m = replace(m, calendar=Calendar(m.calendar.windows + extra))
        machines.append(m)
    return replace(scenario, machines=tuple(machines))


def prepare(
    scenario: JobShopScenario,
    schedule: Schedule,
    disruptions: Iterable[Disruption],
    at: int | None = None,
) -> ReschedulePlan:
    """Decide what stays, what moves and from when.

    Cut time ``t``
        ``at`` when given (it must not be after any disruption); otherwise the
        earliest disruption: a breakdown's ``at``, a late operation's planned start.
    Frozen
        Every old work assignment that started before ``t`` (``start < t``) stays
        exactly as it is (it is pinned), **except** an operation *interrupted* by a
        breakdown: one running on the broken machine at the breakdown time
        (``start < at < end`` on that machine). It is not frozen; it restarts from
        scratch no earlier than ``t``, and on the broken machine necessarily after
        the repair (the calendar blocks ``[at, at + duration)``, and it did not fit
        before the breakdown). An operation ending exactly at ``at`` is not
        interrupted.
    New scenario
        The old one with ``[at, at + duration)`` (reason ``"breakdown"``) added to
        each broken machine's calendar; everything else unchanged.
    Earliest
        Every operation that is not frozen starts at or after ``t``; a late
        operation at or after ``max(t, planned start + delay)`` (the largest delay
        when one is given twice).

    Raises
    ------
    ValidationError
        Unknown machine or operation, a late operation that already started, a cut
        time after a disruption, ... (every issue, see :func:`validate_disruptions`).
    """
    disruptions = tuple(disruptions)
    issues = validate_disruptions(scenario, schedule, disruptions, at)
    if issues:
        raise ValidationError(issues, source="disruptions")
    planned = schedule.by_task()
    times = [t for d in disruptions if (t := _event_time(d, planned)) is not None]
    t = at if at is not None else min(times)
    downs = [d for d in disruptions if isinstance(d, MachineDown)]

    frozen: list[Assignment] = []
    interrupted: list[Assignment] = []
    for a in schedule.work():
        if a.start >= t:
            continue
        if any(d.machine == a.resource and a.start < d.at < a.end for d in downs):
            interrupted.append(a)
        else:
            frozen.append(a)
    frozen_tasks = {a.task for a in frozen}
    earliest = {op_id: t for op_id in scenario.operation_index if op_id not in frozen_tasks}
    for d in disruptions:
        if isinstance(d, OperationLate):
            earliest[d.task] = max(earliest[d.task], planned[d.task].start + d.delay)
    return ReschedulePlan(
        scenario=_with_downtime(scenario, downs),
        original=scenario,
        baseline=schedule,
        disruptions=disruptions,
        at=t,
        frozen=tuple(frozen),
        interrupted=tuple(interrupted),
        earliest=MappingProxyType(earliest),
    )


def changed_operations(old: Schedule, new: Schedule, tolerance: int = 0) -> tuple[str, ...]:
    """Operations that differ between two plans, in the order of ``old`` then new ones.

    An operation is *changed* when it runs on another machine, starts more than
    ``tolerance`` away from its old start, or is placed in only one of the plans.
    Frozen operations are identical in both plans, so they never count.
    """
    diff = schedule_diff(old, new, tolerance)
    return tuple(t for t in dict.fromkeys([*old.by_task(), *new.by_task()]) if t in diff)


def count_changes(old: Schedule, new: Schedule, tolerance: int = 0) -> int:
    """How many operations differ (see :func:`changed_operations`); what ``max_changes`` limits."""
    return len(changed_operations(old, new, tolerance))


def reschedule(
    scenario: JobShopScenario,
    schedule: Schedule,
    disruptions: Iterable[Disruption],
    solver: str = "cpsat",
    params: Params | None = None,
    max_changes: int | None = None,
    tolerance: int = 0,
    on_progress: ProgressCallback | None = None,
    stop: StopToken | None = None,
    *,
    at: int | None = None,
) -> tuple[JobShopScenario, Result]:
    """Re-plan ``schedule`` after ``disruptions``; returns the new scenario and the solve's result.

    See :func:`prepare` for the cut time, the frozen and the interrupted
    operations. The frozen assignments are pinned, every other operation gets
    its earliest start (``Params.options["earliest"]``), the old schedule is the
    warm start when it still fits the new scenario.

    With ``max_changes = K`` at most K operations may be *changed*: not frozen,
    and on another machine than in the old plan or starting more than
    ``tolerance`` away from their old start (:func:`count_changes`). An
    interrupted operation restarts after the repair, so it counts as a change
    unless the tolerance covers that shift. Only backends with the
    ``change_budget`` capability accept a budget (``cpsat``); others raise
    :class:`~opsplan.models.errors.SolverError`.

    The result's schedule is named ``"<old name or 'plan'> rescheduled @<t>"`` and
    ``result.stats["reschedule"]`` holds ``at``, ``frozen``, ``interrupted``,
    ``changes``, ``max_changes`` and ``tolerance``. Infeasibility (e.g. a budget
    too small for the interrupted operations) is a status, not an exception.
    """
    from opsplan.solvers import solve

    plan = prepare(scenario, schedule, disruptions, at)
    p = plan.params(params, max_changes, tolerance)
    result = solve(plan.scenario, solver, p, on_progress, stop)
    info = {
        "at": plan.at,
        "frozen": len(plan.frozen),
        "interrupted": [a.task for a in plan.interrupted],
        "max_changes": max_changes,
        "tolerance": tolerance,
        "changes": None,
    }
    if result.schedule is not None:
        info["changes"] = count_changes(schedule, result.schedule, tolerance)
        result = replace(result, schedule=result.schedule.renamed(plan.name))
    if result.conflicts:
        result = replace(result, conflicts=_in_the_callers_terms(result.conflicts, scenario, plan))
    return plan.scenario, replace(result, stats={**result.stats, "reschedule": info})


def _in_the_callers_terms(conflicts, scenario: JobShopScenario, plan: ReschedulePlan) -> tuple:  # noqa: ANN001
    """Conflicts as the caller knows the re-plan: a breakdown window the re-plan added to a
    calendar is the disruption (``disruptions[i]``), since the caller's file has no such window;
    the pin that keeps an operation already started is that start (code ``started``), not a
    pin the planner set; the earliest start the cut time imposes is the cut time."""
    downs = [(i, d) for i, d in enumerate(plan.disruptions) if isinstance(d, MachineDown)]
    where: dict[str, str] = {}
    for mi, m in enumerate(scenario.machines):
        mine = [i for i, d in downs if d.machine == m.id]
        for k, i in enumerate(mine):  # appended in order after the machine's own windows
            where[f"machines[{mi}].calendar[{len(m.calendar.windows) + k}]"] = f"disruptions[{i}]"
    frozen = {a.task: a for a in plan.frozen}
    late = {d.task for d in plan.disruptions if isinstance(d, OperationLate)}
    out = []
    for c in conflicts:
        if c.path in where:
            c = replace(c, path=where[c.path])
        op = c.objects[0] if c.objects else None
        if c.code == "pin" and op in frozen:
            a = frozen[op]
            c = replace(c, code="started", message=f"operation {op} started on {a.resource} at {a.start}, "
                        f"before the re-plan time {plan.at}, and stays as it is")
        elif c.code == "earliest" and op in plan.earliest:
            e = plan.earliest[op]
            why = "the re-plan time" if e == plan.at else "its planned start plus its delay" if op in late else ""
            if why:
                c = replace(c, message=f"operation {op} may not start before {why} {e}")
        out.append(c)
    return tuple(out)


__all__ = [
    "BREAKDOWN",
    "Disruption",
    "DisruptionError",
    "MachineDown",
    "OperationLate",
    "ReschedulePlan",
    "changed_operations",
    "count_changes",
    "fits",
    "parse_down",
    "parse_late",
    "prepare",
    "reschedule",
    "validate_disruptions",
]
