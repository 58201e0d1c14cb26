"""Demand on every resource over time against its capacity, aligned with the Gantt.

:class:`ResourceView` draws one row per adapter lane: the demand profile
(``adapter.profile``: the sum of the running assignments' amounts) as a filled step
chart, the capacity as a dashed line, demand above capacity in red and the lane's
calendar windows shaded. A lane with a plain capacity (1 unary, n cumulative) plots
the demand itself; a lane with a vector capacity (cpu, memory...) plots the share of
its capacity the demand fills, the largest over the dimensions
(:func:`~opsplan.models.core.load_share`), with the capacity line at 100 %, and marks
an overload in any dimension. It shows the time range it is given
(:meth:`ResourceView.set_time_range`), usually the Gantt's (:meth:`ResourceView.follow`).

Painting is per pixel column with numpy: the highest load in each column's
time slice comes from a sparse table (range maximum in O(1)), so a lane with
thousands of load steps costs the same as one with ten.
"""

from __future__ import annotations

import bisect
import math
from pathlib import Path
from typing import Any

import numpy as np
from opsplan.app.gui import timeaxis
from opsplan.app.gui.adapters import Lane, exceeds, format_amount
from opsplan.app.gui.gantt_interaction import show_viewport_tooltip
from opsplan.app.gui.gantt_paint import CUT_PEN, window_brushes, window_kind
from opsplan.app.gui.picture import write_picture
from opsplan.models.core import Capacity, Vector, load_share
from PySide6.QtCore import QEvent, QLineF, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

ROW_H = 64  #: the tallest a row gets (and its height in exported pictures)
MIN_ROW_H = 36  #: rows shrink to this before the view scrolls
HEADER_H = 24
PLOT_TOP = 8  #: free pixels above the plot in a row
PLOT_BOTTOM = 6
LOAD_COLOR = QColor("#5b8fd0")
OVERLOAD_COLOR = QColor("#e53935")
WINDOW_FILL = QColor(90, 90, 90, 40)
WINDOW_HATCH = QColor(90, 90, 90, 120)
EXPORT_MAX_PX = {".png": 16000, ".svg": 16000, ".pdf": 14000}
STRIPE = QColor(246, 246, 246)
SELECTED_FILL = QColor(255, 196, 0, 60)  #: the selected tasks' lanes and spans
SELECTED_EDGE = QColor(230, 150, 0)
SELECTION_LIMIT = 2000  #: the selected tasks marked at most (a lane's thousands of bars stay cheap)
#: opaque colours of the 8-bit load image (opaque so that drawing it is a plain copy): empty even row,
#: load, overload, empty odd row
_COLOR_TABLE = [QColor("white").rgba(), LOAD_COLOR.rgba(), OVERLOAD_COLOR.rgba(), STRIPE.rgba()]
#: the level drawn for a vector demand over capacity in a dimension the lane has none of (its share is
#: not a number): just above full, so that it is drawn red
_OVER_LEVEL = 1.0 + 1e-6


