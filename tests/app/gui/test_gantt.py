"""The Gantt chart: layout, hover, selection, drag with live feedback, pins, compare, zoom, export."""

from __future__ import annotations

from dataclasses import replace

import pytest
from opsplan.app.gui.gantt import GanttView, group_color, schedule_diff
from opsplan.app.gui.timeaxis import Clock, format_time
from opsplan.models.jobshop import edit
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QToolTip


@pytest.fixture
def view(qtbot, plan):
    v = GanttView(plan)
    qtbot.addWidget(v)
    v.resize(1200, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def _pt(rect) -> QPoint:
    return rect.center().toPoint()


def _two_on_one_machine(plan):
    """(later, earlier) work bars on one machine, the earlier one at least 3 units long."""
    for lst in plan.schedule.by_resource().values():
        if len(lst) >= 2 and lst[0].duration >= 3:
            return lst[1], lst[0]
    raise AssertionError("sample has no machine with two operations")


def _drag(view, task, to: QPoint, steps: int = 6, release: bool = True):
    """Press on ``task``'s bar, wander 80 px right (past the drag threshold), then move to ``to``."""
    vp = view.viewport()
    p0 = _pt(view.bar_rect(task))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    via = p0 + QPoint(80, 0)
    QTest.mouseMove(vp, via)
    for k in range(1, steps + 1):
        QTest.mouseMove(vp, via + (to - via) * (k / steps))
    if release:
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    return p0


# --------------------------------------------------------------------------- layout
def test_one_lane_per_machine_and_one_bar_per_assignment(view, plan):
    assert view.lane_ids() == [m.id for m in plan.scenario.machines]
    assert sorted(view.bars(), key=repr) == sorted(plan.schedule.assignments, key=repr)
    assert len(view.bars("work")) == len(plan.schedule.work())
    assert view.bars("setup"), "the bakery's allergen clean-outs are drawn as setup bars"


def test_bars_are_painted_in_their_group_colour(view, plan):
    img = view.viewport().grab().toImage()
    groups = plan.adapter.groups(plan.scenario)
    checked = 0
    for a in plan.schedule.work():
        r = view.bar_rect(a.task)
        if r.width() < 12 or not view.viewport().rect().contains(_pt(r)):
            continue
        want = group_color(groups.index(plan.adapter.group_of(plan.scenario, a.task)))
        got = img.pixelColor(int(r.left()) + 4, int(r.top()) + 2)
        assert abs(got.red() - want.red()) + abs(got.green() - want.green()) + abs(got.blue() - want.blue()) < 30
        checked += 1
    assert checked >= 10


def test_palette_is_distinct_and_stable():
    colors = [group_color(i).name() for i in range(40)]
    assert len(set(colors)) == 40
    assert [group_color(i).name() for i in range(40)] == colors


def test_calendar_windows_are_shaded(view, plan):
    img = view.viewport().grab().toImage()
    # the Divider's night-shift break 240-270: a grey, hatched area in its lane (outside any bar)
    y = int(view.lane_center_y("DIV")) - 9
    x = int(view.x_of_time(255))
    shade = [img.pixelColor(x + dx, y) for dx in range(-6, 7)]
    assert any(c.lightness() < 235 for c in shade)
    assert all(abs(c.red() - c.green()) < 12 and abs(c.green() - c.blue()) < 12 for c in shade)


# --------------------------------------------------------------------------- hover and selection
def test_hover_tooltip_names_the_operation_and_its_slack(view, plan):
    a = plan.schedule.work()[0]
    text = view.tooltip_at(_pt(view.bar_rect(a.task)))
    sc = plan.scenario
    assert a.task in text and f"start {format_time(a.start, sc.time_unit, sc.epoch)}" in text and "slack:" in text
    vp = view.viewport()
    pos = _pt(view.bar_rect(a.task))
    QApplication.sendEvent(vp, QHelpEvent(QEvent.Type.ToolTip, pos, vp.mapToGlobal(pos)))
    assert a.task in QToolTip.text()
    assert view.tooltip_at(QPoint(5, vp.height() - 5)) == ""


def test_tooltip_times_follow_the_scenario_calendar(view, plan):
    """With an epoch the tooltip gives start, end and due as calendar times, as the axis does; without, numbers."""
    sc = plan.scenario
    assert sc.epoch
    a = next(x for x in sorted(plan.schedule.work(), key=lambda x: x.start) if x.start > 0)
    job = sc.operation_index[a.task][0]
    assert job.due is not None
    text = view.tooltip_at(_pt(view.bar_rect(a.task)))
    when = lambda t: format_time(t, sc.time_unit, sc.epoch)  # noqa: E731
    assert f"start {when(a.start)}, end {when(a.end)}, duration {Clock.of(sc).span(a.end - a.start)}" in text, text
    assert f"(due {when(job.due)})" in text and when(a.start) != str(a.start)
    plain = replace(sc, epoch=None)
    text = plan.adapter.tooltip(plain, plan.schedule, a)
    assert f"start {a.start}, end {a.end}" in text and f"(due {job.due})" in text


def test_click_selects_and_highlights_the_route(view, plan, qtbot):
    a = plan.schedule.work()[3]
    route = plan.adapter.related(plan.scenario, a.task)
    with qtbot.waitSignal(plan.selectionChanged):
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         _pt(view.bar_rect(a.task)))
    assert plan.selection == [a.task]
    assert view.highlighted("selected") == {a.task}
    assert view.highlighted("route") == set(route) - {a.task}
    assert view.routes() == [route]
    # clicking empty space clears the selection
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(3, view.viewport().height() - 3))
    assert plan.selection == [] and not view.highlighted("route") and view.routes() == []


