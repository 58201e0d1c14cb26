"""The scenario editor: tabs of tables over the immutable scenario.

The widget (:class:`ScenarioEditor`) knows no kind. What the tables show and how a
cell edit, an added, duplicated or removed row turn into a new scenario is told by
the kind's :class:`~opsplan.app.gui.editor_spec.EditorSpec` (plain Python, no Qt),
which the kind's GUI bundle provides (:func:`opsplan.app.gui.kinds.bundle_for`).
Every edit builds a new scenario and goes through :meth:`PlanDocument.set_scenario`
as one undoable command; the tables redraw from ``plan.changed`` like every other view.

A spec answers in :class:`Change` objects, or raises :class:`EditRejected` with a
message for the planner (a non-integer release, an unknown machine, removing a
machine that operations still use); a rejected edit pushes no command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from opsplan.app.gui.adapters import KindAdapter
from opsplan.app.gui.editor_spec import INSTANT, Change, Column, EditorSpec, EditRejected, Location, TableSpec
from opsplan.app.gui.pickers import ChoiceDelegate
from opsplan.app.gui.replay_panel import trace_of, with_trace
from opsplan.app.gui.timeaxis import Clock
from opsplan.models.schedule import Schedule
from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)


def editor_spec_for(kind: str) -> EditorSpec | None:
    """A fresh editor spec of ``kind`` from its GUI bundle; None when the kind has no editor."""
    from opsplan.app.gui.kinds import find_bundle

    bundle = find_bundle(kind)
    factory = bundle.editor_spec if bundle is not None else None
    return factory() if factory else None


_ISSUE_BRUSH = QBrush(QColor(255, 205, 205))
#: the widest a column grows to show its content (px); the planner may drag it wider
MAX_FIT_WIDTH = 280


def fit_columns(view: QTableView, columns: Sequence[Column], natural: list[int] | None = None) -> list[int]:
    """Size the columns of ``view`` to their content and title (at most :data:`MAX_FIT_WIDTH`) and
    give the spare width of the viewport to the ``stretch`` columns (else the last one).

    A stretch column is never squeezed below its content: a narrow dock scrolls sideways
    instead of showing "H…". ``natural``: the content widths measured before (a resize only
    hands the spare width out again); returns them."""
    header = view.horizontalHeader()
    n = header.count()
    if natural is None or len(natural) != n:
        natural = [min(MAX_FIT_WIDTH, max(view.sizeHintForColumn(c), header.sectionSizeHint(c))) for c in range(n)]
    if not n:
        return natural
    grow = [c for c, col in enumerate(columns[:n]) if col.stretch] or [n - 1]
    spare = max(0, view.viewport().width() - sum(natural))
    for c in range(n):
        header.resizeSection(c, natural[c] + (spare // len(grow) if c in grow else 0))
    return natural


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class SpecTableModel(QAbstractTableModel):
    """A table of a :class:`TableSpec` over a snapshot of the scenario.

    ``setData`` never changes the scenario: it asks the spec for a
    :class:`Change` and hands it to ``apply`` (the editor pushes the command),
    or emits ``rejected`` with the reason.
    """

    rejected = Signal(str)

    def __init__(self, spec: TableSpec, scenario: Any, apply: Callable[[Change], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._sc = scenario
        self._apply = apply
        self.parent_row: int | None = None
        self._issues: dict[tuple[int, str | None], list[str]] = {}
        #: the columns shown (the spec's, or computed from the scenario: a setup matrix's jobs)
        self.columns: tuple[Column, ...] = spec.columns_for(scenario, None)

    @property
    def scenario(self) -> Any:
        return self._sc

    # -- refresh --------------------------------------------------------------
    def refresh(self, scenario: Any, parent_row: int | None = None) -> None:
        """Show ``scenario``; keeps editors and the selection when the shape did not change."""
        columns = self.spec.columns_for(scenario, parent_row)
        same_shape = (parent_row == self.parent_row and columns == self.columns
                      and self.spec.row_count(scenario, parent_row) == self.rowCount())
        if same_shape:
            self._sc = scenario
            if self.rowCount() and self.columnCount():
                self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1))
            return
        self.beginResetModel()
        self._sc, self.parent_row, self.columns = scenario, parent_row, columns
        self.endResetModel()

    def set_issues(self, issues: dict[tuple[int, str | None], list[str]]) -> None:
        if issues == self._issues:
            return
        self._issues = issues
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole])

    def issues_at(self, row: int, column: str) -> list[str]:
        return self._issues.get((row, column), []) + self._issues.get((row, None), [])

    # -- Qt model -------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.spec.row_count(self._sc, self.parent_row)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            col = self.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return col.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return col.tooltip or None
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self.rowCount():
            return None
        col = self.columns[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.shown(index.row(), col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and self.issues_at(index.row(), col.key):
            return _ISSUE_BRUSH
        if role == Qt.ItemDataRole.ToolTipRole:
            msgs = self.issues_at(index.row(), col.key)
            return "\n".join(msgs) if msgs else (col.tooltip or None)
        return None

    # -- time columns: the spec speaks whole units, the planner dates and durations -------------
    def shown(self, row: int, col: Column) -> str:
        """The text of cell ``(row, col)``: a time column's units through the scenario's :class:`Clock`."""
        raw = self.spec.cell(self._sc, self.parent_row, row, col.key)
        value = _int_or_none(raw) if col.time else None
        if value is None:
            return raw
        clock = Clock.of(self._sc)
        return clock.time(value) if col.time == INSTANT else clock.span(value)

    def typed(self, row: int, col: Column, text: str) -> str:
        """What the planner typed into ``(row, col)`` as the spec reads it: a date or duration in a
        time column becomes whole units ('' and '-' pass, they clear an optional time)."""
        if not col.time or text in ("", "-"):
            return text
        clock = Clock.of(self._sc)
        try:
            if col.time == INSTANT:
                near = _int_or_none(self.spec.cell(self._sc, self.parent_row, row, col.key))
                return str(clock.parse_time(text, col.title, near=near))
            return str(clock.parse_span(text, col.title))
        except ValueError as exc:
            raise EditRejected(str(exc)) from None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()].editable:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        col = self.columns[index.column()]
        if not col.editable:
            return False
        text = "" if value is None else str(value).strip()
        if text == self.shown(index.row(), col):
            return True
        try:
            text = self.typed(index.row(), col, text)
            change = self.spec.set_cell(self._sc, self.parent_row, index.row(), col.key, text)
        except EditRejected as exc:
            self.rejected.emit(str(exc))
            return False
        self._apply(change)
        return True


class _ResizeFilter(QObject):
    """Calls back when the watched widget (a table's viewport) changes size."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._callback()
        return False


class _DeleteKeyFilter(QObject):
    """Delete / Backspace on a table (not in a cell editor) removes its selected rows."""

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
                and isinstance(obj, QAbstractItemView) and obj.state() != QAbstractItemView.State.EditingState):
            self._callback()
            return True
        return False


