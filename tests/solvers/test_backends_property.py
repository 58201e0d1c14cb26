"""Every schedule from every backend and rule passes the independent checker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from opsplan.models import check, objective_value
from opsplan.solvers import Params, available, solve

from tests.solvers.strategies import jobshops

# the race is held to the same test below, with fewer examples (each starts processes);
# ils runs on single-machine weighted tardiness only (tests/solvers/test_ils.py checks its schedules),
# tabu on classic shops only (tests/solvers/test_tabu.py)
GENERAL = [s for s in available("jobshop") if s not in ("cpsat-textbook", "race", "ils", "tabu")]


@pytest.mark.parametrize("solver", GENERAL)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=jobshops())
def test_every_backend_passes_checker(solver, sc):
    """Random small shops with every feature: the backend's schedule has no violation.

    Only hard deadlines may leave a backend without a schedule (proven infeasible,
    or no dispatch rule meets them); it never returns one that misses them.
    """
    r = solve(sc, solver, Params(time_limit=10, threads=1, seed=1))
    if r.schedule is None:
        assert any(j.deadline is not None for j in sc.jobs), r
        assert r.status in ("infeasible", "no_solution"), r
        return
    assert check(sc, r.schedule) == []
    assert r.objective == objective_value(sc, r.schedule)


@pytest.mark.skipif("race" not in available("jobshop"), reason="race not registered")
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=jobshops())
def test_race_passes_checker(sc):
    test_every_backend_passes_checker.hypothesis.inner_test("race", sc)


@settings(max_examples=20, deadline=None)
@given(sc=jobshops(rich=False))
def test_textbook_baseline_passes_checker(sc):
    """The benchmark baseline is held to the same checker on classic shops."""
    r = solve(sc, "cpsat-textbook", Params(time_limit=10, threads=1))
    assert check(sc, r.schedule) == []


def test_backends_listed():
    """cpsat and every dispatch rule are available in a full install."""
    names = available("jobshop")
    assert "cpsat" in names
    assert {"dispatch:spt", "dispatch:mwkr", "dispatch:atc"} <= set(names)
