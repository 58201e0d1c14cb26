"""Hand edits of a job-shop schedule and the analyses a planner looks at.

Pure functions over the immutable documents: every edit returns a new
:class:`Schedule`. The plan board (``app/gui``) wraps them in undo commands;
the CLI and the solvers use the same functions.

* :func:`move` puts one operation at a new start (and optionally on another
  allowed machine); the result may violate constraints, which the checker
  reports.
* :func:`compact` left-shifts every operation as far as its job route, its
  machine sequence, setups and calendars allow, keeping all sequences; it also
  repairs overlaps left by a drag.
* :func:`critical_path`, :func:`slack` and :func:`diff` are read-only.
* Pins are kept in the schedule's extras under ``"pinned"`` (:attr:`Schedule.pinned`) so they
  travel with the schedule in the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from opsplan.models.errors import OpsPlanError
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Category, Schedule, schedule_diff


class EditError(OpsPlanError):
    """An edit that cannot be made (unknown operation, machine not allowed, cyclic sequences)."""


# --------------------------------------------------------------------------- pins
# Pins are kind-neutral (models/schedule.py); these names stay for the job-shop callers.
def pinned_tasks(schedule: Schedule) -> frozenset[str]:
    """Task ids pinned in ``schedule``."""
    return schedule.pinned


def with_pins(schedule: Schedule, tasks: Iterable[str]) -> Schedule:
    """A copy of ``schedule`` whose pinned set is exactly ``tasks``."""
    return schedule.with_pins(tasks)


def pinned_assignments(schedule: Schedule) -> tuple[Assignment, ...]:
    """The work assignments of the pinned tasks (what a solver must keep)."""
    return schedule.pinned_assignments()


# --------------------------------------------------------------------------- setups
def setup_bars(sc: JobShopScenario, work: Iterable[Assignment]) -> list[Assignment]:
    """Setup bars placed right before each operation that needs one on its machine."""
    if not sc.setups:
        return []
    job_of = {op_id: job.id for op_id, (job, _, _) in sc.operation_index.items()}
    per: dict[str, list[Assignment]] = {}
    for a in work:
        if a.end > a.start:  # zero-length work owes and needs no setup (as in the checker)
            per.setdefault(a.resource, []).append(a)
    out = []
    for res, lst in per.items():
        lst.sort(key=lambda a: (a.start, a.end))
        for prev, nxt in zip(lst, lst[1:]):
            if prev.task in job_of and nxt.task in job_of:
                st = sc.setup_time(res, job_of[prev.task], job_of[nxt.task])
                if st > 0:
                    out.append(Assignment(nxt.task, res, nxt.start - st, nxt.start, Category.SETUP))
    return out


def rebuild(sc: JobShopScenario, schedule: Schedule, work: Iterable[Assignment]) -> Schedule:
    """``schedule`` with its work replaced by ``work`` and its setup bars recomputed."""
    work = sorted(work, key=lambda a: (a.resource, a.start, a.task))
    return replace(schedule, assignments=tuple(work) + tuple(setup_bars(sc, work)))


# --------------------------------------------------------------------------- edits
def allowed_resources(sc: JobShopScenario, task: str) -> tuple[str, ...]:
    """Machines the operation may run on (its modes)."""
    if task not in sc.operation_index:
        raise EditError(f"unknown operation {task!r}")
    return tuple(m.resource for m in sc.operation_index[task][2].modes)


def move(sc: JobShopScenario, schedule: Schedule, task: str, start: int, resource: str | None = None) -> Schedule:
    """``task`` placed at ``start`` (on ``resource`` when given); its duration follows the machine's mode."""
    by_task = schedule.by_task()
    if task not in by_task:
        raise EditError(f"operation {task!r} is not in the schedule")
    old = by_task[task]
    resource = resource or old.resource
    op = sc.operation_index[task][2] if task in sc.operation_index else None
    if op is None:
        raise EditError(f"unknown operation {task!r}")
    mode = op.mode_on(resource)
    if mode is None:
        raise EditError(f"{task} cannot run on {resource} (allowed: {', '.join(allowed_resources(sc, task))})")
    start = max(0, int(start))
    new = Assignment(task, resource, start, start + mode.duration)
    return rebuild(sc, schedule, [new if a.task == task else a for a in schedule.work()])


