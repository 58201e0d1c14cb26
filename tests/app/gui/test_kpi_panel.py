"""KPI panel and compare panel: follow the plan, highlight the best, count differences."""

from __future__ import annotations

from opsplan.app.gui.kpi_panel import ComparePanel, KpiPanel, schedule_diff
from opsplan.solvers import Params, solve


def _add_spt(plan):
    r = solve(plan.scenario, "dispatch:spt", Params())
    return plan.add_schedule(r.schedule.renamed("spt"), make_current=False)


def test_kpi_panel_shows_and_follows_the_current_schedule(qtbot, plan):
    panel = KpiPanel(plan)
    qtbot.addWidget(panel)
    k = plan.kpis()
    assert panel.values()["makespan"] == k["makespan"] == plan.schedule.makespan
    # a duration in the board's words: the sample's 560 minutes read "9 h 20 min"
    h, m = divmod(k["makespan"], 60)
    assert panel.value("makespan") == f"{h} h {m} min" if m else f"{h} h"
    assert panel.value("violations") == "0"
    assert len(panel.utilization_rows()) == len(plan.scenario.machines)
    assert dict(panel.utilization_rows()) == k["utilization"]

    last = max(plan.schedule.work(), key=lambda a: a.end)
    plan.move_task(last.task, last.start + 1000)
    assert panel.values()["makespan"] == plan.kpis()["makespan"] == k["makespan"] + 1000
    assert panel.values()["makespan"] == k["makespan"] + 1000
    assert panel.value("makespan") == "1 d 2 h"  # 1560 minutes
    plan.undo_stack.undo()
    assert panel.values()["makespan"] == k["makespan"]

    name = _add_spt(plan)
    plan.set_current(name)
    assert panel.values()["makespan"] == plan.kpis()["makespan"]
    assert name in panel.title.text()


def test_compare_panel_columns_best_and_diff(qtbot, plan):
    panel = ComparePanel(plan)
    qtbot.addWidget(panel)
    assert panel.column_names() == ["mwkr"]
    name = _add_spt(plan)
    assert panel.column_names() == ["mwkr", name]

    objective = {s.name: plan.kpis(s)["objective_value"] for s in plan.schedules}
    best = min(objective.values())
    assert panel.best_columns("objective_value") == [n for n, v in objective.items() if v == best]
    for n in panel.column_names():
        assert panel.is_highlighted("objective_value", n) == (objective[n] == best)
    makespans = {s.name: s.makespan for s in plan.schedules}
    low = min(makespans, key=makespans.get)
    assert panel.is_highlighted("makespan", low)

    with qtbot.waitSignal(panel.compareRequested, timeout=1000) as blocker:
        panel.set_compare(name)
    assert blocker.args == [name] and panel.compare_name() == name
    a, b = plan.schedule.by_task(), plan.doc.schedule(name).by_task()
    differ = {t for t in a.keys() | b.keys()
              if t not in a or t not in b or (a[t].resource, a[t].start) != (b[t].resource, b[t].start)}
    assert panel.diff_count() == len(differ) == len(schedule_diff(plan.schedule, plan.doc.schedule(name)))
    assert set(panel.diff()) == differ
    assert str(len(differ)) in panel.diff_label.text()
    assert panel.cell_text("changes", name) == str(len(differ))
    assert panel.cell_text("changes", "mwkr") == "0"

    # a move of the current schedule updates the diff; making the compared one current clears it
    t = plan.schedule.work()[0]
    plan.move_task(t.task, t.start + 5000)
    assert panel.compare_name() == name and t.task in panel.diff()
    with qtbot.waitSignal(panel.compareRequested, timeout=1000) as blocker:
        plan.set_current(name)
    assert blocker.args == [None] and panel.compare_name() is None and panel.diff_count() == 0

    with qtbot.waitSignal(panel.compareRequested, timeout=1000) as blocker:
        panel.set_compare("mwkr")
    assert blocker.args == ["mwkr"]
    with qtbot.waitSignal(panel.compareRequested, timeout=1000) as blocker:
        panel.set_compare(None)
    assert blocker.args == [None]


def test_compare_panel_double_click_makes_current(qtbot, plan):
    panel = ComparePanel(plan)
    qtbot.addWidget(panel)
    name = _add_spt(plan)
    panel.table.horizontalHeader().sectionDoubleClicked.emit(panel.column_names().index(name))
    assert plan.current_name == name


def _panel_and_gantt(qtbot, plan):
    """A Compare panel driving a Gantt's comparison, as in the main window."""
    from opsplan.app.gui.gantt import GanttView

    gantt = GanttView(plan)
    qtbot.addWidget(gantt)
    panel = ComparePanel(plan)
    qtbot.addWidget(panel)
    panel.compareRequested.connect(gantt.set_compare_with)
    return panel, gantt


def test_compare_panel_and_gantt_agree_on_what_was_added(qtbot, plan):
    from dataclasses import replace

    panel, gantt = _panel_and_gantt(qtbot, plan)
    full = plan.schedule
    dropped = full.work()[0].task
    partial = replace(full, name="partial", assignments=tuple(a for a in full.assignments if a.task != dropped))
    plan.add_schedule(partial)
    plan.set_current("mwkr")
    panel.set_compare("partial")
    # the current plan has the operation the compared one lacks: "added" in both views
    assert panel.diff() == {dropped: "added"} == gantt._compare_diff


def test_renaming_the_compared_plan_keeps_the_comparison_and_undo_brings_the_name_back(qtbot, plan):
    panel, gantt = _panel_and_gantt(qtbot, plan)
    other = _add_spt(plan)
    plan.set_current("mwkr")
    panel.set_compare(other)
    assert gantt.compare_with() == other and panel.diff_count() > 0
    n = panel.diff_count()
    plan.rename_schedule(other, "night shift")
    assert gantt.compare_with() == "night shift" == panel.compare_name() and panel.diff_count() == n
    plan.undo_stack.undo()
    assert gantt.compare_with() == other == panel.compare_name() and panel.diff_count() == n
    plan.undo_stack.redo()
    assert gantt.compare_with() == "night shift" == panel.compare_name()
