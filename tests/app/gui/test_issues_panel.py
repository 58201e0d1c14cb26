"""The issues panel: scenario issues lead to the editor, plan violations select their tasks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.editor import ScenarioEditor
from opsplan.app.gui.issues_panel import IssuesPanel
from PySide6.QtCore import Qt


@pytest.fixture
def panels(qtbot, plan):
    editor = ScenarioEditor(plan)
    panel = IssuesPanel(plan, editor)
    qtbot.addWidget(editor)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return editor, panel


def _click(qtbot, panel, row):
    item = panel.item(row)
    panel.tree.scrollToItem(item)
    rect = panel.tree.visualItemRect(item)
    assert rect.isValid()
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_clean_plan_says_so(panels, plan):
    _, panel = panels
    assert panel.count() == 0
    assert panel.summary_text() == "No problems in the scenario, no violations in plan 'mwkr'"


def test_an_issue_is_listed_and_leads_to_its_row(panels, plan, qtbot):
    editor, panel = panels
    sc = plan.scenario
    job = sc.jobs[3]
    op = job.operations[1]
    op = replace(op, modes=(replace(op.modes[0], duration=-5),) + op.modes[1:])
    jobs = sc.jobs[:3] + (replace(job, operations=(job.operations[0], op) + job.operations[2:]),) + sc.jobs[4:]
    plan.set_scenario(replace(sc, jobs=jobs), "Break a duration")
    path = "jobs[3].operations[1].modes[0].duration"
    row = panel.find_row("error", path)
    assert row == 0 and "negative duration -5" in panel.rows()[0][2]
    assert panel.summary_text().startswith("1 problem in the scenario")

    editor.show_table("machines")
    with qtbot.waitSignal(panel.issueActivated) as blocker:
        _click(qtbot, panel, row)
    assert blocker.args == [path]
    assert editor.current_table() == "operations"
    assert editor.model("operations").parent_row == 3 and editor.current_row("operations") == 1

    plan.undo_stack.undo()
    assert panel.count() == 0


def test_a_deadline_issue_leads_to_the_deadline_cell(panels, plan):
    """An issue on jobs[i].deadline selects the Deadline cell and tints only it, as for release and due."""
    editor, panel = panels
    sc = plan.scenario
    plan.set_scenario(replace(sc, jobs=sc.jobs[:3] + (replace(sc.jobs[3], deadline=5),) + sc.jobs[4:]),
                      "Deadline before the route can end")
    row = panel.find_row("error", "jobs[3].deadline")
    assert row >= 0
    editor.show_table("machines")
    panel.activate_row(row)
    m = editor.model("jobs")
    idx = editor.view("jobs").currentIndex()
    assert editor.current_table() == "jobs" and idx.row() == 3
    assert m.spec.columns[idx.column()].key == "deadline"
    assert [c.key for c in m.spec.columns if m.issues_at(3, c.key)] == ["deadline"]


def test_a_window_issue_selects_the_window_row(panels, plan):
    editor, panel = panels
    sc = plan.scenario
    i = [m.id for m in sc.machines].index("OVA")
    m = sc.machines[i]
    w = m.calendar.windows[0]
    bad = replace(m, calendar=replace(m.calendar, windows=(replace(w, end=w.start),)))
    plan.set_scenario(replace(sc, machines=sc.machines[:i] + (bad,) + sc.machines[i + 1:]), "Break a window")
    row = panel.find_row("error", f"machines[{i}].calendar[0]")
    assert row >= 0
    panel.activate_row(row)
    assert editor.current_table() == "windows"
    wm = editor.model("windows")
    assert wm.data(wm.index(editor.current_row("windows"), 0)) == "OVA"


def test_a_violation_selects_its_tasks(panels, plan, qtbot):
    _, panel = panels
    s = plan.schedule
    a = s.work()[0]
    plan.move_task(a.task, a.start + 1000)  # breaks the route order of its job at least
    assert panel.count() >= 1 and panel.find_row("error") == -1
    row = panel.find_row("route_order")
    assert row >= 0
    assert "violation" in panel.summary_text() and "plan 'mwkr'" in panel.summary_text()
    with qtbot.waitSignal(panel.violationActivated) as blocker:
        _click(qtbot, panel, row)
    tasks = blocker.args[0]
    assert a.task in tasks and set(tasks) <= set(s.by_task())
    assert plan.selection == tasks
    plan.undo_stack.undo()
    assert panel.count() == 0


def test_panel_follows_the_current_schedule(panels, plan):
    _, panel = panels
    s = plan.schedule
    a = s.work()[0]
    moved = plan.adapter.move(plan.scenario, s, a.task, a.start + 1000, None)
    name = plan.add_schedule(moved.renamed("moved"))
    assert panel.count() >= 1 and f"plan '{name}'" in panel.summary_text()
    plan.set_current("mwkr")
    assert panel.count() == 0


def test_an_infeasible_solve_lists_its_conflicts_and_they_lead_to_the_objects(panels, plan, qtbot):
    """Two jobs' deadlines that cannot both hold: named by the solve, listed, selectable; an edit clears them."""
    from opsplan.app.gui.solve_panel import SolvePanel

    editor, panel = panels
    sc = plan.scenario
    # J0 and J1 start on their first machines; deadlines at their shortest route force both to start at
    # their release, and a window on J1's first machine over that moment makes J1 alone impossible
    j0, j1 = sc.jobs[0], sc.jobs[1]
    first = j0.operations[0].modes[0].resource
    op1 = replace(j1.operations[0], modes=(replace(j1.operations[0].modes[0], resource=first),))
    j1 = replace(j1, operations=(op1, *j1.operations[1:]))
    need0 = sum(op.min_duration for op in j0.operations)
    need1 = sum(op.min_duration for op in j1.operations)
    j0 = replace(j0, deadline=j0.release + need0)
    j1 = replace(j1, deadline=j1.release + need1, release=j0.release)
    j0 = replace(j0, release=j1.release)
    plan.set_scenario(replace(sc, jobs=(j0, j1, *sc.jobs[2:])), "Tight deadlines")
    assert panel.count() == 0 or all(r[0] != "error" for r in panel.rows())

    solver = SolvePanel(plan)
    qtbot.addWidget(solver)
    with qtbot.waitSignal(solver.solveFinished, timeout=60000) as blocker:
        assert solver.solve("cpsat", time_limit=10, threads=2) is not None
    result = blocker.args[0]
    solver.shutdown()
    assert result.status == "infeasible" and result.conflicts
    assert "conflicting constraint" in solver.status_text() and "Issues panel" in solver.status_text()
    paths = {c.path for c in result.conflicts}
    assert {"jobs[0].deadline", "jobs[1].deadline"} <= paths | {"jobs[0].release", "jobs[1].release"}
    rows = [r for r in panel.rows() if r[0] == "conflict"]
    assert len(rows) == len(result.conflicts)
    assert "infeasible" in panel.summary_text() and "cannot all hold" in panel.summary_text()

    row = panel.find_row("conflict", "jobs[1].deadline")
    assert row >= 0
    editor.show_table("machines")
    with qtbot.waitSignal(panel.conflictActivated) as blocker:
        _click(qtbot, panel, row)
    assert blocker.args == ["jobs[1].deadline", [j1.id]]
    assert editor.current_table() == "jobs" and editor.current_row("jobs") == 1
    assert set(plan.selection) == {op.id for op in j1.operations}

    plan.set_scenario(replace(plan.scenario, jobs=(replace(j0, deadline=None), *plan.scenario.jobs[1:])),
                      "Drop a deadline")
    assert all(r[0] != "conflict" for r in panel.rows())


