"""The CP-SAT backend: optimality on small shops, every feature of the model, progress and cancel."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from opsplan.models import check, objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop.build import classic, from_routes, random_jobshop
from opsplan.models.jobshop.scenario import Objective, SetupMatrix
from opsplan.models.schedule import Assignment
from opsplan.solvers import Params, StopToken, solve


def _sequences(counts: list[int]):
    """Every sequence of job indices where job j appears counts[j] times."""
    if not any(counts):
        yield ()
        return
    for j, c in enumerate(counts):
        if c:
            counts[j] -= 1
            for rest in _sequences(counts):
                yield (j, *rest)
            counts[j] += 1


def _brute_force_makespan(sc) -> int:
    """Optimal makespan of a tiny classic shop by decoding every operation sequence.

    Every semi-active schedule is the decoding of some job-index sequence (each op
    appended at the earliest time after its job and machine), and an optimal
    schedule is semi-active, so the minimum over all sequences is the optimum.
    """
    best = None
    for seq in _sequences([len(j.operations) for j in sc.jobs]):
        nxt = [0] * len(sc.jobs)
        job_t = [0] * len(sc.jobs)
        mach_t: dict[str, int] = {}
        for j in seq:
            md = sc.jobs[j].operations[nxt[j]].modes[0]
            s = max(job_t[j], mach_t.get(md.resource, 0))
            job_t[j] = mach_t[md.resource] = s + md.duration
            nxt[j] += 1
        mk = max(job_t)
        best = mk if best is None else min(best, mk)
    return best


@pytest.fixture
def shop_3x3(tiny_jobshop):
    """The shared 3x3 classic shop."""
    return tiny_jobshop


def test_proves_optimum_on_tiny(shop_3x3):
    """cpsat proves the optimum of the 3x3 shop, equal to brute force."""
    r = solve(shop_3x3, "cpsat", Params(time_limit=10))
    assert r.status == "optimal" and r.termination.value == "optimal"
    assert r.objective == _brute_force_makespan(shop_3x3) == 11
    assert r.bound == r.objective and r.gap == 0.0
    assert check(shop_3x3, r.schedule) == []


@pytest.mark.parametrize("seed", range(4))
def test_proves_optimum_on_random_small(seed):
    """On random 3x3 shops cpsat's proven optimum equals exhaustive search."""
    sc = random_jobshop(3, 3, seed=seed, high=9)
    r = solve(sc, "cpsat", Params(time_limit=10))
    assert r.status == "optimal"
    assert r.objective == _brute_force_makespan(sc)


def test_ft06_optimal(bench_dir):
    """ft06 solves to its known optimum 55 with a proof."""
    from opsplan.models.io.importers import import_file

    sc = import_file(str(bench_dir / "jobshop" / "ft06.txt"), "orlib-jobshop").scenario
    r = solve(sc, "cpsat", Params(time_limit=30, threads=2))
    assert (r.status, r.objective) == ("optimal", 55)
    assert check(sc, r.schedule) == []


@pytest.mark.parametrize("objective", list(Objective))
def test_every_objective_with_calendars_setups_releases(objective):
    """All objectives on a flexible shop with release dates, due dates, a calendar and setups."""
    sc = from_routes(
        "mixed",
        [
            [[(0, 3), (1, 4)], [(2, 2)]],
            [[(1, 2)], [(0, 3), (2, 5)]],
            [[(2, 4)], [(0, 2)], [(1, 1)]],
        ],
        releases=[0, 2, 1],
        dues=[6, 9, 8],
        weights=[3, 1, 2],
        objective=objective,
    )
    machines = list(sc.machines)
    machines[0] = replace(machines[0], calendar=Calendar((Window(4, 6, "maintenance"),)))
    setups = (SetupMatrix("M1", ("J0", "J1", "J2"), ((0, 2, 1), (1, 0, 2), (2, 1, 0))),)
    sc = replace(sc, machines=tuple(machines), setups=setups)
    r = solve(sc, "cpsat", Params(time_limit=10))
    assert r.status == "optimal"
    assert check(sc, r.schedule) == []
    assert r.objective == objective_value(sc, r.schedule) == r.bound
    # no dispatch rule beats the proven optimum
    from opsplan.solvers.dispatch.jobshop import best_rule

    _, _, rule_value = best_rule(sc)
    assert r.objective <= rule_value


