"""KPI views: the current schedule's KPIs, and every schedule of the plan side by side.

The rows are the kind's: the objective, the KPIs of the kind's GUI bundle or, by
default, of its descriptor's ``kpi_list`` (label, unit, which direction is better),
then the checker's violations (:func:`opsplan.app.gui.kinds.kpi_rows`).

* :class:`KpiPanel` shows the current schedule's KPIs, plus a per-resource
  utilization table with an inline bar.
* :class:`ComparePanel` puts every schedule in a column (rows are KPIs), marks
  the best value of each row, colours each value better or worse than the current
  schedule's, and has a "compare with" selector that emits ``compareRequested``
  (the main window hands it to the Gantt) and counts the tasks that moved or
  changed resource versus the current schedule.

Both read the plan through :class:`PlanDocument` (``kpis()``, ``violations()``,
``adapter.lanes()``) and refresh on ``changed`` and ``currentChanged``; the diff
is computed kind-neutrally from :meth:`Schedule.by_task`. Nothing here names a kind.
"""

from __future__ import annotations

import textwrap
from typing import Any

from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.gantt_paint import window_kind
from opsplan.app.gui.kinds import kpi_rows
from opsplan.app.gui.timeaxis import Clock, format_time
from opsplan.models.kinds import HIGHER, KPI, LOWER
from opsplan.models.schedule import Schedule, schedule_diff
from PySide6.QtCore import QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

BEST_BRUSH = QColor(200, 235, 200)
BAD_COLOR = QColor(200, 40, 40)
BETTER_COLOR = QColor(30, 120, 40)  #: a value better than the current schedule's
WORSE_COLOR = QColor(180, 60, 20)  #: a value worse than the current schedule's


COMPARE_MAX_ROWS = 14  #: the Compare table keeps this many rows in view; more scroll


