"""Key performance indicators of a job-shop schedule.

All functions read only the work assignments of the schedule whose task is an
operation of the scenario, and return plain data. They do not check feasibility
(that is :func:`opsplan.models.jobshop.checker.check_jobshop`); on a schedule
with missing operations they still return a value, defined below.
"""

from __future__ import annotations

from typing import Any

from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Schedule


def completion_times(scenario: JobShopScenario, schedule: Schedule) -> dict[str, int]:
    """Completion time of every job.

    Parameters
    ----------
    scenario, schedule
        The job shop and the schedule to measure.

    Returns
    -------
    dict[str, int]
        Job id -> the latest end of the job's operations in the schedule. In a
        feasible schedule that is the end of the job's last operation; when some
        operations are missing it is the latest end of those present, and a job
        with no operation in the schedule completes at its release.
    """
    ops = scenario.operation_index
    done: dict[str, int] = {}
    for a in schedule.work():
        entry = ops.get(a.task)
        if entry is None:
            continue
        jid = entry[0].id
        if jid not in done or a.end > done[jid]:
            done[jid] = a.end
    return {job.id: done.get(job.id, job.release) for job in scenario.jobs}


def makespan(scenario: JobShopScenario, schedule: Schedule) -> int:
    """The latest completion time over all jobs (0 for a scenario without jobs)."""
    return max(completion_times(scenario, schedule).values(), default=0)


def total_weighted_tardiness(scenario: JobShopScenario, schedule: Schedule) -> int:
    """Sum of ``weight * max(0, C - due)`` over the jobs that have a due date."""
    c = completion_times(scenario, schedule)
    return sum(job.weight * max(0, c[job.id] - job.due) for job in scenario.jobs if job.due is not None)


def max_lateness(scenario: JobShopScenario, schedule: Schedule) -> int:
    """The largest ``C - due`` over the jobs that have a due date.

    Negative when every job is early. When no job has a due date nothing can be
    late and the value is 0 by convention.
    """
    c = completion_times(scenario, schedule)
    return max((c[job.id] - job.due for job in scenario.jobs if job.due is not None), default=0)


def late_jobs(scenario: JobShopScenario, schedule: Schedule) -> int:
    """How many jobs with a due date complete after it."""
    c = completion_times(scenario, schedule)
    return sum(1 for job in scenario.jobs if job.due is not None and c[job.id] > job.due)


def utilization(scenario: JobShopScenario, schedule: Schedule) -> dict[str, float]:
    """Busy work time of each machine divided by the makespan.

    Returns
    -------
    dict[str, float]
        Machine id -> fraction in ``[0, 1]`` for a schedule that passes the
        checker (overlapping work in a broken schedule can push it above 1);
        every machine is 0.0 when the makespan is 0. Setup and downtime
        assignments do not count as busy.
    """
    busy = {m.id: 0 for m in scenario.machines}
    ops = scenario.operation_index
    for a in schedule.work():
        if a.resource in busy and a.task in ops:
            busy[a.resource] += max(0, a.duration)
    span = makespan(scenario, schedule)
    if span <= 0:
        return {mid: 0.0 for mid in busy}
    return {mid: b / span for mid, b in busy.items()}


def objective_value(scenario: JobShopScenario, schedule: Schedule) -> int:
    """The value of ``scenario.objective`` for ``schedule`` (lower is better)."""
    obj = Objective(scenario.objective)
    if obj is Objective.MAKESPAN:
        return makespan(scenario, schedule)
    if obj is Objective.TOTAL_WEIGHTED_TARDINESS:
        return total_weighted_tardiness(scenario, schedule)
    if obj is Objective.MAX_LATENESS:
        return max_lateness(scenario, schedule)
    raise ValueError(f"unknown job-shop objective {obj!r}")  # pragma: no cover - enum is closed


def kpis(scenario: JobShopScenario, schedule: Schedule) -> dict[str, Any]:
    """Every KPI of ``schedule`` as plain, JSON-serialisable data.

    Returns
    -------
    dict
        ``objective`` (name), ``objective_value``, ``makespan``,
        ``total_weighted_tardiness``, ``max_lateness`` (0 when no job has a due
        date), ``late_jobs`` (count), ``mean_utilization`` (over all machines,
        0.0 without machines), ``utilization`` (machine id -> fraction) and
        ``completion_times`` (job id -> time).
    """
    util = utilization(scenario, schedule)
    return {
        "objective": Objective(scenario.objective).value,
        "objective_value": objective_value(scenario, schedule),
        "makespan": makespan(scenario, schedule),
        "total_weighted_tardiness": total_weighted_tardiness(scenario, schedule),
        "max_lateness": max_lateness(scenario, schedule),
        "late_jobs": late_jobs(scenario, schedule),
        "mean_utilization": sum(util.values()) / len(util) if util else 0.0,
        "utilization": util,
        "completion_times": completion_times(scenario, schedule),
    }


__all__ = [
    "completion_times",
    "kpis",
    "late_jobs",
    "makespan",
    "max_lateness",
    "objective_value",
    "total_weighted_tardiness",
    "utilization",
]
