"""Kind-neutral pieces of disjunctive (big-M) MIP scheduling models, shared by every kind's builder.

A task is an integer start in a window and one *mode* per resource it may run on, for a
duration; with several modes each has a binary and exactly one is chosen, and the task's end is
its start plus the chosen mode's duration (:func:`add_tasks`, :func:`choose_one_mode`). Around that:

* :func:`precedence`: one task after another (with a lag); :func:`end_by`: a hard deadline;
* :func:`unary_resources`: resources that run one task at a time, each with its windows kept
  clear, built from :func:`unary_pairs` + :func:`add_disjunctions` (an order binary per pair of
  tasks that may share the resource, with an optional sequence-dependent setup between them) and
  :func:`window_blocks` + :func:`add_windows_clear` (a before/after binary per task and window);
* :func:`add_pins`, :func:`add_earliest`: what a caller asks of any kind;
* :func:`minimize_makespan`: the latest of some ends;
* :func:`task_values`, :func:`order_values`, :func:`window_values`, :func:`set_task_values`,
  :func:`read_work`: a schedule as a (complete) MIP start and a solution back as work.

Every function takes plain data (task ids, mode lists, windows as ``(start, end)``) and a Pyomo
model or block ``m``; the rows go to ``m.cons`` (a ``ConstraintList``, declared by the first piece
that needs it), the variables to components named by the caller (defaults: ``start``, ``x``, ``y``,
``w``). Each big-M row gets its own ``M`` from the bounds of the starts involved plus the duration
and setup it must relax, so a tight window per task gives a tight model; the pieces that write
such rows return the largest ``M`` they used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pyomo.core as pyo  # not pyomo.environ: its plugins break under PySide6's import hook
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.mip.highs_run import checkpoint

Literal = Any  # a mode binary (a Pyomo VarData), or the constant 1 for a task's only mode
TaskSpec = tuple[str, str, Sequence[tuple[str, int]], tuple[int, int]]  # (task, group, modes, (lb, ub))


class ModeVar(NamedTuple):
    """One way to run a task: its binary (or 1) and the duration on that resource."""

    lit: Literal
    duration: int


@dataclass
class TaskVars:
    """Decision variables of one task; ``group`` is what it belongs to (a job, a wave)."""

    task: str
    group: str
    start: Any  # a Pyomo VarData
    modes: dict[str, ModeVar] = field(default_factory=dict)

    def end(self):  # noqa: ANN201 - a Pyomo expression
        if len(self.modes) == 1:
            return self.start + next(iter(self.modes.values()))[1]
        return self.start + sum(dur * x for x, dur in self.modes.values())


class Entry(NamedTuple):
    """A task that may run on a resource: its mode binary there (or 1) and the duration."""

    tv: TaskVars
    lit: Literal
    duration: int


class Pair(NamedTuple):
    """Two tasks that may share unary ``resource``; one order binary decides which goes first."""

    resource: str
    a: TaskVars
    lit_a: Literal
    dur_a: int
    b: TaskVars
    lit_b: Literal
    dur_b: int


class Block(NamedTuple):
    """A task (in one mode) kept clear of the window ``[start, end)`` of that mode's resource."""

    tv: TaskVars
    lit: Literal
    duration: int
    start: int
    end: int


# the changeover on ``resource`` between task ``a`` and a following task ``b``
Setup = Callable[[str, TaskVars, TaskVars], int]


@dataclass
class UnaryRows:
    """What :func:`unary_resources` built: its pairs and blocks (in the order of the binaries)."""

    pairs: list[Pair]
    blocks: list[Block]
    big_m: int


def rows(m: pyo.Block) -> pyo.ConstraintList:
    """``m.cons``, the list every piece adds its rows to (declared on first use)."""
    if m.component("cons") is None:
        m.cons = pyo.ConstraintList()
    return m.cons


def _off(*lits: Literal) -> object:
    """``sum(1 - lit)``: 0 when every mode is chosen, >= 1 otherwise."""
    return sum(1 - lit for lit in lits if not isinstance(lit, int))


