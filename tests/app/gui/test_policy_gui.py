"""Policies in the GUI: a policy file as a solver, samples and provider, the decision trace and its replay."""

from __future__ import annotations

import pytest
from opsplan.app.gui.gantt import GanttView
from opsplan.app.gui.replay_panel import TRACE, ReplayPanel, trace_of, with_trace
from opsplan.app.gui.solve_panel import SolvePanel, provider_text
from opsplan.app.gui.timeaxis import format_time
from opsplan.models.io import document as io

pytest.importorskip("onnxruntime")
from tests.policies.tiny_onnx import write  # noqa: E402 - skips without onnx


@pytest.fixture
def policy_path(tmp_path):
    """A tiny SPT-like linear ONNX policy."""
    return write(tmp_path / "spt.onnx", name="spt")


@pytest.fixture
def panel(qtbot, plan):
    """A solve panel over the sample plan."""
    w = SolvePanel(plan)
    qtbot.addWidget(w)
    yield w
    w.shutdown()


@pytest.fixture
def gantt(qtbot, plan):
    """A Gantt view of the sample plan."""
    v = GanttView(plan)
    v.resize(900, 400)
    qtbot.addWidget(v)
    return v


@pytest.fixture
def replay(qtbot, plan, gantt):
    """The replay panel driving the Gantt view."""
    w = ReplayPanel(plan, gantt)
    qtbot.addWidget(w)
    return w


def _policy_solve(qtbot, panel, path, samples=1):
    assert panel.add_policy_file(path), panel.status_text()
    panel.samples.setValue(samples)
    with qtbot.waitSignal(panel.solveFinished, timeout=60000) as blocker:
        assert panel.solve(time_limit=20) is not None, panel.status_text()
    result = blocker.args[0]
    assert result is not None and result.has_solution, panel.status_text()
    return result


def test_policy_file_is_added_and_selected(panel, policy_path):
    """add_policy_file adds policy:<path> to the combo, selected; samples and provider show for policies only."""
    panel.set_solver("dispatch:spt")
    assert panel.samples.isHidden() and not panel.samples.isEnabled()
    assert panel.add_policy_file(policy_path)
    name = f"policy:{policy_path}"
    assert panel.current_solver() == name and panel.solver_names().count(name) == 1
    assert not panel.samples.isHidden() and panel.samples.isEnabled()
    assert "CPUExecutionProvider" in panel.provider_label.text()
    assert panel.params().options["samples"] == 1
    panel.samples.setValue(64)
    assert panel.params().options["samples"] == 64
    assert panel.samples.maximum() == 4096
    assert panel.add_policy_file(policy_path)  # a second time: selected, not added twice
    assert panel.solver_names().count(name) == 1
    panel.set_solver("cpsat")
    assert panel.samples.isHidden() and not panel.samples.isEnabled()
    assert "samples" not in panel.params().options
    assert "runs on CPUExecutionProvider" in provider_text()


def test_refused_policy_file_adds_nothing(panel, tmp_path):
    """A text file named .onnx is refused with one line in the status; the combo is unchanged."""
    bad = tmp_path / "notes.onnx"
    bad.write_text("not a model\n")
    before = panel.solver_names()
    current = panel.current_solver()
    assert not panel.add_policy_file(bad)
    assert panel.solver_names() == before and panel.current_solver() == current
    text = panel.status_text()
    assert text.startswith("Cannot use the policy") and "notes.onnx" in text and "\n" not in text


def test_policy_solve_stores_the_trace(qtbot, plan, panel, policy_path):
    """Solving with a policy adds a schedule that keeps the decision trace; the status names the provider."""
    n = len(plan.schedules)
    result = _policy_solve(qtbot, panel, policy_path, samples=4)
    assert len(plan.schedules) == n + 1 and plan.current_name == panel.last_schedule_name
    trace = trace_of(plan.schedule)
    assert [list(t) for t in trace] == result.stats["trace"]
    assert {op for op, _, _ in trace} == set(plan.schedule.by_task())
    assert f"ran on {result.stats['provider']}" in panel.status_text()
    assert "CPUExecutionProvider" in panel.status_text()
    # the trace is plain schedule data: it survives the document file
    again = io.loads(io.dumps(plan.doc))
    assert trace_of(again.schedule(plan.current_name)) == trace


