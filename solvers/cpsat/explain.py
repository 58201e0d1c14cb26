"""Why a scenario is infeasible: a small set of business constraints that cannot all hold.

For any kind with a CP-SAT model builder (:mod:`.builder`): the explainer builds the very model
the solve builds, with a guard. The physics stays hard (for a job shop: route order, durations,
one operation at a time per machine, setups, mode choice); every *business* constraint the builder
adds (for a job shop: a job's release, a job's deadline, each calendar window of a machine) and
each pinned task, earliest start and the change budget gets its own assumption literal. CP-SAT
solves with all of them assumed; when that is infeasible it returns a sufficient subset of
assumptions, which is then shrunk by deletion (drop one, re-solve; if still infeasible the
constraint was not needed), each check under a short time limit. The result is minimal when
every check finished.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from opsplan.models.kinds import descriptor
from opsplan.models.schedule import Category
from opsplan.solvers.cpsat import builder_for, parts
from opsplan.solvers.cpsat.engine import new_solver
from opsplan.solvers.result import Conflict, Params, StopToken
from opsplan.solvers.starting import earliest_starts
from ortools.sat.python import cp_model


@dataclass
class _Guarded:
    literal: cp_model.IntVar
    conflict: Conflict
    order: int  # tried first when shrinking (lower = dropped earlier if possible)


class _Model:
    """The scenario's model (its kind's builder) with every business constraint guarded by an assumption literal."""

    def __init__(self, sc, params: Params) -> None:  # noqa: ANN001 - a scenario of any kind
        self.sc = sc
        self.guarded: list[_Guarded] = []
        self.builder = builder_for(sc)
        word = descriptor(sc).task_word
        pins = [a for a in params.pinned if a.category == Category.WORK]  # each its own assumption
        earliest = earliest_starts(params)
        # under a change budget the old plan's bars that keep their place may end late too
        kept = [a.end + max(0, int(params.options.get("change_tolerance", 0) or 0))
                for a in (params.options.get("baseline") or ()) if params.options.get("max_changes") is not None]
        late = max([0, *earliest.values(), *(a.end for a in pins), *kept])
        m = self.m = cp_model.CpModel()
        self.builder.variables(m, self.builder.horizon(late), guard=self._guard)
        self.builder.constraints(guard=self._guard)
        tasks = self.builder.tasks
        parts.add_pins(m, tasks, pins, guard=self._guard, word=word)
        parts.add_earliest(m, tasks, earliest, guard=self._guard, word=word)
        k = params.options.get("max_changes")
        baseline = params.options.get("baseline")
        if k is not None and baseline is not None:
            tol = max(0, int(params.options.get("change_tolerance", 0) or 0))
            parts.add_change_budget(m, tasks, baseline, k, tol, guard=self._guard, word=word)

    def _guard(self, conflict: Conflict, order: int) -> cp_model.IntVar:
        lit = self.m.new_bool_var(f"a{len(self.guarded)}")
        self.guarded.append(_Guarded(lit, conflict, order))
        return lit

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


def explain(sc, params: Params | None = None, time_limit: float = 10.0,  # noqa: ANN001 - any kind with a builder
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
                           f"every {getattr(model.builder, 'business_words', 'business constraint')} "
                           "can hold together")
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
