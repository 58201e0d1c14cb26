"""The independent job-shop checker: one test per violation code, plus feasible schedules."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.models import check
from opsplan.models.core import Calendar, Resource, Window
from opsplan.models.jobshop.build import classic, from_routes, random_jobshop
from opsplan.models.jobshop.checker import CODES, check_jobshop
from opsplan.models.jobshop.scenario import JobShopScenario, SetupMatrix
from opsplan.models.schedule import Assignment, Category, Schedule


def sched(*rows: tuple) -> Schedule:
    """Build a schedule from ``(task, resource, start, end[, category])`` rows."""
    return Schedule.of(Assignment(*r) for r in rows)


def edit(schedule: Schedule, task: str, **changes) -> Schedule:
    """The schedule with the work assignment of ``task`` changed."""
    return Schedule.of(replace(a, **changes) if a.task == task else a for a in schedule)


def codes(violations) -> list[str]:
    return [v.code for v in violations]


def only(violations, code: str):
    """Assert exactly one violation, of ``code``, and return it."""
    assert codes(violations) == [code], [str(v) for v in violations]
    return violations[0]


@pytest.fixture
def two_jobs() -> JobShopScenario:
    """Two jobs over two machines in opposite order: J0 = M0(3) M1(2), J1 = M1(2) M0(4)."""
    return classic("two", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])


@pytest.fixture
def two_jobs_plan() -> Schedule:
    """A feasible schedule of ``two_jobs`` with makespan 7."""
    return sched(
        ("J0.0", "M0", 0, 3),
        ("J0.1", "M1", 3, 5),
        ("J1.0", "M1", 0, 2),
        ("J1.1", "M0", 3, 7),
    )


@pytest.fixture
def flexible() -> JobShopScenario:
    """One job with an operation that may run on M0 (4) or M1 (6), then M2 (1)."""
    return from_routes("flex", [[[(0, 4), (1, 6)], [(2, 1)]]], n_machines=3)


@pytest.fixture
def flexible_plan() -> Schedule:
    """A feasible schedule of ``flexible`` using the slower mode on M1."""
    return sched(("J0.0", "M1", 0, 6), ("J0.1", "M2", 6, 7))


@pytest.fixture
def with_setups(two_jobs: JobShopScenario) -> JobShopScenario:
    """``two_jobs`` with setups on M0: 2 from J0 to J1, 5 from J1 to J0."""
    return replace(two_jobs, setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 2), (5, 0))),))


@pytest.fixture
def with_calendar(two_jobs: JobShopScenario) -> JobShopScenario:
    """``two_jobs`` with M1 down for maintenance over [5, 8)."""
    m1 = Resource("M1", calendar=Calendar((Window(5, 8, "maintenance"),)))
    return replace(two_jobs, machines=(two_jobs.machines[0], m1))


@pytest.fixture
def released(two_jobs: JobShopScenario) -> JobShopScenario:
    """``two_jobs`` with J1 released at 1."""
    return replace(two_jobs, jobs=(two_jobs.jobs[0], replace(two_jobs.jobs[1], release=1)))


# -- feasible schedules pass -------------------------------------------------------


def test_feasible_schedule_passes(two_jobs, two_jobs_plan):
    assert check_jobshop(two_jobs, two_jobs_plan) == []


def test_flexible_schedule_passes(flexible, flexible_plan):
    assert check_jobshop(flexible, flexible_plan) == []


def test_public_check_dispatches(two_jobs, two_jobs_plan):
    assert check(two_jobs, two_jobs_plan) == []
    assert codes(check(two_jobs, edit(two_jobs_plan, "J1.1", start=2, end=6))) != []


def test_setups_and_calendars_pass_when_respected(two_jobs):
    """Setups on M0 and a maintenance window on M1 are honoured by a hand-made plan."""
    m1 = Resource("M1", calendar=Calendar((Window(2, 4, "maintenance"), Window(20, 30, "shift"))))
    sc = replace(
        two_jobs,
        machines=(two_jobs.machines[0], m1),
        setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 2), (5, 0))),),
    )
    plan = sched(
        ("J1.0", "M1", 0, 2),  # ends exactly when the window opens
        ("J0.0", "M0", 0, 3),
        ("setup J0->J1", "M0", 3, 5, Category.SETUP),
        ("J1.1", "M0", 5, 9),  # setup of 2 after J0 on M0
        ("J0.1", "M1", 4, 6),  # starts exactly when the window closes
        ("down", "M1", 2, 4, Category.DOWNTIME),
    )
    assert check_jobshop(sc, plan) == []


def test_informational_assignments_are_ignored(two_jobs, two_jobs_plan):
    plan = Schedule.of([*two_jobs_plan, Assignment("anything", "M0", 0, 7, Category.DOWNTIME)])
    assert check_jobshop(two_jobs, plan) == []


def test_codes_are_the_documented_ones():
    assert set(CODES) == {
        "missing_operation",
        "duplicate_operation",
        "unknown_operation",
        "unknown_machine",
        "mode_not_allowed",
        "wrong_duration",
        "negative_time",
        "route_order",
        "machine_overlap",
        "release",
        "calendar",
        "deadline_missed",
        "time_out_of_range",
    }


# -- one test per violation code ---------------------------------------------------


def test_missing_operation(two_jobs, two_jobs_plan):
    plan = Schedule.of(a for a in two_jobs_plan if a.task != "J0.1")
    v = only(check_jobshop(two_jobs, plan), "missing_operation")
    assert v.objects == ("J0.1", "J0")
    assert "'J0.1'" in v.message and "'J0'" in v.message


def test_duplicate_operation(two_jobs, two_jobs_plan):
    plan = Schedule.of([*two_jobs_plan, Assignment("J0.1", "M1", 8, 10)])
    v = only(check_jobshop(two_jobs, plan), "duplicate_operation")
    assert v.objects == ("J0.1", "J0", "M1")
    assert "2 work assignments" in v.message and "'J0.1'" in v.message


def test_unknown_operation(two_jobs, two_jobs_plan):
    plan = Schedule.of([*two_jobs_plan, Assignment("J7.0", "M0", 10, 12)])
    v = only(check_jobshop(two_jobs, plan), "unknown_operation")
    assert v.objects == ("J7.0", "M0")
    assert "'J7.0'" in v.message


def test_unknown_machine(two_jobs, two_jobs_plan):
    plan = edit(two_jobs_plan, "J0.1", resource="M9")
    v = only(check_jobshop(two_jobs, plan), "unknown_machine")
    assert v.objects == ("J0.1", "J0", "M9")
    assert "'M9'" in v.message and "'J0.1'" in v.message


def test_unknown_machine_of_a_setup(two_jobs, two_jobs_plan):
    plan = Schedule.of([*two_jobs_plan, Assignment("setup", "M9", 3, 4, Category.SETUP)])
    v = only(check_jobshop(two_jobs, plan), "unknown_machine")
    assert v.objects == ("setup", "M9")


def test_mode_not_allowed(flexible, flexible_plan):
    plan = edit(flexible_plan, "J0.0", resource="M2")
    v = only(check_jobshop(flexible, plan), "mode_not_allowed")
    assert v.objects == ("J0.0", "J0", "M2")
    assert "'M2'" in v.message and "'M0', 'M1'" in v.message


def test_wrong_duration(flexible, flexible_plan):
    # 4 is the duration on M0, not on M1 where it was placed
    plan = sched(("J0.0", "M1", 0, 4), ("J0.1", "M2", 6, 7))
    assert check_jobshop(flexible, plan.renamed("x")) == check_jobshop(flexible, plan)
    v = only(check_jobshop(flexible, plan), "wrong_duration")
    assert v.objects == ("J0.0", "J0", "M1")
    assert "lasts 4" in v.message and "is 6" in v.message


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 1)])
def test_negative_time(two_jobs, two_jobs_plan, start, end):
    plan = edit(two_jobs_plan, "J1.0", start=start, end=end)
    v = only(check_jobshop(two_jobs, plan), "negative_time")
    assert v.objects == ("J1.0", "J1", "M1")


def test_time_out_of_range(two_jobs, two_jobs_plan):
    """A plan ending past the largest time could be saved but never loaded again."""
    from opsplan.models.core import MAX_TIME

    plan = edit(two_jobs_plan, "J1.0", start=MAX_TIME - 1, end=MAX_TIME + 1)
    v = only(check_jobshop(two_jobs, plan), "time_out_of_range")
    assert v.objects == ("J1.0", "J1", "M1") and f"past the largest time {MAX_TIME}" in v.message


def test_route_order(two_jobs):
    plan = sched(
        ("J0.0", "M0", 0, 3),
        ("J0.1", "M1", 2, 4),  # starts before J0.0 ends at 3
        ("J1.0", "M1", 4, 6),
        ("J1.1", "M0", 6, 10),
    )
    v = only(check_jobshop(two_jobs, plan), "route_order")
    assert v.objects == ("J0.0", "J0.1", "J0", "M0", "M1")
    assert "'J0.1'" in v.message and "'J0.0'" in v.message and "ends at 3" in v.message


def test_route_order_skips_a_missing_step():
    sc = classic("three", [[(0, 1), (1, 1), (2, 1)]])
    plan = sched(("J0.0", "M0", 0, 1), ("J0.2", "M2", 0, 1))
    assert sorted(codes(check_jobshop(sc, plan))) == ["missing_operation", "route_order"]


def test_machine_overlap(two_jobs, two_jobs_plan):
    plan = edit(two_jobs_plan, "J1.1", start=2, end=6)
    plan = edit(plan, "J1.0", start=0, end=2)
    v = only(check_jobshop(two_jobs, plan), "machine_overlap")
    assert v.objects == ("J0.0", "J1.1", "J0", "J1", "M0")
    assert "overlaps" in v.message and "'M0'" in v.message


def test_machine_overlap_with_a_long_operation():
    """A long operation covering two short ones overlaps each of them."""
    sc = classic("long", [[(0, 10)], [(0, 1)], [(0, 1)]])
    plan = sched(("J0.0", "M0", 0, 10), ("J1.0", "M0", 2, 3), ("J2.0", "M0", 5, 6))
    vs = check_jobshop(sc, plan)
    assert codes(vs) == ["machine_overlap", "machine_overlap"]
    assert [v.objects[:2] for v in vs] == [("J0.0", "J1.0"), ("J0.0", "J2.0")]


def test_machine_overlap_for_a_missing_setup(with_setups, two_jobs_plan):
    # on M0: J0.0 [0,3) then J1.1 [3,7) needs 2 of setup after J0
    v = only(check_jobshop(with_setups, two_jobs_plan), "machine_overlap")
    assert v.objects == ("J0.0", "J1.1", "J0", "J1", "M0")
    assert "setup of 2 needed" in v.message
    assert check_jobshop(with_setups, edit(two_jobs_plan, "J1.1", start=5, end=9)) == []


def test_setup_depends_on_the_sequence(with_setups):
    # J1 before J0 on M0 needs 5, not 2
    plan = sched(
        ("J1.0", "M1", 0, 2),
        ("J1.1", "M0", 2, 6),
        ("J0.0", "M0", 9, 12),
        ("J0.1", "M1", 12, 14),
    )
    v = only(check_jobshop(with_setups, plan), "machine_overlap")
    assert "setup of 5 needed" in v.message
    assert check_jobshop(with_setups, edit(plan, "J0.0", start=11, end=14)) != []
    fixed = edit(edit(plan, "J0.0", start=11, end=14), "J0.1", start=14, end=16)
    assert check_jobshop(with_setups, fixed) == []


def test_release(released, two_jobs_plan):
    # J1.0 starts at 0, J1 is released at 1
    v = only(check_jobshop(released, two_jobs_plan), "release")
    assert v.objects == ("J1.0", "J1", "M1")
    assert "release 1" in v.message
    ok = edit(edit(two_jobs_plan, "J1.0", start=1, end=3), "J0.1", start=3, end=5)
    assert check_jobshop(released, ok) == []


def test_deadline_missed(two_jobs, two_jobs_plan):
    # J1 ends at 7 (J1.1 on M0 over [3, 7)); a deadline of 7 is met, 6 is missed
    met = replace(two_jobs, jobs=(two_jobs.jobs[0], replace(two_jobs.jobs[1], deadline=7)))
    assert check_jobshop(met, two_jobs_plan) == []
    late = replace(two_jobs, jobs=(two_jobs.jobs[0], replace(two_jobs.jobs[1], deadline=6)))
    v = only(check_jobshop(late, two_jobs_plan), "deadline_missed")
    assert v.objects == ("J1.1", "J1", "M0")
    assert "ends at 7" in v.message and "deadline 6" in v.message


def test_calendar(with_calendar, two_jobs_plan):
    # J0.1 on M1 over [3, 5) ends right at the window; pushing it to [4, 6) crosses it
    assert check_jobshop(with_calendar, two_jobs_plan) == []
    v = only(check_jobshop(with_calendar, edit(two_jobs_plan, "J0.1", start=4, end=6)), "calendar")
    assert v.objects == ("J0.1", "J0", "M1")
    assert "'maintenance'" in v.message and "[5, 8)" in v.message


def test_calendar_many_windows():
    """Only the crossed windows are reported, found by bisection among many."""
    windows = tuple(Window(10 * i, 10 * i + 2, f"w{i}") for i in range(200))
    windows += (Window(555, 556), Window(480, 551, "long"))
    sc = classic("cal", [[(0, 8)]])
    sc = replace(sc, machines=(Resource("M0", calendar=Calendar(windows)),))
    vs = check_jobshop(sc, sched(("J0.0", "M0", 548, 556)))
    assert codes(vs) == ["calendar", "calendar", "calendar"]
    assert "'long'" in vs[0].message and "'w55'" in vs[1].message and "[555, 556)" in vs[2].message
    assert check_jobshop(sc, sched(("J0.0", "M0", 2, 10))) == []


# -- scale ---------------------------------------------------------------------------


def greedy(sc: JobShopScenario) -> Schedule:
    """A feasible semi-active schedule: operations taken round-robin over the jobs."""
    job_ready = {j.id: j.release for j in sc.jobs}
    machine_ready: dict[str, int] = {}
    out = []
    for k in range(max(len(j.operations) for j in sc.jobs)):
        for j in sc.jobs:
            if k < len(j.operations):
                op = j.operations[k]
                mode = op.modes[0]
                start = max(job_ready[j.id], machine_ready.get(mode.resource, 0))
                out.append(Assignment(op.id, mode.resource, start, start + mode.duration))
                job_ready[j.id] = machine_ready[mode.resource] = start + mode.duration
    return Schedule.of(out)


def test_2000_operations_feasible_and_shifted():
    """A 100x20 greedy plan passes; shifting every 7th operation by one is caught."""
    sc = random_jobshop(100, 20, seed=3)
    plan = greedy(sc)
    assert len(plan) == 2000
    assert check_jobshop(sc, plan) == []
    broken = Schedule.of(
        replace(a, start=a.start + 1, end=a.end + 1) if i % 7 == 0 else a for i, a in enumerate(plan)
    )
    assert check_jobshop(sc, broken)


def test_a_zero_length_step_may_not_sit_inside_a_window_but_may_at_its_edge():
    """The solvers keep zero-length steps out of shut machines; the checker holds them to the same rule."""
    sc = classic("zero", [[(0, 0)]])
    sc = replace(sc, machines=(Resource("M0", calendar=Calendar((Window(10, 20, "shut"),))),))
    assert codes(check_jobshop(sc, sched(("J0.0", "M0", 15, 15)))) == ["calendar"]
    for t in (10, 20, 5):
        assert check_jobshop(sc, sched(("J0.0", "M0", t, t))) == []
    from opsplan.solvers import Params, solve

    for solver in ("cpsat", "mip", "dispatch:fifo"):  # a release inside the window: the step waits for 20
        late = replace(sc, jobs=(replace(sc.jobs[0], release=12),))
        r = solve(late, solver, Params(time_limit=5, threads=1))
        assert check_jobshop(late, r.schedule) == [] and r.schedule.by_task()["J0.0"].start == 20, solver
