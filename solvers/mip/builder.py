"""The one protocol every kind's MIP model builder follows, and what a built model hands the engine.

A builder is made for one scenario (``Builder(scenario)``); the backend (:mod:`opsplan.solvers.mip`)
asks it whether its model proves anything (:meth:`~MipModelBuilder.restricted`), for a horizon,
which formulation to build and then for the model itself (:class:`Formulation`: a Pyomo model,
how to turn a schedule into a complete MIP start and how to read a solution back). The hand-off
to HiGHS, the run, progress, cancel and the race's inbox are the engine's
(:mod:`opsplan.solvers.mip.highs_run`), the same for every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pyomo.core as pyo  # not pyomo.environ: its plugins break under PySide6's import hook
from opsplan.models.schedule import Schedule
from opsplan.solvers.result import Params


@dataclass
class Formulation:
    """A built model and how to go between it and schedules."""

    name: str
    model: pyo.ConcreteModel
    values: Callable[[Schedule], dict | None]  # a complete assignment of the model's variables
    read: Callable[..., Schedule]  # read(val) with val: VarData -> number
    infeasible: str = ""  # set when the model cannot hold at all (a pin it cannot keep)
    stats: dict = field(default_factory=dict)


@runtime_checkable
class MipModelBuilder(Protocol):
    """One kind's MIP models over one scenario."""

    scenario: Any

    def restricted(self) -> str:
        """Why the model is only a restriction of the scenario (its optimum and infeasibility prove
        nothing; no bound is reported); '' when it is exact."""
        ...

    def horizon(self, late: int, start: Schedule | None = None) -> int:
        """An upper bound on every time, with room for work fixed up to ``late``; ``start`` (a feasible
        schedule, given only when the model is exact) may shrink it: a tight horizon, a tight model."""
        ...

    def formulation(self, params: Params, earliest: Mapping[str, int], horizon: int) -> tuple[str, str]:
        """``(formulation name, why)``: the one ``params.options["formulation"]`` forces (a SolverError
        when it cannot be built), else the best for the scenario's shape."""
        ...

    def build(self, name: str, params: Params, earliest: Mapping[str, int], horizon: int, solver: str,
              should_stop: Callable[[], bool] | None = None) -> Formulation:
        """Formulation ``name``, its schedules named ``solver``; raises
        :class:`~opsplan.solvers.mip.highs_run.BuildStopped` once ``should_stop()`` turns true."""
        ...


__all__ = ["Formulation", "MipModelBuilder"]
