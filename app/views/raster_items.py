"""Graphics items of the raster view: the pixel image, a clock time axis, a click-only view box."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage


class RasterImage(pg.GraphicsObject):
    """A premultiplied ARGB32 pixel array over a rectangle of the plot, blitted 1:1."""

    def __init__(self) -> None:
        super().__init__()
        self.pixels: np.ndarray | None = None
        self._image: QImage | None = None
        self._rect = QRectF()

    def set_pixels(self, pixels: np.ndarray, rect: QRectF) -> None:
        """Show ``pixels`` (top row first) over ``rect`` (data coordinates)."""
        self.prepareGeometryChange()
        self.pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
        height, width = self.pixels.shape
        self._image = QImage(
            self.pixels, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied
        )
        self._rect = QRectF(rect)
        self.update()

    def clear(self) -> None:
        """Show nothing."""
        self.prepareGeometryChange()
        self.pixels, self._image, self._rect = None, None, QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter, *args) -> None:
        if self._image is None:
            return
        target = painter.transform().mapRect(self._rect)
        painter.save()
        painter.resetTransform()
        painter.drawImage(target, self._image)
        painter.restore()


class ClockAxis(pg.AxisItem):
    """A time axis in seconds that reads m:ss or h:mm:ss once it spans minutes."""

    def tickStrings(self, values, scale, spacing):
        if spacing < 1.0 or not values:
            return super().tickStrings(values, scale, spacing)
        return [_clock(v) for v in values]


def _clock(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    minutes, secs = divmod(int(round(abs(seconds))), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


class ClickViewBox(pg.ViewBox):
    """A view box that reports clicks and wheel turns; ranges are set by the view.

    Signals
    -------
    clicked(QPointF position, object modifiers)
        Left click, in data coordinates.
    wheel_turned(float x, float steps)
        Wheel over the plot at data x; ``steps`` positive away from the user.
    """

    clicked = Signal(QPointF, object)
    wheel_turned = Signal(float, float)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapToView(ev.pos()), ev.modifiers())
            ev.accept()

    def wheelEvent(self, ev, axis=None) -> None:
        self.wheel_turned.emit(self.mapToView(ev.pos()).x(), ev.delta() / 120.0)
        ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        ev.ignore()


class blocked_signals:
    """Block a QObject's signals within a ``with`` block."""

    def __init__(self, obj) -> None:
        self._obj = obj

    def __enter__(self):
        self._previous = self._obj.blockSignals(True)

    def __exit__(self, *exc):
        self._obj.blockSignals(self._previous)


def style_axes(item, theme, left: str, bottom: str) -> None:
    """Theme colours and titles of a plot item's left and bottom axes (no SI prefixes)."""
    for name, label in (("left", left), ("bottom", bottom)):
        axis = item.getAxis(name)
        axis.setPen(theme.foreground)
        axis.setTextPen(theme.foreground)
        if label:
            axis.setLabel(label)
    item.getAxis("bottom").enableAutoSIPrefix(False)
    item.getAxis("left").enableAutoSIPrefix(False)
