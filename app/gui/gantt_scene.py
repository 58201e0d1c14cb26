"""The Gantt's model of the plan: lanes, tracks, colour groups and decorated bars.

:class:`GanttScene` is the part of :class:`~opsplan.app.gui.gantt.GanttView` that turns the
document's current schedule (or a preview) into what is drawn: one :class:`_LaneData` per
adapter lane holding its bars in *tracks* of sorted numpy arrays (bars of a track do not
overlap, so a lane with overlapping bars shows them stacked), the flat per-frame index of
every track's bars, and the decoration sets (selected, route, critical, violations, moved,
reassigned, pinned). It also holds the scene items: one lightweight item per lane and the
route polyline (the scene holds no item per bar). Painting is
:mod:`~opsplan.app.gui.gantt_paint`'s. Everything kind-specific comes from the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from opsplan.app.gui import timeaxis
from opsplan.app.gui.adapters import Lane
from opsplan.models.schedule import schedule_diff
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QGraphicsItem

HEADER_H = 34  #: height of the time header (px)
TRACK_H = 22  #: height of one track of a lane
BAR_H = 16  #: height of a bar inside its track
LANE_PAD = 4  #: free space above and below the tracks of a lane
MARGIN = 12  #: free scene pixels left of time 0 and right of the horizon

#: qualitative palette first (no red: red marks violations; no grey: grey is setup), then golden-angle hues
_BASE_PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#86bcb6", "#8cd17d", "#a0cbe8", "#ffbe7d", "#d4a6c8", "#499894", "#d37295", "#b6992d",
)
SETUP_COLOR = QColor("#b4b4b4")


def group_color(i: int) -> QColor:
    """Colour of the ``i``-th group: a hand-picked palette, then well-spread hues (stable per index)."""
    if i < 0:
        return QColor(SETUP_COLOR)
    if i < len(_BASE_PALETTE):
        return QColor(_BASE_PALETTE[i])
    k = i - len(_BASE_PALETTE)
    hue = (0.11 + k * 0.618033988749895) % 1.0
    return QColor.fromHsvF(hue, (0.45, 0.62, 0.35)[k % 3], (0.88, 0.72, 0.96)[(k // 3) % 3])


# --------------------------------------------------------------------------- layout data
_EMPTY = np.zeros(0, dtype=np.int64)


class _Track:
    """Bars of one lane that do not overlap, sorted by start (so their ends are sorted too)."""

    __slots__ = ("starts", "ends", "setup", "gi", "argb", "dark", "items", "deco", "flat")

    def __init__(self, items: list, gis: list[int], palette_argb: np.ndarray, palette_dark: np.ndarray) -> None:
        self.items = items
        self.starts = np.fromiter((a.start for a in items), dtype=np.int64, count=len(items))
        self.ends = np.fromiter((max(a.end, a.start) for a in items), dtype=np.int64, count=len(items))
        self.gi = np.asarray(gis, dtype=np.int64)
        self.setup = self.gi < 0
        safe = np.where(self.setup, 0, self.gi)
        self.argb = np.where(self.setup, np.uint32(SETUP_COLOR.rgba()), palette_argb[safe]).astype(np.uint32)
        self.dark = np.where(self.setup, np.uint32(SETUP_COLOR.darker(135).rgba()), palette_dark[safe]).astype(
            np.uint32)
        self.deco: dict[str, np.ndarray] = {}
        self.flat = -1  #: index among all tracks of the view (for the per-frame raster)

    def visible(self, t_lo: float, t_hi: float) -> tuple[int, int]:
        """Index range of the bars sharing time with ``[t_lo, t_hi]``."""
        return int(np.searchsorted(self.ends, t_lo, "right")), int(np.searchsorted(self.starts, t_hi, "left"))


@dataclass
class _LaneData:
    lane: Any  # adapters.Lane
    index: int
    y: float = 0.0
    height: float = TRACK_H + 2 * LANE_PAD
    tracks: list[_Track] = field(default_factory=list)
    windows: list[tuple[int, int, str]] = field(default_factory=list)
    win_starts: list[int] = field(default_factory=list)
    ghosts: list[tuple[int, int, str]] = field(default_factory=list)
    n_bars: int = 0


def _start_end(a: Any) -> tuple[int, int]:
    return a.start, a.end


def _bar_y(track: int) -> float:
    return LANE_PAD + track * TRACK_H + (TRACK_H - BAR_H) / 2


def _assign_tracks(items: list) -> list[list]:
    """Greedy interval partitioning of ``items`` (sorted by start) into non-overlapping tracks."""
    tracks: list[list] = []
    ends: list[int] = []
    for a in items:
        for k, e in enumerate(ends):
            if e <= a.start:
                tracks[k].append(a)
                ends[k] = max(a.end, a.start)
                break
        else:
            tracks.append([a])
            ends.append(max(a.end, a.start))
    return tracks or [[]]


# --------------------------------------------------------------------------- scene items
class _LaneItem(QGraphicsItem):
    """One lane: paints its stripe, downtime, ghosts, bars and decorations in the exposed range."""

    def __init__(self, view: Any, lane: _LaneData) -> None:  # view: the GanttView
        super().__init__()
        self._view, self.lane = view, lane
        self._w = 0.0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.setPos(0, lane.y)

    def set_width(self, w: float) -> None:
        if w != self._w:
            self.prepareGeometryChange()
            self._w = w

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(-MARGIN, 0, self._w + 2 * MARGIN, self.lane.height)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        r = option.exposedRect
        v = self._view
        v._paint_lane(painter, self.lane, r.left(), r.right(), v._ppu, v._frame_vector, v._frame_rich)


class _RouteItem(QGraphicsItem):
    """Polylines through the bars of the selected routes, in route order."""

    def __init__(self, view: Any) -> None:  # view: the GanttView
        super().__init__()
        self._view = view
        self._rect = QRectF()
        self.setZValue(10)

    def set_rect(self, r: QRectF) -> None:
        if r != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(r)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        self._view._paint_routes(painter, self._view._ppu, 0.0)


# --------------------------------------------------------------------------- the mixin
class GanttScene:
    """What the Gantt draws, built from the plan (a mixin of :class:`~opsplan.app.gui.gantt.GanttView`)."""

    def lane_ids(self) -> list[str]:
        """Lane ids top to bottom."""
        return [ld.lane.id for ld in self._lanes]

    def bars(self, category: str | None = None) -> list:
        """Every assignment drawn, lane by lane (only ``category`` ones when given)."""
        out = []
        for ld in self._lanes:
            for tr in ld.tracks:
                out.extend(a for a in tr.items if category is None or a.category == category)
        return out

    def set_preview(self, schedule: Any | None) -> None:
        """Draw ``schedule`` instead of the current schedule (None: back to the current one).

        A preview is view state, not a document change: the document, the undo
        stack and the axis (still scaled to the current schedule) stay as they
        are; bars cannot be dragged while it shows. It ends by itself when the
        document changes or another schedule becomes current.
        """
        plan = self._plan
        was = self._preview is not None
        self._preview = schedule
        self._preview_of = (plan.doc, plan.current_name) if schedule is not None else None
        self._built_key = None
        self._rebuild()
        if was != (schedule is not None):
            self.previewChanged.emit(schedule is not None)

    def preview(self) -> Any | None:
        """The schedule drawn as a preview, or None when the current schedule is drawn."""
        return self._preview

    def highlighted(self, kind: str) -> frozenset[str]:
        """Tasks drawn with decoration ``kind``: ``selected``, ``route``, ``critical``, ``violations``,
        ``drag_violations``, ``moved``, ``reassigned`` or ``pinned``."""
        return self._sets.get(kind, frozenset())

    def routes(self) -> list[list[str]]:
        """The task sequences drawn as polylines (the selected routes)."""
        return [list(r) for r in self._routes]

    def set_show_critical_path(self, on: bool) -> None:
        """Outline the bars of the adapter's critical path."""
        self._show_critical = bool(on)
        self._refresh_critical()
        self.viewport().update()

    def show_critical_path(self) -> bool:
        return self._show_critical

    def set_compare_with(self, name: str | None) -> None:
        """Highlight what differs from the schedule called ``name`` (None: stop comparing)."""
        name = name or None
        if name is not None and self._plan.doc.schedule(name) is None:
            raise ValueError(f"no schedule called {name!r}")
        self._compare_name = name
        self._refresh_compare()
        self._update_geometry()
        self.viewport().update()

    def compare_with(self) -> str | None:
        return self._compare_name

    def _follow_rename(self, old: str, new: str) -> None:
        if self._compare_name == old:  # keep comparing with the same plan under its new name
            self._compare_name = new

    def compare_diff(self) -> dict[str, str]:
        """Task -> ``'moved'``/``'reassigned'``/``'added'``/``'removed'`` against the compared schedule."""
        return dict(self._compare_diff)

    def cut_time(self) -> int | None:
        """The cut time of the plan drawn when it is a re-plan after a disruption (a dashed line), else None."""
        return self._cut

    # ------------------------------------------------------------------ the legend
    def legend(self) -> Any:
        """The legend strip above the time header (a :class:`~opsplan.app.gui.legend.GanttLegend`)."""
        return self._legend

    def set_legend_visible(self, on: bool) -> None:
        """Show or hide the legend (View → Legend)."""
        self._legend.wanted = bool(on)
        self._place_margin_widgets()

    def legend_visible(self) -> bool:
        return self._legend.wanted

    def _legend_height(self) -> int:
        lg = self._legend
        return lg.height_for(self.viewport().geometry().right() - self.contentsRect().left() + 1) if lg.wanted else 0

    def _place_legend(self) -> int:
        """Put the legend above the time header (the viewport's top margin makes room); its height."""
        h = self._legend_height()
        if self.viewportMargins().top() != HEADER_H + h or self.viewportMargins().left() != self._label_w:
            self.setViewportMargins(self._label_w, HEADER_H + h, 0, 0)
        cr = self.contentsRect()
        self._legend.setGeometry(cr.left(), cr.top(), self.viewport().geometry().right() - cr.left() + 1, h)
        self._legend.setVisible(h > 0)
        return h

    def _refresh_legend(self) -> None:
        if self._legend.refresh():
            self._place_margin_widgets()  # it may need another row (or none)

    # ------------------------------------------------------------------ building
    def _title(self) -> str:
        sc = self._plan.scenario
        return f"{getattr(sc, 'name', '') or 'plan'} - {self._plan.current_name or 'no schedule'}"

    def _corner_text(self) -> str:
        sc = self._plan.scenario
        ep = timeaxis.parse_epoch(getattr(sc, "epoch", None))
        unit = str(getattr(getattr(sc, "time_unit", "min"), "value", getattr(sc, "time_unit", "min")))
        return ep.strftime("%d %b %Y") if ep else f"time ({unit})"

    def _rebuild(self, *_args) -> None:
        plan = self._plan
        ended = False
        if self._preview is not None and (self._preview_of[0] is not plan.doc
                                          or self._preview_of[1] != plan.current_name):
            self._preview, self._preview_of, ended = None, None, True  # the document moved on
        if (self._built_key is not None and self._built_key[0] is plan.doc
                and self._built_key[1] == plan.current_name and self._built_key[2] is self._preview):
            return
        self._built_key = (plan.doc, plan.current_name, self._preview)
        self._build(plan)
        if ended:
            self.previewChanged.emit(False)

    def _build(self, plan) -> None:  # noqa: ANN001 - PlanDocument
        self._build_serial += 1
        if self._drag is not None:
            self._end_drag()
        self._press = None
        sc, ad = plan.scenario, plan.adapter
        s = self._preview if self._preview is not None else plan.schedule
        self._cut = s.replanned_at if s is not None else None
        lanes = list(ad.lanes(sc))
        groups = list(ad.groups(sc))
        gindex = {g: i for i, g in enumerate(groups)}
        # bars of groups that are gone (every job removed) are drawn grey, never indexed past the list
        self._colors = [group_color(i) for i in range(len(groups))] or [QColor("#9e9e9e")]
        self._text_colors = [QColor("#111") if c.lightnessF() > 0.55 else QColor("white") for c in self._colors]
        palette = np.fromiter((c.rgba() for c in self._colors), dtype=np.uint32, count=len(self._colors))
        dark = np.fromiter((c.darker(145).rgba() for c in self._colors), dtype=np.uint32, count=len(self._colors))
        self._static = {}
        self._slack_cache = (None, None, {})
        self._count_cache = None

        per_lane: dict[str, list] = {ln.id: [] for ln in lanes}
        extra: list[str] = []
        group_of: dict[str, int] = {}
        assignments = s.assignments if s is not None else ()
        for a in assignments:
            lst = per_lane.get(a.resource)
            if lst is None:  # a resource the scenario does not know: still show it, at the bottom
                lanes.append(Lane(a.resource, f"? {a.resource}"))
                lst = per_lane[a.resource] = []
                extra.append(a.resource)
            lst.append(a)
        self._lanes, self._where = [], {}
        y = 0.0
        for li, ln in enumerate(lanes):
            ld = _LaneData(ln, li)
            items = per_lane[ln.id]
            items.sort(key=_start_end)
            for ti, tr_items in enumerate(_assign_tracks(items)):
                gis = []
                for a in tr_items:
                    if a.category == "work":
                        g = group_of.get(a.task)
                        if g is None:
                            g = group_of[a.task] = gindex.get(ad.group_of(sc, a.task), 0)
                        gis.append(g)
                    else:
                        gis.append(-1)
                tr = _Track(tr_items, gis, palette, dark)
                for i, a in enumerate(tr_items):
                    if a.category == "work":
                        self._where[a.task] = (li, ti, i)
                ld.tracks.append(tr)
            ld.n_bars = len(items)
            ld.windows = sorted((int(w.start), int(w.end), str(getattr(w, "reason", "") or ""))
                                for w in ln.windows)
            ld.win_starts = [w[0] for w in ld.windows]
            ld.y = y
            ld.height = 2 * LANE_PAD + TRACK_H * max(1, len(ld.tracks))
            y += ld.height
            self._lanes.append(ld)
        self._total_h = y
        self._lane_ys = [ld.y for ld in self._lanes]
        self._lane_by_id = {ld.lane.id: ld for ld in self._lanes}
        self._index_tracks()

        fm = QFontMetrics(self.font())
        widest = max((fm.horizontalAdvance(ld.lane.label) for ld in self._lanes), default=60)
        self._label_w = int(min(240, max(90, widest + 26)))

        scene = self.scene()
        for it in self._items:
            scene.removeItem(it)
        self._items = []
        for ld in self._lanes:
            it = _LaneItem(self, ld)
            scene.addItem(it)
            self._items.append(it)

        if self._compare_name is not None and plan.doc.schedule(self._compare_name) is None:
            self._compare_name = None
        self._refresh_compare()
        self._refresh_sets()
        self._update_geometry()
        self._place_margin_widgets()
        if self._auto_fit:
            self.fit_to_window()
        self._header.update()
        self._label_col.update()
        self.viewport().update()

    def _refresh_sets(self) -> None:
        plan = self._plan
        where = self._where
        self._set_deco("violations", {o for v in plan.violations() for o in getattr(v, "objects", ()) if o in where})
        self._set_deco("pinned", {t for t in plan.pinned() if t in where})
        self._set_deco("drag_violations", ())
        self._apply_selection(plan.selection)
        self._refresh_critical()

    def _refresh_critical(self) -> None:
        plan = self._plan
        tasks: Iterable[str] = ()
        if self._show_critical and plan.schedule is not None:
            try:
                tasks = plan.adapter.critical_path(plan.scenario, plan.schedule)
            except Exception:  # an infeasible hand edit may have no critical path
                tasks = ()
        self._set_deco("critical", tasks)
        self._refresh_legend()

    def _refresh_compare(self) -> None:
        plan = self._plan
        for ld in self._lanes:
            ld.ghosts = []
        diff: dict[str, str] = {}
        other = plan.doc.schedule(self._compare_name) if self._compare_name else None
        if other is not None and plan.schedule is not None:
            fn = getattr(plan.adapter, "diff", None)
            diff = dict(fn(other, plan.schedule)) if callable(fn) else schedule_diff(other, plan.schedule)
            old = other.by_task()
            for t, kind in diff.items():
                a = old.get(t)
                if a is not None and kind in ("moved", "reassigned") and a.resource in self._lane_by_id:
                    self._lane_by_id[a.resource].ghosts.append((a.start, max(a.end, a.start), kind))
        self._compare_diff = diff
        self._set_deco("moved", [t for t, k in diff.items() if k == "moved"])
        self._set_deco("reassigned", [t for t, k in diff.items() if k == "reassigned"])
        self._refresh_legend()

    def _set_deco(self, name: str, tasks: Iterable[str]) -> None:
        tasks = frozenset(t for t in tasks if t in self._where)
        self._sets[name] = tasks
        per: dict[tuple[int, int], list[int]] = {}
        for t in tasks:
            li, ti, i = self._where[t]
            per.setdefault((li, ti), []).append(i)
        for ld in self._lanes:
            for ti, tr in enumerate(ld.tracks):
                idx = per.get((ld.index, ti))
                if idx:
                    tr.deco[name] = np.array(sorted(idx), dtype=np.int64)
                else:
                    tr.deco.pop(name, None)

    def _apply_selection(self, selection: list[str]) -> None:
        plan = self._plan
        sel = [t for t in selection if t in self._where]
        route: set[str] = set()
        routes: list[list[str]] = []
        seen: set[tuple[str, ...]] = set()
        for t in sel[:200]:
            try:
                rel = tuple(plan.adapter.related(plan.scenario, t))
            except Exception:
                rel = (t,)
            route.update(rel)
            if rel not in seen and len(rel) > 1 and len(routes) < 32:
                seen.add(rel)
                routes.append([x for x in rel if x in self._where])
        self._routes = routes
        self._set_deco("selected", sel)
        self._set_deco("route", route - set(sel))

    def _on_selection(self, selection: list) -> None:
        self._apply_selection(list(selection))
        self.viewport().update()

    def _slack(self) -> dict[str, int]:
        plan = self._plan
        s, sc = plan.schedule, plan.scenario
        if s is None:
            return {}
        cs, csc, val = self._slack_cache
        if cs is not s or csc is not sc:
            try:
                val = plan.adapter.slack(sc, s)
            except Exception:
                val = {}
            self._slack_cache = (s, sc, val)
        return val

    def _index_tracks(self) -> None:
        """Concatenate every track's bars, keyed ``track * span + time``, for per-frame vector maths."""
        flat = [(ld, ti, tr) for ld in self._lanes for ti, tr in enumerate(ld.tracks)]
        for k, (_, _, tr) in enumerate(flat):
            tr.flat = k
        self._flat = flat
        sizes = np.array([len(tr.starts) for _, _, tr in flat], dtype=np.int64)
        def cat(name: str, dtype) -> np.ndarray:
            arrays = [getattr(tr, name) for _, _, tr in flat]
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)
        self._g_starts = cat("starts", np.float64)
        self._g_ends = cat("ends", np.float64)
        self._g_argb = cat("argb", np.uint32)
        self._g_dark = cat("dark", np.uint32)
        hi = float(max(self._g_ends.max(initial=0.0), self._g_starts.max(initial=0.0)))
        self._g_span = span = 2.0 * (hi + 1.0)
        offset = np.repeat(np.arange(len(flat), dtype=np.float64) * span, sizes)
        self._g_skey = self._g_starts + offset
        self._g_ekey = self._g_ends + offset
        self._g_lane_top = np.array([ld.y for ld, _, _ in flat], dtype=np.float64)
        self._g_lane_bottom = np.array([ld.y + ld.height for ld, _, _ in flat], dtype=np.float64)
        self._frame_raster = None


__all__ = ["BAR_H", "HEADER_H", "LANE_PAD", "MARGIN", "SETUP_COLOR", "TRACK_H", "GanttScene", "group_color"]
