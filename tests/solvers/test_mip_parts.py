"""The kind-neutral MIP pieces (:mod:`opsplan.solvers.mip.parts`) build a solvable model on their own,
without any scenario kind: a made-up problem solved by HiGHS to its known optimum."""

from __future__ import annotations

import pytest
from opsplan.models.schedule import Assignment, Category

pytest.importorskip("pyomo")
pytest.importorskip("highspy")


def _setup(resource, a, b):  # noqa: ANN001, ANN202
    return 2 if (resource, a.task, b.task) == ("R", "a", "b") else 0


def _solve(pinned=(), earliest=None):  # noqa: ANN001, ANN202
    """Task a (3 on R) then, a lag of 1 later, task b (4 on R or 8 on S); R runs one task at a time,
    is closed over [2, 5) and needs a setup of 2 from a to b. a cannot fit before the window, so it
    runs 5-8; b on R must wait for the setup (10-14), on S only for the lag (9-17): makespan 14."""
    import pyomo.core as pyo
    from opsplan.solvers.mip import highs_run, parts

    m = pyo.ConcreteModel()
    tasks = parts.add_tasks(m, [("a", "g", [("R", 3)], (0, 20)), ("b", "g", [("R", 4), ("S", 8)], (0, 20))])
    parts.choose_one_mode(m, tasks.values())
    parts.precedence(m, tasks["a"], tasks["b"], lag=1)
    ur = parts.unary_resources(m, tasks.values(), [("R", [(2, 5)]), ("S", [])], _setup)
    why = parts.add_pins(tasks, pinned)
    parts.add_earliest(m, tasks, earliest or {})
    parts.minimize_makespan(m, [tv.end() for tv in tasks.values()], 20)

    lp = highs_run.to_lp(m)
    out = highs_run.run(lp, highs_run.RunConfig(time_limit=10, threads=1))

    def val(v):  # noqa: ANN001, ANN202
        return pyo.value(v) if v.fixed else out.x[lp.index[id(v)]]

    work = {a.task: a for a in parts.read_work(tasks, val)} if out.x is not None else {}
    return out, work, ur, why, m, tasks


def test_parts_alone_reach_the_optimum():
    out, work, ur, why, m, _ = _solve()
    assert out.objective == pytest.approx(14)
    assert (work["a"].resource, work["a"].start, work["a"].end) == ("R", 5, 8)
    assert (work["b"].resource, work["b"].start, work["b"].end) == ("R", 10, 14)
    assert why == "" and len(ur.pairs) == 1 and len(ur.blocks) == 2 and ur.big_m > 0
    assert len(m.x) == 2 and len(m.y) == 1 and len(m.w) == 2


def test_parts_pins_and_earliest():
    out, work, *_ = _solve(pinned=[Assignment("b", "S", 9, 17, Category.WORK)])
    assert out.objective == pytest.approx(17) and (work["b"].resource, work["b"].start) == ("S", 9)
    out, work, *_ = _solve(earliest={"a": 6})
    assert out.objective == pytest.approx(15) and work["a"].start == 6 and work["b"].start == 11
    _, _, _, why, *_ = _solve(pinned=[Assignment("a", "S", 0, 3, Category.WORK)])
    assert why == "task a is pinned to S, which it cannot use"


def test_parts_values_of_a_schedule_are_feasible():
    """The optimal schedule turned back into a complete vector of the model's variables is feasible."""
    from opsplan.models.schedule import Schedule
    from opsplan.solvers.mip import highs_run, parts
    from pyomo.common.collections import ComponentMap

    out, work, ur, _, m, tasks = _solve()
    vals = ComponentMap()
    start, dur = parts.task_values(tasks, Schedule(tuple(work.values())), vals)
    parts.order_values(m.y, ur.pairs, start, _setup, vals)
    parts.window_values(m.w, ur.blocks, start, vals)
    vals[m.obj_var] = max(start[t] + dur[t] for t in start)
    lp = highs_run.to_lp(m)
    x = lp.vector(vals)
    assert x is not None and lp.is_feasible(x) and lp.objective(x) == pytest.approx(out.objective)