def _wrapped(name: str, one_line: int = 16) -> str:
    """A column title on up to four lines of about equal length, so that a long plan name
    ("cpsat after OVA down Wed 02 Dec 01:06 for 1 h") does not make its column far wider than
    its values."""
    if len(name) <= one_line:
        return name
    width = max(one_line - 2, max(len(w) for w in name.split()), -(-len(name) // 4) + 2)
    return "\n".join(textwrap.wrap(name, width, break_long_words=False, break_on_hyphens=False))


def rows_for(plan: PlanDocument) -> tuple[KPI, ...]:
    """The KPI rows of ``plan``'s kind: objective, the kind's KPIs, checker violations."""
    return kpi_rows(plan.scenario.kind)


def fmt_kpi(kpi: KPI, value: Any, clock: Clock | None = None) -> str:
    """A KPI value for people: ``"%"`` KPIs as a percentage, ``"time"`` ones as a duration in the
    board's words through the scenario's ``clock`` (``"9 h 25 min"``; a fraction keeps its unit)."""
    if value is None:
        return "–"
    if kpi.unit == "%" and isinstance(value, int | float):
        return f"{float(value):.1%}"
    if not isinstance(value, int | float):
        return str(value)
    whole = abs(value - round(value)) <= 1e-9
    if kpi.unit == "time" and clock is not None:
        # a whole number reads in days, hours and minutes; a mean keeps its unit
        return clock.span(round(value)) if whole else f"{value:,.2f} {clock.unit_word}"
    return f"{round(value):,}" if whole else f"{value:,.2f}"


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def compare_values(kpi: KPI, value: Any, reference: Any) -> str:
    """``"better"``, ``"worse"`` or ``"same"`` for ``value`` against ``reference`` by the KPI's
    better direction; ``""`` when the KPI has none or either value is not a number."""
    if kpi.better not in (LOWER, HIGHER) or not _numeric(value) or not _numeric(reference):
        return ""
    if abs(value - reference) <= 1e-9:
        return "same"
    return "better" if (value < reference) == (kpi.better == LOWER) else "worse"


def kpi_values(plan: PlanDocument, schedule: Schedule) -> dict[str, Any]:
    """The scalar KPIs of ``schedule`` plus ``violations`` (the checker's count)."""
    k = dict(plan.kpis(schedule))
    k["violations"] = len(plan.violations(schedule))
    return k



def made_before(plan: PlanDocument, schedule: Schedule) -> list[str]:
    """Why ``schedule`` breaks the scenario when it is through no fault of its own: the breakdowns
    (calendar windows a disruption added, see :func:`~opsplan.app.gui.gantt_paint.window_kind`)
    that its violations run into and that came after it was made (it is no re-plan from them).
    One text per breakdown: ``'the breakdown of Oven A at Wed 02 Dec 01:06'``."""
    violations = plan.violations(schedule)
    if not violations:
        return []
    sc = plan.scenario
    try:
        lanes = {ln.id: ln for ln in plan.adapter.lanes(sc)}
    except Exception:
        return []
    by_task = schedule.by_task()
    since = schedule.replanned_at
    out: list[str] = []
    for v in violations:
        objs = tuple(getattr(v, "objects", ()))
        for lane in (lanes[o] for o in objs if o in lanes):
            for w in lane.windows:
                if window_kind(w.reason) != "breakdown" or (since is not None and since >= w.start):
                    continue
                if any((a := by_task.get(t)) is not None and a.resource == lane.id and w.overlaps(a.start, a.end)
                       for t in objs):
                    when = format_time(w.start, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
                    text = f"the breakdown of {lane.label or lane.id} at {when}"
                    if text not in out:
                        out.append(text)
    return out


def _follow(panel, plan: PlanDocument) -> None:
    """Point ``panel`` at ``plan``: refresh on its changes (and stop following the previous one)."""
    if panel.plan is plan:
        return
    follow = getattr(panel, "_follow_rename", None)
    if panel.plan is not None:
        for sig in (panel.plan.changed, panel.plan.currentChanged):
            try:
                sig.disconnect(panel.refresh)
            except (RuntimeError, TypeError):
                pass
        if follow is not None:
            try:
                panel.plan.scheduleRenamed.disconnect(follow)
            except (RuntimeError, TypeError):
                pass
    panel.plan = plan
    if follow is not None:
        plan.scheduleRenamed.connect(follow)
    plan.changed.connect(panel.refresh)
    plan.currentChanged.connect(panel.refresh)
    panel.refresh()

class UtilizationBarDelegate(QStyledItemDelegate):
    """Paints a fraction (``Qt.UserRole``) as a small horizontal bar with its percentage."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        value = index.data(Qt.ItemDataRole.UserRole)
        if value is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = QRectF(option.rect).adjusted(4, 4, -4, -4)
        text = f"{float(value):.0%}"
        tw = option.fontMetrics.horizontalAdvance("100%") + 6
        bar = QRectF(r.left(), r.top(), max(0.0, r.width() - tw), r.height())
        painter.setPen(Qt.PenStyle.NoPen)
        track = QColor(option.palette.color(QPalette.ColorRole.Text))
        track.setAlpha(30)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 2, 2)
        frac = max(0.0, min(1.0, float(value)))
        fill = BAD_COLOR if float(value) > 1.0 + 1e-9 else QColor(70, 140, 210)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * frac, bar.height()), 2, 2)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        painter.drawText(QRectF(bar.right() + 4, r.top(), tw - 4, r.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()


class KpiPanel(QWidget):
    """The current schedule's KPIs and a per-resource utilization table."""

    def __init__(self, plan: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: PlanDocument | None = None
        self.title = QLabel()
        bold = QFont(self.title.font())
        bold.setBold(True)
        self.title.setFont(bold)
        self.form = QFormLayout()
        self._labels: dict[str, QLabel] = {}
        self._rows: tuple[KPI, ...] = ()
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Resource", "Utilization"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setItemDelegateForColumn(1, UtilizationBarDelegate(self.table))
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addLayout(self.form)
        lay.addWidget(self.table, 1)
        self._values: dict[str, Any] = {}
        self.set_plan(plan)

    def set_plan(self, plan: PlanDocument) -> None:
        _follow(self, plan)

    # -- reading (tests, status bar) -------------------------------------------------------------
    def value(self, key: str) -> str:
        """The text shown for KPI ``key`` (``makespan``, ``violations``, ...)."""
        lab = self._labels.get(key)
        return lab.text() if lab is not None else ""

    def values(self) -> dict[str, Any]:
        """The raw KPI values shown (empty without a schedule)."""
        return dict(self._values)

    def row_keys(self) -> list[str]:
        """The KPI keys shown, top to bottom."""
        return [k.key for k in self._rows]

    def row_label(self, key: str) -> str:
        """The label of KPI row ``key`` ('' when not shown)."""
        lab = self._labels.get(key)
        if lab is None:
            return ""
        item = self.form.labelForField(lab)
        return item.text() if item is not None else ""

    def _set_rows(self, rows: tuple[KPI, ...]) -> None:
        """Lay the form out for ``rows`` (a plan of another kind has other KPIs)."""
        if rows == self._rows:
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self._labels = {}
        for kpi in rows:
            lab = QLabel("–")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setWordWrap(kpi.key == "violations")  # it may say why (made before a breakdown)
            if kpi.unit:
                lab.setToolTip(f"{kpi.label} ({'in the time unit' if kpi.unit == 'time' else kpi.unit})")
            self._labels[kpi.key] = lab
            self.form.addRow(kpi.label, lab)
        self._rows = rows

    @staticmethod
    def _violations_text(plan: PlanDocument, schedule: Schedule, count: str) -> tuple[str, str]:
        """The violations row: the count, and why when the plan was made before a breakdown it now
        runs into (the baseline after a re-plan); the tooltip names each violation."""
        violations = plan.violations(schedule)
        if not violations:
            return count, ""
        tip = "<br>".join(str(v.message) for v in violations[:8])
        if len(violations) > 8:
            tip += f"<br>… {len(violations) - 8} more"
        why = made_before(plan, schedule)
        if not why:
            return count, tip
        return f"{count} — made before {' and '.join(why)}", tip

    def utilization_rows(self) -> list[tuple[str, float]]:
        out = []
        for r in range(self.table.rowCount()):
            rid = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            out.append((rid, float(self.table.item(r, 1).data(Qt.ItemDataRole.UserRole))))
        return out

    # -- refresh -------------------------------------------------------------------------------------------
    def refresh(self, *_: object) -> None:
        plan = self.plan
        if plan is not None:
            self._set_rows(rows_for(plan))
        schedule = plan.schedule if plan is not None else None
        if schedule is None:
            self.title.setText("No schedule")
            self._values = {}
            for lab in self._labels.values():
                lab.setText("–")
            self.table.setRowCount(0)
            return
        k = kpi_values(plan, schedule)
        self._values = k
        clock = Clock.of(plan.scenario)
        self.title.setText(f"KPIs of “{plan.current_name}”")
        for kpi in self._rows:
            key = kpi.key
            text = fmt_kpi(kpi, k.get(key), clock)
            if key == "objective_value" and k.get("objective"):
                text = f"{text} ({str(k['objective']).replace('_', ' ')})"
            lab = self._labels[key]
            if key == "violations":
                text, tip = self._violations_text(plan, schedule, text)
                lab.setToolTip(tip)
                lab.setStyleSheet(f"color: {BAD_COLOR.name()}; font-weight: bold" if k.get(key) else "")
            lab.setText(text)
        try:  # the kind's per-resource utilization KPI, else from the demand profile
            util = plan.adapter.utilization(plan.scenario, schedule, k)
        except Exception:
            util = {}
        try:
            lanes = [(lane.id, lane.label or lane.id) for lane in plan.adapter.lanes(plan.scenario)]
        except Exception:
            lanes = [(r, r) for r in util]
        self.table.setRowCount(len(lanes))
        for r, (rid, label) in enumerate(lanes):
            name = QTableWidgetItem(label if label == rid else f"{label} ({rid})")
            name.setData(Qt.ItemDataRole.UserRole, rid)
            bar = QTableWidgetItem()
            bar.setData(Qt.ItemDataRole.UserRole, float(util.get(rid, 0.0)))
            bar.setToolTip(f"{rid}: busy {float(util.get(rid, 0.0)):.1%} of the makespan")
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, bar)


class ComparePanel(QWidget):
    """Every schedule side by side; the best value of each KPI row is highlighted.

    Signals
    -------
    compareRequested(object): the schedule name chosen in "compare with", or None for none.
    """

    compareRequested = Signal(object)

    CHANGES_ROW = "changes"

    def __init__(self, plan: PlanDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: PlanDocument | None = None
        self._compare: str | None = None
        self._best: dict[str, list[str]] = {}
        self._delta: dict[tuple[str, str], str] = {}
        self._diff: dict[str, str] = {}
        self._rebuilding = False

        self.compare_combo = QComboBox()
        self.compare_combo.setToolTip("Overlay another schedule on the Gantt and count what differs")
        self.compare_combo.currentIndexChanged.connect(self._on_combo)
        self.diff_label = QLabel()
        self.diff_label.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Compare with"))
        top.addWidget(self.compare_combo, 1)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # every column as wide as its values and its (wrapped) name, every row as tall as its text:
        # nothing is elided; a table wider or taller than the dock scrolls
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.horizontalHeader().sectionDoubleClicked.connect(self._on_header_double_clicked)
        self.table.horizontalHeader().setToolTip("Double-click a schedule to make it current")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.diff_label)
        lay.addWidget(self.table, 1)
        self.set_plan(plan)

    def set_plan(self, plan: PlanDocument) -> None:
        _follow(self, plan)

    # -- reading ---------------------------------------------------------------------------------------------
    def column_names(self) -> list[str]:
        return [self.table.horizontalHeaderItem(c).data(Qt.ItemDataRole.UserRole)
                for c in range(self.table.columnCount())]

    def row_keys(self) -> list[str]:
        return [self.table.verticalHeaderItem(r).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())]

    def best_columns(self, key: str) -> list[str]:
        """Schedules holding the best value of KPI ``key``."""
        return list(self._best.get(key, []))

    def is_highlighted(self, key: str, schedule: str) -> bool:
        """True when the cell of ``key`` and ``schedule`` is drawn as best."""
        rows, cols = self.row_keys(), self.column_names()
        if key not in rows or schedule not in cols:
            return False
        item = self.table.item(rows.index(key), cols.index(schedule))
        return bool(item is not None and item.font().bold())

    def delta(self, key: str, schedule: str) -> str:
        """How ``schedule``'s value of KPI ``key`` compares with the current schedule's, by the KPI's
        better direction: ``"better"``, ``"worse"``, ``"same"``, or ``""`` (the current one, no
        direction, no number). Better values are drawn green, worse ones orange."""
        return self._delta.get((key, schedule), "")

    def cell_text(self, key: str, schedule: str) -> str:
        rows, cols = self.row_keys(), self.column_names()
        item = self.table.item(rows.index(key), cols.index(schedule))
        return item.text() if item is not None else ""

    def compare_name(self) -> str | None:
        return self._compare

    def _follow_rename(self, old: str, new: str) -> None:
        if self._compare == old:  # the compared plan got a new name: keep comparing with it
            self._compare = new

    def diff(self) -> dict[str, str]:
        """Task -> moved / reassigned / added (only in the current plan) / removed (only in the compared one)."""
        return dict(self._diff)

    def diff_count(self) -> int:
        return len(self._diff)

    def _fit_rows(self) -> None:
        """Keep every row in view: the table is at least as tall as its rows (up to
        :data:`COMPARE_MAX_ROWS` of them; more scroll), so the dock cannot squeeze them away."""
        t = self.table
        t.resizeRowsToContents()
        rows = sum(t.rowHeight(r) for r in range(min(t.rowCount(), COMPARE_MAX_ROWS)))
        bar = t.horizontalScrollBar().sizeHint().height()
        t.setMinimumHeight(rows + t.horizontalHeader().sizeHint().height() + 2 * t.frameWidth() + bar)

    def set_compare(self, name: str | None) -> None:
        """Choose the schedule to compare with (None: none); emits ``compareRequested`` when it changes."""
        i = self.compare_combo.findData(name) if name else 0
        if i < 0:
            i = 0
        if self.compare_combo.currentIndex() != i:
            self.compare_combo.setCurrentIndex(i)  # -> _on_combo
        else:
            self._on_combo(i)

    # -- refresh ---------------------------------------------------------------------------------------------
    def _on_header_double_clicked(self, col: int) -> None:
        names = self.column_names()
        if self.plan is not None and 0 <= col < len(names):
            self.plan.set_current(names[col])

    def _on_combo(self, index: int) -> None:
        if self._rebuilding:
            return
        name = self.compare_combo.itemData(index) if index >= 0 else None
        name = name or None
        self._update_diff(name)
        if name != self._compare:
            self._compare = name
            self.compareRequested.emit(name)

    def _update_diff(self, name: str | None) -> None:
        plan = self.plan
        current = plan.schedule if plan is not None else None
        other = plan.doc.schedule(name) if (plan is not None and name) else None
        if current is None or other is None:
            self._diff = {}
            self.diff_label.setText("")
            return
        # the same direction as the Gantt's highlights: from the compared plan to the current one
        fn = getattr(plan.adapter, "diff", None)
        self._diff = dict(fn(other, current)) if callable(fn) else schedule_diff(other, current)
        counts: dict[str, int] = {}
        for what in self._diff.values():
            counts[what] = counts.get(what, 0) + 1
        word = getattr(plan.adapter, "task_word", "task")
        detail = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
        n = len(self._diff)
        # the current plan is the bold column: name only the other one, so the line stays short
        self.diff_label.setText(f"{n} {word}{'s' if n != 1 else ''} differ from “{name}”"
                                + (f" ({detail})" if detail else ""))
        self.diff_label.setToolTip(f"“{name}” vs the current plan “{plan.current_name}”")

    def refresh(self, *_: object) -> None:
        plan = self.plan
        if plan is None:
            return
        schedules = list(plan.schedules)
        current = plan.current_name
        # the compare selector: every schedule but the current one
        self._rebuilding = True
        try:
            self.compare_combo.clear()
            self.compare_combo.addItem("(none)", None)
            for s in schedules:
                if s.name != current:
                    self.compare_combo.addItem(s.name, s.name)
            want = self._compare if self._compare and self._compare != current else None
            i = self.compare_combo.findData(want) if want else 0
            self.compare_combo.setCurrentIndex(max(0, i))
        finally:
            self._rebuilding = False
        effective = self.compare_combo.currentData() or None

        rows = [*rows_for(plan), KPI(self.CHANGES_ROW, "Changed vs current", "count", "")]
        self.table.clear()
        self.table.setRowCount(len(rows))
        self.table.setColumnCount(len(schedules))
        clock = Clock.of(plan.scenario)
        values = {s.name: kpi_values(plan, s) for s in schedules}
        base = plan.schedule
        for s in schedules:
            values[s.name][self.CHANGES_ROW] = len(schedule_diff(base, s)) if base is not None else None
        for c, s in enumerate(schedules):
            head = QTableWidgetItem(_wrapped(("● " if s.name == current else "") + s.name))
            head.setData(Qt.ItemDataRole.UserRole, s.name)
            head.setToolTip(s.name)
            if s.name == current:
                f = head.font()
                f.setBold(True)
                head.setFont(f)
                head.setToolTip(f"{s.name} (the current schedule)")
            self.table.setHorizontalHeaderItem(c, head)
        self._best = {}
        self._delta = {}
        ref = values.get(current, {}) if base is not None else {}
        for r, kpi in enumerate(rows):
            key = kpi.key
            vh = QTableWidgetItem(kpi.label)
            vh.setData(Qt.ItemDataRole.UserRole, key)
            self.table.setVerticalHeaderItem(r, vh)
            numeric = {n: v[key] for n, v in values.items() if _numeric(v.get(key))}
            best_names: list[str] = []
            if kpi.better in (LOWER, HIGHER) and numeric:
                target = min(numeric.values()) if kpi.better == LOWER else max(numeric.values())
                best_names = [n for n, v in numeric.items() if abs(v - target) <= 1e-9]
            self._best[key] = best_names
            for c, s in enumerate(schedules):
                v = values[s.name].get(key)
                item = QTableWidgetItem(fmt_kpi(kpi, v, clock))
                item.setData(Qt.ItemDataRole.UserRole, v)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                tips = []
                # against the current schedule, by the KPI's better direction
                direction = compare_values(kpi, v, ref.get(key)) if s.name != current else ""
                self._delta[(key, s.name)] = direction
                if direction in ("better", "worse"):
                    item.setForeground(QBrush(BETTER_COLOR if direction == "better" else WORSE_COLOR))
                    tips.append(f"{direction} than “{current}” ({fmt_kpi(kpi, ref.get(key), clock)})")
                if s.name in best_names:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                    item.setBackground(QBrush(BEST_BRUSH))
                    if direction != "worse":
                        item.setForeground(QBrush(QColor(20, 90, 20)))
                    tips.insert(0, "best")
                if key == "violations" and v:
                    item.setForeground(QBrush(BAD_COLOR))
                    why = made_before(plan, s)
                    if why:
                        tips.append(f"made before {' and '.join(why)}")
                if tips:
                    item.setToolTip("; ".join(tips))
                self.table.setItem(r, c, item)
        self._fit_rows()
        self._update_diff(effective)
        if effective != self._compare:
            self._compare = effective
            self.compareRequested.emit(effective)


__all__ = ["ComparePanel", "KpiPanel", "UtilizationBarDelegate", "compare_values", "fmt_kpi", "kpi_values",
           "made_before", "rows_for", "schedule_diff"]
