"""DotsItem: many dots of one colour, painted as one polygon of points.

pyqtgraph's ScatterPlotItem keeps a record per spot (tens of ms to make or restyle 30 000 of
them); a DotsItem copies the coordinates into one QPolygonF (well under a millisecond) and
paints them with a square cosmetic pen, so setting a unit's dots or colour costs almost
nothing on the GUI thread.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen, QPolygonF


class DotsItem(pg.GraphicsObject):
    """Dots at data points ``(x, y)``, ``size`` pixels wide whatever the zoom.

    Parameters
    ----------
    size : int
        Width of a dot in pixels.
    color : QColor or str
    """

    def __init__(self, size: int = 3, color="w") -> None:
        super().__init__()
        self._size = size
        self._pen = QPen(QColor(color))
        self._pen.setCosmetic(True)
        self._pen.setWidth(size)
        self._pen.setCapStyle(Qt.PenCapStyle.SquareCap)
        self._polygon = QPolygonF()
        self._bounds = QRectF()
        self.x = np.empty(0)
        self.y = np.empty(0)

    def set_data(self, x, y) -> None:
        """Show dots at ``x``, ``y`` (equal lengths; non-finite points are left out)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"x and y must be 1-D of one length, got {x.shape} and {y.shape}")
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.all():
            x, y = x[finite], y[finite]
        self.prepareGeometryChange()
        self.x, self.y = x, y
        self._polygon = pg.functions.create_qpolygonf(x.size)
        points = pg.functions.ndarray_from_qpolygonf(self._polygon)
        points[:, 0] = x
        points[:, 1] = y
        if x.size:
            left, right, bottom, top = x.min(), x.max(), y.min(), y.max()
            self._bounds = QRectF(left, bottom, right - left, top - bottom)
        else:
            self._bounds = QRectF()
        self.informViewBoundsChanged()
        self.update()

    def set_color(self, color) -> None:
        """Paint the dots in ``color``."""
        color = QColor(color)
        if color != self._pen.color():
            self._pen.setColor(color)
            self.update()

    def color(self) -> QColor:
        """The colour of the dots."""
        return self._pen.color()

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None):
        """``(min, max)`` of the dots along ``axis`` (0: x, 1: y), for the view's auto range."""
        values = self.x if axis == 0 else self.y
        if orthoRange is not None and values.size:
            other = self.y if axis == 0 else self.x
            values = values[(other >= orthoRange[0]) & (other <= orthoRange[1])]
        if values.size == 0:
            return (None, None)
        return (float(values.min()), float(values.max()))

    def pixelPadding(self) -> float:
        """Pixels a dot reaches beyond its point (the view's auto range leaves room)."""
        return self._size / 2

    def boundingRect(self) -> QRectF:
        if self._polygon.isEmpty():
            return QRectF()
        width, height = self.pixelWidth(), self.pixelHeight()
        pad_x = (width or 0.0) * self._size
        pad_y = (height or 0.0) * self._size
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # the padding, in pixels, is another data width

    def paint(self, painter, *_args) -> None:
        if self._polygon.isEmpty():
            return
        painter.setRenderHint(painter.RenderHint.Antialiasing, False)
        painter.setPen(self._pen)
        painter.drawPoints(self._polygon)
