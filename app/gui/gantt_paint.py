"""Painting the Gantt, with its level of detail.

:class:`GanttPainting` is the part of :class:`~opsplan.app.gui.gantt.GanttView` that paints
the lanes :mod:`~opsplan.app.gui.gantt_scene` laid out, plus the margin widgets (time
header, lane labels). Only the exposed range is painted, found by binary search. When
the viewport shows more than :data:`VECTOR_LIMIT` bars each track is rasterised for the
exposed pixel columns with numpy (which bar covers each column: one pass over every
visible track per frame) and drawn as one stretched 1-pixel-high image row; below the
limit bars are drawn as vectors with borders, hatching and labels (cached static texts,
only where the bar is wide enough; elided below :data:`RICH_LIMIT` bars in view). The
background grid is one opaque 1-pixel-high image per lane parity, stretched.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np
from opsplan.app.gui import timeaxis
from opsplan.app.gui.adapters import format_amount
from opsplan.app.gui.gantt_scene import BAR_H, HEADER_H, MARGIN, SETUP_COLOR, _bar_y, _LaneData, _Track
from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPen, QPolygonF, QStaticText, QTransform
from PySide6.QtWidgets import QWidget

VECTOR_LIMIT = 700  #: above this many bars in view, bars are rasterised per pixel column
RICH_LIMIT = 150  #: up to this many bars in view, labels that do not fit are elided instead of left out
DOWNTIME_FILL = QColor(90, 90, 90, 38)
DOWNTIME_HATCH = QColor(90, 90, 90, 110)
#: the reason of a calendar window a disruption added (a machine breakdown; the job shop's
#: ``models.jobshop.disruptions.BREAKDOWN``): drawn red and cross-hatched, unlike a planned break
BREAKDOWN = "breakdown"
BREAKDOWN_FILL = QColor(211, 47, 47, 45)
BREAKDOWN_HATCH = QColor(198, 40, 40, 170)
CUT_COLOR = QColor("#b71c1c")  #: the re-plan's cut time line
CUT_PEN = QPen(CUT_COLOR, 2, Qt.PenStyle.DashLine)
_WINDOW_BRUSHES = {
    "break": (DOWNTIME_FILL, QBrush(DOWNTIME_HATCH, Qt.BrushStyle.BDiagPattern)),
    "breakdown": (BREAKDOWN_FILL, QBrush(BREAKDOWN_HATCH, Qt.BrushStyle.DiagCrossPattern)),
}
STRIPE = QColor(0, 0, 0, 10)  #: odd lanes (labels, exports)
GRID_MAJOR = QColor(0, 0, 0, 38)
GRID_MINOR = QColor(0, 0, 0, 16)
#: opaque background rows of the live view: (base, minor grid, major grid) for even and odd lanes
_BG_EVEN = (0xFFFFFFFF, 0xFFF1F1F1, 0xFFDADADA)
_BG_ODD = (0xFFF6F6F6, 0xFFEBEBEB, 0xFFD4D4D4)
#: decoration name -> (colour, width, pen style); painted in this order (later on top)
DECORATIONS = (
    ("critical", "#202020", 2.0, Qt.PenStyle.DashLine),
    ("moved", "#ff7f0e", 3.0, Qt.PenStyle.SolidLine),
    ("reassigned", "#8e24aa", 3.0, Qt.PenStyle.SolidLine),
    ("route", "#1565c0", 2.0, Qt.PenStyle.SolidLine),
    ("selected", "#0b2e8a", 3.0, Qt.PenStyle.SolidLine),
    ("violations", "#e00000", 2.0, Qt.PenStyle.SolidLine),
    ("drag_violations", "#e00000", 2.5, Qt.PenStyle.SolidLine),
)
ROUTE_COLOR = QColor("#1565c0")


def window_kind(reason: str) -> str:
    """``"breakdown"`` for a calendar window a disruption added, ``"break"`` for any other (a planned
    break, maintenance, a shift's end): the two are drawn differently."""
    return "breakdown" if str(reason).strip().lower() == BREAKDOWN else "break"


def window_brushes(kind: str) -> tuple[QColor, QBrush]:
    """(fill, hatch) of a calendar window of ``kind`` (see :func:`window_kind`): grey diagonal
    lines for a planned break, red cross-hatch for a breakdown."""
    if kind not in _WINDOW_BRUSHES:
        raise ValueError(f"unknown window kind {kind!r} (known: {', '.join(_WINDOW_BRUSHES)})")
    return _WINDOW_BRUSHES[kind]


# --------------------------------------------------------------------------- margin widgets
class _Header(QWidget):
    """The time axis above the viewport (and the unit in the corner above the lane labels)."""

    def __init__(self, view: Any) -> None:  # view: the GanttView
        super().__init__(view)
        self._view = view

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        v = self._view
        lw = v.label_width()
        p.fillRect(self.rect(), QColor("#f4f4f4"))
        t0, _ = v.visible_time_range()
        p.save()
        p.translate(lw, 0)
        p.setClipRect(QRectF(0, 0, self.width() - lw, HEADER_H))
        v._paint_axis(p, self.width() - lw, t0, v._ppu)
        v._paint_cut_tag(p, self.width() - lw, t0, v._ppu)
        p.restore()
        p.setPen(QColor("#555"))
        p.drawText(QRectF(6, 0, lw - 10, HEADER_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   v._corner_text())
        p.setPen(QColor("#c8c8c8"))
        p.drawLine(0, HEADER_H - 1, self.width(), HEADER_H - 1)
        p.drawLine(lw - 1, 0, lw - 1, HEADER_H)
        p.end()


class _LaneLabels(QWidget):
    """Lane names left of the viewport, following its vertical scroll."""

    def __init__(self, view: Any) -> None:  # view: the GanttView
        super().__init__(view)
        self._view = view

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        v = self._view
        p.fillRect(self.rect(), QColor("#fafafa"))
        top = v.mapToScene(QPoint(0, 0)).y()
        v._paint_labels(p, self.width(), -top, top, top + self.height())
        p.setPen(QColor("#c8c8c8"))
        p.drawLine(self.width() - 1, 0, self.width() - 1, self.height())
        p.end()



# --------------------------------------------------------------------------- the mixin
class GanttPainting:
    """Painting and level of detail (a mixin of :class:`~opsplan.app.gui.gantt.GanttView`)."""

    @staticmethod
    def _make_pen(color: str, width: float, style: Qt.PenStyle) -> QPen:
        pen = QPen(QColor(color), width, style)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        return pen

    # ------------------------------------------------------------------ painting
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        """White and striped lanes with the time grid.

        Vertical lines are slow to rasterise (one pixel per row), so the grid is
        drawn as a one-pixel-high opaque image per lane parity, stretched over
        each lane: a plain row copy per scan line.
        """
        n = self._visible_count()
        self._frame_vector = n <= VECTOR_LIMIT
        self._frame_rich = n <= RICH_LIMIT
        if self._frame_vector:
            self._frame_raster = None
        else:
            self._build_frame_raster(rect.left(), rect.right(), rect.top(), rect.bottom())
        x_lo, x_hi = math.floor(rect.left()), math.ceil(rect.right()) + 1
        w = x_hi - x_lo
        if w <= 0:
            return
        ppu = self._ppu
        sc = self._plan.scenario
        ax = timeaxis.ticks(x_lo / ppu, x_hi / ppu, ppu, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
        rows = []
        for base, minor, major in (_BG_EVEN, _BG_ODD):
            row = np.full(w, base, dtype=np.uint32)
            for ticks, color in ((ax.minor, minor), (ax.major, major)):
                if ticks:
                    cols = np.round(np.array([t.t for t in ticks]) * ppu).astype(np.int64) - x_lo
                    row[cols[(cols >= 0) & (cols < w)]] = color
            rows.append(row)
        images = [QImage(r.data, w, 1, 4 * w, QImage.Format.Format_RGB32) for r in rows]
        y0, y1 = rect.top(), rect.bottom()
        for ld in self._lanes:
            if ld.y + ld.height < y0 or ld.y > y1:
                continue
            painter.drawImage(QRectF(x_lo, ld.y, w, ld.height), images[ld.index % 2])
        if y1 > self._total_h:
            top = max(y0, self._total_h)
            painter.drawImage(QRectF(x_lo, top, w, y1 - top + 1), images[0])

    def _visible_tracks(self, t0: float, t1: float, y0: float, y1: float) -> tuple[np.ndarray, ...]:
        """(track indices, first bar, end bar) of the tracks in rows ``[y0, y1]`` with bars in ``[t0, t1]``."""
        k = np.nonzero((self._g_lane_bottom >= y0) & (self._g_lane_top <= y1))[0]
        if not len(k):
            return k, k, k
        base = k * self._g_span
        i0 = np.searchsorted(self._g_ekey, base + t0, "right")
        i1 = np.searchsorted(self._g_skey, base + t1, "left")
        return k, i0, np.maximum(i1, i0)

    def _visible_count(self) -> int:
        """Bars inside the viewport (decides vector or raster drawing for the whole frame)."""
        tl = self.mapToScene(QPoint(0, 0))
        key = (tl.x(), tl.y(), self._ppu, self.viewport().width(), self.viewport().height(), self._build_serial)
        if self._count_cache is not None and self._count_cache[0] == key:
            return self._count_cache[1]
        t0, t1 = tl.x() / self._ppu, (tl.x() + self.viewport().width()) / self._ppu
        _, i0, i1 = self._visible_tracks(t0, t1, tl.y(), tl.y() + self.viewport().height())
        n = int((i1 - i0).sum())
        self._count_cache = (key, n)
        return n

    def _build_frame_raster(self, x_lo: float, x_hi: float, y0: float, y1: float) -> None:
        """Rasterise every track in the exposed rectangle in one numpy pass (one image row per track).

        For each pixel column the covering bar is the last one starting at or
        before it (bars of a track do not overlap); a bar at least 4 px wide
        gets a darker first column so that neighbours stay apart.
        """
        self._frame_raster = None
        ppu = self._ppu
        lo, hi = math.floor(x_lo), math.ceil(x_hi) + 1
        w = hi - lo
        k, i0, i1 = self._visible_tracks(lo / ppu, hi / ppu, y0, y1)
        n = i1 - i0
        total = int(n.sum())
        if w <= 0 or total == 0:
            return
        rows = len(k)
        rr = np.repeat(np.arange(rows, dtype=np.int64), n)
        first = np.cumsum(n) - n
        idx = np.repeat(i0 - first, n) + np.arange(total, dtype=np.int64)
        c0 = np.floor(self._g_starts[idx] * ppu).astype(np.int64) - lo
        c1 = np.maximum(c0 + 1, np.ceil(self._g_ends[idx] * ppu).astype(np.int64) - lo)
        mark = ((c1 - c0) >= 4) & (c0 >= 0)
        g0 = rr * w + np.clip(c0, 0, w)
        g1 = rr * w + np.clip(c1, 0, w)
        cols = np.arange(rows * w, dtype=np.int64)
        j = np.searchsorted(g0, cols, "right") - 1
        jc = np.maximum(j, 0)
        valid = (j >= 0) & (cols < g1[jc])
        edge = valid & (cols == g0[jc]) & mark[jc]
        bar = idx[jc]
        buf = np.where(edge, self._g_dark[bar], np.where(valid, self._g_argb[bar], np.uint32(0))).astype(np.uint32)
        img = QImage(buf.data, w, rows, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        self._frame_raster = (self._build_serial, ppu, lo, hi, dict(zip(k.tolist(), range(rows))), img, buf)

    def _paint_grid(self, p: QPainter, x0: float, x1: float, y0: float, y1: float, ppu: float) -> None:
        sc = self._plan.scenario
        ax = timeaxis.ticks(x0 / ppu, x1 / ppu, ppu, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
        if ax.minor:
            p.setPen(QPen(GRID_MINOR, 0))
            p.drawLines([QLineF(t.t * ppu, y0, t.t * ppu, y1) for t in ax.minor])
        if ax.major:
            p.setPen(QPen(GRID_MAJOR, 0))
            p.drawLines([QLineF(t.t * ppu, y0, t.t * ppu, y1) for t in ax.major])

    def _paint_axis(self, p: QPainter, width: float, t_left: float, ppu: float) -> None:
        """Ticks and labels of ``[t_left, t_left + width / ppu]`` with x = 0 at ``t_left``."""
        sc = self._plan.scenario
        t1 = t_left + width / ppu
        ax = timeaxis.ticks(t_left, t1, ppu, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
        base = HEADER_H - 1
        p.setPen(QPen(QColor("#9a9a9a"), 0))
        if ax.minor:
            p.drawLines([QLineF((t.t - t_left) * ppu, base - 5, (t.t - t_left) * ppu, base) for t in ax.minor])
        p.setPen(QPen(QColor("#444"), 0))
        if ax.major:
            p.drawLines([QLineF((t.t - t_left) * ppu, base - 14, (t.t - t_left) * ppu, base) for t in ax.major])
        step_px = ax.step * ppu
        for t in ax.major:
            x = (t.t - t_left) * ppu
            p.drawText(QRectF(x + 3, 2, max(10.0, step_px - 6), base - 6),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, t.label)

    def _paint_labels(self, p: QPainter, width: float, dy: float, y0: float, y1: float) -> None:
        """Lane labels for scene rows ``[y0, y1]``, shifted by ``dy``."""
        fm = QFontMetrics(p.font())
        for ld in self._lanes:
            if ld.y + ld.height < y0 or ld.y > y1:
                continue
            r = QRectF(0, ld.y + dy, width, ld.height)
            if ld.index % 2:
                p.fillRect(r, STRIPE)
            text = ld.lane.label
            cap = getattr(ld.lane, "capacity", 1)
            if cap is not None and not (isinstance(cap, int) and cap == 1):
                text = f"{text} (×{cap})" if isinstance(cap, int) else f"{text} ({format_amount(cap)})"
            p.setPen(QColor("#222"))
            p.drawText(r.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(text, Qt.TextElideMode.ElideRight, int(width - 10)))
            p.setPen(QColor("#e2e2e2"))
            p.drawLine(QLineF(0, r.bottom(), width, r.bottom()))

    def _paint_lane(self, p: QPainter, ld: _LaneData, x_lo: float, x_hi: float, ppu: float, vector: bool,
                    rich: bool = False) -> None:
        """Paint lane ``ld`` in lane coordinates (x = time * ppu, y from the lane's top) for ``[x_lo, x_hi]``."""
        h = ld.height
        x_lo = max(x_lo, -MARGIN)
        if x_hi <= x_lo:
            return
        t_lo, t_hi = x_lo / ppu, x_hi / ppu
        p.setPen(QPen(QColor("#e6e6e6"), 0))
        p.drawLine(QLineF(x_lo, h - 0.5, x_hi, h - 0.5))
        # downtime windows
        if ld.windows:
            k = max(0, bisect.bisect_right(ld.win_starts, t_hi))
            for ws, we, reason in ld.windows[:k]:
                if we <= t_lo:
                    continue
                r = QRectF(ws * ppu, 0, max(1.0, (we - ws) * ppu), h)
                fill, hatch = window_brushes(window_kind(reason))
                p.fillRect(r, fill)
                p.fillRect(r, hatch)
        # ghosts of the compared schedule
        if ld.ghosts:
            y = _bar_y(0)
            for gs, ge, kind in ld.ghosts:
                if ge < t_lo or gs > t_hi:
                    continue
                pen = QPen(QColor(self._pens[kind].color()), 1, Qt.PenStyle.DashLine)
                c = QColor(self._pens[kind].color())
                c.setAlpha(45)
                p.setPen(pen)
                p.setBrush(c)
                p.drawRect(QRectF(gs * ppu, y, max(1.0, (ge - gs) * ppu), BAR_H))
        dragged = self._drag.task if self._drag is not None else None
        for ti, tr in enumerate(ld.tracks):
            if not len(tr.starts):
                continue
            i0, i1 = tr.visible(t_lo, t_hi)
            if i1 <= i0:
                continue
            y = _bar_y(ti)
            if vector:
                self._paint_bars_vector(p, tr, i0, i1, y, ppu, dragged, rich)
            else:
                fr = self._frame_raster
                row = fr[4].get(tr.flat) if fr is not None else None
                if (row is not None and fr[0] == self._build_serial and fr[1] == ppu and fr[2] <= x_lo
                        and fr[3] >= x_hi):
                    w = fr[3] - fr[2]
                    p.drawImage(QRectF(fr[2], y, w, BAR_H), fr[5], QRectF(0, row, w, 1))
                else:
                    self._paint_bars_raster(p, tr, i0, i1, y, ppu, x_lo, x_hi)
            self._paint_decorations(p, tr, i0, i1, y, ppu)
        cut = self._cut
        if cut is not None and t_lo <= cut <= t_hi:  # the re-plan's cut time, over the bars
            p.setPen(CUT_PEN)
            p.drawLine(QLineF(cut * ppu, 0, cut * ppu, h))

    def _paint_cut_tag(self, p: QPainter, width: float, t_left: float, ppu: float) -> None:
        """The re-plan's cut time in the time header: the line's top and a label (x = 0 at ``t_left``)."""
        cut = self._cut
        if cut is None:
            return
        x = (cut - t_left) * ppu
        if not -1 <= x <= width + 1:
            return
        sc = self._plan.scenario
        text = "re-plan from " + timeaxis.format_time(cut, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
        fm = QFontMetrics(p.font())
        tw = fm.horizontalAdvance(text) + 8
        h = fm.height() + 2
        left = x + 3 if x + 3 + tw <= width or x - 3 - tw < 0 else x - 3 - tw
        box = QRectF(left, HEADER_H - h - 2, tw, h)
        p.fillRect(box, CUT_COLOR)
        p.setPen(QColor("white"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.setPen(CUT_PEN)
        p.drawLine(QLineF(x, box.top(), x, HEADER_H))

    def _paint_bars_raster(self, p: QPainter, tr: _Track, i0: int, i1: int, y: float, ppu: float,
                           x_lo: float, x_hi: float) -> None:
        s = tr.starts[i0:i1] * ppu
        e = tr.ends[i0:i1] * ppu
        c0 = np.floor(s).astype(np.int64)
        c1 = np.maximum(c0 + 1, np.ceil(e).astype(np.int64))
        lo = max(math.floor(x_lo), int(c0[0]))
        hi = min(math.ceil(x_hi) + 1, int(c1[-1]))
        if hi <= lo:
            return
        cols = np.arange(lo, hi, dtype=np.int64)
        j = np.searchsorted(c0, cols, "right") - 1
        jc = np.maximum(j, 0)
        valid = (j >= 0) & (cols < c1[jc])
        edge = valid & (cols == c0[jc]) & ((c1 - c0)[jc] >= 4)
        argb = tr.argb[i0:i1]
        dark = tr.dark[i0:i1]
        buf = np.where(edge, dark[jc], np.where(valid, argb[jc], np.uint32(0))).astype(np.uint32)
        w = hi - lo
        img = QImage(buf.data, w, 1, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        p.drawImage(QRectF(lo, y, w, BAR_H), img)

    def _paint_bars_vector(self, p: QPainter, tr: _Track, i0: int, i1: int, y: float, ppu: float,
                           dragged: str | None, rich: bool) -> None:
        """Bars as rectangles with borders, hatched setups and labels.

        Labels are cached :class:`QStaticText` drawn only where they fit whole;
        with ``rich`` (few bars in view) the others are elided to fit.
        """
        colors = self._colors
        rects = []
        labelled = []
        starts, ends, gi = tr.starts[i0:i1].tolist(), tr.ends[i0:i1].tolist(), tr.gi[i0:i1].tolist()
        items = tr.items[i0:i1]
        fill = p.fillRect
        for i in range(i1 - i0):
            s = starts[i]
            x = s * ppu
            w = (ends[i] - s) * ppu
            r = QRectF(x, y, w if w > 1.0 else 1.0, BAR_H)
            g = gi[i]
            if g < 0:
                fill(r, SETUP_COLOR)
                fill(r, self._hatch)
            else:
                if dragged is not None and items[i].task == dragged:
                    c = QColor(colors[g])
                    c.setAlpha(70)
                    fill(r, c)
                else:
                    fill(r, colors[g])
                if w >= 14:
                    labelled.append((r, items[i], g))
            if w >= 3:
                rects.append(r)
        if rects:
            p.setPen(self._border_pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRects(rects)
        if not labelled:
            return
        p.setFont(self._bar_font)
        fm = None
        text_colors = self._text_colors
        cache = self._static
        for r, a, g in labelled:
            entry = cache.get(a.task)
            if entry is None:
                text = self._plan.adapter.bar_label(self._plan.scenario, a)
                st = QStaticText(text)
                st.setTextFormat(Qt.TextFormat.PlainText)
                st.prepare(QTransform(), self._bar_font)
                entry = cache[a.task] = (st, st.size().width(), text)
            st, tw, text = entry
            p.setPen(text_colors[g])
            if tw + 6 <= r.width():
                p.drawStaticText(QPointF(r.x() + 3, r.y() + (BAR_H - st.size().height()) / 2), st)
            elif rich and r.width() >= 22:
                fm = fm or QFontMetrics(self._bar_font)
                p.drawText(r.adjusted(3, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                           fm.elidedText(text, Qt.TextElideMode.ElideRight, int(r.width() - 5)))

    def _paint_decorations(self, p: QPainter, tr: _Track, i0: int, i1: int, y: float, ppu: float) -> None:
        if not tr.deco:
            return
        dragging = self._drag is not None
        p.setBrush(Qt.BrushStyle.NoBrush)
        for name, *_ in DECORATIONS:
            idx = tr.deco.get(name)
            if idx is None or (name == "violations" and dragging):
                continue
            a, b = int(np.searchsorted(idx, i0)), int(np.searchsorted(idx, i1))
            if b <= a:
                continue
            sel = idx[a:b]
            xs = tr.starts[sel] * ppu
            ws = np.maximum(1.0, (tr.ends[sel] - tr.starts[sel]) * ppu)
            pen = self._pens[name]
            grow = pen.widthF() / 2
            p.setPen(pen)
            p.drawRects([QRectF(x - grow, y - grow, w + 2 * grow, BAR_H + 2 * grow)
                         for x, w in zip(xs.tolist(), ws.tolist())])
        pins = tr.deco.get("pinned")
        if pins is not None:
            a, b = int(np.searchsorted(pins, i0)), int(np.searchsorted(pins, i1))
            for i in pins[a:b].tolist():
                self._paint_lock(p, float(tr.starts[i]) * ppu + 1, y + 1)

    @staticmethod
    def _paint_lock(p: QPainter, x: float, y: float) -> None:
        """A small padlock at (x, y) (top-left)."""
        p.setPen(QPen(QColor("#111"), 1.2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(x + 1.5, y, 5, 6), 0, 180 * 16)
        p.fillRect(QRectF(x, y + 3.5, 8, 6), QColor("#111"))
        p.fillRect(QRectF(x + 3.3, y + 5.5, 1.4, 2), QColor("#ffd54f"))

    def _paint_routes(self, p: QPainter, ppu: float, dy: float) -> None:
        if not self._routes:
            return
        pen = QPen(ROUTE_COLOR, 1.6)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for route in self._routes:
            pts = []
            for t in route:
                li, ti, i = self._where[t]
                ld = self._lanes[li]
                tr = ld.tracks[ti]
                yc = ld.y + _bar_y(ti) + BAR_H / 2 + dy
                pts.append(QPointF(float(tr.starts[i]) * ppu, yc))
                pts.append(QPointF(max(float(tr.ends[i]), float(tr.starts[i])) * ppu, yc))
            if len(pts) < 4:
                continue
            # connect the end of each bar to the start of the next one in route order
            link = QPolygonF(pts[1:-1])
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPolyline(link)
            p.setBrush(ROUTE_COLOR)
            for q in pts[1:-1]:
                p.drawEllipse(q, 2.2, 2.2)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)


__all__ = ["BREAKDOWN", "CUT_PEN", "DECORATIONS", "RICH_LIMIT", "VECTOR_LIMIT", "GanttPainting", "window_brushes",
           "window_kind"]
