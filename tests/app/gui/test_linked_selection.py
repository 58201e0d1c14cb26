"""One selection across the board: editor rows, Gantt bars, Issues rows and the resource view follow
the plan's selection; readable "Where" texts; editor column widths; the drag overlay; keyboard nudging."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.editor import MAX_FIT_WIDTH, ScenarioEditor
from opsplan.app.gui.gantt import GanttView
from opsplan.app.gui.issues_panel import IssuesPanel
from opsplan.app.gui.resource_view import ResourceView
from opsplan.app.gui.timeaxis import Clock
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel


@pytest.fixture
def board(qtbot, plan):
    """An editor, a Gantt, an issues panel and a resource view over one plan."""
    editor = ScenarioEditor(plan)
    gantt = GanttView(plan)
    issues = IssuesPanel(plan, editor)
    rv = ResourceView(plan)
    for w, size in ((editor, (700, 500)), (gantt, (1200, 700)), (issues, (900, 300)), (rv, (1200, 600))):
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
    rv.follow(gantt)
    qtbot.waitExposed(gantt)
    return editor, gantt, issues, rv


def _center(rect) -> QPoint:
    return rect.center().toPoint()


def _ops(plan, j: int) -> list[str]:
    return [op.id for op in plan.scenario.jobs[j].operations]


# --------------------------------------------------------------------------- editor <-> bars
def test_an_editor_row_selects_its_bars(board, plan):
    editor, gantt, _, _ = board
    editor.select_row("jobs", 2)  # a job row: every bar of the job
    assert plan.selection == _ops(plan, 2)
    assert gantt.highlighted("selected") == set(_ops(plan, 2))
    editor.show_table("operations")
    editor.select_row("operations", 1)  # an operation row: its bar
    assert plan.selection == [_ops(plan, 2)[1]]
    editor.show_table("machines")
    editor.select_row("machines", 1)  # a machine row: the work on its lane
    m0 = plan.scenario.machines[1].id
    on_m0 = sorted(a.task for a in plan.schedule.work() if a.resource == m0)
    assert on_m0 and sorted(plan.selection) == on_m0
    assert gantt.highlighted("selected") == set(on_m0)


def test_clicking_a_bar_selects_its_job_and_operation_rows(board, plan, qtbot):
    editor, gantt, _, _ = board
    j, k = 4, 3
    task = _ops(plan, j)[k]
    pos = _center(gantt.bar_rect(task))
    assert gantt.viewport().rect().contains(pos)
    qtbot.mouseClick(gantt.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert plan.selection == [task]
    assert editor.current_row("jobs") == j
    assert editor.model("operations").parent_row == j and editor.current_row("operations") == k
    assert editor.chooser("operations").currentIndex() == j
    assert plan.selection == [task], "the editor following the click did not select anything else"


# --------------------------------------------------------------------------- issues
def _break(plan, j: int, k: int | None):
    """A scenario issue on job ``j`` (its release), or on its operation ``k`` (a negative duration)."""
    sc = plan.scenario
    job = sc.jobs[j]
    if k is None:
        job = replace(job, release=-5)
    else:
        op = job.operations[k]
        op = replace(op, modes=(replace(op.modes[0], duration=-5),) + op.modes[1:])
        job = replace(job, operations=job.operations[:k] + (op,) + job.operations[k + 1:])
    plan.set_scenario(replace(sc, jobs=sc.jobs[:j] + (job,) + sc.jobs[j + 1:]), "Break it")


def test_an_operation_issue_reads_in_business_words_and_selects_its_row_and_bar(board, plan):
    editor, _, issues, _ = board
    _break(plan, 3, 1)
    job, op = plan.scenario.jobs[3], plan.scenario.jobs[3].operations[1]
    path = "jobs[3].operations[1].modes[0].duration"
    row = issues.find_row("error", path)
    assert row == 0
    assert issues.rows()[row][1] == f"Operation {op.id} ({op.name}) · mode 1 · duration"
    assert issues.item(row).toolTip(1) == path and issues.raw_where(row) == path
    issues.activate_row(row)
    assert editor.current_row("jobs") == 3 and editor.current_row("operations") == 1
    assert plan.selection == [op.id]
    assert job.operations[1] is op


def test_a_job_issue_reads_in_business_words_and_selects_the_jobs_bars(board, plan):
    editor, _, issues, _ = board
    _break(plan, 3, None)
    job = plan.scenario.jobs[3]
    row = issues.find_row("error", "jobs[3].release")
    assert row >= 0
    assert issues.rows()[row][1] == f"Job {job.id} ({job.name}) · release"
    plan.select([])
    issues.activate_row(row)
    assert editor.current_row("jobs") == 3
    assert plan.selection == _ops(plan, 3)
    # and back: a bar of that job selected elsewhere makes its issue the current row
    issues.tree.clearSelection()
    plan.select([])
    plan.select([_ops(plan, 3)[0]])
    assert issues.tree.currentItem() is issues.item(row) and issues.item(row).isSelected()


def test_a_calendar_issue_names_the_machine_and_window(board, plan):
    _, _, issues, _ = board
    sc = plan.scenario
    i = [m.id for m in sc.machines].index("OVA")
    m = sc.machines[i]
    w = m.calendar.windows[0]
    bad = replace(m, calendar=replace(m.calendar, windows=(replace(w, end=w.start),)))
    plan.set_scenario(replace(sc, machines=sc.machines[:i] + (bad,) + sc.machines[i + 1:]), "Break a window")
    row = issues.find_row("error", f"machines[{i}].calendar[0]")
    assert issues.rows()[row][1] == f"Machine OVA ({m.name}) · calendar window 1"


# --------------------------------------------------------------------------- resource view
def test_the_resource_view_marks_selected_lanes_and_a_row_click_selects_its_bars(board, plan, qtbot):
    _, gantt, _, rv = board
    a = plan.schedule.by_task()[_ops(plan, 0)[0]]
    plan.select([a.task])
    assert rv.selected_lanes() == [a.resource]
    lane = "PRF"
    r = rv.row_rect(lane)
    qtbot.mouseClick(rv.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(40, r.center().y()))
    expected = [x.task for x in plan.schedule.work() if x.resource == lane]
    assert expected and plan.selection == expected
    assert gantt.highlighted("selected") == set(expected) and rv.selected_lanes() == [lane]


# --------------------------------------------------------------------------- editor column widths
def test_name_columns_are_wide_enough_for_their_content_in_a_narrow_editor(qtbot, plan):
    editor = ScenarioEditor(plan)
    qtbot.addWidget(editor)
    editor.resize(380, 500)  # the dock's usual width
    editor.show()
    qtbot.waitExposed(editor)
    view = editor.view("jobs")
    cols = [c.key for c in editor.model("jobs").columns]
    fm = view.fontMetrics()
    for key, texts in (("name", [j.name for j in plan.scenario.jobs]), ("id", [j.id for j in plan.scenario.jobs])):
        need = min(max(fm.horizontalAdvance(t) for t in texts), MAX_FIT_WIDTH - 12)
        assert view.horizontalHeader().sectionSize(cols.index(key)) >= need, key
    # wide: the stretch column (the name) takes the spare width, so the table fills the view
    editor.resize(1400, 500)
    qtbot.waitUntil(lambda: view.viewport().width() > 1000)
    header = view.horizontalHeader()
    assert sum(header.sectionSize(c) for c in range(header.count())) >= view.viewport().width() - len(cols)
    assert header.sectionSize(cols.index("name")) > MAX_FIT_WIDTH


# --------------------------------------------------------------------------- drag overlay
def test_a_violation_reads_in_business_words(board, plan):
    _, _, issues, _ = board
    late, early = _two_on_one_machine(plan)
    plan.move_task(late.task, early.start)  # onto the earlier bar: an overlap on their machine
    row = next(r for r in range(issues.count()) if issues.rows()[r][0] == "machine_overlap")
    where = issues.rows()[row][1]
    first = min((late.task, early.task), key=lambda t: issues.raw_where(row).split(", ").index(t))
    _, _, fop = plan.scenario.operation_index[first]
    assert where.startswith(f"Operation {fop.id} ({fop.name}) and 1 more")
    assert where.endswith(_label(plan, late.resource))
    assert "ORD" not in where.split(" · ")[-1]  # the machine by its name, not its id
    assert issues.raw_where(row).startswith(first)  # the ids stay in the tooltip


def _label(plan, lane: str) -> str:
    return next(ln.label for ln in plan.adapter.lanes(plan.scenario) if ln.id == lane)


def _two_on_one_machine(plan):
    """(later, earlier) work bars on one machine, the earlier one starting first on the plan."""
    pairs = [(lst[1], lst[0]) for lst in plan.schedule.by_resource().values() if len(lst) >= 2]
    return min(pairs, key=lambda p: p[1].start)


def _drag(view, task, to: QPoint) -> None:
    vp = view.viewport()
    p0 = _center(view.bar_rect(task))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    QTest.mouseMove(vp, p0 + QPoint(40, 0))
    for k in range(1, 5):
        QTest.mouseMove(vp, p0 + QPoint(40, 0) + (to - p0 - QPoint(40, 0)) * (k / 4))


def test_the_drag_overlay_stays_inside_a_narrow_view_and_names_the_clash(qtbot, plan):
    view = GanttView(plan)
    qtbot.addWidget(view)
    view.resize(520, 600)
    view.show()
    qtbot.waitExposed(view)
    late, early = _two_on_one_machine(plan)
    grab = _center(view.bar_rect(late.task)).x() - view.bar_rect(late.task).left()
    to = QPoint(int(view.x_of_time(early.start + 1) + grab), _center(view.bar_rect(late.task)).y())
    _drag(view, late.task, to)
    fb = view.drag_feedback()
    when = Clock.of(plan.scenario).interval(early.start, early.end)
    clash = f"clashes with {early.task} on {_label(plan, early.resource)} {when}"
    assert clash in fb["named_violations"] and clash in fb["text"]
    overlay = view.viewport().findChild(QLabel, "dragOverlay")
    g = overlay.geometry()
    assert overlay.isVisible() and g.left() >= 0 and g.top() >= 0
    assert g.right() < view.viewport().width() and g.bottom() < view.viewport().height()
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)


def test_a_forbidden_lane_says_why_and_lists_no_kpi_change(qtbot, plan):
    view = GanttView(plan)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    qtbot.waitExposed(view)
    a = plan.schedule.by_task()["ORD-2604.bake"]  # may only use Oven A
    _drag(view, a.task, QPoint(_center(view.bar_rect(a.task)).x() + 30, int(view.lane_center_y("PCK"))))
    fb = view.drag_feedback()
    assert fb["forbidden"] and fb["target"] == "PCK"
    assert fb["kpi_delta"] == {} and fb["violations"] == 0 and fb["named_violations"] == []
    assert fb["text"] == f"not allowed on {_label(plan, 'PCK')}: {a.task} may only use {_label(plan, 'OVA')}"
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(5, 5))
    assert plan.undo_stack.count() == 0


# --------------------------------------------------------------------------- keyboard nudging
@pytest.fixture
def gantt(qtbot, plan):
    v = GanttView(plan)
    qtbot.addWidget(v)
    v.resize(1200, 600)
    v.show()
    qtbot.waitExposed(v)
    v.setFocus()
    return v


def _start(plan, task: str) -> int:
    return plan.schedule.by_task()[task].start


def test_left_and_right_nudge_the_selected_bars_one_undoable_step_each(gantt, plan):
    task = "ORD-2603.pck"
    t0 = _start(plan, task)
    plan.select([task])
    QTest.keyClick(gantt, Qt.Key.Key_Right)
    assert _start(plan, task) == t0 + 1 and plan.undo_stack.count() == 1
    big = gantt.nudge_step(big=True)
    assert big > 1
    QTest.keyClick(gantt, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert _start(plan, task) == t0 + 1 + big and plan.undo_stack.count() == 2
    QTest.keyClick(gantt, Qt.Key.Key_Left)
    assert _start(plan, task) == t0 + big
    for _ in range(3):
        plan.undo_stack.undo()
    assert _start(plan, task) == t0
    # several bars: one command moves them all
    tasks = ["ORD-2603.pck", "ORD-2601.pck"]
    before = [_start(plan, t) for t in tasks]
    plan.select(tasks)
    QTest.keyClick(gantt, Qt.Key.Key_Right)
    assert [_start(plan, t) for t in tasks] == [b + 1 for b in before] and plan.undo_stack.count() == 1
    plan.undo_stack.undo()
    # a pinned bar stays
    plan.set_pinned([task], True)
    n = plan.undo_stack.count()
    plan.select([task])
    QTest.keyClick(gantt, Qt.Key.Key_Left)
    assert _start(plan, task) == t0 and plan.undo_stack.count() == n and "pinned" in gantt.last_note


def test_up_and_down_move_the_bar_to_the_lanes_it_may_use(gantt, plan):
    mix = "ORD-2601.mix"  # Mixer 1 or Mixer 2, the two top lanes
    a = plan.schedule.by_task()[mix]
    plan.select([mix])
    key, other = (Qt.Key.Key_Down, "MIX2") if a.resource == "MIX1" else (Qt.Key.Key_Up, "MIX1")
    QTest.keyClick(gantt, key)
    b = plan.schedule.by_task()[mix]
    assert (b.resource, b.start) == (other, a.start) and plan.undo_stack.count() == 1
    plan.undo_stack.undo()
    assert plan.schedule.by_task()[mix] == a
    # Oven A is the only oven of ORD-2604's bake: no lane above or below takes it
    bake = "ORD-2604.bake"
    plan.select([bake])
    for k in (Qt.Key.Key_Up, Qt.Key.Key_Down):
        QTest.keyClick(gantt, k)
        assert plan.schedule.by_task()[bake].resource == "OVA"
    assert plan.undo_stack.count() == 1 and "may use" in gantt.last_note


def test_arrow_keys_without_a_selection_still_scroll(gantt, plan):
    gantt.zoom_by(4)
    bar = gantt.horizontalScrollBar()
    bar.setValue(bar.minimum())
    plan.select([])
    QTest.keyClick(gantt, Qt.Key.Key_Right)
    assert bar.value() > bar.minimum() and plan.undo_stack.count() == 0
    assert "←/→" in gantt.statusTip()


def test_bars_selected_in_the_editor_are_scrolled_into_the_gantt(board, plan):
    editor, gantt, _, _ = board
    gantt.zoom_by(20)
    gantt.horizontalScrollBar().setValue(gantt.horizontalScrollBar().minimum())
    last = len(plan.scenario.jobs) - 1
    vp = gantt.viewport().rect()
    assert not any(gantt.bar_rect(t).intersects(vp.toRectF()) for t in _ops(plan, last))
    editor.select_row("jobs", last)
    assert any(gantt.bar_rect(t).intersects(vp.toRectF()) for t in _ops(plan, last))
