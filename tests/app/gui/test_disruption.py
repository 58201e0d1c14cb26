"""A breakdown rescheduled from the plan board: the past stays, the change limit holds."""

from __future__ import annotations

import pytest
from opsplan.app.gui.disruption import DisruptionDialog
from opsplan.models import check
from opsplan.solvers import Params, solve
from opsplan.solvers.reschedule import count_changes


def test_breakdown_rescheduled_from_the_dialog(plan, qtbot):
    r = solve(plan.scenario, "cpsat", Params(time_limit=5, threads=2))
    plan.add_schedule(r.schedule.renamed("base"))
    old = plan.schedule
    # the busiest machine breaks down a third into the plan
    busiest = max(old.by_resource().items(), key=lambda kv: len(kv[1]))[0]
    at = old.makespan // 3
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    dlg.choose("machine_down")
    dlg.target_box("machine_down").setCurrentText(busiest)
    dlg.field_box("machine_down", "at").setValue(at)
    dlg.field_box("machine_down", "duration").setValue(60)
    dlg.solver.setCurrentText("cpsat")
    dlg.limit_on.setChecked(True)
    dlg.limit.setValue(6)
    dlg.time_limit.setValue(5)
    assert dlg.run()
    qtbot.waitUntil(lambda: dlg.new_name is not None or "no new plan" in dlg.status.text(), timeout=30_000)
    assert dlg.new_name == plan.current_name, dlg.status.text()
    new = plan.schedule
    # the new scenario carries the breakdown; the new plan passes the checker on it
    assert check(plan.scenario, new) == []
    assert all(not (a.start < at + 60 and at < a.end) for a in new.work() if a.resource == busiest)
    # nothing that started before t changed, except an operation the breakdown interrupted
    interrupted = {a.task for a in old.work() if a.resource == busiest and a.start < at < a.end}
    for a in old.work():
        if a.start < at and a.task not in interrupted:
            assert new.by_task()[a.task] == a
    assert all(a.start >= at for a in new.work() if old.by_task()[a.task].start >= at or a.task in interrupted)
    assert count_changes(old, new) <= 6 == dlg._max_changes
    # old and new plan side by side; one undo step removes the re-plan
    assert {"base", dlg.new_name} <= {s.name for s in plan.schedules}
    plan.undo_stack.undo()
    assert plan.current_name == "base" and dlg.new_name not in {s.name for s in plan.schedules}


def test_late_operation_rescheduled_from_the_dialog(plan, qtbot):
    old = plan.schedule
    late = min(old.work(), key=lambda a: (a.start, a.task))
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    dlg.choose("operation_late")
    dlg.target_box("operation_late").setCurrentText(late.task)
    dlg.field_box("operation_late", "delay").setValue(45)
    dlg.solver.setCurrentText("dispatch:mwkr")
    assert not dlg.limit_on.isEnabled()  # a rule cannot honour a change budget
    assert dlg.run()
    qtbot.waitUntil(lambda: dlg.new_name is not None or "no new plan" in dlg.status.text(), timeout=30_000)
    new = plan.schedule
    assert dlg.new_name == plan.current_name, dlg.status.text()
    assert new.by_task()[late.task].start >= late.start + 45
    assert check(plan.scenario, new) == []


