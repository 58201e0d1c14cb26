"""The Gantt chart of the current schedule: one lane per resource, one bar per assignment.

:class:`GanttView` draws the plan held by a :class:`~opsplan.app.gui.document.PlanDocument`
and edits it only through the document's methods (each one undoable command);
it redraws when the document says it changed. Everything kind-specific comes
from the document's :class:`~opsplan.app.gui.adapters.KindAdapter`.

Performance design (20,000 bars open in well under a second, frames of a few ms):

* The scene holds one lightweight item per lane (plus the route polyline and the
  drag ghost), not one item per bar; the scene uses no index (``NoIndex``).
* Bars live in per-lane *tracks* of sorted numpy arrays (a track holds bars
  that do not overlap, so a lane with overlapping bars shows them stacked).
  A lane item paints only the bars in the exposed range, found by binary search.
* Level of detail: when the viewport shows more than :data:`VECTOR_LIMIT` bars
  each track is rasterised for the exposed pixel columns with numpy (which bar
  covers each column) and drawn as one stretched 1-pixel-high image; below the
  limit bars are drawn as vectors with borders, hatching and labels (labels
  only where the bar is wide enough for them).
* Scene x is pixels (``time * ppu``); zooming changes ``ppu`` and the lane
  items' widths instead of scaling the view, so text is never scaled and a
  zoom costs one repaint. Panning uses the view's scroll blit, so only the
  uncovered strip is painted. The time header and lane labels are separate
  widgets in the viewport margins, so they never smear when the view scrolls.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from opsplan.app.gui import timeaxis
from opsplan.app.gui.picture import write_picture
from opsplan.models.schedule import schedule_diff
from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeySequence,
    QPainter,
    QPen,
    QPolygonF,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QMenu,
    QToolTip,
    QWidget,
)

HEADER_H = 34  #: height of the time header (px)
TRACK_H = 22  #: height of one track of a lane
BAR_H = 16  #: height of a bar inside its track
LANE_PAD = 4  #: free space above and below the tracks of a lane
MARGIN = 12  #: free scene pixels left of time 0 and right of the horizon
SNAP_PX = 6  #: a dragged bar snaps to a preceding bar's end this close (px)
VECTOR_LIMIT = 700  #: above this many bars in view, bars are rasterised per pixel column
RICH_LIMIT = 150  #: up to this many bars in view, labels that do not fit are elided instead of left out
EXPORT_VECTOR_LIMIT = 6000
MAX_PPU = 400.0  #: pixels per time unit at the highest zoom
MAX_SCENE_PX = 4e8  #: scene width never exceeds this (scroll bars are ints)
SYNC_FEEDBACK_LIMIT = 4000  #: plans up to this many assignments get drag feedback synchronously
EXPORT_MAX_PX = {".png": 16000, ".svg": 16000, ".pdf": 14000}

#: qualitative palette first (no red: red marks violations; no grey: grey is setup), then golden-angle hues
_BASE_PALETTE = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
    "#86bcb6", "#8cd17d", "#a0cbe8", "#ffbe7d", "#d4a6c8", "#499894", "#d37295", "#b6992d",
)
SETUP_COLOR = QColor("#b4b4b4")
DOWNTIME_FILL = QColor(90, 90, 90, 38)
DOWNTIME_HATCH = QColor(90, 90, 90, 110)
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


def group_color(i: int) -> QColor:
    """Colour of the ``i``-th group: a hand-picked palette, then well-spread hues (stable per index)."""
    if i < 0:
        return QColor(SETUP_COLOR)
    if i < len(_BASE_PALETTE):
        return QColor(_BASE_PALETTE[i])
    k = i - len(_BASE_PALETTE)
    hue = (0.11 + k * 0.618033988749895) % 1.0
    return QColor.fromHsvF(hue, (0.45, 0.62, 0.35)[k % 3], (0.88, 0.72, 0.96)[(k // 3) % 3])


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _fmt_delta(v: float) -> str:
    if v == 0:
        return "±0"
    return f"{v:+d}" if float(v).is_integer() else f"{v:+.3g}"


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

    def __init__(self, view: GanttView, lane: _LaneData) -> None:
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

    def __init__(self, view: GanttView) -> None:
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


# --------------------------------------------------------------------------- margin widgets
class _Header(QWidget):
    """The time axis above the viewport (and the unit in the corner above the lane labels)."""

    def __init__(self, view: GanttView) -> None:
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

    def __init__(self, view: GanttView) -> None:
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


# --------------------------------------------------------------------------- the view
class GanttView(QGraphicsView):
    """Interactive Gantt chart of ``plan``'s current schedule.

    Signals
    -------
    timeRangeChanged(float, float): the visible time range (scenario units) changed.
    dragFeedback(dict): live result of the bar being dragged: ``task``, ``start``,
        ``lane``, ``target`` (lane under the mouse), ``forbidden``, ``violations``
        (count), ``violated_tasks``, ``kpi_delta`` (numeric KPIs, candidate minus
        current) and ``text`` (what the overlay shows, e.g. ``"makespan +12, 2 violations"``).
        An empty dict when the drag ends.
    previewChanged(bool): a preview (see :meth:`set_preview`) began (True) or ended (False).
    """

    timeRangeChanged = Signal(float, float)
    dragFeedback = Signal(dict)
    previewChanged = Signal(bool)

    def __init__(self, plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan = plan
        self._ppu = 1.0
        self._t_max = 1.0
        self._auto_fit = True
        self._frame_vector = True
        self._frame_rich = True
        self._frame_raster: tuple | None = None
        self._flat: list = []
        self._static: dict[str, tuple[QStaticText, float, str]] = {}
        self._lanes: list[_LaneData] = []
        self._lane_ys: list[float] = []
        self._lane_by_id: dict[str, _LaneData] = {}
        self._items: list[_LaneItem] = []
        self._total_h = 0.0
        self._where: dict[str, tuple[int, int, int]] = {}
        self._sets: dict[str, frozenset[str]] = {}
        self._routes: list[list[str]] = []
        self._colors: list[QColor] = []
        self._text_colors: list[QColor] = []
        self._label_w = 150
        self._show_critical = False
        self._compare_name: str | None = None
        self._compare_diff: dict[str, str] = {}
        self._built_key: tuple | None = None  # (document, schedule name, preview) drawn now
        self._preview: Any = None  # a schedule drawn instead of the current one (view state only)
        self._preview_of: tuple | None = None  # (document, schedule name) the preview was made for
        self._build_serial = 0
        self._slack_cache: tuple[Any, Any, dict] = (None, None, {})
        self._count_cache: tuple | None = None
        self._last_range: tuple[float, float] | None = None
        self._press: _Press | None = None
        self._drag: _Drag | None = None
        self._pan_from: QPointF | None = None
        self._quiet_depth = 0

        scene = QGraphicsScene(self)
        scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setScene(scene)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState
                                  | QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setInteractive(False)  # the view handles mouse and keys itself; no per-item hover lookups
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.viewport().setMouseTracking(True)
        self._bar_font = QFont(self.font())
        self._bar_font.setPointSizeF(max(6.5, self.font().pointSizeF() * 0.85))
        self._pens = {name: self._make_pen(c, w, s) for name, c, w, s in DECORATIONS}
        # opaque pens only: Qt strokes translucent pens through a path (about ten times slower)
        self._border_pen = QPen(QColor("#5c5c5c"), 0)
        self._hatch = QBrush(QColor(80, 80, 80, 150), Qt.BrushStyle.BDiagPattern)
        self._downtime_hatch = QBrush(DOWNTIME_HATCH, Qt.BrushStyle.BDiagPattern)

        self._header = _Header(self)
        self._label_col = _LaneLabels(self)
        self._overlay = QLabel(self.viewport())
        self._overlay.setObjectName("dragOverlay")
        self._overlay.setStyleSheet("QLabel { background: rgba(255,255,224,235); border: 1px solid #999;"
                                    " padding: 2px 5px; color: #111; }")
        self._overlay.hide()
        self._route_item = _RouteItem(self)
        scene.addItem(self._route_item)
        self._ghost = _GhostItem()
        self._ghost.hide()
        scene.addItem(self._ghost)
        self._feedback_timer = QTimer(self)
        self._feedback_timer.setSingleShot(True)
        self._feedback_timer.setInterval(0)
        self._feedback_timer.timeout.connect(self._compute_feedback)

        self.horizontalScrollBar().valueChanged.connect(self._on_hscroll)
        self.verticalScrollBar().valueChanged.connect(self._label_col.update)
        plan.changed.connect(self._rebuild)
        plan.scheduleRenamed.connect(self._follow_rename)
        plan.currentChanged.connect(self._rebuild)
        plan.selectionChanged.connect(self._on_selection)
        self._rebuild()

    @staticmethod
    def _make_pen(color: str, width: float, style: Qt.PenStyle) -> QPen:
        pen = QPen(QColor(color), width, style)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        return pen

    # ------------------------------------------------------------------ public API
    @property
    def plan(self):
        return self._plan

    def pixels_per_unit(self) -> float:
        """Current horizontal zoom: pixels per time unit."""
        return self._ppu

    def label_width(self) -> int:
        """Width of the lane-label column (the resource view aligns its plot with it)."""
        return self._label_w

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

    def visible_time_range(self) -> tuple[float, float]:
        """``(t0, t1)``: the time range (scenario units) spanned by the viewport."""
        left = self.mapToScene(QPoint(0, 0)).x()
        return left / self._ppu, (left + self.viewport().width()) / self._ppu

    def set_visible_time_range(self, t0: float, t1: float) -> None:
        """Zoom and scroll so that ``[t0, t1]`` fills the viewport."""
        if t1 <= t0:
            return
        self._auto_fit = False
        with self._quiet():
            self._set_ppu(self.viewport().width() / (t1 - t0))
            self._scroll_time_to(t0, 0.0)
        self._emit_range()

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        """Zoom horizontally by ``factor`` keeping the time under viewport x ``anchor_x`` (default: centre) fixed."""
        if factor <= 0:
            raise ValueError("zoom factor must be positive")
        ax = self.viewport().width() / 2 if anchor_x is None else float(anchor_x)
        t = (self._scene_left() + ax) / self._ppu
        self._auto_fit = False
        with self._quiet():
            self._set_ppu(self._ppu * factor)
            self._scroll_time_to(t, ax)
        self._emit_range()

    def fit_to_window(self) -> None:
        """Zoom so that the whole plan fits the viewport's width."""
        self._auto_fit = True
        with self._quiet():
            self._set_ppu(max(1.0, self.viewport().width() - 2 * MARGIN) / self._t_max)
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())
        self._emit_range()

    def pan_by(self, dx_px: float) -> None:
        """Scroll horizontally by ``dx_px`` viewport pixels."""
        self._auto_fit = False
        bar = self.horizontalScrollBar()
        bar.setValue(bar.value() + round(dx_px))

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

    def assignment_at(self, pos: QPoint | QPointF) -> Any | None:
        """The assignment drawn under viewport position ``pos`` (work preferred over setup), or None."""
        hit = self._hit(self._to_scene(pos))
        if hit is None:
            return None
        li, ti, i = hit
        return self._lanes[li].tracks[ti].items[i]

    def bar_rect(self, task: str) -> QRectF:
        """Viewport rectangle of ``task``'s work bar (empty when not drawn)."""
        w = self._where.get(task)
        if w is None:
            return QRectF()
        li, ti, i = w
        ld = self._lanes[li]
        tr = ld.tracks[ti]
        x0 = tr.starts[i] * self._ppu
        x1 = max(tr.ends[i] * self._ppu, x0 + 1)
        left = self._scene_left()
        top = self.mapToScene(QPoint(0, 0)).y()
        return QRectF(x0 - left, ld.y + _bar_y(ti) - top, x1 - x0, BAR_H)

    def lane_center_y(self, lane: str) -> float:
        """Viewport y of the middle of ``lane``'s first track."""
        ld = self._lane_by_id[lane]
        return ld.y + _bar_y(0) + BAR_H / 2 - self.mapToScene(QPoint(0, 0)).y()

    def x_of_time(self, t: float) -> float:
        """Viewport x of time ``t``."""
        return t * self._ppu - self._scene_left()

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

    def export_image(self, path: str | Path) -> Path:
        """Write the whole chart (header, labels, every lane) as .png, .svg or .pdf, chosen by extension."""
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in EXPORT_MAX_PX:
            raise ValueError(f"cannot export {path.name}: use .png, .svg or .pdf")
        ppu = min(self._ppu, (EXPORT_MAX_PX[ext] - self._label_w - 2 * MARGIN) / self._t_max)
        width = math.ceil(self._label_w + self._t_max * ppu + 2 * MARGIN)
        height = math.ceil(HEADER_H + self._total_h + 1)
        def paint(p: QPainter) -> None:
            self._paint_export(p, ppu, width, height)

        return write_picture(path, width, height, paint, self._title(), "OpsPlan Gantt chart")

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
                from opsplan.app.gui.adapters import Lane

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
        self.setViewportMargins(self._label_w, HEADER_H, 0, 0)
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

    # ------------------------------------------------------------------ geometry
    def _update_geometry(self) -> None:
        plan = self._plan
        t_max = plan.schedule.makespan if plan.schedule is not None else 0
        if self._compare_name:
            other = plan.doc.schedule(self._compare_name)
            if other is not None:
                t_max = max(t_max, other.makespan)
        if t_max <= 0:  # nothing planned yet: show the calendar windows, or a default span
            t_max = max((w[1] for ld in self._lanes for w in ld.windows), default=0) or 100
        self._t_max = max(1.0, t_max * 1.02 + 1)
        self._set_ppu(self._ppu, force=True)

    def _ppu_bounds(self) -> tuple[float, float]:
        vw = max(50, self.viewport().width())
        lo = (vw - 2 * MARGIN) / self._t_max / 4
        hi = max(lo, min(MAX_PPU, MAX_SCENE_PX / self._t_max))
        return lo, hi

    def _set_ppu(self, ppu: float, force: bool = False) -> None:
        lo, hi = self._ppu_bounds()
        ppu = min(max(ppu, lo), hi)
        if ppu == self._ppu and not force:
            return
        self._ppu = ppu
        w = self._t_max * ppu
        for it in self._items:
            it.set_width(w)
        rect = QRectF(-MARGIN, 0, w + 2 * MARGIN, max(1.0, self._total_h))
        self._route_item.set_rect(rect)
        self.scene().setSceneRect(rect)
        self.setSceneRect(rect)
        self._count_cache = None
        if self._drag is not None:
            self._update_ghost()
        self.viewport().update()

    def _scene_left(self) -> float:
        return float(self.mapToScene(QPoint(0, 0)).x())

    def _scroll_time_to(self, t: float, vx: float) -> None:
        bar = self.horizontalScrollBar()
        # scene x = viewport x + scroll value (identity transform, left alignment)
        offset = self._scene_left() - bar.value()
        bar.setValue(round(t * self._ppu - vx - offset))

    def _to_scene(self, pos: QPoint | QPointF) -> QPointF:
        p = pos.toPoint() if isinstance(pos, QPointF) else pos
        frac = (pos.x() - p.x(), pos.y() - p.y()) if isinstance(pos, QPointF) else (0.0, 0.0)
        sp = self.mapToScene(p)
        return QPointF(sp.x() + frac[0], sp.y() + frac[1])

    def _emit_range(self) -> None:
        r = self.visible_time_range()
        if r != self._last_range:
            self._last_range = r
            self._header.update()
            self.timeRangeChanged.emit(r[0], r[1])

    def _on_hscroll(self, _value: int) -> None:
        if not self._quiet_depth:
            self._emit_range()

    @contextmanager
    def _quiet(self):
        """Hold back timeRangeChanged while a zoom passes through intermediate scroll positions."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def _place_margin_widgets(self) -> None:
        cr = self.contentsRect()
        vp = self.viewport().geometry()
        self._header.setGeometry(cr.left(), cr.top(), vp.right() - cr.left() + 1, HEADER_H)
        self._label_col.setGeometry(cr.left(), vp.top(), self._label_w, vp.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_margin_widgets()
        if self._auto_fit:
            self.fit_to_window()
        else:
            self._set_ppu(self._ppu, force=True)
            self._emit_range()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        super().scrollContentsBy(dx, dy)
        if dx:
            self._header.update()
        if dy:
            self._label_col.update()

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
            if getattr(ld.lane, "capacity", 1) not in (1, None):
                text = f"{text} (×{ld.lane.capacity})"
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
            for ws, we, _ in ld.windows[:k]:
                if we <= t_lo:
                    continue
                r = QRectF(ws * ppu, 0, max(1.0, (we - ws) * ppu), h)
                p.fillRect(r, DOWNTIME_FILL)
                p.fillRect(r, self._downtime_hatch)
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

    def _paint_export(self, p: QPainter, ppu: float, width: int, height: int) -> None:
        p.setFont(self.font())
        p.fillRect(QRectF(0, 0, width, height), QColor("white"))
        lw = self._label_w
        plot_w = width - lw
        # header
        p.fillRect(QRectF(0, 0, width, HEADER_H), QColor("#f4f4f4"))
        p.save()
        p.translate(lw, 0)
        p.setClipRect(QRectF(0, 0, plot_w, HEADER_H))
        self._paint_axis(p, plot_w, -MARGIN / ppu, ppu)
        p.restore()
        p.setPen(QColor("#555"))
        p.drawText(QRectF(6, 0, lw - 10, HEADER_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                   self._corner_text())
        p.setPen(QColor("#c8c8c8"))
        p.drawLine(QLineF(0, HEADER_H - 0.5, width, HEADER_H - 0.5))
        # labels
        p.save()
        p.setClipRect(QRectF(0, HEADER_H, lw, height - HEADER_H))
        self._paint_labels(p, lw, HEADER_H, 0, self._total_h)
        p.restore()
        p.setPen(QColor("#c8c8c8"))
        p.drawLine(QLineF(lw - 0.5, 0, lw - 0.5, height))
        # lanes
        n_bars = sum(ld.n_bars for ld in self._lanes)
        vector = n_bars <= EXPORT_VECTOR_LIMIT
        x_hi = self._t_max * ppu + MARGIN
        p.save()
        p.translate(lw + MARGIN, HEADER_H)
        p.setClipRect(QRectF(-MARGIN, 0, x_hi + MARGIN, self._total_h))
        for ld in self._lanes:
            if ld.index % 2:
                p.fillRect(QRectF(-MARGIN, ld.y, x_hi + MARGIN, ld.height), STRIPE)
        self._paint_grid(p, -MARGIN, x_hi, 0, self._total_h, ppu)
        for ld in self._lanes:
            p.save()
            p.translate(0, ld.y)
            self._paint_lane(p, ld, -MARGIN, x_hi, ppu, vector, rich=vector)
            p.restore()
        self._paint_routes(p, ppu, 0.0)
        p.restore()

    # ------------------------------------------------------------------ events
    def viewportEvent(self, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(event.pos()) if self._drag is None else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
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
        if "makespan" in delta:
            parts.append(f"makespan {_fmt_delta(delta['makespan'])}")
        objective = str(plan.kpis().get("objective", ""))
        if objective and objective != "makespan" and "objective_value" in delta:
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


__all__ = ["GanttView", "group_color", "schedule_diff"]
