"""The Scenario properties dialog: name, description, calendar start, time unit, objective and weights.

Generic: the fields are the ones every kind's scenario has (:data:`~opsplan.models.kinds.PROPERTY_FIELDS`),
the objectives and the group weights come from the kind's descriptor (``objectives``, ``weights``,
``weighted_objectives``), and the new scenario is made by :func:`~opsplan.models.kinds.edit_properties`,
which refuses values that would add validation issues. Accepting pushes ONE undoable command on
the plan; the window title, the time axis and every view follow ``plan.changed``.

Changing the time unit relabels the numbers, it does not convert them: a duration of 90 stays 90,
read in the new unit. Converting would round (a 7 min task in hours) and touch every time of every
kind; a planner who means another scale edits the numbers.

The dialog is opened non-modally (:func:`open_properties`), so File → New can offer it without
blocking and tests can fill it in and accept it like a planner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opsplan.app.gui.editor_spec import EditRejected, parse_int
from opsplan.app.gui.timeaxis import parse_epoch
from opsplan.models.core import TimeUnit
from opsplan.models.errors import OpsPlanError
from opsplan.models.kinds import PROPERTY_FIELDS, descriptor, edit_properties
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

UNDO_LABEL = "Edit scenario properties"
UNIT_WORDS = {TimeUnit.SECOND: "seconds", TimeUnit.MINUTE: "minutes", TimeUnit.HOUR: "hours"}
RELABEL_NOTE = ("Changing the unit relabels the numbers; it does not convert them: "
                "a duration of 90 stays 90, now in {unit}.")


def _unit(value: Any) -> TimeUnit:
    return TimeUnit(str(getattr(value, "value", value)))


class ScenarioPropertiesDialog(QDialog):
    """Edit the scenario's generic properties as one undoable command on ``plan``."""

    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        sc = plan.scenario
        self._d = d = descriptor(sc)
        self.setWindowTitle(f"{d.label} scenario properties")
        self.setMinimumWidth(520)
        form = QFormLayout()
        self.name_edit = QLineEdit(str(getattr(sc, "name", "")))
        self.description_edit = QPlainTextEdit(str(getattr(sc, "description", "") or ""))
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(90)
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Description:", self.description_edit)

        # calendar start: on, time 0 is a date-time and the board shows dates; off, plain numbers
        self._epoch0 = getattr(sc, "epoch", None)
        start = parse_epoch(self._epoch0)
        self.calendar_check = QCheckBox("Calendar dates; time 0 is")
        self.calendar_check.setChecked(start is not None)
        self.epoch_edit = QDateTimeEdit()
        self.epoch_edit.setCalendarPopup(True)
        self.epoch_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.epoch_edit.setDateTime(QDateTime(start) if start is not None else QDateTime.currentDateTime())
        self.epoch_edit.setEnabled(start is not None)
        self.calendar_check.toggled.connect(self.epoch_edit.setEnabled)
        self.calendar_check.toggled.connect(self._update_notes)
        row = QHBoxLayout()
        row.addWidget(self.calendar_check)
        row.addWidget(self.epoch_edit, 1)
        form.addRow("Start:", row)
        self.calendar_note = QLabel()
        self.calendar_note.setWordWrap(True)
        form.addRow("", self.calendar_note)

        self._unit0 = _unit(getattr(sc, "time_unit", TimeUnit.MINUTE))
        self.unit_combo = QComboBox()
        for u in TimeUnit:
            self.unit_combo.addItem(f"{UNIT_WORDS.get(u, u.value)} ({u.value})", u.value)
        self.unit_combo.setCurrentIndex(self.unit_combo.findData(self._unit0.value))
        self.unit_combo.currentIndexChanged.connect(self._update_notes)
        form.addRow("&Time unit:", self.unit_combo)
        self.unit_note = QLabel()
        self.unit_note.setWordWrap(True)
        form.addRow("", self.unit_note)

        self.objective_combo = QComboBox()
        for name in d.objectives:
            self.objective_combo.addItem(d.objective_label(name), name)
        self.objective_combo.setCurrentIndex(max(0, self.objective_combo.findData(d.objective_of(sc))))
        self.objective_combo.currentIndexChanged.connect(self._update_weights)
        form.addRow("&Objective:", self.objective_combo)

        self.weights_label = QLabel(f"{d.group_word.capitalize()} weights (the objective multiplies by them):")
        self.weights_table = QTableWidget(0, 2)
        self.weights_table.setHorizontalHeaderLabels([d.group_word.capitalize(), "Weight"])
        self.weights_table.verticalHeader().hide()
        self.weights_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.weights_table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        for group, weight in (d.weights(sc).items() if d.weights is not None else ()):
            r = self.weights_table.rowCount()
            self.weights_table.insertRow(r)
            item = QTableWidgetItem(group)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            self.weights_table.setItem(r, 0, item)
            w = QTableWidgetItem(str(weight))
            w.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.weights_table.setItem(r, 1, w)

        for f in PROPERTY_FIELDS:  # a kind whose scenario lacks a field does not show it
            if not hasattr(sc, f):
                widget = {"name": self.name_edit, "description": self.description_edit,
                          "epoch": self.epoch_edit, "time_unit": self.unit_combo}[f]
                form.setRowVisible(widget, False)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.weights_label)
        lay.addWidget(self.weights_table, 1)
        lay.addWidget(self.error_label)
        lay.addWidget(buttons)
        self._update_notes()
        self._update_weights()

    # -- showing ------------------------------------------------------------------------------
    def _update_notes(self) -> None:
        unit = _unit(self.unit_combo.currentData())
        text = RELABEL_NOTE.format(unit=UNIT_WORDS.get(unit, unit.value))
        self.unit_note.setText(f"<b>{text}</b>" if unit != self._unit0 else text)
        self.calendar_note.setText(
            "Times show as dates and clock times from this instant." if self.calendar_check.isChecked()
            else "No calendar dates: times show as plain numbers of the time unit.")

    def weights_shown(self) -> bool:
        """True when the chosen objective reads the groups' weights (and the kind has them)."""
        return self._d.weights is not None and self.objective_combo.currentData() in self._d.weighted_objectives

    def _update_weights(self) -> None:
        on = self.weights_shown()
        self.weights_label.setVisible(on)
        self.weights_table.setVisible(on)

    def show_error(self, message: str) -> None:
        self.error_label.setText(message[:1].upper() + message[1:])
        self.error_label.show()

    def error(self) -> str:
        return self.error_label.text() if not self.error_label.isHidden() else ""

    # -- setting (tests use these as a planner would) ---------------------------------------------
    def set_epoch(self, when: datetime | None) -> None:
        self.calendar_check.setChecked(when is not None)
        if when is not None:
            self.epoch_edit.setDateTime(QDateTime(when))

    def set_time_unit(self, unit: TimeUnit | str) -> None:
        self.unit_combo.setCurrentIndex(self.unit_combo.findData(_unit(unit).value))

    def set_objective(self, name: str) -> None:
        self.objective_combo.setCurrentIndex(self.objective_combo.findData(name))

    def set_weight(self, group: str, text: str) -> None:
        for r in range(self.weights_table.rowCount()):
            if self.weights_table.item(r, 0).text() == group:
                self.weights_table.item(r, 1).setText(text)
                return
        raise KeyError(group)

    # -- the result ---------------------------------------------------------------------------
    def _epoch(self) -> str | None:
        if not self.calendar_check.isChecked():
            return None
        when = self.epoch_edit.dateTime().toPython()
        old = parse_epoch(self._epoch0)
        if old is not None and old.replace(second=0, microsecond=0) == when.replace(second=0, microsecond=0):
            return self._epoch0  # untouched: the file's text stays as it was (its seconds, its offset)
        if old is not None:
            when = when.replace(tzinfo=datetime.fromisoformat(self._epoch0).tzinfo)
        return when.isoformat()

    def scenario_from_form(self) -> Any:
        """The scenario the form describes; :class:`EditRejected` / :class:`OpsPlanError` saying why not."""
        sc = self.plan.scenario
        fields: dict[str, Any] = {}
        name = self.name_edit.text().strip()
        if not name and hasattr(sc, "name"):
            raise EditRejected("the scenario needs a name")
        wanted = {"name": name, "description": self.description_edit.toPlainText().strip(),
                  "epoch": self._epoch(), "time_unit": _unit(self.unit_combo.currentData())}
        for f, value in wanted.items():
            if hasattr(sc, f) and getattr(sc, f) != value:
                fields[f] = value
        weights: dict[str, int] = {}
        if self.weights_shown():
            old = self._d.weights(sc)
            for r in range(self.weights_table.rowCount()):
                group = self.weights_table.item(r, 0).text()
                value = parse_int(self.weights_table.item(r, 1).text(), f"the weight of {group}", 0)
                if old.get(group) != value:
                    weights[group] = value
        return edit_properties(sc, objective=self.objective_combo.currentData(), weights=weights, **fields)

    def accept(self) -> None:
        """Apply the form as one undoable command and close; stay open with the reason when refused."""
        try:
            new = self.scenario_from_form()
        except (EditRejected, OpsPlanError, ValueError) as exc:
            self.show_error(str(exc))
            return
        if new != self.plan.scenario:
            self.plan.set_scenario(new, UNDO_LABEL)
        super().accept()


def open_properties(window: Any) -> ScenarioPropertiesDialog:
    """Show the properties of ``window``'s plan in a dialog that does not block (closed, it is deleted)."""
    dlg = ScenarioPropertiesDialog(window.plan, window)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg


def new_with_properties(window: Any, kind: str) -> ScenarioPropertiesDialog | None:
    """File → New: a new plan of ``kind`` from its template, then its properties to fill in
    (None when the planner kept the current plan, e.g. cancelled the save question)."""
    before = window.plan
    window.new_document(kind)
    return open_properties(window) if window.plan is not before else None


__all__ = ["UNDO_LABEL", "ScenarioPropertiesDialog", "new_with_properties", "open_properties"]