def test_pinned_assignments_stay(shop_3x3):
    """Pinned operations keep machine and start; the rest is re-optimised around them."""
    pin = (Assignment("J2.0", "M1", 5, 9),)
    r = solve(shop_3x3, "cpsat", Params(time_limit=10, pinned=pin))
    assert r.status == "optimal"
    assert r.schedule.by_task()["J2.0"] == pin[0]
    assert check(shop_3x3, r.schedule) == []
    assert r.objective >= 11


def test_warm_start_is_used(shop_3x3):
    """A feasible warm start is taken as the hint."""
    first = solve(shop_3x3, "dispatch:spt")
    r = solve(shop_3x3, "cpsat", Params(time_limit=10, warm_start=first.schedule, options={"no_tabu": True}))
    assert r.stats["hint"] == "warm start"
    assert r.objective <= first.objective
    # on a classic shop the tabu search starts from it first
    r = solve(shop_3x3, "cpsat", Params(time_limit=10, warm_start=first.schedule))
    assert r.stats["hint"] in ("warm start", "tabu search from warm start") and r.objective <= first.objective


def test_progress_reports_improving_solutions():
    """on_progress sees a non-increasing objective sequence with elapsed times."""
    sc = random_jobshop(10, 10, seed=3)
    seen = []
    r = solve(sc, "cpsat", Params(time_limit=3, threads=2), on_progress=seen.append)
    assert seen
    objs = [p.objective for p in seen]
    assert all(a >= b for a, b in zip(objs, objs[1:]))
    assert objs[-1] == r.objective
    assert all(p.bound is not None and p.bound <= p.objective for p in seen)


def test_cancel_stops_long_solve_within_two_seconds():
    """Setting the stop token ends a 60 s solve within 2 s, returning the best schedule so far."""
    sc = random_jobshop(30, 15, seed=7)
    stop = StopToken()
    fired: list[float] = []
    seen: list[object] = []

    def cancel_after_first_solution(p) -> None:  # noqa: ANN001
        seen.append(p)
        if len(seen) == 1:
            threading.Timer(0.5, lambda: (fired.append(time.perf_counter()), stop.set())).start()

    r = solve(sc, "cpsat", Params(time_limit=60, threads=2), on_progress=cancel_after_first_solution, stop=stop)
    returned = time.perf_counter()
    assert fired and returned - fired[0] < 2.0
    assert r.termination.value == "cancelled"
    assert r.schedule is not None and check(sc, r.schedule) == []


def test_infeasible_pins_are_a_status_not_an_exception(shop_3x3):
    """Two pins that overlap on one machine give termination 'infeasible' and no schedule."""
    pins = (Assignment("J0.0", "M0", 0, 3), Assignment("J1.0", "M0", 1, 3))
    r = solve(shop_3x3, "cpsat", Params(time_limit=10, pinned=pins))
    assert r.status == "infeasible" and r.schedule is None


def test_textbook_baseline_matches_on_small():
    """The benchmark baseline also proves small optima (it is a fair baseline)."""
    sc = classic("t", [[(0, 2), (1, 3)], [(1, 2), (0, 4)]])
    a = solve(sc, "cpsat-textbook", Params(time_limit=10))
    b = solve(sc, "cpsat", Params(time_limit=10))
    assert a.objective == b.objective and a.status == b.status == "optimal"
    assert check(sc, a.schedule) == []


def test_cpsat_parameters_pass_through_including_repeated_fields(shop_3x3):
    """Raw CP-SAT parameters in options reach the solver; list-valued ones are extended, not assigned."""
    opts = {"cpsat": {"ignore_subsolvers": ["feasibility_pump"], "cp_model_presolve": False}}
    r = solve(shop_3x3, "cpsat", Params(time_limit=10, threads=2, log=True, options=opts))
    assert r.status == "optimal" and r.objective == 11
    assert "ignore_subsolvers" in r.log and "cp_model_presolve: false" in r.log


