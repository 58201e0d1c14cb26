"""The job shop's CP-SAT model builder (:class:`JobShopCpBuilder`, a :class:`~.builder.CpModelBuilder`).

One interval per (operation, mode) (:func:`~.parts.new_task`); route order
(:func:`~.parts.precedence`); no-overlap per machine with the machine's calendar windows as
fixed intervals (:func:`~.parts.unary_resource`); a circuit per machine when
sequence-dependent setups are given (:func:`~.parts.transitions`). A job's release bounds its
first operation's start, its hard deadline the end of its last operation.

The same builder serves the explainer (:mod:`.explain`): with a guard, each release, deadline
and calendar window is a business constraint behind its own assumption literal; the physics of
the shop (route order, durations, one operation at a time, setups, mode choice) stays hard.

Before CP-SAT runs, a classic shop's starting schedule is improved by the tabu search
(:meth:`JobShopCpBuilder.improve_start`, :mod:`opsplan.solvers.local.tabu`).
"""

from __future__ import annotations

import time

from opsplan.models.errors import SolverError
from opsplan.models.jobshop.edit import setup_bars
from opsplan.models.jobshop.scenario import Job, JobShopScenario, Objective
from opsplan.models.schedule import Schedule
from opsplan.models.timetext import At, Between, Phrase, Span
from opsplan.solvers.cpsat import parts
from opsplan.solvers.cpsat.builder import CpModelBuilder
from opsplan.solvers.cpsat.engine import NAME
from opsplan.solvers.cpsat.parts import Guard, TaskVars
from opsplan.solvers.result import Conflict, Params, ProgressCallback, StopToken
from ortools.sat.python import cp_model

CPSAT_MAX_VALUE = 2**62  # CP-SAT's domains are int64; leave room for its own sums
TABU_SHARE = 0.5  # of the time limit the tabu search may use before CP-SAT starts from its best
# iterations without a new best that end the tabu search early: a shop CP-SAT solves at once (ft06)
# must not wait for half the limit (at 15x15 about half a second)
TABU_STALL = 200_000
COMPILE_MIN_LIMIT_S = 30.0  # below this limit an uncompiled tabu kernel is skipped, not compiled


def _job(job: Job) -> str:
    return f"job {job.id}" + (f" ({job.name})" if job.name and job.name != job.id else "")


def _fmt_window(machine, ws: int, we: int, ks: list[int]) -> Phrase:  # noqa: ANN001 - Resource
    reasons = sorted({machine.calendar.windows[k].reason for k in ks if machine.calendar.windows[k].reason})
    why = f" ({', '.join(reasons)})" if reasons else ""
    return (f"machine {machine.id} unavailable ", Between(ws, we), why)


