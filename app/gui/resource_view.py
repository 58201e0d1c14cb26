"""Load of every resource over time against its capacity, aligned with the Gantt.

:class:`ResourceView` draws one row per adapter lane: the load profile
(``adapter.profile``) as a filled step chart, the capacity as a dashed line,
load above capacity in red and the lane's calendar windows shaded. It shows the
time range it is given (:meth:`ResourceView.set_time_range`), usually the
Gantt's (:meth:`ResourceView.follow`).

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
from opsplan.app.gui.picture import write_picture
from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

ROW_H = 64
HEADER_H = 24
PLOT_TOP = 8  #: free pixels above the plot in a row
PLOT_BOTTOM = 6
LOAD_COLOR = QColor("#5b8fd0")
OVERLOAD_COLOR = QColor("#e53935")
WINDOW_FILL = QColor(90, 90, 90, 40)
WINDOW_HATCH = QColor(90, 90, 90, 120)
EXPORT_MAX_PX = {".png": 16000, ".svg": 16000, ".pdf": 14000}
STRIPE = QColor(246, 246, 246)
#: opaque colours of the 8-bit load image (opaque so that drawing it is a plain copy): empty even row,
#: load, overload, empty odd row
_COLOR_TABLE = [QColor("white").rgba(), LOAD_COLOR.rgba(), OVERLOAD_COLOR.rgba(), STRIPE.rgba()]


def _range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``max(values[lo[i]:hi[i]])`` for every i with ``hi > lo`` (0 elsewhere), via a sparse table."""
    out = np.zeros(len(lo), dtype=np.int64)
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
    res = np.zeros(len(lo_ok), dtype=np.int64)
    for lv in np.unique(level).tolist():
        m = level == lv
        tab = table[lv]
        res[m] = np.maximum(tab[lo_ok[m]], tab[hi_ok[m] - (1 << lv)])
    out[ok] = res
    return out