def test_critical_path_highlight(view, plan):
    view.set_show_critical_path(True)
    crit = plan.adapter.critical_path(plan.scenario, plan.schedule)
    assert crit and view.highlighted("critical") == set(crit)
    view.set_show_critical_path(False)
    assert not view.highlighted("critical")


# --------------------------------------------------------------------------- drag
def test_drag_onto_another_bar_shows_violation_then_drops_one_undoable_move(view, plan, qtbot):
    late, early = _two_on_one_machine(plan)
    seen = []
    view.dragFeedback.connect(seen.append)
    to = QPoint(int(view.x_of_time(early.start + 1)) + (_pt(view.bar_rect(late.task)).x()
                                                         - int(view.bar_rect(late.task).left())),
                _pt(view.bar_rect(late.task)).y())
    _drag(view, late.task, to, release=False)
    # live feedback while the mouse is still down
    assert view.is_dragging()
    fb = view.drag_feedback()
    assert fb["task"] == late.task and fb["lane"] == late.resource and fb["violations"] > 0
    assert early.task in view.highlighted("drag_violations") and late.task in view.highlighted("drag_violations")
    assert "violation" in fb["text"] and "makespan" in fb["text"] and "makespan" in fb["kpi_delta"]
    overlay = view.viewport().findChild(QLabel, "dragOverlay")
    assert overlay is not None and overlay.isVisible() and overlay.text() == fb["text"]
    assert plan.undo_stack.count() == 0 and plan.violations() == []
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    assert not view.is_dragging() and seen[-1] == {} and any(d.get("violations") for d in seen)
    # one command, and the checker now reports the overlap drawn in red
    assert plan.undo_stack.count() == 1
    moved = plan.schedule.by_task()[late.task]
    assert moved.resource == late.resource and moved.start < early.end
    assert plan.violations() and late.task in view.highlighted("violations")
    plan.undo_stack.undo()
    assert plan.violations() == [] and not view.highlighted("violations")
    assert plan.schedule.by_task()[late.task] == late
    assert view.bar_rect(late.task).left() == pytest.approx(view.x_of_time(late.start), abs=0.01)