def test_zero_length_work_needs_no_setup():
    """Zero-length operations take no machine time and owe no setup (the checker's convention)."""
    from opsplan.models.core import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation

    def op(i, m, d):
        return Operation(i, (Mode(m, d),))

    sc = JobShopScenario("zero", (Resource("M0"), Resource("M1")), (
        Job("J0", (op("J0.0", "M0", 0), op("J0.1", "M1", 0), op("J0.2", "M0", 7)), release=2),
        Job("J1", (op("J1.0", "M1", 8),), release=2),
        Job("J2", (op("J2.0", "M0", 2), op("J2.1", "M0", 0))),
    ), setups=(SetupMatrix("M0", ("J0", "J1", "J2"), ((0, 0, 0), (0, 0, 0), (1, 0, 0))),))
    r = solve(sc, "cpsat", Params(time_limit=10))
    assert r.status == "optimal" and r.objective == 10
    assert check(sc, r.schedule) == []


def test_setup_machine_every_operation_may_avoid():
    """A setup machine that no operation has to use: the circuit may stay empty."""
    from opsplan.models.core import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation

    flex = (Mode("M1", 0), Mode("M0", 1))
    sc = JobShopScenario("empty-circuit", (Resource("M0"), Resource("M1")), (
        Job("J0", (Operation("J0.0", flex), Operation("J0.1", flex[::-1]))),
    ), setups=(SetupMatrix("M0", ("J0",), ((0,),)),))
    r = solve(sc, "cpsat", Params(time_limit=10))
    assert r.status == "optimal" and r.objective == 0
    assert check(sc, r.schedule) == []


def _deadline_shops():
    """J0 = M0(3) M1(2), J1 = M1(2) M0(4): makespan 7; J1 by 6 forces 11; J0 by 5 as well is impossible."""
    sc = classic("two", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    tight = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=6)))
    impossible = replace(tight, jobs=(replace(sc.jobs[0], deadline=5), tight.jobs[1]))
    return sc, tight, impossible


def test_deadlines_are_met_or_infeasible():
    """A tight deadline is met at the cost of the makespan; an impossible one is a status, not an exception."""
    sc, tight, impossible = _deadline_shops()
    assert solve(sc, "cpsat", Params(time_limit=10)).objective == 7
    r = solve(tight, "cpsat", Params(time_limit=10, threads=1))
    assert r.status == "optimal" and r.objective == 11
    assert check(tight, r.schedule) == []
    assert max(a.end for a in r.schedule if a.task.startswith("J1.")) <= 6
    r = solve(impossible, "cpsat", Params(time_limit=10, threads=1))
    assert r.termination.value == "infeasible" and r.schedule is None


def test_time_limit_counts_the_starting_schedule(monkeypatch):
    """The limit is wall time for the whole call: time spent on the start is taken off the search."""
    import opsplan.solvers.cpsat as backend
    from ortools.sat.python import cp_model

    real_start, real_solve, seen = backend._initial_schedule, cp_model.CpSolver.solve, []

    def slow_start(*a, **k):
        time.sleep(0.4)
        return real_start(*a, **k)

    def spy(self, *a, **k):
        seen.append(self.parameters.max_time_in_seconds)
        return real_solve(self, *a, **k)

    monkeypatch.setattr(backend, "_initial_schedule", slow_start)
    monkeypatch.setattr(cp_model.CpSolver, "solve", spy)
    r = solve(random_jobshop(4, 3, seed=1), "cpsat", Params(time_limit=2.0))
    assert r.schedule is not None and seen and seen[0] <= 1.6


