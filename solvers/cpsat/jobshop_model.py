"""CP-SAT model of a job shop, split into variables / constraints / objective.

One optional interval per (operation, mode); no-overlap per machine, with the
machine's calendar windows as fixed intervals; a circuit per machine when
sequence-dependent setups are given. A job's hard deadline bounds the end of
its last operation.

Rescheduling adds two optional parts: :func:`add_earliest` (per-operation
earliest starts) and :func:`add_change_budget` (at most K operations may leave
their baseline machine and start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from opsplan.models.errors import SolverError
from opsplan.models.jobshop.edit import setup_bars
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule
from ortools.sat.python import cp_model


@dataclass
class OpVars:
    """Decision variables of one operation."""

    op_id: str
    job_id: str
    start: cp_model.IntVar
    end: cp_model.IntVar
    # machine id -> (presence literal, interval, duration); one entry per mode
    modes: dict[str, tuple[cp_model.IntVar | int, cp_model.IntervalVar, int]] = field(default_factory=dict)


@dataclass
class JobShopModel:
    """The CP-SAT model plus the handles needed to read a schedule back."""

    model: cp_model.CpModel
    scenario: JobShopScenario
    ops: dict[str, OpVars]
    job_end: dict[str, cp_model.IntVar]
    objective: cp_model.IntVar | None = None
    horizon: int = 0
    # set by add_change_budget: op id -> "changed" literal (non-pinned ops with a baseline)
    changed: dict[str, cp_model.IntVar] = field(default_factory=dict)


# -- variables ----------------------------------------------------------------
def add_variables(sc: JobShopScenario, horizon: int) -> JobShopModel:
    m = cp_model.CpModel()
    ops: dict[str, OpVars] = {}
    job_end: dict[str, cp_model.IntVar] = {}
    for job in sc.jobs:
        # earliest start of each op from the job's release and its predecessors' shortest modes
        est = job.release
        tail = sum(op.min_duration for op in job.operations)
        for op in job.operations:
            tail -= op.min_duration
            lo, hi = est, max(est, horizon - tail - op.min_duration)
            start = m.new_int_var(lo, hi, f"s_{op.id}")
            end = m.new_int_var(lo + op.min_duration, max(lo + op.min_duration, horizon - tail), f"e_{op.id}")
            ov = OpVars(op.id, job.id, start, end)
            if len(op.modes) == 1:
                md = op.modes[0]
                itv = m.new_interval_var(start, md.duration, end, f"i_{op.id}")
                ov.modes[md.resource] = (1, itv, md.duration)
            else:
                for md in op.modes:
                    lit = m.new_bool_var(f"x_{op.id}_{md.resource}")
                    itv = m.new_optional_interval_var(start, md.duration, end, lit, f"i_{op.id}_{md.resource}")
                    ov.modes[md.resource] = (lit, itv, md.duration)
            ops[op.id] = ov
            est += op.min_duration
        job_end[job.id] = ops[job.operations[-1].id].end
    return JobShopModel(m, sc, ops, job_end, horizon=horizon)


# -- constraints ----------------------------------------------------------------
def add_constraints(jm: JobShopModel) -> None:
    sc, m = jm.scenario, jm.model
    for job in sc.jobs:
        for a, b in zip(job.operations, job.operations[1:]):
            m.add(jm.ops[b.id].start >= jm.ops[a.id].end)
        if job.deadline is not None and job.operations:
            # hard deadline: a constraint, not a domain bound, so an impossible one is
            # an infeasible model (status INFEASIBLE), not an empty domain at build time
            m.add(jm.job_end[job.id] <= job.deadline)
    for ov in jm.ops.values():
        lits = [lit for lit, _, _ in ov.modes.values()]
        if len(lits) > 1:
            m.add_exactly_one(lits)

    per_machine: dict[str, list[tuple[OpVars, cp_model.IntVar | int, cp_model.IntervalVar, int]]] = {}
    for ov in jm.ops.values():
        for res, (lit, itv, dur) in ov.modes.items():
            per_machine.setdefault(res, []).append((ov, lit, itv, dur))

    for machine in sc.machines:
        # zero-length work takes no machine time and owes or needs no setup (the
        # checker's convention): it only may not sit strictly inside a calendar window
        entries = [e for e in per_machine.get(machine.id, []) if e[3] > 0]
        points = [e for e in per_machine.get(machine.id, []) if e[3] == 0]
        intervals = [itv for _, _, itv, _ in entries]
        # calendar windows block the machine like fixed operations (merged first: two
        # overlapping fixed intervals in one no-overlap would make the model infeasible)
        windows = [(ws, we) for ws, we, _ in machine.calendar.spans()]
        for k, (ws, we) in enumerate(windows):
            intervals.append(m.new_fixed_size_interval_var(ws, we - ws, f"w_{machine.id}_{k}"))
        if len(intervals) > 1:
            m.add_no_overlap(intervals)
        for ov, lit, _, _ in points:
            chosen = [] if isinstance(lit, int) else [lit]
            for ws, we in windows:
                if we - ws > 1:
                    before = m.new_bool_var("")
                    m.add(ov.start <= ws).only_enforce_if([before, *chosen])
                    m.add(ov.start >= we).only_enforce_if([~before, *chosen])
        if machine.id in sc.setup_index and len(entries) > 1:
            _add_setup_circuit(jm, machine.id, entries)


def _add_setup_circuit(jm: JobShopModel, machine: str, entries: list) -> None:
    """Sequence the machine's operations with a circuit so setups can sit between neighbours."""
    m, sc = jm.model, jm.scenario
    arcs = []
    for i, (ov_i, lit_i, _, _) in enumerate(entries, start=1):
        first = m.new_bool_var("")
        last = m.new_bool_var("")
        arcs.append((0, i, first))
        arcs.append((i, 0, last))
        if not isinstance(lit_i, int):
            arcs.append((i, i, ~lit_i))
        for j, (ov_j, _, _, _) in enumerate(entries, start=1):
            if i == j:
                continue
            lit = m.new_bool_var("")
            arcs.append((i, j, lit))
            setup = sc.setup_time(machine, ov_i.job_id, ov_j.job_id)
            m.add(ov_j.start >= ov_i.end + setup).only_enforce_if(lit)
    if any(not isinstance(lit, int) for _, lit, _, _ in entries):
        # every operation may choose another machine: the depot's self-loop lets the circuit be empty
        arcs.append((0, 0, m.new_bool_var("")))
    m.add_circuit(arcs)