def _range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``max(values[lo[i]:hi[i]])`` for every i with ``hi > lo`` (0 elsewhere), via a sparse table."""
    out = np.zeros(len(lo), dtype=values.dtype)
    ok = hi > lo
    if not len(values) or not ok.any():
        return out
    table = [values]
    k = 1
    while 2 * k <= len(values):
        prev = table[-1]
        table.append(np.maximum(prev[:-k], prev[k:]))
        k *= 2
    lo_ok, hi_ok = lo[ok], hi[ok]
    level = np.floor(np.log2(hi_ok - lo_ok)).astype(np.int64)
    res = np.zeros(len(lo_ok), dtype=values.dtype)
    for lv in np.unique(level).tolist():
        m = level == lv
        tab = table[lv]
        res[m] = np.maximum(tab[lo_ok[m]], tab[hi_ok[m] - (1 << lv)])
    out[ok] = res
    return out


class _Profile:
    """Demand steps of one lane as arrays (sorted, non-overlapping), measured against its capacity.

    ``loads`` are the levels drawn: the demand itself on a lane with a plain capacity
    (``cap_level`` is the capacity), the share of the capacity it fills on a lane with a
    vector capacity (``cap_level`` is 1.0). ``over`` marks the steps whose demand exceeds
    the capacity (in any dimension).
    """

    __slots__ = ("steps", "starts", "ends", "loads", "peak", "cap_level", "over", "vector")

    def __init__(self, steps: list[tuple[int, int, Capacity]], capacity: Capacity = 1, share=load_share) -> None:
        self.steps = steps
        self.starts = np.array([s for s, _, _ in steps], dtype=np.float64)
        self.ends = np.array([e for _, e, _ in steps], dtype=np.float64)
        self.vector = isinstance(capacity, Vector) or any(isinstance(v, Vector) for _, _, v in steps)
        if self.vector:
            self.over = np.array([bool(exceeds(v, capacity)) for _, _, v in steps], dtype=bool)
            levels = [share(v, capacity) for _, _, v in steps]
            levels = [max(x, _OVER_LEVEL) if o else x for x, o in zip(levels, self.over.tolist())]
            self.loads = np.array(levels, dtype=np.float64)
            self.cap_level: float = 1.0
        else:  # plain counts: compared with the capacity in one numpy step
            self.loads = np.array([v for _, _, v in steps], dtype=np.int64)
            self.cap_level = int(capacity)
            self.over = self.loads > self.cap_level
        self.peak = self.loads.max().item() if len(self.loads) else 0

    def column_max(self, t_edges: np.ndarray) -> np.ndarray:
        """Highest load in each slice ``[t_edges[c], t_edges[c + 1])`` (0 where nothing runs)."""
        lo = np.searchsorted(self.ends, t_edges[:-1], "right")
        hi = np.searchsorted(self.starts, t_edges[1:], "left")
        return _range_max(self.loads, lo, hi)


class ResourceView(QAbstractScrollArea):
    """Per-lane load against capacity over a shared time range (rows scroll vertically)."""

    def __init__(self, plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan = plan
        self._t0, self._t1 = 0.0, 1.0
        self._user_range = False
        self._ppu_fixed: float | None = None
        self._label_w = 150
        self._lanes: list[Any] = []
        self._profiles: dict[str, _Profile] = {}
        self._built: tuple | None = None
        self._gantt = None
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._row_h = ROW_H
        self.verticalScrollBar().setSingleStep(MIN_ROW_H // 2)
        self.viewport().setMouseTracking(True)
        self._selected: dict[str, list[tuple[int, int]]] = {}  # lane -> spans of the selected tasks on it
        plan.changed.connect(self._rebuild)
        plan.currentChanged.connect(self._rebuild)
        plan.selectionChanged.connect(self._on_selection)
        self._rebuild()

    # ------------------------------------------------------------------ public API
    def set_time_range(self, t0: float, t1: float) -> None:
        """Show times ``[t0, t1]`` (scenario units) across the plot width."""
        if not (t1 > t0) or not math.isfinite(t0) or not math.isfinite(t1):
            return
        self._user_range = True
        self._ppu_fixed = None
        if (t0, t1) != (self._t0, self._t1):
            self._t0, self._t1 = float(t0), float(t1)
            self.viewport().update()

    def time_range(self) -> tuple[float, float]:
        """The time range across the plot (when following a Gantt: its left edge at the Gantt's scale)."""
        if self._ppu_fixed:
            plot_w = max(1, self.viewport().width() - self._label_w)
            return self._t0, self._t0 + plot_w / self._ppu_fixed
        return self._t0, self._t1

    def _on_gantt_range(self, t0: float, t1: float) -> None:
        # same left edge and the same pixels per unit as the Gantt, so that times line up vertically
        g = self._gantt
        self.set_time_range(t0, t1)
        if g is not None and g.pixels_per_unit() > 0:
            self._ppu_fixed = g.pixels_per_unit()

    def follow(self, gantt) -> None:
        """Track ``gantt``'s visible time range (and align the plot with its lane-label column)."""
        if self._gantt is not None:
            try:
                self._gantt.timeRangeChanged.disconnect(self._on_gantt_range)
            except (RuntimeError, TypeError):
                pass
        self._gantt = gantt
        gantt.timeRangeChanged.connect(self._on_gantt_range)
        self._label_w = gantt.label_width()
        self._on_gantt_range(*gantt.visible_time_range())
        self.viewport().update()

    def label_width(self) -> int:
        return self._label_w

    def lane_ids(self) -> list[str]:
        return [ln.id for ln in self._lanes]

    def profile(self, lane: str) -> list[tuple[int, int, Capacity]]:
        """``(start, end, demand)`` steps of ``lane`` in the current schedule: the summed amounts
        of the assignments running then (an int, or a Vector on a multi-dimensional lane)."""
        return list(self._profile(lane).steps)

    def overloads(self, lane: str) -> list[tuple[int, int, Capacity]]:
        """The steps of ``lane`` whose demand exceeds its capacity, in any dimension (drawn red)."""
        prof = self._profile(lane)
        return [st for st, over in zip(prof.steps, prof.over.tolist()) if over]

    def capacity(self, lane: str) -> Capacity:
        """The capacity of ``lane`` (the dashed line)."""
        return self._capacity(lane)

    def levels(self, lane: str) -> list[tuple[int, int, float]]:
        """``(start, end, level)`` as drawn: the demand on a plain lane, the share of the capacity
        (the largest over dimensions) on a lane with a vector capacity."""
        prof = self._profile(lane)
        return [(s, e, x) for (s, e, _), x in zip(prof.steps, prof.loads.tolist())]

    def peak(self, lane: str) -> float:
        """The highest level of ``lane`` (see :meth:`levels`); 0 when nothing runs."""
        return self._profile(lane).peak

    def demand_at(self, lane: str, t: float) -> Capacity:
        """The demand on ``lane`` at time ``t`` (0 when nothing runs)."""
        for s, e, v in self._profile(lane).steps:
            if s <= t < e:
                return v
        return 0

    def tooltip_at(self, pos: QPointF) -> str:
        """What the tooltip at viewport position ``pos`` says: the lane's demand against its capacity."""
        k = (int(pos.y()) - HEADER_H + self.verticalScrollBar().value()) // self._row_h
        if pos.y() < HEADER_H or not 0 <= k < len(self._lanes) or pos.x() < self._label_w:
            return ""
        ln = self._lanes[k]
        t0, t1 = self.time_range()
        plot_w = max(1, self.viewport().width() - self._label_w)
        t = t0 + (pos.x() - self._label_w) * (t1 - t0) / plot_w
        demand, cap = self.demand_at(ln.id, t), self._capacity(ln.id)
        share = load_share(demand, cap)
        over = exceeds(demand, cap)
        at = timeaxis.Clock.of(self._plan.scenario).time(round(t))
        text = f"<b>{ln.label}</b> at {at}: demand {format_amount(demand)} of {format_amount(cap)} ({share:.0%})"
        if over:
            text += "<br><span style='color:#c00000'>overload" + (f" in {', '.join(over)}" if over != [""] else "")
            text += "</span>"
        return text

    def windows(self, lane: str) -> list[tuple[int, int]]:
        """Calendar windows of ``lane`` (drawn shaded)."""
        for ln in self._lanes:
            if ln.id == lane:
                return [(int(w.start), int(w.end)) for w in ln.windows]
        raise KeyError(lane)

    def row_rect(self, lane: str) -> QRect:
        """Viewport rectangle of ``lane``'s row (header excluded)."""
        k = self.lane_ids().index(lane)
        top = HEADER_H + k * self._row_h - self.verticalScrollBar().value()
        return QRect(0, top, self.viewport().width(), self._row_h)

    def x_of_time(self, t: float) -> float:
        """Viewport x of time ``t``."""
        t0, t1 = self.time_range()
        plot_w = max(1, self.viewport().width() - self._label_w)
        return self._label_w + (t - t0) * plot_w / (t1 - t0)

    def export_image(self, path: str | Path) -> Path:
        """Write every row over the whole plan as .png, .svg or .pdf (by extension)."""
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in EXPORT_MAX_PX:
            raise ValueError(f"cannot export {path.name}: use .png, .svg or .pdf")
        t_max = self._t_max()
        t0, t1 = self.time_range()
        cur_ppu = max(1e-9, (self.viewport().width() - self._label_w)) / (t1 - t0)
        plot_w = int(min(EXPORT_MAX_PX[ext] - self._label_w, max(600, t_max * cur_ppu)))
        width = self._label_w + plot_w
        height = HEADER_H + ROW_H * len(self._lanes) + 1

        def paint(p: QPainter) -> None:
            p.setFont(self.font())
            p.fillRect(QRectF(0, 0, width, height), QColor("white"))
            shown, self._row_h = self._row_h, ROW_H  # a picture shows every row at full height
            try:
                self._paint_all(p, width, height, 0.0, t_max, 0)
            finally:
                self._row_h = shown

        return write_picture(path, width, height, paint, "OpsPlan resource load")

    # ------------------------------------------------------------------ data
    def _rebuild(self, *_args) -> None:
        plan = self._plan
        if self._built is not None and self._built[0] is plan.doc and self._built[1] == plan.current_name:
            return
        self._built = (plan.doc, plan.current_name)
        self._lanes = list(plan.adapter.lanes(plan.scenario))
        known = {ln.id for ln in self._lanes}
        if plan.schedule is not None:
            for a in plan.schedule.assignments:
                if a.resource not in known:
                    known.add(a.resource)
                    self._lanes.append(Lane(a.resource, f"? {a.resource}"))
        self._profiles = {}
        if self._gantt is not None:
            self._label_w = self._gantt.label_width()
        else:
            fm = QFontMetrics(self.font())
            widest = max((fm.horizontalAdvance(ln.label) for ln in self._lanes), default=60)
            self._label_w = int(min(240, max(90, widest + 26)))
        if not self._user_range:
            self._t0, self._t1 = 0.0, self._t_max()
        self._update_scroll()
        self._on_selection(plan.selection)  # the selected bars may have moved
        self.viewport().update()

    # ------------------------------------------------------------------ linked selection
    def _on_selection(self, tasks: list) -> None:
        """Mark the lanes (and the time spans) of the plan's selected tasks."""
        s = self._plan.schedule
        selected: dict[str, list[tuple[int, int]]] = {}
        if s is not None and tasks:
            by_task = s.by_task()
            for t in tasks[:SELECTION_LIMIT]:
                a = by_task.get(t)
                if a is not None:
                    selected.setdefault(a.resource, []).append((a.start, a.end))
        if selected != self._selected:
            self._selected = selected
            self.viewport().update()

    def selected_lanes(self) -> list[str]:
        """The lanes of the selected tasks, marked in the view, in lane order."""
        return [ln.id for ln in self._lanes if ln.id in self._selected]

    def lane_at(self, pos: QPointF) -> str | None:
        """The lane of the row under viewport position ``pos`` (None above or below the rows)."""
        k = (int(pos.y()) - HEADER_H + self.verticalScrollBar().value()) // self._row_h
        return self._lanes[k].id if pos.y() >= HEADER_H and 0 <= k < len(self._lanes) else None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        """A click on a row selects the lane's bars (the Gantt and the editor follow)."""
        lane = self.lane_at(event.position()) if event.button() == Qt.MouseButton.LeftButton else None
        s = self._plan.schedule
        if lane is None or s is None:
            super().mousePressEvent(event)
            return
        self._plan.select([a.task for a in s.work() if a.resource == lane])
        event.accept()

    def _paint_selection(self, p: QPainter, width: int, height: int, t0: float, t1: float, scroll: int) -> None:
        """A tinted label and bands over the selected tasks' spans on their lanes' rows."""
        lw, rh = self._label_w, self._row_h
        plot_w = max(1, width - lw)
        ppu = plot_w / (t1 - t0)
        for k, ln in enumerate(self._lanes):
            spans = self._selected.get(ln.id)
            top = HEADER_H + k * rh - scroll
            if not spans or top + rh < HEADER_H or top > height:
                continue
            p.fillRect(QRectF(0, top, lw, rh), SELECTED_FILL)
            p.fillRect(QRectF(0, top, 3, rh), SELECTED_EDGE)
            p.save()
            p.setClipRect(QRectF(lw, HEADER_H, plot_w, max(0, height - HEADER_H)))
            for s0, s1 in spans:
                x0, x1 = lw + (s0 - t0) * ppu, lw + (s1 - t0) * ppu
                if x1 >= lw and x0 <= width:
                    p.fillRect(QRectF(x0, top + 1, max(2.0, x1 - x0), rh - 2), SELECTED_FILL)
                    p.fillRect(QRectF(x0, top + 1, 1, rh - 2), SELECTED_EDGE)
                    p.fillRect(QRectF(max(x0, x1 - 1), top + 1, 1, rh - 2), SELECTED_EDGE)
            p.restore()

    def _t_max(self) -> float:
        s = self._plan.schedule
        return max(1.0, (s.makespan if s is not None else 0) * 1.02 + 1)

    def _profile(self, lane: str) -> _Profile:
        prof = self._profiles.get(lane)
        if prof is None:
            s = self._plan.schedule
            ad = self._plan.adapter
            steps = [] if s is None else list(ad.profile(self._plan.scenario, s, lane))
            prof = self._profiles[lane] = _Profile(steps, self._capacity(lane), ad.load_share)
        return prof

    def _capacity(self, lane: str) -> Capacity:
        for ln in self._lanes:
            if ln.id == lane:
                return ln.capacity if isinstance(ln.capacity, Vector) else int(ln.capacity or 1)
        return 1

    def row_height(self) -> int:
        """Height of one row: rows stretch to fill the view (up to :data:`ROW_H`) and shrink to
        :data:`MIN_ROW_H` before the view scrolls, so that every resource shows where it can."""
        return self._row_h

    def minimum_rows_height(self) -> int:
        """The height that shows every row at its smallest (what the board gives the view if it can)."""
        return HEADER_H + MIN_ROW_H * max(1, len(self._lanes)) + 2 * self.frameWidth() + 2

    def _update_scroll(self) -> None:
        n = max(1, len(self._lanes))
        self._row_h = int(min(ROW_H, max(MIN_ROW_H, (self.viewport().height() - HEADER_H) // n)))
        total = HEADER_H + self._row_h * len(self._lanes)
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, total - self.viewport().height()))
        bar.setPageStep(max(1, self.viewport().height()))

    # ------------------------------------------------------------------ painting
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_scroll()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        self.viewport().update()

    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            return show_viewport_tooltip(self, event, self.tooltip_at(QPointF(event.pos())))
        return super().viewportEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, HEADER_H + ROW_H * min(6, max(1, len(self._lanes))) + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, HEADER_H + MIN_ROW_H + 4)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self.viewport())
        vp = self.viewport()
        p.fillRect(vp.rect(), QColor("white"))
        t0, t1 = self.time_range()
        self._paint_all(p, vp.width(), vp.height(), t0, t1, self.verticalScrollBar().value())
        if self._selected:  # on screen only: pictures of the view show the plan, not the selection
            self._paint_selection(p, vp.width(), vp.height(), t0, t1, self.verticalScrollBar().value())
        p.end()

    def _paint_all(self, p: QPainter, width: int, height: int, t0: float, t1: float, scroll: int) -> None:
        lw = self._label_w
        plot_w = max(1, width - lw)
        ppu = plot_w / (t1 - t0)
        first = max(0, scroll // self._row_h)
        last = min(len(self._lanes), (scroll + height - HEADER_H) // self._row_h + 1)
        ks = list(range(first, last))
        top = HEADER_H + first * self._row_h - scroll
        for k in ks:
            p.save()
            p.translate(0, HEADER_H + k * self._row_h - scroll)
            p.setClipRect(QRectF(0, 0, width, self._row_h))
            self._paint_row(p, k, lw, plot_w, t0, ppu)
            p.restore()
        if ks:
            p.save()
            p.setClipRect(QRectF(lw, HEADER_H, plot_w, max(0, height - HEADER_H)))
            self._paint_loads(p, ks, lw, top, plot_w, t0, ppu)
            p.restore()
        # header on top of the rows
        p.fillRect(QRectF(0, 0, width, HEADER_H), QColor("#f4f4f4"))
        p.setPen(QColor("#555"))
        p.drawText(QRectF(6, 0, lw - 8, HEADER_H), Qt.AlignmentFlag.AlignVCenter, "load / capacity")
        p.save()
        p.translate(lw, 0)
        p.setClipRect(QRectF(0, 0, plot_w, HEADER_H))
        self._paint_axis(p, plot_w, t0, ppu)
        p.restore()
        p.setPen(QColor("#c8c8c8"))
        p.drawLine(QLineF(0, HEADER_H - 0.5, width, HEADER_H - 0.5))
        p.drawLine(QLineF(lw - 0.5, 0, lw - 0.5, height))

    def _paint_axis(self, p: QPainter, width: float, t0: float, ppu: float) -> None:
        sc = self._plan.scenario
        ax = timeaxis.ticks(t0, t0 + width / ppu, ppu, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None),
                            minor_px=1e9)
        p.setPen(QPen(QColor("#444"), 0))
        for t in ax.major:
            x = (t.t - t0) * ppu
            p.drawLine(QLineF(x, HEADER_H - 7, x, HEADER_H))
            p.drawText(QRectF(x + 3, 0, max(10.0, ax.step * ppu - 6), HEADER_H - 2),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, t.label)

    def _paint_row(self, p: QPainter, k: int, lw: int, plot_w: int, t0: float, ppu: float) -> None:
        """Stripe, label and calendar windows of row ``k`` (row coordinates)."""
        ln = self._lanes[k]
        prof = self._profile(ln.id)
        cap = self._capacity(ln.id)
        if k % 2:
            p.fillRect(QRectF(0, 0, lw + plot_w, self._row_h), STRIPE)
        fm = QFontMetrics(p.font())
        p.setPen(QColor("#222"))
        p.drawText(QRectF(6, 4, lw - 10, self._row_h / 2 - 4), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(ln.label, Qt.TextElideMode.ElideRight, lw - 12))
        over = bool(prof.over.any())
        p.setPen(OVERLOAD_COLOR if over else QColor("#666"))
        if prof.vector:
            text = f"peak {prof.peak:.0%} of {format_amount(cap)}"
        else:
            text = f"capacity {cap}, peak {prof.peak}"
        p.drawText(QRectF(6, self._row_h / 2, lw - 10, self._row_h / 2 - 4), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(text + (" (overload)" if over else ""), Qt.TextElideMode.ElideRight, lw - 12))
        p.setPen(QColor("#e2e2e2"))
        p.drawLine(QLineF(0, self._row_h - 0.5, lw + plot_w, self._row_h - 0.5))

    def _paint_windows(self, p: QPainter, ln: Any, lw: int, plot_w: int, t0: float, ppu: float) -> None:
        if not ln.windows:
            return
        t1 = t0 + plot_w / ppu
        hatch = QBrush(WINDOW_HATCH, Qt.BrushStyle.BDiagPattern)
        wins = sorted((int(w.start), int(w.end), window_kind(w.reason)) for w in ln.windows)
        for ws, we, kind in wins[: bisect.bisect_right([w[0] for w in wins], t1)]:
            if we <= t0:
                continue
            x0 = max(lw, lw + (ws - t0) * ppu)
            x1 = min(lw + plot_w, lw + (we - t0) * ppu)
            r = QRectF(x0, 1, max(1.0, x1 - x0), self._row_h - 2)
            # a breakdown red and cross-hatched, as on the Gantt (gantt_paint.window_brushes)
            fill, brush = window_brushes(kind) if kind == "breakdown" else (WINDOW_FILL, hatch)
            p.fillRect(r, fill)
            p.fillRect(r, brush)

    def _paint_loads(self, p: QPainter, ks: list[int], lw: int, top: float, plot_w: int, t0: float,
                     ppu: float) -> None:
        """Load of rows ``ks`` (consecutive, the first at viewport y ``top``) as one 8-bit image.

        The rows' steps are concatenated with a per-row time offset so that one
        binary search and one range-maximum pass serve every row; each pixel
        column shows the highest load in its time slice (red above capacity).
        """
        profs = [self._profile(self._lanes[k].id) for k in ks]
        caps = np.array([pr.cap_level for pr in profs], dtype=np.float64)
        ymax = np.maximum(np.maximum(caps, [pr.peak for pr in profs]), 1) * 1.15
        ph = self._row_h - PLOT_TOP - PLOT_BOTTOM
        n_rows = len(ks)
        sizes = np.array([len(pr.loads) for pr in profs], dtype=np.int64)
        if sizes.sum():
            span = 2.0 * (max(float(pr.ends[-1]) for pr in profs if len(pr.ends)) + abs(t0) + plot_w / ppu + 1)
            offs = np.repeat(np.arange(n_rows, dtype=np.float64) * span, sizes)
            starts = np.concatenate([pr.starts for pr in profs]) + offs
            ends = np.concatenate([pr.ends for pr in profs]) + offs
            loads = np.concatenate([pr.loads for pr in profs])
            edges = t0 + np.arange(plot_w + 1, dtype=np.float64) / ppu
            grid = edges[None, :] + (np.arange(n_rows, dtype=np.float64) * span)[:, None]
            lo = np.searchsorted(ends, grid[:, :-1].ravel(), "right")
            hi = np.searchsorted(starts, grid[:, 1:].ravel(), "left")
            load = _range_max(loads, lo, hi).reshape(n_rows, plot_w)
            h = np.minimum(ph, np.round(load / ymax[:, None] * ph)).astype(np.int16)
            h = np.where(load > 0, np.maximum(h, 1), 0).astype(np.int16)
            code = np.where(load > caps[:, None], 2, 1).astype(np.uint8)
            stride = (plot_w + 3) // 4 * 4
            buf = np.empty((n_rows, self._row_h, stride), dtype=np.uint8)
            buf[:] = np.where(np.array(ks) % 2 == 1, 3, 0).astype(np.uint8)[:, None, None]
            levels = np.arange(ph, dtype=np.int16)[None, :, None]
            plot = buf[:, PLOT_TOP:PLOT_TOP + ph, :plot_w]
            filled = levels >= (ph - h)[:, None, :]
            np.copyto(plot, np.broadcast_to(code[:, None, :], plot.shape), where=filled)
            img = QImage(buf.data, plot_w, n_rows * self._row_h, stride, QImage.Format.Format_Indexed8)
            img.setColorTable(_COLOR_TABLE)
            # converting first is about three times faster than letting drawImage convert an indexed image
            p.drawImage(QPointF(lw, top), img.convertToFormat(QImage.Format.Format_RGB32))
        # calendar windows shaded over the load, then capacity line and baseline of every row
        for r, k in enumerate(ks):
            p.save()
            p.translate(0, top + r * self._row_h)
            self._paint_windows(p, self._lanes[k], lw, plot_w, t0, ppu)
            p.restore()
        dash = QPen(QColor("#333"), 1, Qt.PenStyle.DashLine)
        base = QPen(QColor("#999"), 0)
        sep = QPen(QColor("#e2e2e2"), 0)
        for r in range(n_rows):
            y = top + r * self._row_h + PLOT_TOP
            yc = y + ph - caps[r] / ymax[r] * ph
            p.setPen(dash)
            p.drawLine(QLineF(lw, yc, lw + plot_w, yc))
            p.setPen(base)
            p.drawLine(QLineF(lw, y + ph - 0.5, lw + plot_w, y + ph - 0.5))
            p.setPen(sep)
            p.drawLine(QLineF(lw, top + (r + 1) * self._row_h - 0.5, lw + plot_w, top + (r + 1) * self._row_h - 0.5))
        cut = self._plan.schedule.replanned_at if self._plan.schedule is not None else None
        if cut is not None and t0 <= cut <= t0 + plot_w / ppu:  # the re-plan's cut time, as on the Gantt
            p.setPen(CUT_PEN)
            p.drawLine(QLineF(lw + (cut - t0) * ppu, top, lw + (cut - t0) * ppu, top + n_rows * self._row_h))


__all__ = ["ResourceView"]
