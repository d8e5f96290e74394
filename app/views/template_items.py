"""Graphics pieces of the templates view: its view box, many-piece curves, ± std bands,
scale bars and the depth axis of shortened probe layouts."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

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

    def items(self, color: QColor) -> list:
        """The bar and its labels, to add to a view box."""
        path = QPainterPath()
        x, y = self.x, self.y
        path.moveTo(x + self.width, y)
        path.lineTo(x, y)
        if self.height:
            path.lineTo(x, y + self.height)
        bar = QGraphicsPathItem(path)
        bar.setPen(cosmetic_pen(color, 2.0))
        labels = [pg.TextItem(self.texts[0], color=color, anchor=(0, 0))]
        labels[0].setPos(x, y)
        if self.texts[1]:
            labels.append(pg.TextItem(self.texts[1], color=color, anchor=(1, 0.5)))
            labels[1].setPos(x, y + 0.5 * self.height)
        return [bar, *labels]

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


def curve(x: np.ndarray, y: np.ndarray, pen: QPen) -> pg.PlotCurveItem:
    """One item for many pieces: each row of ``x``/``y`` (last axis: samples) is one piece."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.size == 0:
        return pg.PlotCurveItem(pen=pen)
    shape = y.shape[:-1] + (1,)
    gap = np.full(shape, np.nan)
    x = np.concatenate([np.broadcast_to(x, y.shape), gap], axis=-1).ravel()
    y = np.concatenate([y, gap], axis=-1).ravel()
    return pg.PlotCurveItem(x, y, pen=pen, connect="finite", skipFiniteCheck=False)


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