def add_pins(jm: JobShopModel, pinned: tuple[Assignment, ...]) -> None:
    """Each pinned work assignment keeps its machine and start (a pinned setup bar is not an operation)."""
    for a in pinned:
        if a.category != Category.WORK:
            continue
        ov = jm.ops.get(a.task)
        if ov is None:
            continue
        mode = ov.modes.get(a.resource)
        if mode is None:
            jm.model.add_bool_or([])  # pinned to a machine the operation may not use: infeasible
            continue
        lit = mode[0]
        if not isinstance(lit, int):
            jm.model.add(lit == 1)
        jm.model.add(ov.start == a.start)


def add_earliest(jm: JobShopModel, earliest: Mapping[str, int]) -> None:
    """Operation ``task`` may not start before ``earliest[task]`` (unknown tasks are ignored)."""
    for task, t in earliest.items():
        ov = jm.ops.get(task)
        if ov is not None:
            jm.model.add(ov.start >= int(t))


def add_change_budget(
    jm: JobShopModel,
    baseline: Iterable[Assignment],
    max_changes: int,
    tolerance: int = 0,
    pinned: Iterable[Assignment] = (),
) -> dict[str, cp_model.IntVar]:
    """At most ``max_changes`` operations may differ from ``baseline``.

    An operation is *changed* when it runs on another machine than in the
    baseline or starts more than ``tolerance`` away from its baseline start
    (:func:`opsplan.solvers.reschedule.count_changes` counts the same way).
    Each non-pinned operation with a baseline assignment gets a literal
    ``changed``; ``not changed`` enforces the baseline machine and
    ``|start - baseline start| <= tolerance``. A pinned operation is a constant:
    changed only when its pin differs from the baseline. An operation without a
    baseline assignment (or whose baseline machine it cannot use) is always
    changed. Then ``sum(changed) <= max_changes``. Returns the literals by op id.
    """
    m = jm.model
    tol = max(0, int(tolerance))
    base = {a.task: a for a in baseline if a.category == Category.WORK}
    pins = {a.task: a for a in pinned if a.category == Category.WORK}
    forced = 0
    changed: dict[str, cp_model.IntVar] = {}
    for op_id, ov in jm.ops.items():
        b = base.get(op_id)
        pin = pins.get(op_id)
        if pin is not None:
            forced += b is None or pin.resource != b.resource or abs(pin.start - b.start) > tol
            continue
        mode = ov.modes.get(b.resource) if b is not None else None
        if mode is None:
            forced += 1
            continue
        ch = m.new_bool_var(f"chg_{op_id}")
        lit = mode[0]
        if not isinstance(lit, int):
            m.add_implication(~ch, lit)
        m.add(ov.start >= b.start - tol).only_enforce_if(~ch)
        m.add(ov.start <= b.start + tol).only_enforce_if(~ch)
        changed[op_id] = ch
    if changed:
        m.add(sum(changed.values()) <= int(max_changes) - forced)
    elif forced > int(max_changes):
        m.add_bool_or([])  # more forced changes than the budget: infeasible
    jm.changed = changed
    return changed


