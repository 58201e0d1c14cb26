"""PlanDocument: edits are undoable commands that swap immutable snapshots."""

from __future__ import annotations

from opsplan.app.gui.document import PlanDocument
from opsplan.models.io import document as io
from opsplan.models.jobshop import edit


def test_move_is_undoable_and_checker_follows(plan):
    s0 = plan.schedule
    a = s0.work()[0]
    seen = []
    plan.changed.connect(lambda: seen.append(1))
    plan.move_task(a.task, a.start + 1000)
    assert plan.schedule.by_task()[a.task].start == a.start + 1000
    assert plan.dirty and plan.undo_stack.undoText().startswith(f"Move {a.task}")
    plan.undo_stack.undo()
    assert plan.schedule is s0 and not plan.dirty and len(seen) == 2


def test_pin_compact_keeps_pins(plan):
    s0 = plan.schedule
    victim = max(s0.work(), key=lambda a: a.end)
    plan.move_task(victim.task, victim.start + 500)
    plan.set_pinned([victim.task], True)
    assert plan.pinned() == {victim.task}
    plan.compact()
    assert plan.schedule.by_task()[victim.task].start == victim.start + 500
    plan.set_pinned([victim.task], False)
    plan.compact()
    assert plan.schedule.by_task()[victim.task].start <= victim.start
    assert plan.violations() == []


def test_schedules_add_rename_remove_save_roundtrip(plan, tmp_path):
    name = plan.add_schedule(plan.schedule)
    assert name == "mwkr (2)" and plan.current_name == name
    plan.rename_schedule(name, "copy")
    assert plan.current_name == "copy"
    plan.remove_schedule("copy")
    assert plan.current_name == "mwkr"
    path = plan.save(tmp_path / "p.json")
    assert not plan.dirty
    again = PlanDocument.open(path)
    assert io.documents_equal(again.doc, plan.doc)


def test_pins_travel_in_the_file(plan, tmp_path):
    t = plan.schedule.work()[0].task
    plan.set_pinned([t], True)
    plan.save(tmp_path / "p.json")
    again = PlanDocument.open(tmp_path / "p.json")
    again.set_current("mwkr")
    assert edit.pinned_tasks(again.schedule) == {t}


def test_an_edit_that_changes_nothing_adds_no_undo_step_and_leaves_the_plan_saved(plan):
    task = plan.schedule.work()[0].task
    plan.set_pinned([task], True)
    plan.compact()
    steps = plan.undo_stack.count()
    plan.undo_stack.setClean()
    plan.set_pinned([task], True)  # already pinned
    assert plan.undo_stack.count() == steps
    plan.compact()  # compact of a compacted plan
    assert plan.undo_stack.count() == steps
    plan.set_scenario(plan.scenario, "Edit nothing")
    assert plan.undo_stack.count() == steps and not plan.dirty
