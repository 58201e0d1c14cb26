"""The Gantt's legend, breakdowns unlike planned breaks, the re-plan's cut time, why a baseline
breaks the scenario, and a Compare dock that shows all it has."""

from __future__ import annotations

import pytest
from opsplan.app.gui.disruption import DisruptionDialog
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.gantt import GanttView
from opsplan.app.gui.gantt_paint import BREAKDOWN, CUT_PEN, window_brushes, window_kind
from opsplan.app.gui.kpi_panel import KpiPanel
from opsplan.app.gui.legend import MAX_GROUPS
from opsplan.app.gui.main_window import MainWindow
from opsplan.app.gui.timeaxis import format_time
from opsplan.models.io import document as io
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDockWidget


def _replan(plan: PlanDocument, qtbot, machine: str = "OVA") -> tuple[str, int]:
    """Break ``machine`` down a third into the current plan for 60 and re-plan with a rule
    through the disruption dialog; the new plan's name and the cut time."""
    at = plan.schedule.makespan // 3
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    dlg.choose("machine_down")
    dlg.target_box("machine_down").setCurrentText(machine)
    dlg.field_box("machine_down", "at").setValue(at)
    dlg.field_box("machine_down", "duration").setValue(60)
    dlg.solver.setCurrentText("dispatch:mwkr")
    assert dlg.run()
    qtbot.waitUntil(lambda: dlg.new_name is not None or "no new plan" in dlg.status.text(), timeout=20_000)
    assert dlg.new_name == plan.current_name, dlg.status.text()
    return dlg.new_name, at


def _view(qtbot, plan: PlanDocument, width: int = 1400) -> GanttView:
    view = GanttView(plan)
    qtbot.addWidget(view)
    view.resize(width, 420)
    view.show()
    qtbot.waitExposed(view)
    return view


def _mean(img, x0: int, y0: int, w: int, h: int) -> tuple[float, float, float]:
    px = [QColor(img.pixel(x, y)) for x in range(x0, x0 + w) for y in range(y0, y0 + h)]
    return tuple(sum(getattr(c, ch)() for c in px) / len(px) for ch in ("red", "green", "blue"))


# --------------------------------------------------------------------------- the legend
def test_legend_names_the_groups_and_only_the_decorations_drawn(qtbot, plan):
    view = _view(qtbot, plan)
    legend = view.legend()
    groups = plan.adapter.groups(plan.scenario)
    assert legend.isVisible() and legend.height() > 0 and legend.geometry().bottom() < view.viewport().y()
    assert legend.keys()[0] == "title" and legend.texts()[0] == "Jobs:"  # the kind's group word
    named = [e for e in legend.shown() if e.key == "group"]
    more = sum(e.count for e in legend.shown() if e.key == "more")
    assert [e.tip for e in named] == groups[: len(named)] and len(named) + more == len(groups)
    assert [QColor(e.color) for e in named] == view._colors[: len(named)]
    # the sample has setups and planned breaks, nothing compared, pinned, broken or re-planned
    keys = set(legend.keys())
    assert {"setup", "break"} <= keys
    assert not keys & {"moved", "reassigned", "violations", "pinned", "critical", "breakdown", "cut", "ghost"}
    # what the planner turns on shows up
    task = plan.schedule.work()[0].task
    plan.set_pinned([task], True)
    view.set_show_critical_path(True)
    assert {"pinned", "critical"} <= set(legend.keys())
    # a narrow Gantt names fewer groups (the strip keeps to two rows) and counts the rest
    view.resize(520, 420)
    narrow = [e for e in legend.shown() if e.key == "group"]
    assert len(narrow) < min(len(named), MAX_GROUPS) and legend.height() <= 2 * 18 + 4
    assert len(narrow) + sum(e.count for e in legend.shown() if e.key == "more") == len(groups)
    assert {"setup", "break", "pinned", "critical"} <= set(legend.keys())  # decorations are never dropped


def test_legend_toggles_from_the_view_menu(qtbot, sample_doc):
    w = MainWindow(PlanDocument(sample_doc), ask=lambda *_: "discard")
    qtbot.addWidget(w)
    w.plan.set_current("mwkr")
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    act = next(a for a in w.view_menu.actions() if a.text().replace("&", "") == "Legend")
    assert act.isCheckable() and act.isChecked()
    legend, top = w.gantt.legend(), w.gantt.viewport().y()
    assert legend.isVisible() and w.gantt.legend_visible()
    act.trigger()
    assert not act.isChecked() and not legend.isVisible() and not w.gantt.legend_visible()
    assert w.gantt.viewport().y() == top - legend.height_for(legend.width())  # the lanes move up
    act.trigger()
    assert legend.isVisible() and w.gantt.viewport().y() == top


