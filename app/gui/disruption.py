"""The disruption dialog: something goes wrong in the running plan; re-plan from then on.

The disruptions offered are the kind's (its GUI bundle's :class:`DisruptionForm` s: a
machine breaks down or an operation runs late, for a job shop), each with its target
(a lane or a planned task) and its numbers. Everything that started before the cut
time stays as executed; the rest is re-planned by the chosen solver (in a worker
thread), optionally with a limit on how many tasks may change lane or move more than a
tolerance. The new plan opens beside the old one, with the differences highlighted.
The planner's pins are kept (and stay pinned on the new plan) unless the disruption
makes them impossible (the bundle's ``usable_pins`` decides: for a job shop a pin on an
interrupted operation, inside a breakdown, or before the operation's new earliest
start is released), and the dialog says so. Cancel (or Esc) stops the solve and
leaves the document alone. Nothing here names a kind.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.kinds import DisruptionField, DisruptionForm, disruption_forms, find_bundle, keep_all_pins
from opsplan.app.gui.plan_names import limit_hit, plan_name
from opsplan.app.gui.solve_worker import SolveWorker
from opsplan.app.gui.timeaxis import Clock
from opsplan.models.errors import OpsPlanError
from opsplan.models.kinds import descriptor
from opsplan.models.schedule import count_changes
from opsplan.solvers import PINS, Params, Termination, registry
from opsplan.solvers.reschedule import prepare, validate_disruptions
from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)


class InstantEdit(QDateTimeEdit):
    """An instant on the scenario's axis typed as a date-time; ``value()``, ``setValue()`` and
    ``setRange()`` speak whole units from the epoch, like the spin boxes beside it."""

    def __init__(self, clock: Clock, parent=None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setTimeZone(QTimeZone.utc())  # the epoch is a naive wall-clock time: no daylight-saving gaps
        self.setCalendarPopup(True)
        self.setDisplayFormat("ddd dd MMM yyyy HH:mm" + (":ss" if clock.unit_s < 60 else ""))

    def _qt(self, t: int) -> QDateTime:
        dt = self.clock.datetime_at(t)
        return QDateTime(QDate(dt.year, dt.month, dt.day), QTime(dt.hour, dt.minute, dt.second), QTimeZone.utc())

    def value(self) -> int:
        d, t = self.dateTime().date(), self.dateTime().time()
        dt = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
        return round((dt - self.clock.epoch).total_seconds() / self.clock.unit_s)

    def setValue(self, t: int) -> None:  # noqa: N802 (the spin boxes' name)
        self.setDateTime(self._qt(t))

    def setRange(self, lo: int, hi: int) -> None:  # noqa: N802
        self.setDateTimeRange(self._qt(lo), self._qt(hi))


def _is_instant(fld: DisruptionField) -> bool:
    """A field on the time axis named ``at`` is when the disruption happens (as :func:`build_event`
    reads it); every other time field is a duration."""
    return fld.unit == "time" and fld.name == "at"


def _field_box(fld: DisruptionField, clock: Clock) -> QSpinBox | InstantEdit:
    """A date-time edit for an instant when there is an epoch; else a spin box with the unit."""
    if _is_instant(fld) and clock.epoch is not None:
        return InstantEdit(clock)
    box = QSpinBox()
    if fld.unit == "time":
        box.setSuffix(f" {clock.unit_word}")
    return box


def _field_label(fld: DisruptionField, clock: Clock) -> str:
    """``'Down at:'``, ``'Repair time (minutes):'``: durations say their unit."""
    if fld.unit == "time" and not _is_instant(fld):
        return f"{fld.label} ({clock.unit_name}s):"
    return f"{fld.label}:"


class DisruptionDialog(QDialog):
    """Describe a disruption, re-plan, and add the new plan to the document.

    One radio button per disruption form of the kind (:meth:`choose`), each with a
    target chooser (:meth:`target_box`) and a spin box per number (:meth:`field_box`).
    """

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
        bundle = find_bundle(sc)
        self.forms: tuple[DisruptionForm, ...] = disruption_forms(sc.kind)
        self._usable_pins = bundle.usable_pins if bundle is not None else keep_all_pins
        self._form: DisruptionForm | None = None
        ad = plan.adapter
        clock = self.clock = Clock.of(sc)
        horizon = max(1, s.makespan if s is not None else descriptor(sc).horizon(sc))

        form = QFormLayout()
        self.kind_buttons: dict[str, QRadioButton] = {}
        self.targets: dict[str, QComboBox] = {}
        self.inputs: dict[str, dict[str, QSpinBox | InstantEdit]] = {}
        self._group = QButtonGroup(self)
        lanes = [ln.id for ln in ad.lanes(sc)]
        tasks = sorted(a.task for a in s.work()) if s is not None else []
        for f in self.forms:
            button = QRadioButton(f.label)
            button.setObjectName(f"disruption_{f.name}")
            self._group.addButton(button)
            self.kind_buttons[f.name] = button
            form.addRow(button)
            target = QComboBox()
            target.addItems(lanes if f.target == "resource" else tasks)
            self.targets[f.name] = target
            word = ad.resource_word if f.target == "resource" else ad.task_word
            form.addRow(f"{word.capitalize()}:", target)
            boxes: dict[str, QSpinBox | InstantEdit] = {}
            for fld in f.fields:
                box = _field_box(fld, clock)
                box.setRange(fld.minimum, max(fld.minimum, 10 * horizon))
                box.setValue(max(fld.minimum, int(horizon * fld.default)))
                boxes[fld.name] = box
                form.addRow(_field_label(fld, clock), box)
            self.inputs[f.name] = boxes
        if self.forms:
            self.kind_buttons[self.forms[0].name].setChecked(True)

        self.solver = QComboBox()
        for name in registry.available(sc.kind):
            self.solver.addItem(name)
        self.solver.setCurrentText("cpsat")
        self.limit_on = QCheckBox(f"Limit changed {ad.task_word}s to")
        self.limit = QSpinBox()
        self.limit.setRange(0, 100_000)
        self.limit.setValue(5)
        self.tolerance = QSpinBox()
        self.tolerance.setRange(0, 10 * horizon)
        self.tolerance.setSuffix(f" {clock.unit_word}")
        self.time_limit = QDoubleSpinBox()
        self.time_limit.setRange(0.5, 3600)
        self.time_limit.setValue(10)
        self.status = QLabel("" if self.forms else f"{descriptor(sc).label} plans have no disruptions to re-plan from.")
        self.status.setWordWrap(True)

        form.addRow("Solver:", self.solver)
        form.addRow(self.limit_on, self.limit)
        form.addRow(f"Start tolerance ({clock.unit_name}s):", self.tolerance)
        form.addRow("Time limit (s):", self.time_limit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Re-plan")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.forms))
        self.buttons.accepted.connect(self.run)
        self.buttons.rejected.connect(self._cancel)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.status)
        lay.addWidget(self.buttons)
        self.solver.currentTextChanged.connect(self._solver_changed)
        self._solver_changed(self.solver.currentText())

    # -- the form ---------------------------------------------------------------------------
    def choose(self, name: str) -> None:
        """Pick the disruption form ``name`` (a key of :attr:`kind_buttons`)."""
        self.kind_buttons[name].setChecked(True)

    def chosen(self) -> DisruptionForm | None:
        """The form picked, or None when the kind has none."""
        return next((f for f in self.forms if self.kind_buttons[f.name].isChecked()), None)

    def target_box(self, name: str) -> QComboBox:
        """The chooser of what form ``name`` hits (a lane or a task)."""
        return self.targets[name]

    def field_box(self, name: str, field: str) -> QSpinBox | InstantEdit:
        """The input of number ``field`` of form ``name`` (``value()`` / ``setValue()`` in whole units):
        an :class:`InstantEdit` for an instant when the scenario has an epoch, else a spin box."""
        return self.inputs[name][field]

    def _solver_changed(self, name: str) -> None:
        ok = registry.supports(name, registry.CHANGE_BUDGET) if name else False
        self.limit_on.setEnabled(ok)
        self.limit.setEnabled(ok)
        if not ok:
            self.limit_on.setChecked(False)
            self.limit_on.setToolTip(f"{name} cannot honour a change budget")

    def disruptions(self) -> list:
        """The disruption the form describes, as the reschedule solver takes it (none without a form)."""
        f = self.chosen()
        if f is None:
            return []
        values = {name: box.value() for name, box in self.inputs[f.name].items()}
        self._form = f
        return [f.event(self.targets[f.name].currentText(), values)]

    def run(self) -> bool:
        """Start the re-plan in a worker thread; False (with the reason shown) when the input is wrong."""
        if self.worker is not None and self.worker.is_running():
            return False
        sc, s = self.plan.scenario, self.plan.schedule
        ds = self.disruptions()
        if not ds:
            return False
        issues = validate_disruptions(sc, s, ds)
        if issues:
            self.status.setText("; ".join(str(i) for i in issues))
            return False
        try:
            self._prep = prepare(sc, s, ds)
        except OpsPlanError as exc:
            self.status.setText(str(exc))
            return False
        kept, released = self._usable_pins(self._prep, s.pinned_assignments())
        name = self.solver.currentText()
        word = self.plan.adapter.task_word
        why = registry.refusal(name, sc.kind, PINS, f"the {len(kept)} pinned {word}(s)") if kept else ""
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
        frozen = f"{len(self._prep.frozen)} {word}s frozen"
        self.status.setText(f"re-planning from {self.clock.time(self._prep.at)}: {frozen}{note}…")
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
                why += f" (with the pinned {self.plan.adapter.task_word}s kept: unpin some and try again)"
            self.status.setText(why)
            return
        prep = self._prep
        old_name = self.plan.current_name
        clock = Clock.of(self.plan.scenario)
        what = ", ".join(self._form.text(d, clock) if self._form is not None else str(d) for d in prep.disruptions)
        # named after what made it: "cpsat after OVA down Wed 02 Dec 01:06 for 1 h" (see plan_names)
        name = plan_name(result.solver or self.solver.currentText(), (x.name for x in self.plan.schedules),
                         time_limit=limit_hit(result, self.time_limit.value()), after=what)
        new = result.schedule.renamed(name).with_pins(self._pins).with_replanned_at(prep.at)
        changes = count_changes(prep.baseline, new, self._tol)
        doc = replace(self.plan.doc, scenario=prep.scenario).with_schedule(new)
        self.plan.apply(doc, f"Re-plan after {what}", current=name)
        self.new_name = name
        self.changes = changes
        limit = f" (limit {self._max_changes})" if self._max_changes is not None else ""
        released = f"; pins released: {', '.join(self.released)}" if self.released else ""
        word = self.plan.adapter.task_word
        self.status.setText(f"{name}: objective {result.objective}, {changes} {word}(s) changed{limit}{released}")
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
