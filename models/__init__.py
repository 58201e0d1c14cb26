"""The domain, pure Python: scenario kinds, schedule, checker, KPIs, file I/O.

Nothing here imports a solver, Qt or onnxruntime.
"""

from __future__ import annotations

from typing import Any

from opsplan.models.core import Calendar, Issue, Resource, TimeUnit, Vector, Violation, Window
from opsplan.models.errors import FileFormatError, OpsPlanError, SolverError, ValidationError
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.models.timetext import TimeText

Scenario = Any  # one of the per-kind scenario documents (see opsplan.models.kinds)


def validate(scenario: Scenario) -> list[Issue]:
    """Every problem of ``scenario``, each with a path; empty when it is usable."""
    from opsplan.models.kinds import descriptor

    return descriptor(scenario).validate(scenario)


def check(scenario: Scenario, schedule: Schedule, *, times: TimeText | None = None) -> list[Violation]:
    """Independent feasibility check: one :class:`Violation` per broken constraint.

    ``times`` writes the times in the messages (the plan board passes its clock, for dates); a kind
    whose check does not take it, and every caller that leaves it out, gets plain numbers.
    """
    from opsplan.models.kinds import descriptor

    return descriptor(scenario).check_schedule(scenario, schedule, times)


def objective_value(scenario: Scenario, schedule: Schedule) -> int:
    """The value of the scenario's objective for ``schedule`` (lower is better)."""
    from opsplan.models.kinds import descriptor

    return descriptor(scenario).objective_value(scenario, schedule)


def kpis(scenario: Scenario, schedule: Schedule) -> dict[str, Any]:
    """Every KPI of ``schedule`` as plain data (the kind's :attr:`KindDescriptor.kpi_list` among them)."""
    from opsplan.models.kinds import descriptor

    return descriptor(scenario).kpis(scenario, schedule)


__all__ = [
    "Assignment",
    "Calendar",
    "Category",
    "FileFormatError",
    "Issue",
    "OpsPlanError",
    "Resource",
    "Schedule",
    "Scenario",
    "SolverError",
    "TimeText",
    "TimeUnit",
    "ValidationError",
    "Vector",
    "Violation",
    "Window",
    "check",
    "kpis",
    "objective_value",
    "validate",
]
