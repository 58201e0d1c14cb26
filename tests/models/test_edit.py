"""Hand edits and analyses of job-shop schedules (models/jobshop/edit.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opsplan.models import check
from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop import edit
from opsplan.models.jobshop.build import random_jobshop
from opsplan.models.jobshop.kpi import makespan
from opsplan.models.jobshop.scenario import Mode, Operation
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers import Params, solve


@pytest.fixture
def planned(tiny_jobshop):
    r = solve(tiny_jobshop, "cpsat", Params(time_limit=10))
    return tiny_jobshop, r.schedule


def test_move_changes_one_bar_and_checker_sees_it(planned):
    sc, s = planned
    a = s.by_task()["J0.1"]
    moved = edit.move(sc, s, "J0.1", a.start - 1)
    assert moved.by_task()["J0.1"].start == a.start - 1
    assert {t: x for t, x in moved.by_task().items() if t != "J0.1"} == {
        t: x for t, x in s.by_task().items() if t != "J0.1"
    }
    assert any(v.code == "route_order" or "J0.1" in v.objects for v in check(sc, moved))


def test_move_to_a_machine_not_allowed_is_refused(planned):
    sc, s = planned
    with pytest.raises(edit.EditError, match="cannot run on"):
        edit.move(sc, s, "J0.0", 0, "M2")


def test_move_to_another_mode_takes_that_duration(tiny_jobshop):
    job = tiny_jobshop.jobs[0]
    op = replace(job.operations[0], modes=(Mode("M0", 3), Mode("M2", 7)))
    sc = replace(tiny_jobshop, jobs=(replace(job, operations=(op, *job.operations[1:])), *tiny_jobshop.jobs[1:]))
    s = solve(sc, "dispatch:spt", Params()).schedule
    moved = edit.move(sc, s, "J0.0", 50, "M2")
    a = moved.by_task()["J0.0"]
    assert (a.resource, a.start, a.end) == ("M2", 50, 57)


def test_compact_repairs_a_drag_and_never_gets_worse(planned):
    sc, s = planned
    a = s.by_task()["J1.0"]
    dragged = edit.move(sc, s, "J1.0", a.start + 40)
    assert makespan(sc, dragged) > makespan(sc, s)
    back = edit.compact(sc, dragged)
    assert check(sc, back) == []
    assert makespan(sc, back) <= makespan(sc, dragged)


def test_compact_keeps_pins_and_respects_calendars(planned):
    sc, s = planned
    late = edit.move(sc, s, "J2.0", 30)
    pinned = edit.with_pins(late, ["J2.0"])
    out = edit.compact(sc, pinned)
    assert out.by_task()["J2.0"].start == 30
    assert edit.pinned_tasks(out) == {"J2.0"}
    # a window on M0 over [0, 5) pushes the first M0 operation to 5
    m0 = replace(sc.machines[0], calendar=Calendar((Window(0, 5),)))
    sc2 = replace(sc, machines=(m0, *sc.machines[1:]))
    out2 = edit.compact(sc2, s)
    assert min(a.start for a in out2.work() if a.resource == "M0") >= 5
    assert check(sc2, out2) == []


def test_overlapping_drop_is_resolved_in_start_order(planned):
    sc, s = planned
    m0 = sorted((a for a in s.work() if a.resource == "M0"), key=lambda a: a.start)
    first, second = m0[0], m0[1]
    stacked = edit.move(sc, s, second.task, first.start)  # both now start together on M0
    assert check(sc, stacked)
    assert check(sc, edit.compact(sc, stacked)) == []


def test_critical_path_spans_the_makespan(planned):
    sc, s = planned
    path = edit.critical_path(sc, s)
    work = s.by_task()
    assert work[path[-1]].end == makespan(sc, s)
    assert work[path[0]].start == 0
    for a, b in zip(path, path[1:]):
        assert work[a].end == work[b].start
    slack = edit.slack(sc, s)
    assert all(slack[t] == 0 for t in path)
    assert all(v >= 0 for v in slack.values())


def _push(sc, s, task, delta):
    """Right-shift ``task`` by ``delta`` and push its successors (routes, machine order) only as needed."""
    work = s.by_task()
    job_pred = {}
    for job in sc.jobs:
        for a, b in zip(job.operations, job.operations[1:]):
            job_pred[b.id] = a.id
    mach_pred = {}
    for lst in s.by_resource().values():
        for a, b in zip(lst, lst[1:]):
            mach_pred[b.task] = a.task
    new = {}
    for t in sorted(work, key=lambda t: work[t].start):
        a = work[t]
        st = a.start + (delta if t == task else 0)
        for p in (job_pred.get(t), mach_pred.get(t)):
            if p is not None:
                st = max(st, new[p])
        new[t] = st + a.duration
    return max(new.values())


def test_slack_is_how_far_a_bar_can_slide(planned):
    sc, s = planned
    slack = edit.slack(sc, s)
    mk = makespan(sc, s)
    assert any(v > 0 for v in slack.values())
    for t, sl in slack.items():
        assert _push(sc, s, t, sl) == mk
        assert _push(sc, s, t, sl + 1) == mk + 1


def test_diff_names_moved_and_reassigned(tiny_jobshop):
    a = solve(tiny_jobshop, "dispatch:spt", Params()).schedule
    b = edit.move(tiny_jobshop, a, "J0.2", a.by_task()["J0.2"].start + 3)
    assert edit.diff(a, b) == {"J0.2": "moved"}
    assert edit.diff(a, b, tolerance=3) == {}
    assert edit.diff(a, a) == {}


def test_setup_bars_follow_a_move():
    sc = random_jobshop(3, 2, seed=3, high=9)
    from opsplan.models.jobshop.scenario import SetupMatrix

    jobs = [j.id for j in sc.jobs]
    sc = replace(sc, setups=(SetupMatrix("M0", tuple(jobs), tuple(tuple(0 if i == j else 2 for j in range(3))
                                                                     for i in range(3))),))
    s = solve(sc, "cpsat", Params(time_limit=10)).schedule
    assert check(sc, s) == []
    out = edit.compact(sc, edit.move(sc, s, s.work()[0].task, 100))
    assert check(sc, out) == []
    assert all(x.end == out.by_task()[x.task].start for x in out.assignments if x.category == "setup")


def test_unknown_operation_is_an_edit_error(planned):
    sc, s = planned
    with pytest.raises(edit.EditError):
        edit.move(sc, s, "nope", 0)
    with pytest.raises(edit.EditError):
        edit.allowed_resources(sc, "nope")
    assert Operation  # imported for the flexible case above


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), task_pick=st.integers(0, 100), shift=st.integers(-20, 60))
def test_compact_of_any_single_drag_is_feasible(seed, task_pick, shift):
    """Whatever single bar a planner drags, Compact gives back a schedule the checker accepts."""
    sc = random_jobshop(4, 3, seed=seed, high=9)
    s = solve(sc, "dispatch:mwkr", Params()).schedule
    work = s.work()
    a = work[task_pick % len(work)]
    dragged = edit.move(sc, s, a.task, max(0, a.start + shift))
    assert check(sc, edit.compact(sc, dragged)) == []


def _one_machine_with_setups():
    """Three jobs of one operation on M1, a setup of 5 between any two of them."""
    from opsplan.models.core import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, SetupMatrix

    jobs = tuple(Job(j, (Operation(op, (Mode("M1", 10),)),)) for j, op in (("J1", "a"), ("J2", "p"), ("J3", "b")))
    matrix = tuple(tuple(0 if i == k else 5 for k in range(3)) for i in range(3))
    return JobShopScenario(name="setups", machines=(Resource("M1", "M1", calendar=Calendar()),), jobs=jobs,
                           setups=(SetupMatrix("M1", ("J1", "J2", "J3"), matrix),))


def test_compact_keeps_setups_to_and_from_a_pinned_bar():
    from opsplan.models.schedule import Assignment, Schedule

    sc = _one_machine_with_setups()
    work = [Assignment("a", "M1", 0, 10), Assignment("p", "M1", 15, 25), Assignment("b", "M1", 30, 40)]
    s = edit.with_pins(edit.rebuild(sc, Schedule((), "plan"), work), {"p"})
    assert check(sc, s) == []
    out = edit.compact(sc, s)  # already tight: b needs p's end plus a setup of 5
    assert check(sc, out) == [] and out.by_task()["b"].start == 30
    # a bar that no longer fits before the pinned bar (with its setup) goes after it, setup included
    late_a = edit.rebuild(sc, s, [Assignment("a", "M1", 3, 13), *work[1:]])
    out = edit.compact(sc, edit.with_pins(late_a, {"p"}))
    assert check(sc, out) == [] and out.by_task()["p"].start == 15


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), pin_mask=st.integers(0, 2**12 - 1))
def test_compact_with_pins_and_setups_keeps_a_feasible_plan_feasible_and_moves_nothing_later(seed, pin_mask):
    import random

    from opsplan.models.jobshop.scenario import SetupMatrix

    sc = random_jobshop(4, 3, seed=seed, high=9)
    rng = random.Random(seed)
    jobs = tuple(j.id for j in sc.jobs)
    setups = []
    for m in sc.machines:  # setups from positions on a line: they obey the triangle inequality
        x = [rng.randint(0, 6) for _ in jobs]
        setups.append(SetupMatrix(m.id, jobs, tuple(tuple(abs(a - b) for b in x) for a in x)))
    sc = replace(sc, setups=tuple(setups))
    s = solve(sc, "dispatch:mwkr", Params()).schedule
    assert check(sc, s) == []
    work = s.work()
    pins = {a.task for i, a in enumerate(work) if pin_mask >> (i % 12) & 1}
    out = edit.compact(sc, edit.with_pins(s, pins))
    assert check(sc, out) == []
    before, after = s.by_task(), out.by_task()
    assert all(after[t] == before[t] for t in pins)
    assert all(after[t].start <= before[t].start for t in before)


def test_compact_keeps_a_zero_length_step_out_of_a_shut_machine():
    from opsplan.models.core import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario
    from opsplan.models.schedule import Assignment, Schedule

    sc = JobShopScenario("zero", (Resource("M0", calendar=Calendar((Window(5, 20),))), Resource("M1")),
                         (Job("J", (Operation("a", (Mode("M1", 10),)), Operation("b", (Mode("M0", 0),)))),))
    plan = Schedule((Assignment("a", "M1", 3, 13), Assignment("b", "M0", 25, 25)), "plan")
    assert check(sc, plan) == []
    out = edit.compact(sc, plan)
    assert check(sc, out) == [] and out.by_task()["b"].start == 20  # not at 10, inside the window


def _m1_shop(jobs, setups):
    from opsplan.models.core import Calendar, Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation, SetupMatrix

    js = tuple(Job(j, tuple(Operation(o, (Mode("M1", d),)) for o, d in ops)) for j, ops in jobs)
    return JobShopScenario("t", (Resource("M1", calendar=Calendar()),), js,
                           setups=tuple(SetupMatrix("M1", ids, m) for ids, m in setups))


def test_compact_never_moves_a_bar_of_a_feasible_plan_later_nor_past_its_pinned_successor():
    """J3.1 stood before its pinned successor J3.2 with J2.2 between; judged against a direct
    J3->J3 setup it was pushed past J3.2 (a route violation on a plan that was feasible)."""
    from opsplan.models import check

    sc = _m1_shop([("J2", [("J2.1", 4), ("J2.2", 1)]), ("J3", [("J3.1", 2), ("J3.2", 4)])],
                  [(("J2", "J3"), ((0, 0), (0, 3)))])
    plan = edit.rebuild(sc, Schedule((), name="p"), [Assignment("J2.1", "M1", 0, 4), Assignment("J3.1", "M1", 4, 6),
                                                Assignment("J2.2", "M1", 6, 7), Assignment("J3.2", "M1", 7, 11)])
    assert check(sc, plan) == []
    out = edit.compact(sc, plan, pinned=["J3.2"])
    assert check(sc, out) == [] and out.by_task() == plan.by_task()


def test_compact_charges_no_setup_to_or_from_zero_length_work():
    """The checker's rule: zero-length work takes no machine time and owes no setup. Compact
    pushed B after A plus a setup (a tight plan made later) and X past its pinned successor Y."""
    from opsplan.models import check

    sc = _m1_shop([("J1", [("A", 0), ("B", 4)])], [(("J1",), ((3,),))])
    plan = edit.rebuild(sc, Schedule((), name="p"), [Assignment("A", "M1", 0, 0), Assignment("B", "M1", 0, 4)])
    out = edit.compact(sc, plan)
    assert check(sc, out) == [] and out.makespan == 4
    sc = _m1_shop([("K", [("K1", 4)]), ("J", [("X", 0), ("Y", 0)])], [(("K", "J"), ((0, 1), (0, 0)))])
    plan = edit.rebuild(sc, Schedule((), name="p"), [Assignment("K1", "M1", 0, 4), Assignment("X", "M1", 4, 4),
                                                Assignment("Y", "M1", 4, 4)])
    assert check(sc, plan) == []
    out = edit.compact(sc, plan, pinned=["Y"])
    assert check(sc, out) == [] and out.by_task()["Y"].start == 4
