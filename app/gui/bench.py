"""``opsplan bench gui``: how fast the Gantt opens and repaints a big plan.

:func:`bench_gui` builds a synthetic plan with exactly ``bars`` tasks on 20 lanes
(the kind's GUI bundle makes it: a random job shop by default), plans it with the SPT
dispatch rule and then measures

* ``open_ms``: creating the :class:`PlanDocument` and the :class:`GanttView`
  (lane layout, the checker's violations for the red outlines), showing it at
  ``width`` x ``height``, fitting the plan and painting the first frame;
* frame times of ``steps`` zoom steps (Ctrl+wheel-like ``zoom_by`` around a
  moving anchor: in from the whole plan to single bars, then out again) and
  ``steps`` pan steps (a quarter viewport each way).

How a frame is measured: the view is changed, then ``QApplication.processEvents()``
delivers the pending update request, which paints every dirty widget (viewport,
time header, lane labels) into the window's backing store synchronously, exactly
as on screen; the timer stops when it returns. The number of viewport paints is
counted so a frame that painted nothing would show (``frames_painted``). With
the offscreen platform nothing is flushed to a display, so this is the Qt and
Python painting cost alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from typing import Any


def _ensure_platform() -> None:
    """Default to Qt's offscreen platform when there is no display to open."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def bench_kinds() -> list[str]:
    """The kinds whose GUI bundle makes a synthetic bench plan, the default first."""
    from opsplan.app.gui.kinds import board_kinds, find_bundle

    return [k for k in board_kinds() if find_bundle(k).bench_scenario is not None]


def bench_scenario(bars: int, machines: int = 20, seed: int = 7, kind: str | None = None):
    """A synthetic scenario of ``kind`` (default: the first kind that makes one) with exactly ``bars``
    tasks on ``machines`` lanes, from the kind's GUI bundle (a random job shop for job shops)."""
    from opsplan.app.gui.kinds import bundle_for

    kinds = bench_kinds()
    kind = kind or (kinds[0] if kinds else None)
    make = bundle_for(kind).bench_scenario if kind else None
    if make is None:
        raise ValueError(f"no synthetic bench plan for {kind!r} scenarios (kinds that have one: "
                         f"{', '.join(kinds) or 'none'})")
    return make(bars, machines, seed)


BENCH_SOLVER = "dispatch:spt"  #: plans the synthetic scenario (fast, and every bar placed)


def _stats(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"median": 0.0, "p90": 0.0, "max": 0.0, "mean": 0.0, "n": 0}
    s = sorted(xs)
    p90 = s[min(len(s) - 1, max(0, round(0.9 * (len(s) - 1))))]
    return {"median": round(statistics.median(s), 3), "p90": round(p90, 3), "max": round(s[-1], 3),
            "mean": round(statistics.fmean(s), 3), "n": len(s)}