def _sequence_graph(sc: JobShopScenario, work: dict[str, Assignment]):
    """Predecessor lists from job routes and the current machine sequences (with setup times)."""
    preds: dict[str, list[tuple[str, int]]] = {t: [] for t in work}
    for job in sc.jobs:
        route = [op.id for op in job.operations if op.id in work]
        for a, b in zip(route, route[1:]):
            preds[b].append((a, 0))
    job_of = {op_id: job.id for op_id, (job, _, _) in sc.operation_index.items()}
    per: dict[str, list[Assignment]] = {}
    for a in work.values():
        per.setdefault(a.resource, []).append(a)
    for res, lst in per.items():
        lst.sort(key=lambda a: (a.start, a.end, a.task))
        for p, n in zip(lst, lst[1:]):
            preds[n.task].append((p.task, sc.setup_time(res, job_of[p.task], job_of[n.task])))
    return preds


def _topological(preds: dict[str, list[tuple[str, int]]], key) -> list[str]:
    succs: dict[str, list[str]] = {t: [] for t in preds}
    indeg = {t: len(ps) for t, ps in preds.items()}
    for t, ps in preds.items():
        for p, _ in ps:
            succs[p].append(t)
    ready = deque(sorted((t for t, d in indeg.items() if d == 0), key=key))
    order = []
    while ready:
        t = ready.popleft()
        order.append(t)
        for s in succs[t]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if len(order) != len(preds):
        stuck = sorted(t for t, d in indeg.items() if d > 0)[:4]
        raise EditError("machine sequences contradict the job routes around " + ", ".join(stuck))
    return order


def compact(sc: JobShopScenario, schedule: Schedule, pinned: Iterable[str] | None = None) -> Schedule:
    """Left-shift every unpinned operation, keeping job routes and machine sequences.

    The operations are placed one by one in the order of their current starts
    (an operation waits for its route predecessor), each at the earliest time
    its route predecessor, the previous operation on its machine (plus setup),
    its job's release, its machine's calendar and the pinned bars allow. On a
    feasible schedule this keeps every machine sequence; after a drag it
    resolves overlaps and route inversions in the order the bars now stand.
    Pinned operations stay where they are; a bar after a pinned bar on its
    machine stays after it, and setup times to and from pinned bars are kept.
    No bar moves later than it stands unless it must (its place is taken, or
    its predecessors end later), so compact never delays a feasible plan.
    Zero-length work takes no machine time: only its route, release and the
    calendar place it.
    """
    pins = pinned_tasks(schedule) if pinned is None else frozenset(pinned)
    work = schedule.by_task()
    machines = sc.machine_index
    job_of: dict[str, str] = {}
    route_pred: dict[str, str | None] = {}
    release: dict[str, int] = {}
    for job in sc.jobs:
        prev = None
        for op in job.operations:
            if op.id in work:
                job_of[op.id], route_pred[op.id], release[op.id] = job.id, prev, job.release
                prev = op.id
    pinned_on: dict[str, list[Assignment]] = {}  # each machine's pinned bars, in time order
    placed: dict[str, Assignment] = {}
    for t in pins & work.keys():
        a = work[t]
        placed[t] = a
        pinned_on.setdefault(a.resource, []).append(a)
    for lst in pinned_on.values():
        lst.sort(key=lambda a: (a.start, a.end))
    free = sorted((t for t in work if t not in pins), key=lambda t: (work[t].start, work[t].end, t))
    waiting: dict[str, list[str]] = {}  # route predecessor -> operations waiting for it
    last_on: dict[str, Assignment] = {}

    def setup(res: str, a: str, b: str) -> int:
        return sc.setup_time(res, job_of[a], job_of[b]) if a in job_of and b in job_of else 0

    def place(t: str) -> None:
        a = work[t]
        dur = a.end - a.start
        res = a.resource
        est = release.get(t, 0)
        p = route_pred.get(t)
        if p is not None:
            est = max(est, placed[p].end)
        key = (a.start, a.end, t)
        # zero-length work takes no machine time and owes or needs no setup (the checker's rule):
        # only its route, its release and the calendar place it
        pinned_here = [q for q in pinned_on.get(res, ()) if q.end > q.start] if dur > 0 else []
        # the bars t follows on its machine: the last free one placed, and the pinned bars it stood after
        before = [q for q in pinned_here if (q.start, q.end, q.task) < key]
        if dur > 0 and last_on.get(res) is not None:
            before.append(last_on[res])
        if before:
            prev = max(before, key=lambda x: (x.end, x.start))
            est = max(est, *(x.end for x in before), prev.end + setup(res, prev.task, t))
        later = [q for q in pinned_here if (q.start, q.end, q.task) > key]
        cal = machines[res].calendar if res in machines else None
        s = est
        moved = True
        while moved:  # fit between calendar windows and the pinned bars it stood before (with setups)
            moved = False
            if cal is not None:
                s2 = cal.earliest_start(s, dur)
                moved, s = s2 != s, s2
            for q in later:
                back = q.end + setup(res, q.task, t)
                if s < back and q.start < s + dur + setup(res, t, q.task):
                    s, moved = back, True  # does not fit before q: after it
        if s > a.start >= est and _free_at(a.start, dur, cal, pinned_here):
            # never later than it stands while it still may stand there: the setup to a pinned bar
            # is owed by whatever ends up just before it, which a bar placed earlier cannot know
            s = a.start
        placed[t] = Assignment(t, a.resource, s, s + dur)
        if dur > 0:
            last_on[a.resource] = placed[t]
        for w in waiting.pop(t, ()):
            place(w)

    for t in free:
        p = route_pred.get(t)
        if p is not None and p not in placed:
            waiting.setdefault(p, []).append(t)  # placed right after its predecessor
        else:
            place(t)
    return rebuild(sc, schedule, placed.values())


