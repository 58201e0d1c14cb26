"""Disruptions and rescheduling of a running plan, for any scenario kind (pure Python, no Qt).

A plan is running when something goes wrong: a resource is lost for a while (a machine breaks
down, a node fails, a link goes down) or a task will start late. Each kind declares the
disruption types it supports (:attr:`~opsplan.models.kinds.KindDescriptor.disruptions`: what a
type does to the scenario and to the work it cuts, see :class:`~opsplan.models.kinds.Disruption`);
a disruption itself is a :class:`~opsplan.models.kinds.DisruptionEvent`. Rescheduling keeps the
past and re-plans the future:

1. :func:`prepare` fixes the *cut time* ``t``, the *frozen* assignments (what already started),
   the *new scenario* (each disruption applied, e.g. a breakdown in the machine's calendar) and
   an ``earliest`` start for every other task;
2. :func:`reschedule` solves the new scenario with the frozen assignments pinned, optionally
   under a *change budget*: at most K tasks may differ from the old plan.

>>> down = parse_down("M3@120+60")                      # doctest: +SKIP
>>> new_sc, result = reschedule(sc, plan, [down], max_changes=5)   # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from opsplan.models.core import MAX_TIME, Issue
from opsplan.models.errors import OpsPlanError, ValidationError
from opsplan.models.kinds import Disruption as DisruptionType
from opsplan.models.kinds import DisruptionEvent, KindDescriptor, descriptor, descriptors
from opsplan.models.schedule import Assignment, Category, Schedule, count_changes, schedule_diff
from opsplan.models.timetext import At
from opsplan.solvers.result import Conflict, Params, ProgressCallback, Result, StopToken

Scenario = Any  # a scenario of any kind
RESOURCE, TASK = "resource", "task"  # what a disruption type hits


class DisruptionError(OpsPlanError):
    """A disruption written in text could not be read (one line, with the expected form)."""


# -- text ------------------------------------------------------------------------------------
_RESOURCE_EVENT = re.compile(r"^(?P<target>\S+)@(?P<at>\d+)\+(?P<duration>\d+)$")
_TASK_EVENT = re.compile(r"^(?P<target>\S+)@\+(?P<duration>\d+)$")


def _number(digits: str, text: str) -> int:
    # more than 10 significant digits is past the range, however many (int() refuses 4300+)
    value = int(digits) if len(digits.lstrip("0")) <= 10 else MAX_TIME + 1
    if value > MAX_TIME:
        raise DisruptionError(f"bad disruption {text[:60]!r}: {digits[:20]}{'...' if len(digits) > 20 else ''} "
                              f"is past the largest time {MAX_TIME}")
    return value


def parse_disruption(kind: DisruptionType, text: str) -> DisruptionEvent:
    """``text`` as an event of disruption type ``kind``: ``TARGET@AT+DURATION`` for a resource
    disruption (``"M3@120+60"``: M3 down from 120 for 60), ``TARGET@+DELAY`` for a task one
    (``"J3.2@+30"``: J3.2 starts 30 later than planned).

    Raises :class:`DisruptionError` (one line) for any other form or a zero duration. Whether the
    target exists is checked against a scenario by :func:`validate_disruptions`.
    """
    what = kind.label.lower()
    form = kind.syntax or ("TARGET@AT+DURATION" if kind.target == RESOURCE else "TARGET@+DELAY")
    example = f", e.g. {kind.example}" if kind.example else ""
    m = (_RESOURCE_EVENT if kind.target == RESOURCE else _TASK_EVENT).match(text.strip())
    if m is None:
        raise DisruptionError(f"bad {what} {text!r}: expected {form}{example}")
    at = _number(m["at"], text) if kind.target == RESOURCE else None
    event = DisruptionEvent(kind.name, m["target"], at, _number(m["duration"], text))
    if event.duration <= 0:
        word = kind.fields[-1][0] if kind.fields else "duration"
        raise DisruptionError(f"bad {what} {text!r}: the {word} must be positive")
    return event


def _by_flag(flag: str, kind: str | None) -> DisruptionType:
    """The disruption type the command line's ``--<flag>`` writes (of ``kind``, else of the first kind that has one)."""
    for d in [descriptor(kind)] if kind is not None else descriptors():
        for t in d.disruptions:
            if t.flag == flag:
                return t
    where = f"{descriptor(kind).label} scenarios have" if kind is not None else "no scenario kind has"
    raise DisruptionError(f"{where} no disruption written with --{flag}")


def parse_flag(flag: str, text: str, kind: str | None = None) -> DisruptionEvent:
    """``text`` given with the command line's ``--<flag>`` (``down``, ``late``...), as an event."""
    return parse_disruption(_by_flag(flag, kind), text)


