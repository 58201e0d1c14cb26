"""The Issues panel writes the times of an infeasibility explanation as dates, like the rest of the board."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.issues_panel import IssuesPanel
from opsplan.solvers import Params, solve


@pytest.fixture
def panel(qtbot, plan):
    p = IssuesPanel(plan)
    qtbot.addWidget(p)
    p.resize(1600, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


def _conflict_texts(panel) -> dict[str, str]:  # noqa: ANN001
    """Each conflict row's raw "where" and the text it shows (the tooltip says the same)."""
    out = {}
    for i, (kind, _where, text) in enumerate(panel.rows()):
        if kind == "conflict":
            assert text in panel.item(i).toolTip(2)
            out[panel.raw_where(i)] = text
    return out


def test_release_deadline_and_window_of_an_infeasible_job_read_as_dates(panel, plan):
    """Rye loaves (ORD-2604) released at 02:10 and due at 05:25 must run back to back, so their bake
    falls in oven A's maintenance 03:30-04:30: the three constraints are listed with dates."""
    sc = plan.scenario
    i = [j.id for j in sc.jobs].index("ORD-2604")
    job = replace(sc.jobs[i], release=250, deadline=445)  # 250 + its shortest route 195 = 445
    plan.set_scenario(replace(sc, jobs=(*sc.jobs[:i], job, *sc.jobs[i + 1:])), "Rye in the burner inspection")
    result = solve(plan.scenario, "cpsat", Params(time_limit=10, threads=1))
    assert result.status == "infeasible"
    plan.set_conflicts(result.conflicts)

    texts = _conflict_texts(panel)
    assert set(texts) == {f"jobs[{i}].release", f"jobs[{i}].deadline", "machines[4].calendar[0]"}
    assert texts[f"jobs[{i}].release"].endswith("is released at Wed 02 Dec 02:10")
    assert texts[f"jobs[{i}].deadline"].endswith("must end by its deadline Wed 02 Dec 05:25 "
                                                 "(its route needs at least 3 h 15 min)")
    assert texts["machines[4].calendar[0]"].startswith("machine OVA unavailable Wed 02 Dec 03:30–04:30 (")
    # the command line and the files keep reading the plain numbers
    assert {c.message for c in result.conflicts} >= {"machine OVA unavailable 330-390 (planned maintenance: "
                                                     "burner inspection 03:30-04:30)"}


def test_a_bar_pinned_in_a_window_names_both_with_dates(panel, plan, qtbot):
    """Re-optimizing with the rye bake pinned inside oven A's maintenance: the pin and the window, dated."""
    from opsplan.app.gui.solve_panel import SolvePanel

    op = "ORD-2604.bake"
    plan.move_task(op, 340)
    plan.set_pinned([op], True)
    solver = SolvePanel(plan)
    qtbot.addWidget(solver)
    with qtbot.waitSignal(solver.solveFinished, timeout=60000) as blocker:
        assert solver.reoptimize("cpsat", 10, threads=1) is not None
    solver.shutdown()
    assert blocker.args[0].status == "infeasible"

    texts = _conflict_texts(panel)
    assert texts[op] == f"operation {op} is pinned to OVA at Wed 02 Dec 03:40"
    assert texts["machines[4].calendar[0]"].startswith("machine OVA unavailable Wed 02 Dec 03:30–04:30")