def _free_at(start: int, dur: int, cal, pinned: list[Assignment]) -> bool:  # noqa: ANN001
    """``[start, start + dur)`` fits the calendar and overlaps no pinned bar."""
    if cal is not None and cal.earliest_start(start, dur) != start:
        return False
    return all(q.end <= start or start + dur <= q.start for q in pinned)


# --------------------------------------------------------------------------- analyses
def critical_path(sc: JobShopScenario, schedule: Schedule) -> list[str]:
    """Operations on a longest chain ending at the makespan, first to last.

    Walks back from the last-ending operation through a route or machine
    predecessor that ends exactly when it starts (setup included); where none
    does (a release, a calendar window or idle time), the chain stops.
    """
    work = schedule.by_task()
    if not work:
        return []
    preds = _sequence_graph(sc, work)
    t = max(work.values(), key=lambda a: (a.end, a.task)).task
    path = [t]
    seen = {t}
    while True:
        nxt = [p for p, gap in preds[t] if p not in seen and work[p].end + gap == work[t].start]
        if not nxt:
            break
        t = nxt[0]
        seen.add(t)
        path.append(t)
    return path[::-1]


def slack(sc: JobShopScenario, schedule: Schedule) -> dict[str, int]:
    """How far each operation could start later without delaying the makespan (sequences kept).

    Calendar windows are not considered in the backward pass, so the slack
    is an upper bound when an operation would slide into a window.
    """
    work = schedule.by_task()
    if not work:
        return {}
    preds = _sequence_graph(sc, work)
    order = _topological(preds, key=lambda t: work[t].start)
    horizon = max(a.end for a in work.values())
    latest_end = {t: horizon for t in work}
    for t in reversed(order):
        ls = latest_end[t] - (work[t].end - work[t].start)
        for p, gap in preds[t]:
            latest_end[p] = min(latest_end[p], ls - gap)
    return {t: max(0, latest_end[t] - work[t].end) for t in work}


def diff(a: Schedule, b: Schedule, tolerance: int = 0) -> dict[str, str]:
    """Operations that differ from ``a`` to ``b``: ``"reassigned"`` (other machine), ``"moved"``, ..."""
    return schedule_diff(a, b, tolerance)