def test_drag_snaps_to_whole_units_and_to_the_preceding_bar_end(view, plan):
    late, early = _two_on_one_machine(plan)
    r = view.bar_rect(late.task)
    grab = _pt(r).x() - r.left()
    # aim 2 px to the right of the earlier bar's end: snaps back onto it
    to = QPoint(int(view.x_of_time(early.end) + 2 + grab), _pt(r).y())
    _drag(view, late.task, to, release=False)
    assert view.drag_feedback()["start"] == early.end
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    assert plan.schedule.by_task()[late.task].start == early.end
    assert isinstance(plan.schedule.by_task()[late.task].start, int)


def test_escape_cancels_a_drag(view, plan):
    late, early = _two_on_one_machine(plan)
    to = _pt(view.bar_rect(early.task))
    _drag(view, late.task, to, release=False)
    assert view.is_dragging()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not view.is_dragging() and not view.highlighted("drag_violations")
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    assert plan.undo_stack.count() == 0 and plan.schedule.by_task()[late.task] == late


def _forbidden_case(plan):
    lanes = [m.id for m in plan.scenario.machines]
    for a in plan.schedule.work():
        allowed = plan.adapter.allowed_lanes(plan.scenario, a.task)
        bad = [ln for ln in lanes if ln not in allowed]
        if bad:
            return a, bad[0]
    raise AssertionError("no operation with a forbidden machine")


def test_dragging_to_a_forbidden_lane_is_refused(view, plan):
    a, bad = _forbidden_case(plan)
    to = QPoint(_pt(view.bar_rect(a.task)).x() + 4, int(view.lane_center_y(bad)))
    _drag(view, a.task, to, release=False)
    fb = view.drag_feedback()
    assert fb["forbidden"] and fb["target"] == bad and fb["lane"] == a.resource
    assert "not allowed" in fb["text"]
    assert view.viewport().cursor().shape() == Qt.CursorShape.ForbiddenCursor
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    assert plan.undo_stack.count() == 0
    assert plan.schedule.by_task()[a.task].resource == a.resource


def test_dragging_to_an_allowed_lane_reassigns(view, plan):
    for a in plan.schedule.work():
        other = [ln for ln in plan.adapter.allowed_lanes(plan.scenario, a.task) if ln != a.resource]
        if other:
            break
    else:
        pytest.skip("no flexible operation in the sample")
    to = QPoint(_pt(view.bar_rect(a.task)).x(), int(view.lane_center_y(other[0])))
    _drag(view, a.task, to)
    assert plan.undo_stack.count() == 1
    assert plan.schedule.by_task()[a.task].resource == other[0]


# --------------------------------------------------------------------------- context menu, pins, violations
def test_pin_from_the_context_menu(view, plan):
    a = plan.schedule.work()[2]
    menu = view.context_menu_for(a.task)
    names = [act.objectName() for act in menu.actions() if act.objectName()]
    assert names == ["pin", "select_group", "compact", "fit"]
    menu.findChild(type(menu.actions()[0]), "pin").trigger()
    assert plan.pinned() == {a.task} and view.highlighted("pinned") == {a.task}
    assert plan.undo_stack.count() == 1
    menu = view.context_menu_for(a.task)
    assert menu.actions()[0].text() == "Unpin"
    menu.actions()[0].trigger()
    assert plan.pinned() == frozenset()


def test_select_job_and_compact_from_the_context_menu(view, plan):
    late, early = _two_on_one_machine(plan)
    menu = view.context_menu_for(late.task)
    [act for act in menu.actions() if act.objectName() == "select_group"][0].trigger()
    assert plan.selection == plan.adapter.related(plan.scenario, late.task)
    plan.move_task(late.task, early.start)
    assert plan.violations() and view.highlighted("violations")
    [act for act in view.context_menu_for(None).actions() if act.objectName() == "compact"][0].trigger()
    assert plan.violations() == [] and not view.highlighted("violations")
    assert plan.undo_stack.count() == 2


