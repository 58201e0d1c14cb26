"""Per-kind adapters: what the views need to know about a scenario kind.

The Gantt, resource view, editor and KPI panel talk only to a
:class:`KindAdapter`, so fleet, migration and cluster packing plug in later by
adding an adapter, without touching the views. Adapters are plain Python (no
Qt) so they are tested without a display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsplan.app.gui.timeaxis import format_time
from opsplan.models import check
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.jobshop import edit
from opsplan.models.jobshop.kpi import kpis
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation
from opsplan.models.schedule import Assignment, Schedule


@dataclass(frozen=True)
class Lane:
    """One row of the Gantt and the resource view: a resource with its capacity and downtime."""

    id: str
    label: str
    capacity: int = 1
    windows: tuple[Window, ...] = ()


class KindAdapter:
    """The kind-specific questions the views ask. Subclass once per scenario kind."""

    kind: str = ""
    #: word for the things drawn as bars and the things that group them
    task_word = "task"
    group_word = "group"

    def lanes(self, scenario: Any) -> list[Lane]:
        raise NotImplementedError

    def group_of(self, scenario: Any, task: str) -> str:
        """The colour key of a bar (a job, a vehicle, a wave)."""
        raise NotImplementedError

    def groups(self, scenario: Any) -> list[str]:
        raise NotImplementedError

    def related(self, scenario: Any, task: str) -> list[str]:
        """Tasks highlighted with ``task`` when it is selected (its job's route, in order)."""
        return [task]

    def tasks_of(self, scenario: Any, obj: str) -> list[str]:
        """The tasks an object named in a conflict or violation stands for (a task: itself)."""
        return [obj]

    def bar_label(self, scenario: Any, a: Assignment) -> str:
        return a.task

    def tooltip(self, scenario: Any, schedule: Schedule, a: Assignment, slack: int | None = None) -> str:
        return f"{a.task} on {a.resource}: {a.start}-{a.end}"

    def allowed_lanes(self, scenario: Any, task: str) -> tuple[str, ...]:
        raise NotImplementedError

    def move(self, scenario: Any, schedule: Schedule, task: str, start: int, lane: str | None) -> Schedule:
        raise NotImplementedError

    def compact(self, scenario: Any, schedule: Schedule) -> Schedule:
        raise NotImplementedError

    def critical_path(self, scenario: Any, schedule: Schedule) -> list[str]:
        return []

    def slack(self, scenario: Any, schedule: Schedule) -> dict[str, int]:
        return {}

    def kpis(self, scenario: Any, schedule: Schedule) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, scenario: Any, schedule: Schedule) -> list:
        return check(scenario, schedule)

    def profile(self, scenario: Any, schedule: Schedule, lane: str) -> list[tuple[int, int, int]]:
        """Load on ``lane`` as ``(start, end, load)`` steps with load > 0, sorted by start."""
        events: dict[int, int] = {}
        for a in schedule.assignments:
            if a.resource == lane and a.end > a.start:
                events[a.start] = events.get(a.start, 0) + 1
                events[a.end] = events.get(a.end, 0) - 1
        out, load, prev = [], 0, None
        for t in sorted(events):
            if prev is not None and load > 0 and t > prev:
                out.append((prev, t, load))
            load += events[t]
            prev = t
        return out

    def new_scenario(self) -> Any:
        raise NotImplementedError


class JobShopAdapter(KindAdapter):
    kind = "jobshop"
    task_word = "operation"
    group_word = "job"

    def lanes(self, sc: JobShopScenario) -> list[Lane]:
        return [Lane(m.id, m.label, m.capacity, tuple(m.calendar.windows)) for m in sc.machines]

    def group_of(self, sc: JobShopScenario, task: str) -> str:
        entry = sc.operation_index.get(task)
        return entry[0].id if entry else ""

    def groups(self, sc: JobShopScenario) -> list[str]:
        return [j.id for j in sc.jobs]

    def related(self, sc: JobShopScenario, task: str) -> list[str]:
        entry = sc.operation_index.get(task)
        return [op.id for op in entry[0].operations] if entry else [task]

    def tasks_of(self, sc: JobShopScenario, obj: str) -> list[str]:
        job = sc.job_index.get(obj)
        if job is not None:
            return [op.id for op in job.operations]
        return [obj] if obj in sc.operation_index else []

    def bar_label(self, sc: JobShopScenario, a: Assignment) -> str:
        entry = sc.operation_index.get(a.task)
        if not entry:
            return a.task
        job, k, _ = entry
        return f"{job.label}·{k + 1}"

    def tooltip(self, sc: JobShopScenario, schedule: Schedule, a: Assignment, slack: int | None = None) -> str:
        entry = sc.operation_index.get(a.task)
        job = entry[0] if entry else None

        def when(t: int) -> str:  # in the scenario's calendar when it has an epoch, as the time axis
            return format_time(t, sc.time_unit, sc.epoch)

        lines = [
            f"<b>{a.task}</b> ({a.category})",
            f"job: {job.label if job else '?'}" + (f" (due {when(job.due)})" if job and job.due is not None else ""),
            f"machine: {a.resource}",
            f"start {when(a.start)}, end {when(a.end)}, duration {a.end - a.start} {sc.time_unit}",
        ]
        if slack is not None:
            lines.append(f"slack: {slack}")
        if a.task in edit.pinned_tasks(schedule):
            lines.append("pinned")
        return "<br>".join(lines)

    def allowed_lanes(self, sc: JobShopScenario, task: str) -> tuple[str, ...]:
        return edit.allowed_resources(sc, task)

    def move(self, sc: JobShopScenario, schedule: Schedule, task: str, start: int, lane: str | None) -> Schedule:
        return edit.move(sc, schedule, task, start, lane)

    def compact(self, sc: JobShopScenario, schedule: Schedule) -> Schedule:
        return edit.compact(sc, schedule)

    def critical_path(self, sc: JobShopScenario, schedule: Schedule) -> list[str]:
        return edit.critical_path(sc, schedule)

    def slack(self, sc: JobShopScenario, schedule: Schedule) -> dict[str, int]:
        try:
            return edit.slack(sc, schedule)
        except edit.EditError:
            return {}

    def kpis(self, sc: JobShopScenario, schedule: Schedule) -> dict[str, Any]:
        return kpis(sc, schedule)

    def new_scenario(self) -> JobShopScenario:
        machines = (Resource("M1", "Machine 1", calendar=Calendar()), Resource("M2", "Machine 2", calendar=Calendar()))
        jobs = (
            Job("J1", (Operation("J1.1", (Mode("M1", 10),)), Operation("J1.2", (Mode("M2", 5),))), name="Job 1"),
        )
        return JobShopScenario("new job shop", machines, jobs)


ADAPTERS: dict[str, KindAdapter] = {"jobshop": JobShopAdapter()}


def adapter_for(kind: str) -> KindAdapter:
    """The adapter of a scenario kind; a clear error for kinds the board cannot show yet."""
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise ValueError(f"the plan board cannot show {kind!r} scenarios yet") from None


__all__ = ["ADAPTERS", "JobShopAdapter", "KindAdapter", "Lane", "adapter_for"]
