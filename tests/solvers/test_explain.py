"""Infeasibility explained: the named conflict set is exactly the planted one, among unrelated constraints."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from opsplan.models.core import Calendar, Window
from opsplan.models.io.document import Document, save
from opsplan.models.jobshop.build import from_routes, random_jobshop
from opsplan.models.schedule import Assignment, Category
from opsplan.solvers import Params, solve
from opsplan.solvers.cpsat.explain import explain

P = Params(time_limit=10, threads=1)


def _shop(routes, n_machines, releases=None, deadlines=None, windows=None):
    """A job shop with deadlines per job and ``windows = {machine index: [(start, end, reason)]}``."""
    sc = from_routes("planted", routes, n_machines, releases=releases)
    if deadlines:
        sc = replace(sc, jobs=tuple(replace(j, deadline=d) for j, d in zip(sc.jobs, deadlines)))
    if windows:
        machines = list(sc.machines)
        for i, spans in windows.items():
            machines[i] = replace(machines[i], calendar=Calendar(tuple(Window(s, e, r) for s, e, r in spans)))
        sc = replace(sc, machines=tuple(machines))
    return sc


def _named(result):
    return {(c.code, c.path or ",".join(c.objects)) for c in result.conflicts}


def test_window_and_deadline():
    """Machine M1's maintenance window with J2's deadline, among loose deadlines, releases and windows."""
    sc = _shop(
        [[[(0, 4)], [(1, 3)]], [[(1, 2)], [(0, 2)]], [[(1, 5)]], [[(2, 3)], [(1, 1)]]],
        3,
        releases=[2, 0, 0, 1],
        deadlines=[60, 80, 12, None],
        windows={1: [(4, 30, "maintenance")], 2: [(40, 45, "break")], 0: [(50, 52, "")]},
    )
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("window", "machines[1].calendar[0]"), ("deadline", "jobs[2].deadline")}
    assert r.stats["explain_minimal"] is True
    texts = " | ".join(c.message for c in r.conflicts)
    assert "machine M1 unavailable 4-30 (maintenance)" in texts and "deadline 12" in texts


def test_two_deadlines_compete_for_one_machine():
    """J0 and J1 both need M0 for 5 by time 7: both deadlines, nothing else (J2's loose deadline stays out)."""
    sc = _shop([[[(0, 5)]], [[(0, 5)]], [[(0, 3)], [(1, 2)]], [[(1, 4)]]], 2,
               releases=[0, 0, 1, 3], deadlines=[7, 7, 40, None])
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("deadline", "jobs[0].deadline"), ("deadline", "jobs[1].deadline")}


def test_releases_and_deadlines_of_two_jobs():
    """Four constraints together, none redundant: both releases and both deadlines."""
    sc = _shop([[[(0, 5)]], [[(0, 5)]], [[(1, 2)]]], 2, releases=[10, 8, 4], deadlines=[16, 14, 30])
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("release", "jobs[0].release"), ("deadline", "jobs[0].deadline"),
                         ("release", "jobs[1].release"), ("deadline", "jobs[1].deadline")}


def test_pin_against_deadline():
    """A pin keeps M0 busy 0-5 while J1 must finish on M0 by 4: the pin and J1's deadline."""
    sc = _shop([[[(0, 5)]], [[(0, 3)]], [[(1, 3)]]], 2, deadlines=[None, 4, 50])
    pin = Assignment(sc.jobs[0].operations[0].id, "M0", 0, 5, Category.WORK)
    r = solve(sc, "cpsat", replace(P, pinned=(pin,)))
    assert r.status == "infeasible"
    assert _named(r) == {("pin", pin.task), ("deadline", "jobs[1].deadline")}


def test_earliest_start_against_deadline():
    sc = _shop([[[(0, 5)], [(1, 2)]], [[(1, 3)]]], 2, deadlines=[20, None])
    op = sc.jobs[0].operations[0].id
    r = solve(sc, "cpsat", replace(P, options={"earliest": {op: 15}}))
    assert r.status == "infeasible"
    assert _named(r) == {("earliest", op), ("deadline", "jobs[0].deadline")}


def test_planted_in_a_random_shop():
    """A random 6x4 shop with loose deadlines and a window, plus two jobs that cannot both end on M0 by 11."""
    base = random_jobshop(6, 4, seed=5, high=9)
    routes = [[[(int(md.resource[1:]), md.duration) for md in op.modes] for op in job.operations]
              for job in base.jobs]
    loose = 10 * base.horizon()
    sc = _shop([*routes, [[(0, 6)]], [[(0, 6)]]], 4, releases=[0, 3, 1, 0, 2, 0, 0, 0],
               deadlines=[loose] * 6 + [11, 11], windows={3: [(5, 9, "shift change")]})
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("deadline", "jobs[6].deadline"), ("deadline", "jobs[7].deadline")}


def test_feasible_scenario_has_no_conflicts():
    sc = _shop([[[(0, 5)]], [[(0, 5)]]], 1, deadlines=[10, 10], windows={0: [(10, 20, "pm")]})
    r = solve(sc, "cpsat", P)
    assert r.status == "optimal" and r.conflicts == ()
    e = explain(sc)
    assert e.conflicts == () and "can hold together" in e.message


def test_mip_infeasible_is_explained_too():
    pytest.importorskip("pyomo")
    pytest.importorskip("highspy")
    sc = _shop([[[(0, 5)]], [[(0, 5)]], [[(1, 1)]]], 2, deadlines=[7, 7, 30])
    r = solve(sc, "mip", P)
    assert r.status == "infeasible"
    assert _named(r) == {("deadline", "jobs[0].deadline"), ("deadline", "jobs[1].deadline")}


