"""Kind-neutral pieces of CP-SAT scheduling models, shared by every kind's model builder.

A task is a start, an end and one interval per *mode* (a resource it may run on, for a
duration, holding an amount of it); with several modes each interval is optional and exactly
one is chosen (:func:`new_task`). Around that:

* :func:`precedence`: one task after another (with a lag);
* :func:`unary_resource`: a resource that runs one task at a time (no overlap), its calendar's
  windows blocking it, zero-length work kept out of the windows' insides;
* :func:`cumulative_resource`: a resource of capacity C shared by tasks holding amounts of it
  (bandwidth, a crew), its windows taking all of it;
* :func:`transitions`: sequence-dependent changeover times between the tasks of a unary resource;
* :func:`add_pins`, :func:`add_earliest`, :func:`add_change_budget`: what a caller asks of any
  kind (pinned assignments, earliest starts, at most K changes against a baseline);
* :func:`hint_tasks`, :func:`read_work`: a schedule as a solution hint and back.

Every business constraint (a calendar window, a pin, an earliest start, the change budget) may be
*guarded*: given a :data:`Guard`, the piece asks it for a literal naming the constraint in
business terms and enforces the constraint only under that literal. The explainer
(:mod:`opsplan.solvers.cpsat.explain`) assumes those literals to find a small conflicting set;
the solve passes no guard and gets the plain model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from opsplan.models.core import Calendar
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.models.timetext import At
from opsplan.solvers.result import Conflict
from ortools.sat.python import cp_model

# the explainer's hook: a literal assumed for one business constraint (``order``: lower ones are
# tried first when the conflict set is shrunk); None where the model is built to be solved
Guard = Callable[[Conflict, int], cp_model.IntVar]
Literal = cp_model.IntVar | int  # a presence literal, or 1 for a task's only mode


class ModeVar(NamedTuple):
    """One way to run a task: on ``resource`` for ``duration``, holding ``amount`` of it."""

    presence: Literal
    interval: cp_model.IntervalVar
    duration: int
    amount: int = 1


@dataclass
class TaskVars:
    """Decision variables of one task; ``group`` is what it belongs to (a job, a wave)."""

    task: str
    group: str
    start: cp_model.IntVar
    end: cp_model.IntVar
    modes: dict[str, ModeVar] = field(default_factory=dict)

    def on(self, resource: str) -> ModeVar | None:
        return self.modes.get(resource)


def _enforce(*lits: Literal | None) -> list[cp_model.IntVar]:
    """The literals of ``lits`` that are not constants (for ``only_enforce_if``)."""
    return [x for x in lits if x is not None and not isinstance(x, int)]


# -- tasks and their order ------------------------------------------------------------------
def new_task(model: cp_model.CpModel, task: str, group: str, modes: Sequence[tuple[str, int] | tuple[str, int, int]],
             start: tuple[int, int], end: tuple[int, int]) -> TaskVars:
    """A task with ``start`` and ``end`` in the given ranges and an interval per mode
    ``(resource, duration[, amount])``: fixed when there is one, optional with exactly one chosen
    when there are several (named ``s_``/``e_``/``i_``/``x_`` + the task id)."""
    s = model.new_int_var(start[0], start[1], f"s_{task}")
    e = model.new_int_var(end[0], end[1], f"e_{task}")
    tv = TaskVars(task, group, s, e)
    if len(modes) == 1:
        resource, duration, *amount = modes[0]
        itv = model.new_interval_var(s, duration, e, f"i_{task}")
        tv.modes[resource] = ModeVar(1, itv, duration, amount[0] if amount else 1)
    else:
        for resource, duration, *amount in modes:
            lit = model.new_bool_var(f"x_{task}_{resource}")
            itv = model.new_optional_interval_var(s, duration, e, lit, f"i_{task}_{resource}")
            tv.modes[resource] = ModeVar(lit, itv, duration, amount[0] if amount else 1)
    return tv


def choose_one_mode(model: cp_model.CpModel, tasks: Iterable[TaskVars]) -> None:
    """Each task with several modes runs in exactly one."""
    for tv in tasks:
        lits = [m.presence for m in tv.modes.values()]
        if len(lits) > 1:
            model.add_exactly_one(lits)


def precedence(model: cp_model.CpModel, before: TaskVars, after: TaskVars, lag: int = 0,
               enforce: Literal | None = None) -> None:
    """``after`` starts no sooner than ``lag`` after ``before`` ends (only under ``enforce`` when given)."""
    ct = model.add(after.start >= before.end + lag) if lag else model.add(after.start >= before.end)
    if _enforce(enforce):
        ct.only_enforce_if(_enforce(enforce))


def by_resource(tasks: Iterable[TaskVars]) -> dict[str, list[tuple[TaskVars, ModeVar]]]:
    """Resource id -> the (task, mode) pairs that may run on it, in task order."""
    out: dict[str, list[tuple[TaskVars, ModeVar]]] = {}
    for tv in tasks:
        for res, mv in tv.modes.items():
            out.setdefault(res, []).append((tv, mv))
    return out


# -- resources ---------------------------------------------------------------------------------
WindowConflict = Callable[[int, int, list[int]], Conflict]  # (start, end, window indices) -> its conflict


def _guarded_windows(calendar: Calendar, guard: Guard | None, conflict: WindowConflict | None,
                     ) -> list[tuple[int, int, list[int], bool]]:
    """``(start, end, window indices, alone)`` to block: the calendar's merged spans; when guarded,
    overlapping windows one by one (``alone`` False), so a conflict names the window that matters."""
    out = []
    windows = calendar.windows
    for span in calendar.spans():
        if guard is None or len(span[2]) == 1:
            out.append((*span, True))
        else:
            out += [(windows[k].start, windows[k].end, [k], False) for k in span[2]]
    return out


def unary_resource(model: cp_model.CpModel, resource: str, entries: Sequence[tuple[TaskVars, ModeVar]],
                   calendar: Calendar, *, guard: Guard | None = None, conflict: WindowConflict | None = None,
                   window_order: int = 2) -> list[tuple[TaskVars, ModeVar]]:
    """One task at a time on ``resource``; its calendar windows block it like fixed tasks.

    Zero-length work takes no time on it (and owes or needs no changeover: the checker's
    convention); it only may not sit strictly inside a window. With a ``guard`` every window is
    a business constraint of its own (``conflict`` names it). Returns the entries that take
    time (for :func:`transitions`).
    """
    busy = [(tv, mv) for tv, mv in entries if mv.duration > 0]
    points = [(tv, mv) for tv, mv in entries if mv.duration == 0]
    intervals = [mv.interval for _, mv in busy]
    blocks = _guarded_windows(calendar, guard, conflict)
    lits: list[Literal | None] = []
    for k, (ws, we, ks, alone) in enumerate(blocks):
        if guard is None:
            # merged first: two overlapping fixed intervals in one no-overlap would make it infeasible
            lit = None
            itv = model.new_fixed_size_interval_var(ws, we - ws, f"w_{resource}_{k}")
        else:
            lit = guard(conflict(ws, we, ks), window_order)
            itv = model.new_optional_fixed_size_interval_var(ws, we - ws, lit, "")
        lits.append(lit)
        if alone:
            intervals.append(itv)
        elif busy:
            model.add_no_overlap([itv, *(mv.interval for _, mv in busy)])
        if guard is not None:
            _points_outside(model, points, ws, we, lit)
    if len(intervals) > 1:
        model.add_no_overlap(intervals)
    if guard is None:
        for tv, mv in points:
            for ws, we, _, _ in blocks:
                _points_outside(model, [(tv, mv)], ws, we, None)
    return busy


def _points_outside(model: cp_model.CpModel, points: Sequence[tuple[TaskVars, ModeVar]], ws: int, we: int,
                    lit: Literal | None) -> None:
    """Zero-length work at or before ``ws`` or at or after ``we`` (never strictly inside the window)."""
    if we - ws <= 1:
        return
    for tv, mv in points:
        before = model.new_bool_var("")
        enf = _enforce(lit, mv.presence)
        model.add(tv.start <= ws).only_enforce_if([before, *enf])
        model.add(tv.start >= we).only_enforce_if([~before, *enf])


def cumulative_resource(model: cp_model.CpModel, resource: str, capacity: int,
                        entries: Sequence[tuple[TaskVars, ModeVar]], calendar: Calendar, *,
                        guard: Guard | None = None, conflict: WindowConflict | None = None,
                        window_order: int = 2) -> None:
    """The tasks on ``resource`` hold at most ``capacity`` of it at any time (each its mode's
    ``amount``); its calendar windows take all of it (each a business constraint when guarded)."""
    intervals = [mv.interval for _, mv in entries if mv.duration > 0]
    demands = [mv.amount for _, mv in entries if mv.duration > 0]
    for k, (ws, we, ks, _) in enumerate(_guarded_windows(calendar, guard, conflict)):
        if guard is None:
            itv = model.new_fixed_size_interval_var(ws, we - ws, f"w_{resource}_{k}")
        else:
            itv = model.new_optional_fixed_size_interval_var(ws, we - ws, guard(conflict(ws, we, ks), window_order), "")
        intervals.append(itv)
        demands.append(capacity)
    if intervals:
        model.add_cumulative(intervals, demands, capacity)


def transitions(model: cp_model.CpModel, entries: Sequence[tuple[TaskVars, ModeVar]],
                time: Callable[[TaskVars, TaskVars], int]) -> None:
    """Sequence the tasks of one unary resource with a circuit so that ``time(a, b)`` (a changeover)
    sits between neighbours ``a`` then ``b``; tasks that may run elsewhere may leave the circuit."""
    if len(entries) < 2:
        return
    arcs = []
    optional = False
    for i, (tv_i, mv_i) in enumerate(entries, start=1):
        arcs.append((0, i, model.new_bool_var("")))
        arcs.append((i, 0, model.new_bool_var("")))
        if not isinstance(mv_i.presence, int):
            arcs.append((i, i, ~mv_i.presence))
            optional = True
        for j, (tv_j, _) in enumerate(entries, start=1):
            if i == j:
                continue
            lit = model.new_bool_var("")
            arcs.append((i, j, lit))
            model.add(tv_j.start >= tv_i.end + time(tv_i, tv_j)).only_enforce_if(lit)
    if optional:
        # every task may run elsewhere: the depot's self-loop lets the circuit be empty
        arcs.append((0, 0, model.new_bool_var("")))
    model.add_circuit(arcs)


# -- what callers ask of every kind ---------------------------------------------------------
def add_pins(model: cp_model.CpModel, tasks: Mapping[str, TaskVars], pinned: Iterable[Assignment], *,
             guard: Guard | None = None, word: str = "task") -> None:
    """Each pinned work assignment keeps its resource and start (unknown tasks are ignored; a pin on
    a resource the task cannot use is infeasible). Guarded, each pin is a business constraint."""
    for a in pinned:
        if a.category != Category.WORK:
            continue
        tv = tasks.get(a.task)
        if tv is None:
            continue
        lit = None if guard is None else guard(
            Conflict.of("pin", (f"{word} {a.task} is pinned to {a.resource} at ", At(a.start)), (a.task,)), 0)
        mv = tv.on(a.resource)
        if mv is None:
            model.add_bool_or([] if lit is None else [~lit])
            continue
        if not isinstance(mv.presence, int):
            if lit is None:
                model.add(mv.presence == 1)
            else:
                model.add_implication(lit, mv.presence)
        ct = model.add(tv.start == a.start)
        if lit is not None:
            ct.only_enforce_if(lit)


def add_earliest(model: cp_model.CpModel, tasks: Mapping[str, TaskVars], earliest: Mapping[str, int], *,
                 guard: Guard | None = None, word: str = "task") -> None:
    """Task ``t`` may not start before ``earliest[t]`` (unknown tasks are ignored). Guarded, each
    positive earliest start is a business constraint."""
    items = earliest.items() if guard is None else sorted(earliest.items())
    for task, t in items:
        tv = tasks.get(task)
        if tv is None:
            continue
        if guard is None:
            model.add(tv.start >= int(t))
        elif t > 0:
            lit = guard(Conflict.of("earliest", (f"{word} {task} may not start before ", At(t)), (task,)), 0)
            model.add(tv.start >= int(t)).only_enforce_if(lit)


def add_change_budget(model: cp_model.CpModel, tasks: Mapping[str, TaskVars], baseline: Iterable[Assignment],
                      max_changes: int, tolerance: int = 0, pinned: Iterable[Assignment] = (), *,
                      guard: Guard | None = None, word: str = "task") -> dict[str, cp_model.IntVar]:
    """At most ``max_changes`` tasks may differ from ``baseline``.

    A task is *changed* when it runs on another resource than in the baseline or starts more
    than ``tolerance`` away from its baseline start (:func:`opsplan.models.schedule.count_changes`
    counts the same way). Each task with a baseline assignment gets a literal ``changed``; ``not
    changed`` enforces the baseline resource and ``|start - baseline start| <= tolerance``. A task
    without a baseline assignment (or whose baseline resource it cannot use) is always changed.

    Solved (no ``guard``), a pinned task is a constant: changed only when its pin differs from
    the baseline. Guarded, the budget is one business constraint and a pinned task counts like
    any other (its pin, when assumed, fixes whether it changed; when the explainer drops the pin,
    the budget must not still count it). Returns the ``changed`` literals by task id.
    """
    tol = max(0, int(tolerance))
    base = {a.task: a for a in baseline if a.category == Category.WORK}
    pins = {a.task: a for a in pinned if a.category == Category.WORK} if guard is None else {}
    lit = None if guard is None else guard(
        Conflict("change_budget", f"at most {max_changes} {word}s may change", (), ""), 0)
    forced = 0
    changed: dict[str, cp_model.IntVar] = {}
    for task, tv in tasks.items():
        b = base.get(task)
        pin = pins.get(task)
        if pin is not None:
            forced += b is None or pin.resource != b.resource or abs(pin.start - b.start) > tol
            continue
        mv = tv.on(b.resource) if b is not None else None
        if mv is None:
            forced += 1
            continue
        ch = model.new_bool_var(f"chg_{task}" if guard is None else "")
        if not isinstance(mv.presence, int):
            model.add_implication(~ch, mv.presence)
        model.add(tv.start >= b.start - tol).only_enforce_if(~ch)
        model.add(tv.start <= b.start + tol).only_enforce_if(~ch)
        changed[task] = ch
    if lit is not None:
        model.add(sum(changed.values()) + forced <= int(max_changes)).only_enforce_if(lit)
    elif changed:
        model.add(sum(changed.values()) <= int(max_changes) - forced)
    elif forced > int(max_changes):
        model.add_bool_or([])  # more forced changes than the budget: infeasible
    return changed


# -- hints and reading back ------------------------------------------------------------------
def hint_tasks(model: cp_model.CpModel, tasks: Mapping[str, TaskVars], schedule: Schedule) -> int:
    """Hint every task found in ``schedule`` (start, end, mode); returns how many were hinted."""
    by_task = schedule.by_task()
    n = 0
    for task, tv in tasks.items():
        a = by_task.get(task)
        if a is None or a.resource not in tv.modes:
            continue
        model.add_hint(tv.start, a.start)
        model.add_hint(tv.end, a.start + tv.modes[a.resource].duration)
        for res, mv in tv.modes.items():
            if not isinstance(mv.presence, int):
                model.add_hint(mv.presence, res == a.resource)
        n += 1
    return n


def read_work(values: cp_model.CpSolver | cp_model.CpSolverSolutionCallback,
              tasks: Mapping[str, TaskVars]) -> list[Assignment]:
    """The work assignment of every task in the solution ``values`` (a solver or a solution callback)."""
    work: list[Assignment] = []
    for tv in tasks.values():
        s = values.value(tv.start)
        for res, mv in tv.modes.items():
            if isinstance(mv.presence, int) or values.boolean_value(mv.presence):
                work.append(Assignment(tv.task, res, s, s + mv.duration, Category.WORK,
                                       mv.amount if mv.amount != 1 else 1))
                break
    return work


__all__ = [
    "Guard",
    "ModeVar",
    "TaskVars",
    "add_change_budget",
    "add_earliest",
    "add_pins",
    "by_resource",
    "choose_one_mode",
    "cumulative_resource",
    "hint_tasks",
    "new_task",
    "precedence",
    "read_work",
    "transitions",
    "unary_resource",
]