class JobShopCpBuilder(CpModelBuilder):
    """The CP-SAT model of one job shop; see the module docstring."""

    business_words = "release, deadline, calendar window and pin"

    def __init__(self, sc: JobShopScenario) -> None:
        self.scenario = sc
        self.model = cp_model.CpModel()
        self.tasks: dict[str, TaskVars] = {}
        self.job_end: dict[str, cp_model.IntVar] = {}
        self.objective_var: cp_model.IntVar | None = None
        self.horizon_value = 0
        self.optional_intervals = sc.is_flexible

    # -- the model -------------------------------------------------------------------------
    def horizon(self, late: int, start: Schedule | None = None) -> int:
        sc = self.scenario
        h = sc.horizon(after=late)
        if start is not None and sc.objective == Objective.MAKESPAN:
            h = min(h, start.makespan)  # only schedules at least as good as the start matter
        return h

    def variables(self, model: cp_model.CpModel, horizon: int, guard: Guard | None = None) -> None:
        """Per operation a start, an end and an interval per mode, each domain cut by the route's
        shortest work before and after it; the job's release bounds it too, unless guarded (then
        the release is a business constraint of :meth:`constraints`)."""
        self.model, self.horizon_value = model, horizon
        for job in self.scenario.jobs:
            est = job.release if guard is None else 0
            tail = sum(op.min_duration for op in job.operations)
            for op in job.operations:
                tail -= op.min_duration
                lo, d = est, op.min_duration
                tv = parts.new_task(model, op.id, job.id, [(md.resource, md.duration) for md in op.modes],
                                    (lo, max(lo, horizon - tail - d)), (lo + d, max(lo + d, horizon - tail)))
                self.tasks[op.id] = tv
                est += d
            if job.operations:
                self.job_end[job.id] = self.tasks[job.operations[-1].id].end

    def constraints(self, guard: Guard | None = None) -> None:
        sc, m, tasks = self.scenario, self.model, self.tasks
        for i, job in enumerate(sc.jobs):
            for a, b in zip(job.operations, job.operations[1:]):
                parts.precedence(m, tasks[a.id], tasks[b.id])
            if not job.operations:
                continue
            first, last = tasks[job.operations[0].id], tasks[job.operations[-1].id]
            if guard is not None and job.release > 0:
                lit = guard(Conflict.of("release", (f"{_job(job)} is released at ", At(job.release)), (job.id,),
                                        f"jobs[{i}].release"), 1)
                m.add(first.start >= job.release).only_enforce_if(lit)
            if job.deadline is not None:
                # hard deadline: a constraint, not a domain bound, so an impossible one is
                # an infeasible model (status INFEASIBLE), not an empty domain at build time
                ct = m.add(last.end <= job.deadline)
                if guard is not None:
                    need = sum(op.min_duration for op in job.operations)
                    said = (f"{_job(job)} must end by its deadline ", At(job.deadline),
                            " (its route needs at least ", Span(need), ")")
                    ct.only_enforce_if(guard(Conflict.of("deadline", said, (job.id,), f"jobs[{i}].deadline"), 3))
        parts.choose_one_mode(m, tasks.values())
        per_machine = parts.by_resource(tasks.values())
        for i, machine in enumerate(sc.machines):

            def window(ws: int, we: int, ks: list[int], machine=machine, i=i) -> Conflict:  # noqa: ANN001
                return Conflict.of("window", _fmt_window(machine, ws, we, ks), (machine.id,),
                                   f"machines[{i}].calendar[{ks[0]}]")

            busy = parts.unary_resource(m, machine.id, per_machine.get(machine.id, []), machine.calendar,
                                        guard=guard, conflict=window)
            if machine.id in sc.setup_index and len(busy) > 1:
                parts.transitions(m, busy, lambda a, b, mid=machine.id: sc.setup_time(mid, a.group, b.group))

    def objective(self) -> cp_model.IntVar:
        sc, m, h = self.scenario, self.model, self.horizon_value
        ends = list(self.job_end.values())
        if sc.objective == Objective.MAKESPAN:
            obj = m.new_int_var(0, h, "makespan")
            m.add_max_equality(obj, ends)
        elif sc.objective == Objective.TOTAL_WEIGHTED_TARDINESS:
            terms = []
            for job in sc.jobs:
                if job.due is None or job.weight == 0 or job.id not in self.job_end:
                    continue
                t = m.new_int_var(0, max(0, h - job.due), f"T_{job.id}")
                m.add_max_equality(t, [0, self.job_end[job.id] - job.due])
                terms.append(job.weight * t)
            ub = sum(job.weight * max(0, h - job.due) for job in sc.jobs if job.due is not None)
            if ub > CPSAT_MAX_VALUE:
                raise SolverError(f"the total weighted tardiness of '{sc.name}' could reach {ub}, beyond CP-SAT's "
                                  "64-bit integers: scale the weights or the time unit down (or use mip)")
            obj = m.new_int_var(0, max(0, ub), "twt")
            m.add(obj == sum(terms))
        elif sc.objective == Objective.MAX_LATENESS:
            due_jobs = [j for j in sc.jobs if j.due is not None and j.id in self.job_end]
            lo = -max((j.due for j in due_jobs), default=0)
            obj = m.new_int_var(lo, h, "lmax")
            if due_jobs:
                m.add_max_equality(obj, [self.job_end[j.id] - j.due for j in due_jobs])
            else:
                m.add(obj == 0)
        else:  # pragma: no cover - enum is closed
            raise ValueError(sc.objective)
        self.objective_var = obj
        m.minimize(obj)
        return obj

    def hint(self, schedule: Schedule) -> int:
        return parts.hint_tasks(self.model, self.tasks, schedule)

    def read_schedule(self, values, name: str = "") -> Schedule:  # noqa: ANN001 - a solver or a callback
        work = parts.read_work(values, self.tasks)
        return Schedule(tuple(work) + tuple(setup_bars(self.scenario, work)), name)

    # -- the start ---------------------------------------------------------------------------
    def improve_start(self, params: Params, start: Schedule, source: str, value: int | None,
                      on_progress: ProgressCallback | None, stop: StopToken, t0: float,
                      ) -> tuple[Schedule, str, int | None, dict]:
        """On a classic job shop (makespan), improve the starting schedule with the tabu search first.

        Returns the (possibly better) start, its source and value, and the search's figures.
        Skipped with ``options["no_tabu"]``, where the shape does not fit, and without numba.
        """
        from opsplan.solvers.local import tabu

        sc = self.scenario
        share = params.options.get("tabu_share", TABU_SHARE)
        if params.options.get("no_tabu") or not share or tabu.why_not(sc, params) is not None or not tabu.installed():
            return start, source, value, {}
        from opsplan.solvers.local import tabu_kernel

        if params.time_limit is not None and params.time_limit < COMPILE_MIN_LIMIT_S and not tabu_kernel.is_compiled():
            # its first run compiles the kernel for seconds (``make`` does it at install): not inside a short limit
            return start, source, value, {"tabu": "skipped: its kernel is not compiled yet "
                                                  "(python -m opsplan.solvers.local.tabu_kernel compiles it)"}
        deadline = None if params.time_limit is None else t0 + float(share) * float(params.time_limit)
        shop = tabu.shop_arrays(sc)
        lower = shop.lower_bound
        on_best = tabu.reporter(params.options.get("on_solution"), on_progress, lower, t0, NAME)
        # In the race, the other members' schedules are not read here: the walk keeps its own path
        # (measured on swv07: merging two walks made both slower), and CP-SAT starts from the walk's
        # best even where a shared one is better (measured on la27, 60 s: from the tabu member's 1242
        # CP-SAT stayed at 1242 for 47 s; from its own walk's 1243 it proved 1235 within 11 s). A better
        # shared schedule waits for the race to restart the member on it, once its own search is still.
        found = tabu.search(sc, start, deadline=deadline, seed=params.seed, should_stop=stop.is_set, on_best=on_best,
                            stall=int(params.options.get("tabu_stall", TABU_STALL)), t0=t0, shop=shop)
        stats = {"tabu_iterations": found.iterations, "tabu_makespan": found.makespan,
                 "tabu_s": round(time.perf_counter() - t0, 3), "lower_bound": lower}
        if value is None or found.makespan < value:
            return found.schedule, f"tabu search from {source}", found.makespan, stats
        return start, source, value, stats


__all__ = ["CPSAT_MAX_VALUE", "JobShopCpBuilder"]