class _Profile:
    """Load steps of one lane as arrays (sorted, non-overlapping)."""

    __slots__ = ("steps", "starts", "ends", "loads", "peak")

    def __init__(self, steps: list[tuple[int, int, int]]) -> None:
        self.steps = steps
        self.starts = np.array([s for s, _, _ in steps], dtype=np.float64)
        self.ends = np.array([e for _, e, _ in steps], dtype=np.float64)
        self.loads = np.array([v for _, _, v in steps], dtype=np.int64)
        self.peak = int(self.loads.max()) if len(self.loads) else 0

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
        self.verticalScrollBar().setSingleStep(ROW_H // 2)
        self.viewport().setMouseTracking(True)
        plan.changed.connect(self._rebuild)
        plan.currentChanged.connect(self._rebuild)
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

    def profile(self, lane: str) -> list[tuple[int, int, int]]:
        """``(start, end, load)`` steps of ``lane`` in the current schedule."""
        return list(self._profile(lane).steps)

    def overloads(self, lane: str) -> list[tuple[int, int, int]]:
        """The steps of ``lane`` whose load exceeds its capacity (drawn red)."""
        cap = self._capacity(lane)
        return [st for st in self._profile(lane).steps if st[2] > cap]

    def windows(self, lane: str) -> list[tuple[int, int]]:
        """Calendar windows of ``lane`` (drawn shaded)."""
        for ln in self._lanes:
            if ln.id == lane:
                return [(int(w.start), int(w.end)) for w in ln.windows]
        raise KeyError(lane)

    def row_rect(self, lane: str) -> QRect:
        """Viewport rectangle of ``lane``'s row (header excluded)."""
        k = self.lane_ids().index(lane)
        return QRect(0, HEADER_H + k * ROW_H - self.verticalScrollBar().value(), self.viewport().width(), ROW_H)

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
            self._paint_all(p, width, height, 0.0, t_max, 0)

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
            from opsplan.app.gui.adapters import Lane

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
        self.viewport().update()

    def _t_max(self) -> float:
        s = self._plan.schedule
        return max(1.0, (s.makespan if s is not None else 0) * 1.02 + 1)

    def _profile(self, lane: str) -> _Profile:
        prof = self._profiles.get(lane)
        if prof is None:
            s = self._plan.schedule
            steps = [] if s is None else list(self._plan.adapter.profile(self._plan.scenario, s, lane))
            prof = self._profiles[lane] = _Profile(steps)
        return prof

    def _capacity(self, lane: str) -> int:
        for ln in self._lanes:
            if ln.id == lane:
                return int(ln.capacity or 1)
        return 1

    def _update_scroll(self) -> None:
        total = HEADER_H + ROW_H * len(self._lanes)
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, total - self.viewport().height()))
        bar.setPageStep(max(1, self.viewport().height()))

    # ------------------------------------------------------------------ painting
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_scroll()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        self.viewport().update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(800, HEADER_H + ROW_H * min(6, max(1, len(self._lanes))) + 4)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self.viewport())
        vp = self.viewport()
        p.fillRect(vp.rect(), QColor("white"))
        t0, t1 = self.time_range()
        self._paint_all(p, vp.width(), vp.height(), t0, t1, self.verticalScrollBar().value())
        p.end()

    def _paint_all(self, p: QPainter, width: int, height: int, t0: float, t1: float, scroll: int) -> None:
        lw = self._label_w
        plot_w = max(1, width - lw)
        ppu = plot_w / (t1 - t0)
        first = max(0, scroll // ROW_H)
        last = min(len(self._lanes), (scroll + height - HEADER_H) // ROW_H + 1)
        ks = list(range(first, last))
        top = HEADER_H + first * ROW_H - scroll
        for k in ks:
            p.save()
            p.translate(0, HEADER_H + k * ROW_H - scroll)
            p.setClipRect(QRectF(0, 0, width, ROW_H))
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
        cap = int(ln.capacity or 1)
        if k % 2:
            p.fillRect(QRectF(0, 0, lw + plot_w, ROW_H), STRIPE)
        fm = QFontMetrics(p.font())
        p.setPen(QColor("#222"))
        p.drawText(QRectF(6, 4, lw - 10, ROW_H / 2 - 4), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(ln.label, Qt.TextElideMode.ElideRight, lw - 12))
        over = prof.peak > cap
        p.setPen(OVERLOAD_COLOR if over else QColor("#666"))
        p.drawText(QRectF(6, ROW_H / 2, lw - 10, ROW_H / 2 - 4), Qt.AlignmentFlag.AlignVCenter,
                   f"capacity {cap}, peak {prof.peak}" + (" (overload)" if over else ""))
        p.setPen(QColor("#e2e2e2"))
        p.drawLine(QLineF(0, ROW_H - 0.5, lw + plot_w, ROW_H - 0.5))

    def _paint_windows(self, p: QPainter, ln: Any, lw: int, plot_w: int, t0: float, ppu: float) -> None:
        if not ln.windows:
            return
        t1 = t0 + plot_w / ppu
        hatch = QBrush(WINDOW_HATCH, Qt.BrushStyle.BDiagPattern)
        wins = sorted((int(w.start), int(w.end)) for w in ln.windows)
        for ws, we in wins[: bisect.bisect_right([w[0] for w in wins], t1)]:
            if we <= t0:
                continue
            x0 = max(lw, lw + (ws - t0) * ppu)
            x1 = min(lw + plot_w, lw + (we - t0) * ppu)
            r = QRectF(x0, 1, max(1.0, x1 - x0), ROW_H - 2)
            p.fillRect(r, WINDOW_FILL)
            p.fillRect(r, hatch)

    def _paint_loads(self, p: QPainter, ks: list[int], lw: int, top: float, plot_w: int, t0: float,
                     ppu: float) -> None:
        """Load of rows ``ks`` (consecutive, the first at viewport y ``top``) as one 8-bit image.

        The rows' steps are concatenated with a per-row time offset so that one
        binary search and one range-maximum pass serve every row; each pixel
        column shows the highest load in its time slice (red above capacity).
        """
        profs = [self._profile(self._lanes[k].id) for k in ks]
        caps = np.array([int(self._lanes[k].capacity or 1) for k in ks], dtype=np.int64)
        ymax = np.maximum(np.maximum(caps, [pr.peak for pr in profs]), 1) * 1.15
        ph = ROW_H - PLOT_TOP - PLOT_BOTTOM
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
            buf = np.empty((n_rows, ROW_H, stride), dtype=np.uint8)
            buf[:] = np.where(np.array(ks) % 2 == 1, 3, 0).astype(np.uint8)[:, None, None]
            levels = np.arange(ph, dtype=np.int16)[None, :, None]
            plot = buf[:, PLOT_TOP:PLOT_TOP + ph, :plot_w]
            filled = levels >= (ph - h)[:, None, :]
            np.copyto(plot, np.broadcast_to(code[:, None, :], plot.shape), where=filled)
            img = QImage(buf.data, plot_w, n_rows * ROW_H, stride, QImage.Format.Format_Indexed8)
            img.setColorTable(_COLOR_TABLE)
            # converting first is about three times faster than letting drawImage convert an indexed image
            p.drawImage(QPointF(lw, top), img.convertToFormat(QImage.Format.Format_RGB32))
        # calendar windows shaded over the load, then capacity line and baseline of every row
        for r, k in enumerate(ks):
            p.save()
            p.translate(0, top + r * ROW_H)
            self._paint_windows(p, self._lanes[k], lw, plot_w, t0, ppu)
            p.restore()
        dash = QPen(QColor("#333"), 1, Qt.PenStyle.DashLine)
        base = QPen(QColor("#999"), 0)
        sep = QPen(QColor("#e2e2e2"), 0)
        for r in range(n_rows):
            y = top + r * ROW_H + PLOT_TOP
            yc = y + ph - caps[r] / ymax[r] * ph
            p.setPen(dash)
            p.drawLine(QLineF(lw, yc, lw + plot_w, yc))
            p.setPen(base)
            p.drawLine(QLineF(lw, y + ph - 0.5, lw + plot_w, y + ph - 0.5))
            p.setPen(sep)
            p.drawLine(QLineF(lw, top + (r + 1) * ROW_H - 0.5, lw + plot_w, top + (r + 1) * ROW_H - 0.5))


__all__ = ["ResourceView"]
