"""The domain, pure Python: scenario kinds, schedule, checker, KPIs, file I/O.

Nothing here imports a solver, Qt or onnxruntime.
"""

from __future__ import annotations

from typing import Any

from opsplan.models.core import Calendar, Issue, Resource, TimeUnit, Violation, Window
from opsplan.models.errors import FileFormatError, OpsPlanError, SolverError, ValidationError
from opsplan.models.schedule import Assignment, Category, Schedule

Scenario = Any  # one of the per-kind scenario documents (only job shop so far)

KINDS = ("jobshop", "fleet", "migration", "cluster")


def validate(scenario: Scenario) -> list[Issue]:
    """Every problem of ``scenario``, each with a path; empty when it is usable."""
    if scenario.kind == "jobshop":
        from opsplan.models.jobshop.validate import validate_jobshop

        return validate_jobshop(scenario)
    raise OpsPlanError(f"scenario kind '{scenario.kind}' is not supported yet")


def check(scenario: Scenario, schedule: Schedule) -> list[Violation]:
    """Independent feasibility check: one :class:`Violation` per broken constraint."""
    if scenario.kind == "jobshop":
        from opsplan.models.jobshop.checker import check_jobshop

        return check_jobshop(scenario, schedule)
    raise OpsPlanError(f"scenario kind '{scenario.kind}' is not supported yet")


def objective_value(scenario: Scenario, schedule: Schedule) -> int:
    """The value of the scenario's objective for ``schedule``."""
    if scenario.kind == "jobshop":
        from opsplan.models.jobshop.kpi import objective_value as ov

        return ov(scenario, schedule)
    raise OpsPlanError(f"scenario kind '{scenario.kind}' is not supported yet")


__all__ = [
    "KINDS",
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
    "TimeUnit",
    "ValidationError",
    "Violation",
    "Window",
    "check",
    "objective_value",
    "validate",
]