def bench_gui(bars: int = 20000, steps: int = 30, width: int = 1600, height: int = 900,
              seed: int = 7, kind: str | None = None, solver: str = BENCH_SOLVER) -> dict[str, Any]:
    """Open a ``bars``-task plan of ``kind`` (default: the first kind with a bench plan) in the Gantt,
    planned by ``solver``, and time the first layout and zoom/pan frames (ms)."""
    _ensure_platform()
    import PySide6
    from PySide6.QtCore import qVersion
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from opsplan.app.gui.document import PlanDocument
    from opsplan.app.gui.gantt import GanttView
    from opsplan.models.io.document import Document
    from opsplan.solvers import Params, solve

    t = time.perf_counter()
    sc = bench_scenario(bars, seed=seed, kind=kind)
    schedule = solve(sc, solver, Params()).schedule.renamed("spt")
    doc = Document(sc, (schedule,))
    setup_s = time.perf_counter() - t
    gc.collect()

    painted = [0]

    class _CountingView(GanttView):
        def drawBackground(self, painter, rect):  # noqa: N802
            painted[0] += 1
            super().drawBackground(painter, rect)

    t0 = time.perf_counter()
    plan = PlanDocument(doc)
    plan.set_current("spt")
    t1 = time.perf_counter()
    view = _CountingView(plan)
    view.resize(width, height)
    t2 = time.perf_counter()
    view.show()
    app.processEvents()
    if painted[0] == 0:
        view.viewport().repaint()
    t3 = time.perf_counter()
    open_ms = (t3 - t0) * 1000

    def frame(change) -> float:
        before = painted[0]
        a = time.perf_counter()
        change()
        app.processEvents()
        if painted[0] == before:  # nothing was painted: force it, so that the frame is real
            view.viewport().repaint()
        return (time.perf_counter() - a) * 1000

    rng = random.Random(seed)
    vw = view.viewport().width()
    zoom_ms, pan_ms = [], []
    half = max(1, steps // 2)
    for k in range(steps):
        f = 1.6 if k < half else 1 / 1.6
        ax = rng.uniform(0.2, 0.8) * vw
        zoom_ms.append(frame(lambda f=f, ax=ax: view.zoom_by(f, ax)))
    view.fit_to_window()
    app.processEvents()
    view.zoom_by(6.0, 0)
    app.processEvents()
    for k in range(steps):
        dx = vw / 4 if k < half else -vw / 4
        pan_ms.append(frame(lambda dx=dx: view.pan_by(dx)))
    n_painted = painted[0]
    counts = {"lanes": len(view.lane_ids()), "assignments": len(schedule), "operations": len(schedule.work())}
    env = {
        "platform": app.platformName(),
        "qt": qVersion(),
        "pyside6": PySide6.__version__,
        "python": platform.python_version(),
        "os": platform.platform(),
        "cpus": os.cpu_count(),
    }
    view.close()
    view.deleteLater()
    app.processEvents()
    return {
        "kind": sc.kind,
        "bars": bars,
        **counts,
        "viewport": [width, height],
        "steps": steps,
        "setup_s": round(setup_s, 3),
        "open_ms": round(open_ms, 1),
        "open_breakdown_ms": {
            "document": round((t1 - t0) * 1000, 1),
            "view_and_layout": round((t2 - t1) * 1000, 1),
            "show_and_first_paint": round((t3 - t2) * 1000, 1),
        },
        "zoom_ms": _stats(zoom_ms),
        "pan_ms": _stats(pan_ms),
        "frame_ms": _stats(zoom_ms + pan_ms),
        "frames_painted": n_painted,
        "method": "change the view, then QApplication.processEvents() paints the dirty widgets synchronously",
        "env": env,
    }


def format_report(r: dict[str, Any]) -> str:
    z, p, f = r["zoom_ms"], r["pan_ms"], r["frame_ms"]
    ob = r["open_breakdown_ms"]
    env = r["env"]
    return "\n".join([
        f"GUI bench: {r['operations']} operations ({r['assignments']} bars) on {r['lanes']} lanes, "
        f"viewport {r['viewport'][0]}x{r['viewport'][1]}",
        f"  open + layout + first paint: {r['open_ms']:.1f} ms "
        f"(document {ob['document']:.1f}, view {ob['view_and_layout']:.1f}, "
        f"show+paint {ob['show_and_first_paint']:.1f})",
        f"  zoom frames: median {z['median']:.2f} ms, p90 {z['p90']:.2f} ms, max {z['max']:.2f} ms ({z['n']})",
        f"  pan frames:  median {p['median']:.2f} ms, p90 {p['p90']:.2f} ms, max {p['max']:.2f} ms ({p['n']})",
        f"  all frames:  median {f['median']:.2f} ms, p90 {f['p90']:.2f} ms",
        f"  env: Qt {env['qt']} (PySide6 {env['pyside6']}), platform {env['platform']}, "
        f"Python {env['python']}, {env['os']}, {env['cpus']} CPUs",
        f"  (plan generation and dispatch took {r['setup_s']:.1f} s, not counted)",
    ])


def main(argv: list[str] | None = None) -> int:
    """``opsplan bench gui --bars N [--steps S] [--kind KIND] [--json]``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["gui"]:
        argv = argv[1:]
    ap = argparse.ArgumentParser(prog="opsplan bench gui",
                                 description="Time opening and zooming/panning a big plan in the Gantt chart.")
    ap.add_argument("--bars", type=int, default=20000, help="operations in the synthetic plan (default 20000)")
    ap.add_argument("--steps", type=int, default=30, help="zoom steps and pan steps to time (default 30 each)")
    ap.add_argument("--width", type=int, default=1600, help="viewport width in pixels (default 1600)")
    ap.add_argument("--height", type=int, default=900, help="viewport height in pixels (default 900)")
    ap.add_argument("--kind", default=None,
                    help="scenario kind of the synthetic plan (default: the first kind that makes one)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if args.bars < 1 or args.steps < 1:
        ap.error("--bars and --steps must be positive")
    _ensure_platform()
    try:
        r = bench_gui(args.bars, args.steps, args.width, args.height, kind=args.kind)
    except ValueError as exc:
        ap.error(str(exc))
    print(json.dumps(r, indent=2) if args.json else format_report(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
