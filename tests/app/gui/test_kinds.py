"""One GUI bundle per kind: the board, its menus and panels read the registries, never a kind.

The toy kind of :mod:`tests.toykind` (registered here in the models layer, with the GUI
bundle of :mod:`tests.app.gui.toykind_gui`) shows up in File → New and File → Import,
opens on the board with its own KPI rows and its extra view, and goes again when it is
unregistered.
"""

from __future__ import annotations

import pytest
from opsplan.app.gui.kinds import (
    OBJECTIVE_ROW,
    VIOLATIONS_ROW,
    board_kinds,
    bundle_for,
    default_kind,
    find_bundle,
    kpi_rows,
)
from opsplan.app.gui.main_window import MainWindow
from opsplan.models.kinds import KPI, LOWER, descriptor, kinds
from opsplan.models.schedule import Assignment, Schedule
from PySide6.QtWidgets import QDockWidget, QLabel

from tests.app.gui import toykind_gui
from tests.toykind import KIND, registered


@pytest.fixture
def toy():
    """The toy kind in the models layer and its GUI bundle, for the duration of a test."""
    kinds()  # the built-in kinds first, as in the application
    with registered(("models",)):
        undo = toykind_gui.register_gui()
        try:
            yield
        finally:
            undo()


@pytest.fixture
def window(qtbot):
    w = MainWindow(ask=lambda what, text: "discard", autosave_ms=10_000)
    qtbot.addWidget(w)
    return w


def _toy_plan() -> Schedule:
    """A feasible toy plan: a+c on L1, b+d+e on L2 (makespan 8)."""
    return Schedule.of([
        Assignment("a", "L1", 0, 5), Assignment("c", "L1", 5, 8),
        Assignment("b", "L2", 0, 4), Assignment("d", "L2", 4, 6), Assignment("e", "L2", 6, 8),
    ], "by hand")


def _menu_kinds(menu) -> list[str]:
    menu.aboutToShow.emit()  # the menu fills itself as it opens
    return [a.data() for a in menu.actions() if a.data()]


# --------------------------------------------------------------------------- the registry
def test_the_job_shop_bundle_is_built_in(plan):
    b = bundle_for("jobshop")
    assert plan.adapter is b.adapter and bundle_for(plan.scenario) is b
    assert board_kinds()[0] == default_kind() == "jobshop"
    assert b.label == descriptor("jobshop").label == "Job shop"
    assert b.editor_spec is not None and b.disruptions and b.bench_scenario is not None
    assert find_bundle("no-such-kind") is None
    with pytest.raises(ValueError, match="cannot show 'no-such-kind' scenarios yet"):
        bundle_for("no-such-kind")


def test_a_kind_without_a_bundle_is_not_offered(window):
    """A kind registered in the models layer only cannot be shown: not in New, refused on import."""
    kinds()
    with registered(("models",)):
        assert KIND in kinds() and KIND not in board_kinds()
        assert _menu_kinds(window.new_menu) == ["jobshop"]


# --------------------------------------------------------------------------- File → New
def test_new_menu_lists_the_registered_kinds(window, toy):
    assert _menu_kinds(window.new_menu) == ["jobshop", KIND]
    labels = [a.text() for a in window.new_menu.actions()]
    assert labels == ["Job shop", "Toy"]  # the descriptors' labels
    toy_action = next(a for a in window.new_menu.actions() if a.data() == KIND)
    toy_action.trigger()
    plan = window.plan
    assert plan.scenario.kind == KIND and plan.scenario == descriptor(KIND).new_scenario()
    # the generic board shows it: lanes from the descriptor's resources, its KPI rows, its extra view
    assert window.gantt.lane_ids() == ["L1", "L2"] == window.resource_view.lane_ids()
    assert window.kpi_panel.row_keys() == ["objective_value", "makespan", "mean_utilization", "violations"]
    dock = next(d for d in window.findChildren(QDockWidget) if d.windowTitle() == toykind_gui.EXTRA_TITLE)
    assert dock.widget() is window.extra_views[toykind_gui.EXTRA_TITLE]
    assert [dock.widget().item(i).text() for i in range(dock.widget().count())] == ["Lane 1", "Lane 2"]
    assert window.editor.table_keys() == [] and window.editor.findChild(QLabel) is not None  # no editor spec
    # a plan on the toy board: KPIs from the descriptor, bars coloured by its groups
    plan.add_schedule(_toy_plan())
    assert window.kpi_panel.values()["makespan"] == 8 and window.kpi_panel.value("violations") == "0"
    assert {a.task for a in window.gantt.bars()} == {"a", "b", "c", "d", "e"}
    # back to a job shop: the toy's extra view goes with its plan
    window.new_document("jobshop")
    assert window.plan.scenario.kind == "jobshop" and toykind_gui.EXTRA_TITLE not in window.extra_views
    assert not [d for d in window.findChildren(QDockWidget) if d.windowTitle() == toykind_gui.EXTRA_TITLE
                and not d.isHidden()]