@dataclass
class _Page:
    spec: TableSpec
    widget: QWidget
    view: QTableView
    model: SpecTableModel
    chooser: QComboBox | None = None
    buttons: dict[str, QPushButton] = field(default_factory=dict)
    natural: list[int] | None = None  #: the columns' content widths (see :func:`fit_columns`)


class ScenarioEditor(QWidget):
    """Tabs of tables over the plan's scenario; every edit is one undoable command.

    Signals
    -------
    editRejected(str): an edit was refused; the reason is also shown in the status line.
    editApplied(str): an edit was pushed with this Undo-menu label.
    """

    editRejected = Signal(str)
    editApplied = Signal(str)

    def __init__(self, plan: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self._pages: dict[str, _Page] = {}
        self._pending: tuple[str, int | None] | None = None
        self._syncing = False
        self._linking = False  # True while the editor and the plan's selection follow each other
        self._known: tuple[Schedule, frozenset[str]] | None = None  # see _plan_tasks
        self._kind: str | None = None
        self.spec: EditorSpec | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)

        self._build()
        self.tabs.currentChanged.connect(lambda _i: self._set_status("", error=False))  # a message is about its table
        plan.changed.connect(self._on_changed)
        plan.selectionChanged.connect(self._on_plan_selection)

    # -- building ---------------------------------------------------------------
    def _build(self) -> None:
        self.tabs.clear()
        for page in self._pages.values():
            page.widget.deleteLater()
        self._pages.clear()
        self._kind = self.plan.scenario.kind
        self.spec = editor_spec_for(self._kind)
        if self.spec is None:
            msg = QLabel(f"There is no editor for {self._kind!r} scenarios yet.")
            msg.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.tabs.addTab(msg, "Scenario")
            return
        for spec in self.spec.tables:
            self._pages[spec.key] = self._build_page(spec)
            self.tabs.addTab(self._pages[spec.key].widget, spec.title)
        self._refresh(initial=True)
        for page in self._pages.values():
            self._fit(page, measure=True)

    def _build_page(self, spec: TableSpec) -> _Page:
        w = QWidget()
        v = QVBoxLayout(w)
        chooser = None
        if spec.parent_key:
            parent_spec = self.spec.table(spec.parent_key)
            row = QHBoxLayout()
            row.addWidget(QLabel(f"{parent_spec.noun.capitalize()}:"))
            chooser = QComboBox()
            # long job names must not set the dock's minimum width (it squeezed the board)
            chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            chooser.setMinimumContentsLength(14)
            chooser.currentIndexChanged.connect(lambda i, k=spec.key: self._on_chooser(k, i))
            row.addWidget(chooser, 1)
            v.addLayout(row)
        view = QTableView()
        model = SpecTableModel(spec, self.plan.scenario, lambda ch, k=spec.key: self.apply_change(k, ch), view)
        model.rejected.connect(self._reject)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.AnyKeyPressed)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)  # fit_columns hands out the spare width
        for c, col in enumerate(spec.columns):  # a cell naming the scenario's things gets a picker
            if col.choices is not None:
                view.setItemDelegateForColumn(c, ChoiceDelegate(col, view))
        view.installEventFilter(_DeleteKeyFilter(lambda k=spec.key: self.remove_rows(k), view))
        view.selectionModel().currentRowChanged.connect(lambda cur, prev, k=spec.key: self._on_current_row(k))
        view.selectionModel().selectionChanged.connect(lambda *_a, k=spec.key: self._on_rows_selected(k))
        v.addWidget(view, 1)
        buttons = QHBoxLayout()
        page = _Page(spec, w, view, model, chooser)
        view.viewport().installEventFilter(_ResizeFilter(lambda p=page: self._fit(p), view))
        for name, text, slot in (("add", "Add", self.add_row), ("duplicate", "Duplicate", self.duplicate_rows),
                                 ("remove", "Remove", self.remove_rows)):
            if name not in spec.actions:
                continue
            b = QPushButton(text)
            b.setToolTip(f"{text} {spec.noun}" + (" (Delete)" if name == "remove" else ""))
            b.clicked.connect(lambda _=False, k=spec.key, s=slot: s(k))
            buttons.addWidget(b)
            page.buttons[name] = b
        buttons.addStretch(1)
        v.addLayout(buttons)
        return page

    # -- public API -----------------------------------------------------------------
    def table_keys(self) -> list[str]:
        return list(self._pages)

    def detail_table(self) -> str | None:
        """The first table that shows the children of another's row (a job's operations), else the
        first table; None without an editor."""
        keys = self.table_keys()
        return next((k for k in keys if self._pages[k].spec.parent_key), keys[0] if keys else None)

    def current_table(self) -> str | None:
        w = self.tabs.currentWidget()
        return next((k for k, p in self._pages.items() if p.widget is w), None)

    def show_table(self, key: str) -> None:
        self.tabs.setCurrentWidget(self._pages[key].widget)

    def view(self, key: str) -> QTableView:
        return self._pages[key].view

    def model(self, key: str) -> SpecTableModel:
        return self._pages[key].model

    def chooser(self, key: str) -> QComboBox | None:
        return self._pages[key].chooser

    def current_row(self, key: str) -> int | None:
        idx = self._pages[key].view.currentIndex()
        return idx.row() if idx.isValid() else None

    def selected_rows(self, key: str) -> list[int]:
        view = self._pages[key].view
        rows = sorted({i.row() for i in view.selectionModel().selectedIndexes()})
        if not rows and view.currentIndex().isValid():
            rows = [view.currentIndex().row()]
        return rows

    def select_row(self, key: str, row: int | None, column: str | None = None) -> bool:
        """Make ``row`` of table ``key`` current and selected (None clears); False when out of range."""
        page = self._pages[key]
        view, model = page.view, page.model
        if row is None or not 0 <= row < model.rowCount():
            if row is None:
                view.clearSelection()
            return row is None
        col = 0
        if column is not None:
            col = next((c for c, x in enumerate(page.spec.columns) if x.key == column), 0)
        index = model.index(row, col)
        view.selectionModel().setCurrentIndex(
            index, view.selectionModel().SelectionFlag.ClearAndSelect)
        view.scrollTo(index)
        self._on_current_row(key)
        return True

    def set_parent_row(self, key: str, row: int) -> None:
        """Show the children of ``row`` of the parent table in table ``key`` (e.g. a job's operations)."""
        spec = self._pages[key].spec
        if spec.parent_key:
            self.select_row(spec.parent_key, row)

    def select_path(self, path: str) -> bool:
        """Show the tab and row an issue path points to; True when found."""
        if self.spec is None:
            return False
        locations = self.spec.locate(self.plan.scenario, path)
        if not locations:
            return False
        for loc in locations:
            if loc.table not in self._pages or not self.select_row(loc.table, loc.row, loc.column):
                return False
        self.show_table(locations[-1].table)
        self._pages[locations[-1].table].view.setFocus()
        return True

    def add_row(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        return self._run(key, lambda sc: page.spec.add(sc, page.model.parent_row, self.current_row(key)))

    def duplicate_rows(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        rows = self.selected_rows(key)
        return self._run(key, lambda sc: page.spec.duplicate(sc, page.model.parent_row, rows))

    def remove_rows(self, key: str | None = None) -> bool:
        key = key or self.current_table()
        page = self._pages[key]
        rows = self.selected_rows(key)
        return self._run(key, lambda sc: page.spec.remove(sc, page.model.parent_row, rows))

    def status_text(self) -> str:
        return self.status.text()

    # -- applying ----------------------------------------------------------------------
    def _run(self, key: str, make: Callable[[Any], Change]) -> bool:
        try:
            change = make(self._pages[key].model.scenario)
        except EditRejected as exc:
            self._reject(str(exc))
            return False
        self.apply_change(key, change)
        return True

    def apply_change(self, key: str, change: Change) -> None:
        """Push ``change`` as one undoable command, then select ``change.row`` in table ``key``."""
        plan = self.plan
        if change.scenario == plan.scenario:
            return
        self._pending = (key, change.row)
        try:
            if (change.resource_renames or change.task_renames or change.task_removals) and plan.doc.schedules:
                schedules = tuple(_rename_in_schedule(s, change.resource_renames, change.task_renames,
                                                      change.task_removals, change.scenario, plan.adapter)
                                  for s in plan.doc.schedules)
                plan.apply(replace(plan.doc, scenario=change.scenario, schedules=schedules), change.label)
            else:
                plan.set_scenario(change.scenario, change.label)
        finally:
            self._pending = None
        self._set_status(f"{change.label}.", error=False)
        self.editApplied.emit(change.label)

    def _reject(self, message: str) -> None:
        self._set_status(message[:1].upper() + message[1:], error=True)
        self.editRejected.emit(message)

    def _set_status(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setStyleSheet("color: #b00020;" if error else "")

    # -- following the document ------------------------------------------------------------
    def _on_changed(self) -> None:
        if self.plan.scenario.kind != self._kind:
            self._build()
            return
        self._refresh()

    def _refresh(self, initial: bool = False) -> None:
        if self.spec is None:
            return
        sc = self.plan.scenario
        pending = self._pending
        self._syncing = True
        try:
            for key, page in self._pages.items():  # spec order: parents before their children
                old = page.view.currentIndex()
                old_row, old_col = (old.row(), old.column()) if old.isValid() else (0, 0)
                parent_row = None
                if page.spec.parent_key:
                    parent_row = self.current_row(page.spec.parent_key)
                    self._fill_chooser(page, sc, parent_row)
                page.model.refresh(sc, parent_row)
                n = page.model.rowCount()
                if pending is not None and pending[0] == key and pending[1] is not None:
                    row, col = pending[1], old_col
                else:
                    row, col = min(old_row, n - 1), old_col
                if 0 <= row < n:
                    index = page.model.index(row, min(col, page.model.columnCount() - 1))
                    if index != page.view.currentIndex() or initial:
                        page.view.selectionModel().setCurrentIndex(
                            index, page.view.selectionModel().SelectionFlag.ClearAndSelect)
                    if pending is not None and pending[0] == key:
                        page.view.scrollTo(index)
        finally:
            self._syncing = False
        self._update_issue_marks()

    def _fill_chooser(self, page: _Page, sc: Any, parent_row: int | None) -> None:
        parent_spec = self.spec.table(page.spec.parent_key)
        labels = [parent_spec.row_label(sc, r) for r in range(parent_spec.row_count(sc, None))]
        chooser = page.chooser
        chooser.blockSignals(True)
        try:
            if [chooser.itemText(i) for i in range(chooser.count())] != labels:
                chooser.clear()
                chooser.addItems(labels)
            chooser.setCurrentIndex(parent_row if parent_row is not None else -1)
        finally:
            chooser.blockSignals(False)

    def _on_current_row(self, key: str) -> None:
        """A parent table's current row changed: its children follow."""
        if self._syncing:
            return
        sc = self.plan.scenario
        for page in self._pages.values():
            if page.spec.parent_key == key:
                row = self.current_row(key)
                self._fill_chooser(page, sc, row)
                if row != page.model.parent_row:
                    page.model.refresh(sc, row)
                    self._fit(page, measure=True)
                    if page.model.rowCount():
                        with self._linked():  # the child's first row is shown, not chosen by the planner
                            page.view.selectionModel().setCurrentIndex(
                                page.model.index(0, 0), page.view.selectionModel().SelectionFlag.ClearAndSelect)
                self._update_issue_marks()

    def _fit(self, page: _Page, measure: bool = False) -> None:
        page.natural = fit_columns(page.view, page.model.columns, None if measure else page.natural)

    # -- linked selection: the rows follow the plan's selected tasks, and the other way round ---------
    @contextmanager
    def _linked(self) -> Iterator[None]:
        was, self._linking = self._linking, True
        try:
            yield
        finally:
            self._linking = was

    def row_tasks(self, key: str, row: int, parent: int | None = None) -> list[str]:
        """The plan's tasks (bars) row ``row`` of table ``key`` stands for: those of the object its id
        names (a job row: its operations, an operation row: itself), by the adapter's ``tasks_of``;
        a resource's row (a machine): the work on its lane in the current plan; [] for a row that
        stands for no task (a calendar window). ``parent``: the parent table's
        row (default: the one shown)."""
        page = self._pages[key]
        sc = self.plan.scenario
        parent = page.model.parent_row if parent is None else parent
        ident = page.spec.row_id(sc, parent, row) if 0 <= row < page.spec.row_count(sc, parent) else None
        if not ident:
            return []
        try:
            tasks = list(self.plan.adapter.tasks_of(sc, ident))
        except Exception:  # a scenario mid-edit the adapter cannot read: no link
            return []
        known = self._plan_tasks()
        tasks = [t for t in tasks if known is None or t in known]
        if not tasks and self.plan.schedule is not None and ident in {ln.id for ln in self.plan.adapter.lanes(sc)}:
            # a resource's row (a machine): the bars on its lane in the current plan
            tasks = [a.task for a in self.plan.schedule.work() if a.resource == ident]
        return tasks

    def _plan_tasks(self) -> frozenset[str] | None:
        """The tasks of the current plan (None without one), kept while the plan is the same object."""
        s = self.plan.schedule
        if s is None:
            return None
        if self._known is None or self._known[0] is not s:
            self._known = (s, frozenset(a.task for a in s.work()))
        return self._known[1]

    def path_tasks(self, path: str) -> list[str]:
        """The tasks of the row an issue path points to (see :meth:`row_tasks`); [] when none."""
        chain = self.spec.locate(self.plan.scenario, path) if self.spec is not None else []
        rows = [loc for loc in chain if loc.row is not None and loc.table in self._pages]
        if not rows:
            return []
        parent = rows[-2].row if len(rows) > 1 else None
        return self.row_tasks(rows[-1].table, rows[-1].row, parent)

    def locate_task(self, task: str) -> list[Location]:
        """The rows (parents first) that show ``task``: its group's row and, below it, its own."""
        if self.spec is None:
            return []
        sc = self.plan.scenario
        try:
            group = self.plan.adapter.group_of(sc, task)
        except Exception:
            group = None
        return [loc for loc in self.spec.locate_task(sc, task, group) if loc.table in self._pages]

    def _on_rows_selected(self, key: str) -> None:
        """The planner selected rows: the plan selects the bars they stand for (the Gantt follows)."""
        if self._syncing or self._linking or self.spec is None:
            return
        tasks = [t for r in self.selected_rows(key) for t in self.row_tasks(key, r)]
        if tasks:
            with self._linked():
                self.plan.select(list(dict.fromkeys(tasks)))

    def _on_plan_selection(self, tasks: list) -> None:
        """Bars were selected elsewhere (a click in the Gantt, an issue): show the first one's rows."""
        if self._linking or not tasks or self.spec is None:
            return
        chain = self.locate_task(tasks[0])
        with self._linked():
            for loc in chain:
                self.select_row(loc.table, loc.row)

    def _on_chooser(self, key: str, index: int) -> None:
        parent_key = self._pages[key].spec.parent_key
        if index >= 0 and parent_key:
            self.select_row(parent_key, index)

    def _update_issue_marks(self) -> None:
        """Tint the cells validation complains about; their tooltip says why."""
        try:
            issues = self.plan.issues()
        except Exception:  # a kind without a validator: no marks
            issues = []
        sc = self.plan.scenario
        marks: dict[str, dict[tuple[int | None, int, str | None], list[str]]] = {k: {} for k in self._pages}
        for issue in issues:
            chain = self.spec.locate(sc, issue.path)
            if not chain or chain[-1].row is None or chain[-1].table not in marks:
                continue
            last = chain[-1]
            parent = chain[-2].row if len(chain) > 1 else None
            marks[last.table].setdefault((parent, last.row, last.column), []).append(issue.message)
        for key, page in self._pages.items():
            mine = {(r, c): m for (p, r, c), m in marks[key].items()
                    if not page.spec.parent_key or p == page.model.parent_row}
            page.model.set_issues(mine)


def _rename_in_schedule(s: Schedule, resources: Mapping[str, str], tasks: Mapping[str, str],
                        removed: frozenset[str] = frozenset(), scenario: Any = None,
                        adapter: KindAdapter | None = None) -> Schedule:
    """``s`` with resources and tasks renamed (pins follow their task) and the ``removed`` tasks'
    bars and pins dropped; the kind's adapter then makes the plan whole again
    (:meth:`KindAdapter.after_removal`: a job shop lays its setup bars for the new neighbours)."""
    assignments = tuple(
        replace(a, resource=resources.get(a.resource, a.resource), task=tasks.get(a.task, a.task))
        for a in s.assignments if a.task not in removed
    )
    out = replace(s, assignments=assignments)
    pins = s.pinned
    if (tasks and pins & set(tasks)) or pins & removed:
        out = out.with_pins({tasks.get(t, t) for t in pins if t not in removed})
    if removed and adapter is not None and scenario is not None:
        out = adapter.after_removal(scenario, out)
    trace = trace_of(out) if tasks or resources else []
    if trace:  # a policy's decision replay follows the names
        out = with_trace(out, [(tasks.get(op, op), resources.get(m, m), start) for op, m, start in trace])
    return out


__all__ = [
    "Change",
    "Column",
    "EditRejected",
    "EditorSpec",
    "Location",
    "ScenarioEditor",
    "SpecTableModel",
    "TableSpec",
    "editor_spec_for",
]