# -- tasks and their order ------------------------------------------------------------------
def add_tasks(m: pyo.Block, tasks: Iterable[TaskSpec], *, start: str = "start", mode: str = "x",
              ) -> dict[str, TaskVars]:
    """Per task ``(task, group, modes, (lb, ub))`` an integer start in ``[lb, ub]`` (component
    ``start``, indexed by task) and, when it has several modes ``(resource, duration)``, a binary
    per mode (component ``mode``, indexed by ``(task, resource)``). Returns the tasks by id."""
    specs = list(tasks)
    rows(m)
    m.add_component(start, pyo.Var([t for t, _, _, _ in specs], domain=pyo.NonNegativeIntegers))
    m.add_component(mode, pyo.Var([(t, r) for t, _, modes, _ in specs if len(modes) > 1 for r, _ in modes],
                                  domain=pyo.Binary))
    svar, xvar = m.component(start), m.component(mode)
    out: dict[str, TaskVars] = {}
    for t, group, modes, (lb, ub) in specs:
        s = svar[t]
        s.setlb(lb)
        s.setub(ub)
        tv = TaskVars(t, group, s)
        for res, dur in modes:
            tv.modes[res] = ModeVar(1 if len(modes) == 1 else xvar[t, res], dur)
        out[t] = tv
    return out


def choose_one_mode(m: pyo.Block, tasks: Iterable[TaskVars]) -> None:
    """Each task with several modes runs in exactly one."""
    for tv in tasks:
        if len(tv.modes) > 1:
            rows(m).add(sum(x for x, _ in tv.modes.values()) == 1)


def precedence(m: pyo.Block, before: TaskVars, after: TaskVars, lag: int = 0) -> None:
    """``after`` starts no sooner than ``lag`` after ``before`` ends."""
    rows(m).add(after.start >= (before.end() + lag if lag else before.end()))


def end_by(m: pyo.Block, tv: TaskVars, t: int) -> None:
    """``tv`` ends by ``t`` (a hard deadline)."""
    rows(m).add(tv.end() <= t)


def by_resource(tasks: Iterable[TaskVars]) -> dict[str, list[Entry]]:
    """Resource id -> the tasks that may run on it, in task order."""
    out: dict[str, list[Entry]] = {}
    for tv in tasks:
        for res, (lit, dur) in tv.modes.items():
            out.setdefault(res, []).append(Entry(tv, lit, dur))
    return out


# -- unary resources ---------------------------------------------------------------------------
def unary_pairs(resource: str, entries: Sequence[Entry]) -> list[Pair]:
    """Every pair of the tasks that take time on ``resource`` (zero-length work takes none and owes
    or needs no setup: the checker's convention)."""
    busy = [e for e in entries if e.duration > 0]
    return [Pair(resource, *e_i, *e_j) for i, e_i in enumerate(busy) for e_j in busy[i + 1:]]


def window_blocks(entries: Sequence[Entry], windows: Iterable[tuple[int, int]]) -> list[Block]:
    """A block per (window, task on the resource): the windows ``(start, end)`` (merged where they
    overlap, e.g. ``Calendar.spans()``) block the resource, and a task, even a zero-length one, may
    not sit strictly inside one."""
    out = []
    for ws, we, *_ in windows:
        for tv, lit, dur in entries:
            if dur > 0 or we - ws > 1:
                out.append(Block(tv, lit, dur, ws, we))
    return out


def add_disjunctions(m: pyo.Block, pairs: Sequence[Pair], setup: Setup | None = None,
                     should_stop: Callable[[], bool] | None = None, *, name: str = "y") -> int:
    """One order binary per pair (component ``name``: 1 = ``a`` before ``b``), with ``setup(resource,
    a, b)`` added to the separation; the rows hold only when both modes are chosen. Pairwise setups
    are exact when they satisfy the triangle inequality, otherwise a restriction. Returns the
    largest M."""
    m.add_component(name, pyo.Var(range(len(pairs)), domain=pyo.Binary))
    yvar, cons, big_m = m.component(name), rows(m), 0
    for k, (res, a, lit_a, d_a, b, lit_b, d_b) in enumerate(pairs):
        checkpoint(should_stop, k)
        y, off = yvar[k], _off(lit_a, lit_b)
        su_ab = setup(res, a, b) if setup is not None else 0
        su_ba = setup(res, b, a) if setup is not None else 0
        # per-row M: large enough to relax the row over the starts' bounds (a mode that is not
        # chosen may be longer than the window allows, so M must cover its duration too)
        m_ab = max(0, a.start.ub + d_a + su_ab - b.start.lb)
        m_ba = max(0, b.start.ub + d_b + su_ba - a.start.lb)
        big_m = max(big_m, m_ab, m_ba)
        cons.add(b.start >= a.start + d_a + su_ab - m_ab * (1 - y) - m_ab * off)
        cons.add(a.start >= b.start + d_b + su_ba - m_ba * y - m_ba * off)
    return big_m


