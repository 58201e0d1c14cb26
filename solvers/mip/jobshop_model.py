"""Pyomo MIP model of a job shop: disjunctive big-M, split into variables / constraints / objective.

Built from the kind-neutral pieces of :mod:`.parts`: one integer start per operation and a binary
per mode when it has several (:func:`~.parts.add_tasks`); route precedence
(:func:`~.parts.precedence`), release dates (the starts' bounds) and hard deadlines
(:func:`~.parts.end_by`); per machine (:func:`~.parts.unary_resources`) one order binary per pair
of operations whose modes share it (gated by the mode binaries), with the sequence-dependent
setup added to the pair's separation (pairwise: exact when setups satisfy the triangle
inequality, otherwise feasible but possibly not optimal), and calendar windows as fixed blocks,
each with its own order binary per (operation, mode), where the operation can reach both sides
of the window (a window it can only precede, such as a machine retired until the end of time, is
a plain row with no M from the window's end).

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
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.mip import parts
from opsplan.solvers.mip.parts import Block, Pair, TaskVars
from pyomo.common.collections import ComponentMap


@dataclass
class JobShopModel:
    """The Pyomo model plus the handles needed to read a schedule back."""

    model: pyo.ConcreteModel
    scenario: JobShopScenario
    ops: dict[str, TaskVars]
    horizon: int
    big_m: int
    infeasible: str = ""  # set when a pin cannot be honoured at all
    pairs: list[Pair] = field(default_factory=list)  # per order binary y
    blocks: list[Block] = field(default_factory=list)  # per window binary w


# -- variables ----------------------------------------------------------------
def add_variables(sc: JobShopScenario, horizon: int) -> JobShopModel:
    """Per operation a start (from the job's release plus the route's shortest work before it, to
    the horizon less the shortest work from it on) and a binary per mode when it has several."""
    m = pyo.ConcreteModel(name=sc.name)
    specs = []
    for job in sc.jobs:
        est = job.release
        tail = sum(op.min_duration for op in job.operations)
        for op in job.operations:
            tail -= op.min_duration
            specs.append((op.id, job.id, [(md.resource, md.duration) for md in op.modes],
                          (est, max(est, horizon - tail - op.min_duration))))
            est += op.min_duration
    ops = parts.add_tasks(m, specs)
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
def _setup(sc: JobShopScenario) -> parts.Setup:
    return lambda machine, a, b: sc.setup_time(machine, a.group, b.group)


def add_constraints(jm: JobShopModel, should_stop: Callable[[], bool] | None = None) -> None:
    sc, m = jm.scenario, jm.model
    for job in sc.jobs:
        for a, b in zip(job.operations, job.operations[1:]):
            parts.precedence(m, jm.ops[a.id], jm.ops[b.id])
        if job.deadline is not None and job.operations:
            # hard deadline on the last operation's end (only tightens: horizon and big-M stay valid)
            parts.end_by(m, jm.ops[job.operations[-1].id], job.deadline)
    parts.choose_one_mode(m, jm.ops.values())
    machines = [(machine.id, [(ws, we) for ws, we, _ in machine.calendar.spans()]) for machine in sc.machines]
    ur = parts.unary_resources(m, jm.ops.values(), machines, _setup(sc), should_stop)
    jm.pairs, jm.blocks = ur.pairs, ur.blocks
    jm.big_m = max(jm.big_m, ur.big_m)


def add_pins(jm: JobShopModel, pinned: Iterable[Assignment]) -> None:
    """Fix the start (and mode) of every pinned operation; unknown tasks are ignored."""
    jm.infeasible = parts.add_pins(jm.ops, pinned, word="operation") or jm.infeasible


def add_earliest(jm: JobShopModel, earliest: Mapping[str, int]) -> None:
    """Operation ``task`` may not start before ``earliest[task]`` (unknown tasks are ignored)."""
    parts.add_earliest(jm.model, jm.ops, earliest)


# -- objective ----------------------------------------------------------------
def add_objective(jm: JobShopModel) -> None:
    sc, m, h = jm.scenario, jm.model, jm.horizon
    ends = {job.id: jm.ops[job.operations[-1].id].end() for job in sc.jobs if job.operations}
    if sc.objective == Objective.MAKESPAN:
        parts.minimize_makespan(m, ends.values(), h)
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
def complete_values(jm: JobShopModel, schedule: Schedule) -> dict | None:
    """A value for every variable of the model from ``schedule`` (a complete MIP start), or None.

    Order and window binaries follow the schedule; objective and tardiness variables take
    their tightest values. Whether the result is feasible is the caller's check (against the
    translated rows), so a schedule that breaks the model simply yields an infeasible vector.
    """
    sc, m = jm.scenario, jm.model
    vals = ComponentMap()
    got = parts.task_values(jm.ops, schedule, vals)
    if got is None:
        return None
    start, dur = got
    parts.order_values(m.y, jm.pairs, start, _setup(sc), vals)
    parts.window_values(m.w, jm.blocks, start, vals)
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
    work = parts.read_work(jm.ops, val)
    return Schedule(tuple(work) + tuple(setup_bars(jm.scenario, work)), name)
