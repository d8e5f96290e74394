"""Graphics pieces of the templates view: its view box, items drawing finished paths and channel
labels, ± std band outlines, scale bars, the depth axis of shortened probe layouts and its
one-line info label."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QLabel, QSizePolicy

from app.model.template_geometry import Placement, nice_length


class TemplateViewBox(pg.ViewBox):
    """Pans and zooms as usual; Ctrl+wheel reports gain steps, a left click its position.

    Signals
    -------
    gain_wheel(float steps)
        Ctrl+wheel turned (positive away from the user, in notches).
    clicked(QPointF position)
        Left click, in data coordinates.
    """

    gain_wheel = Signal(float)
    clicked = Signal(QPointF)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)

    def wheelEvent(self, ev, axis=None) -> None:
        if ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            ev.accept()
            self.gain_wheel.emit(ev.delta() / 120.0)
            return
        super().wheelEvent(ev, axis)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self.mapToView(ev.pos()))
            return
        super().mouseClickEvent(ev)


class OneLineLabel(QLabel):
    """One line of text elided at the right to the label's width, the whole of it in the
    tooltip.

    Its height does not follow its text: a wrapped label above a plot resizes the plot when a
    new text takes another number of lines, and a resized plot renders every path again.
    """

    def __init__(self) -> None:
        super().__init__()
        self._full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def full_text(self) -> str:
        """The text, not elided."""
        return self._full_text

    def set_full_text(self, text: str) -> None:
        """Show ``text`` (elided to the width)."""
        if text != self._full_text:
            self._full_text = text
            self.setToolTip(text)
            self._elide()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        height = self.fontMetrics().height() + margins.top() + margins.bottom()
        return QSize(super().sizeHint().width(), height)  # one line, text or not

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 0)
        shown = self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideRight, width)
        if shown != self.text():
            self.setText(shown)


class ScaleBars:
    """An L of one time length and one value length at the lower left of a placement
    (flattened: the time bar alone under the first window; the value axis is labelled).

    Parameters
    ----------
    mode : {"probe", "flat"}
    placement : Placement
    t_first, t_last : float
        Time of the first and last sample (ms).
    scaled : bool
        Values in µV (else raw).
    low : float
        Lowest value drawn (flattened: the bar goes below it).
    """

    def __init__(
        self, mode: str, placement: Placement, t_first: float, t_last: float, scaled: bool,
        low: float,
    ) -> None:  # fmt: skip
        self.mode, self.placement = mode, placement
        span = t_last - t_first
        time_ms = nice_length(0.5 * span)
        value = nice_length(placement.row_height / placement.y_per_value)
        left, bottom, right, _ = placement.bounds(t_first, t_last)
        self._data_width = 1.25 * (right - left) + 0.2 * placement.box_width
        self.width = time_ms * placement.x_per_ms
        self.height = value * placement.y_per_value if mode == "probe" else 0.0
        if mode == "probe":
            self.x = left - 0.12 * placement.box_width
            self.y = bottom + 0.25 * placement.row_height
        else:
            self.x, self.y = left, low - 0.08 * placement.row_height
        value_text = f"{value:g} {'µV' if scaled else 'raw'}"
        #: ``(time label, value label)``; flattened, the value label is "".
        self.texts = (f"{time_ms:g} ms", value_text if mode == "probe" else "")

    def path(self) -> QPainterPath:
        """The L (or the time bar alone) as a path."""
        path = QPainterPath()
        x, y = self.x, self.y
        path.moveTo(x + self.width, y)
        path.lineTo(x, y)
        if self.height:
            path.lineTo(x, y + self.height)
        return path

    def extent(self, metrics: QFontMetrics, view_width_px: float) -> QRectF:
        """Where the bars and their labels are, in data units at about the fitted scale."""
        height = self.height or 0.1 * self.placement.row_height
        if self.texts[1]:
            pixels = metrics.horizontalAdvance(self.texts[1]) + 12
            room = pixels * self._data_width / max(view_width_px, 100.0)
        else:
            room = 0.2 * self.width
        return QRectF(self.x - room, self.y - 0.3 * height, room + self.width, 1.3 * height)


def depth_ticks(placement: Placement) -> list | None:
    """True depths at the rows of a placement whose gaps were shortened (None: plain axis)."""
    if placement.depths is None:
        return None
    rows = sorted(set(zip(placement.y0.round(3).tolist(), placement.depths.tolist())))
    step = max(1, int(np.ceil(len(rows) / 16)))
    return [[(y, f"{depth:g}") for y, depth in rows[::step]], []]


class PathItem(pg.GraphicsObject):
    """A finished `QPainterPath` drawn with a pen and a brush.

    Unlike `PlotCurveItem` nothing is built at paint time, and unlike `QGraphicsPathItem` its
    extent is given (a stroked outline of thousands of points is never computed): the path and
    its control-point rectangle come ready from a worker thread (`set_path`). Its rendering is
    cached in device pixels: repainting the view (another unit's paths changed, a label moved, a
    pan) blits it, and only a new path, pen or zoom renders it again.
    """

    def __init__(self, pen: QPen | None = None, brush: QBrush | None = None) -> None:
        super().__init__()
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._path, self._rect = QPainterPath(), QRectF()
        self._pen = QPen(Qt.PenStyle.NoPen) if pen is None else QPen(pen)
        self._brush = QBrush() if brush is None else QBrush(brush)
        self._bounds: QRectF | None = None

    def set_path(self, path: QPainterPath, rect: QRectF) -> None:
        """Draw ``path``, whose control points lie in ``rect``."""
        self.prepareGeometryChange()
        self._path, self._rect, self._bounds = path, QRectF(rect), None
        self.update()

    def path(self) -> QPainterPath:
        """The path drawn."""
        return self._path

    def pen(self) -> QPen:
        """The pen the path is stroked with."""
        return QPen(self._pen)

    def setPen(self, pen: QPen) -> None:
        self.prepareGeometryChange()
        self._pen, self._bounds = QPen(pen), None
        self.update()

    def brush(self) -> QBrush:
        """The brush the path is filled with."""
        return QBrush(self._brush)

    def setBrush(self, brush: QBrush) -> None:
        self._brush = QBrush(brush)
        self.update()

    def viewTransformChanged(self) -> None:
        # the pen's width is in pixels: the padding in data units follows the zoom
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            if self._path.isEmpty():
                self._bounds = QRectF()
            else:
                pad = (
                    0.0
                    if self._pen.style() == Qt.PenStyle.NoPen
                    else 0.5 * self._pen.widthF() + 1.0
                )
                px, py = self.pixelVectors()
                pad_x = 0.0 if px is None else pad * px.length()
                pad_y = 0.0 if py is None else pad * py.length()
                self._bounds = self._rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)
        return QRectF(self._bounds)

    def shape(self) -> QPainterPath:
        shape = QPainterPath()
        shape.addRect(self.boundingRect())
        return shape

    def paint(self, painter, *_args) -> None:
        if self._path.isEmpty():
            return
        painter.setPen(self._pen)
        painter.setBrush(self._brush)
        painter.drawPath(self._path)


class ChannelLabels(pg.GraphicsObject):
    """Short texts at points of the view, drawn at a constant size on screen, all in one item
    (one `TextItem` per channel costs a transform update per label at every zoom).

    Each text's lower left corner sits at its point.
    """

    def __init__(self, color: QColor, font: QFont) -> None:
        super().__init__()
        self._color, self._font = QColor(color), QFont(font)
        self._metrics = QFontMetricsF(self._font)
        self._labels: dict = {}
        self._rect = QRectF()
        self._bounds: QRectF | None = None

    def set_labels(self, labels: dict) -> None:
        """Show ``{key: (text, x, y)}`` (view coordinates); empty hides every label."""
        if labels == self._labels:
            return
        self.prepareGeometryChange()
        self._labels, self._bounds = dict(labels), None
        if labels:
            xs = [x for _, x, _ in labels.values()]
            ys = [y for _, _, y in labels.values()]
            self._rect = QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        else:
            self._rect = QRectF()
        self.update()

    def labels(self) -> dict:
        """``{key: (text, x, y)}`` on display."""
        return dict(self._labels)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            if not self._labels:
                self._bounds = QRectF()
            else:
                px, py = self.pixelVectors()
                longest = max(
                    self._metrics.horizontalAdvance(t) for t, _, _ in self._labels.values()
                )
                width = 0.0 if px is None else (longest + 2) * px.length()
                height = 0.0 if py is None else (self._metrics.height() + 2) * py.length()
                # y grows upwards in the view: the text lies above its point
                self._bounds = self._rect.adjusted(0.0, 0.0, width, height)
        return QRectF(self._bounds)

    def paint(self, painter, *_args) -> None:
        if not self._labels:
            return
        transform = painter.transform()
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        painter.setPen(self._color)
        descent = self._metrics.descent()
        for text, x, y in self._labels.values():
            point = transform.map(QPointF(x, y))
            painter.drawText(QPointF(point.x(), point.y() - descent), text)
        painter.restore()


def band_path(x: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> QPainterPath:
    """Closed outlines between ``upper`` and ``lower`` (one per row), for filling."""
    xs = np.concatenate([x, x[:, ::-1]], axis=1)
    ys = np.concatenate([upper, lower[:, ::-1]], axis=1)
    connect = np.ones(xs.shape, dtype=bool)
    connect[:, -1] = False
    return pg.functions.arrayToQPath(xs.ravel(), ys.ravel(), connect=connect.ravel())


def with_alpha(color: QColor, alpha: int) -> QColor:
    """A copy of ``color`` with ``alpha``."""
    color = QColor(color)
    color.setAlpha(alpha)
    return color


def cosmetic_pen(
    color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine, alpha: int = 255
) -> QPen:
    """A pen of constant width on screen."""
    pen = QPen(with_alpha(color, alpha), width, style)
    pen.setCosmetic(True)
    return pen
