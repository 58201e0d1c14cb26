"""The issues panel: what is wrong with the scenario, then with the current plan.

Validation issues (``plan.issues()``) come first, each with its place in the
scenario in the planner's words ("Job ORD-2604 (Hot cross buns) · release", from the
kind's editor spec, :meth:`EditorSpec.describe`; the raw path is the tooltip);
clicking one shows that row in the :class:`ScenarioEditor`, which selects its bars. Then the
conflicting constraints an infeasible solve named (``plan.conflicts``): clicking
one shows its row in the editor and selects the tasks it concerns. The
checker's violations of the current schedule follow; clicking one selects the
tasks it names, so the Gantt and the other views highlight them.
The other way round, tasks selected elsewhere (a bar, an editor row) select the first
row about them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opsplan.app.gui.timeaxis import Clock
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

ISSUE = "issue"
VIOLATION = "violation"
CONFLICT = "conflict"
_ROLE = Qt.ItemDataRole.UserRole
_PATH_ROLE = Qt.ItemDataRole.UserRole + 1  #: the raw "where" (an issue's path), for tests and navigation


def _count(n: int, one: str, many: str) -> str:
    return f"{'No' if n == 0 else n} {one if n == 1 else many}"


class IssuesPanel(QWidget):
    """Scenario issues and plan violations, with a one-line summary.

    Signals
    -------
    issueActivated(str): an issue was clicked; its path.
    violationActivated(list): a violation was clicked; the task ids it names (maybe empty).
    conflictActivated(str, list): a conflict was clicked; its path and the object ids it names.
    """

    issueActivated = Signal(str)
    conflictActivated = Signal(str, list)
    violationActivated = Signal(list)

    COLUMNS = ("Kind", "Where", "Message")

    def __init__(self, plan: Any, editor: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.editor = editor
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(self.COLUMNS))
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.itemClicked.connect(lambda item, _col: self.activate_item(item))
        self.tree.itemActivated.connect(lambda item, _col: self.activate_item(item))
        layout.addWidget(self.tree, 1)
        self._n_issues = self._n_violations = self._n_conflicts = 0
        self._activating = False  # a row's activation selects tasks: the panel does not follow them then
        self._spec: tuple[str, Any] | None = None  # (kind, editor spec) naming the paths

        plan.changed.connect(self.refresh)
        plan.selectionChanged.connect(self._on_selection)
        plan.currentChanged.connect(self._on_current_changed)
        plan.conflictsChanged.connect(self.refresh)
        self.refresh()

    def _on_current_changed(self, _name: str) -> None:
        self.refresh()

    def set_editor(self, editor: Any) -> None:
        self.editor = editor

    def where(self, path: str) -> str:
        """``path`` in the planner's words (the kind's editor spec); the path itself without a spec."""
        spec = getattr(self.editor, "spec", None)
        if spec is None:
            kind = self.plan.scenario.kind
            if self._spec is None or self._spec[0] != kind:
                from opsplan.app.gui.editor import editor_spec_for

                self._spec = (kind, editor_spec_for(kind))
            spec = self._spec[1]
        if spec is None or not path:
            return path
        try:
            return spec.describe(self.plan.scenario, path) or path
        except Exception:  # a path the spec cannot read (a scenario mid-edit): show it as it is
            return path

    def where_objects(self, objects: tuple[str, ...], tasks: set[str], lanes: Mapping[str, str]) -> str:
        """A violation's objects in the planner's words: the editor row of its first task (``"Operation
        ORD-2602.prf (Proof)"``), then the resources it names by their ``lanes`` labels; '' when none
        is known."""
        parts: list[str] = []
        first = next((o for o in objects if o in tasks), None)
        chain = self.editor.locate_task(first) if self.editor is not None and first is not None else []
        if chain and chain[-1].row is not None:
            parent = chain[-2].row if len(chain) > 1 else None
            try:
                parts.append(self.editor.spec.table(chain[-1].table).describe_row(
                    self.plan.scenario, parent, chain[-1].row))
            except Exception:  # a scenario mid-edit the spec cannot read: the ids below will do
                parts = []
        others = sum(1 for o in objects if o in tasks and o != first)
        if parts and others:
            parts[-1] += f" and {others} more"
        parts += [lanes[o] for o in objects if o in lanes]
        return " · ".join(parts)

    @staticmethod
    def _where_item(item: QTreeWidgetItem, raw: str) -> QTreeWidgetItem:
        item.setData(1, _PATH_ROLE, raw)
        if raw and raw != item.text(1):
            item.setToolTip(1, raw)
        return item

    # -- content -------------------------------------------------------------------
    def refresh(self) -> None:
        try:
            issues = list(self.plan.issues())
        except Exception as exc:  # a kind without a validator: say so rather than crash
            issues = []
            self._error = str(exc)
        else:
            self._error = ""
        schedule = self.plan.schedule
        violations = list(self.plan.violations()) if schedule is not None else []
        tasks = {a.task for a in schedule.assignments} if schedule is not None else set()

        self.tree.clear()
        red = QBrush(QColor(176, 0, 32))
        amber = QBrush(QColor(150, 90, 0))
        items = []
        for issue in issues:
            item = self._where_item(QTreeWidgetItem(["error", self.where(issue.path), issue.message]), issue.path)
            item.setForeground(0, red)
            item.setData(0, _ROLE, (ISSUE, issue.path))
            item.setToolTip(2, issue.message)
            items.append(item)
        conflicts = list(getattr(self.plan, "conflicts", ()) or ())
        purple = QBrush(QColor(120, 40, 140))
        clock = Clock.of(self.plan.scenario) if conflicts else None
        for c in conflicts:
            raw = c.path or ", ".join(c.objects)
            text = c.text(clock)  # its times as dates, like the rest of the board
            item = self._where_item(QTreeWidgetItem(["conflict", self.where(c.path) if c.path else raw, text]), raw)
            item.setForeground(0, purple)
            item.setData(0, _ROLE, (CONFLICT, (c.path, list(c.objects))))
            item.setToolTip(2, "Infeasible together with the other conflict rows: " + text)
            items.append(item)
        try:  # the lanes' labels, read once for every violation row
            lanes = {ln.id: ln.label for ln in self.plan.adapter.lanes(self.plan.scenario)} if violations else {}
        except Exception:  # a scenario mid-edit the adapter cannot read: the ids will do
            lanes = {}
        for v in violations:
            objects = tuple(getattr(v, "objects", ()) or ())
            raw = ", ".join(objects)
            where = self.where_objects(objects, tasks, lanes) or raw
            item = self._where_item(QTreeWidgetItem([v.code, where, v.message]), raw)
            item.setForeground(0, amber)
            item.setData(0, _ROLE, (VIOLATION, [o for o in objects if o in tasks]))
            item.setToolTip(2, v.message)
            items.append(item)
        self.tree.addTopLevelItems(items)
        for c in range(len(self.COLUMNS) - 1):
            self.tree.resizeColumnToContents(c)
        self._n_issues, self._n_violations = len(issues), len(violations)
        self._n_conflicts = len(conflicts)
        self.summary.setText(self.summary_text())

    def summary_text(self) -> str:
        if self._error:
            head = f"Scenario not checked: {self._error}"
        else:
            head = _count(self._n_issues, "problem", "problems") + " in the scenario"
        if self._n_conflicts:
            head += (f"; infeasible: {self._n_conflicts} constraints cannot all hold" if self._n_conflicts > 1
                     else "; infeasible: 1 constraint cannot hold")
        name = self.plan.current_name if self.plan.schedule is not None else ""
        if not name:
            return f"{head}, no plan to check"
        return f"{head}, " + _count(self._n_violations, "violation", "violations").lower() + f" in plan '{name}'"

    def count(self) -> int:
        return self.tree.topLevelItemCount()

    def item(self, row: int) -> QTreeWidgetItem | None:
        return self.tree.topLevelItem(row)

    def rows(self) -> list[tuple[str, str, str]]:
        """(kind, where, message) of every row, in order ("where" as shown)."""
        return [tuple(self.tree.topLevelItem(i).text(c) for c in range(3)) for i in range(self.count())]

    def raw_where(self, row: int) -> str:
        """The "where" of ``row`` as the model says it: an issue's path, a violation's objects."""
        item = self.item(row)
        return str(item.data(1, _PATH_ROLE) or "") if item is not None else ""

    def find_row(self, kind: str, where: str | None = None) -> int:
        """The first row of ``kind`` (``"error"`` or a violation code) whose "where" is ``where`` (as shown,
        or the raw path); -1 if none."""
        for i, (k, w, _m) in enumerate(self.rows()):
            if k == kind and (where is None or where in (w, self.raw_where(i))):
                return i
        return -1

    def row_tasks(self, row: int) -> list[str]:
        """The tasks ``row`` is about: a violation's or conflict's tasks, the tasks of an issue's row
        in the editor."""
        item = self.item(row)
        data = item.data(0, _ROLE) if item is not None else None
        if not data:
            return []
        kind, payload = data
        if kind == VIOLATION:
            return list(payload)
        if kind == CONFLICT:
            sc = self.plan.scenario
            return [t for obj in payload[1] for t in self.plan.adapter.tasks_of(sc, obj)]
        return self.editor.path_tasks(payload) if self.editor is not None else []

    def _on_selection(self, tasks: list) -> None:
        """Tasks were selected elsewhere: make the first row about them current (none: no row)."""
        if self._activating:
            return
        chosen = set(tasks)
        hit = None
        if chosen:
            for row in range(min(self.count(), 500)):  # cheap: a long list is not searched to its end
                if chosen.intersection(self.row_tasks(row)):
                    hit = self.item(row)
                    break
        self.tree.blockSignals(True)
        try:
            if hit is None:
                self.tree.clearSelection()
            else:
                self.tree.setCurrentItem(hit)
                self.tree.scrollToItem(hit)
        finally:
            self.tree.blockSignals(False)
        self.tree.viewport().update()

    # -- activation ------------------------------------------------------------------
    def activate_row(self, row: int) -> None:
        item = self.item(row)
        if item is not None:
            self.tree.setCurrentItem(item)
            self.activate_item(item)

    def activate_item(self, item: QTreeWidgetItem) -> None:
        self._activating = True
        try:
            self._activate(item)
        finally:
            self._activating = False

    def _activate(self, item: QTreeWidgetItem) -> None:
        data = item.data(0, _ROLE)
        if not data:
            return
        kind, payload = data
        if kind == CONFLICT:
            path, objects = payload
            if path and self.editor is not None:
                self.editor.select_path(path)
            tasks: list[str] = []
            for obj in objects:
                tasks += self.plan.adapter.tasks_of(self.plan.scenario, obj)
            if tasks:
                self.plan.select(tasks)
            self.conflictActivated.emit(path, list(objects))
        elif kind == ISSUE:
            if self.editor is not None:
                self.editor.select_path(payload)
                tasks = self.editor.path_tasks(payload)  # an operation's issue: its bar, a job's: its bars
                if tasks:
                    self.plan.select(tasks)
            self.issueActivated.emit(payload)
        else:
            tasks = list(payload)
            if tasks:
                self.plan.select(tasks)
            self.violationActivated.emit(tasks)


__all__ = ["IssuesPanel"]