def test_no_solution_in_time_returns_the_checked_start(monkeypatch):
    """When CP-SAT finds nothing before the limit, the start (a rule's schedule that passes the
    checker and keeps the pins) is the result, marked feasible; without a start there is none."""
    from ortools.sat.python import cp_model

    real_solve = cp_model.CpSolver.solve

    def out_of_time(self, *a, **k):  # as if the limit ran out before the first solution
        self.parameters.stop_after_presolve = True
        return real_solve(self, *a, **k)

    monkeypatch.setattr(cp_model.CpSolver, "solve", out_of_time)
    sc = random_jobshop(5, 4, seed=2)
    r = solve(sc, "cpsat", Params(time_limit=0.01))
    assert r.status == "feasible" and r.termination.value == "time_limit"
    assert check(sc, r.schedule) == [] and r.objective == objective_value(sc, r.schedule)
    assert "starting schedule" in r.message
    op = sc.jobs[0].operations[-1]
    pin = Assignment(op.id, op.modes[0].resource, 500, 500 + op.modes[0].duration)
    r = solve(sc, "cpsat", Params(time_limit=0.01, pinned=(pin,)))
    assert check(sc, r.schedule) == [] and r.schedule.by_task()[op.id].start == 500  # the start keeps pins
    r = solve(sc, "cpsat", Params(time_limit=0.01, options={"no_hint": True}))
    assert r.schedule is None and r.status == "no_solution"


def test_never_returns_worse_than_its_checked_start(monkeypatch):
    """A search stopped at a first solution worse than the starting schedule returns the start."""
    from opsplan.solvers.cpsat.jobshop_model import JobShopCpBuilder

    monkeypatch.setattr(JobShopCpBuilder, "hint", lambda self, hint: 0)  # the search starts blind
    base = random_jobshop(8, 5, seed=3)
    jobs = tuple(replace(j, due=100 + 40 * k, weight=1 + k % 3) for k, j in enumerate(base.jobs))  # tight
    sc = replace(base, jobs=jobs, objective=Objective.TOTAL_WEIGHTED_TARDINESS)
    r = solve(sc, "cpsat", Params(time_limit=10, threads=1,
                                  options={"cpsat": {"stop_after_first_solution": True}}))
    assert r.objective <= r.stats["hint_objective"] and check(sc, r.schedule) == []
    assert "starting schedule" in r.message  # the blind first solution was worse


@pytest.mark.parametrize("solver", ["cpsat", "mip"])
def test_a_stop_at_the_gap_target_is_not_called_optimal(solver):
    """CP-SAT and HiGHS both say 'optimal' when they reach the relative gap asked for; only a closed
    gap is a proof, so such a stop is reported as gap_limit with a feasible solution and its bound."""
    from opsplan.models.jobshop.build import random_jobshop

    sc = random_jobshop(6, 4, seed=3)
    options = {"no_hint": True} if solver == "cpsat" else {}
    r = solve(sc, solver, Params(gap=0.5, time_limit=10, threads=1, options=options))
    exact = solve(sc, "cpsat", Params(time_limit=20, threads=2))
    assert exact.status == "optimal"
    assert r.schedule is not None and check(sc, r.schedule) == []
    if r.objective > exact.objective:  # stopped short of the optimum: no proof may be claimed
        assert r.termination.value == "gap_limit" and r.status == "feasible" and r.bound < r.objective
    assert r.status != "optimal" or r.bound == r.objective == exact.objective


def test_textbook_baseline_refuses_what_it_would_ignore_and_honours_cancel():
    from opsplan.solvers import SolverError, StopToken

    sc = random_jobshop(8, 5, seed=1)
    late = replace(sc, jobs=(replace(sc.jobs[0], release=50), *sc.jobs[1:]))
    with pytest.raises(SolverError, match="no releases"):
        solve(late, "cpsat-textbook", Params(time_limit=1))
    closed = replace(sc, machines=(replace(sc.machines[0], calendar=Calendar((Window(0, 40),))), *sc.machines[1:]))
    with pytest.raises(SolverError, match="calendars"):
        solve(closed, "cpsat-textbook", Params(time_limit=1))
    stop = StopToken()
    stop.set()
    t0 = time.perf_counter()
    r = solve(sc, "cpsat-textbook", Params(time_limit=5), stop=stop)
    assert r.termination.value == "cancelled" and time.perf_counter() - t0 < 1