def test_explanation_can_be_switched_off():
    sc = _shop([[[(0, 5)]], [[(0, 5)]]], 1, deadlines=[7, 7])
    r = solve(sc, "cpsat", replace(P, options={"explain": False}))
    assert r.status == "infeasible" and r.conflicts == ()


def test_cli_prints_the_conflict(tmp_path, capsys):
    from opsplan.app.cli import main

    sc = _shop([[[(0, 4)]], [[(0, 4)]], [[(1, 2)]]], 2, deadlines=[5, 6, None],
               windows={1: [(30, 40, "pm")]})
    path = tmp_path / "infeasible.json"
    save(Document(sc, ()), path)
    rc = main(["solve", str(path), "--solver", "cpsat", "--time-limit", "5"])
    out = capsys.readouterr().out
    assert rc == 1  # no plan: a script must not go on
    assert "status     infeasible" in out and "these constraints cannot all hold" in out
    assert "[jobs[0].deadline]" in out and "[jobs[1].deadline]" in out and "M1" not in out.split("why")[1]
    rc = main(["solve", str(path), "--solver", "cpsat", "--time-limit", "5", "--json"])
    res = json.loads(capsys.readouterr().out)
    assert res["status"] == "infeasible"
    assert sorted(c["path"] for c in res["conflicts"]) == ["jobs[0].deadline", "jobs[1].deadline"]
    assert all(c["code"] == "deadline" and c["objects"] for c in res["conflicts"])


def test_the_bundled_infeasible_sample_names_its_three_constraints():
    """resources/samples/bakery-infeasible.json: the late rye order's release, its deadline and oven A's maintenance."""
    from pathlib import Path

    from opsplan.models.io.document import load

    path = Path(__file__).resolve().parents[2] / "resources" / "samples" / "bakery-infeasible.json"
    sc = load(path).scenario
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("release", "jobs[3].release"), ("deadline", "jobs[3].deadline"),
                         ("window", "machines[4].calendar[0]")}


def test_a_pin_off_the_baseline_and_a_budget_name_both():
    """The planner moved J0.0 and pinned it; with no change allowed the conflict is the pin *and* the
    budget (the budget alone holds). The pinned operation was counted as changed even without its pin."""
    sc = from_routes("t", [[[(0, 5)]], [[(0, 5)]]], 1)
    base = (Assignment("J0.0", "M0", 0, 5), Assignment("J1.0", "M0", 5, 10))
    pin = Assignment("J0.0", "M0", 20, 25)
    r = solve(sc, "cpsat", replace(P, pinned=(pin,), options={"baseline": base, "max_changes": 0}))
    assert r.status == "infeasible"
    assert {c.code for c in r.conflicts} == {"pin", "change_budget"} and r.stats["explain_minimal"]


def test_a_change_budget_may_push_moved_bars_past_the_plain_horizon():
    """After a breakdown the bars that keep their place push the moved ones behind them, beyond the
    scenario's serial horizon: with two changes allowed a plan exists (it was called infeasible)."""
    from opsplan.models.jobshop.disruptions import MachineDown
    from opsplan.solvers.reschedule import reschedule

    sc = from_routes("t", [[[(0, 4)], [(1, 3)]], [[(0, 6)], [(1, 5)]]], 2)
    plan = solve(sc, "cpsat", P).schedule.renamed("plan")
    new_sc, r = reschedule(sc, plan, [MachineDown("M0", 0, 2)], "cpsat", P, max_changes=2)
    assert r.schedule is not None and r.stats["reschedule"]["changes"] <= 2
    from opsplan.models import check

    assert check(new_sc, r.schedule) == []


def test_zero_length_work_may_sit_where_two_windows_touch():
    """Windows [0, 5) and [5, 10) touch: a zero-length step at 5 is allowed (they were merged into one)."""
    sc = _shop([[[(0, 0)]]], 1, releases=[5], deadlines=[5], windows={0: [(0, 5, "night"), (5, 10, "service")]})
    r = solve(sc, "cpsat", P)
    assert r.status == "optimal" and r.schedule.by_task()["J0.0"].start == 5


def test_of_two_overlapping_windows_the_one_that_conflicts_is_named():
    """A breakdown [5, 10) during maintenance [2, 6): with the deadline only the breakdown conflicts
    (the maintenance alone leaves room). Overlapping windows were one assumption named by the first."""
    sc = _shop([[[(1, 6)], [(0, 3)]]], 2, deadlines=[12], windows={0: [(2, 6, "maintenance"), (5, 10, "breakdown")]})
    r = solve(sc, "cpsat", P)
    assert r.status == "infeasible"
    assert _named(r) == {("window", "machines[0].calendar[1]"), ("deadline", "jobs[0].deadline")}
    assert "maintenance" not in " ".join(c.message for c in r.conflicts)


def test_a_cancel_reaches_the_explainers_searches():
    from opsplan.solvers import StopToken

    sc = _shop([[[(0, 5)]], [[(0, 5)]]], 1, deadlines=[5, 5])
    stop = StopToken()
    stop.set()
    found = explain(sc, P, time_limit=10, stop=stop)
    assert found.conflicts == () and not found.minimal
    assert explain(sc, P, time_limit=10).conflicts  # not cancelled: the two deadlines


def test_two_pins_on_one_operation_are_the_conflict():
    """Two pins of one operation at different starts cannot both hold; the explainer kept only the last
    and found nothing to name."""
    sc = _shop([[[(0, 5)]], [[(0, 5)]]], 1)
    pins = (Assignment("J0.0", "M0", 0, 5), Assignment("J0.0", "M0", 10, 15))
    r = solve(sc, "cpsat", replace(P, pinned=pins))
    assert r.status == "infeasible" and [c.code for c in r.conflicts] == ["pin", "pin"]
