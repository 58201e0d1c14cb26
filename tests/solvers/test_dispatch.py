"""Dispatch rules on the job-shop simulator: every rule, every feature, checked by the checker."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from opsplan.models import objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import classic, from_routes, random_jobshop
from opsplan.models.jobshop.checker import check_jobshop
from opsplan.models.jobshop.scenario import JobShopScenario, Objective, SetupMatrix
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers import Params, StopToken, known, solve
from opsplan.solvers.dispatch.jobshop import RULES, DispatchError, JobShopSim, best_rule, dispatch, late_jobs
from opsplan.solvers.dispatch.rules import DETERMINISTIC

ALL_RULES = tuple(RULES)


# -- helpers -------------------------------------------------------------------------
def with_calendars(sc: JobShopScenario, windows: dict[str, tuple[Window, ...]]) -> JobShopScenario:
    machines = tuple(replace(m, calendar=Calendar(windows[m.id])) if m.id in windows else m for m in sc.machines)
    return replace(sc, machines=machines)


def with_setups(sc: JobShopScenario, seed: int = 0, high: int = 9) -> JobShopScenario:
    rng = np.random.default_rng(seed)
    jobs = tuple(j.id for j in sc.jobs)
    setups = tuple(
        SetupMatrix(m.id, jobs, tuple(tuple(int(v) for v in row) for row in rng.integers(0, high, (len(jobs),) * 2)))
        for m in sc.machines
    )
    return replace(sc, setups=setups)


def assert_feasible(sc: JobShopScenario, schedule: Schedule) -> None:
    violations = check_jobshop(sc, schedule)
    assert violations == [], [str(v) for v in violations]
    assert len(schedule.work()) == sc.n_operations


def order_on(schedule: Schedule, machine: str) -> list[str]:
    return [a.task for a in schedule.by_resource()[machine]]


def time_prefix(schedule: Schedule, cut: int) -> tuple[Assignment, ...]:
    """The work that starts before ``cut`` (closed under route order, so always a valid pin set)."""
    return tuple(a for a in schedule.work() if a.start < cut)


# -- fixtures ------------------------------------------------------------------------
@pytest.fixture
def classic_shop() -> JobShopScenario:
    """A 6-job, 4-machine classic (Taillard-style) random job shop."""
    return random_jobshop(6, 4, seed=1)


@pytest.fixture
def flexible_shop() -> JobShopScenario:
    """A 6-job, 4-machine flexible job shop with up to 3 machines per operation."""
    return random_jobshop(6, 4, seed=2, flexible=3)


@pytest.fixture
def released_shop() -> JobShopScenario:
    """Four jobs with staggered releases, due dates and weights, judged by weighted tardiness."""
    routes = [
        [[(0, 4)], [(1, 3)], [(2, 2)]],
        [[(1, 5)], [(0, 2)], [(2, 4)]],
        [[(2, 3)], [(1, 2)], [(0, 3)]],
        [[(0, 2)], [(2, 6)]],
    ]
    return from_routes(
        "released",
        routes,
        releases=[0, 4, 9, 2],
        dues=[12, 20, None, 10],
        weights=[1, 3, 1, 2],
        objective=Objective.TOTAL_WEIGHTED_TARDINESS,
    )


@pytest.fixture
def calendar_shop() -> JobShopScenario:
    """A 5-job, 3-machine shop whose machines have maintenance windows early and mid-plan."""
    sc = random_jobshop(5, 3, seed=3, high=30)
    return with_calendars(
        sc,
        {
            "M0": (Window(0, 10, "night"), Window(60, 75, "maintenance")),
            "M1": (Window(20, 40),),
            "M2": (Window(5, 6), Window(90, 200)),
        },
    )


@pytest.fixture
def setup_shop() -> JobShopScenario:
    """A 5-job, 3-machine shop with sequence-dependent setups on every machine (non-zero diagonal too)."""
    return with_setups(random_jobshop(5, 3, seed=4, high=20), seed=4)


@pytest.fixture
def everything_shop() -> JobShopScenario:
    """Flexible, with releases, due dates, calendars and setups all at once."""
    sc = random_jobshop(6, 4, seed=5, flexible=3, high=25)
    jobs = tuple(replace(j, release=7 * i, due=60 + 15 * i, weight=1 + i % 3) for i, j in enumerate(sc.jobs))
    sc = replace(sc, jobs=jobs, objective=Objective.MAX_LATENESS)
    sc = with_setups(sc, seed=5, high=6)
    return with_calendars(sc, {"M1": (Window(10, 25),), "M3": (Window(0, 5), Window(50, 80))})


@pytest.fixture
def single_machine() -> JobShopScenario:
    """Three one-operation jobs on one machine: durations 5, 2, 8; due dates 20, 3, 9."""
    return classic("single", [[(0, 5)], [(0, 2)], [(0, 8)]], dues=[20, 3, 9])


SHOPS = (
    "tiny_jobshop",
    "classic_shop",
    "flexible_shop",
    "released_shop",
    "calendar_shop",
    "setup_shop",
    "everything_shop",
    "single_machine",
)


# -- every rule on every kind of shop ----------------------------------------------------
@pytest.mark.parametrize("shop", SHOPS)
@pytest.mark.parametrize("rule", ALL_RULES)
def test_every_rule_gives_a_feasible_schedule(request, shop: str, rule: str) -> None:
    sc = request.getfixturevalue(shop)
    schedule = dispatch(sc, rule, seed=7)
    assert_feasible(sc, schedule)
    assert schedule.name == f"dispatch:{rule}"


@pytest.mark.parametrize("rule", ALL_RULES)
def test_flexible_uses_alternative_machines(flexible_shop: JobShopScenario, rule: str) -> None:
    schedule = dispatch(flexible_shop, rule)
    first_modes = {op.id: op.modes[0].resource for j in flexible_shop.jobs for op in j.operations}
    assert any(a.resource != first_modes[a.task] for a in schedule.work())


@pytest.mark.parametrize("rule", ALL_RULES)
def test_releases_respected(released_shop: JobShopScenario, rule: str) -> None:
    schedule = dispatch(released_shop, rule)
    starts = {a.task: a.start for a in schedule.work()}
    for job in released_shop.jobs:
        assert starts[job.operations[0].id] >= job.release


def test_calendar_pushes_an_operation_past_a_window() -> None:
    sc = with_calendars(classic("cal", [[(0, 3)]]), {"M0": (Window(0, 5), Window(6, 8))})
    (work,) = dispatch(sc, "spt").work()
    assert (work.start, work.end) == (8, 11)


def test_setup_delays_the_next_job_and_is_reported() -> None:
    sc = classic("setup", [[(0, 3)], [(0, 2)]])
    sc = replace(sc, setups=(SetupMatrix("M0", ("J0", "J1"), ((0, 4), (1, 0))),))
    schedule = dispatch(sc, "fifo")
    assert_feasible(sc, schedule)
    work = schedule.by_task()
    assert (work["J0.0"].start, work["J1.0"].start) == (0, 7)
    setups = [a for a in schedule if a.category == Category.SETUP]
    assert setups == [Assignment("J1.0", "M0", 3, 7, Category.SETUP)]


@pytest.mark.parametrize("rule", ALL_RULES)
def test_setup_assignments_precede_their_operation(setup_shop: JobShopScenario, rule: str) -> None:
    schedule = dispatch(setup_shop, rule)
    work = schedule.by_task()
    setups = [a for a in schedule if a.category == Category.SETUP]
    assert setups, "this shop needs setups"
    for s in setups:
        assert work[s.task].resource == s.resource and work[s.task].start == s.end and s.duration > 0


def test_zero_length_work_stays_off_the_inside_of_other_work() -> None:
    # J1's zero-length steps are ready at 1, inside J2.0 [0, 2) on M0: they wait for its end
    # (the checker would allow them inside; CP-SAT's no-overlap, fed this as a hint, would not).
    sc = from_routes(
        "zero",
        [[[(0, 0)]], [[(0, 0)], [(0, 0)], [(1, 2)]], [[(0, 2)], [(0, 1)]]],
        releases=[0, 1, 0],
    )
    for rule in ALL_RULES:
        schedule = dispatch(sc, rule)
        assert_feasible(sc, schedule)
        lane = schedule.by_resource()["M0"]
        for z in (a for a in lane if a.duration == 0):
            assert not any(a.start < z.start < a.end for a in lane), (rule, z)


# -- pinned assignments ------------------------------------------------------------------
@pytest.mark.parametrize("shop", ["classic_shop", "flexible_shop", "setup_shop", "everything_shop"])
@pytest.mark.parametrize("rule", ALL_RULES)
def test_pinned_prefix_is_kept_and_the_rest_fits(request, shop: str, rule: str) -> None:
    sc = request.getfixturevalue(shop)
    base = dispatch(sc, "lpt")
    pins = time_prefix(base, base.makespan // 2)
    assert 0 < len(pins) < sc.n_operations
    schedule = dispatch(sc, rule, pinned=pins, seed=3)
    assert_feasible(sc, schedule)
    assert set(pins) <= set(schedule.assignments)


@pytest.mark.parametrize("rule", ALL_RULES)
def test_pinned_late_operation_keeps_its_predecessors_in_route_order(classic_shop: JobShopScenario, rule: str) -> None:
    base = dispatch(classic_shop, "spt")
    last = classic_shop.jobs[0].operations[-1].id
    a = base.by_task()[last]
    pin = replace(a, start=a.start + 40, end=a.end + 40)
    schedule = dispatch(classic_shop, rule, pinned=(pin,))
    assert_feasible(classic_shop, schedule)
    assert pin in schedule.assignments


def test_pins_that_leave_no_room_raise() -> None:
    sc = classic("late", [[(0, 5), (1, 3)]])
    with pytest.raises(DispatchError, match="pinned successor"):
        dispatch(sc, "spt", pinned=(Assignment("J0.1", "M1", 2, 5),))


def test_pins_naming_unknown_things_raise(tiny_jobshop: JobShopScenario) -> None:
    with pytest.raises(DispatchError, match="not an operation"):
        JobShopSim(tiny_jobshop, (Assignment("X", "M0", 0, 3),))
    with pytest.raises(DispatchError, match="cannot use"):
        JobShopSim(tiny_jobshop, (Assignment("J0.0", "M2", 0, 3),))


def test_non_work_pins_are_ignored(tiny_jobshop: JobShopScenario) -> None:
    setup = Assignment("J0.0", "M0", 0, 3, Category.SETUP)
    assert dispatch(tiny_jobshop, "spt", pinned=(setup,)) == dispatch(tiny_jobshop, "spt")


# -- what each rule picks ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "order"),
    [
        ("spt", ["J1.0", "J0.0", "J2.0"]),
        ("lpt", ["J2.0", "J0.0", "J1.0"]),
        ("edd", ["J1.0", "J2.0", "J0.0"]),
        ("cr", ["J2.0", "J1.0", "J0.0"]),  # ratios at 0: 4, 1.5, 1.125; at 8 J1 is late
        ("fifo", ["J0.0", "J1.0", "J2.0"]),
    ],
)
def test_rule_order_on_one_machine(single_machine: JobShopScenario, rule: str, order: list[str]) -> None:
    assert order_on(dispatch(single_machine, rule), "M0") == order


def test_mwkr_and_mor_prefer_the_longer_rest_of_route() -> None:
    # On M0 every job needs 1; afterwards J1 has most work left, J2 most operations left.
    sc = classic("rest", [[(0, 1), (1, 1)], [(0, 1), (1, 9)], [(0, 1), (1, 1), (2, 1), (3, 1)]])
    assert order_on(dispatch(sc, "mwkr"), "M0") == ["J1.0", "J2.0", "J0.0"]
    assert order_on(dispatch(sc, "mor"), "M0") == ["J2.0", "J1.0", "J0.0"]


def test_fifo_serves_the_earliest_arrival() -> None:
    # J0 arrives at M1 at 5, J1 at 1: once M1 is free FIFO takes J1 although J0 is listed first.
    sc = classic("fifo", [[(0, 5), (1, 2)], [(2, 1), (1, 2)], [(1, 6)]])
    assert order_on(dispatch(sc, "fifo"), "M1") == ["J2.0", "J1.1", "J0.1"]


def test_atc_favours_the_urgent_heavy_job() -> None:
    sc = classic("atc", [[(0, 4)], [(0, 4)]], dues=[100, 4], weights=[1, 5])
    assert order_on(dispatch(sc, "atc"), "M0") == ["J1.0", "J0.0"]


@pytest.mark.parametrize("shop", SHOPS)
@pytest.mark.parametrize("rule", ALL_RULES)
def test_fast_keys_agree_with_the_batch_definition(request, shop: str, rule: str) -> None:
    sc = request.getfixturevalue(shop)
    spec = RULES[rule]
    sim = JobShopSim(sc)
    fast = spec.chooser(sim, np.random.default_rng(4), {})
    rng = np.random.default_rng(4)
    while not sim.done:
        i = 0
        if len(sim.candidate_pairs()) > 1:
            i = fast(sim)
            assert i == spec.choose(sim.batch(), rng, {})
        sim.step(i)


def test_random_is_reproducible_and_seed_dependent(classic_shop: JobShopScenario) -> None:
    assert dispatch(classic_shop, "random", seed=11) == dispatch(classic_shop, "random", seed=11)
    outcomes = {dispatch(classic_shop, "random", seed=s).assignments for s in range(6)}
    assert len(outcomes) > 1


def test_deterministic_rules_ignore_the_seed(everything_shop: JobShopScenario) -> None:
    for rule in DETERMINISTIC:
        assert dispatch(everything_shop, rule, seed=1) == dispatch(everything_shop, rule, seed=2)


def test_unknown_rule_is_refused(tiny_jobshop: JobShopScenario) -> None:
    with pytest.raises(SolverError, match="unknown dispatch rule"):
        dispatch(tiny_jobshop, "nope")


# -- best_rule ----------------------------------------------------------------------------------
def test_best_rule_returns_the_minimum(everything_shop: JobShopScenario) -> None:
    """best_rule keeps the best of every deterministic rule under both generation schemes."""
    name, schedule, value = best_rule(everything_shop)
    values = {
        (r if scheme == "nondelay" else f"{r}/{scheme}"): objective_value(
            everything_shop, dispatch(everything_shop, r, scheme=scheme)
        )
        for scheme in ("nondelay", "active")
        for r in DETERMINISTIC
    }
    assert value == min(values.values()) == values[name]
    assert value == objective_value(everything_shop, schedule)
    assert_feasible(everything_shop, schedule)


def test_best_rule_with_a_subset_and_pins(classic_shop: JobShopScenario) -> None:
    base = dispatch(classic_shop, "mwkr")
    pins = time_prefix(base, base.makespan // 3)
    name, schedule, _ = best_rule(classic_shop, ["spt", "lpt"], pinned=pins)
    assert name.split("/")[0] in ("spt", "lpt")
    assert set(pins) <= set(schedule.assignments)
    assert_feasible(classic_shop, schedule)


# -- the simulator's API ------------------------------------------------------------------------
def test_candidates_form_the_giffler_thompson_conflict_set(flexible_shop: JobShopScenario) -> None:
    sim = JobShopSim(flexible_shop)
    steps = 0
    while not sim.done:
        cands = sim.candidates()
        batch = sim.batch()
        assert cands and len(batch) == len(cands)
        assert len({c.machine for c in cands}) == 1
        assert len({c.job for c in cands}) == len(cands)
        c_star = min(c.end for c in cands)
        assert all(c.start < c_star or c.end == c_star for c in cands)
        assert list(batch.pair) == [c.pair for c in cands]
        assert list(batch.start) == [c.start for c in cands]
        assert batch.now == min(c.start for c in cands)
        assert batch.matrix(["duration", "work_remaining", "due"]).shape == (len(cands), 3)
        start, end = sim.step(cands[-1])
        assert (start, end) == (cands[-1].start, cands[-1].end)
        steps += 1
    assert steps == flexible_shop.n_operations == sim.n_scheduled
    assert sim.candidates() == []
    assert_feasible(flexible_shop, sim.schedule())


def test_reset_replays_the_same_schedule(setup_shop: JobShopScenario) -> None:
    sim = JobShopSim(setup_shop)
    first = sim.run(lambda s: len(s.candidate_pairs()) - 1)
    sim.reset()
    assert sim.n_scheduled == 0 and not sim.done
    assert sim.run(lambda s: len(s.candidate_pairs()) - 1) == first


def test_step_refuses_a_stale_candidate(tiny_jobshop: JobShopScenario) -> None:
    sim = JobShopSim(tiny_jobshop)
    cand = sim.candidates()[0]
    sim.step(cand)
    with pytest.raises(DispatchError):
        sim.step(cand)
    with pytest.raises(DispatchError):
        sim.step(99)


def test_static_arrays_describe_the_shop(flexible_shop: JobShopScenario) -> None:
    sim = JobShopSim(flexible_shop)
    assert sim.n_ops == flexible_shop.n_operations
    assert sim.n_pairs == sum(len(op.modes) for j in flexible_shop.jobs for op in j.operations)
    assert sim.pair_duration.shape == sim.pair_machine.shape == (sim.n_pairs,)
    firsts = sim.op_position == 0
    assert np.allclose(sim.op_work_after[firsts] + sim.op_mean_duration[firsts], sim.job_total_work)


# -- the backend entry ----------------------------------------------------------------------------
def test_solve_through_the_registry(released_shop: JobShopScenario) -> None:
    seen = []
    result = solve(released_shop, "dispatch:mwkr", on_progress=seen.append)
    assert result.status == "feasible"
    assert result.termination.value == "completed" and result.bound is None
    assert result.solver == "dispatch:mwkr" and result.solver_version.startswith("opsplan")
    assert result.objective == objective_value(released_shop, result.schedule)
    assert result.runtime_s > 0
    assert len(seen) == 1 and seen[0].objective == result.objective
    assert_feasible(released_shop, result.schedule)


def test_every_rule_is_registered() -> None:
    assert {f"dispatch:{r}" for r in ALL_RULES} <= set(known())


def test_solve_honours_pins_and_seed(everything_shop: JobShopScenario) -> None:
    base = dispatch(everything_shop, "spt")
    pins = time_prefix(base, base.makespan // 2)
    result = solve(everything_shop, "dispatch:random", Params(seed=5, pinned=pins))
    assert result.schedule == dispatch(everything_shop, "random", seed=5, pinned=pins).renamed("dispatch:random")
    assert set(pins) <= set(result.schedule.assignments)


def test_random_best_of_n(classic_shop: JobShopScenario) -> None:
    one = solve(classic_shop, "dispatch:random", Params(seed=2))
    many = solve(classic_shop, "dispatch:random", Params(seed=2, options={"samples": 8}))
    assert many.stats["samples"] == 8 and one.stats["samples"] == 1
    assert many.objective <= one.objective
    assert_feasible(classic_shop, many.schedule)


def test_solve_reports_impossible_pins_as_an_error() -> None:
    sc = classic("late", [[(0, 5), (1, 3)]])
    result = solve(sc, "dispatch:spt", Params(pinned=(Assignment("J0.1", "M1", 2, 5),)))
    assert result.status == "error" and result.schedule is None and "J0.0" in result.message


def test_solve_cancelled_before_start(tiny_jobshop: JobShopScenario) -> None:
    stop = StopToken()
    stop.set()
    result = solve(tiny_jobshop, "dispatch:spt", stop=stop)
    assert result.status == "cancelled" and result.schedule is None


def test_nondelay_never_leaves_a_machine_idle_when_work_waits(classic_shop: JobShopScenario) -> None:
    """Under the non-delay scheme no operation could have started earlier on an idle machine at its start."""
    sc = classic_shop
    schedule = dispatch(sc, "spt", scheme="nondelay")
    by_task = schedule.by_task()
    by_res = schedule.by_resource()
    for job in sc.jobs:
        for k, op in enumerate(job.operations):
            a = by_task[op.id]
            ready = max(job.release, by_task[job.operations[k - 1].id].end if k else 0)
            if a.start > ready:
                # the machine must be busy at every moment of [ready, a.start)
                busy = sorted((b.start, b.end) for b in by_res[a.resource] if b.end > ready and b.start < a.start)
                t = ready
                for s, e in busy:
                    assert s <= t, f"{op.id} waited while {a.resource} was idle at {t}"
                    t = max(t, e)
                assert t >= a.start


def _deadline_shops():
    """J0 = M0(3) M1(2), J1 = M1(2) M0(4): makespan 7; J1 by 6 forces 11; J0 by 5 as well is impossible."""
    sc = classic("two", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    tight = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=6)))
    impossible = replace(tight, jobs=(replace(sc.jobs[0], deadline=5), tight.jobs[1]))
    return sc, tight, impossible


def test_deadline_missed_by_the_rule_falls_back_to_one_that_meets_it():
    _, tight, _ = _deadline_shops()
    assert late_jobs(tight, dispatch(tight, "spt")) == ["J1 ends 7 > deadline 6"]
    r = solve(tight, "dispatch:spt", Params())
    assert r.schedule is not None and check_jobshop(tight, r.schedule) == []
    assert r.stats["fallback"].startswith("dispatch:") and "misses a deadline" in r.message
    assert r.objective == objective_value(tight, r.schedule) == 11


@pytest.mark.parametrize("rule", ["spt", "random"])
def test_deadline_no_rule_meets_gives_no_schedule(rule):
    _, _, impossible = _deadline_shops()
    r = solve(impossible, f"dispatch:{rule}", Params())
    assert r.schedule is None and r.status == "no_solution" and r.objective is None
    assert "J1 ends 7 > deadline 6" in r.message and "no schedule" in r.message


@pytest.mark.parametrize("solver", ["dispatch:spt", "dispatch:random"])
def test_an_impossible_pin_gives_an_error_not_a_broken_plan(solver):
    """A pin inside a calendar window, or before its job's release: the rules kept it as given and
    reported a feasible plan the checker rejects; no solver may hand out such a plan."""
    sc = classic("pins", [[(0, 4), (1, 3)], [(1, 2), (0, 5)]])
    sc = replace(sc, machines=(replace(sc.machines[0], calendar=Calendar((Window(5, 20, "service"),))),
                               *sc.machines[1:]))
    inside = Assignment("J1.1", "M0", 8, 13)
    r = solve(sc, solver, Params(pinned=(inside,)))
    assert r.termination.value == "error" and r.schedule is None and r.solution_status.value == "none"
    assert "calendar" in r.message and "pinned operations" in r.message
    late = replace(sc, jobs=(replace(sc.jobs[0], release=30), *sc.jobs[1:]))
    r = solve(late, solver, Params(pinned=(Assignment("J0.0", "M0", 20, 24),)))
    assert r.termination.value == "error" and "release" in r.message
    ok = solve(sc, solver, Params(pinned=(Assignment("J1.1", "M0", 20, 25),)))
    assert ok.schedule is not None and check_jobshop(sc, ok.schedule) == []
