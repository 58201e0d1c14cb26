"""Disruptions and rescheduling: parsing, what is frozen, earliest starts, the change budget, both backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.models import check, objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.errors import OpsPlanError, SolverError, ValidationError
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.disruptions import MachineDown, OperationLate
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers import CHANGE_BUDGET, EARLIEST, Params, available, solve, supports
from opsplan.solvers.dispatch.jobshop import dispatch
from opsplan.solvers.reschedule import (
    DisruptionError,
    changed_operations,
    count_changes,
    parse_down,
    parse_late,
    prepare,
    reschedule,
)

FAST = Params(time_limit=5, threads=2)


@pytest.fixture(scope="module")
def shop():
    """A 5x4 random shop and its proven optimal plan (makespan 86)."""
    sc = random_jobshop(5, 4, seed=0, high=20)
    r = solve(sc, "cpsat", FAST)
    assert r.status == "optimal"
    return sc, r.schedule.renamed("plan")


def _breakdown(schedule: Schedule, duration: int = 15) -> MachineDown:
    """A breakdown at a third of the makespan on a machine busy at that moment."""
    at = schedule.makespan // 3
    running = sorted((a for a in schedule.work() if a.start < at < a.end), key=lambda a: a.resource)
    assert running, "the fixture plan should have an operation running at the breakdown"
    return MachineDown(running[0].resource, at, duration)


def _assert_reschedule_invariants(sc, new_sc, old, new, down: MachineDown) -> None:
    """Past unchanged (but the interrupted op), nothing new before t, checker clean, machine idle while down."""
    t = down.at
    new_by = new.by_task()
    interrupted = {a.task for a in old.work() if a.resource == down.machine and a.start < t < a.end}
    assert len(interrupted) == 1
    for a in old.work():
        if a.start < t and a.task not in interrupted:
            assert new_by[a.task] == a, f"{a.task} started before {t} and must stay"
    for a in new.work():
        if a.task not in {x.task for x in old.work() if x.start < t} or a.task in interrupted:
            assert a.start >= t, f"{a.task} is re-planned and may not start before {t}"
    (task,) = interrupted
    assert new_by[task].start >= down.end  # classic shop: the same machine, after the repair
    assert check(new_sc, new) == []
    assert not [a for a in new.work() if a.resource == down.machine and a.start < down.end and down.at < a.end]
    assert len(new.work()) == sc.n_operations


# -- parsing and validation ------------------------------------------------------------
def test_parse_forms():
    """M@AT+DUR and TASK@+DELAY parse into frozen dataclasses (and print back the same)."""
    d = parse_down(" M3@120+60 ")
    assert d == MachineDown("M3", 120, 60) and d.end == 180 and str(d) == "M3@120+60"
    late = parse_late("J3.2@+30")
    assert late == OperationLate("J3.2", 30) and str(late) == "J3.2@+30"
    with pytest.raises(AttributeError):
        d.at = 5  # frozen


@pytest.mark.parametrize(
    "fn, text, needle",
    [
        (parse_down, "nonsense", "expected MACHINE@AT+DURATION"),
        (parse_down, "M1@20", "expected MACHINE@AT+DURATION"),
        (parse_down, "M1@-5+3", "expected MACHINE@AT+DURATION"),
        (parse_down, "M1@20+0", "duration must be positive"),
        (parse_late, "J1.0+30", "expected TASK@+DELAY"),
        (parse_late, "J1.0@30", "expected TASK@+DELAY"),
        (parse_late, "J1.0@+0", "delay must be positive"),
    ],
)
def test_parse_errors_are_one_line(fn, text, needle):
    """Bad text raises an OpsPlanError with one line naming the text and the expected form."""
    with pytest.raises(DisruptionError) as exc:
        fn(text)
    assert isinstance(exc.value, OpsPlanError)
    msg = str(exc.value)
    assert needle in msg and repr(text) in msg and "\n" not in msg


def test_validation_against_the_scenario(shop):
    """Unknown machine / operation, a cut after the breakdown and a late op already started are all named."""
    sc, plan = shop
    first = min(plan.work(), key=lambda a: a.start)
    with pytest.raises(ValidationError) as exc:
        prepare(sc, plan, [MachineDown("M9", 10, 5), OperationLate("J9.9", 4)])
    text = str(exc.value)
    assert "unknown machine 'M9'" in text and "unknown operation 'J9.9'" in text and len(exc.value.issues) == 2
    with pytest.raises(ValidationError, match="after the disruption"):
        prepare(sc, plan, [MachineDown("M0", 10, 5)], at=11)
    with pytest.raises(ValidationError, match="after the disruption"):
        prepare(sc, plan, [OperationLate(first.task, 4)], at=first.start + 1)
    with pytest.raises(ValidationError, match="nothing to reschedule"):
        prepare(sc, plan, [])


# -- prepare ------------------------------------------------------------------------------
def test_prepare_freezes_the_past_and_interrupts_the_broken_op(shop):
    """Frozen = started before t, except the one running on the broken machine; the scenario gets the window."""
    sc, plan = shop
    down = _breakdown(plan)
    p = prepare(sc, plan, [down])
    assert p.at == down.at
    started = {a.task for a in plan.work() if a.start < down.at}
    interrupted = {a.task for a in p.interrupted}
    assert len(interrupted) == 1 and {a.task for a in p.frozen} == started - interrupted
    assert all(a.resource == down.machine for a in p.interrupted)
    assert set(p.earliest) == set(sc.operation_index) - (started - interrupted)
    assert set(p.earliest.values()) == {down.at}
    new_m = p.scenario.machine_index[down.machine]
    assert Window(down.at, down.end, "breakdown") in new_m.calendar.windows
    assert sc.machine_index[down.machine].calendar.windows == ()  # the old scenario is untouched
    assert p.name == f"plan rescheduled @{down.at}"
    assert not p.baseline_fits()  # the interrupted op now crosses the downtime


def test_an_operation_ending_at_the_breakdown_is_not_interrupted():
    """Half-open times: an op on the broken machine that ends exactly at `at` stays frozen."""
    sc = random_jobshop(2, 2, seed=1, high=9)
    plan = dispatch(sc, "spt")
    a = min(plan.work(), key=lambda x: x.start)
    p = prepare(sc, plan, [MachineDown(a.resource, a.end, 5)])
    assert a in p.frozen and not p.interrupted


# -- cpsat ----------------------------------------------------------------------------------
def test_cpsat_breakdown_keeps_the_past(shop):
    """A breakdown rescheduled with cpsat: past fixed, nothing new before t, machine idle while down."""
    sc, plan = shop
    down = _breakdown(plan)
    new_sc, r = reschedule(sc, plan, [down], "cpsat", FAST)
    assert r.status == "optimal" and r.schedule.name == f"plan rescheduled @{down.at}"
    _assert_reschedule_invariants(sc, new_sc, plan, r.schedule, down)
    assert r.objective >= objective_value(sc, plan)
    info = r.stats["reschedule"]
    assert info["at"] == down.at and info["changes"] == count_changes(plan, r.schedule) > 0


def test_change_budget_is_binding(shop):
    """K=0 is infeasible (the interrupted op must move); the smallest feasible K costs objective."""
    sc, plan = shop
    down = _breakdown(plan)
    _, free = reschedule(sc, plan, [down], "cpsat", FAST)
    _, none = reschedule(sc, plan, [down], "cpsat", FAST, max_changes=0)
    assert none.status == "infeasible" and none.schedule is None
    for k in range(1, sc.n_operations + 1):
        new_sc, r = reschedule(sc, plan, [down], "cpsat", FAST, max_changes=k)
        if r.has_solution:
            break
    assert r.status == "optimal"
    assert count_changes(plan, r.schedule) <= k < count_changes(plan, free.schedule)
    assert r.objective > free.objective  # the budget costs makespan here
    assert r.stats["changes"] == r.stats["reschedule"]["changes"] <= k
    _assert_reschedule_invariants(sc, new_sc, plan, r.schedule, down)


def test_tolerance_makes_small_shifts_free(shop):
    """With a tolerance beyond the horizon every op on its old machine is unchanged: K=0 is enough."""
    sc, plan = shop
    down = _breakdown(plan)
    big = 10 * sc.horizon()
    new_sc, r = reschedule(sc, plan, [down], "cpsat", FAST, max_changes=0, tolerance=big)
    assert r.status == "optimal" and check(new_sc, r.schedule) == []
    assert count_changes(plan, r.schedule, big) == 0 < count_changes(plan, r.schedule, 0)


def test_late_operation_starts_after_its_delay(shop):
    """An op late by D starts no earlier than its old start + D; what started before it stays."""
    sc, plan = shop
    victim = sorted(plan.work(), key=lambda a: a.start)[len(plan.work()) // 2]
    new_sc, r = reschedule(sc, plan, [OperationLate(victim.task, 25)], "cpsat", FAST)
    assert r.status == "optimal" and check(new_sc, r.schedule) == []
    new_by = r.schedule.by_task()
    assert new_by[victim.task].start >= victim.start + 25
    assert all(new_by[a.task] == a for a in plan.work() if a.start < victim.start)
    assert all(new_by[a.task].start >= victim.start for a in plan.work() if a.start >= victim.start)
    assert r.stats["reschedule"]["at"] == victim.start and r.stats["reschedule"]["interrupted"] == []


def test_old_plan_is_the_warm_start_when_it_still_fits(shop):
    """A breakdown while the machine idles leaves the old optimum feasible: it is the hint and stays optimal."""
    sc, plan = shop
    lanes = plan.by_resource()
    gap = next(
        (m, a.end, b.start) for m, lane in sorted(lanes.items()) for a, b in zip(lane, lane[1:]) if b.start > a.end
    )
    m, lo, hi = gap
    new_sc, r = reschedule(sc, plan, [MachineDown(m, lo, hi - lo)], "cpsat", FAST)
    assert r.stats["hint"] == "warm start"
    assert r.objective == objective_value(sc, plan) and r.stats["reschedule"]["changes"] == 0


def test_breakdown_overlapping_maintenance_is_solvable():
    """A breakdown overlapping an existing calendar window (merged in the model) still solves."""
    sc = random_jobshop(3, 3, seed=2, high=9)
    machines = list(sc.machines)
    machines[0] = replace(machines[0], calendar=Calendar((Window(5, 12, "maintenance"),)))
    sc = replace(sc, machines=tuple(machines))
    plan = solve(sc, "cpsat", FAST).schedule
    new_sc, r = reschedule(sc, plan, [MachineDown("M0", 3, 6)], "cpsat", FAST)
    assert r.status == "optimal" and check(new_sc, r.schedule) == []


def test_cpsat_earliest_and_infeasible_combinations(tiny_jobshop):
    """`earliest` bounds starts from below; pins, earliest and a budget combine; conflicts are a status."""
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, options={"earliest": {"J0.0": 7}}))
    assert r.status == "optimal" and r.schedule.by_task()["J0.0"].start >= 7
    pin = (Assignment("J0.0", "M0", 2, 5),)
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, pinned=pin, options={"earliest": {"J0.0": 3}}))
    assert r.status == "infeasible" and r.schedule is None
    base = solve(tiny_jobshop, "cpsat", Params(time_limit=5)).schedule
    b = base.by_task()["J0.0"]
    moved = (replace(b, start=b.start + 20, end=b.end + 20),)  # a pin off the baseline is a forced change
    budget = {"baseline": base.work()}
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, pinned=moved, options={**budget, "max_changes": 0}))
    assert r.status == "infeasible"
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, pinned=moved, options={**budget, "max_changes": 8}))
    assert r.status == "optimal" and r.schedule.by_task()["J0.0"] == moved[0]
    x = base.by_task()["J2.0"]
    kept = (base.by_task()["J0.0"],)  # pinned where the baseline has it: no change
    opts = {"earliest": {"J2.0": x.start + 1}, "baseline": base.work(), "max_changes": 0}
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, pinned=kept, options=opts))
    assert r.status == "infeasible"  # J2.0 may neither stay nor move
    opts["max_changes"] = tiny_jobshop.n_operations
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=5, pinned=kept, options=opts))
    assert r.status == "optimal" and r.schedule.by_task()["J0.0"] == kept[0]
    assert "J2.0" in changed_operations(base, r.schedule) and r.schedule.by_task()["J2.0"].start > x.start


# -- dispatch -------------------------------------------------------------------------------
def test_dispatch_honours_frozen_past_and_earliest(shop):
    """dispatch:spt keeps the past and starts nothing re-planned before t."""
    sc, plan = shop
    down = _breakdown(plan)
    new_sc, r = reschedule(sc, plan, [down], "dispatch:spt")
    assert r.status == "feasible"
    _assert_reschedule_invariants(sc, new_sc, plan, r.schedule, down)


def test_dispatch_earliest_direct(tiny_jobshop):
    """The simulator treats `earliest` as a per-operation ready time."""
    free = dispatch(tiny_jobshop, "spt")
    assert free.by_task()["J1.0"].start < 6
    late = dispatch(tiny_jobshop, "spt", earliest={"J1.0": 6})
    assert late.by_task()["J1.0"].start >= 6 and check(tiny_jobshop, late) == []
    r = solve(tiny_jobshop, "dispatch:mwkr", Params(options={"earliest": {"J1.0": 6}}))
    assert r.schedule.by_task()["J1.0"].start >= 6


def test_dispatch_refuses_a_change_budget(shop):
    """No greedy rule can promise a budget: a SolverError that says so and names cpsat."""
    sc, plan = shop
    with pytest.raises(SolverError, match=r"cannot honour a change budget.*cpsat"):
        reschedule(sc, plan, [_breakdown(plan)], "dispatch:spt", max_changes=3)
    from opsplan.solvers.dispatch.jobshop import solve as dispatch_solve
    from opsplan.solvers.result import StopToken

    with pytest.raises(SolverError, match="change budget"):
        dispatch_solve(sc, Params(options={"max_changes": 1, "baseline": ()}), None, StopToken(), "spt")


def test_capabilities_in_the_registry():
    """The GUI can ask which solvers take a change budget or earliest starts."""
    assert supports("cpsat", CHANGE_BUDGET) and supports("cpsat", EARLIEST)
    assert supports("dispatch:spt", EARLIEST) and not supports("dispatch:spt", CHANGE_BUDGET)
    budget = available("jobshop", CHANGE_BUDGET)
    assert "cpsat" in budget and not any(n.startswith("dispatch") for n in budget)
    assert not supports("cpsat-textbook", EARLIEST)


def test_textbook_refuses_earliest(tiny_jobshop):
    """A backend without the capability refuses the option instead of ignoring it."""
    with pytest.raises(SolverError, match="cannot honour earliest"):
        solve(tiny_jobshop, "cpsat-textbook", Params(options={"earliest": {"J0.0": 4}}))


# -- counting -------------------------------------------------------------------------------
def test_count_changes():
    """Machine change, a shift beyond the tolerance and a missing op each count once."""
    old = Schedule.of([Assignment("a", "M0", 0, 3), Assignment("b", "M1", 0, 2), Assignment("c", "M0", 3, 5)])
    new = Schedule.of([Assignment("a", "M1", 0, 3), Assignment("b", "M1", 2, 4)])
    assert changed_operations(old, new) == ("a", "b", "c")
    assert count_changes(old, new, tolerance=2) == 2
    assert count_changes(old, old) == 0


def test_a_solver_that_cannot_keep_pins_refuses_them(tiny_jobshop):
    """Pins handed to a backend without the capability are refused, never silently dropped."""
    s = solve(tiny_jobshop, "dispatch:spt", Params()).schedule
    pins = (s.work()[0],)
    with pytest.raises(SolverError, match="cannot keep pinned operations; use one of: .*cpsat"):
        solve(tiny_jobshop, "cpsat-textbook", Params(pinned=pins))
    assert solve(tiny_jobshop, "cpsat", Params(pinned=pins, time_limit=5)).schedule.by_task()[pins[0].task] == pins[0]


def test_an_infeasible_reschedule_names_the_breakdown_as_the_callers_disruption():
    """The breakdown window exists only in the re-planned scenario: its conflict points at the
    disruption (disruptions[0]), not at a calendar row the caller's file does not have."""
    from opsplan.models.core import Calendar, Window
    from opsplan.models.jobshop.build import from_routes
    from opsplan.models.jobshop.disruptions import MachineDown
    from opsplan.solvers.reschedule import reschedule

    sc = from_routes("t", [[[(0, 2)]], [[(0, 4)]]], 1)
    sc = replace(sc, machines=(replace(sc.machines[0], calendar=Calendar((Window(20, 22, "pm"),))),))
    plan = Schedule((Assignment("J0.0", "M0", 0, 2), Assignment("J1.0", "M0", 4, 8)), "plan")
    _, r = reschedule(sc, plan, [MachineDown("M0", 3, 2)], "cpsat", Params(time_limit=5, threads=1), max_changes=0)
    assert r.status == "infeasible"
    assert "disruptions[0]" in {c.path for c in r.conflicts}
    assert not any(c.path == "machines[0].calendar[1]" for c in r.conflicts)


