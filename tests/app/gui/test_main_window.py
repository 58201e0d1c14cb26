"""The main window end to end: open, solve, edit, save/reopen, close prompts, crash recovery, screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from opsplan.app.gui import recovery
from opsplan.app.gui.main_window import MainWindow
from opsplan.models.io import document as io
from PySide6.QtWidgets import QDockWidget

from .conftest import ROOT, SAMPLE


def _wait_idle(qtbot, panel, timeout=30_000):
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=timeout)


@pytest.fixture
def window(qtbot):
    answers = []
    box = {}

    def ask(what, text):
        answers.append((what, text))
        return box["w"].answer  # set by the test

    w = MainWindow(ask=ask, autosave_ms=50)
    box["w"] = w
    w.answer = "discard"
    w.answers = answers
    qtbot.addWidget(w)
    yield w
    w.answer = "discard"


def test_open_solve_with_rule_and_cpsat(window, qtbot):
    assert window.open_path(SAMPLE)
    assert window.plan.scenario.name and "bakery" in window.windowTitle()
    window.solve_panel.solve("dispatch:mwkr")
    _wait_idle(qtbot, window.solve_panel)
    assert window.plan.schedule is not None and window.plan.violations() == []
    first = window.plan.current_name
    window.solve_panel.solve("cpsat", time_limit=5)
    _wait_idle(qtbot, window.solve_panel)
    assert window.plan.current_name != first and window.plan.violations() == []
    assert window.schedule_combo.count() == 2
    assert window.plan.kpis()["objective_value"] <= window.plan.kpis(window.plan.doc.schedule(first))[
        "objective_value"]


def test_save_and_reopen_is_identical(window, qtbot, tmp_path, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    window.set_plan(PlanDocument(sample_doc))
    window.plan.set_current("mwkr")
    t = window.plan.schedule.work()[0]
    window.plan.move_task(t.task, t.start + 7)
    window.plan.set_pinned([t.task], True)
    assert window.plan.dirty and window.isWindowModified()
    path = tmp_path / "saved.json"
    assert window.save_to(path)
    assert not window.plan.dirty
    again = MainWindow(ask=lambda *_: "discard")
    qtbot.addWidget(again)
    assert again.open_path(path)
    assert io.documents_equal(again.plan.doc, window.plan.doc)
    assert str(path.resolve()) in again.recent_files()


def test_close_asks_to_save_and_cancel_keeps_the_window(window, qtbot, sample_doc, tmp_path):
    from opsplan.app.gui.document import PlanDocument

    window.set_plan(PlanDocument(sample_doc))
    window.show()
    window.plan.compact()
    assert window.plan.dirty
    window.answer = "cancel"
    assert not window.close()
    assert window.answers and window.answers[-1][0] == "save"
    window.answer = "discard"
    assert window.close()


def test_export_plan_and_views(window, tmp_path, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    window.set_plan(PlanDocument(sample_doc))
    window.plan.set_current("mwkr")
    assert window.export_schedule(str(tmp_path / "p.csv"))
    assert (tmp_path / "p.csv").read_text().count("\n") > len(window.plan.schedule.work())
    for view in ("Gantt", "Resource view"):
        out = tmp_path / f"{view}.png"
        assert window.export_view(view, str(out))
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_file_gives_a_message_not_a_crash(window, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    assert not window.open_path(bad)
    assert "bad.json" in window.statusBar().currentMessage()


CRASHER = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from opsplan.app.gui.main_window import MainWindow
    from opsplan.solvers import Params, solve
    w = MainWindow(autosave_ms=10)
    w.open_path(sys.argv[1])
    r = solve(w.plan.scenario, "dispatch:spt", Params())
    w.plan.add_schedule(r.schedule.renamed("unsaved work"))
    w.plan.compact()
    from PySide6.QtTest import QTest
    QTest.qWait(300)           # the autosave timer fires
    os._exit(17)               # crash: no close, no cleanup
    """
)


