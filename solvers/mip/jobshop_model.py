"""Pyomo MIP model of a job shop: disjunctive big-M, split into variables / constraints / objective.

One integer start per operation; a binary per mode when an operation has several;
route precedence, release dates and hard deadlines; one order binary per pair of operations whose
modes share a machine (gated by the mode binaries), with the sequence-dependent
setup added to the pair's separation (pairwise: exact when setups satisfy the
triangle inequality, otherwise feasible but possibly not optimal); calendar
windows as fixed blocks, each with its own order binary per (operation, mode), where
the operation can reach both sides of the window (a window it can only precede, such
as a machine retired until the end of time, is a plain row with no M from the window's end).

Each big-M row gets its own ``M`` from the bounds of the starts involved (so from the
horizon handed to :func:`add_variables`: every start lies in ``[0, horizon]``) plus the
duration and setup it must relax; a tight horizon gives a tight model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pyomo.core as pyo  # not pyomo.environ: its plugins break under PySide6's import hook
from opsplan.models.jobshop.edit import setup_bars
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.mip.highs_run import BuildStopped, checkpoint  # noqa: F401 - BuildStopped: for callers
from pyomo.common.collections import ComponentMap


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
    pairs: list = field(default_factory=list)  # (machine, ov_i, lit_i, d_i, ov_j, lit_j, d_j) per y
    blocks: list = field(default_factory=list)  # (ov, lit, dur, window start, window end) per w


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
    return JobShopModel(m, sc, ops, horizon, 0)  # big_m: the largest M of any row, once they are built


def setups_pairwise_exact(sc: JobShopScenario) -> bool:
    """True when requiring the setup between *every* ordered pair on a machine (what the disjunctive
    rows do) is exact: no job ``j`` placed between ``i`` and ``k`` makes their changeover cheaper,
    ``s(i,k) <= s(i,j) + p(j) + s(j,k)`` with ``p(j)`` the job's shortest busy operation there.
    Otherwise the model is a restriction: its optimum and infeasibility prove nothing."""
    import numpy as np

    for sm in sc.setups:
        # every job with work on the machine, listed in the matrix or not: an unlisted job needs
        # no setup either way, so placed between two listed jobs it can save their changeover
        p = {}
        for job in sc.jobs:
            durs = [md.duration for op in job.operations for md in op.modes
                    if md.resource == sm.machine and md.duration > 0]
            if durs:
                p[job.id] = min(durs)
        users = list(p)
        if len(users) < 2:
            continue
        mat = np.array([[sm.time(a, b) for b in users] for a in users], dtype=np.int64)
        pv = np.array([p[j] for j in users], dtype=np.int64)
        for j in range(len(users)):  # through j: s(i,j) + p(j) + s(j,k) for every i, k
            via = mat[:, j][:, None] + pv[j] + mat[j, :][None, :]
            if np.any(mat > via):
                return False
    return True


# -- constraints ----------------------------------------------------------------
def _off(*lits) -> object:  # noqa: ANN002 - mode binaries or the constant 1
    """``sum(1 - lit)``: 0 when every mode is chosen, >= 1 otherwise."""
    return sum(1 - lit for lit in lits if not isinstance(lit, int))


def add_constraints(jm: JobShopModel, should_stop: Callable[[], bool] | None = None) -> None:
    sc, m = jm.scenario, jm.model
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
        for ws, we, _ in machine.calendar.spans():
            for ov, lit, dur in entries:
                if dur > 0 or we - ws > 1:
                    blocks.append((ov, lit, dur, ws, we))

    jm.pairs, jm.blocks = pairs, blocks
    m.y = pyo.Var(range(len(pairs)), domain=pyo.Binary)
    for k, (mid, ov_i, lit_i, d_i, ov_j, lit_j, d_j) in enumerate(pairs):
        checkpoint(should_stop, k)
        y, off = m.y[k], _off(lit_i, lit_j)
        su_ij = sc.setup_time(mid, ov_i.job_id, ov_j.job_id)
        su_ji = sc.setup_time(mid, ov_j.job_id, ov_i.job_id)
        # per-row M: large enough to relax the row over the starts' bounds (a mode that is not
        # chosen may be longer than the horizon allows, so M must cover its duration too)
        m_ij = max(0, ov_i.start.ub + d_i + su_ij - ov_j.start.lb)
        m_ji = max(0, ov_j.start.ub + d_j + su_ji - ov_i.start.lb)
        jm.big_m = max(jm.big_m, m_ij, m_ji)
        m.cons.add(ov_j.start >= ov_i.start + d_i + su_ij - m_ij * (1 - y) - m_ij * off)
        m.cons.add(ov_i.start >= ov_j.start + d_j + su_ji - m_ji * y - m_ji * off)

    m.w = pyo.Var(range(len(blocks)), domain=pyo.Binary)
    for k, (ov, lit, dur, ws, we) in enumerate(blocks):
        checkpoint(should_stop, k)
        before, off = m.w[k], _off(lit)
        lb, ub = ov.start.lb, ov.start.ub
        if ub + dur <= ws or we <= lb:  # the window is out of the operation's reach: no row
            before.fix(1 if we > lb else 0)
            continue
        m_before = max(0, ub + dur - ws)
        if we > ub:  # it cannot start after the window (a machine retired, say): it ends before it
            before.fix(1)
            jm.big_m = max(jm.big_m, m_before)
            m.cons.add(ov.start + dur <= ws + m_before * off)
            continue
        m_after = max(0, we - lb)
        jm.big_m = max(jm.big_m, m_before, m_after)
        m.cons.add(ov.start + dur <= ws + m_before * (1 - before) + m_before * off)
        m.cons.add(ov.start >= we - m_after * before - m_after * off)


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
    """Set the start and mode variables from ``schedule``; returns the number of operations set."""
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


def complete_values(jm: JobShopModel, schedule: Schedule) -> dict | None:
    """A value for every variable of the model from ``schedule`` (a complete MIP start), or None.

    Order and window binaries follow the schedule; objective and tardiness variables take
    their tightest values. Whether the result is feasible is the caller's check (against the
    translated rows), so a schedule that breaks the model simply yields an infeasible vector.
    """
    sc, m = jm.scenario, jm.model
    by_task = schedule.by_task()
    vals = ComponentMap()
    start: dict[str, int] = {}
    dur: dict[str, int] = {}
    for op_id, ov in jm.ops.items():
        a = by_task.get(op_id)
        if a is None or a.resource not in ov.modes:
            return None
        start[op_id] = int(a.start)
        dur[op_id] = ov.modes[a.resource][1]
        vals[ov.start] = int(a.start)
        for res, (lit, _) in ov.modes.items():
            if not isinstance(lit, int):
                vals[lit] = 1 if res == a.resource else 0
    for k, (mid, ov_i, _, d_i, ov_j, _, _) in enumerate(jm.pairs):
        su_ij = sc.setup_time(mid, ov_i.job_id, ov_j.job_id)
        vals[m.y[k]] = 1 if start[ov_j.op_id] >= start[ov_i.op_id] + d_i + su_ij else 0
    for k, (ov, _, d, ws, _) in enumerate(jm.blocks):
        if not m.w[k].fixed:  # fixed where only one side of the window is reachable
            vals[m.w[k]] = 1 if start[ov.op_id] + d <= ws else 0
    ends = {job.id: start[job.operations[-1].id] + dur[job.operations[-1].id] for job in sc.jobs if job.operations}
    objective_values(jm.scenario, m, ends, vals)
    return vals


def objective_values(sc: JobShopScenario, m: pyo.ConcreteModel, ends: Mapping[str, int], vals: dict) -> None:
    """Tightest values of the objective variables (``obj_var``, ``tardiness``) given the job ends."""
    if sc.objective == Objective.MAKESPAN:
        vals[m.obj_var] = max(ends.values(), default=0)
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        total = 0
        for key in m.tardiness:
            job = sc.job_index[key]
            t = max(0, ends[key] - job.due)
            vals[m.tardiness[key]] = t
            total += job.weight * t
        vals[m.obj_var] = max(0, total)
    elif sc.objective == Objective.MAX_LATENESS:
        late = [ends[j.id] - j.due for j in sc.jobs if j.due is not None and j.id in ends]
        vals[m.obj_var] = max(late) if late else 0


def read_schedule(jm: JobShopModel, name: str = "", val=pyo.value) -> Schedule:  # noqa: ANN001 - VarData -> float
    """The schedule of the loaded solution (starts rounded to whole time units); ``val`` reads a variable."""
    sc = jm.scenario
    work: list[Assignment] = []
    for ov in jm.ops.values():
        s = int(round(val(ov.start)))
        res, (_, dur) = max(
            ov.modes.items(), key=lambda kv: 1.0 if isinstance(kv[1][0], int) else val(kv[1][0])
        )
        work.append(Assignment(ov.op_id, res, s, s + dur, Category.WORK))
    return Schedule(tuple(work) + tuple(setup_bars(sc, work)), name)
