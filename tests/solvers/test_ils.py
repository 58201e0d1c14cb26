"""Iterated local search for single-machine weighted tardiness: never worse than its start, honest about shape."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import potts_van_wassenhove, random_jobshop
from opsplan.models.jobshop.scenario import Objective
from opsplan.solvers import Params, StopToken, solve
from opsplan.solvers.dispatch.single_machine import single_machine_seed


def test_reaches_the_exact_optimum_on_small_instances():
    for seed in range(3):
        sc = potts_van_wassenhove(12, 0.6, 0.4, seed=seed, weighted=True)
        r = solve(sc, "ils", Params(time_limit=3, seed=seed))
        assert check(sc, r.schedule) == [] and r.objective == objective_value(sc, r.schedule)
        exact = solve(sc, "cpsat", Params(time_limit=20, threads=2))
        assert exact.status == "optimal" and r.objective == exact.objective


def test_never_worse_than_the_rules_with_local_search():
    sc = potts_van_wassenhove(60, 0.8, 0.4, seed=5, weighted=True)
    seed = single_machine_seed(sc)
    r = solve(sc, "ils", Params(time_limit=2))
    assert r.objective <= seed[2] and r.stats["kicks"] > 0
    assert r.termination.value == "time_limit" and r.bound == 0


def test_stops_when_cancelled_and_on_stall():
    sc = potts_van_wassenhove(100, 0.8, 0.6, seed=2, weighted=True)
    stop = StopToken()
    threading.Timer(0.5, stop.set).start()
    t0 = time.perf_counter()
    r = solve(sc, "ils", Params(time_limit=60), stop=stop)
    assert time.perf_counter() - t0 < 2.5 and r.termination.value == "cancelled" and r.schedule is not None
    r = solve(sc, "ils", Params(options={"ils_stall": 20}))
    assert r.stats["stopped"] in ("stalled", "zero") and r.termination.value in ("completed", "optimal")


def test_takes_a_better_schedule_from_its_inbox():
    sc = potts_van_wassenhove(40, 0.6, 0.6, seed=9, weighted=True)
    good = solve(sc, "cpsat", Params(time_limit=5, threads=2))
    sent = []

    def inbox():
        if not sent:
            sent.append(1)
            return good.schedule
        return None

    r = solve(sc, "ils", Params(time_limit=1, options={"inbox": inbox, "ils_stall": 10**9}))
    assert r.objective <= good.objective


def test_refuses_other_shapes_and_objectives():
    with pytest.raises(SolverError, match="single-machine"):
        solve(random_jobshop(3, 3), "ils", Params(time_limit=1))
    sc = replace(potts_van_wassenhove(10, 0.4, 0.4), objective=Objective.MAKESPAN)
    with pytest.raises(SolverError, match="total weighted tardiness"):
        solve(sc, "ils", Params(time_limit=1))


def test_race_leads_with_ils_on_a_single_machine():
    from opsplan.solvers.race import default_members

    sc = potts_van_wassenhove(30, 0.6, 0.4, seed=1, weighted=True)
    assert default_members(sc, Params()) == ["ils", "cpsat", "mip"]
    assert default_members(random_jobshop(3, 3), Params()) == ["cpsat", "tabu"]  # classic shop
    assert default_members(random_jobshop(3, 3, flexible=2), Params()) == ["cpsat", "mip"]
    r = solve(sc, "race", Params(time_limit=6, threads=2))
    assert check(sc, r.schedule) == [] and r.stats["members"] == ["ils", "cpsat", "mip"]