def add_windows_clear(m: pyo.Block, blocks: Sequence[Block], should_stop: Callable[[], bool] | None = None,
                      *, name: str = "w") -> int:
    """One before/after binary per block (component ``name``: 1 = ends before the window), the rows
    holding only when the mode is chosen. A window out of the task's reach gets no row (its binary
    fixed); one it can only precede (a resource retired until the end of time, say) a plain row with
    no M from the window's end. Returns the largest M."""
    m.add_component(name, pyo.Var(range(len(blocks)), domain=pyo.Binary))
    wvar, cons, big_m = m.component(name), rows(m), 0
    for k, (tv, lit, dur, ws, we) in enumerate(blocks):
        checkpoint(should_stop, k)
        before, off = wvar[k], _off(lit)
        lb, ub = tv.start.lb, tv.start.ub
        if ub + dur <= ws or we <= lb:  # the window is out of the task's reach: no row
            before.fix(1 if we > lb else 0)
            continue
        m_before = max(0, ub + dur - ws)
        if we > ub:  # it cannot start after the window: it ends before it
            before.fix(1)
            big_m = max(big_m, m_before)
            cons.add(tv.start + dur <= ws + m_before * off)
            continue
        m_after = max(0, we - lb)
        big_m = max(big_m, m_before, m_after)
        cons.add(tv.start + dur <= ws + m_before * (1 - before) + m_before * off)
        cons.add(tv.start >= we - m_after * before - m_after * off)
    return big_m


def unary_resources(m: pyo.Block, tasks: Iterable[TaskVars], resources: Iterable[tuple[str, Iterable[tuple[int, int]]]],
                    setup: Setup | None = None, should_stop: Callable[[], bool] | None = None, *,
                    order: str = "y", window: str = "w") -> UnaryRows:
    """Each resource ``(id, windows)`` runs one task at a time and its windows stay clear: the pairs
    of every resource (:func:`add_disjunctions`, binaries ``order``) then the blocks of every
    resource (:func:`add_windows_clear`, binaries ``window``)."""
    per = by_resource(tasks)
    pairs: list[Pair] = []
    blocks: list[Block] = []
    for res, windows in resources:
        entries = per.get(res, [])
        pairs += unary_pairs(res, entries)
        blocks += window_blocks(entries, windows)
    m_pairs = add_disjunctions(m, pairs, setup, should_stop, name=order)
    m_blocks = add_windows_clear(m, blocks, should_stop, name=window)
    return UnaryRows(pairs, blocks, max(m_pairs, m_blocks))


# -- what callers ask of every kind ---------------------------------------------------------
def add_pins(tasks: Mapping[str, TaskVars], pinned: Iterable[Assignment], *, word: str = "task") -> str:
    """Fix the start and mode of every pinned work assignment (unknown tasks are ignored); returns
    why a pin cannot be honoured at all (the last such reason), or ''."""
    why = ""
    for a in pinned:
        if a.category != Category.WORK:
            continue
        tv = tasks.get(a.task)
        if tv is None:
            continue
        if a.resource not in tv.modes:
            why = f"{word} {a.task} is pinned to {a.resource}, which it cannot use"
            continue
        for res, (lit, _) in tv.modes.items():
            if not isinstance(lit, int):
                lit.fix(1 if res == a.resource else 0)
        lb, ub = tv.start.lb, tv.start.ub
        if not lb <= a.start <= ub:
            why = f"{word} {a.task} is pinned at {a.start}, outside [{lb}, {ub}]"
            continue
        tv.start.fix(int(a.start))
    return why


def add_earliest(m: pyo.Block, tasks: Mapping[str, TaskVars], earliest: Mapping[str, int]) -> None:
    """Task ``t`` may not start before ``earliest[t]`` (unknown tasks are ignored)."""
    for task, t in earliest.items():
        tv = tasks.get(task)
        if tv is not None:
            rows(m).add(tv.start >= int(t))


