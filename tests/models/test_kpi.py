"""Job-shop KPIs on a hand-computed example."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from opsplan.models import objective_value as public_objective_value
from opsplan.models.jobshop.build import classic
from opsplan.models.jobshop.checker import check_jobshop
from opsplan.models.jobshop.kpi import (
    completion_times,
    kpis,
    late_jobs,
    makespan,
    max_lateness,
    objective_value,
    total_weighted_tardiness,
    utilization,
)
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule


@pytest.fixture
def shop() -> JobShopScenario:
    """Three jobs on three machines; J0 due 4 weight 2, J1 due 6, J2 released at 1 with no due date."""
    return classic(
        "kpi",
        [[(0, 3), (1, 2)], [(1, 4), (0, 1)], [(0, 2), (2, 3)]],
        releases=[0, 0, 1],
        dues=[4, 6, None],
        weights=[2, 1, 1],
    )


@pytest.fixture
def plan() -> Schedule:
    """A feasible schedule of ``shop``: C = (6, 6, 8), makespan 8, busy M0 6, M1 6, M2 3."""
    return Schedule.of(
        [
            Assignment("J0.0", "M0", 0, 3),
            Assignment("J0.1", "M1", 4, 6),
            Assignment("J1.0", "M1", 0, 4),
            Assignment("J1.1", "M0", 5, 6),
            Assignment("J2.0", "M0", 3, 5),
            Assignment("J2.1", "M2", 5, 8),
            Assignment("setup", "M2", 3, 5, Category.SETUP),  # never counted as busy
        ]
    )


def test_example_is_feasible(shop, plan):
    assert check_jobshop(shop, plan) == []


def test_completion_times(shop, plan):
    assert completion_times(shop, plan) == {"J0": 6, "J1": 6, "J2": 8}


def test_completion_times_with_missing_operations(shop, plan):
    partial = Schedule.of(a for a in plan if a.task not in ("J0.1", "J2.0", "J2.1"))
    # J0 falls back to its present operation, J2 (nothing present) to its release
    assert completion_times(shop, partial) == {"J0": 3, "J1": 6, "J2": 1}


def test_makespan(shop, plan):
    assert makespan(shop, plan) == 8


def test_total_weighted_tardiness(shop, plan):
    # J0: 2 * (6 - 4) = 4; J1 on time; J2 has no due date
    assert total_weighted_tardiness(shop, plan) == 4


def test_max_lateness(shop, plan):
    assert max_lateness(shop, plan) == 2  # max(6 - 4, 6 - 6)


def test_max_lateness_negative_when_all_early(shop, plan):
    early = replace(shop, jobs=tuple(replace(j, due=10) for j in shop.jobs))
    assert max_lateness(early, plan) == -2  # max(6, 6, 8) - 10
    assert total_weighted_tardiness(early, plan) == 0
    assert late_jobs(early, plan) == 0


def test_no_due_dates_give_zero(shop, plan):
    none_due = replace(shop, jobs=tuple(replace(j, due=None) for j in shop.jobs))
    assert max_lateness(none_due, plan) == 0
    assert total_weighted_tardiness(none_due, plan) == 0


def test_late_jobs(shop, plan):
    assert late_jobs(shop, plan) == 1


def test_utilization(shop, plan):
    assert utilization(shop, plan) == {"M0": 0.75, "M1": 0.75, "M2": 0.375}


def test_utilization_of_an_empty_schedule():
    sc = classic("empty", [[(0, 3)]])
    assert makespan(sc, Schedule()) == 0
    assert utilization(sc, Schedule()) == {"M0": 0.0}


@pytest.mark.parametrize(
    ("objective", "value"),
    [
        (Objective.MAKESPAN, 8),
        (Objective.TOTAL_WEIGHTED_TARDINESS, 4),
        (Objective.MAX_LATENESS, 2),
    ],
)
def test_objective_value(shop, plan, objective, value):
    sc = replace(shop, objective=objective)
    assert objective_value(sc, plan) == value
    assert public_objective_value(sc, plan) == value


def test_kpis(shop, plan):
    sc = replace(shop, objective=Objective.TOTAL_WEIGHTED_TARDINESS)
    k = kpis(sc, plan)
    assert k == {
        "objective": "total_weighted_tardiness",
        "objective_value": 4,
        "makespan": 8,
        "total_weighted_tardiness": 4,
        "max_lateness": 2,
        "late_jobs": 1,
        "mean_utilization": 0.625,
        "utilization": {"M0": 0.75, "M1": 0.75, "M2": 0.375},
        "completion_times": {"J0": 6, "J1": 6, "J2": 8},
    }
    assert json.loads(json.dumps(k)) == k