def test_an_infeasible_reschedule_names_an_operation_already_started_as_started_not_pinned():
    """The re-plan keeps what started before the cut time by pinning it; when that matters to
    the conflict, the planner reads that it started (they set no pin), and the cut time is
    named as such."""
    from opsplan.models.core import Calendar
    from opsplan.models.jobshop.build import from_routes
    from opsplan.models.jobshop.disruptions import MachineDown
    from opsplan.solvers.reschedule import reschedule

    sc = from_routes("t", [[[(0, 4)]], [[(0, 2)]]], 1)
    sc = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=6)))
    sc = replace(sc, machines=(replace(sc.machines[0], calendar=Calendar(())),))
    plan = Schedule((Assignment("J0.0", "M0", 0, 4), Assignment("J1.0", "M0", 4, 6)), "plan")
    # cut at 1: J0.0 (0..4) runs on and is kept; M0 is down over [4, 5), so J1.0 ends at 7 > 6
    _, r = reschedule(sc, plan, [MachineDown("M0", 4, 1)], "cpsat", Params(time_limit=5, threads=1), at=1)
    assert r.status == "infeasible"
    codes = {c.code: c for c in r.conflicts}
    assert "pin" not in codes
    assert codes["started"].objects == ("J0.0",)
    assert "started on M0 at 0, before the re-plan time 1" in codes["started"].message
    assert {"started", "deadline"} <= set(codes) and "disruptions[0]" in {c.path for c in r.conflicts}
