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
