"""The MIP backend (Pyomo + HiGHS): proven optima equal CP-SAT's, every objective, pins, bounds."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from opsplan.models import check, objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import classic, from_routes, random_jobshop
from opsplan.models.jobshop.scenario import Objective, SetupMatrix
from opsplan.models.schedule import Assignment, Schedule
from opsplan.solvers import Params, StopToken, solve
from opsplan.solvers.registry import EARLIEST, PINS, supports

pytest.importorskip("pyomo")
pytest.importorskip("highspy")

P = Params(time_limit=10, threads=1)


def _assert_proven(sc, r):
    assert r.status == "optimal", r
    assert r.schedule is not None and check(sc, r.schedule) == []
    assert r.objective == objective_value(sc, r.schedule)
    assert r.bound == r.objective and r.gap == 0.0


def test_proves_optimum_on_tiny(tiny_jobshop):
    """The 3x3 shop: optimum 11 proven, with bound, gap and a version string."""
    r = solve(tiny_jobshop, "mip", P)
    _assert_proven(tiny_jobshop, r)
    assert r.objective == 11
    assert r.solver == "mip" and r.solver_version.startswith("HiGHS ") and "Pyomo" in r.solver_version


@pytest.mark.parametrize("seed", range(4))
def test_equals_cpsat_on_random_small(seed):
    """On random 3x3 shops the MIP's proven optimum equals CP-SAT's."""
    sc = random_jobshop(3, 3, seed=seed)
    r = solve(sc, "mip", P)
    _assert_proven(sc, r)
    assert r.objective == solve(sc, "cpsat", P).objective


def _due_shop(objective: Objective, seed: int = 3):
    base = random_jobshop(4, 3, seed=seed, high=9)
    routes = [[[(int(md.resource[1:]), md.duration) for md in op.modes] for op in job.operations] for job in base.jobs]
    return from_routes(
        "due", routes, 3, releases=[0, 2, 0, 5], dues=[10, 14, None, 18], weights=[2, 1, 3, 4], objective=objective
    )


@pytest.mark.parametrize("objective", list(Objective))
def test_each_objective_matches_cpsat(objective):
    """Makespan, total weighted tardiness and max lateness: same proven optimum as CP-SAT."""
    sc = _due_shop(objective)
    r = solve(sc, "mip", P)
    _assert_proven(sc, r)
    c = solve(sc, "cpsat", P)
    assert c.status == "optimal" and r.objective == c.objective


def test_flexible_calendar_setups_match_cpsat():
    """Flexible modes, a calendar window and (triangle-respecting) setups: optimum equals CP-SAT's."""
    sc = random_jobshop(3, 3, seed=5, high=9, flexible=2)
    machines = list(sc.machines)
    machines[0] = replace(machines[0], calendar=Calendar((Window(4, 7, "pm"),)))
    jobs = tuple(j.id for j in sc.jobs)
    setups = (SetupMatrix("M1", jobs, ((0, 2, 2), (2, 0, 2), (2, 2, 0))),)
    sc = replace(sc, machines=tuple(machines), setups=setups)
    r = solve(sc, "mip", P)
    _assert_proven(sc, r)
    assert r.objective == solve(sc, "cpsat", P).objective


def test_pins_and_earliest_respected(tiny_jobshop):
    """A pinned operation keeps its machine and start; an earliest start is a lower bound."""
    assert supports("mip", PINS) and supports("mip", EARLIEST)
    pin = (Assignment("J2.0", "M1", 5, 9),)
    r = solve(tiny_jobshop, "mip", Params(time_limit=10, pinned=pin, options={"earliest": {"J0.1": 6}}))
    _assert_proven(tiny_jobshop, r)
    by = r.schedule.by_task()
    assert by["J2.0"] == pin[0] and by["J0.1"].start >= 6
    c = solve(tiny_jobshop, "cpsat", Params(time_limit=10, pinned=pin, options={"earliest": {"J0.1": 6}}))
    assert r.objective == c.objective


def test_infeasible_pins_are_a_status(tiny_jobshop):
    """Two pins overlapping on one machine: termination infeasible, no schedule."""
    pins = (Assignment("J0.0", "M0", 0, 3), Assignment("J1.0", "M0", 1, 3))
    r = solve(tiny_jobshop, "mip", Params(time_limit=10, pinned=pins))
    assert r.termination.value == "infeasible" and r.schedule is None