# --------------------------------------------------------------------------- breakdowns and the cut time
def test_a_breakdown_is_drawn_unlike_a_planned_break(qtbot, plan):
    from opsplan.models.jobshop.disruptions import BREAKDOWN as JOBSHOP_BREAKDOWN

    assert BREAKDOWN == JOBSHOP_BREAKDOWN  # the reason the job shop's breakdown gives its window
    assert window_kind("breakdown") == "breakdown" and window_kind("night-shift break 02:00-02:30") == "break"
    (f_break, h_break), (f_down, h_down) = window_brushes("break"), window_brushes("breakdown")
    assert h_break.style() != h_down.style() and h_break.color() != h_down.color() and f_break != f_down
    with pytest.raises(ValueError, match="unknown window kind"):
        window_brushes("holiday")
    # on screen: the breakdown's window is red, the planned break on the same kind of lane grey
    _replan(plan, qtbot)
    view = _view(qtbot, plan)
    lane = {ld.lane.id: ld for ld in view._lanes}["OVA"]
    (ws, we, _), = [w for w in lane.windows if window_kind(w[2]) == "breakdown"]
    (ps, pe, _), = [w for w in lane.windows if window_kind(w[2]) == "break"]
    img = view.viewport().grab().toImage()
    y = round(view.lane_center_y("OVA") - 8 - 3)  # above the bars, inside the lane
    r, g, b = _mean(img, round(view.x_of_time((ws + we) / 2)) - 5, y, 10, 3)
    assert r > g + 15 and r > b + 15
    r, g, b = _mean(img, round(view.x_of_time((ps + pe) / 2)) - 5, y, 10, 3)
    assert abs(r - g) < 8 and abs(g - b) < 8


def test_the_cut_time_is_drawn_after_a_replan_and_survives_saving(qtbot, plan, tmp_path):
    view = _view(qtbot, plan)
    assert view.cut_time() is None and "cut" not in view.legend().keys()
    base = plan.current_name
    name, at = _replan(plan, qtbot)
    assert plan.schedule.replanned_at == at == view.cut_time()
    assert {"cut", "breakdown"} <= set(view.legend().keys()) and "moved" not in view.legend().keys()
    view.set_compare_with(base)
    assert {"cut", "breakdown", "moved", "ghost"} <= set(view.legend().keys())
    # a dashed line in the cut time's pixel column, where no bar is
    img = view.viewport().grab().toImage()
    x = round(view.x_of_time(at))
    column = [QColor(img.pixel(xx, y)) for xx in (x - 1, x, x + 1) for y in range(view.viewport().height() - 40)]
    assert sum(c == CUT_PEN.color() for c in column) > 20
    # the baseline was not re-planned: no line there
    plan.set_current(base)
    assert view.cut_time() is None and "cut" not in view.legend().keys()
    # saved and reopened, the re-plan still knows its cut time
    path = tmp_path / "replanned.json"
    io.save(plan.doc, path)
    again = PlanDocument(io.load(path))
    again.set_current(name)
    assert _view(qtbot, again).cut_time() == at


def test_an_exported_gantt_picture_carries_the_legend_and_the_cut_time(qtbot, plan, tmp_path):
    from PySide6.QtGui import QImage

    view = _view(qtbot, plan)
    _, at = _replan(plan, qtbot)
    with_legend = QImage(str(view.export_image(tmp_path / "with.png")))
    view.set_legend_visible(False)
    without = QImage(str(view.export_image(tmp_path / "without.png")))
    top = view.legend().height_for(with_legend.width())
    assert top > 0 and with_legend.height() == without.height() + top
    # the strip's colours are the legend's: its first group swatch sits in the top band
    band = {QColor(with_legend.pixel(x, y)).name() for x in range(0, with_legend.width(), 2) for y in range(top)}
    group = next(e for e in view.legend().entries() if e.key == "group")
    assert QColor(group.color).name() in band
    # the cut time's tag is in the header of both pictures (red, the cut colour)
    header = [QColor(without.pixel(x, y)) for x in range(without.width()) for y in range(2, 22)]
    assert sum(c == CUT_PEN.color() for c in header) > 50


# --------------------------------------------------------------------------- KPIs
def test_the_kpi_panel_says_why_the_baseline_breaks_the_scenario(qtbot, plan):
    panel = KpiPanel(plan)
    qtbot.addWidget(panel)
    base = plan.current_name
    assert panel.value("violations") == "0"
    name, at = _replan(plan, qtbot)
    assert panel.value("violations") == "0"  # the re-plan fits the breakdown
    plan.set_current(base)
    sc = plan.scenario
    n = len(plan.violations())
    assert n > 0
    when = format_time(at, sc.time_unit, sc.epoch)
    assert panel.value("violations") == f"{n} — made before the breakdown of Oven A (deck) at {when}"
    tip = panel._labels["violations"].toolTip()
    assert all(v.message in tip for v in plan.violations())


# --------------------------------------------------------------------------- the Compare dock
def test_compare_dock_shows_every_row_and_column_at_1280x800(qtbot, sample_doc):
    plan = PlanDocument(sample_doc)
    plan.set_current("mwkr")
    w = MainWindow(plan, ask=lambda *_: "discard")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    name, _ = _replan(w.plan, qtbot)  # a long plan name next to the baseline
    w.findChild(QDockWidget, "compareDock").raise_()
    qtbot.wait(1)  # let the dock lay out
    t = w.compare_panel.table
    assert t.isVisible() and t.columnCount() == 2 and t.rowCount() >= 8
    header = t.horizontalHeader()
    for c in range(t.columnCount()):  # nothing elided: each column as wide as its values and its name
        assert t.columnWidth(c) >= max(t.sizeHintForColumn(c), header.sectionSizeHint(c))
    assert t.textElideMode().name == "ElideNone"
    # every row and every column in view at once, no scrolling needed
    assert sum(t.rowHeight(r) for r in range(t.rowCount())) <= t.viewport().height()
    assert sum(t.columnWidth(c) for c in range(t.columnCount())) <= t.viewport().width()
    assert t.verticalScrollBar().maximum() == 0 and t.horizontalScrollBar().maximum() == 0
    assert w.compare_panel.column_names()[1] == name
