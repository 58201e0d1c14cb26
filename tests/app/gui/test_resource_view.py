"""The resource view: load against capacity per lane, overloads in red, windows shaded, shared time range."""

from __future__ import annotations

import pytest
from opsplan.app.gui.gantt import GanttView
from opsplan.app.gui.resource_view import OVERLOAD_COLOR, ResourceView


@pytest.fixture
def rv(qtbot, plan):
    v = ResourceView(plan)
    qtbot.addWidget(v)
    v.resize(1000, 900)
    v.show()
    qtbot.waitExposed(v)
    return v


def _red_pixels(img, rect, x0: int = 0) -> int:
    n = 0
    for y in range(rect.top(), rect.bottom(), 2):
        for x in range(x0, rect.right(), 2):
            c = img.pixelColor(x, y)
            if abs(c.red() - OVERLOAD_COLOR.red()) + abs(c.green() - OVERLOAD_COLOR.green()) < 20 and c.blue() < 80:
                n += 1
    return n


def test_one_row_per_lane_with_the_adapters_profile(rv, plan):
    assert rv.lane_ids() == [m.id for m in plan.scenario.machines]
    for lane in rv.lane_ids():
        assert rv.profile(lane) == plan.adapter.profile(plan.scenario, plan.schedule, lane)
        assert rv.overloads(lane) == []
    img = rv.viewport().grab().toImage()
    assert all(_red_pixels(img, rv.row_rect(lane), rv.label_width()) == 0 for lane in rv.lane_ids()[:5])


def test_overlapping_schedule_shows_overload_in_red(rv, plan):
    lst = plan.schedule.by_resource()["OVB"]
    plan.move_task(lst[1].task, lst[0].start + 2)
    over = rv.overloads("OVB")
    assert over and all(load > 1 for _, _, load in over)
    s, e, _ = over[0]
    assert s >= lst[0].start + 2 and e <= lst[0].end
    rv.verticalScrollBar().setValue(rv.row_rect("OVB").top() - 30)
    img = rv.viewport().grab().toImage()
    assert _red_pixels(img, rv.row_rect("OVB"), rv.label_width()) > 0
    # red only where the load exceeds the capacity
    assert _red_pixels(img, rv.row_rect("OVA"), rv.label_width()) == 0
    plan.undo_stack.undo()
    assert rv.overloads("OVB") == []


def test_calendar_window_is_shaded(rv):
    assert rv.windows("DIV") == [(240, 270)]
    img = rv.viewport().grab().toImage()
    row = rv.row_rect("DIV")
    x = int(rv.x_of_time(255))
    # the window's top edge sits above the load area: grey hatching on white
    shade = [img.pixelColor(x + dx, row.top() + 3) for dx in range(-6, 7)]
    assert any(c.lightness() < 235 for c in shade)
    outside = img.pixelColor(int(rv.x_of_time(330)), row.top() + 3)
    assert outside.lightness() > 240


def test_follows_the_gantt_time_range(qtbot, plan, rv):
    g = GanttView(plan)
    qtbot.addWidget(g)
    g.resize(1000, 500)
    g.show()
    qtbot.waitExposed(g)
    rv.follow(g)
    assert rv.label_width() == g.label_width()
    g.zoom_by(3.0, 200)
    t0, t1 = g.visible_time_range()
    r0, r1 = rv.time_range()
    assert r0 == pytest.approx(t0)
    # same scale as the Gantt: a time sits at the same x in both views
    assert rv.x_of_time(t0 + 50) - rv.label_width() == pytest.approx(g.x_of_time(t0 + 50), abs=0.5)
    g.pan_by(150)
    assert rv.time_range()[0] == pytest.approx(g.visible_time_range()[0])
    rv.set_time_range(10, 20)
    assert rv.time_range() == (10, 20)


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_export_image(rv, tmp_path, ext, magic):
    data = rv.export_image(tmp_path / f"load{ext}").read_bytes()
    assert data.startswith(magic) and len(data) > 500


def test_export_refuses_other_formats(rv, tmp_path):
    with pytest.raises(ValueError):
        rv.export_image(tmp_path / "load.bmp")