def minimize_makespan(m: pyo.Block, ends: Iterable[Any], horizon: int) -> None:
    """Minimize ``obj_var`` in ``[0, horizon]``, no earlier than every end in ``ends``."""
    m.obj_var = pyo.Var(bounds=(0, horizon), domain=pyo.NonNegativeReals)
    for e in ends:
        rows(m).add(m.obj_var >= e)
    m.obj = pyo.Objective(expr=m.obj_var)


# -- warm values and reading back ---------------------------------------------------------------
def task_values(tasks: Mapping[str, TaskVars], schedule: Schedule, vals: dict,
                ) -> tuple[dict[str, int], dict[str, int]] | None:
    """Put the start and mode binaries of every task in ``schedule`` into ``vals``; returns ``(start,
    duration)`` by task, or None when a task is missing or on a resource it cannot use."""
    by_task = schedule.by_task()
    start: dict[str, int] = {}
    dur: dict[str, int] = {}
    for task, tv in tasks.items():
        a = by_task.get(task)
        if a is None or a.resource not in tv.modes:
            return None
        start[task] = int(a.start)
        dur[task] = tv.modes[a.resource][1]
        vals[tv.start] = int(a.start)
        for res, (lit, _) in tv.modes.items():
            if not isinstance(lit, int):
                vals[lit] = 1 if res == a.resource else 0
    return start, dur


def order_values(y: pyo.Var, pairs: Sequence[Pair], start: Mapping[str, int], setup: Setup | None,
                 vals: dict) -> None:
    """The order binaries ``y`` of ``pairs`` as the starts ``start`` have them."""
    for k, (res, a, _, d_a, b, _, _) in enumerate(pairs):
        su_ab = setup(res, a, b) if setup is not None else 0
        vals[y[k]] = 1 if start[b.task] >= start[a.task] + d_a + su_ab else 0


def window_values(w: pyo.Var, blocks: Sequence[Block], start: Mapping[str, int], vals: dict) -> None:
    """The before/after binaries ``w`` of ``blocks`` as the starts ``start`` have them."""
    for k, (tv, _, d, ws, _) in enumerate(blocks):
        if not w[k].fixed:  # fixed where only one side of the window is reachable
            vals[w[k]] = 1 if start[tv.task] + d <= ws else 0


def set_task_values(tasks: Mapping[str, TaskVars], schedule: Schedule) -> int:
    """Set the start and mode variables from ``schedule``; returns the number of tasks set."""
    by_task = schedule.by_task()
    n = 0
    for task, tv in tasks.items():
        a = by_task.get(task)
        if a is None or a.resource not in tv.modes or tv.start.fixed:
            continue
        tv.start.set_value(int(a.start), skip_validation=True)
        for res, (lit, _) in tv.modes.items():
            if not isinstance(lit, int) and not lit.fixed:
                lit.set_value(1 if res == a.resource else 0, skip_validation=True)
        n += 1
    return n


def read_work(tasks: Mapping[str, TaskVars], val: Callable[[Any], float] = pyo.value) -> list[Assignment]:
    """The work assignment of every task in the loaded solution (starts rounded to whole time units;
    ``val`` reads a variable)."""
    work: list[Assignment] = []
    for tv in tasks.values():
        s = int(round(val(tv.start)))
        res, (_, dur) = max(tv.modes.items(), key=lambda kv: 1.0 if isinstance(kv[1][0], int) else val(kv[1][0]))
        work.append(Assignment(tv.task, res, s, s + dur, Category.WORK))
    return work


__all__ = [
    "Block",
    "Entry",
    "ModeVar",
    "Pair",
    "Setup",
    "TaskVars",
    "UnaryRows",
    "add_disjunctions",
    "add_earliest",
    "add_pins",
    "add_tasks",
    "add_windows_clear",
    "by_resource",
    "choose_one_mode",
    "end_by",
    "minimize_makespan",
    "order_values",
    "precedence",
    "read_work",
    "rows",
    "set_task_values",
    "task_values",
    "unary_pairs",
    "unary_resources",
    "window_blocks",
    "window_values",
]
