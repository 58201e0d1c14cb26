"""Why a job shop is infeasible: a small set of business constraints that cannot all hold.

The physics of the shop stays hard (route order, durations, one operation at a
time per machine, setups, mode choice). Every *business* constraint gets its own
assumption literal: a job's release, a job's deadline, each calendar window of
a machine, each pinned operation, each earliest start, the change budget.
CP-SAT solves with all of them assumed; when that is infeasible it returns a
sufficient subset of assumptions, which is then shrunk by deletion (drop one,
re-solve; if still infeasible the constraint was not needed), each check under
a short time limit. The result is minimal when every check finished.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Category
from opsplan.solvers.cpsat import new_solver
from opsplan.solvers.result import Conflict, Params, StopToken
from opsplan.solvers.starting import earliest_starts
from ortools.sat.python import cp_model


@dataclass
class _Guarded:
    literal: cp_model.IntVar
    conflict: Conflict
    order: int  # tried first when shrinking (lower = dropped earlier if possible)


def _job(job) -> str:  # noqa: ANN001 - Job
    return f"job {job.id}" + (f" ({job.name})" if job.name and job.name != job.id else "")


def _fmt_window(machine, ws: int, we: int, ks: list[int]) -> str:  # noqa: ANN001
    reasons = sorted({machine.calendar.windows[k].reason for k in ks if machine.calendar.windows[k].reason})
    why = f" ({', '.join(reasons)})" if reasons else ""
    return f"machine {machine.id} unavailable {ws}-{we}{why}"


class _Model:
    """The shop with every business constraint guarded by an assumption literal."""

    def __init__(self, sc: JobShopScenario, params: Params) -> None:
        self.sc = sc
        m = self.m = cp_model.CpModel()
        pins = [a for a in params.pinned if a.category == Category.WORK]  # each its own assumption
        earliest = earliest_starts(params)
        # under a change budget the old plan's bars that keep their place may end late too
        kept = [a.end + max(0, int(params.options.get("change_tolerance", 0) or 0))
                for a in (params.options.get("baseline") or ()) if params.options.get("max_changes") is not None]
        late = max([0, *earliest.values(), *(a.end for a in pins), *kept])
        horizon = sc.horizon(after=late)
        self.guarded: list[_Guarded] = []
        starts: dict[str, cp_model.IntVar] = {}
        ends: dict[str, cp_model.IntVar] = {}
        per_machine: dict[str, list[tuple[cp_model.IntervalVar, int, object, str]]] = {}
        for job in sc.jobs:
            for op in job.operations:
                s = m.new_int_var(0, horizon, f"s_{op.id}")
                e = m.new_int_var(0, horizon, f"e_{op.id}")
                starts[op.id], ends[op.id] = s, e
                lits = []
                for md in op.modes:
                    lit = m.new_bool_var(f"x_{op.id}_{md.resource}") if len(op.modes) > 1 else 1
                    if len(op.modes) > 1:
                        lits.append(lit)
                        itv = m.new_optional_interval_var(s, md.duration, e, lit, "")
                    else:
                        itv = m.new_interval_var(s, md.duration, e, "")
                    per_machine.setdefault(md.resource, []).append((itv, md.duration, lit, op.id))
                if lits:
                    m.add_exactly_one(lits)
            for a, b in zip(job.operations, job.operations[1:]):
                m.add(starts[b.id] >= ends[a.id])
        self.starts, self.ends = starts, ends
        self.mode_lits = {
            (op_id, res): lit for res, entries in per_machine.items() for _, _, lit, op_id in entries
        }

        # business constraints, each behind its own literal
        for i, job in enumerate(sc.jobs):
            if not job.operations:
                continue
            first, last = job.operations[0].id, job.operations[-1].id
            if job.release > 0:
                lit = self._guard(Conflict("release", f"{_job(job)} is released at {job.release}",
                                           (job.id,), f"jobs[{i}].release"), order=1)
                m.add(starts[first] >= job.release).only_enforce_if(lit)
            if job.deadline is not None:
                need = sum(op.min_duration for op in job.operations)
                lit = self._guard(Conflict("deadline", f"{_job(job)} must end by its deadline {job.deadline}"
                                           f" (its route needs at least {need})", (job.id,), f"jobs[{i}].deadline"),
                                  order=3)
                m.add(ends[last] <= job.deadline).only_enforce_if(lit)
        for i, machine in enumerate(sc.machines):
            entries = per_machine.get(machine.id, [])
            work = [itv for itv, dur, _, _ in entries if dur > 0]
            intervals = list(work)
            windows = machine.calendar.windows
            for span in machine.calendar.spans():
                # overlapping windows (a breakdown during maintenance) are assumed one by one, each
                # beside the machine's work on its own, so a conflict names the window that matters
                alone = len(span[2]) == 1
                for ws, we, ks in [span] if alone else [(windows[k].start, windows[k].end, [k]) for k in span[2]]:
                    lit = self._guard(Conflict("window", _fmt_window(machine, ws, we, ks), (machine.id,),
                                               f"machines[{i}].calendar[{ks[0]}]"), order=2)
                    itv = m.new_optional_fixed_size_interval_var(ws, we - ws, lit, "")
                    if alone:
                        intervals.append(itv)
                    elif work:
                        m.add_no_overlap([itv, *work])
                    for _, dur, mode_lit, op_id in entries:
                        if dur == 0 and we - ws > 1:  # zero-length work may not sit strictly inside
                            before = m.new_bool_var("")
                            enf = [lit] if isinstance(mode_lit, int) else [lit, mode_lit]
                            m.add(starts[op_id] <= ws).only_enforce_if([before, *enf])
                            m.add(starts[op_id] >= we).only_enforce_if([~before, *enf])
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
            if machine.id in sc.setup_index:
                self._setups(machine.id, [e for e in entries if e[1] > 0])
        for a in pins:
            op_id = a.task
            if op_id not in starts:
                continue
            lit = self._guard(Conflict("pin", f"operation {op_id} is pinned to {a.resource} at {a.start}",
                                       (op_id,), ""), order=0)
            mode_lit = self.mode_lits.get((op_id, a.resource))
            if mode_lit is None:
                m.add_bool_or([~lit])
            else:
                if not isinstance(mode_lit, int):
                    m.add_implication(lit, mode_lit)
                m.add(starts[op_id] == a.start).only_enforce_if(lit)
        for op_id, t in sorted(earliest.items()):
            if op_id in starts and t > 0:
                lit = self._guard(Conflict("earliest", f"operation {op_id} may not start before {t}",
                                           (op_id,), ""), order=0)
                m.add(starts[op_id] >= t).only_enforce_if(lit)
        self._budget(params)

    def _guard(self, conflict: Conflict, order: int) -> cp_model.IntVar:
        lit = self.m.new_bool_var(f"a{len(self.guarded)}")
        self.guarded.append(_Guarded(lit, conflict, order))
        return lit

    def _setups(self, machine: str, entries: list) -> None:
        m, sc = self.m, self.sc
        if len(entries) < 2:
            return
        arcs = []
        optional = False
        for i, (_, _, lit_i, op_i) in enumerate(entries, start=1):
            arcs += [(0, i, m.new_bool_var("")), (i, 0, m.new_bool_var(""))]
            if not isinstance(lit_i, int):
                arcs.append((i, i, ~lit_i))
                optional = True
            job_i = sc.operation_index[op_i][0].id
            for j, (_, _, _, op_j) in enumerate(entries, start=1):
                if i != j:
                    arc = m.new_bool_var("")
                    arcs.append((i, j, arc))
                    setup = sc.setup_time(machine, job_i, sc.operation_index[op_j][0].id)
                    m.add(self.starts[op_j] >= self.ends[op_i] + setup).only_enforce_if(arc)
        if optional:
            arcs.append((0, 0, m.new_bool_var("")))
        m.add_circuit(arcs)

    def _budget(self, params: Params) -> None:
        k = params.options.get("max_changes")
        baseline = params.options.get("baseline")
        if k is None or baseline is None:
            return
        tol = max(0, int(params.options.get("change_tolerance", 0) or 0))
        base = {a.task: a for a in baseline if a.category == Category.WORK}
        lit = self._guard(Conflict("change_budget", f"at most {k} operations may change", (), ""), order=0)
        changed = []
        forced = 0
        for op_id, s in self.starts.items():
            # a pinned operation is counted like any other: its pin, when assumed, fixes whether it
            # changed, and when the deletion drops the pin the budget must not still count it
            b = base.get(op_id)
            if b is None or (op_id, b.resource) not in self.mode_lits:
                forced += 1
                continue
            ch = self.m.new_bool_var("")
            mode_lit = self.mode_lits[(op_id, b.resource)]
            if not isinstance(mode_lit, int):
                self.m.add_implication(~ch, mode_lit)
            self.m.add(s >= b.start - tol).only_enforce_if(~ch)
            self.m.add(s <= b.start + tol).only_enforce_if(~ch)
            changed.append(ch)
        self.m.add(sum(changed) + forced <= int(k)).only_enforce_if(lit)

    # -- solving under assumptions --------------------------------------------------
    def check(self, active: list[int], time_limit: float, stop: StopToken | None = None) -> tuple[str, list[int]]:
        """Solve with the guarded constraints ``active`` assumed: ('infeasible', core) | ('feasible'|'unknown', []).

        A ``stop`` set while it searches ends the search at once (an 'unknown')."""
        self.m.clear_assumptions()
        self.m.add_assumptions([self.guarded[i].literal for i in active])
        solver = new_solver(optional_intervals=True)  # guarded windows and modes are optional intervals
        solver.parameters.num_workers = 1
        solver.parameters.max_time_in_seconds = max(0.05, time_limit)
        if stop is not None:
            if stop.is_set():
                return "unknown", []
            stop.on_stop(solver.stop_search)
        try:
            status = solver.solve(self.m)
        finally:
            if stop is not None:
                stop.remove(solver.stop_search)
        if status == cp_model.INFEASIBLE:
            index = {self.guarded[i].literal.index: i for i in active}
            core = [index[v] for v in solver.sufficient_assumptions_for_infeasibility() if v in index]
            return "infeasible", core
        return ("feasible" if status in (cp_model.FEASIBLE, cp_model.OPTIMAL) else "unknown"), []


@dataclass(frozen=True)
class Explanation:
    """A conflict set and whether it is proven minimal (every one-less subset was shown feasible)."""

    conflicts: tuple[Conflict, ...]
    minimal: bool
    runtime_s: float
    message: str


def explain(sc: JobShopScenario, params: Params | None = None, time_limit: float = 10.0,
            stop: StopToken | None = None) -> Explanation:
    """Name a small set of business constraints of ``sc`` (with pins, earliest starts, budget) that conflict.

    Returns an empty conflict set when the scenario with all of them is feasible
    (the infeasibility then lies elsewhere) or when nothing was found in time.
    """
    t0 = time.perf_counter()
    params = params or Params()
    model = _Model(sc, params)
    left = lambda: time_limit - (time.perf_counter() - t0)  # noqa: E731
    everything = list(range(len(model.guarded)))
    status, core = model.check(everything, max(0.5, left() / 2), stop)
    if status == "feasible":
        return Explanation((), True, time.perf_counter() - t0,
                           "every release, deadline, calendar window and pin can hold together")
    if status != "infeasible":
        return Explanation((), False, time.perf_counter() - t0, "no conflict set found within the time limit")
    if not core:  # infeasible without any business constraint: the shop itself cannot run
        return Explanation((), True, time.perf_counter() - t0, "infeasible even without business constraints")

    # deletion filter: try to drop each member; keep it only if the rest becomes feasible
    core = sorted(core, key=lambda i: model.guarded[i].order)
    minimal = True
    k = 0
    while k < len(core):
        if left() <= 0 or (stop is not None and stop.is_set()):
            minimal = False
            break
        trial = core[:k] + core[k + 1:]
        status, sub = model.check(trial, min(2.0, left()), stop)
        if status == "infeasible":
            keep = set(sub)  # the solver's own core of the smaller set may be smaller still
            core = [i for i in trial if i in keep] if keep else trial
            # members before k were needed by a superset, so they are needed here too (and kept)
            k = min(k, len(core))
        elif status == "unknown":
            minimal = False
            k += 1
        else:
            k += 1
    conflicts = tuple(model.guarded[i].conflict for i in sorted(core, key=lambda i: model.guarded[i].order))
    return Explanation(conflicts, minimal, time.perf_counter() - t0, describe(conflicts, minimal))


def describe(conflicts: tuple[Conflict, ...], minimal: bool = True) -> str:
    if not conflicts:
        return ""
    head = "these constraints cannot all hold" if len(conflicts) > 1 else "this constraint cannot hold"
    tail = "" if minimal else " (may not be minimal: the search ran out of time)"
    return f"{head}{tail}: " + "; ".join(c.message for c in conflicts)