# --------------------------------------------------------------------------- compare
def test_compare_mode_highlights_exactly_the_differences(view, plan):
    base = plan.add_schedule(plan.schedule, make_current=False)
    assert plan.current_name == "mwkr"
    moved_task = plan.schedule.work()[0].task
    plan.move_task(moved_task, plan.schedule.by_task()[moved_task].start + 30)
    reassigned = None
    for a in plan.schedule.work():
        other = [ln for ln in plan.adapter.allowed_lanes(plan.scenario, a.task) if ln != a.resource]
        if other and a.task != moved_task:
            plan.move_task(a.task, a.start, other[0])
            reassigned = a.task
            break
    view.set_compare_with(base)
    want = edit.diff(plan.doc.schedule(base), plan.schedule)
    assert view.compare_diff() == want == schedule_diff(plan.doc.schedule(base), plan.schedule)
    assert view.highlighted("moved") | view.highlighted("reassigned") == set(want)
    assert moved_task in view.highlighted("moved")
    if reassigned:
        assert view.highlighted("reassigned") == {reassigned}
    view.set_compare_with(None)
    assert not view.highlighted("moved") and not view.highlighted("reassigned")
    with pytest.raises(ValueError):
        view.set_compare_with("no such plan")


# --------------------------------------------------------------------------- zoom and pan
def test_fit_zoom_and_visible_range(view, plan, qtbot):
    view.fit_to_window()
    t0, t1 = view.visible_time_range()
    assert t0 <= 0 and t1 >= plan.schedule.makespan
    anchor = 300
    t_anchor = t0 + anchor / view.pixels_per_unit()
    with qtbot.waitSignal(view.timeRangeChanged) as sig:
        view.zoom_by(4.0, anchor_x=anchor)
    u0, u1 = view.visible_time_range()
    assert sig.args == pytest.approx([u0, u1])
    assert (u1 - u0) == pytest.approx((t1 - t0) / 4, rel=0.01)
    assert u0 + anchor / view.pixels_per_unit() == pytest.approx(t_anchor, abs=2 / view.pixels_per_unit())
    view.pan_by(200)
    v0, _ = view.visible_time_range()
    assert v0 == pytest.approx(u0 + 200 / view.pixels_per_unit(), abs=1 / view.pixels_per_unit())
    view.set_visible_time_range(100, 200)
    w0, w1 = view.visible_time_range()
    assert w0 == pytest.approx(100, abs=1) and w1 == pytest.approx(200, abs=1)


def _wheel(view, dy: int, mods=Qt.KeyboardModifier.NoModifier, x: int = 400):
    vp = view.viewport()
    pos = QPointF(x, 100)
    ev = QWheelEvent(pos, QPointF(vp.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, dy),
                     Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)


def test_ctrl_wheel_zooms_around_the_mouse_and_wheel_pans(view):
    view.fit_to_window()
    ppu = view.pixels_per_unit()
    t_at = view.visible_time_range()[0] + 400 / ppu
    _wheel(view, 120, Qt.KeyboardModifier.ControlModifier)
    assert view.pixels_per_unit() == pytest.approx(ppu * 1.2)
    assert view.visible_time_range()[0] + 400 / view.pixels_per_unit() == pytest.approx(
        t_at, abs=2 / view.pixels_per_unit())
    before = view.visible_time_range()[0]
    _wheel(view, -120)  # plain wheel: the lanes fit vertically, so it scrolls in time
    assert view.visible_time_range()[0] > before


def test_zoom_adapts_the_axis(view):
    view.fit_to_window()
    coarse = view._header  # the header repaints from the same ticks
    assert coarse.isVisible()
    from opsplan.app.gui.timeaxis import choose_step

    sc = view.plan.scenario
    s0 = choose_step(view.pixels_per_unit(), 600, sc.time_unit, sc.epoch)
    view.zoom_by(8)
    s1 = choose_step(view.pixels_per_unit(), 600, sc.time_unit, sc.epoch)
    assert s1 < s0


