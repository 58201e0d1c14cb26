"""Render installer/icons/opsplan.svg to a square PNG (256 px by default) with Qt, offscreen.

Usage: python installer/render_icon.py [SIZE]  (writes installer/icons/opsplan.png; 256 writes
the checked-in icon, other sizes opsplan-SIZE.png).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def render(svg: Path, png: Path, size: int = 256) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter needs one
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(png), "PNG"):
        raise SystemExit(f"{png}: cannot write")


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    name = "opsplan.png" if size == 256 else f"opsplan-{size}.png"
    render(HERE / "icons" / "opsplan.svg", HERE / "icons" / name, size)
    print(HERE / "icons" / name)
