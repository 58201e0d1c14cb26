"""Property tests: the MIP backend proves the same optima as CP-SAT, and its schedules pass the checker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opsplan.models import check, objective_value
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.build import from_routes
from opsplan.models.jobshop.scenario import Objective
from opsplan.solvers import Params, solve

from tests.solvers.strategies import jobshops

pytest.importorskip("pyomo")
pytest.importorskip("highspy")

P = Params(time_limit=10, threads=1, seed=1)


@st.composite
def single_machines(draw, max_jobs: int = 6):
    """A single-machine tardiness instance: durations, dues, weights; sometimes releases, another objective."""
    n = draw(st.integers(1, max_jobs))
    p = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    total = sum(p)
    dues = draw(st.lists(st.integers(0, total + 5), min_size=n, max_size=n))
    weights = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    releases = draw(st.one_of(st.none(), st.lists(st.integers(0, total), min_size=n, max_size=n)))
    objective = draw(st.sampled_from([Objective.TOTAL_WEIGHTED_TARDINESS] * 3 + list(Objective)))
    return from_routes("smwt", [[[(0, d)]] for d in p], 1, releases=releases, dues=dues, weights=weights,
                       objective=objective)


def _agree(sc, options=None):
    r = solve(sc, "mip", Params(time_limit=10, threads=1, seed=1, options=options or {}))
    if r.schedule is not None:
        assert check(sc, r.schedule) == [], r
        assert r.objective == objective_value(sc, r.schedule)
    c = solve(sc, "cpsat", P)
    if r.termination.value == "infeasible" or c.termination.value == "infeasible":
        assert r.termination == c.termination, (r, c)
        return r
    assume(r.status == "optimal" and c.status == "optimal")  # tiny sizes: both always prove
    assert r.objective == c.objective, (r, c)
    assert r.bound == r.objective
    return r


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=jobshops(max_jobs=3, max_machines=3, max_ops=3))
def test_jobshop_optimum_equals_cpsat(sc):
    """Random small shops with every feature (flexible, releases, calendars, setups, deadlines)."""
    r = _agree(sc)
    assert r.stats["formulation"] in ("disjunctive", "positional", "time-indexed")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=single_machines(), form=st.sampled_from([None, "disjunctive", "positional", "time-indexed"]))
def test_single_machine_optimum_equals_cpsat(sc, form):
    """Random single-machine instances: every formulation (and the automatic choice) proves CP-SAT's optimum.

    Zero-length jobs take no machine time and may sit inside another job's run, which positions
    cannot express: then the single-machine formulations are refused and the choice is disjunctive.
    """
    zero = any(op.modes[0].duration == 0 for job in sc.jobs for op in job.operations)
    if zero and form in ("positional", "time-indexed"):
        with pytest.raises(SolverError, match="zero duration"):
            solve(sc, "mip", Params(time_limit=10, threads=1, options={"formulation": form}))
        return
    r = _agree(sc, {} if form is None else {"formulation": form})
    if form is not None:
        assert r.stats["formulation"] == form and form in r.message
    else:
        assert r.stats["formulation"] == ("disjunctive" if zero else "positional")
