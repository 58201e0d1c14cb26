"""Tabu search for the classic job shop: feasible, never worse than its start, honest about shape and proofs."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opsplan.models import check, objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.errors import SolverError
from opsplan.models.io.importers import import_file
from opsplan.models.jobshop.build import from_routes, random_jobshop
from opsplan.models.jobshop.scenario import Objective
from opsplan.solvers import Params, StopToken, solve
from opsplan.solvers.local import tabu


@st.composite
def classic_shops(draw):
    """Small shops tabu takes: one machine per operation, any route (machines may repeat),
    zero-length operations, releases."""
    n_m = draw(st.integers(1, 4))
    n_j = draw(st.integers(1, 5))
    routes = [[[(draw(st.integers(0, n_m - 1)), draw(st.integers(0, 9)))] for _ in range(draw(st.integers(1, 4)))]
              for _ in range(n_j)]
    releases = draw(st.lists(st.integers(0, 12), min_size=n_j, max_size=n_j))
    return from_routes("classic", routes, n_m, releases=releases)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=classic_shops())
def test_feasible_and_never_below_the_optimum(sc):
    """The schedule passes the checker; it never beats CP-SAT's proven optimum, and a claimed
    proof (the lower bound met) is the optimum."""
    r = solve(sc, "tabu", Params(time_limit=0.3, seed=3))
    assert check(sc, r.schedule) == [] and r.objective == objective_value(sc, r.schedule)
    exact = solve(sc, "cpsat", Params(time_limit=10, threads=1, options={"no_tabu": True}))
    assert exact.status == "optimal"
    assert r.objective >= exact.objective and r.bound <= exact.objective
    if r.status == "optimal":
        assert r.objective == exact.objective


def test_finds_ft06s_optimum_and_proves_la01_by_its_bound(bench_dir):
    ft06 = import_file(str(bench_dir / "jobshop" / "ft06.txt"), "orlib-jobshop").scenario
    r = solve(ft06, "tabu", Params(time_limit=5))
    assert r.objective == 55 and check(ft06, r.schedule) == []
    # la01's optimum 666 is its busiest machine's load: meeting that bound is a proof, so it stops
    la01 = import_file(str(bench_dir / "jobshop" / "la01.txt"), "orlib-jobshop").scenario
    r = solve(la01, "tabu", Params(time_limit=10))
    assert (r.status, r.objective, r.bound) == ("optimal", 666, 666) and r.runtime_s < 5
    assert check(la01, r.schedule) == []


def test_improves_on_its_starting_rule():
    sc = random_jobshop(15, 10, seed=2)
    from opsplan.solvers.starting import starting_schedule

    start, _, value, _ = starting_schedule(sc, Params(), {}, ("fifo", "spt", "mwkr", "mor"))
    r = solve(sc, "tabu", Params(time_limit=1.5))
    assert r.objective < value and r.stats["iterations"] > 1000 and r.termination.value == "time_limit"
    assert check(sc, r.schedule) == []


def test_stops_when_cancelled_and_on_stall():
    sc = random_jobshop(20, 10, seed=7)
    stop = StopToken()
    threading.Timer(0.5, stop.set).start()
    t0 = time.perf_counter()
    r = solve(sc, "tabu", Params(time_limit=60), stop=stop)
    assert time.perf_counter() - t0 < 1.5 and r.termination.value == "cancelled" and r.schedule is not None
    r = solve(sc, "tabu", Params(options={"tabu_stall": 500}))
    assert r.stats["stopped"] in ("stalled", "lower_bound") and r.termination.value in ("completed", "optimal")


def test_takes_a_better_schedule_from_its_inbox():
    sc = random_jobshop(10, 5, seed=9)
    good = solve(sc, "cpsat", Params(time_limit=5, threads=2, options={"no_tabu": True}))
    sent = []

    def inbox():
        if not sent:
            sent.append(1)
            return good.schedule
        return None

    # 2 s: in a fresh process loading the compiled kernel alone can take half a second
    r = solve(sc, "tabu", Params(time_limit=2, options={"inbox": inbox}))
    assert r.objective <= good.objective and check(sc, r.schedule) == []


def test_refuses_other_shapes_with_the_reason():
    shop = random_jobshop(3, 3)
    cases = {
        "flexible": random_jobshop(3, 3, flexible=2),
        "makespan": replace(shop, objective=Objective.TOTAL_WEIGHTED_TARDINESS),
        "calendar": replace(shop, machines=(replace(shop.machines[0], calendar=Calendar((Window(5, 9, "pm"),))),
                                            *shop.machines[1:])),
        "deadlines": replace(shop, jobs=(replace(shop.jobs[0], deadline=10**4), *shop.jobs[1:])),
    }
    for word, sc in cases.items():
        with pytest.raises(SolverError, match=word if word != "flexible" else "one machine"):
            solve(sc, "tabu", Params(time_limit=1))
    pin = solve(shop, "dispatch:spt", Params()).schedule.work()[0]
    with pytest.raises(SolverError, match="pinned operations"):
        solve(shop, "tabu", Params(time_limit=1, pinned=(pin,)))


def test_cpsat_starts_from_the_tabu_search_on_classic_shops():
    sc = random_jobshop(12, 6, seed=5)
    r = solve(sc, "cpsat", Params(time_limit=2, threads=2))
    assert r.stats["tabu_iterations"] > 0 and r.stats["hint_objective"] <= r.stats["tabu_makespan"]
    assert check(sc, r.schedule) == [] and r.objective <= r.stats["tabu_makespan"]
    plain = solve(sc, "cpsat", Params(time_limit=1, threads=2, options={"no_tabu": True}))
    assert "tabu_iterations" not in plain.stats and "tabu" not in plain.stats["hint"]
    flexible = solve(random_jobshop(6, 3, flexible=2), "cpsat", Params(time_limit=1, threads=2))
    assert "tabu_iterations" not in flexible.stats


def test_cpsat_starts_from_its_own_walk_not_from_the_race():
    """cpsat's tabu phase does not read the race's inbox: the walk keeps its own path and CP-SAT
    starts from the walk's best, even where a shared schedule is better (that one waits for the
    race to restart the member); it tells the race once its start is built (``options["started"]``)."""
    from opsplan.solvers.local import tabu_kernel

    tabu_kernel.warm()  # under a short limit cpsat skips an uncompiled kernel
    sc = random_jobshop(15, 8, seed=4)
    good = solve(sc, "tabu", Params(time_limit=2))
    reads, events = [], []

    def inbox():
        reads.append(1)
        return good.schedule

    def on_solution(schedule, objective):  # noqa: ANN001, ANN202
        events.append(("solution", objective))

    # a walk that stops at its first iteration without a new best cannot reach the 2 s walk
    r = solve(sc, "cpsat", Params(time_limit=3, threads=2, options={
        "inbox": inbox, "started": lambda: events.append(("started", None)), "tabu_stall": 1,
        "on_solution": on_solution}))
    assert reads == []
    assert r.stats["hint"].startswith("tabu search from") and r.stats["hint_objective"] > good.objective
    assert check(sc, r.schedule) == []
    assert [e for e in events if e[0] == "started"] == [("started", None)]
    # the walk's improvements come before it, none of CP-SAT's can
    walk = [obj for kind, obj in events[:events.index(("started", None))] if kind == "solution"]
    assert walk and min(walk) == r.stats["tabu_makespan"]


def test_order_of_a_schedule_with_zero_length_work_has_no_cycle():
    """Machine orders read from a schedule by start, end and route position never form a cycle,
    even when zero-length operations share a start with their route neighbours."""
    sc = from_routes("zeros", [[[(0, 0)], [(1, 0)], [(0, 3)]], [[(1, 0)], [(0, 0)], [(1, 2)]]], 2)
    start = solve(sc, "dispatch:spt", Params()).schedule
    shop = tabu.shop_arrays(sc)
    seq = tabu.order_of(shop, start)
    again = tabu.schedule_of(shop, seq)
    assert check(sc, again) == [] and objective_value(sc, again) <= objective_value(sc, start)


def test_cpsat_skips_an_uncompiled_kernel_under_a_short_limit(monkeypatch):
    """Compiling the kernel takes seconds: under a short limit cpsat goes without the tabu search
    rather than spend its time compiling (``make`` compiles it at install)."""
    from opsplan.solvers.local import tabu_kernel

    tabu_kernel.warm()
    assert tabu_kernel.is_compiled()
    monkeypatch.setattr(tabu_kernel, "is_compiled", lambda: False)
    sc = random_jobshop(6, 4, seed=1)
    r = solve(sc, "cpsat", Params(time_limit=2, threads=1))
    assert r.stats["tabu"].startswith("skipped") and "tabu_iterations" not in r.stats
    assert check(sc, r.schedule) == []