def test_crash_recovery_file_is_offered_and_restored(qtbot, tmp_path):
    env = dict(os.environ, OPSPLAN_CONFIG_DIR=os.environ["OPSPLAN_CONFIG_DIR"])
    proc = subprocess.run([sys.executable, "-c", CRASHER, str(SAMPLE)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 17, proc.stderr
    pending = recovery.pending()
    assert len(pending) == 1 and pending[0].original and pending[0].original.endswith("bakery-jobshop.json")
    asked = []
    w = MainWindow(ask=lambda what, text: asked.append(what) or "restore")
    qtbot.addWidget(w)
    assert w.offer_recovery()
    assert asked == ["restore"]
    assert [s.name for s in w.plan.schedules][-1] == "unsaved work"
    assert w.plan.dirty and w.plan.violations() == []
    # the restored work is now this session's: the old file is gone, a fresh autosave exists
    assert [r.pid for r in recovery.pending()] == [os.getpid()]
    w.plan.undo_stack.setClean()
    w.close()
    assert recovery.pending() == []


def test_a_recovery_file_that_cannot_be_loaded_is_kept_aside_not_deleted(qtbot, tmp_path):
    """Its unsaved work may still be read by hand: it is renamed out of the next offer, and the
    message says where (it was deleted)."""
    store = recovery.RecoveryStore("crashed")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"format": "opsplan", "version": 1, "kind": "jobshop", "scenario": {"name": ')
    w = MainWindow(ask=lambda what, text: "restore")
    qtbot.addWidget(w)
    assert not w.offer_recovery()
    kept = store.path.with_name(store.path.name + ".unreadable")
    assert kept.exists() and not store.path.exists() and recovery.pending() == []
    assert str(kept) in w.statusBar().currentMessage()


def test_a_saved_plan_with_problems_opens_on_request_with_its_issues(qtbot, sample_doc, tmp_path):
    """The editor lets a planner save work in progress that does not validate yet (here a deadline
    no route can meet); opening it was refused outright. Now it opens when asked, issues listed."""
    from dataclasses import replace

    sc = sample_doc.scenario
    bad = replace(sc, jobs=(replace(sc.jobs[0], deadline=sc.jobs[0].release), *sc.jobs[1:]))
    path = tmp_path / "wip.json"
    io.save(io.Document(bad, sample_doc.schedules), path)
    asked = []
    for answer, opened in (("cancel", False), ("open", True)):
        w = MainWindow(ask=lambda what, text, a=answer: asked.append((what, text)) or a)
        qtbot.addWidget(w)
        assert w.open_path(path) is opened
        if opened:
            assert w.plan.issues() and w.plan.path == path
        else:
            assert "Cannot open" in w.statusBar().currentMessage()
    assert asked[0][0] == "open_invalid" and "deadline" in asked[0][1]


def test_autosave_follows_edits_and_save_removes_it(window, qtbot, sample_doc, tmp_path):
    from opsplan.app.gui.document import PlanDocument

    window.set_plan(PlanDocument(sample_doc))
    window.plan.set_current("mwkr")
    window.plan.compact()
    qtbot.waitUntil(lambda: window._recovery.path.exists(), timeout=5000)
    saved = io.load(window._recovery.path, validate=False)
    assert io.documents_equal(saved, window.plan.doc)
    assert window.save_to(tmp_path / "x.json")
    assert not any(p.name.endswith(".opsplan.json") for p in recovery.recovery_dir().glob("*")) or \
        window._recovery.path.exists() is False


def test_headless_screenshot_command(tmp_path):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "opsplan.app.cli", "gui", str(SAMPLE), "--solve", "dispatch:mwkr",
                           "--screenshot", str(out)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert img.width() == 1600 and img.height() == 1000
    # not a blank picture: many distinct colours (bars coloured by job)
    colours = {img.pixel(x, y) for x in range(0, 1600, 23) for y in range(0, 1000, 17)}
    assert len(colours) > 12


def test_gui_without_display_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    proc = subprocess.run([sys.executable, "-m", "opsplan.app.cli", "gui", str(SAMPLE)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3
    assert "no display" in proc.stderr and "--screenshot" in proc.stderr


def test_window_layout_is_remembered(qtbot):

    w = MainWindow(ask=lambda *_: "discard")
    qtbot.addWidget(w)
    w.show()
    w.resize(760, 700)  # the offscreen screen clamps restored heights, so the width is what we compare
    w.findChild(QDockWidget, "issuesDock").hide()
    assert w.close()
    again = MainWindow(ask=lambda *_: "discard")
    qtbot.addWidget(again)
    again.show()
    assert again.width() == 760
    assert again.findChild(QDockWidget, "issuesDock").isHidden()


def test_import_benchmark_files(window, tmp_path, bench_dir):
    bench = bench_dir
    assert window.import_path(str(bench / "jobshop" / "ft06.txt"), "orlib-jobshop")
    assert len(window.plan.scenario.jobs) == 6 and window.plan.schedule is None
    assert window.import_path(str(bench / "tardiness" / "wt40.txt"), "orlib-wt", index=3)
    assert len(window.plan.scenario.jobs) == 40 and len(window.plan.scenario.machines) == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2\n0 5 1\n")
    assert not window.import_path(str(bad), "orlib-jobshop")
    assert "bad.txt" in window.statusBar().currentMessage()


def test_screenshot_of_the_shipped_policy_replayed_half_way(qtbot, tmp_path):
    """--solve policy:jobshop-sl --show replay: the replay dock shows the shipped policy's decisions at n // 2."""
    from opsplan.app.gui.app import _solve_now, screenshot

    w = MainWindow(ask=lambda *_: "discard")
    qtbot.addWidget(w)
    assert w.open_path(SAMPLE)
    _solve_now(w, "policy:jobshop-sl", 10.0)
    assert w.replay_panel.has_trace() and w.replay_panel.n > 0
    shown = []
    real = w.replay_panel.set_step
    w.replay_panel.set_step = lambda k: (real(k), shown.append((k, w.replay_panel.k)))
    out = tmp_path / "replay.png"
    assert screenshot(w, str(out), "1200x800", "replay") == 0 and out.stat().st_size > 0
    half = w.replay_panel.n // 2
    assert shown[0] == (half, half)  # the picture shows the plan after half the decisions


def _crashed_autosave(original, doc) -> recovery.RecoveryStore:
    """A recovery file as a crashed session leaves it: written, its process gone."""
    import json

    store = recovery.RecoveryStore(str(original.resolve()))
    store.write(doc, original)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    meta = store._meta(store.path)
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "pid": dead.pid}))
    return store


def test_crashed_work_on_a_file_survives_reopening_it_and_is_offered(qtbot, sample_doc, tmp_path):
    path = tmp_path / "plan.json"
    io.save(sample_doc, path)
    unsaved = sample_doc.with_schedule(sample_doc.schedules[0].renamed("unsaved work"))
    crashed = _crashed_autosave(path, unsaved)
    asked = []
    answer = {"restore": "later"}
    w = MainWindow(ask=lambda what, text: asked.append(what) or answer.get(what, "discard"), autosave_ms=20)
    qtbot.addWidget(w)
    # opened again and closed cleanly after "Later": the crashed session's work is still there
    assert w.open_path(path) and asked == ["restore"]
    w.plan.compact()  # this session autosaves too, into its own file
    qtbot.waitUntil(lambda: w._recovery.path.exists(), timeout=5000)
    assert w._recovery.path != crashed.path and crashed.path.exists()
    w.plan.undo_stack.setClean()
    w.close()
    assert [r.path for r in recovery.pending(path)] == [crashed.path]
    # the next time the file is opened, restoring brings the work back
    answer["restore"] = "restore"
    w2 = MainWindow(ask=lambda what, text: answer.get(what, "discard"))
    qtbot.addWidget(w2)
    assert w2.open_path(path)
    assert "unsaved work" in [s.name for s in w2.plan.schedules] and w2.plan.dirty
    assert not crashed.path.exists()
    # another file's recovery is not offered when this one is opened
    other = _crashed_autosave(tmp_path / "other.json", unsaved)
    assert [r.path for r in recovery.pending(path)] == [w2._recovery.path] or recovery.pending(path) == []
    assert other.path in [r.path for r in recovery.pending()]


def test_undo_back_to_saved_removes_the_recovery_file(window, qtbot, sample_doc, tmp_path):
    path = tmp_path / "x.json"
    io.save(sample_doc, path)
    assert window.open_path(path)
    window.plan.set_current("mwkr")
    window.plan.compact()
    qtbot.waitUntil(lambda: window._recovery.path.exists(), timeout=5000)
    window.plan.undo_stack.undo()
    assert not window.plan.dirty
    qtbot.waitUntil(lambda: not window._recovery.path.exists(), timeout=5000)


def test_a_steady_stream_of_edits_is_autosaved_while_it_lasts(qtbot, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard", autosave_ms=300)
    qtbot.addWidget(w)
    w.plan.set_current("mwkr")
    task = w.plan.schedule.work()[0].task
    for i in range(50):  # an edit every 30 ms for 1.5 s: the debounce never gets a quiet 300 ms
        w.plan.set_pinned([task], i % 2 == 0)
        qtbot.wait(30)
    assert w._recovery.path.exists()


def _long_solve_window(qtbot, answer):
    from opsplan.app.gui.document import PlanDocument
    from opsplan.models.io.importers import import_file

    bench = ROOT / "tests" / "data" / "benchmarks"  # the copies the tests carry
    doc = import_file(bench / "jobshop" / "abz7.txt", "orlib-jobshop")
    w = MainWindow(PlanDocument(doc), ask=lambda what, text: answer.get(what, "discard"))
    qtbot.addWidget(w)
    w.solve_panel.solve("cpsat", time_limit=600)
    qtbot.waitUntil(lambda: w.solve_panel.is_running(), timeout=5000)
    return w


def test_closing_during_a_solve_asks_first_and_cancel_keeps_it_running(qtbot):
    answer = {"stop": "cancel"}
    w = _long_solve_window(qtbot, answer)
    w.show()
    assert not w.close()
    assert w.isVisible() and w.solve_panel.is_running() and not w.solve_panel.worker.is_cancelled()
    answer.update(stop="stop", save="discard")
    assert w.close()
    assert not w.solve_panel.is_running()


def test_opening_another_plan_stops_the_running_solve(qtbot, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    w = _long_solve_window(qtbot, {})
    worker = w.solve_panel.worker
    w.set_plan(PlanDocument(sample_doc))
    assert worker.is_cancelled() and not worker.is_running()
    assert not w.solve_panel.is_running()


def test_opening_another_plan_keeps_the_solve_settings(window, sample_doc):
    """Solver, limits, seed, gap and race members chosen in the solve panel survive opening another plan."""
    from opsplan.app.gui.document import PlanDocument

    window.set_plan(PlanDocument(sample_doc))
    sp = window.solve_panel
    assert sp.set_solver("mip")
    sp.time_limit.setValue(0)
    sp.threads.setValue(1)
    sp.seed.setValue(42)
    sp.gap.setValue(5)
    sp.race_members.setText("cpsat,dispatch:mwkr")
    before = sp.params()
    window.set_plan(PlanDocument(io.load(SAMPLE)))
    sp = window.solve_panel
    assert sp.plan is window.plan
    assert sp.current_solver() == "mip"
    assert sp.params() == before
    assert (before.time_limit, before.threads, before.seed, before.gap) == (None, 1, 42, 0.05)
    assert sp.race_members.text() == "cpsat,dispatch:mwkr"
    assert window.dock_panel("solverDock") is sp


def test_escape_during_a_drag_cancels_the_drag_not_the_solve_shortcut(qtbot, sample_doc):
    from opsplan.app.gui.document import PlanDocument
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard")
    qtbot.addWidget(w)
    w.plan.set_current("mwkr")
    w.show()
    w.activateWindow()
    QTest.qWaitForWindowActive(w, 2000)
    w.gantt.fit_to_window()
    fired = []
    w.act_cancel.triggered.connect(lambda *_: fired.append(1))
    view, vp = w.gantt, w.gantt.viewport()
    late, early = next((lane[1], lane[0]) for lane in w.plan.schedule.by_resource().values() if len(lane) >= 2)
    r = view.bar_rect(late.task)
    p0, to = QPoint(int(r.center().x()), int(r.center().y())), QPoint(int(view.bar_rect(early.task).center().x()),
                                                                      int(r.center().y()))
    view.setFocus()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p0)
    for k in range(1, 7):
        QTest.mouseMove(vp, p0 + (to - p0) * (k / 6))
    assert view.is_dragging()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not view.is_dragging() and fired == []
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to)
    assert w.plan.undo_stack.count() == 0
    QTest.keyClick(view, Qt.Key.Key_Escape)  # no drag: Esc is the window's Cancel solve again
    assert fired == [1]


def test_removing_every_job_keeps_the_board_painting(qtbot, sample_doc):
    """With every job removed the plan board still paints: through the editor (the plans lose the bars)
    and with bars whose jobs are gone (it used to index past its colours and take the process down)."""
    from dataclasses import replace

    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.gantt import GanttView

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard")
    qtbot.addWidget(w)
    w.show()
    w.editor.view("jobs").selectAll()
    assert w.editor.remove_rows("jobs")
    assert w.plan.scenario.jobs == () and w.plan.schedule.assignments == ()
    assert not w.gantt.viewport().grab().isNull() and w.plan.issues()
    orphan = PlanDocument(replace(sample_doc, scenario=replace(sample_doc.scenario, jobs=(), setups=())))
    view = GanttView(orphan)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    view.fit_to_window()
    assert not view.viewport().grab().isNull()
