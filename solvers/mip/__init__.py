"""MIP backend (``mip``): the disjunctive big-M model in Pyomo, solved by HiGHS.

Pyomo's maintained HiGHS interface (``pyomo.contrib.solver``, the class behind
``SolverFactory("highs")``) is used directly: ``import pyomo.environ`` loads every
Pyomo plugin, and one of them (community detection, a deferred matplotlib import)
raises inside PySide6's import hook once Qt is loaded, so the GUI could not load
this backend. The interface has no
MIP-start option, so a warm start only tightens the horizon (and big-M) when the
objective is the makespan; variable values are still set from it. Cancel is
honoured before the solve starts only; a running HiGHS solve runs to its limits.
"""

from __future__ import annotations

import math
import time

import pyomo.version
from opsplan.models import objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import Objective
from opsplan.models.schedule import Schedule
from opsplan.solvers.mip import jobshop_model as jsm
from opsplan.solvers.result import (
    Params,
    Progress,
    ProgressCallback,
    Result,
    SolutionStatus,
    StopToken,
    Termination,
)
from opsplan.solvers.starting import starting_schedule
from pyomo.contrib.solver.common.results import SolutionStatus as PyoSolution
from pyomo.contrib.solver.common.results import TerminationCondition as PyoTermination
from pyomo.contrib.solver.solvers.highs import Highs

NAME = "mip"
_version = ""


def version() -> str:
    global _version
    if not _version:
        hv = Highs().version()
        _version = f"HiGHS {'.'.join(map(str, hv or ()))} / Pyomo {pyomo.version.version}"
    return _version


def _initial_schedule(sc, params: Params, earliest: dict[str, int]) -> tuple[Schedule | None, str]:
    """A feasible schedule honouring pins and earliest starts: the warm start, else the best dispatch rule."""
    from opsplan.solvers.dispatch import DETERMINISTIC

    schedule, source, _, ok = starting_schedule(sc, params, earliest, DETERMINISTIC)
    return (schedule, source) if ok else (None, "")


_TERMINATION = {
    PyoTermination.convergenceCriteriaSatisfied: Termination.OPTIMAL,
    PyoTermination.maxTimeLimit: Termination.TIME_LIMIT,
    PyoTermination.iterationLimit: Termination.TIME_LIMIT,
    PyoTermination.objectiveLimit: Termination.TIME_LIMIT,
    PyoTermination.minStepLength: Termination.TIME_LIMIT,
    PyoTermination.provenInfeasible: Termination.INFEASIBLE,
    PyoTermination.locallyInfeasible: Termination.INFEASIBLE,
    PyoTermination.infeasibleOrUnbounded: Termination.INFEASIBLE,
    PyoTermination.interrupted: Termination.CANCELLED,
}


def solve(sc, params: Params, on_progress: ProgressCallback | None, stop: StopToken, variant=None) -> Result:
    t0 = time.perf_counter()
    if stop.is_set():
        return Result(Termination.CANCELLED, SolutionStatus.NONE, None, None, None, 0.0, NAME, version(),
                      message="cancelled before the search started")
    if params.options.get("max_changes") is not None:
        raise SolverError("solver 'mip' does not support a change budget (max_changes)")
    earliest = {str(k): int(v) for k, v in (params.options.get("earliest") or {}).items()}

    start, source = _initial_schedule(sc, params, earliest)
    late = max([0, *earliest.values(), *(a.end for a in params.pinned)])
    horizon = sc.horizon() + late
    if start is not None and sc.objective == Objective.MAKESPAN:
        # an optimal schedule is no longer than this feasible one: every end fits in its makespan
        horizon = min(horizon, start.makespan)
    jm = jsm.add_variables(sc, horizon)
    jsm.add_constraints(jm)
    jsm.add_pins(jm, params.pinned)
    if earliest:
        jsm.add_earliest(jm, earliest)
    jsm.add_objective(jm)
    stats = {"horizon": horizon, "big_m": jm.big_m, "start": source,
             "binaries": len(jm.model.x) + len(jm.model.y) + len(jm.model.w)}
    if jm.infeasible:
        return Result(Termination.INFEASIBLE, SolutionStatus.NONE, None, None, None,
                      time.perf_counter() - t0, NAME, version(), message=jm.infeasible, stats=stats)
    if start is not None:
        jsm.set_values(jm, start)

    opts: dict = {"raise_exception_on_nonoptimal_result": False, "load_solutions": False, "tee": False}
    if params.time_limit is not None:
        opts["time_limit"] = float(params.time_limit)
    if params.threads:
        opts["threads"] = int(params.threads)
    opts["rel_gap"] = float(params.gap) if params.gap is not None else 0.0
    solver_options = {"random_seed": int(params.seed), "mip_abs_gap": 1 - 1e-6}  # integral objective
    solver_options.update(params.options.get("highs", {}))
    opts["solver_options"] = solver_options
    res = Highs().solve(jm.model, **opts)
    runtime = time.perf_counter() - t0

    term = _TERMINATION.get(res.termination_condition, Termination.ERROR)
    if res.solution_status == PyoSolution.optimal:
        sol = SolutionStatus.OPTIMAL
    elif res.solution_status == PyoSolution.feasible:
        sol = SolutionStatus.FEASIBLE
    else:
        sol = SolutionStatus.NONE
    schedule = objective = bound = None
    if sol != SolutionStatus.NONE:
        res.solution_loader.load_vars()
        schedule = jsm.read_schedule(jm, NAME)
        objective = objective_value(sc, schedule)
    if term != Termination.INFEASIBLE and res.objective_bound is not None and math.isfinite(res.objective_bound):
        bound = math.ceil(res.objective_bound - 1e-6)  # integral data: the objective is whole
        if objective is not None:
            bound = min(bound, objective)
    if term == Termination.OPTIMAL and objective is not None:
        # HiGHS calls a gap-limited stop optimal too: only a closed gap is a proof
        sol = SolutionStatus.OPTIMAL if bound is None or bound >= objective else SolutionStatus.FEASIBLE
        if sol == SolutionStatus.OPTIMAL:
            bound = objective
    elif sol == SolutionStatus.OPTIMAL:
        sol = SolutionStatus.FEASIBLE
    if schedule is not None and on_progress is not None:
        on_progress(Progress(objective, bound, runtime, NAME))
    message = f"horizon from {source}" if source else ""
    return Result(term, sol, schedule, objective, bound, runtime, NAME, version(), message=message, stats=stats)