def parse_down(text: str, kind: str | None = None) -> DisruptionEvent:
    """``--down`` text: ``"M3@120+60"`` -> the resource M3 down from 120 for 60 (see :func:`parse_disruption`)."""
    return parse_flag("down", text, kind)


def parse_late(text: str, kind: str | None = None) -> DisruptionEvent:
    """``--late`` text: ``"J3.2@+30"`` -> task J3.2 starts 30 later than planned (see :func:`parse_disruption`)."""
    return parse_flag("late", text, kind)


# -- validation ----------------------------------------------------------------------------------
def _some(ids: Iterable[str], limit: int = 8) -> str:
    ids = list(ids)
    more = f", ... ({len(ids) - limit} more)" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _type_of(d: KindDescriptor, event: object) -> DisruptionType | None:
    if not isinstance(event, DisruptionEvent):
        return None
    return next((t for t in d.disruptions if t.name == event.type), None)


def _event_time(kind: DisruptionType, event: DisruptionEvent, planned: Mapping[str, Assignment]) -> int | None:
    """When a disruption happens: a resource event's ``at``; a task event's planned start."""
    if kind.target == RESOURCE:
        return event.at
    a = planned.get(event.target)
    return None if a is None else a.start


def validate_disruptions(
    scenario: Scenario,
    schedule: Schedule,
    disruptions: Sequence[DisruptionEvent],
    at: int | None = None,
) -> list[Issue]:
    """Every problem of ``disruptions`` against ``scenario`` and the running ``schedule``.

    Unknown resources or tasks, non-positive durations or delays, a late task the schedule does
    not place or that already started before the cut time, a cut time after a disruption (a
    breakdown in the past cannot be re-planned), a disruption type the kind does not have, a
    schedule placing unknown tasks (or a task twice, or on a resource it cannot use), and nothing
    to do at all. Paths are ``disruptions[i]`` and ``at``.
    """
    d = descriptor(scenario)
    word, res_word = d.task_word, d.resource_word
    issues: list[Issue] = []
    planned = schedule.by_task()
    tasks = set(d.task_ids(scenario))
    resources = [r.id for r in d.resources(scenario)]
    seen: set[str] = set()
    for a in schedule.work():
        if a.task not in tasks:
            issues.append(Issue("schedule", f"assigns unknown {word} '{a.task}'"))
            continue
        # the running plan is the past: what no plan can be is an input error, not a solver's to find
        usable = d.task_resources(scenario, a.task) if d.task_resources is not None else None
        if a.task in seen:
            issues.append(Issue("schedule", f"assigns {word} '{a.task}' more than once"))
        elif usable is not None and a.resource not in usable:
            issues.append(Issue("schedule", f"places {word} '{a.task}' on '{a.resource}', which it cannot use "
                                            f"(modes: {_some(usable)})"))
        elif a.end < a.start:
            issues.append(Issue("schedule", f"{word} '{a.task}' ends at {a.end}, before its start {a.start}"))
        seen.add(a.task)
    if not disruptions and at is None:
        issues.append(Issue("", "nothing to reschedule: give a disruption or a cut time"))
    if at is not None and at < 0:
        issues.append(Issue("at", f"the cut time must not be negative, got {at}"))
    for i, e in enumerate(disruptions):
        p = f"disruptions[{i}] ({e})"
        kind = _type_of(d, e)
        if kind is None:
            have = ", ".join(t.name for t in d.disruptions) or "none"
            what = f"'{e.type}'" if isinstance(e, DisruptionEvent) else type(e).__name__
            issues.append(Issue(p, f"not a disruption of {d.label} scenarios: {what} (have: {have})"))
            continue
        if kind.target == RESOURCE:
            if e.target not in resources:
                issues.append(Issue(p, f"unknown {res_word} '{e.target}' (have: {_some(resources)})"))
            if e.at is None or e.at < 0:
                issues.append(Issue(p, f"the {kind.label.lower()} time must not be negative, got {e.at}"))
            if e.duration <= 0:
                issues.append(Issue(p, f"the duration must be positive, got {e.duration}"))
            if e.at is not None and e.end > MAX_TIME:
                issues.append(Issue(p, f"the {res_word} is back at {e.end}, past the largest time {MAX_TIME}"))
        else:
            if e.target not in tasks:
                issues.append(Issue(p, f"unknown {word} '{e.target}'"))
            elif e.target not in planned:
                issues.append(Issue(p, f"{word} '{e.target}' is not in the schedule"))
            if e.duration <= 0:
                issues.append(Issue(p, f"the delay must be positive, got {e.duration}"))
        when = _event_time(kind, e, planned)
        if at is not None and when is not None and at > when:
            what = "it happens" if kind.target == RESOURCE else "was planned to start"
            issues.append(Issue(p, f"the cut time {at} is after the disruption ({what} at {when})"))
    return issues


