"""A proved bound never goes down in what solve() reports, whatever phases a solver chains."""

from __future__ import annotations

from opsplan.models.jobshop.build import random_jobshop
from opsplan.solvers import Params, _bound_kept, solve
from opsplan.solvers.result import Progress


def test_a_reported_bound_never_goes_down_and_objectives_pass_as_they_are():
    seen = []
    report = _bound_kept(seen.append)
    for obj, bound in ((100, 80), (95, None), (90, 60), (97, 85), (88, 70)):
        report(Progress(obj, bound, 0.0, "x"))
    assert [p.bound for p in seen] == [80, None, 80, 85, 85]  # 60 and 70 came after 80/85 were proved
    assert [p.objective for p in seen] == [100, 95, 90, 97, 88]  # a race member's own curve is kept
    assert _bound_kept(None) is None


def test_cpsat_progress_bounds_are_monotone_through_its_phases():
    """cpsat starts with a tabu search (a simple lower bound) and goes on with CP-SAT, whose search
    began from a weaker bound: swv11 reported 2983, then 1104, before this."""
    sc = random_jobshop(15, 10, seed=3)
    seen: list[Progress] = []
    solve(sc, "cpsat", Params(time_limit=2.0, threads=1, seed=0), on_progress=seen.append)
    bounds = [p.bound for p in seen if p.bound is not None]
    assert bounds and bounds == sorted(bounds)
