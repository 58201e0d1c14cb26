"""Pictures of the Gantt: the whole chart (header, lane labels, every lane) as PNG, SVG or PDF.

:class:`GanttExport` is the part of :class:`~opsplan.app.gui.gantt.GanttView` that paints
the chart (with its legend strip, when shown) off screen at a scale that fits :data:`EXPORT_MAX_PX`, as vectors up to
:data:`EXPORT_VECTOR_LIMIT` bars and rasterised beyond, with the painting code of
:mod:`~opsplan.app.gui.gantt_paint`; :func:`~opsplan.app.gui.picture.write_picture`
writes the file.
"""

from __future__ import annotations

import math
from pathlib import Path

from opsplan.app.gui.gantt_paint import STRIPE
from opsplan.app.gui.gantt_scene import HEADER_H, MARGIN
from opsplan.app.gui.picture import write_picture
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

EXPORT_VECTOR_LIMIT = 6000
EXPORT_MAX_PX = {".png": 16000, ".svg": 16000, ".pdf": 14000}


class GanttExport:
    """Export to a picture file (a mixin of :class:`~opsplan.app.gui.gantt.GanttView`)."""

    def export_image(self, path: str | Path) -> Path:
        """Write the whole chart (header, labels, every lane) as .png, .svg or .pdf, chosen by extension."""
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in EXPORT_MAX_PX:
            raise ValueError(f"cannot export {path.name}: use .png, .svg or .pdf")
        ppu = min(self._ppu, (EXPORT_MAX_PX[ext] - self._label_w - 2 * MARGIN) / self._t_max)
        width = math.ceil(self._label_w + self._t_max * ppu + 2 * MARGIN)
        legend = self._legend
        top = legend.height_for(width) if legend.wanted else 0  # the legend strip, as on screen
        height = math.ceil(top + HEADER_H + self._total_h + 1)

        def paint(p: QPainter) -> None:
            if top:
                legend.paint_strip(p, width, top)
                p.translate(0, top)
            self._paint_export(p, ppu, width, height - top)

        return write_picture(path, width, height, paint, self._title(), "OpsPlan Gantt chart")

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
        self._paint_cut_tag(p, plot_w, -MARGIN / ppu, ppu)  # the re-plan's cut time, if any
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


__all__ = ["EXPORT_MAX_PX", "EXPORT_VECTOR_LIMIT", "GanttExport"]
