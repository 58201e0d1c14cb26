"""Hypothesis strategies for small random scenarios (shared by the solver property tests)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st
from opsplan.models.core import Calendar, Window
from opsplan.models.jobshop.build import from_routes
from opsplan.models.jobshop.scenario import Objective, SetupMatrix


@st.composite
def jobshops(draw, max_jobs: int = 4, max_machines: int = 3, max_ops: int = 3, rich: bool = True):
    """A small job shop; with ``rich`` also flexibility, releases, dues, deadlines, calendars, setups, any objective."""
    n_m = draw(st.integers(1, max_machines))
    n_j = draw(st.integers(1, max_jobs))
    dur = st.integers(0 if rich else 1, 9)
    routes = []
    for _ in range(n_j):
        n_ops = draw(st.integers(1, max_ops))
        route = []
        for _ in range(n_ops):
            k = draw(st.integers(1, n_m if rich else 1))
            machines = draw(st.permutations(range(n_m)))[:k]
            route.append([(m, draw(dur)) for m in machines])
        routes.append(route)
    kw = {}
    if rich:
        kw["releases"] = draw(st.lists(st.integers(0, 10), min_size=n_j, max_size=n_j))
        kw["dues"] = draw(st.lists(st.one_of(st.none(), st.integers(0, 40)), min_size=n_j, max_size=n_j))
        kw["weights"] = draw(st.lists(st.integers(0, 5), min_size=n_j, max_size=n_j))
        kw["objective"] = draw(st.sampled_from(list(Objective)))
    sc = from_routes("prop", routes, n_m, **kw)
    if rich:
        machines = list(sc.machines)
        for i in range(n_m):
            if draw(st.booleans()):
                s = draw(st.integers(0, 20))
                machines[i] = replace(machines[i], calendar=Calendar((Window(s, s + draw(st.integers(1, 8)), "pm"),)))
        setups = ()
        if draw(st.booleans()):
            jobs = tuple(j.id for j in sc.jobs)
            matrix = tuple(
                tuple(0 if a == b else draw(st.integers(0, 4)) for b in range(n_j)) for a in range(n_j)
            )
            setups = (SetupMatrix("M0", jobs, matrix),)
        sc = replace(sc, machines=tuple(machines), setups=setups)
        if draw(st.integers(0, 3)) == 0:  # now and then hard deadlines (valid: never before release + route)
            jobs = []
            for job in sc.jobs:
                least = job.release + sum(op.min_duration for op in job.operations)
                deadline = draw(st.one_of(st.none(), st.integers(least, least + 30)))
                jobs.append(replace(job, deadline=deadline))
            sc = replace(sc, jobs=tuple(jobs))
    return sc