# --------------------------------------------------------------------------- demand against capacity
def _demand_plan(qtbot, assignments):
    """A plan on a crew of 4 (cumulative) and a node of cpu 8, memory 32 (a vector capacity)."""
    from opsplan.app.gui.document import PlanDocument
    from opsplan.models.core import Calendar, Resource, Vector
    from opsplan.models.io.document import Document
    from opsplan.models.jobshop.scenario import Job, JobShopScenario, Mode, Operation
    from opsplan.models.schedule import Schedule

    sc = JobShopScenario("demand", (Resource("CREW", "Crew", 4, Calendar()),
                                    Resource("NODE", "Node", Vector(cpu=8, memory=32), Calendar())),
                         (Job("J", (Operation("J.1", (Mode("CREW", 10),)),)),))
    plan = PlanDocument(Document(sc, (Schedule.of(assignments, "p"),)))
    v = ResourceView(plan)
    qtbot.addWidget(v)
    v.resize(1000, 400)
    v.show()
    qtbot.waitExposed(v)
    return plan, v


def test_demand_is_the_sum_of_amounts_not_a_count_of_bars(qtbot):
    """A task holding 3 of a crew of 4 loads it 3 (a count of bars would say 1); with 2 more the
    crew is over its capacity: marked, and drawn red only there."""
    from opsplan.models.schedule import Assignment

    plan, v = _demand_plan(qtbot, [Assignment("A", "CREW", 0, 100, amount=3)])
    assert v.profile("CREW") == [(0, 100, 3)] and v.capacity("CREW") == 4
    assert v.overloads("CREW") == [] and v.peak("CREW") == 3
    img = v.viewport().grab().toImage()
    assert _red_pixels(img, v.row_rect("CREW"), v.label_width()) == 0

    plan, v = _demand_plan(qtbot, [Assignment("A", "CREW", 0, 100, amount=3),
                                   Assignment("B", "CREW", 50, 150, amount=2)])
    assert v.profile("CREW") == [(0, 50, 3), (50, 100, 5), (100, 150, 2)]
    assert v.overloads("CREW") == [(50, 100, 5)]
    assert v.demand_at("CREW", 75) == 5 and "5 of 4" in v.tooltip_at(_point(v, "CREW", 75))
    img = v.viewport().grab().toImage()
    row = v.row_rect("CREW")
    red_x = [x for x in range(v.label_width(), row.right()) if _is_red(img.pixelColor(x, row.bottom() - 10))]
    assert red_x and v.x_of_time(50) - 2 <= min(red_x) and max(red_x) <= v.x_of_time(100) + 2


def test_a_vector_capacity_shows_the_fullest_dimension_and_overloads_per_dimension(qtbot):
    from opsplan.app.gui.adapters import KindAdapter
    from opsplan.models.core import Vector
    from opsplan.models.schedule import Assignment, Schedule

    a = Assignment("P1", "NODE", 0, 100, amount=Vector(cpu=6, memory=8))
    b = Assignment("P2", "NODE", 50, 150, amount=Vector(cpu=4, memory=8))
    steps = KindAdapter().profile(None, Schedule.of([a, b]), "NODE")  # the generic profile sums amounts
    assert steps == [(0, 50, Vector(cpu=6, memory=8)), (50, 100, Vector(cpu=10, memory=16)),
                     (100, 150, Vector(cpu=4, memory=8))]
    plan, v = _demand_plan(qtbot, [a, b])
    assert v.profile("NODE") == steps
    # drawn as the share of the fullest dimension: cpu 6/8, 10/8, 4/8
    assert v.levels("NODE") == [(0, 50, 0.75), (50, 100, 1.25), (100, 150, 0.5)]
    assert v.overloads("NODE") == [(50, 100, Vector(cpu=10, memory=16))]
    assert "overload in cpu" in v.tooltip_at(_point(v, "NODE", 75))
    img = v.viewport().grab().toImage()
    assert _red_pixels(img, v.row_rect("NODE"), v.label_width()) > 0


def _is_red(c) -> bool:
    return abs(c.red() - OVERLOAD_COLOR.red()) + abs(c.green() - OVERLOAD_COLOR.green()) < 20 and c.blue() < 80


def _point(v, lane, t):
    from PySide6.QtCore import QPointF

    return QPointF(v.x_of_time(t), v.row_rect(lane).center().y())