def test_new_menu_forgets_an_unregistered_kind(window):
    kinds()
    with registered(("models",)):
        undo = toykind_gui.register_gui()
        assert KIND in _menu_kinds(window.new_menu)
        undo()
    assert _menu_kinds(window.new_menu) == ["jobshop"]


def test_the_first_registered_kind_is_the_default(qtbot, toy):
    w = MainWindow(ask=lambda what, text: "discard", autosave_ms=10_000)
    qtbot.addWidget(w)
    assert w.plan.scenario.kind == default_kind() == "jobshop"


# --------------------------------------------------------------------------- File → Import
def _import_formats(window) -> dict[str, list[str]]:
    """Kind label -> the formats its Import submenu offers."""
    window.import_menu.aboutToShow.emit()
    return {a.menu().title(): [x.data() for x in a.menu().actions()]
            for a in window.import_menu.actions() if a.menu() is not None}


def test_import_menu_lists_each_kinds_formats(window, toy, tmp_path):
    from opsplan.models.io.importers import formats_for

    first = window.import_menu.actions()[0]
    assert first is window.act_import and first.shortcut().toString() == "Ctrl+I"
    offered = _import_formats(window)
    assert offered == {"Job shop": formats_for("jobshop"), "Toy": ["toy-text"]}
    assert "orlib-jobshop" in offered["Job shop"]
    # the toy's format imports onto the board
    f = tmp_path / "three.toy"
    f.write_text("2\n5\n3\n4\n")
    assert window.import_path(str(f), "toy-text")
    assert window.plan.scenario.kind == KIND and len(window.plan.scenario.tasks) == 3


def test_import_of_a_kind_the_board_cannot_show_is_refused(window, tmp_path):
    kinds()
    with registered(("models",)):
        f = tmp_path / "three.toy"
        f.write_text("2\n5\n3\n4\n")
        before = window.plan
        assert not window.import_path(str(f), "toy-text")
        assert window.plan is before and "cannot show 'toy'" in window.statusBar().currentMessage()


# --------------------------------------------------------------------------- KPI rows
def test_kpi_rows_come_from_the_descriptor(qtbot, plan):
    from opsplan.app.gui.kpi_panel import ComparePanel, KpiPanel

    kpis = descriptor("jobshop").kpi_list
    assert kpi_rows("jobshop") == (OBJECTIVE_ROW, *kpis, VIOLATIONS_ROW)
    panel = KpiPanel(plan)
    qtbot.addWidget(panel)
    assert panel.row_keys() == ["objective_value", *(k.key for k in kpis), "violations"]
    assert [panel.row_label(k.key) for k in kpis] == [k.label for k in kpis]
    util = next(k for k in kpis if k.unit == "%")  # shown as a percentage
    assert panel.value(util.key).endswith("%")
    time_kpi = next(k for k in kpis if k.unit == "time")  # shown with the time unit
    assert panel.value(time_kpi.key).endswith(str(plan.scenario.time_unit))
    compare = ComparePanel(plan)
    qtbot.addWidget(compare)
    assert compare.row_keys() == [*panel.row_keys(), "changes"]


