"""One time language on the board: dates and durations read and typed through the scenario's Clock.

The editor's time cells, the Disruption dialog, the Undo menu and the Gantt's calendar
tooltips all speak the Clock's language (``'Wed 02 Dec 14:00'``, ``'1 h 30 min'``), and
fall back to numbers with their unit (``'415 min'``) when a scenario has no epoch.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from opsplan.app.gui.disruption import DisruptionDialog
from opsplan.app.gui.editor import ScenarioEditor
from opsplan.app.gui.gantt import GanttView
from opsplan.app.gui.timeaxis import Clock
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDateTimeEdit, QSpinBox

EPOCH = datetime(2026, 12, 1, 22, 0)  # the sample's: a Tuesday, 22:00


# --------------------------------------------------------------------------- the Clock
@pytest.mark.parametrize("unit", ["s", "min", "h"])
def test_times_and_spans_round_trip_in_every_unit(unit):
    step = {"s": 1, "min": 60, "h": 3600}[unit]
    for clock in (Clock(unit, EPOCH), Clock(unit)):
        for t in (0, 1, 59, 60, 415, 1439, 1440, 86_399, 400_000 // step * 7):
            assert clock.parse_time(clock.time(t)) == t, (clock, t, clock.time(t))
            assert clock.parse_span(clock.span(t)) == t, (clock, t, clock.span(t))
        assert clock.parse_time("415") == 415 and clock.parse_span("90") == 90  # plain numbers are units
    assert Clock("min").time(415) == "415 min" and Clock("s").time(415) == "415 s"


def test_clock_reads_dates_and_durations():
    c = Clock("min", EPOCH)
    assert c.time(495) == "Wed 02 Dec 06:15"
    assert c.time(60 * 24 * 40) == "Sun 10 Jan 2027 22:00"  # another year shows it
    assert [c.span(d) for d in (45, 90, 3060, 0)] == ["45 min", "1 h 30 min", "2 d 3 h", "0 min"]
    assert Clock("s").span(75) == "1 min 15 s" and Clock("h").span(50) == "2 d 2 h"
    assert c.interval(240, 270) == "Wed 02 Dec 02:00–02:30"
    assert Clock("min").interval(240, 270) == "240–270 min"
    assert Clock.of(object()) == Clock("min", None)  # both attributes are optional


def test_clock_parses_the_common_forms():
    c = Clock("min", EPOCH)
    wed_14 = (datetime(2026, 12, 2, 14) - EPOCH).seconds // 60
    for text in ("2026-12-02 14:00", "2026-12-02T14:00", "02 Dec 14:00", "Wed 02 Dec 14:00", "wed 2 dec 2026 14:00",
                 "14:00", "16 h", "960"):
        assert c.parse_time(text) == wed_14 == 960, text
    assert c.parse_time("07:00", near=495) == 540  # a bare clock time stays on the edited value's day
    assert c.parse_time("23:30") == 90  # else: the first such time from the epoch on
    assert c.parse_time("02 Jan 08:00") == c.parse_time("2027-01-02 08:00")  # nearest the epoch: next year
    for text, minutes in (("1h30", 90), ("1 h 30 min", 90), ("2d", 2880), ("45min", 45), ("1:30", 90)):
        assert c.parse_span(text) == minutes, text


@pytest.mark.parametrize("text, why", [
    ("tomorrow", "is not a time; type a date and time like 'Wed 02 Dec 14:00', '2026-12-02 14:00'"),
    ("Tue 02 Dec 14:00", "02 Dec 2026 is a Wednesday, not a Tuesday"),
    ("2026-12-01 21:00", "before the start of the plan (Tue 01 Dec 22:00)"),
    ("06:15:30", "not on a whole minute"),
    ("2026-13-02", "there is no 2026-13-02"),
    ("25:00", "not a clock time"),
])
def test_clock_refuses_with_the_accepted_forms(text, why):
    with pytest.raises(ValueError, match="^Due: ") as err:
        Clock("min", EPOCH).parse_time(text, "Due")
    assert why in str(err.value)


def test_without_an_epoch_a_date_is_refused_and_units_are_named():
    with pytest.raises(ValueError, match="number of minutes from the start"):
        Clock("min").parse_time("Wed 02 Dec 14:00")
    with pytest.raises(ValueError, match="not on a whole hour"):
        Clock("h", EPOCH).parse_time("2026-12-02 06:30")
    with pytest.raises(ValueError, match="is not a duration"):
        Clock("min").parse_span("soon")


# --------------------------------------------------------------------------- the editor's time cells
@pytest.fixture
def editor(qtbot, plan):
    w = ScenarioEditor(plan)
    qtbot.addWidget(w)
    return w


def _index(editor, key, row, column):
    m = editor.model(key)
    return m, m.index(row, [c.key for c in m.spec.columns].index(column))


def test_a_date_typed_into_a_due_cell_is_stored_in_units(editor, plan):
    job = plan.scenario.jobs[0]
    m, idx = _index(editor, "jobs", 0, "due")
    assert m.data(idx) == Clock.of(plan.scenario).time(job.due)  # shown as a date: the sample has an epoch
    assert m.setData(idx, "2026-12-02 14:00", Qt.ItemDataRole.EditRole)
    assert plan.scenario.jobs[0].due == 960 and plan.undo_stack.undoText() == f"Edit due of job {job.id}"
    assert m.data(idx) == "Wed 02 Dec 14:00"
    assert m.setData(idx, "Wed 02 Dec 15:30", Qt.ItemDataRole.EditRole)
    assert plan.scenario.jobs[0].due == 1050
    m, idx = _index(editor, "windows", 0, "end")
    assert m.setData(idx, "02:45", Qt.ItemDataRole.EditRole)  # a window on Wed 02 Dec 02:00-02:30 ends later
    assert m.data(idx) == "Wed 02 Dec 02:45" and plan.scenario.machines[2].calendar.windows[0].end == 285


def test_a_bad_time_is_refused_clearly_and_the_message_leaves_with_the_table(editor, plan):
    sc0 = plan.scenario
    m, idx = _index(editor, "jobs", 0, "due")
    assert not m.setData(idx, "next week", Qt.ItemDataRole.EditRole)
    assert "Due: 'next week' is not a time" in editor.status_text()
    assert "'2026-12-02 14:00'" in editor.status_text() and plan.scenario is sc0
    editor.show_table("machines")
    assert editor.status_text() == ""


# --------------------------------------------------------------------------- Undo menu, dialog, Gantt
def test_the_undo_label_of_a_move_names_the_date_and_the_lane(plan):
    a = next(x for x in plan.schedule.work() if len(plan.scenario.operation_index[x.task][2].modes) > 1)
    other = next(md.resource for md in plan.scenario.operation_index[a.task][2].modes if md.resource != a.resource)
    plan.move_task(a.task, 415, other)
    label = next(ln.label for ln in plan.adapter.lanes(plan.scenario) if ln.id == other)
    assert plan.undo_stack.undoText() == f"Move {a.task} to Wed 02 Dec 04:55 on {label}"


def test_the_disruption_dialog_asks_a_date_for_when_and_a_duration_with_its_unit(plan, qtbot):
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    at = dlg.field_box("machine_down", "at")
    assert isinstance(at, QDateTimeEdit)
    at.setValue(415)
    assert at.value() == 415 and at.text() == "Wed 02 Dec 2026 04:55"
    repair = dlg.field_box("machine_down", "duration")
    assert isinstance(repair, QSpinBox) and repair.suffix() == " min"
    assert dlg.findChild(QDateTimeEdit) is at
    labels = [w.text() for w in dlg.findChildren(type(dlg.status))]
    assert "Repair time (minutes):" in labels


def test_without_an_epoch_the_dialog_counts_units(plan, qtbot):
    plan.set_scenario(replace(plan.scenario, epoch=None), "no epoch")
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    at = dlg.field_box("machine_down", "at")
    assert isinstance(at, QSpinBox) and at.suffix() == " min"


def test_the_gantt_calendar_tooltip_speaks_dates(plan, qtbot):
    view = GanttView(plan)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    pos = QPoint(round(view.x_of_time(255)), round(view.lane_center_y("DIV")))
    text = view.tooltip_at(pos)
    assert "unavailable Wed 02 Dec 02:00–02:30 (30 min)" in text, text