# -- preparing -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReschedulePlan:
    """What :func:`prepare` decided; the input of the solve.

    ``scenario`` is the new scenario (every disruption applied), ``original`` the old one,
    ``baseline`` the old schedule. ``at`` is the cut time. ``frozen`` are the old work
    assignments kept exactly, ``interrupted`` the old assignments cut by a disruption
    (re-planned), ``earliest`` the earliest start of every task that is not frozen, ``added``
    the path of each constraint a disruption added to the new scenario (``disruptions[i]``).
    """

    scenario: Scenario
    original: Scenario
    baseline: Schedule
    disruptions: tuple[DisruptionEvent, ...]
    at: int
    frozen: tuple[Assignment, ...]
    interrupted: tuple[Assignment, ...]
    earliest: Mapping[str, int] = field(hash=False)
    added: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def name(self) -> str:
        """Name of the rescheduled plan."""
        return f"{self.baseline.name or 'plan'} rescheduled @{self.at}"

    def baseline_fits(self) -> bool:
        """True when the old schedule is still feasible: checker on the new scenario and every earliest start."""
        return _still_fits(self.scenario, self.baseline, self.earliest)

    def params(
        self, base: Params | None = None, max_changes: int | None = None, tolerance: int = 0
    ) -> Params:
        """``base`` with the frozen assignments pinned, the earliest starts and the change budget.

        The user's own pins in ``base`` are kept for tasks that are not frozen.
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
        elif base.warm_start is not None and _still_fits(self.scenario, base.warm_start, self.earliest):
            warm = base.warm_start
        return replace(base, pinned=pinned, warm_start=warm, options=options)


def _still_fits(scenario: Scenario, schedule: Schedule, earliest: Mapping[str, int]) -> bool:
    """True when ``schedule`` passes the checker on ``scenario`` and starts nothing before its earliest time."""
    from opsplan.models import check

    by_task = schedule.by_task()
    if any(task in by_task and by_task[task].start < t for task, t in earliest.items()):
        return False
    return not check(scenario, schedule)


def prepare(
    scenario: Scenario,
    schedule: Schedule,
    disruptions: Iterable[DisruptionEvent],
    at: int | None = None,
) -> ReschedulePlan:
    """Decide what stays, what moves and from when.

    Cut time ``t``
        ``at`` when given (it must not be after any disruption); otherwise the
        earliest disruption: a resource event's ``at``, a late task's planned start.
    Frozen
        Every old work assignment that started before ``t`` (``start < t``) stays
        exactly as it is (it is pinned), **except** one a disruption *interrupts* (the
        type's ``interrupts``; a machine breakdown: work running on the broken machine at
        the breakdown time, ``start < at < end``). It is not frozen; it restarts from
        scratch no earlier than ``t`` (on a broken machine necessarily after the repair:
        the calendar blocks ``[at, at + duration)``, and it did not fit before the
        breakdown). Work ending exactly at ``at`` is not interrupted.
    New scenario
        The old one with each disruption applied in turn (the type's ``apply``; a
        machine breakdown adds ``[at, at + duration)``, reason ``"breakdown"``, to the
        machine's calendar); everything else unchanged.
    Earliest
        Every task that is not frozen starts at or after ``t``; a late task at or after
        ``max(t, planned start + delay)`` (the largest delay when one is given twice).

    Raises
    ------
    ValidationError
        Unknown resource or task, a late task that already started, a cut time after a
        disruption, ... (every issue, see :func:`validate_disruptions`).
    """
    disruptions = tuple(disruptions)
    issues = validate_disruptions(scenario, schedule, disruptions, at)
    if issues:
        raise ValidationError(issues, source="disruptions")
    d = descriptor(scenario)
    typed = [(e, _type_of(d, e)) for e in disruptions]
    planned = schedule.by_task()
    times = [w for e, k in typed if (w := _event_time(k, e, planned)) is not None]
    t = at if at is not None else min(times)

    frozen: list[Assignment] = []
    interrupted: list[Assignment] = []
    for a in schedule.work():
        if a.start >= t:
            continue
        if any(k.interrupts is not None and k.interrupts(e, a) for e, k in typed):
            interrupted.append(a)
        else:
            frozen.append(a)
    frozen_tasks = {a.task for a in frozen}
    earliest = {task: t for task in d.task_ids(scenario) if task not in frozen_tasks}
    for e, k in typed:
        if k.target == TASK:
            earliest[e.target] = max(earliest[e.target], planned[e.target].start + e.duration)
    new, added = scenario, {}
    for i, (e, k) in enumerate(typed):
        if k.apply is None:
            continue
        path = k.added_path(new, e) if k.added_path is not None else None
        new = k.apply(new, e)
        if path:
            added[path] = f"disruptions[{i}]"
    return ReschedulePlan(
        scenario=new,
        original=scenario,
        baseline=schedule,
        disruptions=disruptions,
        at=t,
        frozen=tuple(frozen),
        interrupted=tuple(interrupted),
        earliest=MappingProxyType(earliest),
        added=MappingProxyType(added),
    )


def changed_tasks(old: Schedule, new: Schedule, tolerance: int = 0) -> tuple[str, ...]:
    """Tasks that differ between two plans, in the order of ``old`` then new ones.

    A task is *changed* when it runs on another resource, starts more than ``tolerance`` away
    from its old start, or is placed in only one of the plans. Frozen tasks are identical in
    both plans, so they never count; :func:`count_changes` counts them (what ``max_changes``
    limits).
    """
    diff = schedule_diff(old, new, tolerance)
    return tuple(t for t in dict.fromkeys([*old.by_task(), *new.by_task()]) if t in diff)


changed_operations = changed_tasks  # the job shop's word, kept for its callers


# -- rescheduling ----------------------------------------------------------------------------------
def reschedule(
    scenario: Scenario,
    schedule: Schedule,
    disruptions: Iterable[DisruptionEvent],
    solver: str = "cpsat",
    params: Params | None = None,
    max_changes: int | None = None,
    tolerance: int = 0,
    on_progress: ProgressCallback | None = None,
    stop: StopToken | None = None,
    *,
    at: int | None = None,
) -> tuple[Scenario, Result]:
    """Re-plan ``schedule`` after ``disruptions``; returns the new scenario and the solve's result.

    See :func:`prepare` for the cut time, the frozen and the interrupted tasks. The frozen
    assignments are pinned, every other task gets its earliest start
    (``Params.options["earliest"]``), the old schedule is the warm start when it still fits
    the new scenario.

    With ``max_changes = K`` at most K tasks may be *changed*: not frozen, and on another
    resource than in the old plan or starting more than ``tolerance`` away from their old start
    (:func:`count_changes`). An interrupted task restarts after the disruption, so it counts as
    a change unless the tolerance covers that shift. Only backends with the ``change_budget``
    capability accept a budget (``cpsat``); others raise
    :class:`~opsplan.models.errors.SolverError`.

    The result's schedule is named ``"<old name or 'plan'> rescheduled @<t>"``, carries the cut
    time (:attr:`Schedule.replanned_at <opsplan.models.schedule.Schedule.replanned_at>`), and
    ``result.stats["reschedule"]`` holds ``at``, ``frozen``, ``interrupted``,
    ``changes``, ``max_changes`` and ``tolerance``. Infeasibility (e.g. a budget
    too small for the interrupted tasks) is a status, not an exception.
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
        result = replace(result, schedule=result.schedule.renamed(plan.name).with_replanned_at(plan.at))
    if result.conflicts:
        result = replace(result, conflicts=_in_the_callers_terms(result.conflicts, scenario, plan))
    return plan.scenario, replace(result, stats={**result.stats, "reschedule": info})


def _in_the_callers_terms(conflicts, scenario: Scenario, plan: ReschedulePlan) -> tuple:  # noqa: ANN001
    """Conflicts as the caller knows the re-plan: a constraint a disruption added to the scenario
    (a breakdown window in a calendar) is the disruption (``disruptions[i]``), since the caller's
    file has no such constraint; the pin that keeps a task already started is that start (code
    ``started``), not a pin the planner set; the earliest start the cut time imposes is the cut time.
    A rewritten message gets its own times as parts, so the board still writes them as dates."""
    d = descriptor(scenario)
    word = d.task_word
    frozen = {a.task: a for a in plan.frozen}
    late = {e.target for e in plan.disruptions if (k := _type_of(d, e)) is not None and k.target == TASK}
    out = []
    for c in conflicts:
        if c.path in plan.added:
            c = replace(c, path=plan.added[c.path])
        task = c.objects[0] if c.objects else None
        if c.code == "pin" and task in frozen:
            a = frozen[task]
            c = Conflict.of("started", (f"{word} {task} started on {a.resource} at ", At(a.start),
                                        ", before the re-plan time ", At(plan.at), ", and stays as it is"),
                            c.objects, c.path)
        elif c.code == "earliest" and task in plan.earliest:
            e = plan.earliest[task]
            why = "the re-plan time" if e == plan.at else "its planned start plus its delay" if task in late else ""
            if why:
                c = Conflict.of(c.code, (f"{word} {task} may not start before {why} ", At(e)), c.objects, c.path)
        out.append(c)
    return tuple(out)


__all__ = [
    "DisruptionError",
    "DisruptionEvent",
    "ReschedulePlan",
    "changed_operations",
    "changed_tasks",
    "count_changes",
    "parse_disruption",
    "parse_down",
    "parse_flag",
    "parse_late",
    "prepare",
    "reschedule",
    "validate_disruptions",
]
