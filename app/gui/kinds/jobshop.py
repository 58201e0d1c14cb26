"""The job shop's GUI bundle: its adapter, editor spec, KPI rows, disruption forms, bench plan.

Registered by :mod:`opsplan.app.gui.kinds.registrations`; the generic views reach
everything here through :func:`opsplan.app.gui.kinds.bundle_for`.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from opsplan.app.gui.adapters import KindAdapter, Lane
from opsplan.app.gui.kinds import GuiBundle, forms_from_descriptor
from opsplan.app.gui.kinds.jobshop_editor import JobShopEditorSpec
from opsplan.app.gui.timeaxis import Clock, format_time
from opsplan.models.jobshop import edit
from opsplan.models.jobshop.disruptions import MachineDown, OperationLate
from opsplan.models.jobshop.kind import DESCRIPTOR
from opsplan.models.jobshop.scenario import KIND, JobShopScenario
from opsplan.models.schedule import Assignment, Schedule


# =========================================================================== adapter
class JobShopAdapter(KindAdapter):
    kind = KIND
    task_word = DESCRIPTOR.task_word
    group_word = DESCRIPTOR.group_word
    resource_word = DESCRIPTOR.resource_word

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
            f"start {when(a.start)}, end {when(a.end)}, duration {Clock.of(sc).span(a.end - a.start)}",
        ]
        if slack is not None:
            lines.append(f"slack: {Clock.of(sc).span(slack)}")
        if a.task in schedule.pinned:
            lines.append("pinned")
        return "<br>".join(lines)

    def allowed_lanes(self, sc: JobShopScenario, task: str) -> tuple[str, ...]:
        return edit.allowed_resources(sc, task)

    def move(self, sc: JobShopScenario, schedule: Schedule, task: str, start: int, lane: str | None) -> Schedule:
        return edit.move(sc, schedule, task, start, lane)

    def compact(self, sc: JobShopScenario, schedule: Schedule) -> Schedule:
        return edit.compact(sc, schedule)

    def after_removal(self, sc: JobShopScenario, schedule: Schedule) -> Schedule:
        # setup bars depend on the neighbours on each machine: lay them again
        return edit.rebuild(sc, schedule, schedule.work())

    def critical_path(self, sc: JobShopScenario, schedule: Schedule) -> list[str]:
        return edit.critical_path(sc, schedule)

    def slack(self, sc: JobShopScenario, schedule: Schedule) -> dict[str, int]:
        try:
            return edit.slack(sc, schedule)
        except edit.EditError:
            return {}


# =========================================================================== disruptions
# the descriptor's disruption types (a machine breakdown, a late operation) with the dialog's
# starting values, as fractions of the plan: down a third in, for a tenth; late by a twentieth
DISRUPTION_HINTS = {"at": (0, 1 / 3), "duration": (1, 1 / 10), "delay": (1, 1 / 20)}
DISRUPTIONS = forms_from_descriptor(
    DESCRIPTOR, DISRUPTION_HINTS,
    build={"machine_down": lambda machine, v: MachineDown(machine, int(v["at"]), int(v["duration"])),
           "operation_late": lambda task, v: OperationLate(task, int(v["delay"]))},
    describe={"machine_down": lambda d, clock: f"{d.machine} down {clock.time(d.at)} for {clock.span(d.duration)}",
              "operation_late": lambda d, clock: f"{d.task} late by {clock.span(d.delay)}"},
)


def usable_pins(prep: Any, pinned: Sequence[Assignment]) -> tuple[tuple, list[str]]:
    """The planner's pinned assignments the re-plan can keep, and the tasks whose pins it must release.

    A pin is released when its operation was interrupted by a breakdown, overlaps a
    breakdown on its machine, or starts before the operation's new earliest start
    (a late operation, or one whose route predecessor is late: its earliest start is
    carried along the route with the shortest durations). Pins of frozen operations are
    kept (they do not move anyway).
    """
    interrupted = {a.task for a in prep.interrupted}
    downs = [d for d in prep.disruptions if hasattr(d, "machine")]  # the breakdowns
    earliest = _route_earliest(prep)
    kept, released = [], []
    for a in pinned:
        bad = (a.task in interrupted
               or a.start < earliest.get(a.task, a.start)
               or any(a.resource == d.machine and a.start < d.end and d.at < a.end for d in downs))
        (released.append(a.task) if bad else kept.append(a))
    return tuple(kept), released


def _route_earliest(prep: Any) -> dict[str, int]:
    """A lower bound on each operation's start in the re-plan: its own earliest start, and no
    sooner than its route predecessor can end (a frozen one where it ends, any other at its
    bound plus its shortest duration)."""
    frozen: Mapping[str, Assignment] = {a.task: a for a in prep.frozen}
    out: dict[str, int] = {}
    for job in prep.scenario.jobs:
        ready = job.release
        for op in job.operations:
            if op.id in frozen:
                out[op.id] = frozen[op.id].start
                ready = frozen[op.id].end
                continue
            out[op.id] = max(ready, prep.earliest.get(op.id, 0))
            ready = out[op.id] + op.min_duration
    return out


# =========================================================================== bench plan
def bench_scenario(bars: int, machines: int = 20, seed: int = 7) -> JobShopScenario:
    """A random job shop with exactly ``bars`` operations on ``machines`` machines."""
    from opsplan.models.jobshop.build import classic, random_jobshop

    if bars < 1:
        raise ValueError("bars must be at least 1")
    machines = max(1, min(machines, bars))
    if bars % machines == 0:
        return random_jobshop(bars // machines, machines, seed=seed, name=f"bench-gui-{bars}")
    rng = random.Random(seed)
    routes, left = [], bars
    while left > 0:
        k = min(machines, left)
        routes.append([(m, rng.randint(1, 99)) for m in rng.sample(range(machines), k)])
        left -= k
    return classic(f"bench-gui-{bars}", routes, machines)


BUNDLE = GuiBundle(
    kind=KIND,
    adapter=JobShopAdapter(),
    editor_spec=JobShopEditorSpec,
    kpi_rows=None,  # the descriptor's kpi_list: makespan, weighted tardiness, max lateness, late jobs, utilization
    disruptions=DISRUPTIONS,
    usable_pins=usable_pins,
    bench_scenario=bench_scenario,
)

__all__ = ["BUNDLE", "DISRUPTIONS", "JobShopAdapter", "bench_scenario", "usable_pins"]
