"""The scenario editor: validated cell edits and row edits, each one undoable command."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.editor import ScenarioEditor
from opsplan.app.gui.editor_spec import parse_path
from opsplan.app.gui.kinds import bundle_for
from opsplan.app.gui.timeaxis import Clock
from opsplan.models.core import Window
from PySide6.QtCore import Qt


@pytest.fixture
def editor(qtbot, plan):
    w = ScenarioEditor(plan)
    qtbot.addWidget(w)
    return w


def _col(editor, key, column):
    return [c.key for c in editor.model(key).spec.columns].index(column)


def _set(editor, key, row, column, text):
    m = editor.model(key)
    return m.setData(m.index(row, _col(editor, key, column)), text, Qt.ItemDataRole.EditRole)


def _cell(editor, key, row, column):
    m = editor.model(key)
    return m.data(m.index(row, _col(editor, key, column)))


def test_tables_follow_the_spec(editor, plan):
    sc = plan.scenario
    assert editor.table_keys() == ["jobs", "operations", "machines", "windows", "setups"]
    assert editor.model("jobs").rowCount() == len(sc.jobs)
    assert editor.model("machines").rowCount() == len(sc.machines)
    assert editor.model("windows").rowCount() == sum(len(m.calendar.windows) for m in sc.machines)
    assert editor.model("operations").rowCount() == len(sc.jobs[0].operations)
    assert _cell(editor, "operations", 0, "modes") == "MIX1:20, MIX2:20"
    assert bundle_for("jobshop").editor_spec is not None and isinstance(editor.spec, bundle_for("jobshop").editor_spec)
    assert parse_path("jobs[3].operations[1].modes[0].duration") == [
        ("jobs", 3), ("operations", 1), ("modes", 0), ("duration", None)]


def test_edit_deadline_column(editor, plan):
    sc0 = plan.scenario
    job = sc0.jobs[2]
    assert _cell(editor, "jobs", 2, "deadline") == ""
    assert _set(editor, "jobs", 2, "deadline", "99999")
    assert plan.scenario.jobs[2].deadline == 99999
    assert plan.undo_stack.undoText() == f"Edit deadline of job {job.id}"
    assert _cell(editor, "jobs", 2, "deadline") == Clock.of(sc0).time(99999)  # a date: the sample has an epoch
    assert _set(editor, "jobs", 2, "deadline", "")  # empty: no deadline
    assert plan.scenario.jobs[2].deadline is None


def test_edit_due_is_one_undoable_command(editor, plan):
    sc0 = plan.scenario
    job = sc0.jobs[2]
    assert _set(editor, "jobs", 2, "due", "777")
    assert plan.scenario.jobs[2].due == 777
    assert plan.undo_stack.count() == 1 and plan.undo_stack.undoText() == f"Edit due of job {job.id}"
    assert _cell(editor, "jobs", 2, "due") == Clock.of(sc0).time(777)
    assert _set(editor, "jobs", 2, "due", "")  # empty: no due date
    assert plan.scenario.jobs[2].due is None
    plan.undo_stack.undo()
    plan.undo_stack.undo()
    assert plan.scenario is sc0 and _cell(editor, "jobs", 2, "due") == Clock.of(sc0).time(job.due)
    plan.undo_stack.redo()
    assert plan.scenario.jobs[2].due == 777


def test_bad_numbers_are_rejected_without_a_command(editor, plan, qtbot):
    sc0 = plan.scenario
    with qtbot.waitSignal(editor.editRejected) as blocker:
        assert not _set(editor, "jobs", 0, "release", "soon")
    assert "is not a time" in blocker.args[0] and "is not a time" in editor.status_text()
    assert not _set(editor, "jobs", 0, "weight", "-2")
    assert "negative" in editor.status_text()
    assert not _set(editor, "jobs", 0, "id", sc0.jobs[1].id)
    assert "already used" in editor.status_text()
    assert not _set(editor, "machines", 0, "capacity", "0")
    assert not _set(editor, "windows", 0, "end", "10")  # before its start
    # past the largest time a document holds: saved, the file would never open again
    for table, column in (("jobs", "release"), ("jobs", "due"), ("jobs", "deadline"), ("jobs", "weight"),
                          ("windows", "end")):
        assert not _set(editor, table, 0, column, "9999999999"), (table, column)
        assert "at most 2147483647" in editor.status_text()
    assert not _set(editor, "jobs", 0, "release", "9" * 5000)
    assert plan.scenario is sc0 and plan.undo_stack.count() == 0


def test_operation_modes_are_validated(editor, plan):
    sc0 = plan.scenario
    editor.set_parent_row("operations", 1)
    assert editor.model("operations").parent_row == 1
    op = sc0.jobs[1].operations[0]
    for bad, why in (("NOPE:10", "unknown machine 'NOPE'"), ("DIV:-5", "negative"), ("DIV", "machine:duration"),
                     ("DIV:x", "not a duration"), ("DIV:1, DIV:2", "two modes"), ("", "at least one mode")):
        assert not _set(editor, "operations", 0, "modes", bad), bad
        assert why.lower() in editor.status_text().lower(), (bad, editor.status_text())
    assert plan.scenario is sc0 and plan.undo_stack.count() == 0
    assert _set(editor, "operations", 0, "modes", "DIV:30, MIX2:12")
    new = plan.scenario.jobs[1].operations[0]
    assert [(m.resource, m.duration) for m in new.modes] == [("DIV", 30), ("MIX2", 12)]
    assert plan.undo_stack.undoText() == f"Edit modes of operation {op.id}"
    plan.undo_stack.undo()
    assert plan.scenario is sc0


def test_add_duplicate_remove_job_with_unique_ids(editor, plan):
    sc0 = plan.scenario
    n = len(sc0.jobs)
    assert editor.add_row("jobs")
    added = plan.scenario.jobs[-1]
    assert added.id == f"J{n + 1}" and added.id not in sc0.job_index
    assert plan.undo_stack.undoText() == f"Add job {added.id}"
    assert editor.current_row("jobs") == n  # the new row is selected
    assert not plan.issues()

    editor.select_row("jobs", 0)
    assert editor.duplicate_rows("jobs")
    sc = plan.scenario
    copy = sc.jobs[1]
    assert copy.id not in sc0.job_index and copy.id != added.id
    assert [len(j.operations) for j in (sc.jobs[0], copy)] == [len(sc0.jobs[0].operations)] * 2
    assert len({op.id for j in sc.jobs for op in j.operations}) == sc.n_operations
    assert plan.undo_stack.undoText() == f"Duplicate job {sc0.jobs[0].id} as {copy.id}"
    assert editor.current_row("jobs") == 1 and not plan.issues()

    editor.select_row("jobs", 1)
    assert editor.remove_rows("jobs")
    assert plan.scenario.jobs[1].id == sc0.jobs[1].id
    assert plan.undo_stack.undoText() == f"Remove job {copy.id}"
    for _ in range(3):
        plan.undo_stack.undo()
    assert plan.scenario is sc0


def test_removing_a_job_cleans_the_setup_matrix(editor, plan):
    sc0 = plan.scenario
    victim = sc0.setups[0].jobs[0]
    editor.select_row("jobs", [j.id for j in sc0.jobs].index(victim))
    assert editor.remove_rows("jobs")
    s = plan.scenario.setups[0]
    assert victim not in s.jobs and len(s.matrix) == len(s.jobs) == len(sc0.setups[0].jobs) - 1
    assert not plan.issues()


def test_delete_key_removes_the_selected_rows(editor, plan, qtbot):
    n = len(plan.scenario.jobs)
    editor.show_table("jobs")
    editor.select_row("jobs", 3)
    qtbot.keyClick(editor.view("jobs"), Qt.Key.Key_Delete)
    assert len(plan.scenario.jobs) == n - 1 and plan.undo_stack.count() == 1


def test_operations_add_duplicate_remove_within_the_job(editor, plan):
    sc0 = plan.scenario
    editor.set_parent_row("operations", 2)
    job = sc0.jobs[2]
    editor.select_row("operations", 0)
    assert editor.duplicate_rows("operations")
    ops = plan.scenario.jobs[2].operations
    assert len(ops) == len(job.operations) + 1 and ops[1].modes == ops[0].modes and ops[1].id != ops[0].id
    assert editor.add_row("operations")
    assert len(plan.scenario.jobs[2].operations) == len(job.operations) + 2
    assert not plan.issues()
    editor.select_row("operations", 1)
    assert editor.remove_rows("operations")
    assert len(plan.scenario.jobs[2].operations) == len(job.operations) + 1
    assert all(j is j0 for k, (j, j0) in enumerate(zip(plan.scenario.jobs, sc0.jobs)) if k != 2)
    for _ in range(3):
        plan.undo_stack.undo()
    assert plan.scenario is sc0
    assert editor.model("operations").parent_row == 2  # the job stays chosen through undo


def test_add_duplicate_remove_machine_and_used_machine_is_refused(editor, plan):
    sc0 = plan.scenario
    n = len(sc0.machines)
    assert editor.add_row("machines")
    assert plan.scenario.machines[-1].id == f"M{n + 1}"
    editor.select_row("machines", [m.id for m in sc0.machines].index("OVA"))
    assert editor.duplicate_rows("machines")
    copy = plan.scenario.machines[[m.id for m in sc0.machines].index("OVA") + 1]
    assert copy.id == f"M{n + 2}" and copy.calendar == sc0.machine_index["OVA"].calendar
    assert editor.remove_rows("machines")  # the copy is selected and unused
    assert [m.id for m in plan.scenario.machines] == [m.id for m in sc0.machines] + [f"M{n + 1}"]
    count = plan.undo_stack.count()

    editor.select_row("machines", 0)  # MIX1 is used by operations
    assert not editor.remove_rows("machines")
    assert "cannot be removed" in editor.status_text() and "MIX1" in editor.status_text()
    assert plan.undo_stack.count() == count
    for _ in range(count):
        plan.undo_stack.undo()
    assert plan.scenario is sc0


def test_renaming_a_machine_updates_modes_setups_and_schedules(editor, plan):
    sc0 = plan.scenario
    used = sum(1 for a in plan.schedule.work() if a.resource == "MIX1")
    assert _set(editor, "machines", 0, "id", "MIXER")
    sc = plan.scenario
    assert "MIX1" not in sc.machine_index and "MIXER" in sc.machine_index
    assert not any(m.resource == "MIX1" for j in sc.jobs for op in j.operations for m in op.modes)
    assert sc.jobs[0].operations[0].mode_on("MIXER") is not None
    assert sc.setups[0].machine == "MIXER"
    assert sum(1 for a in plan.schedule.work() if a.resource == "MIXER") == used
    assert not plan.issues() and plan.violations() == []
    assert plan.undo_stack.undoText() == "Rename machine MIX1 to MIXER"
    plan.undo_stack.undo()
    assert plan.scenario is sc0 and sum(1 for a in plan.schedule.work() if a.resource == "MIX1") == used


def test_ids_with_a_comma_or_colon_are_refused(editor, plan):
    """A machine, operation or job id with ',' or ':' is refused: it would break the modes cell."""
    sc0 = plan.scenario
    editor.set_parent_row("operations", 0)
    for key, noun in (("machines", "machine"), ("operations", "operation"), ("jobs", "job")):
        for bad, shown in (("MIX,1", "','"), ("MIX:1", "':'")):
            assert not _set(editor, key, 0, "id", bad), (key, bad)
            text = editor.status_text().lower()
            assert f"a {noun} id cannot contain {shown}" in text and bad.lower() in text, text
    assert plan.scenario is sc0 and plan.undo_stack.count() == 0
    assert _cell(editor, "operations", 0, "modes") == "MIX1:20, MIX2:20"
    assert _set(editor, "operations", 0, "modes", "MIX1:25, MIX2:20")


def test_modes_stay_editable_for_a_machine_id_with_a_comma_from_a_file(editor, plan):
    """A machine id with a comma that came from a file does not make the modes cell uneditable."""
    sc = plan.scenario
    rn = lambda r: "MIX,1" if r == "MIX1" else r  # noqa: E731
    jobs = tuple(replace(j, operations=tuple(
        replace(op, modes=tuple(replace(md, resource=rn(md.resource)) for md in op.modes)) for op in j.operations))
        for j in sc.jobs)
    machines = tuple(replace(m, id=rn(m.id)) for m in sc.machines)
    setups = tuple(replace(s, machine=rn(s.machine)) for s in sc.setups)
    plan.set_scenario(replace(sc, jobs=jobs, machines=machines, setups=setups), "a file's ids")
    editor.set_parent_row("operations", 0)
    assert _cell(editor, "operations", 0, "modes") == "MIX,1:20, MIX2:20"
    assert _set(editor, "operations", 0, "modes", "MIX,1:25, MIX2:20"), editor.status_text()
    assert [(m.resource, m.duration) for m in plan.scenario.jobs[0].operations[0].modes] == [
        ("MIX,1", 25), ("MIX2", 20)]
    assert _set(editor, "operations", 0, "modes", "MIX2:20, MIX,1:20"), editor.status_text()
    assert [(m.resource, m.duration) for m in plan.scenario.jobs[0].operations[0].modes] == [
        ("MIX2", 20), ("MIX,1", 20)]
    assert not _set(editor, "operations", 0, "modes", "MIX:20")
    assert "unknown machine 'mix'" in editor.status_text().lower()


def test_renaming_a_job_updates_setups(editor, plan):
    old = plan.scenario.jobs[0].id
    assert _set(editor, "jobs", 0, "id", "HOTEL")
    assert "HOTEL" in plan.scenario.setups[0].jobs and old not in plan.scenario.setups[0].jobs
    assert not plan.issues()


def test_calendar_windows(editor, plan):
    sc0 = plan.scenario
    rows = editor.model("windows").rowCount()
    # DIV is the first machine with a window
    assert _cell(editor, "windows", 0, "machine") == "DIV"
    assert _set(editor, "windows", 0, "start", "200")
    assert plan.scenario.machine_index["DIV"].calendar.windows[0] == Window(200, 270, sc0.machine_index[
        "DIV"].calendar.windows[0].reason)
    assert _set(editor, "windows", 0, "machine", "PCK")  # move it
    assert not plan.scenario.machine_index["DIV"].calendar.windows
    assert len(plan.scenario.machine_index["PCK"].calendar.windows) == 2
    assert _cell(editor, "windows", editor.current_row("windows"), "machine") == "PCK"
    assert not _set(editor, "windows", 0, "machine", "NOPE")
    assert editor.add_row("windows") and editor.model("windows").rowCount() == rows + 1
    assert editor.remove_rows("windows") and editor.model("windows").rowCount() == rows
    for _ in range(4):
        plan.undo_stack.undo()
    assert plan.scenario is sc0


def test_select_path(editor, plan):
    sc = plan.scenario
    assert editor.select_path("jobs[4]")
    assert editor.current_table() == "jobs" and editor.current_row("jobs") == 4
    assert editor.select_path("jobs[3].operations[1].modes[0].duration")
    assert editor.current_table() == "operations"
    assert editor.model("operations").parent_row == 3 and editor.current_row("operations") == 1
    assert editor.chooser("operations").currentIndex() == 3
    assert editor.view("operations").currentIndex().column() == _col(editor, "operations", "modes")
    assert editor.select_path("machines[2]") and editor.current_table() == "machines"
    assert editor.current_row("machines") == 2
    ova = [m.id for m in sc.machines].index("OVA")
    assert editor.select_path(f"machines[{ova}].calendar[0]") and editor.current_table() == "windows"
    assert _cell(editor, "windows", editor.current_row("windows"), "machine") == "OVA"
    assert editor.select_path(f"machines[{ova}].calendar.windows[0]")
    assert not editor.select_path("jobs[999]") and not editor.select_path("epoch")


def test_selection_survives_undo_redo(editor, plan):
    editor.select_path("jobs[5].operations[1]")
    editor.select_row("jobs", 5, "weight")
    assert _set(editor, "jobs", 5, "weight", "9")
    plan.undo_stack.undo()
    assert editor.current_row("jobs") == 5 and editor.model("operations").parent_row == 5
    plan.undo_stack.redo()
    assert editor.current_row("jobs") == 5 and _cell(editor, "jobs", 5, "weight") == "9"


def test_invalid_cells_are_marked(editor, plan):
    sc = plan.scenario
    job = sc.jobs[1]
    op = replace(job.operations[0], modes=(replace(job.operations[0].modes[0], duration=-3),))
    bad = replace(sc, jobs=sc.jobs[:1] + (replace(job, operations=(op,) + job.operations[1:]),) + sc.jobs[2:])
    plan.set_scenario(bad, "break it")
    editor.set_parent_row("operations", 1)
    m = editor.model("operations")
    assert m.issues_at(0, "modes") and "negative duration" in m.data(
        m.index(0, _col(editor, "operations", "modes")), Qt.ItemDataRole.ToolTipRole)


def test_removing_a_job_or_an_operation_takes_its_bars_and_pins_out_of_the_plans(editor, plan):
    from opsplan.models.jobshop import edit

    victim = plan.scenario.jobs[0]
    gone = {op.id for op in victim.operations}
    other = plan.scenario.jobs[1].operations[0].id
    plan.set_pinned([victim.operations[0].id, other], True)
    editor.select_row("jobs", 0)
    assert editor.remove_rows("jobs")
    assert not gone & {a.task for a in plan.schedule.assignments}
    assert edit.pinned_tasks(plan.schedule) == {other}
    assert plan.violations() == []  # setups laid again for the new neighbours
    # re-optimizing with a rule keeps the remaining pin and finds nothing unknown
    from opsplan.solvers import Params, solve

    r = solve(plan.scenario, "dispatch:mwkr", Params(pinned=edit.pinned_assignments(plan.schedule)))
    assert r.schedule is not None and r.schedule.by_task()[other] == plan.schedule.by_task()[other]
    plan.undo_stack.undo()
    assert gone <= {a.task for a in plan.schedule.work()} and victim.operations[0].id in plan.pinned()
    # an operation removed within its job
    editor.select_row("jobs", 0)
    op = plan.scenario.jobs[0].operations[-1].id
    editor.select_row("operations", len(plan.scenario.jobs[0].operations) - 1)
    assert editor.remove_rows("operations")
    assert op not in plan.schedule.by_task() and plan.violations() == []


def test_duplicating_a_job_copies_its_setup_rows(editor, plan):
    sc0 = plan.scenario
    m = sc0.setups[0]
    src = m.jobs[1]
    editor.select_row("jobs", [j.id for j in sc0.jobs].index(src))
    assert editor.duplicate_rows("jobs")
    copy = next(j.id for j in plan.scenario.jobs if j.id not in sc0.job_index)
    new = plan.scenario.setups[0]

    def old(a, b):
        return m.matrix[m.jobs.index(a)][m.jobs.index(b)]

    def now(a, b):
        return new.matrix[new.jobs.index(a)][new.jobs.index(b)]

    for other in m.jobs:
        assert now(copy, other) == old(src, other) and now(other, copy) == old(other, src)
    assert now(copy, src) == old(src, src) == now(src, copy)
    assert not plan.issues()


def test_renaming_keeps_a_policy_plans_decision_replay(editor, plan):
    from opsplan.app.gui.replay_panel import trace_mismatch, trace_of, with_trace

    s = plan.schedule
    steps = [(a.task, a.resource, a.start) for a in sorted(s.work(), key=lambda a: (a.start, a.task))]
    plan.replace_schedule(with_trace(s, steps), "traced")
    assert _set(editor, "machines", 0, "id", "MIXER")
    op = plan.scenario.jobs[0].operations[0].id
    editor.select_row("jobs", 0)
    assert _set(editor, "operations", 0, "id", "first-step")
    trace = trace_of(plan.schedule)
    assert ("first-step" in {t for t, _, _ in trace} and op not in {t for t, _, _ in trace}
            and "MIXER" in {m for _, m, _ in trace} and "MIX1" not in {m for _, m, _ in trace})
    assert trace_mismatch(plan.schedule, trace) == ""
