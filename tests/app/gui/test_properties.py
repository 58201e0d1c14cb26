"""Building a scenario from scratch: the Scenario properties dialog, the setup-times table and the
machine pickers of the scenario editor."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.editor import ScenarioEditor
from opsplan.app.gui.main_window import MainWindow
from opsplan.app.gui.pickers import ChoiceDelegate, PicksEditor
from opsplan.app.gui.properties import UNDO_LABEL, ScenarioPropertiesDialog
from opsplan.models.core import Resource, TimeUnit
from opsplan.models.io import document as io
from opsplan.models.jobshop.scenario import Mode, Objective
from opsplan.models.kinds import descriptor
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyleOptionViewItem


@pytest.fixture
def window(qtbot):
    w = MainWindow(ask=lambda *_: "discard", autosave_ms=60_000)
    qtbot.addWidget(w)
    return w


@pytest.fixture
def editor(qtbot, plan):
    w = ScenarioEditor(plan)
    qtbot.addWidget(w)
    return w


def _dialog(qtbot, plan):
    dlg = ScenarioPropertiesDialog(plan)
    qtbot.addWidget(dlg)
    return dlg


def _col(editor, key, column):
    return [c.key for c in editor.model(key).columns].index(column)


def _set(editor, key, row, column, text):
    m = editor.model(key)
    return m.setData(m.index(row, _col(editor, key, column)), text, Qt.ItemDataRole.EditRole)


def test_properties_round_trip_undo_and_reload(qtbot, plan, tmp_path):
    sc0 = plan.scenario
    job = sc0.jobs[0].id
    dlg = _dialog(qtbot, plan)
    assert dlg.objective_combo.currentText() == "Weighted tardiness" and dlg.weights_table.isVisibleTo(dlg)
    dlg.name_edit.setText("Weekend shift")
    dlg.description_edit.setPlainText("Saturday orders only")
    dlg.set_epoch(datetime(2027, 1, 2, 6, 30))
    dlg.set_time_unit(TimeUnit.HOUR)
    assert "does not convert" in dlg.unit_note.text()
    dlg.set_weight(job, "7")
    dlg.accept()
    assert dlg.error() == "" and dlg.result() == ScenarioPropertiesDialog.DialogCode.Accepted
    sc = plan.scenario
    assert (sc.name, sc.description, sc.epoch, sc.time_unit) == (
        "Weekend shift", "Saturday orders only", "2027-01-02T06:30:00", TimeUnit.HOUR)
    assert sc.job_index[job].weight == 7
    assert sc.jobs[0].operations == sc0.jobs[0].operations  # relabelled, not converted
    assert plan.undo_stack.count() == 1 and plan.undo_stack.undoText() == UNDO_LABEL

    path = tmp_path / "weekend.json"
    plan.save(path)
    again = io.load(path).scenario
    assert (again.name, again.description, again.epoch, again.time_unit, again.job_index[job].weight) == (
        "Weekend shift", "Saturday orders only", "2027-01-02T06:30:00", TimeUnit.HOUR, 7)

    plan.undo_stack.undo()
    assert plan.scenario == sc0

    # the objective: makespan reads no weights, so the table goes; no calendar: plain numbers
    dlg = _dialog(qtbot, plan)
    dlg.set_objective(Objective.MAKESPAN.value)
    assert not dlg.weights_table.isVisibleTo(dlg)
    dlg.set_epoch(None)
    dlg.accept()
    assert plan.scenario.objective == Objective.MAKESPAN and plan.scenario.epoch is None


def test_untouched_dialog_changes_nothing(qtbot, plan):
    dlg = _dialog(qtbot, plan)
    dlg.accept()
    assert plan.undo_stack.count() == 0


def test_invalid_input_is_refused_with_a_message(qtbot, plan):
    sc0 = plan.scenario
    dlg = _dialog(qtbot, plan)
    dlg.set_weight(sc0.jobs[0].id, "heavy")
    dlg.accept()
    assert "weight of" in dlg.error() and "whole number" in dlg.error()
    assert dlg.result() != ScenarioPropertiesDialog.DialogCode.Accepted and plan.undo_stack.count() == 0
    dlg.set_weight(sc0.jobs[0].id, "-2")
    dlg.accept()
    assert "must not be negative" in dlg.error()
    dlg.set_weight(sc0.jobs[0].id, "2")
    dlg.name_edit.setText("  ")
    dlg.accept()
    assert "needs a name" in dlg.error() and plan.scenario == sc0


def test_file_new_offers_properties_and_the_title_follows(window, qtbot):
    action = window.new_menu.actions()[0]
    action.trigger()
    dlg = window.findChild(ScenarioPropertiesDialog)
    assert dlg is not None and dlg.isVisible() and dlg.plan is window.plan
    assert window.plan.scenario == descriptor(window.plan.scenario).new_scenario()
    dlg.name_edit.setText("Paint shop")
    dlg.set_time_unit(TimeUnit.SECOND)
    dlg.accept()
    assert window.plan.scenario.name == "Paint shop" and window.plan.scenario.time_unit == TimeUnit.SECOND
    assert "Paint shop" in window.windowTitle()
    window.act_properties.trigger()  # Scenario → Properties… opens it again, without blocking
    again = [d for d in window.findChildren(ScenarioPropertiesDialog) if d.isVisible()]
    assert len(again) == 1 and again[0].name_edit.text() == "Paint shop"
    again[0].reject()


def test_setup_times_table_edit_and_undo(editor, plan):
    sc0 = plan.scenario
    mix1 = next(i for i, m in enumerate(sc0.machines) if m.id == "MIX1")
    editor.set_parent_row("setups", mix1)
    model = editor.model("setups")
    jobs = sc0.setup_index["MIX1"].jobs
    assert model.rowCount() == len(jobs) and model.columnCount() == 1 + len(jobs)
    assert model.headerData(1, Qt.Orientation.Horizontal) == jobs[0]
    a, b = jobs[2], jobs[3]
    assert model.data(model.index(2, _col(editor, "setups", f"to:{b}"))) == "30 min"  # with the unit
    assert _set(editor, "setups", 2, f"to:{b}", "45")
    assert plan.scenario.setup_time("MIX1", a, b) == 45
    assert plan.undo_stack.undoText() == f"Edit setup {a} → {b} on machine MIX1"
    assert not _set(editor, "setups", 2, f"to:{b}", "-5")
    assert "at least 0" in editor.status_text()
    plan.undo_stack.undo()
    assert plan.scenario == sc0
    assert "add" not in editor._pages["setups"].buttons  # a matrix has no rows to add


def test_setup_times_on_a_machine_without_a_matrix(editor, plan):
    sc0 = plan.scenario
    k = next(i for i, m in enumerate(sc0.machines) if m.id not in sc0.setup_index)
    mid = sc0.machines[k].id
    editor.set_parent_row("setups", k)
    users = [j.id for j in sc0.jobs if any(op.mode_on(mid) for op in j.operations)]
    assert editor.model("setups").rowCount() == len(users)
    assert _set(editor, "setups", 0, f"to:{users[1]}", "1 h")
    assert plan.scenario.setup_time(mid, users[0], users[1]) == 60
    assert plan.issues() == []


def test_mode_cell_accepts_a_machine_name(editor, plan):
    sc0 = plan.scenario
    # a machine whose id differs from its name: "Mill" is M2
    plan.set_scenario(replace(sc0, machines=(*sc0.machines, Resource("M2", "Mill"))), "Add Mill")
    editor.set_parent_row("operations", 0)
    assert _set(editor, "operations", 0, "modes", "Mill:15, MIX2:20")
    assert plan.scenario.jobs[0].operations[0].modes == (Mode("M2", 15), Mode("MIX2", 20))
    assert not _set(editor, "operations", 0, "modes", "Drill:5")
    assert "Unknown machine 'Drill'" in editor.status_text() and "M2 (Mill)" in editor.status_text()


def test_the_picker_lists_machines_and_writes_modes(editor, plan):
    sc = plan.scenario
    editor.set_parent_row("operations", 0)
    view, model = editor.view("operations"), editor.model("operations")
    index = model.index(0, _col(editor, "operations", "modes"))
    delegate = view.itemDelegateForColumn(index.column())
    assert isinstance(delegate, ChoiceDelegate)
    picker = delegate.createEditor(view.viewport(), QStyleOptionViewItem(), index)
    assert isinstance(picker, PicksEditor)
    assert picker.choice_ids() == [m.id for m in sc.machines]
    assert "Mixer 1 (spiral, allergen line) (MIX1)" in picker.labels()
    delegate.setEditorData(picker, index)
    assert picker.picks() == [("MIX1", 20), ("MIX2", 20)]
    picker.set_pick("MIX2", False)
    picker.set_pick("DIV", True, 35)
    delegate.setModelData(picker, model, index)
    assert plan.scenario.jobs[0].operations[0].modes == (Mode("MIX1", 20), Mode("DIV", 35))

    # a cell naming one machine (a calendar window's) gets a list of the machines
    win_index = editor.model("windows").index(0, 0)
    box = editor.view("windows").itemDelegateForColumn(0).createEditor(
        editor.view("windows").viewport(), QStyleOptionViewItem(), win_index)
    assert [box.itemData(i) for i in range(box.count())] == [m.id for m in sc.machines]


def test_new_document_itself_opens_no_dialog(window):
    window.new_document()
    assert window.findChild(ScenarioPropertiesDialog) is None


def test_a_plan_document_follows_the_time_unit(qtbot):
    plan = PlanDocument(io.Document(descriptor("jobshop").new_scenario()))
    dlg = _dialog(qtbot, plan)
    assert not dlg.calendar_check.isChecked() and not dlg.epoch_edit.isEnabled()
    assert dlg.objective_combo.count() == len(descriptor("jobshop").objectives)
