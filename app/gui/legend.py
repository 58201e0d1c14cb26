"""The Gantt's legend: what the bar colours, outlines, hatches and lines mean.

:class:`GanttLegend` is a strip above the Gantt's time header (a margin widget of
:class:`~opsplan.app.gui.gantt.GanttView`, which places it and toggles it). It names the
colour groups (the kind's ``group_word``: jobs, vehicles...; the first :data:`MAX_GROUPS`,
fewer on a narrow view so that the strip keeps to :data:`MAX_ROWS` rows, then ``+ k more``)
and only the decorations the view draws right now (moved, re-assigned, violation, pinned,
critical path, setup, planned break, breakdown, re-plan cut time), so it never explains what
is not on screen. :func:`legend_entries` reads them from the view; the swatches are painted
with the very styles the Gantt uses (:mod:`~opsplan.app.gui.gantt_paint`). Nothing here
names a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opsplan.app.gui.gantt_paint import CUT_PEN, DECORATIONS, GanttPainting, window_brushes, window_kind
from opsplan.app.gui.gantt_scene import SETUP_COLOR
from opsplan.app.gui.timeaxis import format_time
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QWidget

MAX_GROUPS = 12  #: groups listed by name at most; the rest are counted ("+ 3 more")
MAX_ROWS = 2  #: the strip grows to this many rows; then fewer groups are named (never fewer decorations)
ROW_H = 18  #: height of one legend row (px)
SWATCH_W, SWATCH_H = 16, 10
GAP = 12  #: space between entries (px)
MAX_LABEL = 18  #: characters of a group name before it is shortened

#: outline decorations with their legend text, in legend order
OUTLINES = (("moved", "moved"), ("reassigned", "re-assigned"), ("violations", "violation"),
            ("critical", "critical path"))


@dataclass(frozen=True)
class LegendEntry:
    """One swatch and its text.

    ``key`` says what it explains: ``title`` and ``more`` (text only), ``group``, ``setup``, ``ghost``, an outline
    decoration (``moved``, ``reassigned``, ``violations``, ``critical``), ``pinned``,
    ``break`` (a planned calendar window), ``breakdown`` or ``cut`` (the re-plan's cut time).
    ``color`` is the group's colour for ``group``; ``count`` how many groups ``more`` stands for.
    """

    key: str
    text: str
    color: str = ""
    tip: str = ""
    count: int = 0


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _more(n: int) -> LegendEntry:
    return LegendEntry("more", f"+ {n} more", tip=f"{n} more not named here", count=n)


def _swatch_w(e: LegendEntry) -> int:
    return 0 if e.key in ("title", "more") else SWATCH_W + 4


def legend_entries(view: Any) -> list[LegendEntry]:
    """What ``view`` (a :class:`~opsplan.app.gui.gantt.GanttView`) draws now, as legend entries:
    its colour groups first, then the decorations present."""
    plan = view.plan
    out: list[LegendEntry] = []
    try:
        groups = list(plan.adapter.groups(plan.scenario))
    except Exception:  # a scenario being edited may not answer; the rest of the legend still helps
        groups = []
    colors = view._colors
    if groups:
        out.append(LegendEntry("title", f"{str(plan.adapter.group_word).capitalize()}s:"))
    for i, g in enumerate(groups[:MAX_GROUPS]):
        out.append(LegendEntry("group", _short(str(g)), colors[i].name() if i < len(colors) else "#9e9e9e", str(g)))
    if len(groups) > MAX_GROUPS:
        rest = groups[MAX_GROUPS:]
        out.append(_more(len(rest)))
    lanes = view._lanes
    if any(bool(tr.setup.any()) for ld in lanes for tr in ld.tracks):
        out.append(LegendEntry("setup", "setup"))
    if any(ld.ghosts for ld in lanes):
        out.append(LegendEntry("ghost", f"was here in “{view.compare_with()}”"))
    for key, text in OUTLINES:
        if view.highlighted(key):
            out.append(LegendEntry(key, text))
    if view.highlighted("pinned"):
        out.append(LegendEntry("pinned", "pinned"))
    kinds = {window_kind(reason) for ld in lanes for _, _, reason in ld.windows}
    if "break" in kinds:
        out.append(LegendEntry("break", "planned break / unavailable"))
    if "breakdown" in kinds:
        out.append(LegendEntry("breakdown", "breakdown"))
    cut = view.cut_time()
    if cut is not None:
        sc = plan.scenario
        when = format_time(cut, getattr(sc, "time_unit", "min"), getattr(sc, "epoch", None))
        out.append(LegendEntry("cut", "re-plan cut time", tip=f"re-planned from {when}: what started before "
                               "it was kept, the rest was planned again"))
    return out


class GanttLegend(QWidget):
    """The legend strip of a Gantt view: entries laid out left to right, wrapping to more rows."""

    def __init__(self, view: Any) -> None:  # view: the GanttView
        super().__init__(view)
        self._view = view
        self._entries: list[LegendEntry] = []
        self._cache: tuple[int, list[tuple[LegendEntry, QRectF]]] | None = None  # (width, layout)
        self.wanted = True  #: shown when the planner wants it (View → Legend)
        self.setObjectName("ganttLegend")
        self.setMouseTracking(True)

    # -- reading (tests, the view) ---------------------------------------------------------
    def entries(self) -> list[LegendEntry]:
        return list(self._entries)

    def shown(self) -> list[LegendEntry]:
        """The entries drawn at the strip's present width (fewer groups named on a narrow view)."""
        return [e for e, _ in self._layout(self.width())]

    def keys(self) -> list[str]:
        """What the legend shows, in order (``group`` once per group named)."""
        return [e.key for e in self.shown()]

    def texts(self) -> list[str]:
        return [e.text for e in self.shown()]

    def refresh(self) -> bool:
        """Read what the view draws now; True when the legend changed."""
        return self.set_entries(legend_entries(self._view))

    def set_entries(self, entries: list[LegendEntry]) -> bool:
        """Show ``entries``; True when they differ from what was shown."""
        if entries == self._entries:
            return False
        self._entries = list(entries)
        self._cache = None
        self.update()
        return True

    # -- layout --------------------------------------------------------------------------------
    def _flow(self, entries: list[LegendEntry], width: int) -> list[tuple[LegendEntry, QRectF]]:
        """Each entry's rectangle (swatch and text), left to right, wrapping at ``width`` px."""
        fm = QFontMetrics(self.font())
        x, row, out = 6.0, 0, []
        for e in entries:
            w = _swatch_w(e) + fm.horizontalAdvance(e.text)
            if x > 6 and x + w > width - 4:
                x, row = 6.0, row + 1
            out.append((e, QRectF(x, 2 + row * ROW_H, w, ROW_H)))
            x += w + GAP
        return out

    def _layout(self, width: int) -> list[tuple[LegendEntry, QRectF]]:
        """The entries shown at ``width`` and where: as many groups as keep the strip to
        :data:`MAX_ROWS` rows (the others counted in ``+ k more``), every decoration."""
        if self._cache is not None and self._cache[0] == width:
            return self._cache[1]
        groups = [e for e in self._entries if e.key == "group"]
        hidden = sum(e.count for e in self._entries if e.key == "more")
        head = [e for e in self._entries if e.key == "title"]
        rest = [e for e in self._entries if e.key not in ("title", "group", "more")]
        for k in range(len(groups), -1, -1):
            n = hidden + len(groups) - k
            out = self._flow(head + groups[:k] + ([_more(n)] if n else []) + rest, width)
            if not out or out[-1][1].top() < 2 + MAX_ROWS * ROW_H - 1:
                break
        self._cache = (width, out)
        return out

    def height_for(self, width: int) -> int:
        """The strip's height at ``width`` (0 when there is nothing to explain)."""
        if not self._entries:
            return 0
        rows = 1 + max(int((r.top() - 2) // ROW_H) for _, r in self._layout(width))
        return rows * ROW_H + 4

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, self.height_for(max(100, self.width())))

    def entry_at(self, x: float, y: float) -> LegendEntry | None:
        for e, r in self._layout(self.width()):
            if r.contains(QPointF(x, y)):
                return e
        return None

    # -- painting ------------------------------------------------------------------------------
    def event(self, ev) -> bool:  # noqa: ANN001
        if ev.type() == ev.Type.ToolTip:
            e = self.entry_at(ev.pos().x(), ev.pos().y())
            self.setToolTip(e.tip or e.text if e is not None else "")
        return super().event(ev)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        self.paint_strip(p, self.width(), self.height())
        p.end()

    def paint_strip(self, p: QPainter, width: int, height: int) -> None:
        """The strip at ``width`` × ``height`` (the widget, and exported pictures of the Gantt)."""
        p.fillRect(QRectF(0, 0, width, height), QColor("#fbfbfb"))
        p.setPen(QColor("#d8d8d8"))
        p.drawLine(QPointF(0, height - 0.5), QPointF(width, height - 0.5))
        for e, r in self._layout(width):
            sw = QRectF(r.left(), r.top() + (ROW_H - SWATCH_H) / 2, SWATCH_W, SWATCH_H)
            if _swatch_w(e):
                self._paint_swatch(p, e, sw)
            p.setPen(QColor("#333"))
            left = r.left() + _swatch_w(e)
            p.drawText(QRectF(left, r.top(), r.right() - left + 1, ROW_H),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, e.text)

    def _paint_swatch(self, p: QPainter, e: LegendEntry, r: QRectF) -> None:
        """The swatch of ``e`` drawn as the Gantt draws the thing it explains."""
        border = QPen(QColor("#5c5c5c"), 0)
        if e.key == "group":
            p.fillRect(r, QColor(e.color))
            p.setPen(border)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(r)
        elif e.key == "setup":
            p.fillRect(r, SETUP_COLOR)
            p.fillRect(r, QBrush(QColor(80, 80, 80, 150), Qt.BrushStyle.BDiagPattern))
        elif e.key == "ghost":
            c = QColor("#888")
            c.setAlpha(45)
            p.setPen(QPen(QColor("#888"), 1, Qt.PenStyle.DashLine))
            p.setBrush(c)
            p.drawRect(r)
        elif e.key in ("break", "breakdown"):
            fill, hatch = window_brushes(e.key)
            p.fillRect(r, fill)
            p.fillRect(r, hatch)
        elif e.key == "cut":
            p.setPen(CUT_PEN)
            x = r.center().x()
            p.drawLine(QPointF(x, r.top() - 3), QPointF(x, r.bottom() + 3))
        elif e.key == "pinned":
            p.fillRect(r, QColor("#dddddd"))
            GanttPainting._paint_lock(p, r.left() + 1, r.top())
        else:  # an outline decoration, with the Gantt's pen
            style = next((d for d in DECORATIONS if d[0] == e.key), None)
            p.fillRect(r, QColor("#e8e8e8"))
            if style is not None:
                _, color, width, pen_style = style
                p.setPen(QPen(QColor(color), width, pen_style))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(r.adjusted(1, 1, -1, -1))


__all__ = ["MAX_GROUPS", "GanttLegend", "LegendEntry", "legend_entries"]
