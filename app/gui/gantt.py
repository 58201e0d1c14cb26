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

The view composes four parts, one module each:

* :mod:`~opsplan.app.gui.gantt_scene` — lanes, tracks and decoration sets built from the plan;
* :mod:`~opsplan.app.gui.gantt_paint` — painting and level of detail;
* :mod:`~opsplan.app.gui.gantt_interaction` — hit testing, tooltips, context menu, dragging;
* :mod:`~opsplan.app.gui.gantt_export` — pictures (PNG, SVG, PDF);

and keeps here what ties them: the zoom (pixels per time unit), scrolling and the
mapping between time and viewport.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from opsplan.app.gui.gantt_export import EXPORT_MAX_PX, EXPORT_VECTOR_LIMIT, GanttExport
from opsplan.app.gui.gantt_interaction import (
    KEYS_HELP,
    SNAP_PX,
    SYNC_FEEDBACK_LIMIT,
    GanttInteraction,
    _Drag,
    _GhostItem,
    _Press,
)
from opsplan.app.gui.gantt_paint import (
    DECORATIONS,
    DOWNTIME_HATCH,
    RICH_LIMIT,
    VECTOR_LIMIT,
    GanttPainting,
    _Header,
    _LaneLabels,
)
from opsplan.app.gui.gantt_scene import (
    BAR_H,
    HEADER_H,
    LANE_PAD,
    MARGIN,
    TRACK_H,
    GanttScene,
    _bar_y,
    _LaneData,
    _LaneItem,
    _RouteItem,
    group_color,
)
from opsplan.app.gui.legend import GanttLegend
from opsplan.models.schedule import schedule_diff
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QStaticText
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel, QWidget

MAX_PPU = 400.0  #: pixels per time unit at the highest zoom
MAX_SCENE_PX = 4e8  #: scene width never exceeds this (scroll bars are ints)


# --------------------------------------------------------------------------- the view
class GanttView(GanttInteraction, GanttPainting, GanttScene, GanttExport, QGraphicsView):
    """Interactive Gantt chart of ``plan``'s current schedule.

    Signals
    -------
    timeRangeChanged(float, float): the visible time range (scenario units) changed.
    dragFeedback(dict): live result of the bar being dragged: ``task``, ``start``,
        ``lane``, ``target`` (lane under the mouse), ``forbidden``, ``violations``
        (count), ``violated_tasks``, ``kpi_delta`` (numeric KPIs, candidate minus
        current), ``named_violations`` (the moved bar's violations in words: ``"clashes with X on
        Lane 06:10–06:40"``) and ``text`` (what the overlay shows, e.g. ``"makespan +12, 2 violations"``
        and a line per named violation).
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
        self._cut: int | None = None  # the drawn plan's re-plan cut time
        self._legend = GanttLegend(self)
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
        plan.selectionChanged.connect(self._follow_selection)  # bars chosen in another view come into sight
        self.last_note = ""  # the latest refused keyboard nudge, as said beside its bar
        self.setStatusTip(KEYS_HELP)
        self._rebuild()

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

    def content_height(self) -> int:
        """The view height that shows every lane without scrolling (header, lanes, frame and the
        horizontal scroll bar): what the board gives the Gantt when it can."""
        bar = self.horizontalScrollBar().sizeHint().height()
        return int(HEADER_H + self._legend_height() + self._total_h + 2 * self.frameWidth() + bar + 2)

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
        top = self._place_legend()  # the legend strip above the time header (gantt_scene)
        cr = self.contentsRect()
        vp = self.viewport().geometry()
        self._header.setGeometry(cr.left(), cr.top() + top, vp.right() - cr.left() + 1, HEADER_H)
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


__all__ = [
    "BAR_H",
    "DECORATIONS",
    "EXPORT_MAX_PX",
    "EXPORT_VECTOR_LIMIT",
    "HEADER_H",
    "LANE_PAD",
    "MARGIN",
    "MAX_PPU",
    "MAX_SCENE_PX",
    "RICH_LIMIT",
    "SNAP_PX",
    "SYNC_FEEDBACK_LIMIT",
    "TRACK_H",
    "VECTOR_LIMIT",
    "GanttView",
    "group_color",
    "schedule_diff",
]
