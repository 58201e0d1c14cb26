"""The toy kind's solvers: a CP-SAT model builder, dispatch rules, a heuristic start and race members.

What a real kind writes in ``solvers/`` (kind-named modules) and registers in
:mod:`opsplan.solvers.registrations`: here :func:`register_solvers` does the registering (and
returns its undo), :mod:`tests.toykind.plugin` does it on import for the race's member processes.
The builder reuses the kind-neutral pieces of :mod:`opsplan.solvers.cpsat.parts` (a task with a
mode per lane, unary lanes) and so gets pins, earliest starts, a change budget, hints and the
explainer for free.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers.result import Params, Progress, Result, SolutionStatus, StopToken, Termination

from tests.toykind.model import KIND, ToyScenario, makespan

# the toy's dispatch rules: "spt" and "lpt" share their names with job-shop rules (they never
# collide: a rule name is a variant of one kind), "longest-first" is the toy's alone
RULES = {"spt": False, "lpt": True, "longest-first": True}


# -- CP-SAT ------------------------------------------------------------------------------------
class ToyCpBuilder:
    """Each task on any lane (a mode per lane), lanes unary, minimise the makespan."""

    business_words = "pin and earliest start"

    def __init__(self, sc: ToyScenario) -> None:
        from ortools.sat.python import cp_model

        self.scenario = sc
        self.model = cp_model.CpModel()
        self.tasks = {}
        self.optional_intervals = len(sc.lanes) > 1

    def horizon(self, late: int, start: Schedule | None = None) -> int:
        h = late + sum(t.duration for t in self.scenario.tasks)
        return min(h, makespan(self.scenario, start)) if start is not None else h

    def variables(self, model, horizon: int, guard=None) -> None:  # noqa: ANN001
        from opsplan.solvers.cpsat import parts

        self.model, self.h = model, horizon
        for t in self.scenario.tasks:
            modes = [(lane.id, t.duration) for lane in self.scenario.lanes]
            self.tasks[t.id] = parts.new_task(model, t.id, t.id, modes, (0, horizon - t.duration),
                                              (t.duration, horizon))

    def constraints(self, guard=None) -> None:  # noqa: ANN001
        from opsplan.solvers.cpsat import parts

        parts.choose_one_mode(self.model, self.tasks.values())
        per_lane = parts.by_resource(self.tasks.values())
        for lane in self.scenario.lanes:
            parts.unary_resource(self.model, lane.id, per_lane.get(lane.id, []), lane.calendar, guard=guard)

    def objective(self):  # noqa: ANN201
        obj = self.model.new_int_var(0, self.h, "makespan")
        self.model.add_max_equality(obj, [tv.end for tv in self.tasks.values()])
        self.model.minimize(obj)
        return obj

    def hint(self, schedule: Schedule) -> int:
        from opsplan.solvers.cpsat import parts

        return parts.hint_tasks(self.model, self.tasks, schedule)

    def read_schedule(self, values, name: str = "") -> Schedule:  # noqa: ANN001
        from opsplan.solvers.cpsat import parts

        return Schedule(tuple(parts.read_work(values, self.tasks)), name)


# -- dispatch ------------------------------------------------------------------------------------
def variants() -> tuple[str, ...]:
    return tuple(RULES)


def dispatch(sc: ToyScenario, rule: str, pinned: tuple[Assignment, ...] = (),
             earliest: dict[str, int] | None = None) -> Schedule:
    """List scheduling: pins first, then the tasks in the rule's order, each on the lane free first."""
    free = {lane.id: 0 for lane in sc.lanes}
    out = list(pinned)
    for a in pinned:
        free[a.resource] = max(free[a.resource], a.end)
    done = {a.task for a in pinned}
    for t in sorted(sc.tasks, key=lambda t: t.duration, reverse=RULES[rule]):
        if t.id in done:
            continue
        lane = min(free, key=lambda k: (free[k], k))
        start = max(free[lane], (earliest or {}).get(t.id, 0))
        out.append(Assignment(t.id, lane, start, start + t.duration))
        free[lane] = start + t.duration
    return Schedule(tuple(out), f"dispatch:{rule}")


def solve(sc: ToyScenario, params: Params, on_progress, stop: StopToken, variant: str | None) -> Result:  # noqa: ANN001
    t0 = time.perf_counter()
    schedule = dispatch(sc, variant or "lpt", params.pinned, params.options.get("earliest"))
    value = makespan(sc, schedule)
    if params.options.get("on_solution") is not None:
        params.options["on_solution"](schedule, value)
    if on_progress is not None:
        on_progress(Progress(value, None, time.perf_counter() - t0, f"dispatch:{variant}"))
    return Result(Termination.COMPLETED, SolutionStatus.FEASIBLE, schedule, value, None,
                  time.perf_counter() - t0, f"dispatch:{variant}", "toy")


def why_not(sc: ToyScenario, params: Params) -> str | None:
    """The toy's rules keep pins only on the lanes they name (any lane exists): never refused; but the
    rules cannot keep a change budget (the registry's capabilities say so) nor more than 50 tasks."""
    return "the toy rules stop at 50 tasks" if len(sc.tasks) > 50 else None


def heuristic_start(sc: ToyScenario, params: Params, earliest, budget=None, *, rules=None, purpose="seed",  # noqa: ANN001
                    deadline=None, stop=None) -> tuple[Schedule, str, int] | None:  # noqa: ANN001
    from opsplan.models import check

    best = None
    for rule in rules or ("lpt", "spt"):
        s = dispatch(sc, rule, params.pinned, dict(earliest))
        if check(sc, s):
            continue
        v = makespan(sc, s)
        if best is None or v < best[2]:
            best = (s, f"dispatch:{rule}", v)
    return best


def race_members(sc: ToyScenario, params: Params) -> list[str]:
    return ["cpsat", "dispatch:longest-first"]


# -- registering ----------------------------------------------------------------------------------
def register_solvers() -> Callable[[], None]:
    """Register the toy's solvers (cpsat with its builder, dispatch with its rules, race) and its defaults."""
    from opsplan.solvers import registry

    here = __name__
    registry.register_solver("cpsat", KIND, "opsplan.solvers.cpsat", parts={"builder": f"{here}:ToyCpBuilder"})
    registry.register_solver("dispatch", KIND, here, variants=f"{here}:variants", why_not=f"{here}:why_not")
    registry.register_solver("race", KIND, "opsplan.solvers.race")
    registry.register_kind_solvers(registry.KindSolvers(
        KIND, start=f"{here}:heuristic_start", race_members=f"{here}:race_members",
        explain="opsplan.solvers.cpsat.explain:explain", explain_requires=("ortools",)))
    return lambda: registry.unregister_kind(KIND)
