"""A live convergence chart drawn with QPainter (PySide6-Essentials has no QtCharts).

:class:`ConvergenceChart` shows, for one or more named series (one per solver
in a race), the best objective and the best bound against elapsed time as
step lines: a value holds until the next improvement. Objective lines are
solid with a dot at each improvement, bound lines dashed in the same colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: distinct colours handed to series in order of appearance
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
)


@dataclass
class _Series:
    name: str
    color: QColor
    points: list[tuple[float, float | None, float | None]] = field(default_factory=list)


def nice_step(span: float, target: int = 5) -> float:
    """A 1/2/5 x 10^k step that cuts ``span`` into about ``target`` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick positions covering ``[lo, hi]``."""
    step = nice_step(hi - lo, target)
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    v = first
    while v <= hi + step * 1e-9 and len(out) < 50:
        out.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return out


def fmt_tick(v: float, step: float) -> str:
    """A tick label with as many decimals as ``step`` needs."""
    if step >= 1 and abs(v - round(v)) < 1e-9:
        return f"{round(v):,}"
    exp = math.floor(math.log10(step))
    decimals = max(0, -exp) + (1 if abs(step / 10**exp - 2.5) < 1e-9 else 0)
    return f"{v:,.{min(decimals, 8)}f}"


class ConvergenceChart(QWidget):
    """Objective and bound against elapsed seconds, one step line pair per named series.

    Methods
    -------
    add_point(series, t, objective=None, bound=None): append an event (t in seconds).
    set_time(t): extend the time axis (the last values are drawn up to ``t``).
    clear(): drop every series.
    export_image(path, size=None): save the chart as PNG; returns the path.
    """

    def __init__(self, parent: QWidget | None = None, title: str = "",
                 x_label: str = "elapsed (s)", y_label: str = "objective") -> None:
        super().__init__(parent)
        self._series: dict[str, _Series] = {}
        self._t_end = 0.0
        self.title = title
        self.x_label = x_label
        self.y_label = y_label
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(220, 140)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    # -- data ----------------------------------------------------------------------------------
    def add_point(self, series: str, t: float, objective: float | None = None, bound: float | None = None) -> None:
        s = self._series.get(series)
        if s is None:
            s = _Series(series, QColor(PALETTE[len(self._series) % len(PALETTE)]))
            self._series[series] = s
        t = max(0.0, float(t))
        s.points.append((t,
                         None if objective is None else float(objective),
                         None if bound is None else float(bound)))
        s.points.sort(key=lambda p: p[0])
        self._t_end = max(self._t_end, t)
        self.update()

    def set_time(self, t: float) -> None:
        """Stretch the time axis to ``t`` seconds (for a running solve)."""
        if t > self._t_end:
            self._t_end = float(t)
            self.update()

    def clear(self) -> None:
        self._series.clear()
        self._t_end = 0.0
        self.update()

    def remove_series(self, series: str) -> None:
        if self._series.pop(series, None) is not None:
            self.update()

    def set_series_color(self, series: str, color: QColor | str) -> None:
        s = self._series.get(series)
        if s is None:
            s = _Series(series, QColor(color))
            self._series[series] = s
        s.color = QColor(color)
        self.update()

    def series_names(self) -> list[str]:
        return list(self._series)

    def points(self, series: str) -> list[tuple[float, float | None, float | None]]:
        s = self._series.get(series)
        return list(s.points) if s else []

    def point_count(self, series: str | None = None) -> int:
        if series is not None:
            return len(self.points(series))
        return sum(len(s.points) for s in self._series.values())

    def is_empty(self) -> bool:
        return self.point_count() == 0

    # -- geometry ------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(480, 260)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(220, 140)

    def _ranges(self) -> tuple[float, float, float, float] | None:
        values = [v for s in self._series.values() for p in s.points for v in p[1:] if v is not None]
        if not values:
            return None
        lo, hi = min(values), max(values)
        if hi - lo < 1e-12:
            pad = max(1.0, abs(hi) * 0.05)
        else:
            pad = (hi - lo) * 0.06
        y0, y1 = lo - pad, hi + pad
        if lo >= 0 > y0:
            y0 = 0.0
        x1 = max(self._t_end * 1.04, 1e-3) if self._t_end > 0 else 1.0
        return 0.0, x1, y0, y1

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        p = QPainter(self)
        try:
            self.render_chart(p, QRectF(self.rect()))
        finally:
            p.end()

    def render_chart(self, p: QPainter, rect: QRectF) -> None:
        """Paint the whole chart into ``rect`` of painter ``p``."""
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        grid = QColor(fg)
        grid.setAlpha(40)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.fillRect(rect, bg)
        font = QFont(self.font())
        p.setFont(font)
        fm = QFontMetricsF(font)
        lh = fm.height()

        top = rect.top() + 6
        if self.title:
            bold = QFont(font)
            bold.setBold(True)
            p.setFont(bold)
            p.setPen(fg)
            p.drawText(QRectF(rect.left(), top, rect.width(), lh), Qt.AlignmentFlag.AlignHCenter, self.title)
            p.setFont(font)
            top += lh + 2

        ranges = self._ranges()
        if ranges is None:
            p.setPen(fg)
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "no solutions yet")
            return
        x0, x1, y0, y1 = ranges
        yt = ticks(y0, y1)
        ystep = nice_step(y1 - y0)
        ylabels = [fmt_tick(v, ystep) for v in yt]
        left = rect.left() + 6 + lh + 4 + max((fm.horizontalAdvance(s) for s in ylabels), default=20) + 6
        bottom = rect.bottom() - 6 - lh - 2 - lh - 4
        right = rect.right() - 12
        plot = QRectF(QPointF(left, top + lh / 2), QPointF(right, bottom))
        if plot.width() < 20 or plot.height() < 20:
            return

        def px(t: float) -> float:
            return plot.left() + (t - x0) / (x1 - x0) * plot.width()

        def py(v: float) -> float:
            return plot.bottom() - (v - y0) / (y1 - y0) * plot.height()

        # grid, ticks and labels
        p.setPen(QPen(grid, 1))
        for v, s in zip(yt, ylabels):
            y = py(v)
            if plot.top() - 0.5 <= y <= plot.bottom() + 0.5:
                p.setPen(QPen(grid, 1))
                p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
                p.setPen(fg)
                p.drawText(QRectF(rect.left(), y - lh / 2, plot.left() - 4 - rect.left(), lh),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, s)
        xt = ticks(x0, x1)
        xstep = nice_step(x1 - x0)
        for v in xt:
            x = px(v)
            if plot.left() - 0.5 <= x <= plot.right() + 0.5:
                p.setPen(QPen(grid, 1))
                p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
                p.setPen(fg)
                s = fmt_tick(v, xstep)
                w = fm.horizontalAdvance(s)
                p.drawText(QRectF(x - w / 2 - 2, plot.bottom() + 2, w + 4, lh), Qt.AlignmentFlag.AlignCenter, s)
        p.setPen(QPen(fg, 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        # axis titles
        p.drawText(QRectF(plot.left(), plot.bottom() + 2 + lh, plot.width(), lh),
                   Qt.AlignmentFlag.AlignHCenter, self.x_label)
        p.save()
        p.translate(rect.left() + 6 + lh / 2, plot.center().y())
        p.rotate(-90)
        p.drawText(QRectF(-plot.height() / 2, -lh / 2, plot.height(), lh), Qt.AlignmentFlag.AlignCenter, self.y_label)
        p.restore()

        # series
        p.save()
        p.setClipRect(plot.adjusted(-4, -4, 4, 4))
        t_end = max(self._t_end, 0.0)
        for s in self._series.values():
            for idx, style in ((1, Qt.PenStyle.SolidLine), (2, Qt.PenStyle.DashLine)):
                pts = [(t, v[idx - 1]) for t, *v in s.points if v[idx - 1] is not None]
                if not pts:
                    continue
                path = QPainterPath(QPointF(px(pts[0][0]), py(pts[0][1])))
                for (_t, v), (t2, v2) in zip(pts, pts[1:]):
                    path.lineTo(px(t2), py(v))
                    path.lineTo(px(t2), py(v2))
                path.lineTo(px(max(t_end, pts[-1][0])), py(pts[-1][1]))
                pen = QPen(s.color, 2 if idx == 1 else 1.5, style)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
                if idx == 1:
                    p.setBrush(s.color)
                    p.setPen(Qt.PenStyle.NoPen)
                    for t, v in pts:
                        p.drawEllipse(QPointF(px(t), py(v)), 2.5, 2.5)
        p.restore()

        # legend (top right, inside the plot)
        entries: list[tuple[str, QColor, Qt.PenStyle]] = []
        if len(self._series) == 1:
            s = next(iter(self._series.values()))
            entries = [(f"{s.name} objective" if s.name else "objective", s.color, Qt.PenStyle.SolidLine),
                       ("bound", s.color, Qt.PenStyle.DashLine)]
        else:
            entries = [(s.name, s.color, Qt.PenStyle.SolidLine) for s in self._series.values()]
            entries += [("objective", fg, Qt.PenStyle.SolidLine), ("bound", fg, Qt.PenStyle.DashLine)]
        sw = 22
        width = max(fm.horizontalAdvance(e[0]) for e in entries) + sw + 16
        height = len(entries) * lh + 8
        box = QRectF(plot.right() - width - 6, plot.top() + 6, width, height)
        back = QColor(bg)
        back.setAlpha(220)
        p.setPen(QPen(grid, 1))
        p.setBrush(back)
        p.drawRect(box)
        y = box.top() + 4
        for text, color, style in entries:
            p.setPen(QPen(color, 2, style))
            p.drawLine(QPointF(box.left() + 6, y + lh / 2), QPointF(box.left() + 6 + sw, y + lh / 2))
            p.setPen(fg)
            p.drawText(QRectF(box.left() + 10 + sw, y, width - sw - 12, lh),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
            y += lh

    # -- export --------------------------------------------------------------------------------
    def render_image(self, size: QSize | None = None) -> QImage:
        if size is None:
            size = self.size() if self.width() >= 200 and self.height() >= 120 else QSize(800, 450)
        img = QImage(size, QImage.Format.Format_ARGB32)
        img.fill(self.palette().color(QPalette.ColorRole.Base))
        p = QPainter(img)
        try:
            self.render_chart(p, QRectF(0, 0, size.width(), size.height()))
        finally:
            p.end()
        return img

    def export_image(self, path: str | Path, size: QSize | None = None) -> Path:
        """Save the chart as an image (PNG unless the suffix says otherwise); returns the path."""
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".png")
        fmt = path.suffix.lstrip(".").upper()
        if not self.render_image(size).save(str(path), fmt):
            raise OSError(f"cannot write image {path}")
        return path


__all__ = ["ConvergenceChart", "nice_step", "ticks"]
