"""Interaction with the Gantt: hit testing, tooltips, the context menu, and dragging bars.

:class:`GanttInteraction` is the part of :class:`~opsplan.app.gui.gantt.GanttView` that
handles the mouse and the keyboard: click selects (a bar and its group's route), the
wheel zooms (Ctrl) or pans, the middle button pans, Esc cancels a drag, and dragging a
work bar moves it in time or to another allowed lane. While a bar is dragged a ghost
shows its candidate place (crossed out on a lane it may not use), the bars the
candidate plan breaks are outlined red, and an overlay, always inside the viewport,
says what the move does to the KPIs and names what it breaks ("clashes with X on
Lane 06:10–06:40"), or why the lane is not allowed (``dragFeedback``); on a plan
bigger than :data:`SYNC_FEEDBACK_LIMIT` assignments the feedback waits for the event
queue to be idle. The drop is one undoable command (:meth:`PlanDocument.move_task`).
The arrow keys nudge the selected bars (:data:`KEYS_HELP`), one command per key.
Bars selected in another view are scrolled into sight. Nothing here names a kind: the
adapter moves, checks and measures.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from opsplan.app.gui.gantt_scene import BAR_H, LANE_PAD, TRACK_H, _bar_y, _LaneData
from opsplan.app.gui.kinds import kpi_rows
from opsplan.app.gui.timeaxis import Clock, choose_step
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QMenu, QToolTip

SNAP_PX = 6  #: a dragged bar snaps to a preceding bar's end this close (px)
SYNC_FEEDBACK_LIMIT = 4000  #: plans up to this many assignments get drag feedback synchronously
NAMED_LIMIT = 3  #: the drag overlay names this many violations, then says how many more
OVERLAY_MARGIN = 4  #: the drag overlay keeps this far from the viewport's edges (px)
#: the keys and mouse of the chart, for its status tip and the tooltip of a selected bar
KEYS_HELP = ("Click a bar to select it, drag it to move it. With bars selected: ←/→ move them one time unit "
             "earlier/later (Shift: one step of the time axis), ↑/↓ move the bar to the previous/next lane "
             "it may use; pinned bars stay. Ctrl+wheel zooms, Ctrl+0 fits.")


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def show_viewport_tooltip(area: Any, event: Any, text: str) -> bool:
    """Answer a ToolTip ``event`` on the viewport of the scroll area ``area`` with ``text``
    (the tooltip hides when it is empty); the Gantt's and the resource view's ``viewportEvent``."""
    if text:
        QToolTip.showText(event.globalPos(), text, area.viewport())
    else:
        QToolTip.hideText()
        event.ignore()
    return True


def _fmt_delta(v: float, clock: Clock | None = None) -> str:
    """A KPI change: ``'+12'``, or ``'+1 h 30 min'`` for a time KPI (given the scenario's ``clock``)."""
    if v == 0:
        return "±0"
    if clock is not None:
        return ("+" if v > 0 else "-") + clock.span(abs(v))
    return f"{v:+d}" if float(v).is_integer() else f"{v:+.3g}"


class _GhostItem(QGraphicsItem):
    """The bar being dragged, at its candidate place."""

    def __init__(self) -> None:
        super().__init__()
        self.rect = QRectF()
        self.color = QColor("#888")
        self.forbidden = False
        self.setZValue(20)

    def set(self, rect: QRectF, color: QColor, forbidden: bool) -> None:
        self.prepareGeometryChange()
        self.rect, self.color, self.forbidden = QRectF(rect), QColor(color), forbidden
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect.adjusted(-4, -4, 4, 4)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = self.rect
        if self.forbidden:
            painter.setPen(QPen(QColor("#c00000"), 2, Qt.PenStyle.DashLine))
            painter.setBrush(QBrush(QColor(224, 0, 0, 60), Qt.BrushStyle.DiagCrossPattern))
            painter.drawRect(r)
            painter.drawLine(r.topLeft(), r.bottomRight())
            painter.drawLine(r.bottomLeft(), r.topRight())
        else:
            c = QColor(self.color)
            c.setAlpha(190)
            painter.setPen(QPen(QColor("#101010"), 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(c)
            painter.drawRect(r)


# --------------------------------------------------------------------------- drag state
@dataclass
class _Press:
    pos: QPointF
    hit: tuple[int, int, int] | None


@dataclass
class _Drag:
    task: str
    a: Any  # the original work Assignment
    grab_dt: float
    allowed: tuple[str, ...]
    start: int
    lane: str
    target: str
    forbidden: bool = False
    duration: int = 0
    error: str = ""
    feedback: dict = field(default_factory=dict)
    ends: dict[str, np.ndarray] = field(default_factory=dict)
    pos: QPointF = field(default_factory=QPointF)



# --------------------------------------------------------------------------- the mixin
class GanttInteraction:
    """Mouse, keyboard, tooltips and dragging (a mixin of :class:`~opsplan.app.gui.gantt.GanttView`)."""

    def assignment_at(self, pos: QPoint | QPointF) -> Any | None:
        """The assignment drawn under viewport position ``pos`` (work preferred over setup), or None."""
        hit = self._hit(self._to_scene(pos))
        if hit is None:
            return None
        li, ti, i = hit
        return self._lanes[li].tracks[ti].items[i]

    def tooltip_at(self, pos: QPoint | QPointF) -> str:
        """The rich-text tooltip for viewport position ``pos`` ('' where there is nothing)."""
        plan = self._plan
        sp = self._to_scene(pos)
        a = self.assignment_at(pos)
        if a is None:
            ld = self._lane_at_y(sp.y())
            if ld is not None:
                t = sp.x() / self._ppu
                for ws, we, reason in ld.windows:
                    if ws <= t < we:
                        clock = Clock.of(plan.scenario)
                        return (f"<b>{ld.lane.label}</b> unavailable {clock.interval(ws, we)} ({clock.span(we - ws)})"
                                + (f": {reason}" if reason else ""))
            return ""
        sc, s = plan.scenario, plan.schedule
        slack = self._slack().get(a.task) if a.category == "work" else None
        text = plan.adapter.tooltip(sc, s, a, slack)
        msgs = [str(v.message) for v in plan.violations() if a.task in getattr(v, "objects", ())]
        if msgs:
            extra = "".join(f"<br><span style='color:#c00000'>{m}</span>" for m in msgs[:3])
            more = f"<br>... {len(msgs) - 3} more" if len(msgs) > 3 else ""
            text += extra + more
        if a.task in plan.selection and a.category == "work":
            text += "<br><span style='color:#666'>←/→ move it in time (Shift: bigger steps), ↑/↓ to another lane</span>"
        return text

    def context_menu_for(self, task: str | None) -> QMenu:
        """The context menu of ``task``'s bar (or of the empty chart when None); the caller execs it."""
        plan = self._plan
        menu = QMenu(self)
        if task is not None:
            pinned = task in plan.pinned()
            act = menu.addAction("Unpin" if pinned else "Pin")
            act.setObjectName("unpin" if pinned else "pin")
            act.triggered.connect(lambda _=False, t=task, p=pinned: plan.set_pinned([t], not p))
            act = menu.addAction(f"Select {plan.adapter.group_word}")
            act.setObjectName("select_group")
            act.triggered.connect(lambda _=False, t=task: plan.select(plan.adapter.related(plan.scenario, t)))
            menu.addSeparator()
        act = menu.addAction("Compact plan")
        act.setObjectName("compact")
        act.setEnabled(plan.schedule is not None)
        act.triggered.connect(lambda _=False: plan.compact())
        act = menu.addAction("Fit to window")
        act.setObjectName("fit")
        act.triggered.connect(lambda _=False: self.fit_to_window())
        return menu

    def is_dragging(self) -> bool:
        return self._drag is not None

    def drag_feedback(self) -> dict:
        """The latest feedback of the running drag ({} when none)."""
        return dict(self._drag.feedback) if self._drag else {}

    def cancel_drag(self) -> None:
        """Abandon the running drag; the plan is unchanged."""
        if self._drag is not None:
            self._end_drag()
        self._press = None

    # ------------------------------------------------------------------ hit testing
    def _lane_at_y(self, y: float) -> _LaneData | None:
        if not self._lanes or y < 0 or y >= self._total_h:
            return None
        return self._lanes[bisect.bisect_right(self._lane_ys, y) - 1]

    def _hit(self, sp: QPointF) -> tuple[int, int, int] | None:
        ld = self._lane_at_y(sp.y())
        if ld is None:
            return None
        local = sp.y() - ld.y - LANE_PAD
        ti = int(local // TRACK_H)
        if not 0 <= ti < len(ld.tracks):
            return None
        inner = local - ti * TRACK_H - (TRACK_H - BAR_H) / 2
        if not -2 <= inner <= BAR_H + 2:
            return None
        tr = ld.tracks[ti]
        if not len(tr.starts):
            return None
        t = sp.x() / self._ppu
        tol = 2.5 / self._ppu
        k = int(np.searchsorted(tr.starts, t + tol, "right"))
        best, best_d = None, None
        for i in range(max(0, k - 3), min(len(tr.starts), k + 1)):
            s, e = tr.starts[i], max(tr.ends[i], tr.starts[i] + 1 / self._ppu)
            d = 0.0 if s <= t < e else min(abs(t - s), abs(t - e))
            if d > tol:
                continue
            d += 0.5 * tol if tr.setup[i] else 0.0  # prefer work bars over setup bars
            if best_d is None or d < best_d:
                best, best_d = i, d
        return None if best is None else (ld.index, ti, best)

    def _hit_at(self, pos: QPointF) -> tuple[int, int, int] | None:
        return self._hit(self._to_scene(pos))

    # ------------------------------------------------------------------ events
    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            return show_viewport_tooltip(self, event, self.tooltip_at(event.pos()) if self._drag is None else "")
        return super().viewportEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        delta = event.angleDelta()
        dy = delta.y() or delta.x()
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ControlModifier:
            if dy:
                self.zoom_by(1.2 ** (dy / 120.0), event.position().x())
            event.accept()
            return
        vbar = self.verticalScrollBar()
        if (mods & Qt.KeyboardModifier.ShiftModifier or vbar.maximum() <= vbar.minimum()
                or (delta.x() and not delta.y())):
            self.pan_by(-dy)
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self._press = _Press(QPointF(event.position()), self._hit_at(event.position()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        if self._pan_from is not None:
            d = pos - self._pan_from
            self._pan_from = QPointF(pos)
            self.pan_by(-d.x())
            vbar = self.verticalScrollBar()
            vbar.setValue(vbar.value() - round(d.y()))
            event.accept()
            return
        if self._drag is None and self._press is not None and self._press.hit is not None:
            if (pos - self._press.pos).manhattanLength() >= QApplication.startDragDistance():
                self._begin_drag(self._press)
        if self._drag is not None:
            self._drag_to(pos)
            event.accept()
            return
        if self._press is None:
            hit = self._hit_at(pos)
            draggable = hit is not None and not self._lanes[hit[0]].tracks[hit[1]].setup[hit[2]]
            if draggable:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton and self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            press, self._press = self._press, None
            if self._drag is not None:
                self._drop(event.position())
            elif press is not None:
                if press.hit is None:
                    self._plan.select([])
                else:
                    li, ti, i = press.hit
                    self._plan.select([self._lanes[li].tracks[ti].items[i].task])
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def event(self, event) -> bool:
        # Esc during a drag belongs to the drag, not to a window shortcut (Cancel solve):
        # claiming the override makes Qt deliver it to keyPressEvent below
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_Escape
                and (self._drag is not None or self._press is not None)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape and (self._drag is not None or self._press is not None):
            self.cancel_drag()
            event.accept()
            return
        if self._nudge_key(event):
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.ZoomIn) or (
                event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() == Qt.Key.Key_Equal):
            self.zoom_by(1.25)
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_by(0.8)
            event.accept()
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.key() == Qt.Key.Key_0:
            self.fit_to_window()
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        if self._drag is not None:
            event.accept()
            return
        a = self.assignment_at(event.pos())
        menu = self.context_menu_for(a.task if a is not None else None)
        menu.exec(event.globalPos())
        menu.deleteLater()
        event.accept()

    # ------------------------------------------------------------------ keyboard nudging
    def _nudge_key(self, event) -> bool:
        """Arrow keys move the selected bars (see :data:`KEYS_HELP`); False leaves the key to the view
        (scrolling) when no bar is selected."""
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if self._drag is not None or mods & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            return False
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = self.nudge_step(big=shift)
            return self.nudge(-step if key == Qt.Key.Key_Left else step)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not shift:
            return self.nudge_lane(-1 if key == Qt.Key.Key_Up else 1)
        return False

    def nudge_step(self, big: bool = False) -> int:
        """Time units one arrow key moves a bar: 1, or with Shift one major step of the time axis shown."""
        if not big:
            return 1
        sc = self._plan.scenario
        return max(1, round(choose_step(self._ppu, self._t_max, getattr(sc, "time_unit", "min"),
                                        getattr(sc, "epoch", None))))

    def _movable_selection(self) -> tuple[list[str], list[str]]:
        """(selected tasks drawn as bars, those of them that are not pinned), in the current plan."""
        plan = self._plan
        s = plan.schedule
        if s is None or self._preview is not None:  # a preview is not the document: nothing to move
            return [], []
        by_task = s.by_task()
        tasks = [t for t in plan.selection if t in by_task]
        return tasks, [t for t in tasks if t not in s.pinned]

    def nudge(self, dt: int) -> bool:
        """Move the selected bars ``dt`` time units (never before 0) as one undoable command; pinned bars
        stay. False when no bar is selected."""
        tasks, movable = self._movable_selection()
        if not tasks:
            return False
        if not movable:
            self._note(tasks[0], "pinned bars do not move")
            return True
        plan = self._plan
        by_task = plan.schedule.by_task()
        moves = [(t, max(0, by_task[t].start + dt)) for t in movable]
        moves = [(t, start) for t, start in moves if start != by_task[t].start]
        if len(moves) == 1:
            self._try(moves[0][0], lambda: plan.move_task(*moves[0]))
        elif moves:
            def move_all() -> None:
                s = plan.schedule
                for t, start in moves:
                    s = plan.adapter.move(plan.scenario, s, t, start, None)
                plan.replace_schedule(s, f"Nudge {len(moves)} {plan.adapter.task_word}s {dt:+d}")

            self._try(moves[0][0], move_all)
        return True

    def nudge_lane(self, direction: int) -> bool:
        """Move the one selected bar to the previous (``direction`` < 0) or next lane it may use, at the
        same start, as one undoable command. False unless exactly one bar is selected."""
        tasks, movable = self._movable_selection()
        if len(tasks) != 1:
            return False
        task = tasks[0]
        if not movable:
            self._note(task, "pinned bars do not move")
            return True
        plan = self._plan
        a = plan.schedule.by_task()[task]
        try:
            allowed = set(plan.adapter.allowed_lanes(plan.scenario, task))
        except Exception:
            allowed = {a.resource}
        order = [ld.lane.id for ld in self._lanes]
        i = order.index(a.resource) if a.resource in order else -1
        seq = order[i + 1:] if direction > 0 else order[:max(i, 0)][::-1]
        target = next((ln for ln in seq if ln in allowed), None)
        if target is None:
            self._note(task, f"no lane {'below' if direction > 0 else 'above'} that {task} may use")
            return True
        self._try(task, lambda: plan.move_task(task, a.start, target))
        return True

    def _try(self, task: str, move) -> None:
        try:
            move()
        except Exception as exc:  # the adapter refuses the move: say why, the plan is unchanged
            self._note(task, str(exc))

    def _note(self, task: str, text: str) -> None:
        """Say ``text`` beside ``task``'s bar (a refused nudge); kept in ``last_note`` for the caller."""
        self.last_note = text
        r = self.bar_rect(task)
        at = r.center().toPoint() if not r.isEmpty() else QPoint(10, 10)
        QToolTip.showText(self.viewport().mapToGlobal(at), text, self.viewport())

    def _follow_selection(self, tasks: list) -> None:
        """Bars selected elsewhere (an editor row, an issue) are scrolled into view when none shows."""
        rects = [r for r in (self.bar_rect(t) for t in tasks[:200]) if not r.isEmpty()]
        vp = QRectF(self.viewport().rect())
        if not rects or any(vp.intersects(r) for r in rects):
            return
        r = rects[0]
        if r.right() < 0 or r.left() > vp.width():
            self.pan_by(r.center().x() - vp.width() / 2)
        if r.bottom() < 0 or r.top() > vp.height():
            bar = self.verticalScrollBar()
            bar.setValue(bar.value() + round(r.center().y() - vp.height() / 2))

    # ------------------------------------------------------------------ dragging
    def _begin_drag(self, press: _Press) -> None:
        if self._preview is not None:  # a preview is not the document: nothing to move
            self._press = None
            return
        li, ti, i = press.hit
        a = self._lanes[li].tracks[ti].items[i]
        if a.category != "work":
            self._press = None
            return
        plan = self._plan
        try:
            allowed = tuple(plan.adapter.allowed_lanes(plan.scenario, a.task))
        except Exception:
            allowed = (a.resource,)
        grab_dt = self._to_scene(press.pos).x() / self._ppu - a.start
        self._drag = _Drag(a.task, a, grab_dt, allowed, a.start, a.resource, a.resource, duration=a.end - a.start)
        self._set_deco("drag_violations", ())
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        QToolTip.hideText()
        self._update_ghost()
        self._ghost.show()
        self._drag.start = -1  # force the first feedback
        self.viewport().update()

    def _lane_ends(self, lane: str) -> np.ndarray:
        d = self._drag
        ends = d.ends.get(lane)
        if ends is None:
            ld = self._lane_by_id.get(lane)
            vals = [max(a.end, a.start) for tr in (ld.tracks if ld else []) for a in tr.items if a.task != d.task]
            ends = d.ends[lane] = np.array(sorted(vals), dtype=np.float64)
        return ends

    def _drag_to(self, pos: QPointF) -> None:
        d = self._drag
        d.pos = QPointF(pos)
        sp = self._to_scene(pos)
        y = min(max(sp.y(), 0.0), max(0.0, self._total_h - 1))
        ld = self._lane_at_y(y)
        target = ld.lane.id if ld is not None else d.a.resource
        forbidden = target not in d.allowed
        lane = d.a.resource if forbidden else target
        t = sp.x() / self._ppu - d.grab_dt
        start = max(0, round(t))
        ends = self._lane_ends(lane)
        if len(ends):
            k = int(np.searchsorted(ends, t))
            near = [ends[j] for j in (k - 1, k) if 0 <= j < len(ends)]
            e = min(near, key=lambda v: abs(v - t))
            if abs(e - t) * self._ppu <= SNAP_PX:
                start = max(0, int(e))
        changed = (start, lane, target, forbidden) != (d.start, d.lane, d.target, d.forbidden)
        d.start, d.lane, d.target, d.forbidden = start, lane, target, forbidden
        self.viewport().setCursor(Qt.CursorShape.ForbiddenCursor if forbidden else Qt.CursorShape.ClosedHandCursor)
        self._place_overlay()
        if not changed:
            return
        self._update_ghost()
        if len(self._plan.schedule or ()) <= SYNC_FEEDBACK_LIMIT:
            self._compute_feedback()
        else:  # big plans: coalesce mouse moves, check the latest position once the event queue is idle
            self._feedback_timer.start()

    def _update_ghost(self) -> None:
        d = self._drag
        ld = self._lane_by_id.get(d.lane)
        if ld is None:
            return
        g = self._where.get(d.task)
        color = self._colors[int(self._lanes[g[0]].tracks[g[1]].gi[g[2]])] if g and self._colors else QColor("#888")
        rect = QRectF(d.start * self._ppu, ld.y + _bar_y(0), max(2.0, d.duration * self._ppu), BAR_H)
        self._ghost.set(rect, color, d.forbidden)

    def _compute_feedback(self) -> None:
        d = self._drag
        if d is None:
            return
        plan = self._plan
        sc, s, ad = plan.scenario, plan.schedule, plan.adapter
        clock = Clock.of(sc)
        viols: list = []
        delta: dict[str, float] = {}
        named: list[str] = []
        d.error = ""
        if d.forbidden:  # a drop here changes nothing: say why, and no KPI change it would not make
            parts = [self._forbidden_reason(d)]
        else:
            try:
                cand = ad.move(sc, s, d.task, d.start, d.lane)
                moved = cand.by_task().get(d.task)
                if moved is not None:
                    d.duration = moved.end - moved.start
                viols = list(ad.check(sc, cand))
                named = self._name_violations(viols, d.task, cand, clock)
                base = plan.kpis()
                try:
                    new = ad.kpis(sc, cand)
                except Exception:
                    new = {}
                delta = {k: new[k] - base[k] for k in new if k in base and _num(new[k]) and _num(base[k])}
            except Exception as exc:  # e.g. the adapter refuses the lane
                d.error = str(exc)
            parts = [clock.time(d.start)]  # where the bar lands, as the time axis reads
            if d.error:
                parts.append(d.error)
            # the kind's first KPI that changed (a job shop's makespan), then the objective when it is another
            lead = next((k for k in kpi_rows(sc.kind)[1:-1] if k.key in delta), None)
            if lead is not None:
                parts.append(f"{lead.label.lower()} "
                             f"{_fmt_delta(delta[lead.key], clock if lead.unit == 'time' else None)}")
            objective = str(plan.kpis().get("objective", ""))
            if objective and (lead is None or objective != lead.key) and "objective_value" in delta:
                parts.append(f"{objective.replace('_', ' ')} {_fmt_delta(delta['objective_value'])}")
            parts.append(f"{len(viols)} violation{'s' if len(viols) != 1 else ''}")
        tasks = {o for v in viols for o in getattr(v, "objects", ()) if o in self._where}
        self._set_deco("drag_violations", tasks)
        lines = [", ".join(parts)] + [f"• {n}" for n in named[:NAMED_LIMIT]]
        if len(named) > NAMED_LIMIT:
            lines.append(f"• … and {len(named) - NAMED_LIMIT} more")
        d.feedback = {
            "task": d.task,
            "start": d.start,
            "lane": d.lane,
            "target": d.target,
            "forbidden": d.forbidden,
            "violations": len(viols),
            "violated_tasks": sorted(tasks),
            "named_violations": named,
            "kpi_delta": delta,
            "text": "\n".join(lines),
        }
        self._update_ghost()
        self._overlay.setText(d.feedback["text"])
        self._fit_overlay()
        self._overlay.show()
        self._place_overlay()
        self.viewport().update()
        self.dragFeedback.emit(dict(d.feedback))

    def _lane_label(self, lane: str) -> str:
        ld = self._lane_by_id.get(lane)
        return ld.lane.label if ld is not None else lane

    def _forbidden_reason(self, d: _Drag) -> str:
        """Why the bar may not go to the lane under the mouse: the lanes it may use."""
        allowed = ", ".join(self._lane_label(ln) for ln in d.allowed) or "none"
        return f"not allowed on {self._lane_label(d.target)}: {d.task} may only use {allowed}"

    def _name_violations(self, viols: list, task: str, cand: Any, clock: Clock) -> list[str]:
        """The candidate's violations about ``task`` in words, each once: the bar it clashes with, on
        which lane and when ('clashes with ORD-2603.mix on Mixer 1 Tue 02 Dec 06:10–06:40'), else the
        checker's own message."""
        by_task = cand.by_task()
        me = by_task.get(task)
        out: list[str] = []
        for v in viols:
            objects = tuple(getattr(v, "objects", ()) or ())
            if task not in objects:
                continue
            other = next((by_task[o] for o in objects if o != task and o in by_task), None)
            if other is None:
                text = str(getattr(v, "message", v))
            else:
                overlap = (me is not None and other.resource == me.resource
                           and other.start < me.end and me.start < other.end)
                text = (f"{'clashes' if overlap else 'conflicts'} with {other.task} on "
                        f"{self._lane_label(other.resource)} {clock.interval(other.start, other.end)}")
            if text not in out:
                out.append(text)
        return out

    def _fit_overlay(self) -> None:
        """Size the overlay to its text, wrapped when it would be wider than the viewport."""
        ov = self._overlay
        limit = max(60, self.viewport().width() - 2 * OVERLAY_MARGIN)
        ov.setWordWrap(False)
        ov.adjustSize()
        if ov.width() > limit:
            ov.setWordWrap(True)
            ov.resize(limit, ov.heightForWidth(limit))

    def _place_overlay(self) -> None:
        """Beside the mouse, flipped to its other side at the right and bottom edges, and always
        wholly inside the viewport."""
        d = self._drag
        if d is None:
            return
        vp, ov, m = self.viewport(), self._overlay, OVERLAY_MARGIN
        w, h = ov.width(), ov.height()
        x = d.pos.x() + 16
        if x + w > vp.width() - m:
            x = d.pos.x() - 16 - w
        y = d.pos.y() + 18
        if y + h > vp.height() - m:
            y = d.pos.y() - 18 - h
        x = max(m, min(x, vp.width() - m - w))
        y = max(m, min(y, vp.height() - m - h))
        ov.move(int(x), int(y))

    def _drop(self, pos: QPointF) -> None:
        self._drag_to(pos)
        if self._feedback_timer.isActive():
            self._feedback_timer.stop()
        d = self._drag
        self._end_drag()
        if d.forbidden or d.start < 0:
            return
        if d.start == d.a.start and d.lane == d.a.resource:
            return
        self._plan.move_task(d.task, d.start, d.lane)

    def _end_drag(self) -> None:
        self._feedback_timer.stop()
        self._drag = None
        self._ghost.hide()
        self._overlay.hide()
        self._set_deco("drag_violations", ())
        self.viewport().unsetCursor()
        self.viewport().update()
        self.dragFeedback.emit({})


__all__ = ["SNAP_PX", "SYNC_FEEDBACK_LIMIT", "GanttInteraction"]