def test_a_bundle_may_choose_its_kpi_rows_and_the_better_direction_colours_deltas(qtbot, toy):
    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.kpi_panel import ComparePanel, KpiPanel
    from opsplan.models.io.document import Document

    from tests.toykind import sample

    slow = Schedule.of([Assignment(t.id, "L1", s, s + t.duration) for t, s in
                        zip(sample().tasks, (0, 5, 9, 12, 14))], "slow")  # everything on L1: makespan 16
    plan = PlanDocument(Document(sample(), (_toy_plan(), slow)))
    plan.set_current("by hand")
    compare = ComparePanel(plan)
    qtbot.addWidget(compare)
    assert compare.delta("makespan", "slow") == "worse"  # lower is better: 16 against 8
    assert compare.delta("mean_utilization", "slow") == "worse"  # higher is better: 50 % against 100 %
    assert compare.delta("makespan", "by hand") == ""  # the current plan itself
    assert compare.best_columns("makespan") == ["by hand"] == compare.best_columns("mean_utilization")
    plan.set_current("slow")
    assert compare.delta("makespan", "by hand") == "better"
    # a bundle that names its own rows (and a neutral one: no best, no colour)
    toykind_gui.register_gui(kpi_rows=(KPI("makespan", "Span", "time", LOWER),
                                       KPI("mean_utilization", "Busy", "%", "")))
    assert kpi_rows(KIND) == (OBJECTIVE_ROW, KPI("makespan", "Span", "time", LOWER),
                              KPI("mean_utilization", "Busy", "%", ""), VIOLATIONS_ROW)
    panel = KpiPanel(plan)
    qtbot.addWidget(panel)
    assert panel.row_keys() == ["objective_value", "makespan", "mean_utilization", "violations"]
    assert panel.row_label("makespan") == "Span" and panel.value("mean_utilization") == "50.0%"
    compare.refresh()
    assert compare.best_columns("mean_utilization") == [] and compare.delta("mean_utilization", "by hand") == ""


# --------------------------------------------------------------------------- disruptions and bench
def test_disruption_forms_come_from_the_bundle_or_the_descriptor(qtbot, plan, toy):
    from opsplan.app.gui.disruption import DisruptionDialog
    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.kinds import disruption_forms
    from opsplan.models.io.document import Document
    from opsplan.models.kinds import DisruptionEvent

    from tests.toykind import sample

    # the job shop's: its descriptor's types, with the bundle's starting values
    types = descriptor("jobshop").disruptions
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    assert list(dlg.kind_buttons) == [d.name for d in types] == [f.name for f in bundle_for("jobshop").disruptions]
    down = descriptor("jobshop").disruption("machine_down")
    assert dlg.kind_buttons["machine_down"].text() == down.label
    assert [f.label for f in disruption_forms("jobshop")[0].fields] == [label for _, label, _ in down.fields]
    box = dlg.target_box("machine_down")
    assert [box.itemText(i) for i in range(box.count())] == [m.id for m in plan.scenario.machines]
    assert dlg.field_box("machine_down", "at").value() == plan.schedule.makespan // 3
    # a bundle that says nothing: one form per type of the descriptor, making generic events
    toy_plan = PlanDocument(Document(sample(), (_toy_plan(),)))
    dlg = DisruptionDialog(toy_plan)
    qtbot.addWidget(dlg)
    assert list(dlg.kind_buttons) == ["lane_down"] and dlg.kind_buttons["lane_down"].text() == "Lane down"
    box = dlg.target_box("lane_down")
    assert [box.itemText(i) for i in range(box.count())] == ["L1", "L2"]
    box.setCurrentText("L2")
    dlg.field_box("lane_down", "at").setValue(3)
    assert dlg.disruptions() == [DisruptionEvent("lane_down", "L2", 3, 0)]
    # a bundle without disruption forms: nothing to re-plan from, and the dialog says so
    toykind_gui.register_gui(disruptions=())
    dlg = DisruptionDialog(toy_plan)
    qtbot.addWidget(dlg)
    assert dlg.kind_buttons == {} and not dlg.run() and "no disruptions" in dlg.status.text()


def test_bench_plan_comes_from_the_bundle(toy):
    from opsplan.app.gui.bench import bench_kinds, bench_scenario

    assert bench_kinds() == ["jobshop"]
    assert bench_scenario(40).kind == "jobshop"
    with pytest.raises(ValueError, match="no synthetic bench plan for 'toy'"):
        bench_scenario(40, kind=KIND)
