"""The one protocol every kind's CP-SAT model builder follows (solve and explainer both drive it).

A builder is made for one scenario (``Builder(scenario)``) and builds its model in steps:

1. :meth:`~CpModelBuilder.horizon` — an upper bound on every time in the model;
2. :meth:`~CpModelBuilder.variables` — the decision variables (for every task a
   :class:`~opsplan.solvers.cpsat.parts.TaskVars` in :attr:`~CpModelBuilder.tasks`);
3. :meth:`~CpModelBuilder.constraints` — the kind's constraints;
4. :meth:`~CpModelBuilder.objective` — the objective variable, minimised (the solve only);
5. :meth:`~CpModelBuilder.hint` and :meth:`~CpModelBuilder.read_schedule` — a schedule in, a
   solution out.

Pins, earliest starts and a change budget are the engine's (:mod:`.parts` over
:attr:`~CpModelBuilder.tasks`), the same for every kind. The explainer builds the very same
model with a :data:`~opsplan.solvers.cpsat.parts.Guard`: every *business* constraint the
builder adds (a release, a deadline, a calendar window...) asks the guard for an assumption
literal and holds only under it; without a guard (the solve) the constraints are plain. So no
model is written twice.

A builder may also improve its starting schedule before CP-SAT runs, with an optional method
``improve_start(params, start, source, value, on_progress, stop, t0) -> (start, source, value,
stats)`` (the job shop's tabu phase); without it the start is kept.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from opsplan.models.schedule import Schedule
from opsplan.solvers.cpsat.parts import Guard, TaskVars
from ortools.sat.python import cp_model


@runtime_checkable
class CpModelBuilder(Protocol):
    """One kind's CP-SAT model over one scenario (see the module docstring)."""

    scenario: Any
    model: cp_model.CpModel
    tasks: dict[str, TaskVars]
    # True when the model has optional intervals (tasks with several modes): a claim of
    # infeasibility is then checked again with strong no-overlap propagation (see engine.new_solver)
    optional_intervals: bool
    # the business constraints in words, for "every ... can hold together"
    business_words: str

    def horizon(self, late: int, start: Schedule | None = None) -> int:
        """An upper bound on every time of a sensible solution, with room for work fixed up to
        ``late`` (pins, earliest starts, a baseline's kept bars); ``start``, when given, is a
        schedule that honours everything and may shrink it (only better solutions matter)."""
        ...

    def variables(self, model: cp_model.CpModel, horizon: int, guard: Guard | None = None) -> None:
        """Create the decision variables in ``model`` (kept as :attr:`model`), every task's in :attr:`tasks`.
        With a ``guard``, bounds that are business constraints (a release) stay out of the domains."""
        ...

    def constraints(self, guard: Guard | None = None) -> None:
        """Add the kind's constraints; business constraints go through ``guard`` when one is given."""
        ...

    def objective(self) -> cp_model.IntVar:
        """Add and minimise the scenario's objective; returns its variable."""
        ...

    def hint(self, schedule: Schedule) -> int:
        """Hint ``schedule`` to the model; returns how many tasks were hinted."""
        ...

    def read_schedule(self, values: cp_model.CpSolver | cp_model.CpSolverSolutionCallback,
                      name: str = "") -> Schedule:
        """The schedule of the solution in ``values`` (a solver, or a solution callback mid-search)."""
        ...


__all__ = ["CpModelBuilder", "Guard"]