def _breakdown_dialog(plan, qtbot, solver="cpsat", time_limit=5.0):
    """A dialog on the busiest machine, breaking down a third into the plan for 60."""
    old = plan.schedule
    busiest = max(old.by_resource().items(), key=lambda kv: len(kv[1]))[0]
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    dlg.target_box("machine_down").setCurrentText(busiest)
    dlg.field_box("machine_down", "at").setValue(old.makespan // 3)
    dlg.field_box("machine_down", "duration").setValue(60)
    dlg.solver.setCurrentText(solver)
    dlg.time_limit.setValue(time_limit)
    return dlg, busiest, old.makespan // 3


@pytest.mark.parametrize("how", ["cancel-button", "esc"])
def test_cancel_leaves_the_document_alone(plan, qtbot, how):
    # a long solve, stopped by the planner: no new plan, no new scenario, no undo step
    names, scenario, steps = [s.name for s in plan.schedules], plan.scenario, plan.undo_stack.count()
    dlg, _, _ = _breakdown_dialog(plan, qtbot, time_limit=600)
    assert dlg.run()
    (dlg.buttons.rejected.emit if how == "cancel-button" else dlg.reject)()
    assert dlg.worker.is_cancelled()  # Esc stops the solve too, not only the button
    qtbot.waitUntil(lambda: not dlg.worker.is_running(), timeout=10_000)
    qtbot.wait(50)  # the finished signal is delivered
    assert [s.name for s in plan.schedules] == names
    assert plan.scenario is scenario and plan.undo_stack.count() == steps and plan.current_name == "mwkr"
    assert dlg.new_name is None


def test_pins_kept_on_the_new_plan_and_released_where_the_breakdown_hits(plan, qtbot):
    from opsplan.models.jobshop import edit

    dlg, busiest, at = _breakdown_dialog(plan, qtbot)
    old = plan.schedule
    hit = [a for a in old.work() if a.resource == busiest and a.start < at + 60 and at < a.end]
    assert hit, "the breakdown must hit a bar for this test"
    # bars after the breakdown on other machines, and one bar the breakdown hits
    later = [a for a in old.work() if a.resource != busiest and a.start >= at + 60][:3]
    assert len(later) == 3
    plan.set_pinned([a.task for a in later] + [hit[0].task], True)
    assert dlg.run()
    qtbot.waitUntil(lambda: dlg.new_name is not None or "no new plan" in dlg.status.text(), timeout=30_000)
    assert dlg.new_name == plan.current_name, dlg.status.text()
    new = plan.schedule
    assert check(plan.scenario, new) == []
    for a in later:  # kept exactly, and still pinned on the new plan
        assert new.by_task()[a.task] == a
    assert edit.pinned_tasks(new) == {a.task for a in later}
    assert dlg.released == (hit[0].task,) and hit[0].task in dlg.status.text()


def test_solver_that_cannot_keep_pins_is_refused(plan, qtbot):
    dlg, _, at = _breakdown_dialog(plan, qtbot, solver="cpsat-textbook")
    assert dlg.solver.currentText() == "cpsat-textbook"
    later = [a.task for a in plan.schedule.work() if a.start > at + 60][:2]
    plan.set_pinned(later, True)
    assert not dlg.run()
    assert "cannot keep the 2 pinned" in dlg.status.text() and dlg.worker is None


def test_a_late_operation_releases_the_pin_of_its_route_successor_it_makes_impossible():
    """A late by 3 cannot end before B's pin at 5: that pin is released and named (it was kept,
    and the re-plan failed with 'no new plan')."""
    from opsplan.app.gui.kinds.jobshop import usable_pins
    from opsplan.models.core import Calendar, Resource
    from opsplan.models.jobshop.disruptions import OperationLate
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation
    from opsplan.models.schedule import Assignment, Schedule
    from opsplan.solvers.reschedule import prepare

    sc = JobShopScenario("late", (Resource("M1", calendar=Calendar()), Resource("M2", calendar=Calendar())),
                         (Job("J1", (Operation("A", (Mode("M1", 5),)), Operation("B", (Mode("M2", 5),)))),))
    plan = Schedule((Assignment("A", "M1", 0, 5), Assignment("B", "M2", 5, 10)), name="p")
    pins = (plan.by_task()["B"],)
    kept, released = usable_pins(prepare(sc, plan, [OperationLate("A", 3)]), pins)
    assert kept == () and released == ["B"]
    kept, released = usable_pins(prepare(sc, plan, [OperationLate("A", 0 + 1)]), (Assignment("B", "M2", 7, 12),))
    assert released == [] and len(kept) == 1  # A ends at 6 at the earliest: a pin at 7 still holds
