"""The board's layout through a planner's round: File → Open, File → New, restart; a 1280×800
screen; the split between Gantt and resource view; autosave that never fails silently."""

from __future__ import annotations

import json

import pytest
from opsplan.app.gui import recovery
from opsplan.app.gui.main_window import MainWindow, settings
from opsplan.models.errors import OpsPlanError
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog

from .conftest import SAMPLE


def _settle(qtbot, w):
    for _ in range(3):
        QApplication.processEvents()
    qtbot.wait(10)


def _window(qtbot, size=(1600, 1000)):
    w = MainWindow(ask=lambda *a: "discard")
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    _settle(qtbot, w)
    return w


def _assert_board_ok(w, what):
    wf, hf = w.gantt.width() / w.width(), w.gantt.height() / w.height()
    assert wf > 0.45, f"{what}: the Gantt takes {w.gantt.width()} of {w.width()} px in width"
    assert hf > 0.2, f"{what}: the Gantt takes {w.gantt.height()} of {w.height()} px in height"
    assert w.schedule_combo.isVisible(), f"{what}: the Plan selector left the toolbar"


def test_open_new_and_restart_keep_the_board_in_sight(qtbot, monkeypatch):
    w = _window(qtbot)
    _assert_board_ok(w, "at start")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(SAMPLE), "")))
    w.act_open.trigger()  # File → Open, as a planner does it
    _settle(qtbot, w)
    assert w.plan.path == SAMPLE
    _assert_board_ok(w, "after File → Open")
    w.new_menu.actions()[0].trigger()  # File → New → the first kind
    _settle(qtbot, w)
    assert w.plan.path is None
    _assert_board_ok(w, "after File → New")
    w.act_open.trigger()
    _settle(qtbot, w)
    w.close()
    w2 = _window(qtbot)  # the next start reads the layout the first one saved
    w2.open_path(SAMPLE)
    _settle(qtbot, w2)
    _assert_board_ok(w2, "after a restart")


def test_a_collapsed_layout_is_never_saved_and_is_repaired_at_start(qtbot):
    w = _window(qtbot)
    editor = w.findChild(QDockWidget, "editorDock")
    w.resizeDocks([editor], [1300], __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.Orientation.Horizontal)
    _settle(qtbot, w)
    assert w.layout_collapsed()  # the planner dragged the editor over the board
    w.close()
    assert settings().value("window/state") is None
    # a collapsed state saved by an older version is repaired when the window shows
    w2 = MainWindow(ask=lambda *a: "discard")
    qtbot.addWidget(w2)
    w2.resize(1600, 1000)
    w2.resizeDocks([w2.findChild(QDockWidget, "editorDock")], [1300],
                   __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.Orientation.Horizontal)
    w2.show()
    qtbot.waitUntil(lambda: not w2.layout_collapsed(), timeout=2000)


def test_a_1280x800_screen_gets_a_usable_board(qtbot):
    w = _window(qtbot, (1280, 800))
    w.open_path(SAMPLE)
    _settle(qtbot, w)
    assert w.minimumSizeHint().height() <= 600  # was 910: taller than a 1280×800 laptop's screen
    assert w.height() <= 800
    _assert_board_ok(w, "at 1280×800")
    assert w.gantt.height() >= 250


def test_the_gantt_gets_what_its_lanes_need_and_the_resource_rows_fill_the_rest(qtbot, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard")
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    _settle(qtbot, w)
    w.fit_board()
    _settle(qtbot, w)
    # no empty band under the lanes: the Gantt is as tall as its lanes (within a few pixels)
    assert abs(w.gantt.height() - w.gantt.content_height()) <= 4
    rv = w.resource_view
    n = len(rv.lane_ids())
    assert n == 8
    # every resource in sight, rows stretched beyond their minimum
    assert 24 + n * rv.row_height() <= rv.viewport().height() + 1
    assert rv.row_height() > 36


def test_autosave_says_why_it_failed_and_keeps_trying(qtbot, monkeypatch, sample_doc):
    from opsplan.app.gui.document import PlanDocument
    from opsplan.models.io import document as io

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard", autosave_ms=10_000)
    qtbot.addWidget(w)
    w.plan.set_pinned([w.plan.schedule.assignments[0].task], True)  # dirty
    real = io.dumps

    def broken(doc, *a, **k):
        raise OpsPlanError("cannot write inf: Out of range float values are not JSON compliant")

    monkeypatch.setattr(io, "dumps", broken)
    assert w.autosave_now() is None  # raised OpsPlanError out of the timer slot before
    assert "autosave failed" in w.statusBar().currentMessage()
    monkeypatch.setattr(io, "dumps", real)
    assert w.autosave_now() is not None  # the next try writes the recovery file


def test_a_number_out_of_float_range_is_refused_at_load(tmp_path, sample_doc):
    """1e999 used to load as infinity (in a plan's free-form extras), after which every save
    and every autosave of the document failed."""
    from opsplan.models.errors import FileFormatError
    from opsplan.models.io import document as io

    good = tmp_path / "plan.json"
    io.save(sample_doc, good)
    text = good.read_text()
    assert '"extras": {}' in text
    bad = tmp_path / "inf.json"
    bad.write_text(text.replace('"extras": {}', '"extras": {"score": 1e999}', 1))
    with pytest.raises(FileFormatError, match="1e999 is out of range"):
        io.load(bad)


@pytest.mark.parametrize("meta", [{"pid": "x", "saved_at": "yesterday", "original": 5},
                                  ["not", "an", "object"], {"pid": 1e300, "saved_at": None}])
def test_a_recovery_meta_file_of_the_wrong_types_does_not_break_the_start_up_scan(sample_doc, meta):
    store = recovery.RecoveryStore("somewhere.json")
    path = store.write(sample_doc, None)
    store._meta(path).write_text(json.dumps(meta))
    found = [r for r in recovery.pending() if r.path == path]
    assert len(found) == 1 and found[0].pid == 0 and found[0].original is None
    assert found[0].saved_at > 0


def test_the_tour_drives_open_solve_new_from_the_menus_and_pictures_each_step(tmp_path, capsys):
    from opsplan.app.gui import tour

    assert tour.main([str(tmp_path), "--size", "1280x800", "--solver", "dispatch:mwkr"]) == 0
    out = capsys.readouterr().out
    for step in ("open", "solved", "new"):
        assert (tmp_path / f"1280x800-{step}.png").stat().st_size > 10_000
        line = next(x for x in out.splitlines() if x.startswith(f"{step}:"))
        width_share = int(line.split("(")[1].split("%")[0])
        assert width_share >= 40, line  # the board stays in sight through Open and New


def test_the_board_refits_when_the_window_resizes_until_the_planner_moves_the_divider(qtbot, sample_doc):
    from opsplan.app.gui.document import PlanDocument

    w = MainWindow(PlanDocument(sample_doc), ask=lambda *a: "discard")
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    _settle(qtbot, w)
    w.resize(1600, 1000)  # e.g. the window is maximised after it was shown
    _settle(qtbot, w)
    assert abs(w.gantt.height() - w.gantt.content_height()) <= 4  # no empty band under the lanes
    split = w.centralWidget()
    split.moveSplitter(150, 1)  # the planner drags the divider up
    split.splitterMoved.emit(150, 1)
    _settle(qtbot, w)
    mine = split.sizes()
    w.resize(1500, 950)
    _settle(qtbot, w)
    assert w.gantt.height() < w.gantt.content_height() - 20  # the planner's split stands
    assert split.sizes()[0] <= mine[0]