# --------------------------------------------------------------------------- rebuild and export
def test_follows_document_changes_and_current_schedule(view, plan):
    a = plan.schedule.work()[0]
    plan.move_task(a.task, a.start + 40)
    assert view.bar_rect(a.task).left() == pytest.approx(view.x_of_time(a.start + 40), abs=0.01)
    name = plan.add_schedule(plan.schedule.renamed("other"))
    assert plan.current_name == name
    plan.undo_stack.undo()
    plan.undo_stack.undo()
    assert view.bar_rect(a.task).left() == pytest.approx(view.x_of_time(a.start), abs=0.01)


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_export_image(view, tmp_path, ext, magic):
    path = view.export_image(tmp_path / f"plan{ext}")
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 1000
    if ext == ".svg":
        assert b"<svg" in data


def test_export_refuses_other_formats(view, tmp_path):
    with pytest.raises(ValueError):
        view.export_image(tmp_path / "plan.jpg")


def test_many_bars_are_rasterised_and_still_coloured(qtbot):
    from opsplan.app.gui.bench import bench_scenario
    from opsplan.app.gui.document import PlanDocument
    from opsplan.models.io.document import Document
    from opsplan.solvers import Params, solve

    sc = bench_scenario(2000)
    s = solve(sc, "dispatch:spt", Params()).schedule.renamed("spt")
    plan = PlanDocument(Document(sc, (s,)))
    v = GanttView(plan)
    qtbot.addWidget(v)
    v.resize(1000, 700)
    v.show()
    qtbot.waitExposed(v)
    img = v.viewport().grab().toImage()
    assert not v._frame_vector  # too many bars for vectors: one image row per track
    groups = plan.adapter.groups(sc)
    checked = 0
    for a in s.work()[::25]:
        r = v.bar_rect(a.task)
        if r.width() < 4 or not v.viewport().rect().contains(_pt(r)):
            continue
        want = group_color(groups.index(plan.adapter.group_of(sc, a.task)))
        got = img.pixelColor(int(r.center().x()), int(r.center().y()))
        assert got.rgb() in (want.rgb(), want.darker(145).rgb())
        checked += 1
    assert checked >= 5
    v.zoom_by(40)
    v.viewport().grab()
    assert v._frame_vector


def test_middle_drag_pans(view):
    view.zoom_by(4.0, 0)
    t0 = view.visible_time_range()[0]
    vp = view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(600, 100))
    QTest.mouseMove(vp, QPoint(500, 100))
    QTest.mouseRelease(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(500, 100))
    assert view.visible_time_range()[0] == pytest.approx(t0 + 100 / view.pixels_per_unit(), abs=1e-6)


def test_big_plans_get_drag_feedback_once_the_event_queue_is_idle(view, plan, qtbot, monkeypatch):
    from opsplan.app.gui import gantt_interaction

    monkeypatch.setattr(gantt_interaction, "SYNC_FEEDBACK_LIMIT", 0)
    late, early = _two_on_one_machine(plan)
    _drag(view, late.task, _pt(view.bar_rect(early.task)), release=False)
    qtbot.waitUntil(lambda: view.drag_feedback().get("violations", 0) > 0, timeout=2000)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       _pt(view.bar_rect(early.task)))
    assert plan.undo_stack.count() == 1 and plan.violations()


def test_views_stay_kind_independent():
    """The views reach kind-specific behaviour only through the adapter."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "app" / "gui"
    for name in ("gantt.py", "gantt_scene.py", "gantt_paint.py", "gantt_interaction.py", "gantt_export.py",
                 "resource_view.py", "timeaxis.py", "adapters.py", "editor.py", "editor_spec.py", "kpi_panel.py",
                 "document.py", "disruption.py", "solve_panel.py", "main_window.py"):
        tree = ast.parse((root / name).read_text())
        mods = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in mods if "jobshop" in m], name
