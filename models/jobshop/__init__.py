"""Job-shop scenarios (classic, flexible and single-machine shops)."""

from opsplan.models.jobshop.scenario import (
    KIND,
    Job,
    JobShopScenario,
    Mode,
    Objective,
    Operation,
    SetupMatrix,
)
from opsplan.models.jobshop.validate import validate_jobshop

__all__ = [
    "KIND",
    "Job",
    "JobShopScenario",
    "Mode",
    "Objective",
    "Operation",
    "SetupMatrix",
    "validate_jobshop",
]
