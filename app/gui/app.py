"""``opsplan gui``: start the plan board, or render it headless to a screenshot."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

NO_DISPLAY = (
    "opsplan gui: no display found (DISPLAY and WAYLAND_DISPLAY are unset). Run it on a desktop, "
    "under Xvfb (xvfb-run opsplan gui FILE), or render a picture headless with "
    "--screenshot OUT.png"
)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("QT_QPA_PLATFORM") in {"offscreen", "minimal", "vnc", "windows", "cocoa"}
                or sys.platform in {"win32", "darwin"})


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="opsplan gui", description="Open the plan board.")
    p.add_argument("file", nargs="?", help="an OpsPlan document or an importable file")
    p.add_argument("--format", default=None, help="import format when FILE is not an OpsPlan document")
    p.add_argument("--index", type=int, default=None, help="instance number for multi-instance files")
    p.add_argument("--solve", metavar="SOLVER", default=None, help="solve on opening (e.g. cpsat, dispatch:mwkr)")
    p.add_argument("--time-limit", type=float, default=10.0, help="time limit for --solve (seconds)")
    p.add_argument("--screenshot", metavar="OUT.png", default=None,
                   help="render the window offscreen to OUT.png and exit (no display needed)")
    p.add_argument("--size", default="1600x1000", help="window size for --screenshot (WxH)")
    p.add_argument("--show", choices=["gantt", "resources", "editor", "compare", "replay"], default=None,
                   help="bring a panel to the front (for screenshots)")
    p.add_argument("--compare", metavar="PLAN", default=None,
                   help="highlight the differences of the current plan against the plan called PLAN, or the "
                        "newest plan the solver PLAN made (after --solve: --solve dispatch:mwkr --compare cpsat)")
    return p


def _load(args):
    from opsplan.app.gui.document import PlanDocument
    from opsplan.models.io import document as io
    from opsplan.models.io.importers import import_file

    if args.file is None:
        return None
    path = Path(args.file)
    if args.format in (None, "opsplan"):
        try:
            return PlanDocument.open(path)
        except Exception:
            if args.format == "opsplan":
                raise
    doc = import_file(path, args.format, index=args.index)
    return PlanDocument(doc if isinstance(doc, io.Document) else io.Document(doc))


def _solve_now(window, solver: str, time_limit: float) -> None:
    """Solve through the solve panel (so its chart fills) and wait for the result."""
    from opsplan.models.errors import OpsPlanError
    from PySide6.QtCore import QDeadlineTimer
    from PySide6.QtWidgets import QApplication

    panel = window.solve_panel
    if panel.solve(solver, time_limit=time_limit) is None:
        raise OpsPlanError(panel.status_text() or f"cannot start {solver}")
    deadline = QDeadlineTimer(int((time_limit + 30) * 1000))
    while panel.is_running() and not deadline.hasExpired():
        QApplication.processEvents()
        panel.wait(50)
    QApplication.processEvents()
    r = panel.last_result
    if r is not None and r.schedule is None and r.conflicts:
        # infeasible, and why: the issues panel lists the conflicting constraints (its times as dates)
        from opsplan.app.gui.timeaxis import Clock

        clock = Clock.of(window.plan.scenario)
        sys.stderr.write(f"opsplan gui: {solver}: infeasible; {len(r.conflicts)} conflicting constraint(s) "
                         "listed in the Issues panel:\n" + "".join(f"  - {c.text(clock)}\n" for c in r.conflicts))
        dock = getattr(window, "issues", None)
        if dock is not None and dock.parentWidget() is not None:
            dock.parentWidget().raise_()
        return
    if r is None or r.schedule is None:
        reason = panel.status_text() if r is None else f"{r.termination}: {r.message}"
        raise OpsPlanError(f"{solver} found no plan ({reason})")


def _compare(window, wanted: str) -> str:
    """Highlight the differences against the plan ``wanted`` names (its name, or a solver's: the
    newest plan it made, see :func:`~opsplan.app.gui.plan_names.find_plan`); the error when none."""
    from opsplan.app.gui.plan_names import find_plan

    names = [s.name for s in window.plan.schedules]
    name = find_plan(names, wanted)
    if name is None:
        return f"no plan called {wanted!r} (plans: {', '.join(repr(n) for n in names) or 'none'})"
    window.gantt.set_compare_with(name)
    window.compare_panel.set_compare(name)
    return ""


def _quiet_platform_notes() -> None:
    """Drop the offscreen platform's harmless 'does not support propagateSizeHints()' notes."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_mode, _context, message: str) -> None:
        if "propagateSizeHints" not in message:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.screenshot and not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    elif not has_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 3

    from opsplan.models.errors import OpsPlanError
    from PySide6.QtWidgets import QApplication

    _quiet_platform_notes()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("OpsPlan")
    app.setOrganizationName("OpsPlan")
    from opsplan.app.gui.main_window import MainWindow

    try:
        plan = _load(args)
    except (OpsPlanError, OSError) as exc:
        print(f"opsplan gui: {exc}", file=sys.stderr)
        return 2
    window = MainWindow(plan)
    # the plan to compare with may be the one --solve makes: look it up once the solve is done
    why = _compare(window, args.compare) if args.compare and not args.solve else ""
    if args.screenshot:
        if args.solve:
            try:
                _solve_now(window, args.solve, args.time_limit)
            except OpsPlanError as exc:
                print(f"opsplan gui: {exc}", file=sys.stderr)
                return 2
            why = _compare(window, args.compare) if args.compare else ""
        if why:
            print(f"opsplan gui: {why}", file=sys.stderr)
            window.plan.undo_stack.setClean()  # nothing to save: the command was wrong
            window.close()
            return 2
        return screenshot(window, args.screenshot, args.size, args.show)
    if why:
        print(f"opsplan gui: {why}", file=sys.stderr)
        return 2
    if plan is None:
        window.offer_recovery()
    elif plan.path is not None:  # crashed work on this very file
        window.offer_recovery(plan.path)
    window.show()
    if args.solve:  # in the solve panel, with its live chart and Cancel
        from PySide6.QtCore import QTimer

        if args.compare:
            def compare_once(_result) -> None:
                window.solve_panel.solveFinished.disconnect(compare_once)
                problem = _compare(window, args.compare)
                if problem:
                    print(f"opsplan gui: {problem}", file=sys.stderr)
                    window._error("Cannot compare", problem)

            window.solve_panel.solveFinished.connect(compare_once)
        QTimer.singleShot(200, lambda: window.solve_panel.solve(args.solve, time_limit=args.time_limit))
    return app.exec()


