"""What the views need to know about a scenario kind: :class:`KindAdapter` and :class:`Lane`.

The Gantt, resource view, editor and KPI panel talk only to a :class:`KindAdapter`;
each kind's GUI bundle (:mod:`opsplan.app.gui.kinds`) brings one. The base class
answers everything it can from the kind's descriptor (:mod:`opsplan.models.kinds`):
lanes from ``resources``, colour groups from ``group_of``, KPIs and the checker, and
the load profile from the assignments' amounts. A kind overrides what it knows
better (its route order, how a dragged bar moves, its critical path). Adapters are
plain Python (no Qt), so they are tested without a display, and nothing here names a
kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from opsplan.app.gui.timeaxis import Clock, format_time
from opsplan.models.core import Capacity, Vector, Window, load_share
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Assignment, Schedule


@dataclass(frozen=True)
class Lane:
    """One row of the Gantt and the resource view: a resource with its capacity and downtime.

    ``capacity`` is 1 (unary), a count (cumulative) or a :class:`~opsplan.models.core.Vector`
    (one amount per dimension: cpu, memory...).
    """

    id: str
    label: str
    capacity: Capacity = 1
    windows: tuple[Window, ...] = ()


def format_amount(x: Capacity | None) -> str:
    """A capacity or demand for people: ``4``, or ``cpu 8, memory 32`` for a vector."""
    if x is None:
        return "–"
    if isinstance(x, Vector):
        return ", ".join(f"{k} {v:,}" for k, v in x.items()) or "0"
    return f"{x:,}"


def exceeds(amount: Capacity, capacity: Capacity) -> list[str]:
    """Why ``amount`` does not fit ``capacity``: the dimensions over (``[""]`` for a plain count
    over a plain capacity); empty when it fits."""
    if isinstance(amount, Vector) or isinstance(capacity, Vector):
        amt = amount if isinstance(amount, Vector) else Vector()
        cap = capacity if isinstance(capacity, Vector) else Vector()
        return amt.over(cap)
    return [""] if amount > capacity else []


def profile_steps(assignments: Iterable[Assignment], lane: str) -> list[tuple[int, int, Capacity]]:
    """Demand on ``lane`` as ``(start, end, amount)`` steps, sorted by start.

    The amount of a step is the sum of the :attr:`~opsplan.models.schedule.Assignment.amount`
    of the assignments on ``lane`` running then: an int, or a :class:`Vector` when the lane's
    assignments hold vectors (a plain-number amount then counts in no dimension). Steps
    without demand are left out.
    """
    items = [a for a in assignments if a.resource == lane and a.end > a.start]
    if any(isinstance(a.amount, Vector) for a in items):
        return _vector_steps(items)
    events: dict[int, int] = {}
    for a in items:
        amt = int(a.amount)
        events[a.start] = events.get(a.start, 0) + amt
        events[a.end] = events.get(a.end, 0) - amt
    out: list[tuple[int, int, Capacity]] = []
    load, prev = 0, None
    for t in sorted(events):
        if prev is not None and load != 0 and t > prev:
            out.append((prev, t, load))
        load += events[t]
        prev = t
    return out


def _vector_steps(items: list[Assignment]) -> list[tuple[int, int, Capacity]]:
    dims: list[str] = []
    events: dict[int, dict[str, int]] = {}
    for a in items:
        if not isinstance(a.amount, Vector):
            continue
        for k, v in a.amount.items():
            if k not in dims:
                dims.append(k)
            for t, sign in ((a.start, 1), (a.end, -1)):
                ev = events.setdefault(t, {})
                ev[k] = ev.get(k, 0) + sign * v
    out: list[tuple[int, int, Capacity]] = []
    load = dict.fromkeys(dims, 0)
    prev = None
    for t in sorted(events):
        if prev is not None and t > prev and any(load.values()):
            out.append((prev, t, Vector((k, load[k]) for k in dims)))
        for k, v in events[t].items():
            load[k] += v
        prev = t
    return out


class KindAdapter:
    """The kind-specific questions the views ask.

    One instance per kind, in the kind's GUI bundle. The defaults read the kind's
    descriptor; a kind overrides :meth:`allowed_lanes`, :meth:`move` and
    :meth:`compact` to let the planner drag bars, and whatever else it knows better.
    """

    kind: str = ""
    #: word for the things drawn as bars and the things that group them
    task_word = "task"
    group_word = "group"
    resource_word = "resource"

    def __init__(self, kind: str | None = None) -> None:
        if kind is not None:
            self.kind = kind
            d = descriptor(kind)
            self.task_word, self.group_word, self.resource_word = d.task_word, d.group_word, d.resource_word

    # -- what is drawn -----------------------------------------------------------------
    def lanes(self, scenario: Any) -> list[Lane]:
        """The rows of the board, top to bottom (the descriptor's resources by default)."""
        return [Lane(r.id, r.label, r.capacity, tuple(r.calendar.windows))
                for r in descriptor(scenario).resources(scenario)]

    def group_of(self, scenario: Any, task: str) -> str:
        """The colour key of a bar (a job, a vehicle, a wave)."""
        return descriptor(scenario).group_of(scenario, task)

    def groups(self, scenario: Any) -> list[str]:
        """Every group, in a stable order (it picks the colours)."""
        d = descriptor(scenario)
        return list(dict.fromkeys(d.group_of(scenario, t) for t in d.task_ids(scenario)))

    def related(self, scenario: Any, task: str) -> list[str]:
        """Tasks highlighted with ``task`` when it is selected (its job's route, in order)."""
        return [task]

    def tasks_of(self, scenario: Any, obj: str) -> list[str]:
        """The tasks an object named in a conflict or violation stands for (a task: itself)."""
        return [obj]

    def bar_label(self, scenario: Any, a: Assignment) -> str:
        return a.task

    def tooltip(self, scenario: Any, schedule: Schedule, a: Assignment, slack: int | None = None) -> str:
        unit = getattr(scenario, "time_unit", "min")
        epoch = getattr(scenario, "epoch", None)
        lines = [
            f"<b>{a.task}</b> ({a.category})",
            f"{self.resource_word}: {a.resource}",
            f"start {format_time(a.start, unit, epoch)}, end {format_time(a.end, unit, epoch)}",
        ]
        if not (isinstance(a.amount, int) and a.amount == 1):
            lines.append(f"demand: {format_amount(a.amount)}")
        if slack is not None:
            lines.append(f"slack: {Clock.of(scenario).span(slack)}")
        if a.task in schedule.pinned:
            lines.append("pinned")
        return "<br>".join(lines)

    # -- editing the plan -----------------------------------------------------------------
    def allowed_lanes(self, scenario: Any, task: str) -> tuple[str, ...]:
        raise NotImplementedError

    def move(self, scenario: Any, schedule: Schedule, task: str, start: int, lane: str | None) -> Schedule:
        raise NotImplementedError

    def compact(self, scenario: Any, schedule: Schedule) -> Schedule:
        raise NotImplementedError

    def after_removal(self, scenario: Any, schedule: Schedule) -> Schedule:
        """``schedule`` made whole again after tasks left the scenario and their bars the plan
        (a job shop lays its setup bars again for the new neighbours). Default: as it is."""
        return schedule

    # -- reading the plan -------------------------------------------------------------------
    def critical_path(self, scenario: Any, schedule: Schedule) -> list[str]:
        return []

    def slack(self, scenario: Any, schedule: Schedule) -> dict[str, int]:
        return {}

    def kpis(self, scenario: Any, schedule: Schedule) -> dict[str, Any]:
        return descriptor(scenario).kpis(scenario, schedule)

    def check(self, scenario: Any, schedule: Schedule) -> list:
        """The checker's violations, for showing: their times read as the board's (dates with an epoch)."""
        return descriptor(scenario).check_schedule(scenario, schedule, Clock.of(scenario))

    def utilization(self, scenario: Any, schedule: Schedule,
                    kpis: Mapping[str, Any] | None = None) -> dict[str, float]:
        """Busy share of each lane over the plan's span: demand-time against capacity-time.

        The kind's own ``utilization`` KPI when it reports one (a job shop does); otherwise
        computed from the demand profile, so every kind gets the KPI panel's table. ``kpis``:
        the schedule's KPIs when the caller has them already (computed here otherwise)."""
        own = (kpis if kpis is not None else self.kpis(scenario, schedule)).get("utilization")
        if isinstance(own, dict):
            return {str(k): float(v) for k, v in own.items()}
        span = max((a.end for a in schedule.work()), default=0)
        out: dict[str, float] = {}
        for lane in self.lanes(scenario):
            busy = sum((e - s) * self.load_share(amt, lane.capacity) for s, e, amt in
                       self.profile(scenario, schedule, lane.id))
            out[lane.id] = busy / span if span > 0 else 0.0
        return out

    def profile(self, scenario: Any, schedule: Schedule, lane: str) -> list[tuple[int, int, Capacity]]:
        """Demand on ``lane`` as ``(start, end, amount)`` steps (see :func:`profile_steps`)."""
        return profile_steps(schedule.assignments, lane)

    def load_share(self, amount: Capacity, capacity: Capacity) -> float:
        """How full ``amount`` makes a lane of ``capacity`` (the largest share over dimensions)."""
        return load_share(amount, capacity)


__all__ = ["KindAdapter", "Lane", "exceeds", "format_amount", "profile_steps"]