def test_replay_steps_through_the_decisions(qtbot, plan, panel, gantt, replay, policy_path):
    """At k the Gantt preview holds exactly the first k decided bars; stepping moves k by one; k = n ends it."""
    assert not replay.has_trace() and not replay.slider.isEnabled()  # the sample's dispatch plan has none
    _policy_solve(qtbot, panel, policy_path)
    trace = replay.trace()
    n = len(trace)
    assert replay.has_trace() and replay.n == n and replay.k == n and gantt.preview() is None
    commands, doc = plan.undo_stack.count(), plan.doc

    replay.slider.setValue(3)
    assert replay.k == 3
    bars = gantt.bars("work")
    assert sorted((a.task, a.resource, a.start) for a in bars) == sorted(trace[:3])
    at = format_time(trace[2][2], plan.scenario.time_unit, plan.scenario.epoch)
    assert replay.label_text() == f"decision 3 of {n}: operation {trace[2][0]} on {trace[2][1]} at {at}"
    assert plan.selection == [trace[2][0]] and gantt.highlighted("selected") == {trace[2][0]}

    replay.step_forward()
    assert replay.k == 4 and len(gantt.bars("work")) == 4 and replay.slider.value() == 4
    assert f"decision 4 of {n}: operation {trace[3][0]}" in replay.label_text()
    replay.step_back()
    replay.step_back()
    assert replay.k == 2 and {a.task for a in gantt.bars("work")} == {t[0] for t in trace[:2]}
    replay.set_step(0)
    assert gantt.bars("work") == [] and not replay.back_button.isEnabled()
    assert "decision 0 of" in replay.label_text()
    assert plan.undo_stack.count() == commands and plan.doc is doc  # a preview, not an edit

    replay.set_step(n)
    assert gantt.preview() is None and len(gantt.bars("work")) == len(plan.schedule.work())
    assert not replay.forward_button.isEnabled()


def test_replay_play_and_plan_changes(qtbot, plan, panel, gantt, replay, policy_path):
    """Play advances on the timer to the end; another current schedule ends the preview."""
    _policy_solve(qtbot, panel, policy_path)
    replay.timer.setInterval(1)
    replay.set_step(replay.n - 3)
    replay.play()
    assert replay.is_playing() and replay.play_button.text() == "Pause"
    qtbot.waitUntil(lambda: not replay.is_playing(), timeout=5000)
    assert replay.k == replay.n and gantt.preview() is None

    replay.set_step(2)
    assert gantt.preview() is not None
    plan.set_current("mwkr")
    assert gantt.preview() is None and not replay.has_trace()
    assert len(gantt.bars("work")) == len(plan.schedule.work())


def test_replay_label_gives_the_start_in_the_scenario_calendar(plan, gantt, replay):
    """The decision label shows its start as the time axis does: a calendar time when the scenario has an epoch."""
    s = plan.schedule
    trace = [(a.task, a.resource, a.start) for a in sorted(s.work(), key=lambda a: (a.start, a.task))]
    plan.add_schedule(with_trace(s.renamed("traced"), trace))
    assert replay.has_trace()
    k = next(i for i, step in enumerate(trace, 1) if step[2] > 0)
    replay.set_step(k)
    sc = plan.scenario
    op, machine, start = trace[k - 1]
    at = format_time(start, sc.time_unit, sc.epoch)
    assert sc.epoch and at != str(start)
    assert replay.label_text() == f"decision {k} of {len(trace)}: operation {op} on {machine} at {at}"


def test_edited_schedule_is_not_replayed(qtbot, plan, gantt, replay):
    """A trace that no longer matches its schedule (moved by hand) is not replayed; the panel says why."""
    s = plan.schedule
    first = s.work()[0]
    trace = [(a.task, a.resource, a.start) for a in s.work()]
    trace[0] = (first.task, first.resource, first.start + 1)
    plan.add_schedule(with_trace(s.renamed("traced"), trace))
    assert plan.schedule.extra(TRACE) is not None
    assert not replay.has_trace() and "edited" in replay.info.text()


def test_main_window_has_the_replay_dock(qtbot, sample_doc, policy_path):
    """The window docks a 'Policy replay' panel that follows its Gantt; a policy solve brings it forward."""
    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.main_window import MainWindow
    from PySide6.QtWidgets import QDockWidget

    w = MainWindow(PlanDocument(sample_doc), ask=lambda what, text: "discard", autosave_ms=50)
    qtbot.addWidget(w)
    try:
        dock = w.findChild(QDockWidget, "replayDock")
        assert dock is not None and dock.windowTitle() == "Policy replay" and dock.widget() is w.replay_panel
        assert w.replay_panel.gantt is w.gantt and not w.replay_panel.has_trace()
        _policy_solve(qtbot, w.solve_panel, policy_path)
        assert w.replay_panel.has_trace()
        w.replay_panel.set_step(1)
        assert len(w.gantt.bars("work")) == 1
    finally:
        w.solve_panel.shutdown()
        w.plan.undo_stack.setClean()
        w.close()


def test_policy_file_stays_after_opening_another_plan(qtbot, sample_doc, policy_path):
    """A policy file added with 'Open policy file…' is still a solver, and selected, in the next plan opened."""
    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.main_window import MainWindow

    from .conftest import SAMPLE

    w = MainWindow(PlanDocument(sample_doc), ask=lambda what, text: "discard", autosave_ms=10**8)
    qtbot.addWidget(w)
    try:
        assert w.solve_panel.add_policy_file(policy_path), w.solve_panel.status_text()
        name = w.solve_panel.current_solver()
        w.solve_panel.samples.setValue(8)
        w.set_plan(PlanDocument(io.load(SAMPLE)))
        assert name in w.solve_panel.solver_names()
        assert w.solve_panel.current_solver() == name
        assert w.solve_panel.params().options["samples"] == 8
    finally:
        w.solve_panel.shutdown()
        w.plan.undo_stack.setClean()
        w.close()