def screenshot(window, out: str, size: str = "1600x1000", show: str | None = None) -> int:
    """Lay the window out at ``size``, render it into ``out`` and close it."""
    from PySide6.QtWidgets import QApplication, QDockWidget

    w, h = (int(x) for x in size.lower().split("x"))
    window.resize(w, h)
    window.show()
    if show == "editor":
        window.findChild(QDockWidget, "editorDock").raise_()
        detail = window.editor.detail_table()  # a job's operations: the editor at its most telling
        if detail is not None:
            window.editor.show_table(detail)
    elif show == "compare":
        window.findChild(QDockWidget, "compareDock").raise_()
    elif show == "replay":  # a policy's plan, its decisions replayed half way
        window.findChild(QDockWidget, "replayDock").raise_()
        if window.replay_panel.has_trace():
            window.replay_panel.set_step(window.replay_panel.n // 2)
    for _ in range(5):
        QApplication.processEvents()
    window.gantt.fit_to_window()
    if show == "resources":
        split = window.centralWidget()
        split.setSizes([h // 3, h // 2])
    for _ in range(5):
        QApplication.processEvents()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    if QApplication.platformName() == "xcb":  # a real window: take the screen's pixels
        from PySide6.QtTest import QTest

        QTest.qWait(300)
        g = window.frameGeometry()
        ok = QApplication.primaryScreen().grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(out)
    else:
        ok = window.grab().save(out)
    window.plan.undo_stack.setClean()  # a screenshot run has nothing to save
    window.close()
    if not ok:
        print(f"opsplan gui: cannot write {out}", file=sys.stderr)
        return 2
    print(f"screenshot written to {out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
