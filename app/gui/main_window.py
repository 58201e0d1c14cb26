"""The main window: menus, toolbar, the plan board and its dock panels."""

from __future__ import annotations

import os
from pathlib import Path

from opsplan.app.gui import recovery
from opsplan.app.gui.document import PlanDocument
from opsplan.app.gui.editor_spec import plural
from opsplan.app.gui.kinds import board_kinds, default_kind, find_bundle
from opsplan.models.errors import OpsPlanError, ValidationError
from opsplan.models.io import document as io
from opsplan.models.kinds import descriptor
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QToolBar,
)

APP_NAME = "OpsPlan"
#: docks whose panels scroll inside them (tall forms that would otherwise set the window's minimum
#: height: with them a 1280×800 screen had a 240 px timeline); tables scroll by themselves
SCROLLED_DOCKS = ("kpiDock", "solverDock")
MAX_RECENT = 8
AUTOSAVE_DELAY_MS = 1500


def settings() -> QSettings:
    """Settings in an ini file under the OpsPlan config folder (tests point it elsewhere)."""
    path = recovery.config_dir() / "opsplan.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """One window per open plan.

    ``ask`` answers the window's questions (save on close, restore a recovery
    file); tests pass a function instead of the modal message boxes.
    """

    def __init__(self, plan: PlanDocument | None = None, *, ask=None, autosave_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__()
        self._ask = ask or self._ask_with_dialog
        self.plan: PlanDocument | None = None
        self._recovery: recovery.RecoveryStore | None = None
        self._extra_docks: list[QDockWidget] = []
        self.extra_views: dict[str, object] = {}  # title -> widget of the kind's extra views
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(autosave_ms)
        self._autosave.timeout.connect(self.autosave_now)
        self.resize(1500, 950)
        self._build_actions()
        self._build_menus()
        self._status = QLabel()
        self.statusBar().addPermanentWidget(self._status)
        self.set_plan(plan or self._new_plan(default_kind()))
        self._restore_window_state()

    # ------------------------------------------------------------------ widgets
    def _build_views(self, plan: PlanDocument) -> None:
        from opsplan.app.gui.editor import ScenarioEditor
        from opsplan.app.gui.gantt import GanttView
        from opsplan.app.gui.issues_panel import IssuesPanel
        from opsplan.app.gui.kpi_panel import ComparePanel, KpiPanel
        from opsplan.app.gui.replay_panel import ReplayPanel
        from opsplan.app.gui.resource_view import ResourceView
        from opsplan.app.gui.solve_panel import SolvePanel

        first = getattr(self, "gantt", None) is None
        # the docks keep the sizes the planner gave them: Qt's dock layout would otherwise
        # re-divide the window by the new widgets' size hints (a full editor table asks for
        # most of the width and squeezed the Gantt to a 70 px strip after File → Open)
        kept = None if first else self._dock_sizes()
        self.gantt = GanttView(plan)
        self.gantt.set_legend_visible(self.act_legend.isChecked())
        self.resource_view = ResourceView(plan)
        self.resource_view.follow(self.gantt)
        split = self.centralWidget()
        if not isinstance(split, QSplitter):
            split = QSplitter(Qt.Orientation.Vertical)
            split.setObjectName("boardSplitter")
            split.setChildrenCollapsible(False)
            split.addWidget(self.gantt)
            split.addWidget(self.resource_view)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 2)
            # the planner's own split between Gantt and resource view stands until the next plan
            split.splitterMoved.connect(lambda *_: setattr(self, "_board_split_by_hand", True))
            self.setCentralWidget(split)
        else:
            sizes = split.sizes()
            for k, widget in enumerate((self.gantt, self.resource_view)):
                gone = split.widget(k)
                gone.hide()
                gone.setParent(None)  # out of the splitter now; (insertWidget hands the new one to it)
                gone.deleteLater()
                split.insertWidget(k, widget)
            split.setSizes(sizes)
        self._board_split = split

        self.editor = ScenarioEditor(plan)
        self.issues = IssuesPanel(plan, self.editor)
        self.kpi_panel = KpiPanel(plan)
        self.compare_panel = ComparePanel(plan)
        self.compare_panel.compareRequested.connect(self.gantt.set_compare_with)
        # one solve panel for the window's lifetime: the planner's solver, limits and added
        # policy files carry over to the next plan opened
        if getattr(self, "solve_panel", None) is None:
            self.solve_panel = SolvePanel(plan)
            self.solve_panel.scheduleAdded.connect(self._show_replay_if_traced)
        else:
            self.solve_panel.set_plan(plan)
        self.replay_panel = ReplayPanel(plan, self.gantt)
        for name, title, widget, area in (
            ("editorDock", "Scenario", self.editor, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("issuesDock", "Issues", self.issues, Qt.DockWidgetArea.BottomDockWidgetArea),
            ("kpiDock", "KPIs", self.kpi_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("compareDock", "Compare", self.compare_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("solverDock", "Solver", self.solve_panel, Qt.DockWidgetArea.RightDockWidgetArea),
            ("replayDock", "Policy replay", self.replay_panel, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock = self.findChild(QDockWidget, name)
            if dock is None:
                dock = QDockWidget(title, self)
                dock.setObjectName(name)
                self.addDockWidget(area, dock)
                self.view_menu.addAction(dock.toggleViewAction())
            self._set_dock_panel(dock, widget, scroll=name in SCROLLED_DOCKS)
        if first:
            self.default_layout()
        else:
            self._resize_docks(kept)
        self._build_extra_views(plan)
        self.findChild(QDockWidget, "kpiDock").raise_()
        self.findChild(QDockWidget, "issuesDock").raise_()

    @staticmethod
    def _set_dock_panel(dock: QDockWidget, widget, scroll: bool) -> None:
        """Show ``widget`` in ``dock`` (the previous panel is deleted); with ``scroll`` inside a
        scroll area, so that a tall form scrolls rather than raise the window's minimum size."""
        if scroll:
            holder = dock.widget()
            if not isinstance(holder, QScrollArea):
                holder = QScrollArea()
                holder.setWidgetResizable(True)
                holder.setFrameShape(QFrame.Shape.NoFrame)
                dock.setWidget(holder)
            old = holder.widget()
            if old is widget:
                return
            holder.takeWidget()
            holder.setWidget(widget)
        else:
            old = dock.widget()
            if old is widget:
                return
            dock.setWidget(widget)
        if old is not None:
            old.deleteLater()

    def _dock_sizes(self) -> list[tuple[QDockWidget, int, int]]:
        """(dock, width, height) of the docks in the window now (not floating, not hidden)."""
        return [(d, d.width(), d.height()) for d in self.findChildren(QDockWidget)
                if d.isVisible() and not d.isFloating()]

    def _resize_docks(self, sizes: list[tuple[QDockWidget, int, int]]) -> None:
        """Give the docks back the sizes :meth:`_dock_sizes` read: after a plan switch Qt would
        otherwise size them by the new panels' size hints."""
        side = [(d, w) for d, w, _ in sizes if self.dockWidgetArea(d) in (Qt.DockWidgetArea.LeftDockWidgetArea,
                                                                          Qt.DockWidgetArea.RightDockWidgetArea)]
        if side:
            self.resizeDocks([d for d, _ in side], [w for _, w in side], Qt.Orientation.Horizontal)
        if sizes:
            self.resizeDocks([d for d, _, _ in sizes], [h for _, _, h in sizes], Qt.Orientation.Vertical)

    def dock_panel(self, name: str):
        """The panel shown in dock ``name`` (each sits in a scroll area of its dock)."""
        holder = self.findChild(QDockWidget, name).widget()
        return holder.widget() if isinstance(holder, QScrollArea) else holder

    def default_layout(self) -> None:
        """The board's layout out of the box: editor left, KPIs/Compare and Solver right, Issues
        under the board, and the board (Gantt above the resource view) taking what is left."""
        dock = lambda name: self.findChild(QDockWidget, name)  # noqa: E731
        for name in ("editorDock", "issuesDock", "kpiDock", "compareDock", "solverDock", "replayDock"):
            dock(name).setFloating(False)
            dock(name).show()
        self.tabifyDockWidget(dock("kpiDock"), dock("compareDock"))
        self.tabifyDockWidget(dock("issuesDock"), dock("replayDock"))
        w, h = max(self.width(), 800), max(self.height(), 500)
        # the right side holds the Compare table (two plans side by side, unelided): a little wider
        left, right = max(270, min(380, int(w * 0.22))), max(360, min(430, int(w * 0.28)))
        self.resizeDocks([dock("editorDock"), dock("kpiDock")], [left, right], Qt.Orientation.Horizontal)
        self.resizeDocks([dock("issuesDock")], [max(90, min(150, int(h * 0.14)))], Qt.Orientation.Vertical)
        self.resizeDocks([dock("kpiDock"), dock("solverDock")], [int(h * 0.35), int(h * 0.45)],
                         Qt.Orientation.Vertical)
        dock("kpiDock").raise_()
        dock("issuesDock").raise_()
        self.fit_board()

    def board_share(self) -> tuple[float, float]:
        """The Gantt's share of the window's width and height (a collapsed layout shows as tiny)."""
        g = self.gantt
        return g.width() / max(1, self.width()), g.height() / max(1, self.height())

    def layout_collapsed(self) -> bool:
        """True when the board is squeezed out of sight (the docks left the Gantt a strip of about
        its minimum size: under 15 % of the width or 10 % of the height, and never under 120 × 80
        px): such a layout is never saved, and is repaired on start-up."""
        g = self.gantt
        return g.width() < max(120, 0.15 * self.width()) or g.height() < max(80, 0.10 * self.height())

    def fit_board(self) -> None:
        """Divide the board between the Gantt and the resource view by what each shows: the Gantt
        gets the height its lanes need (no empty band under them) up to 60 %, the resource view
        the rest (its rows stretch to fill it). Done for each plan shown and when the window
        resizes, until the planner moves the divider."""
        self._board_split_by_hand = False
        split = self._board_split
        total = sum(split.sizes()) or split.height()
        if total <= 0:
            return
        want = self.gantt.content_height()
        rv_min = self.resource_view.minimum_rows_height()
        g = max(min(want, int(total * 0.6)), min(want, total - rv_min), int(total * 0.3))
        split.setSizes([g, max(1, total - g)])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if getattr(self, "_board_split", None) is not None and not getattr(self, "_board_split_by_hand", False):
            QTimer.singleShot(0, self._refit_board)

    def _refit_board(self) -> None:
        if not self._board_split_by_hand:
            self.fit_board()

    def _build_extra_views(self, plan: PlanDocument) -> None:
        """Docks of the kind's extra views (its bundle's ``extra_views``, e.g. a route map);
        the previous plan's go."""
        for dock in self._extra_docks:
            self.view_menu.removeAction(dock.toggleViewAction())
            self.removeDockWidget(dock)
            dock.deleteLater()
        self._extra_docks = []
        self.extra_views = {}
        bundle = find_bundle(plan.scenario)
        for k, factory in enumerate(bundle.extra_views if bundle is not None else ()):
            title, widget = factory(self)
            dock = QDockWidget(title, self)
            dock.setObjectName(f"extraDock_{plan.scenario.kind}_{k}")
            dock.setWidget(widget)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.view_menu.addAction(dock.toggleViewAction())
            self._extra_docks.append(dock)
            self.extra_views[title] = widget

    def _show_replay_if_traced(self, _name: str) -> None:
        """A policy's schedule was added: bring its decision replay to the front."""
        if self.replay_panel.has_trace():
            self.findChild(QDockWidget, "replayDock").raise_()

    def _build_actions(self) -> None:
        def act(text, slot, shortcut=None, tip=None):
            a = QAction(text, self)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            if tip:
                a.setStatusTip(tip)
            a.triggered.connect(slot)
            return a

        self.act_open = act("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.act_save = act("&Save", self.save, QKeySequence.StandardKey.Save)
        self.act_save_as = act("Save &As…", self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        self.act_import = act("Any file (detect the format)…", lambda: self.import_dialog(), "Ctrl+I",
                              "Import a benchmark or data file; the format is detected or chosen")
        self.act_quit = act("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_fit = act("&Fit to window", lambda: self.gantt.fit_to_window(), "Ctrl+0")
        self.act_zoom_in = act("Zoom &in", lambda: self.gantt.zoom_by(1.25), QKeySequence.StandardKey.ZoomIn)
        self.act_zoom_out = act("Zoom &out", lambda: self.gantt.zoom_by(0.8), QKeySequence.StandardKey.ZoomOut)
        self.act_critical = act("&Critical path", lambda on: self.gantt.set_show_critical_path(on), "Ctrl+K")
        self.act_critical.setCheckable(True)
        self.act_legend = act("&Legend", lambda on: self.gantt.set_legend_visible(on), tip="What the colours mean")
        self.act_legend.setCheckable(True)
        self.act_legend.setChecked(True)
        self.act_pin = act("&Pin selection", lambda: self._pin(True), "Ctrl+P")
        self.act_unpin = act("&Unpin selection", lambda: self._pin(False), "Ctrl+Shift+P")
        self.act_compact = act("&Compact", lambda: self.plan.compact(), "Ctrl+L",
                               "Left-shift everything that can move earlier, keeping sequences")
        self.act_solve = act("&Solve", lambda: self.solve_panel.solve(), "F5")
        self.act_reopt = act("&Re-optimize", lambda: self.solve_panel.reoptimize(), "F6",
                             "Keep pinned bars and re-plan the rest from the current plan")
        self.act_cancel = act("Ca&ncel solve", lambda: self.solve_panel.cancel(), "Esc")
        self.act_reschedule = act("&Disruption…", self.reschedule_dialog, "Ctrl+D",
                                  "Something went wrong in the running plan: re-plan from that time")
        self.act_rename = act("Re&name plan…", self.rename_schedule_dialog, "F2",
                              "Give the current plan a name of your own")
        self.act_delete = act("De&lete plan", self.delete_schedule)
        self.act_properties = act("Scenario &properties…", self._open_properties, "Ctrl+Shift+E",
                                  "Name, description, calendar start, time unit, objective and weights")

    def _build_menus(self) -> None:
        mb = self.menuBar()
        fm = mb.addMenu("&File")
        self.new_menu = fm.addMenu("&New")
        self.new_menu.aboutToShow.connect(self._fill_new_menu)  # kinds registered later show up too
        self._fill_new_menu()
        fm.addAction(self.act_open)
        self.recent_menu = fm.addMenu("Open &Recent")
        fm.addAction(self.act_save)
        fm.addAction(self.act_save_as)
        fm.addSeparator()
        self.import_menu = fm.addMenu("&Import")
        self.import_menu.aboutToShow.connect(self._fill_import_menu)
        self._fill_import_menu()
        em = fm.addMenu("&Export")
        for label, fmt in (("Plan as JSON…", "json"), ("Plan as CSV…", "csv"), ("Plan as Excel…", "xlsx")):
            em.addAction(label).triggered.connect(lambda _=False, f=fmt: self.export_schedule_dialog(f))
        em.addSeparator()
        for view in ("Gantt", "Resource view"):
            for fmt in ("png", "svg", "pdf"):
                a = em.addAction(f"{view} as {fmt.upper()}…")
                a.triggered.connect(lambda _=False, v=view, f=fmt: self.export_view_dialog(v, f))
        fm.addSeparator()
        fm.addAction(self.act_quit)

        self.edit_menu = mb.addMenu("&Edit")
        self.scenario_menu = mb.addMenu("&Scenario")
        self.scenario_menu.addAction(self.act_properties)
        self.plan_menu = mb.addMenu("&Plan")
        for a in (self.act_solve, self.act_reopt, self.act_cancel, None, self.act_reschedule, None,
                  self.act_rename, self.act_delete):
            self.plan_menu.addSeparator() if a is None else self.plan_menu.addAction(a)
        self.view_menu = mb.addMenu("&View")
        for a in (self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_critical, self.act_legend):
            self.view_menu.addAction(a)
        self.view_menu.addSeparator()
        hm = mb.addMenu("&Help")
        hm.addAction("&About OpsPlan").triggered.connect(self._about)

        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        self.addToolBar(tb)
        self._toolbar = tb
        self.schedule_combo = QComboBox()
        self.schedule_combo.setMinimumWidth(180)
        self.schedule_combo.setToolTip("The plan shown on the board (F2 renames it)")
        self.schedule_combo.activated.connect(lambda i: self.plan.set_current(self.schedule_combo.itemText(i)))
        self._build_edit_menu()

    def _open_properties(self):
        """Scenario → Properties…: the plan's properties in a dialog that does not block."""
        from opsplan.app.gui.properties import open_properties

        return open_properties(self)

    def _new_with_properties(self, kind: str):
        """File → New: a plan from ``kind``'s template, then its properties to fill in
        (``new_document`` alone opens no dialog)."""
        from opsplan.app.gui.properties import new_with_properties

        return new_with_properties(self, kind)

    def _fill_new_menu(self) -> None:
        """File → New: one entry per kind the board can show, by the kind's label."""
        m = self.new_menu
        m.clear()
        for kind in board_kinds():
            a = m.addAction(descriptor(kind).label)
            a.setObjectName(f"new_{kind}")
            a.setData(kind)
            a.triggered.connect(lambda _=False, k=kind: self._new_with_properties(k))

    def _fill_import_menu(self) -> None:
        """File → Import: any file (format detected), then each kind's formats under the kind's label."""
        from opsplan.models.io.importers import formats_for, importers

        m = self.import_menu
        m.clear()
        m.addAction(self.act_import)
        specs = importers()
        for kind in board_kinds():
            fmts = [f for f in formats_for(kind) if f in specs]
            if not fmts:
                continue
            sub = m.addMenu(descriptor(kind).label)
            sub.setObjectName(f"import_{kind}")
            for fmt in fmts:
                spec = specs[fmt]
                text = f"{spec.description or fmt} ({fmt})…" if spec.description else f"{fmt}…"
                a = sub.addAction(text)
                a.setData(fmt)
                a.setObjectName(f"import_{fmt}")
                a.triggered.connect(lambda _=False, f=fmt: self.import_dialog(f))

    def _build_edit_menu(self) -> None:
        """Edit menu and toolbar, built once: Undo/Redo follow the current plan's undo stack
        through an undo group, so opening a plan never rebuilds (and loses) toolbar widgets."""
        self.undo_group = QUndoGroup(self)
        undo = self.undo_group.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_group.createRedoAction(self, "&Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.act_undo, self.act_redo = undo, redo
        m = self.edit_menu
        m.addAction(undo)
        m.addAction(redo)
        m.addSeparator()
        for a in (self.act_pin, self.act_unpin, self.act_compact):
            m.addAction(a)
        # the toolbar's Undo/Redo keep short labels (the menu's say what they undo: 'Undo Solve with
        # dispatch:mwkr' made the toolbar push the Plan selector out of sight); their tooltips say it
        tb_undo, tb_redo = QAction("Undo", self), QAction("Redo", self)
        for short, full, group_do in ((tb_undo, undo, self.undo_group.undo), (tb_redo, redo, self.undo_group.redo)):
            short.triggered.connect(group_do)
            full.changed.connect(lambda s=short, f=full: (s.setEnabled(f.isEnabled()), s.setToolTip(f.text())))
            short.setEnabled(False)
        tb = self._toolbar
        for a in (self.act_open, self.act_save, None, tb_undo, tb_redo, None, self.act_solve, self.act_reopt,
                  self.act_cancel, None, self.act_fit, self.act_compact, self.act_critical):
            tb.addSeparator() if a is None else tb.addAction(a)
        tb.addSeparator()
        tb.addWidget(QLabel(" Plan: "))
        tb.addWidget(self.schedule_combo)

    # ------------------------------------------------------------------ document
    def set_plan(self, plan: PlanDocument) -> None:
        """Show ``plan`` (replacing the current one, whose recovery file is dropped).

        A solve still running on the old plan is stopped (by the solve panel, which
        follows the new plan): its result has nowhere to go, and it would hold the CPU
        against the next solve.
        """
        if self._recovery is not None:
            self._recovery.discard()
        old = self.plan
        self.plan = plan
        plan.setParent(self)
        self._recovery = recovery.RecoveryStore(str(plan.path.resolve()) if plan.path else None)
        self._build_views(plan)
        self.undo_group.addStack(plan.undo_stack)
        self.undo_group.setActiveStack(plan.undo_stack)
        plan.changed.connect(self._on_changed)
        plan.currentChanged.connect(lambda _name: self._refresh_status())
        plan.dirtyChanged.connect(lambda _d: self._refresh_title())
        plan.pathChanged.connect(lambda _p: self._refresh_title())
        self._on_changed(autosave=False)
        QTimer.singleShot(0, self.fit_board)
        if self.plan.schedule is not None:
            QTimer.singleShot(0, self.gantt.fit_to_window)
        if old is not None and old is not plan:
            self.undo_group.removeStack(old.undo_stack)
            old.deleteLater()

    def _on_changed(self, autosave: bool = True) -> None:
        self.schedule_combo.blockSignals(True)
        self.schedule_combo.clear()
        self.schedule_combo.addItems([s.name for s in self.plan.schedules])
        self.schedule_combo.setCurrentText(self.plan.current_name)
        self.schedule_combo.blockSignals(False)
        self._refresh_status()
        self._refresh_title()
        if autosave and not self._autosave.isActive():
            # not restarted by later changes: a steady stream of edits is still saved every interval
            self._autosave.start()

    def _refresh_title(self) -> None:
        name = self.plan.path.name if self.plan.path else "untitled"
        self.setWindowTitle(f"{name}[*] — {self.plan.scenario.name} — {APP_NAME}")
        self.setWindowModified(self.plan.dirty)

    def _refresh_status(self) -> None:
        self.schedule_combo.setCurrentText(self.plan.current_name)
        s = self.plan.schedule
        issues = len(self.plan.issues())
        if s is None:
            self._status.setText(f"no plan yet — press F5 to solve · {plural(issues, 'scenario issue')}")
            return
        k = self.plan.kpis()
        v = len(self.plan.violations())
        obj = k.get("objective_value", "?")
        what = descriptor(self.plan.scenario.kind).objective_label(str(k.get("objective") or "objective"))
        self._status.setText(f"{self.plan.current_name}: {what.lower()} {obj} · "
                             f"{plural(v, 'violation')} · {plural(issues, 'scenario issue')}")

    def autosave_now(self) -> Path | None:
        """Write the recovery file now (the timer calls this shortly after each change)."""
        if self.plan is None or self._recovery is None:
            return None
        if not self.plan.dirty:  # back to the saved state (undone): nothing to recover
            self._recovery.discard()
            return None
        try:
            return self._recovery.write(self.plan.doc, self.plan.path)
        except (OSError, OpsPlanError, ValueError) as exc:
            # said, not raised: the timer tries again after the next change (a raise here would
            # end the autosave for the session without a word)
            self.statusBar().showMessage(f"autosave failed: {exc}", 15000)
            return None

    @staticmethod
    def _new_plan(kind: str) -> PlanDocument:
        return PlanDocument(io.Document(descriptor(kind).new_scenario()))

    def new_document(self, kind: str | None = None) -> None:
        """A new plan of ``kind`` (default: the first kind the board shows) from the kind's template."""
        if not self.maybe_save():
            return
        kind = kind or default_kind()
        if self._refuse_unshown(kind, "Cannot create"):
            return
        self.set_plan(self._new_plan(kind))

    def open_path(self, path: str | Path) -> bool:
        try:
            plan = PlanDocument.open(path)
        except ValidationError as exc:
            # work in progress saved with problems (the editor allows them while editing): open it
            # on request, with the problems in the Issues panel, rather than lock the planner out
            shown = "\n".join(f"- {i}" for i in exc.issues[:8]) + ("\n- ..." if len(exc.issues) > 8 else "")
            if self._ask("open_invalid", f"{Path(path).name} has {len(exc.issues)} problem(s):\n{shown}\n\n"
                                         "Open it anyway to fix them?") != "open":
                self._error("Cannot open", " ".join(str(exc).split()))
                return False
            try:
                plan = PlanDocument.open(path, validate=False)
            except (OpsPlanError, OSError) as exc2:
                self._error("Cannot open", str(exc2))
                return False
        except (OpsPlanError, OSError) as exc:
            self._error("Cannot open", str(exc))
            return False
        if self._refuse_unshown(plan.doc.kind, "Cannot open"):
            plan.deleteLater()
            return False
        self.set_plan(plan)
        self._add_recent(str(Path(path).resolve()))
        self.offer_recovery(path)  # unsaved work on this very file from a session that crashed
        return True

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open plan", "", "OpsPlan documents (*.json);;All files (*)")
        if path:
            self.open_path(path)

    def import_dialog(self, fmt: str | None = None) -> None:
        """Pick a file and import it in format ``fmt`` (None: detect it, or ask when that fails).

        A format that reads one instance of a file holding several asks which one.
        """
        from opsplan.models.io.importers import detect_format, importers

        if not self.maybe_save():
            return
        specs = importers()
        spec = specs.get(fmt) if fmt else None
        filters = "All files (*)"
        if spec is not None and spec.suffixes:
            filters = f"{spec.description or spec.name} ({' '.join('*' + s for s in spec.suffixes)});;{filters}"
        path, _ = QFileDialog.getOpenFileName(self, f"Import {spec.description or spec.name}" if spec else "Import",
                                              "", filters)
        if not path:
            return
        if spec is None:
            try:
                fmt = detect_format(path)
            except (OpsPlanError, OSError):
                fmt, ok = QInputDialog.getItem(self, "Import", "Format:", list(specs), 0, False)
                if not ok:
                    return
            spec = specs.get(fmt)
        index = None
        if spec is not None and spec.takes_index:
            index, ok = QInputDialog.getInt(self, "Import", "Instance number (1-based):", 1, 1, 10_000)
            if not ok:
                return
        self.import_path(path, fmt, index)

    def import_path(self, path: str, fmt: str = "auto", index: int | None = None) -> bool:
        from opsplan.models.io.importers import import_file

        try:
            doc = import_file(path, fmt, index=index)
        except (OpsPlanError, OSError) as exc:
            self._error("Cannot import", str(exc))
            return False
        if self._refuse_unshown(doc.kind, "Cannot import"):
            return False
        plan = PlanDocument(doc)
        self.set_plan(plan)
        return True

    def save(self) -> bool:
        if self.plan.path is None:
            return self.save_as_dialog()
        return self.save_to(self.plan.path)

    def save_to(self, path: str | Path) -> bool:
        try:
            self.plan.save(path)
        except (OpsPlanError, OSError, ValueError) as exc:
            self._error("Cannot save", str(exc))
            return False
        old = self._recovery
        self._recovery = recovery.RecoveryStore(str(Path(path).resolve()))
        if old is not None:
            old.discard()
        self._add_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(f"saved {path}", 4000)
        return True

    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save plan", str(self.plan.path or "plan.json"),
                                              "OpsPlan documents (*.json)")
        return self.save_to(path) if path else False

    def export_schedule_dialog(self, fmt: str) -> None:
        if self.plan.schedule is None:
            self._error("Nothing to export", "This document has no plan yet.")
            return
        path = self._save_name(f"Export plan as {fmt.upper()}", (self.plan.current_name,), fmt)
        if path:
            self.export_schedule(path, fmt)

    def _save_name(self, title: str, parts: tuple[str, ...], fmt: str) -> str:
        """Ask where to export: a safe name from the scenario and ``parts`` (``bakery-night-shift-cpsat.xlsx``)
        in the document's folder, the format's file type offered, its suffix added when left out."""
        from opsplan.app.gui.plan_names import export_name, file_filter, with_suffix

        folder = self.plan.path.parent if self.plan.path else None
        suggested = export_name((self.plan.scenario.name, *parts), fmt, folder)
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, file_filter(fmt))
        return with_suffix(path, fmt) if path else ""

    def export_schedule(self, path: str, fmt: str | None = None) -> bool:
        from opsplan.models.io.exporters import export_schedule

        try:
            export_schedule(self.plan.scenario, self.plan.schedule, path, fmt)
        except (OpsPlanError, OSError) as exc:
            self._error("Cannot export", str(exc))
            return False
        self.statusBar().showMessage(f"exported {path}", 4000)
        return True

    def export_view_dialog(self, view: str, fmt: str) -> None:
        path = self._save_name(f"Export {view} as {fmt.upper()}", (self.plan.current_name, view), fmt)
        if path:
            self.export_view(view, path)

    def export_view(self, view: str, path: str) -> bool:
        widget = self.gantt if view == "Gantt" else self.resource_view
        try:
            widget.export_image(path)
        except (OSError, ValueError) as exc:
            self._error("Cannot export", str(exc))
            return False
        return True

    # ------------------------------------------------------------------ plan actions
    def _pin(self, on: bool) -> None:
        self.plan.set_pinned(self.plan.selection, on)

    def rename_schedule_dialog(self) -> None:
        if not self.plan.current_name:
            return
        name, ok = QInputDialog.getText(self, "Rename plan", "New name:", text=self.plan.current_name)
        if ok:
            self.rename_plan(self.plan.current_name, name)

    def rename_plan(self, old: str, new: str) -> bool:
        """Call plan ``old`` ``new`` (one undoable step); an empty or taken name is refused, with why."""
        from opsplan.app.gui.plan_names import rename_problem

        why = rename_problem(new, old, (s.name for s in self.plan.schedules))
        if why:
            self._error("Cannot rename the plan", why)
            return False
        self.plan.rename_schedule(old, new.strip())
        return True

    def delete_schedule(self) -> None:
        if self.plan.current_name:
            self.plan.remove_schedule(self.plan.current_name)

    def reschedule_dialog(self) -> None:
        from opsplan.app.gui.disruption import DisruptionDialog

        if self.plan.schedule is None:
            self._error("No plan", "Solve first: a disruption re-plans an existing plan.")
            return
        dlg = DisruptionDialog(self.plan, self)
        dlg.exec()

    # ------------------------------------------------------------------ recent files and state
    def recent_files(self) -> list[str]:
        v = settings().value("recent", [])
        if isinstance(v, str):
            v = [v]
        return [str(x) for x in (v or [])]

    def _add_recent(self, path: str) -> None:
        files = [path] + [p for p in self.recent_files() if p != path]
        s = settings()
        s.setValue("recent", files[:MAX_RECENT])
        s.sync()
        self._refresh_recent_menu()

    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.recent_files():
            a = self.recent_menu.addAction(p)
            a.triggered.connect(lambda _=False, path=p: self.maybe_save() and self.open_path(path))
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def _restore_window_state(self) -> None:
        s = settings()
        geo, state = s.value("window/geometry"), s.value("window/state")
        if geo is not None:
            self.restoreGeometry(geo)
        self._state_restored = state is not None and bool(self.restoreState(state))
        self._refresh_recent_menu()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if not getattr(self, "_layout_checked", False):
            self._layout_checked = True
            QTimer.singleShot(0, self.repair_layout)

    def repair_layout(self) -> bool:
        """At the first show: size the default layout for the window's real size (it was made for
        the constructor's), or put it back when a restored one hides the board; True when it did."""
        if not self.isVisible():
            return False
        if getattr(self, "_state_restored", False) and not self.layout_collapsed():
            return False
        self.default_layout()
        return True

    def _save_window_state(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        if self.isVisible() and self.layout_collapsed():
            s.remove("window/state")  # never keep a layout that hides the board
        else:
            s.setValue("window/state", self.saveState())
        s.sync()

    # ------------------------------------------------------------------ closing, questions
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or clean)."""
        if self.plan is None or not self.plan.dirty:
            return True
        answer = self._ask("save", f"Save changes to {self.plan.path.name if self.plan.path else 'untitled'}?")
        if answer == "save":
            return self.save()
        return answer == "discard"

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.solve_panel.is_running():
            if self._ask("stop", "A solve is running. Stop it and close?") == "cancel":
                event.ignore()
                return
            self.solve_panel.shutdown()  # its best plan so far is added, so the save question covers it
        if not self.maybe_save():
            event.ignore()
            return
        self._save_window_state()
        if self._recovery is not None:
            self._recovery.discard()
        event.accept()

    def offer_recovery(self, original: str | Path | None = None) -> bool:
        """Offer to restore a plan autosaved by a session that crashed; True when one was restored.

        With ``original``, only work autosaved from that file is offered.
        """
        for rec in recovery.pending(original):
            answer = self._ask("restore", f"OpsPlan found unsaved work from {rec.label}. Restore it?")
            if answer == "restore":
                try:
                    doc = rec.load()
                except (OpsPlanError, OSError) as exc:
                    try:  # never delete unsaved work: keep the file aside, out of the next offer
                        kept = f"\n\nThe file is kept as {recovery.set_aside(rec)}."
                    except OSError:
                        kept = f"\n\nThe file stays at {rec.path}."
                    self._error("Cannot restore", f"{exc}{kept}")
                    continue
                plan = PlanDocument(doc, rec.original)
                self.set_plan(plan)
                # the restored work is unsaved: mark it dirty so closing asks to save it
                plan.undo_stack.resetClean()
                self._refresh_title()
                recovery.discard(rec)
                self.autosave_now()
                return True
            if answer == "discard":
                recovery.discard(rec)
        return False

    def _ask_with_dialog(self, what: str, text: str) -> str:
        box = QMessageBox(self)
        box.setWindowTitle(APP_NAME)
        box.setText(text)
        if what == "open_invalid":
            box.setStandardButtons(QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel)
            return "open" if box.exec() == QMessageBox.StandardButton.Open else "cancel"
        if what == "stop":
            box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
            return "stop" if box.exec() == QMessageBox.StandardButton.Yes else "cancel"
        if what == "save":
            box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                   | QMessageBox.StandardButton.Cancel)
            r = box.exec()
            return {QMessageBox.StandardButton.Save: "save",
                    QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(r), "cancel")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        return "restore" if clicked is restore else "discard" if clicked is discard else "later"

    def _refuse_unshown(self, kind: str, title: str) -> bool:
        """True, with the reason shown under ``title``, when the plan board has no GUI bundle for ``kind``."""
        if find_bundle(kind) is not None:
            return False
        self._error(title, f"the plan board cannot show {kind!r} scenarios yet")
        return True

    def _error(self, title: str, text: str) -> None:
        self.statusBar().showMessage(f"{title}: {text}", 10000)
        if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            QMessageBox.warning(self, title, text)

    def _about(self) -> None:
        QMessageBox.about(self, APP_NAME, "OpsPlan — operations planning with exact solvers, dispatch rules "
                          "and learned policies. Apache-2.0.")