def test_warm_start_and_progress(tiny_jobshop):
    """A feasible warm start sets the horizon; the final solution is reported to on_progress."""
    warm = solve(tiny_jobshop, "dispatch:spt", P).schedule
    seen = []
    r = solve(tiny_jobshop, "mip", Params(time_limit=10, warm_start=warm), on_progress=seen.append)
    _assert_proven(tiny_jobshop, r)
    assert r.stats["start"] == "warm start" and r.stats["horizon"] == warm.makespan
    assert seen and seen[-1].objective == 11


def test_cancel_before_start(tiny_jobshop):
    """A stop token set before the call returns cancelled without solving."""
    stop = StopToken()
    stop.set()
    r = solve(tiny_jobshop, "mip", P, stop=stop)
    assert r.status == "cancelled" and r.schedule is None


def test_loads_after_qt():
    """With PySide6 loaded (the GUI), the backend still imports: pyomo.environ's plugins would not."""
    code = (
        "import PySide6.QtCore\n"
        "from opsplan.models.jobshop.build import random_jobshop\n"
        "from opsplan.solvers import Params, solve\n"
        "r = solve(random_jobshop(2, 2, seed=1), 'mip', Params(time_limit=5))\n"
        "print('STATUS', r.status)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "STATUS optimal" in out.stdout


def _deadline_shops():
    """J0 = M0(3) M1(2), J1 = M1(2) M0(4): makespan 7; J1 by 6 forces 11; J0 by 5 as well is impossible."""
    sc = classic("two", [[(0, 3), (1, 2)], [(1, 2), (0, 4)]])
    tight = replace(sc, jobs=(sc.jobs[0], replace(sc.jobs[1], deadline=6)))
    impossible = replace(tight, jobs=(replace(sc.jobs[0], deadline=5), tight.jobs[1]))
    return sc, tight, impossible


def test_deadlines_are_met_or_infeasible():
    """A tight deadline is met at the cost of the makespan; an impossible one is a status, not an exception."""
    sc, tight, impossible = _deadline_shops()
    assert solve(sc, "mip", P).objective == 7
    r = solve(tight, "mip", Params(time_limit=10, threads=1))
    assert r.status == "optimal" and r.objective == 11
    assert check(tight, r.schedule) == []
    assert max(a.end for a in r.schedule if a.task.startswith("J1.")) <= 6
    r = solve(impossible, "mip", Params(time_limit=10, threads=1))
    assert r.termination.value == "infeasible" and r.schedule is None


# -- highspy driven: MIP start, progress, cancel, inbox, time limit ----------------------------
def test_warm_start_is_a_real_mip_start():
    """The start is handed to HiGHS as a complete MIP start: accepted, and a tiny limit keeps it."""
    sc = random_jobshop(10, 8, seed=1)
    warm = solve(sc, "dispatch:spt", P).schedule
    r = solve(sc, "mip", Params(time_limit=1.0, threads=1, warm_start=warm, log=True))
    assert r.stats["start"] == "warm start" and r.stats["start_complete"] and r.stats["start_accepted"], r.log
    assert r.schedule is not None and check(sc, r.schedule) == []
    assert r.objective <= objective_value(sc, warm)


def test_progress_reports_every_improvement():
    """Each improving solution reaches on_progress: whole objectives, never worsening, bound below."""
    sc = random_jobshop(6, 5, seed=3)
    seen = []
    r = solve(sc, "mip", P, on_progress=seen.append)
    _assert_proven(sc, r)
    assert len(seen) >= 2 and r.stats["improving"] >= 1
    objs = [p.objective for p in seen]
    assert all(isinstance(o, int) for o in objs) and objs == sorted(objs, reverse=True)
    assert all(p.bound is None or p.bound <= p.objective for p in seen)
    assert seen[-1].objective == r.objective and seen[-1].solver == "mip"


def solve_cancelled_after(sc, at: float, threads: int = 1):  # noqa: ANN001, ANN201
    """mip on ``sc`` (60 s limit), its stop token set ``at`` seconds in: (result, wall seconds)."""
    import threading
    import time

    stop = StopToken()
    timer = threading.Timer(at, stop.set)
    t = time.perf_counter()
    timer.start()
    r = solve(sc, "mip", Params(time_limit=60, threads=threads), stop=stop)
    wall = time.perf_counter() - t
    timer.cancel()
    return r, wall


def test_cancel_while_running_returns_fast():
    """A token set 1 s into a long solve stops HiGHS: cancelled, with the incumbent, well under 3 s."""
    sc = random_jobshop(10, 8, seed=1)
    solve(random_jobshop(2, 2, seed=1), "mip", P)  # imports out of the timing
    r, wall = solve_cancelled_after(sc, 1.0)
    assert r.termination.value == "cancelled" and wall < 3, (r, wall)
    assert r.schedule is not None and check(sc, r.schedule) == []


def test_a_run_deaf_to_the_stop_is_left_to_end_in_the_background(monkeypatch):
    """HiGHS does not check the interrupt inside its sub-MIP heuristics (seconds on a 20x15 shop).
    A run still busy shortly after the stop is left behind: the caller gets the start (the best
    so far) as cancelled at once; the run ends in the background and the next one waits for it."""
    import threading
    import time

    import highspy
    from opsplan.solvers.mip import highs_run

    sc = random_jobshop(6, 4, seed=2)
    ended, release = threading.Event(), threading.Event()

    def deaf_run(self):  # noqa: ANN001 - a run that ignores every interrupt until the test releases it
        release.wait(30)
        ended.set()

    monkeypatch.setattr(highspy.Highs, "run", deaf_run)
    r, wall = solve_cancelled_after(sc, 0.3)
    assert wall < 0.3 + highs_run.DETACH_AFTER_S + 0.6 and not ended.is_set()
    assert r.termination.value == "cancelled" and r.status == "feasible" and check(sc, r.schedule) == []
    assert r.stats["left_running"] and r.stats["start"].startswith("dispatch:")
    assert r.objective == objective_value(sc, r.schedule)
    # the next solve waits for the run left behind, but its own cancel or time limit still hold
    r2, wall2 = solve_cancelled_after(sc, 0.2)
    assert wall2 < 0.2 + 1.0 and not ended.is_set() and r2.termination.value == "cancelled"
    assert r2.schedule is not None and check(sc, r2.schedule) == []
    t = time.perf_counter()
    r3 = solve(sc, "mip", Params(time_limit=0.4, threads=1))
    assert time.perf_counter() - t < 1.5 and not ended.is_set() and r3.termination.value == "time_limit"
    release.set()
    highs_run.wait_for_runs_left_behind(10)
    assert ended.is_set() and not highs_run._left_behind


def test_cancel_in_the_sub_mip_phase_returns_within_a_second(bench_dir):
    """abz7 (20x15): past its first seconds HiGHS spends seconds in sub-MIPs that do not look at
    the interrupt; a cancel there still returns within a second, with a checked schedule."""
    from opsplan.models.jobshop.importers import import_orlib_jobshop
    from opsplan.solvers.mip import highs_run

    sc = import_orlib_jobshop(bench_dir / "jobshop" / "abz7.txt").scenario
    for at in (6.0, 8.5):
        r, wall = solve_cancelled_after(sc, at, threads=2)
        late = wall - at
        assert late < 1.0, (at, late, r.message)
        assert r.termination.value == "cancelled" and r.schedule is not None and check(sc, r.schedule) == []
    highs_run.wait_for_runs_left_behind(30)  # not into the next test's time


@pytest.mark.parametrize("stage", ["constraints", "translation"])
def test_cancel_while_building_a_large_model(monkeypatch, stage):
    """A stop that comes while the model is built (seconds on a 50x10 shop) or translated for
    HiGHS ends the build there: cancelled, with the checked start as the schedule."""
    import opsplan.solvers.mip as mip
    from opsplan.solvers.mip import highs_run
    from opsplan.solvers.mip import jobshop_model as jsm

    sc = random_jobshop(12, 6, seed=4)
    stop, calls = StopToken(), []
    target, attr = (jsm, "add_constraints") if stage == "constraints" else (highs_run, "to_lp")
    real = getattr(target, attr)

    def stop_now(*a, **k):  # the cancel arrives the moment this stage begins
        stop.set()
        calls.append(stage)
        return real(*a, **k)

    monkeypatch.setattr(target, attr, stop_now)
    r = mip.solve(sc, P, None, stop)
    assert calls == [stage]
    assert r.termination.value == "cancelled" and "while building" in r.message
    assert r.status == "feasible" and check(sc, r.schedule) == [] and r.stats["start"].startswith("dispatch:")


def test_time_limit_counts_the_build():
    """A short limit on a big model is honoured (build time included), with a schedule."""
    import time

    sc = random_jobshop(10, 8, seed=1)
    t = time.perf_counter()
    r = solve(sc, "mip", Params(time_limit=1.0, threads=1))
    assert time.perf_counter() - t < 2.5
    assert r.termination.value == "time_limit" and r.schedule is not None and r.runtime_s < 1.5


def test_inbox_injects_better_schedules():
    """A better schedule from the inbox is injected into the running search and counted."""
    import time

    sc = random_jobshop(8, 6, seed=2)
    good = solve(sc, "cpsat", Params(time_limit=10, threads=1))
    assert good.status == "optimal"
    calls = []

    def inbox():
        calls.append(time.perf_counter())
        return good.schedule

    seen = []
    r = solve(sc, "mip", Params(time_limit=10, threads=1, options={"inbox": inbox}), on_progress=seen.append)
    assert calls and r.stats["injected"] >= 1
    assert any(p.objective == good.objective for p in seen)
    _assert_proven(sc, r)
    assert r.objective == good.objective
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    assert all(g >= 0.15 for g in gaps)  # polled no more than every ~0.2 s


def test_inbox_ignores_infeasible_and_worse():
    """An inbox schedule that breaks the model (or is no better) is never injected."""
    sc = random_jobshop(6, 5, seed=3)
    bad = solve(sc, "dispatch:spt", P).schedule
    broken = Schedule(tuple(replace(a, start=0, end=a.end - a.start) for a in bad.work()), "broken")
    def raising():
        raise RuntimeError("mailbox broken")

    for inbox in (lambda: broken, lambda: bad, raising):
        r = solve(sc, "mip", Params(time_limit=10, threads=1, options={"inbox": inbox}))
        _assert_proven(sc, r)
        assert r.stats["injected"] == 0


def test_no_banner_on_stdout():
    """HiGHS's copyright banner never reaches stdout (``opsplan solve --json`` prints JSON there)."""
    code = (
        "from opsplan.models.jobshop.build import random_jobshop\n"
        "from opsplan.solvers import Params, solve\n"
        "r = solve(random_jobshop(2, 2, seed=1), 'mip', Params(time_limit=5))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""


# -- single-machine formulations ---------------------------------------------------------------
def _single_machine(n=8, seed=0, releases=False, deadlines=False, objective=Objective.TOTAL_WEIGHTED_TARDINESS):
    import random

    rng = random.Random(seed)
    p = [rng.randint(1, 9) for _ in range(n)]
    total = sum(p)
    sc = from_routes(
        "sm", [[[(0, d)]] for d in p], 1,
        releases=[rng.randint(0, total // 2) for _ in p] if releases else None,
        dues=[rng.randint(0, total) for _ in p], weights=[rng.randint(1, 9) for _ in p], objective=objective,
    )
    if deadlines:
        jobs = [replace(j, deadline=j.release + sum(p) + 5 + sum(p) // 2) for j in sc.jobs]
        sc = replace(sc, jobs=tuple(jobs))
    return sc


@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize("releases", [False, True])
def test_single_machine_formulations_agree(objective, releases):
    """Every formulation proves the same optimum as CP-SAT on a small single machine."""
    sc = _single_machine(7, seed=4, releases=releases, deadlines=True, objective=objective)
    want = solve(sc, "cpsat", P)
    assert want.status == "optimal"
    for form in ("disjunctive", "positional", "time-indexed"):
        r = solve(sc, "mip", Params(time_limit=10, threads=1, options={"formulation": form}))
        _assert_proven(sc, r)
        assert r.objective == want.objective, form
        assert r.stats["formulation"] == form and form in r.message


def test_single_machine_auto_choice_and_fallback(bench_dir):
    """The shape picks the formulation; any side constraint that does not fit falls back to disjunctive."""
    from opsplan.models.jobshop.importers import import_orlib_wt

    small = _single_machine(6, seed=1)
    assert solve(small, "mip", P).stats["formulation"] == "positional"
    wt = import_orlib_wt(bench_dir / "tardiness" / "wt40.txt", index=1).scenario
    r = solve(wt, "mip", Params(time_limit=2, threads=1))
    assert r.stats["formulation"] == "positional" and "positional" in r.message
    assert r.schedule is not None and check(wt, r.schedule) == []
    pin = (Assignment("J0.0", "M0", 0, small.jobs[0].operations[0].modes[0].duration),)
    assert solve(small, "mip", Params(time_limit=10, pinned=pin)).stats["formulation"] == "disjunctive"
    windowed = replace(small, machines=(replace(small.machines[0], calendar=Calendar((Window(3, 5, "pm"),))),))
    assert solve(windowed, "mip", P).stats["formulation"] == "disjunctive"
    with pytest.raises(SolverError):
        solve(windowed, "mip", Params(time_limit=5, options={"formulation": "positional"}))
    with pytest.raises(SolverError):
        solve(small, "mip", Params(time_limit=5, options={"formulation": "nope"}))
    with pytest.raises(SolverError, match="too long"):  # wt40 as time-indexed: ~4M nonzeros
        solve(wt, "mip", Params(time_limit=5, options={"formulation": "time-indexed"}))


def test_zero_length_jobs_keep_the_disjunctive_model():
    """Regression (found by the property test): zero-length work may sit inside another job's run,
    which positions cannot express; such shops use the disjunctive model and match CP-SAT."""
    sc = from_routes("zero", [[[(0, 0)]], [[(0, 0)]], [[(0, 2)]]], 1, releases=[1, 0, 0], dues=[0, 0, 0],
                     weights=[1, 0, 1], objective=Objective.TOTAL_WEIGHTED_TARDINESS)
    r = solve(sc, "mip", P)
    assert r.stats["formulation"] == "disjunctive" and r.objective == 3 == solve(sc, "cpsat", P).objective
    assert check(sc, r.schedule) == []


def test_presolve_solve_error_is_retried_without_presolve():
    """A shop hypothesis found (a zero-length operation; HiGHS's presolve reduces the model to empty and
    reports 'Solve error'): mip retries without presolve and proves the optimum cpsat proves."""
    from opsplan.models import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation

    def op(i, *modes):  # noqa: ANN001, ANN002, ANN202
        return Operation(id=i, modes=tuple(Mode(resource=r, duration=d) for r, d in modes))

    sc = JobShopScenario(name="prop", machines=(Resource(id="M0"), Resource(id="M1")), jobs=(
        Job(id="J0", operations=(op("J0.0", ("M0", 0)),), release=0, weight=0),
        Job(id="J1", operations=(op("J1.0", ("M0", 1)), op("J1.1", ("M0", 2), ("M1", 2))), release=9, weight=0),
        Job(id="J2", operations=(op("J2.0", ("M0", 2), ("M1", 1)), op("J2.1", ("M0", 2)),
                                 op("J2.2", ("M1", 1), ("M0", 3))), release=6, weight=0),
        Job(id="J3", operations=(op("J3.0", ("M0", 4), ("M1", 4)),), release=8, weight=0)))
    r = solve(sc, "mip", Params(time_limit=10, threads=1, seed=1))
    assert r.status == "optimal" and check(sc, r.schedule) == []
    assert r.objective == solve(sc, "cpsat", Params(time_limit=10, threads=1)).objective


# -- honest answers where the model or HiGHS cannot be trusted ------------------------------------
def _shop(machines, jobs, objective=Objective.MAKESPAN, setups=()):
    """A small shop from ``(id, windows)`` machines and ``(id, ops, job fields)`` jobs."""
    from opsplan.models.core import Resource
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation

    ms = tuple(Resource(i, calendar=Calendar(tuple(Window(a, b) for a, b in wins))) for i, wins in machines)
    js = tuple(Job(i, tuple(Operation(o, tuple(Mode(r, d) for r, d in modes)) for o, modes in ops), **kw)
               for i, ops, kw in jobs)
    return JobShopScenario("t", ms, js, objective=objective, setups=tuple(setups))


@pytest.mark.parametrize("objective", [Objective.MAKESPAN, Objective.TOTAL_WEIGHTED_TARDINESS])
def test_setups_breaking_the_triangle_inequality_give_no_false_proof(objective):
    """A->B and B->C cost nothing, every other changeover 100: the pairwise rows would demand 100
    between A and C and call the shop infeasible (makespan) or prove 99 optimal (tardiness)."""
    jobs = [(j, [(f"{j}.0", [("M0", 1)])], {"due": 3}) for j in "ABC"]
    matrix = ((0, 0, 100), (100, 0, 0), (100, 100, 0))
    sc = _shop([("M0", ())], jobs, objective, [SetupMatrix("M0", ("A", "B", "C"), matrix)])
    exact = solve(sc, "cpsat", Params(time_limit=5, threads=1))
    r = solve(sc, "mip", Params(time_limit=5, threads=1, options={"explain": False}))
    assert exact.status == "optimal"
    assert r.termination.value not in ("optimal", "infeasible") and r.status == "feasible" and r.bound is None
    assert check(sc, r.schedule) == [] and r.objective == exact.objective  # the start (the rule's plan) stands
    assert "triangle" in r.message


@pytest.mark.parametrize("objective", [Objective.MAKESPAN, Objective.TOTAL_WEIGHTED_TARDINESS])
def test_a_job_missing_from_the_setup_matrix_counts_in_the_triangle_check(objective):
    """A job the matrix does not list needs no setup either way, so between J0 and J1 it saves
    their changeover of 10: the pairwise rows are then a restriction (they called the shop
    infeasible for makespan and proved 19 optimal for tardiness, where 10 is feasible)."""
    jobs = [("J0", [("J0.0", [("M0", 2)])], {"due": 0}), ("J1", [("J1.0", [("M0", 2)])], {"due": 0}),
            ("J2", [("J2.0", [("M0", 1)])], {"due": 0})]
    sc = _shop([("M0", ())], jobs, objective, [SetupMatrix("M0", ("J0", "J1"), ((0, 10), (10, 0)))])
    exact = solve(sc, "cpsat", Params(time_limit=5, threads=1))
    r = solve(sc, "mip", Params(time_limit=5, threads=1, options={"explain": False}))
    assert exact.status == "optimal" and exact.objective == (5 if objective == Objective.MAKESPAN else 10)
    assert r.termination.value not in ("optimal", "infeasible") and r.bound is None
    assert check(sc, r.schedule) == [] and r.objective == exact.objective
    race = solve(sc, "race", Params(time_limit=10, threads=2))
    assert race.objective == exact.objective and race.stats.get("proved_by") != "mip"


def test_mip_shares_every_improving_checked_schedule_with_the_race():
    sc = random_jobshop(6, 4, seed=3)
    shared = []
    r = solve(sc, "mip", Params(time_limit=10, threads=1,
                                options={"on_solution": lambda s, v: shared.append((s, v))}))
    assert shared and all(check(sc, s) == [] and objective_value(sc, s) == v for s, v in shared)
    assert [v for _, v in shared] == sorted({v for _, v in shared}, reverse=True)
    assert shared[-1][1] == r.objective


def test_a_highs_point_that_fails_the_checker_falls_back_to_a_checked_schedule():
    """A window to the end of time makes big-M about 2e9; HiGHS's 'optimal' point then overlaps
    operations within its tolerances. The answer is a checked schedule without a claimed proof."""
    from opsplan.models.core import MAX_TIME

    jobs = [(f"J{j}", [(f"J{j}.0", [("M0", 30), ("M1", 20)]), (f"J{j}.1", [("M1", 10), ("M0", 25)])], {"due": 60})
            for j in range(4)]
    sc = _shop([("M0", ()), ("M1", ((100, MAX_TIME),))], jobs, Objective.TOTAL_WEIGHTED_TARDINESS)
    r = solve(sc, "mip", Params(time_limit=5, threads=1, options={"explain": False}))
    exact = solve(sc, "cpsat", Params(time_limit=10, threads=1))
    assert r.schedule is not None and check(sc, r.schedule) == [] and r.objective >= exact.objective
    assert r.termination.value != "error" and (r.bound is None or r.bound <= r.objective)


def test_highs_objective_off_its_point_after_presolve_is_solved_again():
    """After presolve HiGHS reported objective and bound -19 for a point worth 23 (zero-length steps)."""
    jobs = [("J0", [("J0.0", [("M0", 3)]), ("J0.1", [("M0", 1)])], {"release": 15, "due": 17, "weight": 1}),
            ("J1", [("J1.0", [("M0", 0)]), ("J1.1", [("M0", 5)]), ("J1.2", [("M0", 0)])],
             {"due": 19, "weight": 3, "deadline": 27}),
            ("J2", [("J2.0", [("M0", 2)]), ("J2.1", [("M0", 1)]), ("J2.2", [("M0", 2)])],
             {"release": 13, "due": 9, "weight": 2, "deadline": 34})]
    sc = _shop([("M0", ())], jobs, Objective.TOTAL_WEIGHTED_TARDINESS)
    exact = solve(sc, "cpsat", Params(time_limit=10, threads=1, options={"explain": False}))
    r = solve(sc, "mip", Params(time_limit=10, threads=1, options={"explain": False}))
    assert exact.status == "optimal" and r.objective == exact.objective
    assert r.status == "optimal" and r.bound == r.objective and r.stats.get("presolve_retry")


@pytest.mark.parametrize("solver", ["cpsat", "mip"])
def test_time_limit_and_cancel_hold_while_the_start_and_model_are_built(solver):
    """500 jobs on one machine: the rules' local search took a second each and the MIP's positional
    model many seconds to build, whatever the time limit; now both stop with the start in hand."""
    import threading
    import time

    from opsplan.models.jobshop.build import potts_van_wassenhove

    sc = potts_van_wassenhove(500, 0.6, 0.2, seed=1, weighted=True)
    t = time.perf_counter()
    r = solve(sc, solver, Params(time_limit=1.0, threads=1))
    assert time.perf_counter() - t < 8 and r.schedule is not None and check(sc, r.schedule) == []
    assert r.termination.value == "time_limit"
    stop = StopToken()
    threading.Timer(0.3, stop.set).start()
    t = time.perf_counter()
    r = solve(sc, solver, Params(time_limit=60, threads=1), stop=stop)
    assert time.perf_counter() - t < 8 and r.termination.value == "cancelled"


def test_a_fully_pinned_shop_is_optimal_with_its_bound_not_a_gap_limit():
    """Every order fixed leaves HiGHS a pure LP, which reports no MIP bound: the result is still
    optimal with the objective as its bound (it read 'gap_limit' with bound 0)."""
    from opsplan.models.jobshop.build import from_routes

    sc = from_routes("one-op", [[[(0, 5)]], [[(1, 3)]]], 2)
    pins = (Assignment("J0.0", "M0", 0, 5), Assignment("J1.0", "M1", 2, 5))
    r = solve(sc, "mip", Params(time_limit=10, threads=1, pinned=pins))
    assert r.termination.value == "optimal" and r.objective == 5 and r.bound == 5 and r.gap == 0


@pytest.mark.parametrize(("retired_at", "feasible"), [(300, True), (40, False)])
def test_a_machine_retired_until_the_end_of_time_keeps_the_model_small_and_agrees_with_cpsat(retired_at, feasible):
    """A window to the largest time: no plan may run past it (the horizon stops there), and the
    MIP takes it as 'end before' with no M from the window's end (it had M = 2^31 on every row)."""
    from opsplan.models.core import MAX_TIME, Calendar, Window

    sc = random_jobshop(4, 3, seed=1)
    m0 = replace(sc.machines[0], calendar=Calendar((Window(20, 30, "pm"), Window(retired_at, MAX_TIME, "retired"))))
    sc = replace(sc, machines=(m0, *sc.machines[1:]))
    exact = solve(sc, "cpsat", Params(time_limit=20, threads=1))
    r = solve(sc, "mip", Params(time_limit=20, threads=1, options={"explain": False}))
    if feasible:
        assert exact.status == r.status == "optimal" and r.objective == exact.objective
        assert check(sc, r.schedule) == [] and r.stats["big_m"] < 10_000
    else:
        assert exact.status == r.status == "infeasible"
