"""Independent feasibility checker for job-shop schedules.

Pure Python, solver-free: every schedule from any solver, the learned policy, an
import or a manual edit goes through :func:`check_jobshop`. A solver whose output
fails it has a bug.

Violation codes (stable strings, see :data:`CODES`):

``missing_operation``
    an operation of the scenario has no work assignment.
``duplicate_operation``
    an operation has more than one work assignment.
``unknown_operation``
    a work assignment's task is not an operation id of the scenario.
``unknown_machine``
    a work (or setup) assignment is on a resource that is not a machine.
``mode_not_allowed``
    an operation is placed on a machine none of its modes uses.
``wrong_duration``
    ``end - start`` differs from the duration of the operation's mode on that machine.
``negative_time``
    ``start < 0`` or ``end < start``.
``route_order``
    an operation starts before the previous operation of its job ends.
``machine_overlap``
    two operations share a machine at the same time, or the gap between two
    consecutive operations on a machine is shorter than the sequence-dependent setup.
``release``
    an operation starts before its job's release date.
``calendar``
    an operation overlaps an unavailability window of its machine (a zero-length
    one: sits strictly inside it; at the window's edge it is fine).
``deadline_missed``
    a job's last operation ends after the job's (hard) deadline.

Times in the messages are written by ``times`` (:class:`~opsplan.models.timetext.TimeText`):
plain numbers by default, the plan board's dates when it passes its clock.

Due dates are soft and never give a violation (see :mod:`opsplan.models.jobshop.kpi`);
deadlines are hard.

To keep the list readable, an assignment that already has a violation of its own
which makes further checks meaningless (an unknown operation or machine, a second
assignment of one operation, a negative time) is left out of the checks that
would only repeat it. Everything else is reported, one violation per broken
constraint.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from opsplan.models.core import MAX_TIME, Resource, Violation, Window
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Operation
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.models.timetext import PLAIN, TimeText

MISSING_OPERATION = "missing_operation"
DUPLICATE_OPERATION = "duplicate_operation"
UNKNOWN_OPERATION = "unknown_operation"
UNKNOWN_MACHINE = "unknown_machine"
MODE_NOT_ALLOWED = "mode_not_allowed"
WRONG_DURATION = "wrong_duration"
NEGATIVE_TIME = "negative_time"
ROUTE_ORDER = "route_order"
MACHINE_OVERLAP = "machine_overlap"
RELEASE = "release"
CALENDAR = "calendar"
DEADLINE_MISSED = "deadline_missed"
TIME_OUT_OF_RANGE = "time_out_of_range"

CODES: tuple[str, ...] = (
    MISSING_OPERATION,
    DUPLICATE_OPERATION,
    UNKNOWN_OPERATION,
    UNKNOWN_MACHINE,
    MODE_NOT_ALLOWED,
    WRONG_DURATION,
    NEGATIVE_TIME,
    ROUTE_ORDER,
    MACHINE_OVERLAP,
    RELEASE,
    CALENDAR,
    DEADLINE_MISSED,
    TIME_OUT_OF_RANGE,
)


def _span(a: Assignment, times: TimeText) -> str:
    return times.interval(a.start, a.end)


def _op_name(op: Operation, job: Job) -> str:
    named = f" ({op.name})" if op.name else ""
    return f"operation '{op.id}'{named} of job '{job.label}'"


def _machine_name(m: Resource) -> str:
    return f"machine '{m.id}'" + (f" ({m.name})" if m.name and m.name != m.id else "")


def _objects(*ids: str) -> tuple[str, ...]:
    # Keep the order, drop repeats (two operations of one job name the job once).
    return tuple(dict.fromkeys(ids))


class _CalendarIndex:
    """Windows of one machine sorted by start, with a running maximum of their ends.

    Finding the windows an interval crosses is a bisection plus a short walk back,
    instead of a scan over every window for every operation.
    """

    __slots__ = ("windows", "starts", "max_end")

    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows = sorted((w for w in windows if w.end > w.start), key=lambda w: (w.start, w.end))
        self.starts = [w.start for w in self.windows]
        self.max_end: list[int] = []
        best = None
        for w in self.windows:
            best = w.end if best is None else max(best, w.end)
            self.max_end.append(best)

    def crossing(self, start: int, end: int) -> list[Window]:
        """Every window that ``[start, end)`` shares time with, in time order; a zero-length step
        crosses a window it sits strictly inside (the machine is shut), not one at whose edge it sits."""
        if end < start or not self.windows:
            return []
        i = bisect_left(self.starts, end) - 1  # the windows that open before it ends (zero-length: before it)
        out: list[Window] = []
        while i >= 0 and self.max_end[i] > start:
            if self.windows[i].end > start:
                out.append(self.windows[i])
            i -= 1
        out.reverse()
        return out


def check_jobshop(scenario: JobShopScenario, schedule: Schedule, *, times: TimeText = PLAIN) -> list[Violation]:
    """Check ``schedule`` against every hard constraint of ``scenario``.

    Parameters
    ----------
    scenario
        A job-shop scenario; it should pass validation, but the checker does not
        rely on more than its lookups.
    schedule
        The schedule to check. Only assignments of category work are operations;
        setup and downtime assignments are informational and ignored, except that
        a setup assignment on an unknown resource is reported as ``unknown_machine``.
    times
        Writes the instants, durations and intervals in the messages (default: plain numbers).

    Returns
    -------
    list[Violation]
        One violation per broken constraint, in a deterministic order (by kind of
        check, then by schedule order or time); empty when the schedule is feasible.
        Every violation names the jobs, operations and machines involved, both in
        its message and in ``objects``.

    Notes
    -----
    Runs in O(n log n) for n assignments. Per machine the work is sorted by
    ``(start, end)`` and each operation is compared with the one that, so far,
    ends latest; a pile of k mutually overlapping operations therefore gives k - 1
    overlap violations rather than k(k - 1)/2. Zero-length operations take no
    machine time and are left out of the overlap and setup checks. Setup time is
    required in the gap between consecutive operations on a machine; whether that
    gap crosses a calendar window is not checked (calendars bind operations).
    """
    out: list[Violation] = []
    machines = scenario.machine_index
    ops = scenario.operation_index

    # -- assignments on their own: identity, placement, duration, time ----------
    first: dict[str, Assignment] = {}  # op id -> the assignment checked further
    extra: dict[str, list[Assignment]] = {}  # op id -> its second, third... assignments
    valid: list[tuple[Assignment, Job, int, Operation]] = []
    for a in schedule.assignments:
        if a.category == Category.SETUP:
            if a.resource not in machines:
                out.append(
                    Violation(
                        UNKNOWN_MACHINE,
                        f"setup '{a.task}' {_span(a, times)} is on unknown machine '{a.resource}'",
                        _objects(a.task, a.resource),
                    )
                )
            continue
        if a.category != Category.WORK:
            continue
        entry = ops.get(a.task)
        if entry is None:
            out.append(
                Violation(
                    UNKNOWN_OPERATION,
                    f"work '{a.task}' on '{a.resource}' {_span(a, times)} is not an operation of the scenario",
                    _objects(a.task, a.resource),
                )
            )
            if a.resource not in machines:
                out.append(
                    Violation(
                        UNKNOWN_MACHINE,
                        f"work '{a.task}' {_span(a, times)} is on unknown machine '{a.resource}'",
                        _objects(a.task, a.resource),
                    )
                )
            continue
        job, k, op = entry
        if a.task in first:
            extra.setdefault(a.task, []).append(a)
            continue
        first[a.task] = a
        if a.resource not in machines:
            out.append(
                Violation(
                    UNKNOWN_MACHINE,
                    f"{_op_name(op, job)} is placed on unknown machine '{a.resource}' {_span(a, times)}",
                    _objects(op.id, job.id, a.resource),
                )
            )
            continue
        machine = machines[a.resource]
        if a.start < 0 or a.end < a.start:
            if a.start < 0:
                what = f"starts at {times.time(a.start)} < {times.time(0)}"
            else:
                what = f"ends at {times.time(a.end)} before its start {times.time(a.start)}"
            out.append(
                Violation(
                    NEGATIVE_TIME,
                    f"{_op_name(op, job)} on {_machine_name(machine)} {what}",
                    _objects(op.id, job.id, machine.id),
                )
            )
            continue
        if a.end > MAX_TIME:  # no document can hold it: the schema's times end there
            out.append(
                Violation(
                    TIME_OUT_OF_RANGE,
                    f"{_op_name(op, job)} on {_machine_name(machine)} ends at {times.time(a.end)}, "
                    f"past the largest time {times.time(MAX_TIME)}",
                    _objects(op.id, job.id, machine.id),
                )
            )
            continue
        mode = op.mode_on(a.resource)
        if mode is None:
            allowed = ", ".join(f"'{m.resource}'" for m in op.modes) or "none"
            out.append(
                Violation(
                    MODE_NOT_ALLOWED,
                    f"{_op_name(op, job)} is placed on {_machine_name(machine)}, "
                    f"but may only run on {allowed}",
                    _objects(op.id, job.id, machine.id),
                )
            )
        elif a.duration != mode.duration:
            out.append(
                Violation(
                    WRONG_DURATION,
                    f"{_op_name(op, job)} on {_machine_name(machine)} lasts {times.span(a.duration)} "
                    f"{_span(a, times)}, its duration there is {times.span(mode.duration)}",
                    _objects(op.id, job.id, machine.id),
                )
            )
        valid.append((a, job, k, op))

    for task, more in extra.items():
        job, _, op = ops[task]
        where = ", ".join(f"'{a.resource}' {_span(a, times)}" for a in [first[task], *more])
        out.append(
            Violation(
                DUPLICATE_OPERATION,
                f"{_op_name(op, job)} has {1 + len(more)} work assignments: {where}",
                _objects(op.id, job.id, *(a.resource for a in [first[task], *more])),
            )
        )

    for job in scenario.jobs:
        n = len(job.operations)
        for k, op in enumerate(job.operations):
            if op.id not in first:
                out.append(
                    Violation(
                        MISSING_OPERATION,
                        f"{_op_name(op, job)} (step {k + 1} of {n}) has no work assignment",
                        _objects(op.id, job.id),
                    )
                )

    placed = {a.task: a for a, _, _, _ in valid}

    # -- release and route order ------------------------------------------------
    for a, job, _, op in valid:
        if a.start < job.release:
            out.append(
                Violation(
                    RELEASE,
                    f"{_op_name(op, job)} starts at {times.time(a.start)} on '{a.resource}', "
                    f"before the job's release {times.time(job.release)}",
                    _objects(op.id, job.id, a.resource),
                )
            )
    for job in scenario.jobs:
        prev: tuple[Operation, Assignment] | None = None
        for op in job.operations:
            a = placed.get(op.id)
            if a is None or ops[op.id][0] is not job:
                # A missing step is already reported; its neighbours are still ordered.
                continue
            if prev is not None and a.start < prev[1].end:
                p_op, p_a = prev
                out.append(
                    Violation(
                        ROUTE_ORDER,
                        f"job '{job.label}': operation '{op.id}' starts at {times.time(a.start)} on '{a.resource}' "
                        f"before the previous operation '{p_op.id}' ends at {times.time(p_a.end)} on '{p_a.resource}'",
                        _objects(p_op.id, op.id, job.id, p_a.resource, a.resource),
                    )
                )
            prev = (op, a)

    # -- machines: overlap and sequence-dependent setups ------------------------
    per_machine: dict[str, list[tuple[Assignment, Job, Operation]]] = {}
    for a, job, _, op in valid:
        if a.end > a.start:
            per_machine.setdefault(a.resource, []).append((a, job, op))
    for machine in scenario.machines:
        lane = per_machine.get(machine.id)
        if not lane:
            continue
        lane.sort(key=lambda t: (t[0].start, t[0].end))
        last = lane[0]  # the operation that ends latest so far
        for cur in lane[1:]:
            a, job, op = cur
            pa, pjob, pop = last
            if a.start < pa.end:
                out.append(
                    Violation(
                        MACHINE_OVERLAP,
                        f"{_machine_name(machine)}: operation '{pop.id}' of job '{pjob.label}' "
                        f"{_span(pa, times)} overlaps operation '{op.id}' of job '{job.label}' {_span(a, times)}",
                        _objects(pop.id, op.id, pjob.id, job.id, machine.id),
                    )
                )
            else:
                need = scenario.setup_time(machine.id, pjob.id, job.id)
                gap = a.start - pa.end
                if gap < need:
                    out.append(
                        Violation(
                            MACHINE_OVERLAP,
                            f"{_machine_name(machine)}: setup of {times.span(need)} needed between operation "
                            f"'{pop.id}' of job '{pjob.label}' (ends {times.time(pa.end)}) and operation '{op.id}' "
                            f"of job '{job.label}' (starts {times.time(a.start)}), only {times.span(gap)} left",
                            _objects(pop.id, op.id, pjob.id, job.id, machine.id),
                        )
                    )
            if a.end >= pa.end:
                last = cur

    # -- calendars ----------------------------------------------------------------
    calendars = {m.id: _CalendarIndex(m.calendar.windows) for m in scenario.machines if m.calendar.windows}
    if calendars:
        for a, job, _, op in valid:
            cal = calendars.get(a.resource)
            if cal is None:
                continue
            machine = machines[a.resource]
            for w in cal.crossing(a.start, a.end):
                why = f" '{w.reason}'" if w.reason else ""
                out.append(
                    Violation(
                        CALENDAR,
                        f"{_op_name(op, job)} {_span(a, times)} on {_machine_name(machine)} overlaps "
                        f"its unavailability{why} {times.interval(w.start, w.end)}",
                        _objects(op.id, job.id, machine.id),
                    )
                )

    # -- deadlines ----------------------------------------------------------------
    for job in scenario.jobs:
        if job.deadline is None or not job.operations:
            continue
        op = job.operations[-1]
        a = placed.get(op.id)
        if a is None or ops[op.id][0] is not job:
            continue  # a missing last step is already reported
        if a.end > job.deadline:
            out.append(
                Violation(
                    DEADLINE_MISSED,
                    f"job '{job.label}' ends at {times.time(a.end)} (operation '{op.id}' on '{a.resource}'), "
                    f"after its deadline {times.time(job.deadline)}",
                    _objects(op.id, job.id, a.resource),
                )
            )
    return out


__all__ = ["CODES", "check_jobshop"]
