"""The disruption dialog: a machine breaks down or an operation runs late; re-plan from then on.

Everything that started before the cut time stays as executed; the rest is
re-planned by the chosen solver (in a worker thread), optionally with a limit
on how many operations may change machine or move more than a tolerance.
The new plan opens beside the old one, with the differences highlighted.
The planner's pins are kept (and stay pinned on the new plan) unless the
disruption makes them impossible: a pin on an interrupted operation, inside a
breakdown, or before the operation's new earliest start is released, and the
dialog says so. Cancel (or Esc) stops the solve and leaves the document alone.
"""

from __future__ import annotations

from dataclasses import replace

from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.solve_worker import SolveWorker
from opsplan.models.errors import OpsPlanError
from opsplan.models.jobshop import edit
from opsplan.solvers import PINS, Params, Termination, registry
from opsplan.solvers.reschedule import (
    Disruption,
    MachineDown,
    OperationLate,
    count_changes,
    prepare,
    validate_disruptions,
)
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)


class DisruptionDialog(QDialog):
    """Describe a disruption, re-plan, and add the new plan to the document."""

    rescheduled = Signal(str)  # name of the new plan

    def __init__(self, plan: PlanDocument, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Disruption and rescheduling")
        self.plan = plan
        self.worker: SolveWorker | None = None
        self.new_name: str | None = None
        self._cancelled = False
        self._pins: frozenset[str] = frozenset()
        self.released: tuple[str, ...] = ()
        sc, s = plan.scenario, plan.schedule
        horizon = max(1, s.makespan if s is not None else sc.horizon())

        self.kind_down = QRadioButton("Machine breakdown")
        self.kind_late = QRadioButton("Operation late")
        self.kind_down.setChecked(True)
        self.machine = QComboBox()
        self.machine.addItems([m.id for m in sc.machines])
        self.at = QSpinBox()
        self.at.setRange(0, 10 * horizon)
        self.at.setValue(horizon // 3)
        self.repair = QSpinBox()
        self.repair.setRange(1, 10 * horizon)
        self.repair.setValue(max(1, horizon // 10))
        self.task = QComboBox()
        self.task.addItems(sorted(a.task for a in s.work()) if s is not None else [])
        self.delay = QSpinBox()
        self.delay.setRange(1, 10 * horizon)
        self.delay.setValue(max(1, horizon // 20))

        self.solver = QComboBox()
        for name in registry.available(sc.kind):
            self.solver.addItem(name)
        self.solver.setCurrentText("cpsat")
        self.limit_on = QCheckBox("Limit changed operations to")
        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000)
        self.limit.setValue(5)
        self.tolerance = QSpinBox()
        self.tolerance.setRange(0, 10 * horizon)
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(0.5, 3600)
        self.time_limit.setValue(10)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.kind_down)
        form.addRow("Machine:", self.machine)
        form.addRow("Down at:", self.at)
        form.addRow("Expected repair time:", self.repair)
        form.addRow(self.kind_late)
        form.addRow("Operation:", self.task)
        form.addRow("Late by:", self.delay)
        form.addRow("Solver:", self.solver)
        form.addRow(self.limit_on, self.limit)
        form.addRow("Start tolerance:", self.tolerance)
        form.addRow("Time limit (s):", self.time_limit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Re-plan")
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self._cancel)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.solver.currentTextChanged.connect(self._solver_changed)
        self._solver_changed(self.solver.currentText())

    def _solver_changed(self, name: str) -> None:
        ok = registry.supports(name, registry.CHANGE_BUDGET) if name else False
        self.limit_on.setEnabled(ok)
        self.limit.setEnabled(ok)
        if not ok:
            self.limit_on.setChecked(False)
            self.limit_on.setToolTip(f"{name} cannot honour a change budget")

    def disruptions(self) -> list[Disruption]:
        if self.kind_down.isChecked():
            return [MachineDown(self.machine.currentText(), self.at.value(), self.repair.value())]
        return [OperationLate(self.task.currentText(), self.delay.value())]

    def run(self) -> bool:
        """Start the re-plan in a worker thread; False (with the reason shown) when the input is wrong."""
        if self.worker is not None and self.worker.is_running():
            return False
        sc, s = self.plan.scenario, self.plan.schedule
        ds = self.disruptions()
        issues = validate_disruptions(sc, s, ds)
        if issues:
            self.status.setText("; ".join(str(i) for i in issues))
            return False
        try:
            self._prep = prepare(sc, s, ds)
        except OpsPlanError as exc:
            self.status.setText(str(exc))
            return False
        kept, released = usable_pins(self._prep, edit.pinned_assignments(s))
        name = self.solver.currentText()
        why = registry.refusal(name, sc.kind, PINS, f"the {len(kept)} pinned operation(s)") if kept else ""
        if why:
            self.status.setText(f"{why}, or unpin them first")
            return False
        max_changes = self.limit.value() if self.limit_on.isChecked() else None
        self._max_changes, self._tol = max_changes, self.tolerance.value()
        base = Params(time_limit=self.time_limit.value(), threads=2, pinned=kept)
        params = self._prep.params(base, max_changes, self._tol)
        self._pins = frozenset(a.task for a in kept)
        self.released = tuple(sorted(released))
        self._cancelled = False
        self.worker = SolveWorker(self._prep.scenario, name, params, self)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(lambda msg: self.status.setText(f"failed: {msg}"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        note = f", {len(kept)} pinned" if kept else ""
        if released:
            note += f"; pins released by the disruption: {', '.join(self.released)}"
        self.status.setText(f"re-planning from t={self._prep.at}: {len(self._prep.frozen)} operations frozen{note}…")
        self.worker.start()
        return True

    def _finished(self, result) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        if self._cancelled or result.termination == Termination.CANCELLED:
            self.status.setText("cancelled: the plan is unchanged")
            return
        if result.schedule is None:
            why = f"no new plan: {result.termination} {result.message}".strip()
            if self._pins and result.termination == Termination.INFEASIBLE:
                why += " (with the pinned operations kept: unpin some and try again)"
            self.status.setText(why)
            return
        prep = self._prep
        old_name = self.plan.current_name
        name = self.plan.unique_name(prep.name)
        new = edit.with_pins(result.schedule.renamed(name), self._pins)
        changes = count_changes(prep.baseline, new, self._tol)
        what = ", ".join(_describe(d) for d in prep.disruptions)
        doc = replace(self.plan.doc, scenario=prep.scenario).with_schedule(new)
        self.plan.apply(doc, f"Re-plan after {what}", current=name)
        self.new_name = name
        self.changes = changes
        limit = f" (limit {self._max_changes})" if self._max_changes is not None else ""
        released = f"; pins released: {', '.join(self.released)}" if self.released else ""
        self.status.setText(f"{name}: objective {result.objective}, {changes} operation(s) changed{limit}{released}")
        board = self.parent()
        if board is not None and hasattr(board, "compare_panel"):
            board.compare_panel.set_compare(old_name)  # the Compare panel and the Gantt's highlights, both
        elif board is not None and hasattr(board, "gantt"):
            board.gantt.set_compare_with(old_name)
        self.rescheduled.emit(name)
        self.accept()

    def _cancel(self) -> None:
        self.reject()

    def reject(self) -> None:  # Cancel, Esc and the window's close button all come here
        self._cancelled = True
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
        super().reject()


def usable_pins(prep, pinned) -> tuple[tuple, list[str]]:
    """The planner's pinned assignments the re-plan can keep, and the tasks whose pins it must release.

    A pin is released when its operation was interrupted by a breakdown, overlaps a
    breakdown on its machine, or starts before the operation's new earliest start
    (a late operation, or one whose route predecessor is late: its earliest start is
    carried along the route with the shortest durations). Pins of frozen operations are
    kept (they do not move anyway).
    """
    interrupted = {a.task for a in prep.interrupted}
    downs = [d for d in prep.disruptions if isinstance(d, MachineDown)]
    earliest = _route_earliest(prep)
    kept, released = [], []
    for a in pinned:
        bad = (a.task in interrupted
               or a.start < earliest.get(a.task, a.start)
               or any(a.resource == d.machine and a.start < d.end and d.at < a.end for d in downs))
        (released.append(a.task) if bad else kept.append(a))
    return tuple(kept), released


def _route_earliest(prep) -> dict[str, int]:  # noqa: ANN001
    """A lower bound on each operation's start in the re-plan: its own earliest start, and no
    sooner than its route predecessor can end (a frozen one where it ends, any other at its
    bound plus its shortest duration)."""
    frozen = {a.task: a for a in prep.frozen}
    out: dict[str, int] = {}
    for job in prep.scenario.jobs:
        ready = job.release
        for op in job.operations:
            if op.id in frozen:
                out[op.id] = frozen[op.id].start
                ready = frozen[op.id].end
                continue
            out[op.id] = max(ready, prep.earliest.get(op.id, 0))
            ready = out[op.id] + op.min_duration
    return out


def _describe(d: Disruption) -> str:
    if isinstance(d, MachineDown):
        return f"{d.machine} down @{d.at}+{d.duration}"
    return f"{d.task} late by {d.delay}"