def test_pinning_a_whole_plan_with_its_setup_bars_keeps_it():
    """Pins may come straight from a plan's assignments, setup bars included; those are not operations."""
    sc = from_routes("setups", [[[(0, 3)]], [[(0, 3)]]])
    jobs = tuple(j.id for j in sc.jobs)
    sc = replace(sc, setups=(SetupMatrix("M0", jobs, ((0, 2), (2, 0))),))
    plan = solve(sc, "dispatch:fifo", Params()).schedule
    assert any(a.category == "setup" for a in plan.assignments)
    for solver in ("cpsat", "mip"):
        r = solve(sc, solver, Params(time_limit=5, threads=1, pinned=plan.assignments, options={"explain": False}))
        assert r.schedule is not None and r.schedule.work() == plan.work(), solver


@pytest.mark.parametrize("solver", ["cpsat", "mip"])
def test_a_job_visiting_a_machine_with_setups_several_times_is_feasible(solver):
    """One job, three operations on M0 with a setup of 10 between any two: makespan 35. The horizon
    counted setups per job, not per operation, and both exact solvers called the shop infeasible."""
    sc = from_routes("re-entrant", [[[(0, 5)], [(0, 5)], [(0, 5)]]])
    sc = replace(sc, setups=(SetupMatrix("M0", (sc.jobs[0].id,), ((10,),)),))
    assert sc.horizon() >= 35
    r = solve(sc, solver, Params(time_limit=5, threads=1))
    assert (r.status, r.objective) == ("optimal", 35) and check(sc, r.schedule) == []


def test_a_feasible_flexible_shop_is_not_proved_infeasible():
    """OR-Tools 9.15's default no-overlap propagation proved this feasible shop infeasible (an earliest
    start, a deadline, one operation with two machines, the horizon cut to the hint's makespan 18)."""
    sc = from_routes("t", [[[(1, 2)], [(1, 6)], [(0, 3), (1, 4)]], [[(0, 1)], [(1, 5)], [(1, 1)]]], 2)
    sc = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=13)))
    params = Params(time_limit=5, threads=1, options={"earliest": {"J0.0": 3}, "explain": False})
    r = solve(sc, "cpsat", params)
    assert (r.status, r.objective) == ("optimal", 18) and check(sc, r.schedule) == []
    assert r.schedule.by_task()["J0.0"].start >= 3


def test_textbook_baseline_lets_zero_length_work_sit_inside_another_operation():
    """As the checker and cpsat do: a zero-length step takes no machine time, so J1's step on M0
    may sit inside J0's run there (the baseline blocked it and proved 6 optimal, where 5 is)."""
    from opsplan.models.jobshop.build import from_routes

    sc = from_routes("zero-inside", [[[(0, 5)]], [[(1, 2)], [(0, 0)], [(1, 1)]]], 2)
    for solver in ("cpsat", "cpsat-textbook"):
        r = solve(sc, solver, Params(time_limit=10, threads=1))
        assert r.status == "optimal" and r.objective == 5 and check(sc, r.schedule) == [], solver


def test_an_objective_beyond_64_bits_is_a_clean_error_not_a_crash():
    """Durations and weights at the largest allowed value pass validate(); CP-SAT's int64 domains
    cannot hold the tardiness they may reach, which is said (it was a raw TypeError)."""
    from opsplan.models import validate
    from opsplan.models.core import MAX_TIME
    from opsplan.models.errors import SolverError
    from opsplan.models.jobshop.build import from_routes

    sc = from_routes("big", [[[(0, MAX_TIME)]], [[(0, MAX_TIME)]]], 1, objective=Objective.TOTAL_WEIGHTED_TARDINESS,
                     dues=[0, 0], weights=[MAX_TIME, MAX_TIME])
    assert validate(sc) == []
    with pytest.raises(SolverError, match="beyond CP-SAT's 64-bit integers"):
        solve(sc, "cpsat", Params(time_limit=5, threads=1))
