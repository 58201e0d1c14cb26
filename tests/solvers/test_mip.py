"""The MIP backend (Pyomo + HiGHS): proven optima equal CP-SAT's, every objective, pins, bounds."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from opsplan.models import check, objective_value
from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop.build import classic, from_routes, random_jobshop
from opsplan.models.jobshop.scenario import Objective, SetupMatrix
from opsplan.models.schedule import Assignment
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
