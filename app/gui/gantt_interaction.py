"""Interaction with the Gantt: hit testing, tooltips, the context menu, and dragging bars.

:class:`GanttInteraction` is the part of :class:`~opsplan.app.gui.gantt.GanttView` that
handles the mouse and the keyboard: click selects (a bar and its group's route), the
wheel zooms (Ctrl) or pans, the middle button pans, Esc cancels a drag, and dragging a
work bar moves it in time or to another allowed lane. While a bar is dragged a ghost
shows its candidate place (crossed out on a lane it may not use), the bars the
candidate plan breaks are outlined red, and an overlay says what the move does to the
KPIs (``dragFeedback``); on a plan bigger than :data:`SYNC_FEEDBACK_LIMIT` assignments
the feedback waits for the event queue to be idle. The drop is one undoable command
(:meth:`PlanDocument.move_task`). Nothing here names a kind: the adapter moves, checks
and measures.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from opsplan.app.gui.gantt_scene import BAR_H, LANE_PAD, TRACK_H, _bar_y, _LaneData
from opsplan.app.gui.kinds import kpi_rows
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QApplication, QGraphicsItem, QMenu, QToolTip

SNAP_PX = 6  #: a dragged bar snaps to a preceding bar's end this close (px)
SYNC_FEEDBACK_LIMIT = 4000  #: plans up to this many assignments get drag feedback synchronously


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


def _fmt_delta(v: float) -> str:
    if v == 0:
        return "±0"
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
                        return f"<b>{ld.lane.label}</b> unavailable {ws}-{we}" + (f": {reason}" if reason else "")
            return ""
        sc, s = plan.scenario, plan.schedule
        slack = self._slack().get(a.task) if a.category == "work" else None
        text = plan.adapter.tooltip(sc, s, a, slack)
        msgs = [str(v.message) for v in plan.violations() if a.task in getattr(v, "objects", ())]
        if msgs:
            extra = "".join(f"<br><span style='color:#c00000'>{m}</span>" for m in msgs[:3])
            more = f"<br>... {len(msgs) - 3} more" if len(msgs) > 3 else ""
            text += extra + more
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
        viols: list = []
        delta: dict[str, float] = {}
        d.error = ""
        try:
            cand = ad.move(sc, s, d.task, d.start, d.lane)
            moved = cand.by_task().get(d.task)
            if moved is not None:
                d.duration = moved.end - moved.start
            viols = list(ad.check(sc, cand))
            base = plan.kpis()
            try:
                new = ad.kpis(sc, cand)
            except Exception:
                new = {}
            delta = {k: new[k] - base[k] for k in new if k in base and _num(new[k]) and _num(base[k])}
        except Exception as exc:  # e.g. the adapter refuses the lane
            d.error = str(exc)
        tasks = {o for v in viols for o in getattr(v, "objects", ()) if o in self._where}
        self._set_deco("drag_violations", tasks)
        parts = []
        if d.forbidden:
            where = self._lane_by_id.get(d.target)
            parts.append(f"not allowed on {where.lane.label if where is not None else d.target}")
        if d.error:
            parts.append(d.error)
        # the kind's first KPI that changed (a job shop's makespan), then the objective when it is another
        lead = next((k for k in kpi_rows(sc.kind)[1:-1] if k.key in delta), None)
        if lead is not None:
            parts.append(f"{lead.label.lower()} {_fmt_delta(delta[lead.key])}")
        objective = str(plan.kpis().get("objective", ""))
        if objective and (lead is None or objective != lead.key) and "objective_value" in delta:
            parts.append(f"{objective.replace('_', ' ')} {_fmt_delta(delta['objective_value'])}")
        parts.append(f"{len(viols)} violation{'s' if len(viols) != 1 else ''}")
        d.feedback = {
            "task": d.task,
            "start": d.start,
            "lane": d.lane,
            "target": d.target,
            "forbidden": d.forbidden,
            "violations": len(viols),
            "violated_tasks": sorted(tasks),
            "kpi_delta": delta,
            "text": ", ".join(parts),
        }
        self._update_ghost()
        self._overlay.setText(d.feedback["text"])
        self._overlay.adjustSize()
        self._overlay.show()
        self._place_overlay()
        self.viewport().update()
        self.dragFeedback.emit(dict(d.feedback))

    def _place_overlay(self) -> None:
        d = self._drag
        if d is None:
            return
        vp = self.viewport()
        x = int(min(max(0.0, d.pos.x() + 16), vp.width() - self._overlay.width() - 2))
        y = int(d.pos.y() + 18)
        if y + self._overlay.height() > vp.height():
            y = int(d.pos.y() - 18 - self._overlay.height())
        self._overlay.move(x, max(0, y))

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
