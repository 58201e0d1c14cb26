"""A planner's first steps through the real main window, with a screenshot after each.

``python -m opsplan.app.gui.tour OUTDIR [--size 1600x1000] [--file PLAN.json] [--solver cpsat]``
opens the window at the given size, then, from the menus as a planner does it:
File → Open (the bundled sample of the first kind unless ``--file``), solve, File → New. After
each step it writes ``OUTDIR/<size>-<step>.png``: the whole screen when there is a real display
(run it under ``xvfb-run -s "-screen 0 1600x1000x24"`` for the README's pictures), else the
window rendered offscreen. It starts from a fresh profile (your saved layout and recent
files are neither read nor changed). The file dialogs are answered by the tour (it names the file), the
rest is the window's own code. It prints one line per step with the Gantt's share of the window,
so a layout that squeezes the board shows in the log as well as in the picture.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from importlib.resources import files
from pathlib import Path


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x1000, not {text!r}") from None
    if not (400 <= w <= 8000 and 300 <= h <= 8000):
        raise argparse.ArgumentTypeError(f"size {text} is out of range (400x300 to 8000x8000)")
    return w, h


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m opsplan.app.gui.tour", description=__doc__.split("\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", type=_parse_size, default=(1600, 1000))
    ap.add_argument("--file", type=Path, default=None, help="the plan to open (default: the first kind's sample)")
    ap.add_argument("--solver", default="cpsat")
    ap.add_argument("--time-limit", type=float, default=5.0)
    args = ap.parse_args(argv)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # a first start, as a new planner sees it: the tour neither reads nor changes your saved
    # window layout, recent files or recovery files
    os.environ["OPSPLAN_CONFIG_DIR"] = tempfile.mkdtemp(prefix="opsplan-tour-")

    from opsplan.app.gui.kinds import default_kind
    from opsplan.app.gui.main_window import MainWindow
    from opsplan.models.kinds import descriptor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QFileDialog

    app = QApplication.instance() or QApplication(sys.argv[:1])
    sample = descriptor(default_kind()).sample
    path = args.file or (Path(str(files("opsplan.resources") / "samples" / sample)) if sample else None)
    if path is None or not Path(path).is_file():
        print(f"tour: no plan to open ({path})", file=sys.stderr)
        return 2
    args.outdir.mkdir(parents=True, exist_ok=True)
    w, h = args.size
    win = MainWindow(ask=lambda *_: "discard")
    win.setGeometry(0, 0, w, h)
    win.show()
    QFileDialog.getOpenFileName = staticmethod(lambda *a, **k: (str(path), ""))  # the planner picks the file

    def settle() -> None:
        # the event loop's own way (deleted widgets go, dock animations end): with processEvents
        # alone the dock tab bars Qt replaced when the layout changed linger in the picture
        QTest.qWait(800)

    def shot(step: str) -> None:
        settle()
        out = args.outdir / f"{w}x{h}-{step}.png"
        screen = app.primaryScreen()
        pic = screen.grabWindow(0) if app.platformName() == "xcb" else win.grab()
        if app.platformName() == "xcb":
            pic = pic.copy(0, 0, w, h)
        pic.save(str(out))
        g = win.gantt
        print(f"{step}: gantt {g.width()}x{g.height()} of {win.width()}x{win.height()} "
              f"({g.width() / win.width():.0%} x {g.height() / win.height():.0%}) -> {out}")

    settle()
    win.act_open.trigger()
    shot("open")
    win.solve_panel.solve(args.solver, args.time_limit)
    win.solve_panel.wait()
    shot("solved")
    win.new_menu.actions()[0].trigger()
    shot("new")
    win.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
