"""Specialised MIP models of a single machine: positional (assignment) and time-indexed.

Both apply when every job is one operation with one mode on the same machine, that
machine has no calendar windows and no setups, and nothing is pinned (earliest
starts merge into the release dates); :func:`why_not` says why not otherwise, and the
caller falls back to the disjunctive model.

* **positional** — ``x[j, k] = 1`` when job ``j`` is ``k``-th; ``C[k]`` the completion
  of position ``k`` (``C[k] >= C[k-1] + p``, ``C[k] >= r + p`` of its job); job
  tardiness linked to positions by a per-(job, position) big-M built from the
  semi-active bound ``max r + sum of the k+1 largest p``.
* **time-indexed** — ``x[j, t] = 1`` when job ``j`` starts at ``t``; one capacity row per
  time unit; the objective as start-time costs (a tight LP bound, but the model grows
  with ``jobs x horizon x durations``: only for small horizons, and only when forced —
  measured, the positional model proves optima faster even there).

Either way the schedule read back is the solution's sequence, left-shifted (never worse,
every deadline still met).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyomo.core as pyo  # not pyomo.environ (see the package docstring)
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.mip.highs_run import checkpoint
from opsplan.solvers.mip.jobshop_model import objective_values
from opsplan.solvers.result import Params
from pyomo.common.collections import ComponentMap

POSITIONAL = "positional"
TIME_INDEXED = "time-indexed"
# the time-indexed model is built (when forced) only while its capacity rows stay small
TIME_INDEXED_MAX_NONZEROS = 1_000_000


def why_not(sc: JobShopScenario, params: Params | None = None) -> str | None:
    """Why the specialised single-machine models do not apply to ``sc`` with ``params``; None when they do."""
    pinned = params.pinned if params is not None else ()
    if not sc.jobs:
        return "no jobs"
    machines = set()
    for job in sc.jobs:
        if len(job.operations) != 1:
            return "a job has more than one operation"
        op = job.operations[0]
        if len(op.modes) != 1:
            return "an operation has several modes"
        if op.modes[0].duration == 0:
            # zero-length work takes no machine time (the checker's convention): it may sit inside
            # another job's run, which a sequence of positions cannot express
            return "an operation has zero duration"
        machines.add(op.modes[0].resource)
    if len(machines) != 1:
        return "operations use more than one machine"
    mid = next(iter(machines))
    machine = sc.machine_index.get(mid)
    if machine is not None and any(w.end > w.start for w in machine.calendar.windows):
        return "the machine has calendar windows"
    s = sc.setup_index.get(mid)
    if s is not None and any(v for row in s.matrix for v in row):
        return "the machine has setup times"
    if any(a.category == Category.WORK for a in pinned):
        return "operations are pinned"
    return None


@dataclass
class SingleMachineModel:
    model: pyo.ConcreteModel
    scenario: JobShopScenario
    formulation: str
    machine: str
    jobs: list  # Job
    p: dict[str, int]
    r: dict[str, int]  # release merged with earliest start
    horizon: int  # every semi-active schedule ends by it
    infeasible: str = ""
    stats: dict = field(default_factory=dict)


def data(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None) -> SingleMachineModel:
    """The common data: durations, effective releases and the semi-active horizon."""
    jobs = list(sc.jobs)
    p = {j.id: j.operations[0].modes[0].duration for j in jobs}
    r = {j.id: max(j.release, int(earliest.get(j.operations[0].id, 0))) for j in jobs}
    h = max(r.values()) + sum(p.values())
    if horizon is not None:
        h = min(h, horizon)
    return SingleMachineModel(pyo.ConcreteModel(name=sc.name), sc, "", jobs[0].operations[0].modes[0].resource,
                              jobs, p, r, h)


def time_indexed_size(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None) -> tuple[int, int]:
    """(columns, capacity nonzeros) of the time-indexed model, to decide whether to build it."""
    sm = data(sc, earliest, horizon)
    cols = nz = 0
    for j in sm.jobs:
        n = max(0, _last_start(sm, j) - sm.r[j.id] + 1)
        cols += n
        nz += n * sm.p[j.id]
    return cols, nz


def _last_start(sm: SingleMachineModel, job) -> int:  # noqa: ANN001 - Job
    last = sm.horizon
    if job.deadline is not None:
        last = min(last, job.deadline)
    return last - sm.p[job.id]


def _objective_vars(sm: SingleMachineModel) -> None:
    sc, m = sm.scenario, sm.model
    if sc.objective == Objective.MAKESPAN:
        m.obj_var = pyo.Var(bounds=(0, sm.horizon), domain=pyo.NonNegativeReals)
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        tardy = [j for j in sm.jobs if j.due is not None and j.weight != 0]
        m.tardiness = pyo.Var([j.id for j in tardy], domain=pyo.NonNegativeReals)
        m.obj_var = pyo.Var(domain=pyo.NonNegativeReals)
    elif sc.objective == Objective.MAX_LATENESS:
        due = [j for j in sm.jobs if j.due is not None]
        m.obj_var = pyo.Var(bounds=(-max((j.due for j in due), default=0), max(sm.horizon, 0)), domain=pyo.Reals)
    m.obj = pyo.Objective(expr=m.obj_var)


# -- positional -----------------------------------------------------------------------------
def positional_variables(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None):
    sm = data(sc, earliest, horizon)
    sm.formulation = POSITIONAL
    m, n = sm.model, len(sm.jobs)
    m.cons = pyo.ConstraintList()
    m.x = pyo.Var([(j.id, k) for j in sm.jobs for k in range(n)], domain=pyo.Binary)
    big = sorted(sm.p.values(), reverse=True)
    small = sorted(sm.p.values())
    top = max(sm.r.values())
    sm.stats["ub"] = ub = [min(sm.horizon, top + sum(big[:k + 1])) for k in range(n)]
    m.C = pyo.Var(range(n), domain=pyo.NonNegativeReals)
    for k in range(n):
        m.C[k].setlb(sum(small[:k + 1]) + min(sm.r.values()))
        m.C[k].setub(ub[k])
    _objective_vars(sm)
    return sm


def positional_constraints(sm: SingleMachineModel, should_stop: Callable[[], bool] | None = None) -> None:
    m, n, jobs = sm.model, len(sm.jobs), sm.jobs
    for i, j in enumerate(jobs):
        checkpoint(should_stop, i, every=16)
        m.cons.add(sum(m.x[j.id, k] for k in range(n)) == 1)
    for k in range(n):
        checkpoint(should_stop, k, every=8)  # n^2 terms: a few hundred jobs take seconds
        m.cons.add(sum(m.x[j.id, k] for j in jobs) == 1)
        m.cons.add(m.C[k] >= sum((sm.r[j.id] + sm.p[j.id]) * m.x[j.id, k] for j in jobs))
        if k:
            m.cons.add(m.C[k] >= m.C[k - 1] + sum(sm.p[j.id] * m.x[j.id, k] for j in jobs))
    if any(j.deadline is not None for j in jobs):
        for k in range(n):
            dl = {j.id: sm.stats["ub"][k] if j.deadline is None else j.deadline for j in jobs}
            m.cons.add(m.C[k] <= sum(dl[j.id] * m.x[j.id, k] for j in jobs))


def positional_objective(sm: SingleMachineModel, should_stop: Callable[[], bool] | None = None) -> None:
    sc, m, n, ub = sm.scenario, sm.model, len(sm.jobs), sm.stats["ub"]
    if sc.objective == Objective.MAKESPAN:
        m.cons.add(m.obj_var >= m.C[n - 1])
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        for i, key in enumerate(m.tardiness):
            checkpoint(should_stop, i, every=8)
            job = sc.job_index[key]
            for k in range(n):
                big = ub[k] - job.due
                if big > 0:  # else position k can never make the job late
                    m.cons.add(m.tardiness[key] >= m.C[k] - job.due - big * (1 - m.x[key, k]))
        m.cons.add(m.obj_var >= sum(sc.job_index[key].weight * m.tardiness[key] for key in m.tardiness))
    elif sc.objective == Objective.MAX_LATENESS:
        lo = m.obj_var.lb
        if not any(j.due is not None for j in sm.jobs):
            m.cons.add(m.obj_var >= 0)
        for k in range(n):
            checkpoint(should_stop, k, every=8)
            # a job without a due date contributes nothing: its "due" makes the row slack
            due = {j.id: ub[k] - lo if j.due is None else j.due for j in sm.jobs}
            m.cons.add(m.obj_var >= m.C[k] - sum(due[j.id] * m.x[j.id, k] for j in sm.jobs))


def positional_model(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None,
                     should_stop: Callable[[], bool] | None = None):
    sm = positional_variables(sc, earliest, horizon)
    checkpoint(should_stop)
    positional_constraints(sm, should_stop)
    positional_objective(sm, should_stop)
    return sm


# -- time-indexed -----------------------------------------------------------------------------
def time_indexed_variables(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None):
    sm = data(sc, earliest, horizon)
    sm.formulation = TIME_INDEXED
    m = sm.model
    m.cons = pyo.ConstraintList()
    keys = [(j.id, t) for j in sm.jobs for t in range(sm.r[j.id], _last_start(sm, j) + 1)]
    m.x = pyo.Var(keys, domain=pyo.Binary)
    sm.stats["times"] = {j.id: range(sm.r[j.id], _last_start(sm, j) + 1) for j in sm.jobs}
    for j in sm.jobs:
        if not sm.stats["times"][j.id]:
            sm.infeasible = f"job {j.id} cannot finish by its deadline"
    _objective_vars(sm)
    return sm


def time_indexed_constraints(sm: SingleMachineModel, should_stop: Callable[[], bool] | None = None) -> None:
    m, times = sm.model, sm.stats["times"]
    for j in sm.jobs:
        m.cons.add(sum(m.x[j.id, t] for t in times[j.id]) == 1)
    running: dict[int, list] = {}
    for k, j in enumerate(sm.jobs):
        checkpoint(should_stop, k, every=1)
        p = sm.p[j.id]
        for s in times[j.id]:
            for t in range(s, s + p):  # job j started at s occupies [t, t + 1)
                running.setdefault(t, []).append(m.x[j.id, s])
    for t in sorted(running):
        checkpoint(should_stop, t)
        if len(running[t]) > 1:
            m.cons.add(sum(running[t]) <= 1)


def time_indexed_objective(sm: SingleMachineModel) -> None:
    sc, m, times = sm.scenario, sm.model, sm.stats["times"]
    if sc.objective == Objective.MAKESPAN:
        for j in sm.jobs:
            m.cons.add(m.obj_var >= sum((t + sm.p[j.id]) * m.x[j.id, t] for t in times[j.id]))
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        for key in m.tardiness:
            job, p = sc.job_index[key], sm.p[key]
            terms = [(t + p - job.due) * m.x[key, t] for t in times[key] if t + p > job.due]
            if terms:
                m.cons.add(m.tardiness[key] >= sum(terms))
        m.cons.add(m.obj_var >= sum(sc.job_index[key].weight * m.tardiness[key] for key in m.tardiness))
    elif sc.objective == Objective.MAX_LATENESS:
        due = [j for j in sm.jobs if j.due is not None]
        if not due:
            m.cons.add(m.obj_var >= 0)
        for j in due:
            m.cons.add(m.obj_var >= sum((t + sm.p[j.id] - j.due) * m.x[j.id, t] for t in times[j.id]))


def time_indexed_model(sc: JobShopScenario, earliest: Mapping[str, int], horizon: int | None = None,
                       should_stop: Callable[[], bool] | None = None):
    sm = time_indexed_variables(sc, earliest, horizon)
    if not sm.infeasible:
        time_indexed_constraints(sm, should_stop)
        time_indexed_objective(sm)
    return sm


# -- sequences, warm values, reading back ------------------------------------------------------
def left_shift(sm: SingleMachineModel, order: list[str]) -> dict[str, tuple[int, int]]:
    """Job id -> (start, end) of the semi-active schedule of ``order``."""
    t, out = 0, {}
    for jid in order:
        s = max(t, sm.r[jid])
        t = s + sm.p[jid]
        out[jid] = (s, t)
    return out


def sequence(sm: SingleMachineModel, val=pyo.value) -> list[str]:  # noqa: ANN001
    """The job order of the solution read with ``val`` (VarData -> number)."""
    m = sm.model
    if sm.formulation == POSITIONAL:
        n = len(sm.jobs)
        return [max(sm.jobs, key=lambda j: val(m.x[j.id, k])).id for k in range(n)]
    times = sm.stats["times"]
    start = {j.id: max(times[j.id], key=lambda t: val(m.x[j.id, t])) for j in sm.jobs}
    return sorted(start, key=lambda jid: (start[jid], sm.p[jid]))


def read_schedule(sm: SingleMachineModel, name: str = "", val=pyo.value) -> Schedule:  # noqa: ANN001
    times = left_shift(sm, sequence(sm, val))
    work = [Assignment(j.operations[0].id, sm.machine, *times[j.id], Category.WORK) for j in sm.jobs]
    return Schedule(tuple(work), name)


def complete_values(sm: SingleMachineModel, schedule: Schedule) -> dict | None:
    """A value for every variable from ``schedule``'s job order (left-shifted), or None."""
    by_task = schedule.by_task()
    starts = {}
    for j in sm.jobs:
        a = by_task.get(j.operations[0].id)
        if a is None or a.resource != sm.machine:
            return None
        starts[j.id] = (a.start, a.end)
    order = sorted(starts, key=lambda jid: starts[jid])
    times = left_shift(sm, order)
    m, vals = sm.model, ComponentMap()
    if sm.formulation == POSITIONAL:
        for k, jid in enumerate(order):
            vals[m.C[k]] = times[jid][1]
            for j in sm.jobs:
                vals[m.x[j.id, k]] = 1 if j.id == jid else 0
    else:
        tt = sm.stats["times"]
        for j in sm.jobs:
            s = times[j.id][0]
            if s not in tt[j.id]:
                return None
            for t in tt[j.id]:
                vals[m.x[j.id, t]] = 1 if t == s else 0
    objective_values(sm.scenario, m, {jid: e for jid, (_, e) in times.items()}, vals)
    return vals
