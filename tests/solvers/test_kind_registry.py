"""Solvers registered per (family, kind): a toy kind that only the tests know plugs into cpsat (through
a model builder on the kind-neutral parts), dispatch (its own rules), the explainer, the race and
reschedule, with no generic module naming it; the job shop keeps its own rules and refusals."""

from __future__ import annotations

import sys

import pytest
from opsplan.models import check
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.kinds import DisruptionEvent
from opsplan.models.schedule import Assignment
from opsplan.solvers import Params, available, known, registry, solve
from opsplan.solvers.cpsat import parts
from opsplan.solvers.cpsat.builder import CpModelBuilder
from opsplan.solvers.mip.builder import MipModelBuilder

from tests.toykind import KIND, ToyScenario, ToyTask, registered, sample
from tests.toykind.solvers import ToyCpBuilder, register_solvers


@pytest.fixture
def toy():
    """The toy kind registered in the models and solvers registries for one test."""
    with registered(("models",)):
        undo = register_solvers()
        try:
            yield sample()
        finally:
            undo()


def test_variants_are_per_kind(toy):
    """Two kinds' dispatch rules never collide: 'spt' is each kind's own, 'longest-first' only the toy's."""
    assert registry.variants("dispatch", KIND) == ("spt", "lpt", "longest-first")
    assert "longest-first" not in registry.variants("dispatch", "jobshop")
    assert "dispatch:longest-first" in known(KIND) and "dispatch:longest-first" not in known("jobshop")
    assert registry.split_name("dispatch:longest-first", KIND)[1] == "longest-first"
    with pytest.raises(SolverError, match="unknown dispatch variant 'longest-first' for jobshop scenarios"):
        registry.split_name("dispatch:longest-first", "jobshop")
    assert set(available(KIND)) == {"cpsat", "dispatch:spt", "dispatch:lpt", "dispatch:longest-first", "race"}
    with pytest.raises(SolverError, match="does not handle toy scenarios"):
        solve(toy, "mip")
    # the same name runs each kind's own module
    assert solve(toy, "dispatch:spt").stats == {} and solve(random_jobshop(3, 2), "dispatch:spt").stats["path"]


def test_builders_follow_the_protocols():
    """The job shop's builders and the toy's are what the engines drive."""
    from opsplan.solvers.cpsat.jobshop_model import JobShopCpBuilder
    from opsplan.solvers.mip.jobshop import JobShopMipBuilder

    sc = random_jobshop(3, 2)
    assert isinstance(JobShopCpBuilder(sc), CpModelBuilder) and isinstance(ToyCpBuilder(sample()), CpModelBuilder)
    assert isinstance(JobShopMipBuilder(sc), MipModelBuilder)


def test_cpsat_solves_the_toy_through_its_builder(toy):
    """cpsat's generic flow (start from the toy's heuristic, pins, hint, checker) on the toy's model."""
    r = solve(toy, "cpsat", Params(time_limit=10, threads=1))
    assert r.status == "optimal" and r.objective == 8 and check(toy, r.schedule) == []
    assert r.stats["hint"].startswith("dispatch:")
    pin = Assignment("a", "L2", 3, 8)
    r = solve(toy, "cpsat", Params(time_limit=10, threads=1, pinned=(pin,), options={"earliest": {"b": 1}}))
    assert r.schedule.by_task()["a"] == pin and r.schedule.by_task()["b"].start >= 1 and check(toy, r.schedule) == []


def test_the_explainer_reuses_the_toy_builder(toy):
    """Two pins that overlap on one lane: infeasible, and the explainer (the same builder, guarded) names both."""
    pins = (Assignment("a", "L1", 0, 5), Assignment("b", "L1", 2, 6))
    r = solve(toy, "cpsat", Params(time_limit=10, threads=1, pinned=pins))
    assert r.status == "infeasible"
    assert sorted(c.code for c in r.conflicts) == ["pin", "pin"] and r.stats["explain_minimal"]
    assert "task a is pinned to L1 at 0" in " ".join(c.message for c in r.conflicts)


def test_a_lane_calendar_blocks_the_toy_through_the_shared_unary_part(toy):
    """The kind-neutral unary resource keeps work out of a lane's calendar windows."""
    lanes = (Resource("L1", calendar=Calendar((Window(0, 6, "closed"),))), Resource("L2"))
    sc = ToyScenario("closed", lanes, (ToyTask("a", 4), ToyTask("b", 4)))
    r = solve(sc, "cpsat", Params(time_limit=10, threads=1, options={"no_hint": True}))
    assert r.status == "optimal" and r.objective == 8
    assert all(a.start >= 6 for a in r.schedule.work() if a.resource == "L1")