def test_conflicts_naming_a_pin_go_away_with_the_pin(panels, plan, qtbot):
    """A re-optimize made infeasible by a pin lists its conflicts only while that pin holds (Unpin, other plan)."""
    from opsplan.app.gui.solve_panel import SolvePanel

    _, panel = panels
    job = next(j for j in plan.scenario.jobs if j.release > 0)
    op = job.operations[0].id
    plan.move_task(op, 0)  # before the job's release
    plan.set_pinned([op], True)  # and pinned there
    pinned_plan = plan.current_name
    solver = SolvePanel(plan)
    qtbot.addWidget(solver)
    with qtbot.waitSignal(solver.solveFinished, timeout=60000) as blocker:
        assert solver.reoptimize("cpsat", 20, threads=1) is not None
    solver.shutdown()
    result = blocker.args[0]
    assert result.status == "infeasible" and any(c.code == "pin" for c in result.conflicts)
    assert len(plan.conflicts) == len(result.conflicts)
    assert panel.find_row("conflict", op) >= 0 and "infeasible" in panel.summary_text()

    plan.set_pinned([op], False)
    assert plan.conflicts == ()
    assert panel.find_row("conflict") < 0 and "infeasible" not in panel.summary_text()
    plan.undo_stack.undo()  # pinned again: the explanation holds again
    assert panel.find_row("conflict", op) >= 0

    other = plan.add_schedule(plan.schedule.renamed("unpinned"), make_current=False)
    plan.set_current(other)
    plan.set_pinned([op], False)
    assert panel.find_row("conflict") < 0 and "infeasible" not in panel.summary_text()
    plan.set_current(pinned_plan)
    assert panel.find_row("conflict", op) >= 0


def test_conflicts_of_a_solve_without_pins_stay_when_pins_change(panels, plan):
    """Conflicts a solve named without keeping pins concern the scenario alone: pinning does not hide them."""
    from opsplan.solvers import Conflict

    _, panel = panels
    conflicts = (Conflict("release", "released too late", ("J",), "jobs[0].release"),
                 Conflict("deadline", "due too early", ("J",), "jobs[0].deadline"))
    plan.set_conflicts(conflicts, plan.scenario)
    plan.set_pinned([plan.schedule.work()[0].task], True)
    assert plan.conflicts == conflicts and panel.find_row("conflict", "jobs[0].release") >= 0
