"""Pyomo MIP model of a job shop: disjunctive big-M, split into variables / constraints / objective.

One integer start per operation; a binary per mode when an operation has several;
route precedence, release dates and hard deadlines; one order binary per pair of operations whose
modes share a machine (gated by the mode binaries), with the sequence-dependent
setup added to the pair's separation (pairwise: exact when setups satisfy the
triangle inequality, otherwise feasible but possibly not optimal); calendar
windows as fixed blocks, each with its own order binary per (operation, mode).

``M`` is computed from the horizon handed to :func:`add_variables` (every start
and end lies in ``[0, horizon]``), so a tight horizon gives a tight model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyomo.core as pyo  # not pyomo.environ: its plugins break under PySide6's import hook
from opsplan.models.jobshop.edit import setup_bars
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule


def merged_windows(windows) -> list[tuple[int, int]]:  # noqa: ANN001 - iterable of Window
    """The union of ``windows`` as sorted, disjoint ``(start, end)`` spans (empty windows dropped)."""
    out: list[tuple[int, int]] = []
    for ws, we in sorted((w.start, w.end) for w in windows if w.end > w.start):
        if out and ws <= out[-1][1]:
            out[-1] = (out[-1][0], max(we, out[-1][1]))
        else:
            out.append((ws, we))
    return out


@dataclass
class OpVars:
    """Decision variables of one operation: its start and, per machine, (mode binary or 1, duration)."""

    op_id: str
    job_id: str
    start: pyo.Var
    modes: dict[str, tuple[object, int]] = field(default_factory=dict)

    def end(self):  # noqa: ANN201 - a Pyomo expression
        if len(self.modes) == 1:
            return self.start + next(iter(self.modes.values()))[1]
        return self.start + sum(dur * x for x, dur in self.modes.values())


@dataclass
class JobShopModel:
    """The Pyomo model plus the handles needed to read a schedule back."""

    model: pyo.ConcreteModel
    scenario: JobShopScenario
    ops: dict[str, OpVars]
    horizon: int
    big_m: int
    infeasible: str = ""  # set when a pin cannot be honoured at all


# -- variables ----------------------------------------------------------------
def add_variables(sc: JobShopScenario, horizon: int) -> JobShopModel:
    m = pyo.ConcreteModel(name=sc.name)
    m.cons = pyo.ConstraintList()
    ops: dict[str, OpVars] = {}
    keys = [op.id for job in sc.jobs for op in job.operations]
    m.start = pyo.Var(keys, domain=pyo.NonNegativeIntegers)
    mode_keys = [(op.id, md.resource) for job in sc.jobs for op in job.operations if len(op.modes) > 1
                 for md in op.modes]
    m.x = pyo.Var(mode_keys, domain=pyo.Binary)
    for job in sc.jobs:
        est = job.release
        tail = sum(op.min_duration for op in job.operations)
        for op in job.operations:
            tail -= op.min_duration
            s = m.start[op.id]
            s.setlb(est)
            s.setub(max(est, horizon - tail - op.min_duration))
            ov = OpVars(op.id, job.id, s)
            for md in op.modes:
                ov.modes[md.resource] = (1 if len(op.modes) == 1 else m.x[op.id, md.resource], md.duration)
            ops[op.id] = ov
            est += op.min_duration
    max_setup = max((max((max(row, default=0) for row in s.matrix), default=0) for s in sc.setups), default=0)
    last_window = max((w.end for mc in sc.machines for w in mc.calendar.windows), default=0)
    big_m = max(horizon, last_window) + max(0, max_setup) + 1
    return JobShopModel(m, sc, ops, horizon, big_m)


# -- constraints ----------------------------------------------------------------
def _off(*lits) -> object:  # noqa: ANN002 - mode binaries or the constant 1
    """``sum(1 - lit)``: 0 when every mode is chosen, >= 1 otherwise."""
    return sum(1 - lit for lit in lits if not isinstance(lit, int))


def add_constraints(jm: JobShopModel) -> None:
    sc, m, big = jm.scenario, jm.model, jm.big_m
    for job in sc.jobs:
        for a, b in zip(job.operations, job.operations[1:]):
            m.cons.add(jm.ops[b.id].start >= jm.ops[a.id].end())
        if job.deadline is not None and job.operations:
            # hard deadline on the last operation's end (only tightens: horizon and big-M stay valid)
            m.cons.add(jm.ops[job.operations[-1].id].end() <= job.deadline)
    for ov in jm.ops.values():
        if len(ov.modes) > 1:
            m.cons.add(sum(x for x, _ in ov.modes.values()) == 1)

    per_machine: dict[str, list[tuple[OpVars, object, int]]] = {}
    for ov in jm.ops.values():
        for res, (lit, dur) in ov.modes.items():
            per_machine.setdefault(res, []).append((ov, lit, dur))

    pairs = []
    blocks = []
    for machine in sc.machines:
        entries = per_machine.get(machine.id, [])
        # zero-length work takes no machine time and owes or needs no setup (the checker's convention)
        busy = [e for e in entries if e[2] > 0]
        for i, (ov_i, lit_i, d_i) in enumerate(busy):
            for ov_j, lit_j, d_j in busy[i + 1:]:
                pairs.append((machine.id, ov_i, lit_i, d_i, ov_j, lit_j, d_j))
        # a window blocks the machine; an operation (even zero-length) may not sit strictly inside it
        for ws, we in merged_windows(machine.calendar.windows):
            for ov, lit, dur in entries:
                if dur > 0 or we - ws > 1:
                    blocks.append((ov, lit, dur, ws, we))

    m.y = pyo.Var(range(len(pairs)), domain=pyo.Binary)
    for k, (mid, ov_i, lit_i, d_i, ov_j, lit_j, d_j) in enumerate(pairs):
        y, off = m.y[k], _off(lit_i, lit_j)
        su_ij = sc.setup_time(mid, ov_i.job_id, ov_j.job_id)
        su_ji = sc.setup_time(mid, ov_j.job_id, ov_i.job_id)
        m.cons.add(ov_j.start >= ov_i.start + d_i + su_ij - big * (1 - y) - big * off)
        m.cons.add(ov_i.start >= ov_j.start + d_j + su_ji - big * y - big * off)

    m.w = pyo.Var(range(len(blocks)), domain=pyo.Binary)
    for k, (ov, lit, dur, ws, we) in enumerate(blocks):
        before, off = m.w[k], _off(lit)
        m.cons.add(ov.start + dur <= ws + big * (1 - before) + big * off)
        m.cons.add(ov.start >= we - big * before - big * off)


def add_pins(jm: JobShopModel, pinned: Iterable[Assignment]) -> None:
    """Fix the start (and mode) of every pinned operation; unknown tasks are ignored."""
    for a in pinned:
        if a.category != Category.WORK:
            continue
        ov = jm.ops.get(a.task)
        if ov is None:
            continue
        mode = ov.modes.get(a.resource)
        if mode is None:
            jm.infeasible = f"operation {a.task} is pinned to {a.resource}, which it cannot use"
            continue
        for res, (lit, _) in ov.modes.items():
            if not isinstance(lit, int):
                lit.fix(1 if res == a.resource else 0)
        lb, ub = ov.start.lb, ov.start.ub
        if not lb <= a.start <= ub:
            jm.infeasible = f"operation {a.task} is pinned at {a.start}, outside [{lb}, {ub}]"
            continue
        ov.start.fix(int(a.start))


def add_earliest(jm: JobShopModel, earliest: Mapping[str, int]) -> None:
    """Operation ``task`` may not start before ``earliest[task]`` (unknown tasks are ignored)."""
    for task, t in earliest.items():
        ov = jm.ops.get(task)
        if ov is not None:
            jm.model.cons.add(ov.start >= int(t))


# -- objective ----------------------------------------------------------------
def add_objective(jm: JobShopModel) -> None:
    sc, m, h = jm.scenario, jm.model, jm.horizon
    ends = {job.id: jm.ops[job.operations[-1].id].end() for job in sc.jobs if job.operations}
    if sc.objective == Objective.MAKESPAN:
        m.obj_var = pyo.Var(bounds=(0, h), domain=pyo.NonNegativeReals)
        for e in ends.values():
            m.cons.add(m.obj_var >= e)
        m.obj = pyo.Objective(expr=m.obj_var)
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        tardy = [j for j in sc.jobs if j.due is not None and j.weight != 0 and j.id in ends]
        m.tardiness = pyo.Var([j.id for j in tardy], domain=pyo.NonNegativeReals)
        for j in tardy:
            m.cons.add(m.tardiness[j.id] >= ends[j.id] - j.due)
        # an objective variable even without tardy jobs: HiGHS refuses a constant objective
        m.obj_var = pyo.Var(domain=pyo.NonNegativeReals)
        m.cons.add(m.obj_var >= sum(j.weight * m.tardiness[j.id] for j in tardy))
        m.obj = pyo.Objective(expr=m.obj_var)
    elif sc.objective == Objective.MAX_LATENESS:
        due_jobs = [j for j in sc.jobs if j.due is not None and j.id in ends]
        lo = -max((j.due for j in due_jobs), default=0)
        m.obj_var = pyo.Var(bounds=(lo, max(h, 0)), domain=pyo.Reals)
        for j in due_jobs:
            m.cons.add(m.obj_var >= ends[j.id] - j.due)
        if not due_jobs:
            m.cons.add(m.obj_var >= 0)
        m.obj = pyo.Objective(expr=m.obj_var)
    else:  # pragma: no cover - enum is closed
        raise ValueError(sc.objective)


# -- warm values and reading back ---------------------------------------------------
def set_values(jm: JobShopModel, schedule: Schedule) -> int:
    """Set variable values from ``schedule`` (a MIP start where the interface passes one); returns ops set."""
    by_task = schedule.by_task()
    n = 0
    for op_id, ov in jm.ops.items():
        a = by_task.get(op_id)
        if a is None or a.resource not in ov.modes or ov.start.fixed:
            continue
        ov.start.set_value(int(a.start), skip_validation=True)
        for res, (lit, _) in ov.modes.items():
            if not isinstance(lit, int) and not lit.fixed:
                lit.set_value(1 if res == a.resource else 0, skip_validation=True)
        n += 1
    return n


def read_schedule(jm: JobShopModel, name: str = "") -> Schedule:
    """The schedule of the loaded solution (starts rounded to whole time units)."""
    sc = jm.scenario
    work: list[Assignment] = []
    for ov in jm.ops.values():
        s = int(round(pyo.value(ov.start)))
        res, (_, dur) = max(
            ov.modes.items(), key=lambda kv: 1.0 if isinstance(kv[1][0], int) else pyo.value(kv[1][0])
        )
        work.append(Assignment(ov.op_id, res, s, s + dur, Category.WORK))
    return Schedule(tuple(work) + tuple(setup_bars(sc, work)), name)
