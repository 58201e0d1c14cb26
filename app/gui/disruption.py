"""The disruption dialog: a machine breaks down or an operation runs late; re-plan from then on.

Everything that started before the cut time stays as executed; the rest is
re-planned by the chosen solver (in a worker thread), optionally with a limit
on how many operations may change machine or move more than a tolerance.
The new plan opens beside the old one, with the differences highlighted.
"""

from __future__ import annotations

from dataclasses import replace

from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.solve_worker import SolveWorker
from opsplan.models.errors import OpsPlanError
from opsplan.solvers import Params, registry
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
        max_changes = self.limit.value() if self.limit_on.isChecked() else None
        self._max_changes, self._tol = max_changes, self.tolerance.value()
        params = self._prep.params(Params(time_limit=self.time_limit.value(), threads=2), max_changes, self._tol)
        self.worker = SolveWorker(self._prep.scenario, self.solver.currentText(), params, self)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(lambda msg: self.status.setText(f"failed: {msg}"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.status.setText(f"re-planning from t={self._prep.at}: {len(self._prep.frozen)} operations frozen…")
        self.worker.start()
        return True

    def _finished(self, result) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        if result.schedule is None:
            self.status.setText(f"no new plan: {result.termination} {result.message}".strip())
            return
        prep = self._prep
        old_name = self.plan.current_name
        name = self.plan.unique_name(prep.name)
        new = result.schedule.renamed(name)
        changes = count_changes(prep.baseline, new, self._tol)
        what = ", ".join(_describe(d) for d in prep.disruptions)
        doc = replace(self.plan.doc, scenario=prep.scenario).with_schedule(new)
        self.plan.apply(doc, f"Re-plan after {what}", current=name)
        self.new_name = name
        self.changes = changes
        limit = f" (limit {self._max_changes})" if self._max_changes is not None else ""
        self.status.setText(f"{name}: objective {result.objective}, {changes} operation(s) changed{limit}")
        board = self.parent()
        if board is not None and hasattr(board, "gantt"):
            board.gantt.set_compare_with(old_name)
        self.rescheduled.emit(name)
        self.accept()

    def _cancel(self) -> None:
        if self.worker is not None and self.worker.is_running():
            self.worker.cancel()
        self.reject()


def _describe(d: Disruption) -> str:
    if isinstance(d, MachineDown):
        return f"{d.machine} down @{d.at}+{d.duration}"
    return f"{d.task} late by {d.delay}"