# -- objective ----------------------------------------------------------------
CPSAT_MAX_VALUE = 2**62  # CP-SAT's domains are int64; leave room for its own sums


def add_objective(jm: JobShopModel) -> None:
    sc, m = jm.scenario, jm.model
    ends = list(jm.job_end.values())
    if sc.objective == Objective.MAKESPAN:
        obj = m.new_int_var(0, jm.horizon, "makespan")
        m.add_max_equality(obj, ends)
    elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
        terms = []
        for job in sc.jobs:
            if job.due is None or job.weight == 0:
                continue
            t = m.new_int_var(0, max(0, jm.horizon - job.due), f"T_{job.id}")
            m.add_max_equality(t, [0, jm.job_end[job.id] - job.due])
            terms.append(job.weight * t)
        ub = sum(job.weight * max(0, jm.horizon - job.due) for job in sc.jobs if job.due is not None)
        if ub > CPSAT_MAX_VALUE:
            raise SolverError(f"the total weighted tardiness of '{sc.name}' could reach {ub}, beyond CP-SAT's "
                              "64-bit integers: scale the weights or the time unit down (or use mip)")
        obj = m.new_int_var(0, max(0, ub), "twt")
        m.add(obj == sum(terms))
    elif sc.objective == Objective.MAX_LATENESS:
        due_jobs = [j for j in sc.jobs if j.due is not None]
        lo = -max((j.due for j in due_jobs), default=0)
        obj = m.new_int_var(lo, jm.horizon, "lmax")
        if due_jobs:
            m.add_max_equality(obj, [jm.job_end[j.id] - j.due for j in due_jobs])
        else:
            m.add(obj == 0)
    else:  # pragma: no cover - enum is closed
        raise ValueError(sc.objective)
    jm.objective = obj
    m.minimize(obj)


# -- hints and reading back -------------------------------------------------------
def add_hint(jm: JobShopModel, schedule: Schedule) -> int:
    """Hint every operation found in ``schedule``; returns how many were hinted."""
    by_task = schedule.by_task()
    n = 0
    for op_id, ov in jm.ops.items():
        a = by_task.get(op_id)
        if a is None or a.resource not in ov.modes:
            continue
        jm.model.add_hint(ov.start, a.start)
        jm.model.add_hint(ov.end, a.start + ov.modes[a.resource][2])
        for res, (lit, _, _) in ov.modes.items():
            if not isinstance(lit, int):
                jm.model.add_hint(lit, res == a.resource)
        n += 1
    return n


def read_schedule(jm: JobShopModel, solver: cp_model.CpSolver, name: str = "") -> Schedule:
    sc = jm.scenario
    work: list[Assignment] = []
    for ov in jm.ops.values():
        s = solver.value(ov.start)
        for res, (lit, _, dur) in ov.modes.items():
            if isinstance(lit, int) or solver.boolean_value(lit):
                work.append(Assignment(ov.op_id, res, s, s + dur, Category.WORK))
                break
    return Schedule(tuple(work) + tuple(setup_bars(sc, work)), name)
