"""Plan names say what made them; exports get safe names; ``--compare`` finds a solver's plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from opsplan.app.gui import app as gui_app
from opsplan.app.gui.disruption import DisruptionDialog
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.main_window import MainWindow
from opsplan.app.gui.plan_names import export_name, find_plan, plan_name, rename_problem, slug, with_suffix
from opsplan.app.gui.solve_panel import SolvePanel
from opsplan.models.io import document as io
from opsplan.models.io.importers import import_file
from opsplan.solvers import Termination
from PySide6.QtWidgets import QFileDialog, QInputDialog

from .conftest import ROOT, SAMPLE

ABZ7 = ROOT / "tests" / "data" / "benchmarks" / "jobshop" / "abz7.txt"


def _solve(qtbot, panel, reopt=False, **kw) -> str:
    assert (panel.reoptimize if reopt else panel.solve)(**kw) is not None, panel.status_text()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30_000)
    assert panel.last_schedule_name, panel.status_text()
    return panel.last_schedule_name


@pytest.fixture
def window(qtbot):
    w = MainWindow(ask=lambda *_: "discard")
    qtbot.addWidget(w)
    return w


def test_the_name_says_solver_re_opt_and_a_counter_never_a_clock(plan, qtbot):
    panel = SolvePanel(plan)
    qtbot.addWidget(panel)
    assert _solve(qtbot, panel, solver="dispatch:mwkr") == "dispatch:mwkr"
    assert _solve(qtbot, panel, solver="dispatch:mwkr") == "dispatch:mwkr (2)"
    # a 2 s limit cpsat never reaches on the sample (it proves optimality first): not in the name
    assert _solve(qtbot, panel, solver="cpsat", time_limit=2) == "cpsat"
    assert panel.last_result.termination == Termination.OPTIMAL
    assert _solve(qtbot, panel, reopt=True, solver="cpsat", time_limit=2) == "cpsat re-opt"
    assert plan.current_name == "cpsat re-opt" and "added as “cpsat re-opt”" in panel.status_text()
    assert [s.name for s in plan.schedules] == ["mwkr", "dispatch:mwkr", "dispatch:mwkr (2)", "cpsat", "cpsat re-opt"]


def test_a_limit_that_stopped_the_solve_is_in_the_name(qtbot):
    plan = PlanDocument(import_file(ABZ7, "auto"))  # 20 x 15: far from proved in half a second
    panel = SolvePanel(plan)
    qtbot.addWidget(panel)
    assert _solve(qtbot, panel, solver="cpsat", time_limit=0.5) == "cpsat 0.5s"
    assert panel.last_result.termination == Termination.TIME_LIMIT


def test_the_pure_naming_rules():
    assert plan_name("policy:jobshop-sl") == "policy:jobshop-sl"
    assert plan_name("cpsat", {"cpsat", "cpsat (2)"}, time_limit=10.0, reoptimized=True) == "cpsat 10s re-opt"
    assert plan_name("cpsat", {"cpsat 10s re-opt"}, time_limit=10, reoptimized=True) == "cpsat 10s re-opt (2)"
    assert plan_name("cpsat", after="Oven  down\n@40+15") == "cpsat after Oven down @40+15"
    # a solver's name finds the newest plan it made; an exact name wins
    names = ["mwkr", "cpsat 10s", "cpsat-lns", "cpsat (2)"]
    assert find_plan(names, "cpsat") == "cpsat (2)" and find_plan(names, "mwkr") == "mwkr"
    assert find_plan(names, "cpsat-lns") == "cpsat-lns" and find_plan(names, "mip") is None
    assert rename_problem("  ", "a", ["a", "b"]) == "A plan name cannot be empty."
    assert "already a plan called “b”" in rename_problem(" b ", "a", ["a", "b"])
    assert rename_problem("a", "a", ["a", "b"]) == rename_problem("c", "a", ["a", "b"]) == ""
    assert slug("Bakery night-shift: Crème / 23:58:22") == "bakery-night-shift-creme-23-58-22"
    assert export_name(["Bakery night shift", "dispatch:mwkr", "::"], "csv") == "bakery-night-shift-dispatch-mwkr.csv"
    assert export_name([":"], "json", Path("/x")) == str(Path("/x/plan.json"))
    assert with_suffix("/x/plan", "xlsx") == "/x/plan.xlsx" and with_suffix("/x/p.XLSX", "xlsx") == "/x/p.XLSX"


def test_the_disruption_plan_is_named_after_solver_and_disruption(plan, qtbot):
    dlg = DisruptionDialog(plan)
    qtbot.addWidget(dlg)
    dlg.choose("machine_down")
    machine = dlg.target_box("machine_down").currentText()
    dlg.solver.setCurrentText("cpsat")
    assert dlg.run(), dlg.status.text()
    qtbot.waitUntil(lambda: dlg.new_name is not None or "no new plan" in dlg.status.text(), timeout=30_000)
    from opsplan.app.gui.timeaxis import Clock

    words = dlg.chosen().text(dlg.disruptions()[0], Clock.of(plan.scenario))
    event = dlg.disruptions()[0]
    clock = Clock.of(plan.scenario)
    # the kind's words, in the board's time language: "MIX1 down Wed 02 Dec 01:06 for 56 min"
    assert words == f"{machine} down {clock.time(event.at)} for {clock.span(event.duration)}"
    assert " Dec " in words and "@" not in words
    assert dlg.new_name == plan.current_name == f"cpsat after {words}"
    assert plan.undo_stack.undoText() == f"Re-plan after {words}"


@pytest.mark.parametrize(("fmt", "kind"), [("xlsx", "Excel workbook (*.xlsx)"), ("csv", "CSV (*.csv)"),
                                           ("json", "JSON (*.json)")])
def test_plan_export_suggests_a_safe_name_in_the_documents_folder(window, sample_doc, tmp_path, monkeypatch,
                                                                  fmt, kind):
    io.save(sample_doc.with_schedule(sample_doc.schedules[0].renamed("cpsat 23:58:22")), tmp_path / "bakery.json")
    assert window.open_path(tmp_path / "bakery.json")
    window.plan.set_current("cpsat 23:58:22")
    asked = []

    def save_name(_parent, title, suggested, filters="", *_a, **_k):
        asked.append((title, suggested, filters))
        return str(tmp_path / "out" / "mine"), filters.split(";;")[0]  # typed without a suffix

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    window.export_schedule_dialog(fmt)
    (_title, suggested, filters), = asked
    assert suggested == str(tmp_path / f"bakery-night-shift-cpsat-23-58-22.{fmt}")
    assert filters == f"{kind};;All files (*)"
    assert (tmp_path / "out" / f"mine.{fmt}").stat().st_size > 0  # the suffix was added


def test_view_export_suggests_a_safe_name_and_image_types(window, sample_doc, tmp_path, monkeypatch):
    window.set_plan(PlanDocument(sample_doc))  # never saved: no folder to suggest
    window.plan.set_current("mwkr")
    asked = []

    def save_name(_parent, title, suggested, filters="", *_a, **_k):
        asked.append((suggested, filters))
        return str(tmp_path / "board"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    window.export_view_dialog("Resource view", "png")
    window.export_view_dialog("Gantt", "svg")
    assert asked == [("bakery-night-shift-mwkr-resource-view.png", "PNG image (*.png);;All files (*)"),
                     ("bakery-night-shift-mwkr-gantt.svg", "SVG (*.svg);;All files (*)")]
    assert (tmp_path / "board.png").stat().st_size > 0 and (tmp_path / "board.svg").stat().st_size > 0


def test_rename_refuses_empty_and_taken_names_and_undoes(window, sample_doc, monkeypatch):
    window.set_plan(PlanDocument(sample_doc.with_schedule(sample_doc.schedules[0].renamed("other"))))
    window.plan.set_current("mwkr")
    answers = iter([("  ", True), ("other", True), ("night plan", True)])
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: next(answers))
    steps = window.plan.undo_stack.count()
    window.rename_schedule_dialog()
    assert "cannot be empty" in window.statusBar().currentMessage()
    window.rename_schedule_dialog()
    assert "already a plan called “other”" in window.statusBar().currentMessage()
    assert [s.name for s in window.plan.schedules] == ["mwkr", "other"] and window.plan.undo_stack.count() == steps
    window.rename_schedule_dialog()
    assert [s.name for s in window.plan.schedules] == ["night plan", "other"]
    assert window.plan.current_name == "night plan"
    window.plan.undo_stack.undo()
    assert [s.name for s in window.plan.schedules] == ["mwkr", "other"] and window.plan.current_name == "mwkr"


def _shot_compare(monkeypatch) -> list:
    """Wrap the real screenshot so the test sees which plans the window compared."""
    seen, real = [], gui_app.screenshot

    def shot(window, *args, **kwargs):
        seen.append((window.plan.current_name, window.gantt.compare_with()))
        return real(window, *args, **kwargs)

    monkeypatch.setattr(gui_app, "screenshot", shot)
    return seen


def test_gui_solve_cpsat_compare_cpsat_works(qtbot, tmp_path, monkeypatch, capsys):
    seen = _shot_compare(monkeypatch)
    png = tmp_path / "shot.png"
    rc = gui_app.main([str(SAMPLE), "--solve", "cpsat", "--time-limit", "2", "--compare", "cpsat",
                       "--screenshot", str(png), "--size", "800x500"])
    assert rc == 0, capsys.readouterr().err
    assert seen == [("cpsat", "cpsat")] and png.stat().st_size > 0


def test_gui_compare_by_solver_name_finds_its_newest_plan_and_says_when_none(qtbot, sample_doc, tmp_path,
                                                                             monkeypatch, capsys):
    seen = _shot_compare(monkeypatch)
    doc = tmp_path / "two.json"
    io.save(sample_doc.with_schedule(sample_doc.schedules[0].renamed("cpsat 10s")), doc)
    args = [str(doc), "--solve", "dispatch:mwkr", "--screenshot", str(tmp_path / "s.png"), "--size", "800x500"]
    assert gui_app.main([*args, "--compare", "cpsat"]) == 0, capsys.readouterr().err
    assert seen == [("dispatch:mwkr", "cpsat 10s")]
    assert gui_app.main([*args, "--compare", "mip"]) == 2
    err = capsys.readouterr().err
    assert "no plan called 'mip' (plans: 'mwkr', 'cpsat 10s', 'dispatch:mwkr')" in err
