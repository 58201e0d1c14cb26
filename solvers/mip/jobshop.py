"""The job shop's MIP model builder (:class:`JobShopMipBuilder`, a :class:`~.builder.MipModelBuilder`).

Formulations (``Result.stats["formulation"]``, forced with ``Params.options["formulation"]``):

* ``disjunctive`` — :mod:`.jobshop_model`, the general big-M job-shop model (every feature);
* ``positional`` / ``time-indexed`` — :mod:`.single_machine`, for one machine with one-operation
  jobs and no calendar, setups or pins. ``positional`` is the automatic choice for that shape:
  on OR-Library wt40 (10 s, 1 thread) it reaches better schedules and far better bounds than
  the disjunctive model (whose LP bound stays 0), and on small random instances (15-25 jobs,
  p <= 10) it proves optima 5-15x faster than the time-indexed model, which is tight but grows
  with jobs x horizon x durations (wt40: ~4M nonzeros) and is only built when forced and small.

Setups that break the triangle inequality make the pairwise disjunctive rows a restriction:
then the model is only a heuristic (:meth:`JobShopMipBuilder.restricted`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Schedule
from opsplan.solvers.mip import jobshop_model as jsm
from opsplan.solvers.mip import single_machine as smm
from opsplan.solvers.mip.builder import Formulation, MipModelBuilder
from opsplan.solvers.result import Params

DISJUNCTIVE = "disjunctive"
FORMULATIONS = (DISJUNCTIVE, smm.POSITIONAL, smm.TIME_INDEXED)


class JobShopMipBuilder(MipModelBuilder):
    """The MIP models of one job shop; see the module docstring."""

    def __init__(self, sc: JobShopScenario) -> None:
        self.scenario = sc

    def restricted(self) -> str:
        sc = self.scenario
        if sc.setups and not jsm.setups_pairwise_exact(sc):
            return "setups break the triangle inequality, so the MIP is a restriction"
        return ""

    def horizon(self, late: int, start: Schedule | None = None) -> int:
        sc = self.scenario
        h = sc.horizon(after=late)
        if start is not None and sc.objective == Objective.MAKESPAN:
            # an optimal schedule is no longer than this feasible one: every end fits in its makespan
            h = min(h, start.makespan)
        return h

    def formulation(self, params: Params, earliest: Mapping[str, int], horizon: int) -> tuple[str, str]:
        """(formulation, why): the forced one if ``options["formulation"]`` names one, else by shape."""
        sc = self.scenario
        forced = params.options.get("formulation")
        reason = smm.why_not(sc, params)
        if forced is not None:
            if forced not in FORMULATIONS:
                raise SolverError(f"unknown MIP formulation {forced!r}; choose from {', '.join(FORMULATIONS)}")
            if forced != DISJUNCTIVE and reason:
                raise SolverError(f"the {forced} formulation needs a single-machine shape: {reason}")
            if forced == smm.TIME_INDEXED:
                _, nz = smm.time_indexed_size(sc, earliest, horizon)
                if nz > smm.TIME_INDEXED_MAX_NONZEROS:
                    raise SolverError(f"the time-indexed model would have {nz} nonzeros "
                                      f"(at most {smm.TIME_INDEXED_MAX_NONZEROS}): the horizon is too long")
            return forced, "forced"
        if reason:
            return DISJUNCTIVE, ""
        return smm.POSITIONAL, "single machine"

    def build(self, name: str, params: Params, earliest: Mapping[str, int], horizon: int, solver: str,
              should_stop: Callable[[], bool] | None = None) -> Formulation:
        sc = self.scenario
        if name == DISJUNCTIVE:
            jm = jsm.add_variables(sc, horizon)
            jsm.add_constraints(jm, should_stop)
            jsm.add_pins(jm, params.pinned)
            if earliest:
                jsm.add_earliest(jm, earliest)
            jsm.add_objective(jm)
            stats = {"horizon": horizon, "big_m": jm.big_m,
                     "binaries": len(jm.model.x) + len(jm.model.y) + len(jm.model.w)}
            return Formulation(name, jm.model, lambda s: jsm.complete_values(jm, s),
                               lambda val: jsm.read_schedule(jm, solver, val), jm.infeasible, stats)
        make = smm.positional_model if name == smm.POSITIONAL else smm.time_indexed_model
        sm = make(sc, earliest, horizon, should_stop)
        stats = {"horizon": sm.horizon, "binaries": len(sm.model.x)}
        return Formulation(name, sm.model, lambda s: smm.complete_values(sm, s),
                           lambda val: smm.read_schedule(sm, solver, val), sm.infeasible, stats)


__all__ = ["DISJUNCTIVE", "FORMULATIONS", "JobShopMipBuilder"]
