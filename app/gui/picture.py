"""Write a painting as PNG, SVG or PDF, chosen by the file's extension (the views' exports)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRect, QSize, QSizeF
from PySide6.QtGui import QColor, QImage, QPageSize, QPainter, QPdfWriter

FORMATS = (".png", ".svg", ".pdf")


def check_format(path: str | Path) -> str:
    """The lower-case extension of ``path``; ValueError when it is not one we write."""
    ext = Path(path).suffix.lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot export {Path(path).name}: use .png, .svg or .pdf")
    return ext


def write_picture(path: str | Path, width: int, height: int, paint: Callable[[QPainter], None],
                  title: str = "OpsPlan", description: str = "") -> Path:
    """Call ``paint`` on a ``width`` × ``height`` canvas and save it as ``path``'s format.

    PNG is a white-backed raster, SVG keeps vectors and text, PDF is one page of exactly
    that size (in points). Raises OSError when nothing could be written.
    """
    path = Path(path)
    ext = check_format(path)
    if ext == ".png":
        img = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        img.fill(QColor("white"))
        p = QPainter(img)
        paint(p)
        p.end()
        if not img.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    elif ext == ".svg":
        from PySide6.QtSvg import QSvgGenerator

        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(QSize(width, height))
        gen.setViewBox(QRect(0, 0, width, height))
        gen.setTitle(title)
        gen.setDescription(description or title)
        p = QPainter(gen)
        paint(p)
        p.end()
    else:
        writer = QPdfWriter(str(path))
        writer.setTitle(title)
        writer.setCreator("OpsPlan")
        writer.setPageSize(QPageSize(QSizeF(width, height), QPageSize.Unit.Point, "plan",
                                     QPageSize.SizeMatchPolicy.ExactMatch))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0))
        p = QPainter(writer)
        scale = writer.width() / width
        p.scale(scale, scale)
        paint(p)
        p.end()
    if not path.is_file() or path.stat().st_size == 0:
        raise OSError(f"could not write {path}")
    return path
