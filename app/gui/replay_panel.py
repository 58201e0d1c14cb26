"""Policy replay: step through the dispatch decisions of a learned policy on the Gantt.

A schedule made by a ``policy`` solver keeps its decision trace in the schedule
extras under ``"trace"``: ``[[task_id, resource_id, start], ...]`` in decision
order (forced decisions included, pinned tasks not). Extras are plain JSON
data saved with the schedule, so the trace survives saving and loading, and an
older reader simply carries it along.

The panel shows decision ``k`` of ``n`` with a slider, step buttons and
play/pause. For ``k < n`` the Gantt draws a *preview* (:meth:`GanttView.set_preview`):
the pinned tasks and the first ``k`` decided ones, with the ``k``-th
selected. The preview is view state only: the document and its undo stack do
not change. At ``k = n``, when the plan changes, or when the panel is hidden,
the Gantt shows the current schedule again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from opsplan.app.gui.timeaxis import format_time
from opsplan.models.schedule import Schedule
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

TRACE = "trace"
PLAY_INTERVAL_MS = 400

TraceStep = tuple[str, str, int]


def with_trace(schedule: Schedule, trace: Sequence[Sequence[Any]]) -> Schedule:
    """A copy of ``schedule`` whose extras hold ``trace`` (``(task_id, resource_id, start)`` per decision)."""
    steps = tuple((str(task), str(resource), int(start)) for task, resource, start in trace)
    extras = tuple((k, v) for k, v in schedule.extras if k != TRACE) + ((TRACE, steps),)
    return replace(schedule, extras=extras)


def trace_of(schedule: Schedule | None) -> list[TraceStep]:
    """The decision trace stored with ``schedule`` ([] when it has none or it is malformed)."""
    raw = schedule.extra(TRACE) if schedule is not None else None
    if not isinstance(raw, (list, tuple)):
        return []
    out: list[TraceStep] = []
    for step in raw:
        try:
            task, resource, start = step
            out.append((str(task), str(resource), int(start)))
        except (TypeError, ValueError):
            return []
    return out


def trace_mismatch(schedule: Schedule, trace: Sequence[TraceStep]) -> str:
    """Why ``trace`` does not describe ``schedule`` ('' when every decision is a bar of it)."""
    work = schedule.by_task()
    seen: set[str] = set()
    for task, resource, start in trace:
        a = work.get(task)
        if task in seen or a is None or a.resource != resource or a.start != start:
            return f"the plan was edited after the policy made it ({task} no longer on {resource} at {start})"
        seen.add(task)
    return ""


class ReplayPanel(QWidget):
    """Step through the decision trace of the current schedule; the Gantt previews the first ``k`` decisions.

    Signals
    -------
    stepChanged(int): the decision shown (0..n) changed.
    """

    stepChanged = Signal(int)

    def __init__(self, plan, gantt, parent: QWidget | None = None) -> None:  # noqa: ANN001 - PlanDocument, GanttView
        super().__init__(parent)
        self.plan = None
        self.gantt = None
        self._trace: list[TraceStep] = []
        self._schedule: Schedule | None = None
        self._k = 0

        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Decision shown: the Gantt draws the bars dispatched so far")
        self.slider.valueChanged.connect(self.set_step)
        self.back_button = QPushButton("◀ Step back")
        self.back_button.setToolTip("Show one decision less")
        self.back_button.clicked.connect(self.step_back)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play the decisions one after the other (from the start when at the end)")
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button = QPushButton("Step forward ▶")
        self.forward_button.setToolTip("Show one decision more")
        self.forward_button.clicked.connect(self.step_forward)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timer = QTimer(self)
        self.timer.setInterval(PLAY_INTERVAL_MS)
        self.timer.timeout.connect(self._on_timer)

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.forward_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.info)
        lay.addWidget(self.slider)
        lay.addLayout(buttons)
        lay.addWidget(self.label)
        lay.addStretch(1)
        self.set_plan(plan, gantt)

    # -- following the document ------------------------------------------------------------------
    def set_plan(self, plan, gantt) -> None:  # noqa: ANN001 - PlanDocument, GanttView
        """Follow another document and Gantt view (any preview on the old view ends)."""
        if self.plan is not None:
            for sig in (self.plan.changed, self.plan.currentChanged):
                try:
                    sig.disconnect(self.refresh)
                except (RuntimeError, TypeError):
                    pass
        if self.gantt is not None and self.gantt is not gantt:
            try:
                self.gantt.previewChanged.disconnect(self._on_preview_changed)
                if self.gantt.preview() is not None:
                    self.gantt.set_preview(None)
            except RuntimeError:  # the old view is already gone
                pass
        self.plan, self.gantt = plan, gantt
        plan.changed.connect(self.refresh)
        plan.currentChanged.connect(self.refresh)
        gantt.previewChanged.connect(self._on_preview_changed)
        self._schedule = None
        self.refresh()

    def refresh(self, *_: object) -> None:
        """Read the trace of the current schedule again (the plan changed); shows the whole schedule."""
        schedule = self.plan.schedule
        if schedule is self._schedule and self._schedule is not None:
            return
        self.pause()
        self._schedule = schedule
        trace = trace_of(schedule)
        why = trace_mismatch(schedule, trace) if trace else ""
        self._trace = [] if why else trace
        n = len(self._trace)
        if n:
            self.info.setText(f"“{self.plan.current_name}”: {n} dispatch decisions of the policy")
        elif why:
            self.info.setText(f"No replay: {why}.")
        else:
            self.info.setText("The current plan has no decision trace: solve with a policy to replay its decisions.")
        self._k = n
        self.slider.blockSignals(True)
        self.slider.setRange(0, n)
        self.slider.setValue(n)
        self.slider.blockSignals(False)
        if self.gantt.preview() is not None:
            self.gantt.set_preview(None)
        self._update_controls()

    # -- state -----------------------------------------------------------------------------------------
    def has_trace(self) -> bool:
        """Whether the current schedule has a decision trace to replay."""
        return bool(self._trace)

    def trace(self) -> list[TraceStep]:
        return list(self._trace)

    @property
    def n(self) -> int:
        """Number of decisions."""
        return len(self._trace)

    @property
    def k(self) -> int:
        """Decisions shown (0..n)."""
        return self._k

    def label_text(self) -> str:
        return self.label.text()

    def is_playing(self) -> bool:
        return self.timer.isActive()

    def preview_schedule(self, k: int) -> Schedule:
        """The current schedule as it stood after ``k`` decisions: its pinned bars and the first ``k`` decided ones."""
        schedule = self._schedule
        decided = {op for op, _, _ in self._trace}
        shown = {op for op, _, _ in self._trace[:k]}
        work = [a for a in schedule.work() if a.task in shown or a.task not in decided]
        order = {op: i for i, (op, _, _) in enumerate(self._trace)}
        work.sort(key=lambda a: order.get(a.task, -1))
        return Schedule(tuple(work), schedule.name, schedule.extras)

    # -- actions -------------------------------------------------------------------------------------
    def set_step(self, k: int) -> None:
        """Show the first ``k`` decisions (``n``: the whole schedule, no preview)."""
        n = self.n
        k = max(0, min(int(k), n))
        if not n:
            return
        self._k = k
        if self.slider.value() != k:
            self.slider.blockSignals(True)
            self.slider.setValue(k)
            self.slider.blockSignals(False)
        self.gantt.set_preview(self.preview_schedule(k) if k < n else None)
        if k > 0:
            self.plan.select([self._trace[k - 1][0]])
        else:
            self.plan.select([])
        self._update_controls()
        self.stepChanged.emit(k)

    def step_forward(self) -> None:
        self.set_step(self._k + 1)

    def step_back(self) -> None:
        self.set_step(self._k - 1)

    def play(self) -> None:
        """Play from the shown decision (from the start when at the end)."""
        if not self.n:
            return
        if self._k >= self.n:
            self.set_step(0)
        self.timer.start()
        self._update_controls()

    def pause(self) -> None:
        self.timer.stop()
        self._update_controls()

    def toggle_play(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def stop(self) -> None:
        """Pause and show the whole schedule again (no preview; the selection stays)."""
        self.pause()
        if self.n and self._k != self.n:
            self._k = self.n
            self.slider.blockSignals(True)
            self.slider.setValue(self.n)
            self.slider.blockSignals(False)
            self._update_controls()
            self.stepChanged.emit(self.n)
        if self.gantt is not None and self.gantt.preview() is not None:
            self.gantt.set_preview(None)

    def _on_timer(self) -> None:
        self.step_forward()
        if self._k >= self.n:
            self.pause()

    def _on_preview_changed(self, on: bool) -> None:
        if not on and self.n and self._k != self.n:  # the view dropped the preview (the document moved on)
            self.pause()
            self._k = self.n
            self.slider.blockSignals(True)
            self.slider.setValue(self.n)
            self.slider.blockSignals(False)
            self._update_controls()

    def _update_controls(self) -> None:
        n, k = self.n, self._k
        has = n > 0
        self.slider.setEnabled(has)
        self.back_button.setEnabled(has and k > 0)
        self.forward_button.setEnabled(has and k < n)
        self.play_button.setEnabled(has)
        self.play_button.setText("Pause" if self.is_playing() else "Play")
        if not has:
            self.label.setText("")
        elif k == 0:
            self.label.setText(f"decision 0 of {n}: nothing dispatched yet")
        else:
            task, resource, start = self._trace[k - 1]
            sc = self.plan.scenario if self.plan is not None else None
            at = format_time(start, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
            word = self.plan.adapter.task_word if self.plan is not None else "task"
            self.label.setText(f"decision {k} of {n}: {word} {task} on {resource} at {at}")

    # -- closing ---------------------------------------------------------------------------------------
    def _stop_quietly(self) -> None:
        try:
            self.stop()
        except RuntimeError:  # the Gantt view is being destroyed with the window
            self.timer.stop()

    def hideEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self._stop_quietly()
        super().hideEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self._stop_quietly()
        super().closeEvent(event)


__all__ = ["TRACE", "ReplayPanel", "trace_mismatch", "trace_of", "with_trace"]
