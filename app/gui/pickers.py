"""Pickers for editor cells that name things of the scenario (a window's machine, an operation's modes).

A :class:`~opsplan.app.gui.editor_spec.Column` with ``choices`` gets a :class:`ChoiceDelegate`:
an editable combo box of the choices for a cell holding one id, or, for a column with
``amounts`` (``"M1:10, M2:12"``), a checkable list with a number per choice
(:class:`PicksEditor`). Either way the picker only writes the cell's text form: the spec's
``set_cell`` still reads, checks and refuses it, and the text stays typable by hand.
Nothing here names a kind.
"""

from __future__ import annotations

from typing import Any

from opsplan.app.gui.editor_spec import Column, format_picks, split_picks
from opsplan.models.core import MAX_TIME
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QRect, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def choice_text(cid: str, label: str) -> str:
    """How a choice is listed: ``"Mill (M2)"``, or the id alone when it has no other name."""
    return f"{label} ({cid})" if label and label != cid else cid


class PicksEditor(QFrame):
    """A checkable list of choices with a number each (machine and duration); ``done`` closes it."""

    done = Signal()

    def __init__(self, choices: list[tuple[str, str]], unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self._ids = [cid for cid, _ in choices]
        self.table = QTableWidget(len(choices), 2, self)
        self.table.setHorizontalHeaderLabels(["Use", f"Duration ({unit})" if unit else "Amount"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._spins: list[QSpinBox] = []
        for r, (cid, label) in enumerate(choices):
            item = QTableWidgetItem(choice_text(cid, label))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, cid)
            self.table.setItem(r, 0, item)
            spin = QSpinBox()
            spin.setRange(0, MAX_TIME)
            spin.setEnabled(False)
            self.table.setCellWidget(r, 1, spin)
            self._spins.append(spin)
        self.table.itemChanged.connect(self._on_check)
        self.table.resizeColumnToContents(1)
        ok = QPushButton("Done")
        ok.clicked.connect(self.done)
        foot = QHBoxLayout()
        foot.addWidget(QLabel("Tick where it may run; Enter or Done applies."), 1)
        foot.addWidget(ok)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.table, 1)
        lay.addLayout(foot)
        self._order: list[str] = []  # picks in the order they were made (the cell's order first)

    def choice_ids(self) -> list[str]:
        return list(self._ids)

    def labels(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def _on_check(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        r, cid = item.row(), item.data(Qt.ItemDataRole.UserRole)
        on = item.checkState() == Qt.CheckState.Checked
        self._spins[r].setEnabled(on)
        if on and cid not in self._order:
            others = [self._spins[self._ids.index(c)].value() for c in self._order]
            if others and self._spins[r].value() == 0:  # a new mode starts like the existing ones
                self._spins[r].setValue(others[0])
            self._order.append(cid)
        elif not on and cid in self._order:
            self._order.remove(cid)

    def set_picks(self, picks: list[tuple[str, str]]) -> None:
        """Tick the picks ``[(id, amount text)]``; ids that are not choices are left out."""
        self._order = []
        for r in range(len(self._ids)):
            self.table.item(r, 0).setCheckState(Qt.CheckState.Unchecked)
        for cid, amount in picks:
            if cid in self._ids:
                r = self._ids.index(cid)
                self.table.item(r, 0).setCheckState(Qt.CheckState.Checked)
                self._spins[r].setValue(int(amount) if amount.strip().isdigit() else 0)

    def set_pick(self, cid: str, on: bool, amount: int | None = None) -> None:
        r = self._ids.index(cid)
        self.table.item(r, 0).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        if amount is not None:
            self._spins[r].setValue(amount)

    def picks(self) -> list[tuple[str, int]]:
        return [(cid, self._spins[self._ids.index(cid)].value()) for cid in self._order]

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.done.emit()
            return
        super().keyPressEvent(event)


class ChoiceDelegate(QStyledItemDelegate):
    """The cell editor of a column with ``choices``: a combo box, or a :class:`PicksEditor`."""

    def __init__(self, column: Column, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.column = column

    def _choices(self, index: QModelIndex) -> list[tuple[str, str]]:
        sc = getattr(index.model(), "scenario", None)
        return list(self.column.choices(sc)) if sc is not None and self.column.choices else []

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:  # noqa: N802
        choices = self._choices(index)
        if self.column.amounts:
            unit = getattr(getattr(index.model(), "scenario", None), "time_unit", "")
            ed = PicksEditor(choices, str(getattr(unit, "value", unit) or ""), parent)
            ed.done.connect(lambda e=ed: (self.commitData.emit(e), self.closeEditor.emit(e)))
            return ed
        box = QComboBox(parent)
        box.setEditable(True)  # a name or an id may still be typed
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for cid, label in choices:
            box.addItem(choice_text(cid, label), cid)
        return box

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:  # noqa: N802
        text = str(index.data(Qt.ItemDataRole.EditRole) or "")
        if isinstance(editor, PicksEditor):
            editor.set_picks(split_picks(text))
        elif isinstance(editor, QComboBox):
            k = editor.findData(text)
            if k >= 0:
                editor.setCurrentIndex(k)
            else:
                editor.setEditText(text)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex) -> None:  # noqa: N802
        if isinstance(editor, PicksEditor):
            model.setData(index, format_picks(editor.picks()), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QComboBox):
            text = editor.currentText()
            k = editor.findText(text)
            model.setData(index, editor.itemData(k) if k >= 0 else text, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        if not isinstance(editor, PicksEditor):
            super().updateEditorGeometry(editor, option, index)
            return
        rect = QRect(option.rect)
        rows = editor.table.rowCount()
        rect.setWidth(max(rect.width(), 360))
        rect.setHeight(min(90 + 28 * rows, 320))
        area = editor.parentWidget().rect() if editor.parentWidget() is not None else rect
        if rect.bottom() > area.bottom():  # open upwards near the bottom of the table
            rect.moveBottom(max(area.bottom(), rect.height()))
        if rect.right() > area.right():
            rect.moveRight(max(area.right(), rect.width()))
        editor.setGeometry(rect)


__all__ = ["ChoiceDelegate", "PicksEditor", "choice_text"]