def test_why_not_refuses_and_the_race_skips(toy, monkeypatch):
    """A backend's why_not is the one refusal: solve raises it, the race leaves the member out."""
    from opsplan.solvers import race
    from opsplan.solvers.local import tabu

    big = ToyScenario("big", toy.lanes, tuple(ToyTask(f"t{k}", 1 + k % 3) for k in range(60)))
    with pytest.raises(SolverError, match="cannot run on 'big': the toy rules stop at 50 tasks"):
        solve(big, "dispatch:lpt")
    skipped: dict[str, str] = {}
    assert race.members(big, Params(), skipped) == ["cpsat"] and "dispatch:longest-first" in skipped
    flexible = random_jobshop(3, 3, flexible=2)
    assert tabu.why_not(flexible, Params()) and registry.why_not("tabu", flexible, Params())
    assert registry.why_not("tabu", random_jobshop(3, 3), Params()) is None
    with pytest.raises(SolverError, match="cannot run on"):
        solve(flexible, "tabu", Params(time_limit=1))


def test_the_race_runs_the_toy_members(monkeypatch):
    """The toy registered by a registration module (as a plug-in is): the race's member processes load
    it too and race the toy's default members."""
    monkeypatch.setattr(registry, "_MODULES", list(registry._MODULES))
    registry.add_registrations("tests.toykind.plugin")
    try:
        sc = sample()
        r = solve(sc, "race", Params(time_limit=8, threads=2))
        assert r.stats["members"] == ["cpsat", "dispatch:longest-first"], r.message
        assert r.status == "optimal" and r.objective == 8 and check(sc, r.schedule) == []
    finally:
        from opsplan.models.kinds import unregister_kind

        registry.unregister_kind(KIND)
        unregister_kind(KIND)
        sys.modules.pop("tests.toykind.plugin", None)


def test_reschedule_is_generic(toy):
    """Freeze the past and re-plan the rest for a kind reschedule never heard of (a lane lost: its
    declared disruption has no effect on the scenario here, so only the cut time acts)."""
    from opsplan.solvers.reschedule import prepare, reschedule

    plan = solve(toy, "dispatch:lpt").schedule
    event = DisruptionEvent("lane_down", "L1", 3, 2)
    prep = prepare(toy, plan, [event])
    assert prep.at == 3 and {a.task for a in prep.frozen} == {a.task for a in plan.work() if a.start < 3}
    assert set(prep.earliest.values()) == {3}
    _, r = reschedule(toy, plan, [event], "cpsat", Params(time_limit=10, threads=1), max_changes=5)
    assert r.schedule is not None and check(toy, r.schedule) == []
    assert all(r.schedule.by_task()[a.task] == a for a in prep.frozen)
    with pytest.raises(Exception, match="not a disruption of Toy scenarios"):
        prepare(toy, plan, [DisruptionEvent("machine_down", "L1", 3, 2)])


def test_cumulative_part_holds_amounts():
    """The cumulative part (for kinds with shared capacity, such as migration crews): three tasks of
    amount 2 on capacity 4 never run three at a time, a window takes the whole capacity."""
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    tasks = [parts.new_task(m, f"t{k}", "g", [("crew", 5, 2)], (0, 30), (5, 35)) for k in range(3)]
    parts.precedence(m, tasks[0], tasks[1], lag=1)
    parts.cumulative_resource(m, "crew", 4, [(tv, tv.modes["crew"]) for tv in tasks],
                              Calendar((Window(0, 2, "briefing"),)))
    end = m.new_int_var(0, 40, "end")
    m.add_max_equality(end, [tv.end for tv in tasks])
    m.minimize(end)
    solver = cp_model.CpSolver()
    assert solver.solve(m) == cp_model.OPTIMAL
    work = parts.read_work(solver, {tv.task: tv for tv in tasks})
    assert all(a.amount == 2 and a.start >= 2 for a in work)
    by = {a.task: a for a in work}
    assert by["t1"].start >= by["t0"].end + 1 and solver.value(end) == 13


def test_the_policy_family_is_found_through_its_entry_point_without_importing_the_layer():
    """A script that imports only the solvers still knows 'policy:<name>' (entry point), loads no onnxruntime."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from opsplan.solvers import available\n"
            "names = available('jobshop')\n"
            "print('POLICY', [n for n in names if n.startswith('policy:')])\n"
            "print('ORT', 'onnxruntime' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "POLICY ['policy:jobshop-sl']" in out.stdout and "ORT False" in out.stdout
