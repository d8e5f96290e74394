"""The trace plot's time axis: ticks and labels laid out with a few vector operations.

pyqtgraph's `AxisItem` lays out its ticks again at every range change, in Python, tick by tick
(a `Point` per coordinate, a `QPainter.boundingRect` per label): 1.5-2.5 ms of the GUI thread
at every frame of the trace view, whose range changes with every frame. `TimeAxis` keeps
pyqtgraph's drawing and sizing and computes the same kind of layout (major ticks of 1, 2 or 5
times a power of ten, labelled; minor ticks between them) with numpy and one font metrics.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPen

#: Labels are at least this many pixels apart, besides their own width.
LABEL_GAP_PX = 30
#: Minor ticks per major step, by the step's leading digit.
MINOR_DIVISIONS = {1: 5, 2: 4, 5: 5}


def time_ticks(
    low: float, high: float, length_px: float, label_px: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Major and minor tick values of an axis from ``low`` to ``high`` seconds drawn over
    ``length_px`` pixels, with labels about ``label_px`` wide.

    Parameters
    ----------
    low, high : float
        The range shown (``high > low``).
    length_px : float
        Length of the axis in pixels (> 0).
    label_px : float
        Width of the widest label expected.

    Returns
    -------
    major : np.ndarray
        Multiples of the major step (1, 2 or 5 times a power of ten, the smallest that keeps
        labels `LABEL_GAP_PX` apart) within ``[low, high]``, increasing.
    minor : np.ndarray
        Multiples of the minor step within the range that are not major ticks.
    decimals : int
        Decimals that write every major tick exactly (``0`` for whole steps).
    """
    span = high - low
    if not (span > 0 and length_px > 0) or not math.isfinite(span):
        return np.empty(0), np.empty(0), 0
    smallest_step = span * (label_px + LABEL_GAP_PX) / length_px
    exponent = math.floor(math.log10(smallest_step))
    for digit in (1, 2, 5, 10):
        if digit * 10.0**exponent >= smallest_step:
            break
    if digit == 10:
        digit, exponent = 1, exponent + 1
    major_step = digit * 10.0**exponent
    minor_step = major_step / MINOR_DIVISIONS[digit]
    divisions = MINOR_DIVISIONS[digit]
    # a millionth of a major step of tolerance: a range set to round times keeps its end ticks
    tolerance = 1e-6 * divisions  # in minor steps
    first = math.ceil(low / minor_step - tolerance)
    last = math.floor(high / minor_step + tolerance)
    counts = np.arange(first, last + 1)
    is_major = counts % divisions == 0
    # exact multiples (k * step), not accumulated sums, so that labels read round
    major = (counts[is_major] // divisions) * major_step
    minor = counts[~is_major] * minor_step
    decimals = max(0, -exponent)
    return major, minor, decimals


class TimeAxis(pg.AxisItem):
    """Bottom axis of the trace plot, in seconds: labelled major ticks and minor ticks, laid
    out by `time_ticks` (pyqtgraph's drawing, sizing and title otherwise).

    Parameters
    ----------
    **kwargs
        Passed to `pyqtgraph.AxisItem` (the orientation is ``"bottom"``).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("bottom", **kwargs)
        self._metrics: QFontMetricsF | None = None
        self._ticks: list[tuple[float, str]] = []

    def ticks(self) -> list[tuple[float, str]]:
        """The labelled ticks drawn last: ``(seconds, label)``."""
        return list(self._ticks)

    def setStyle(self, **kwargs) -> None:
        """pyqtgraph's style options (a new tick font is measured again)."""
        super().setStyle(**kwargs)
        self._metrics = None

    def generateDrawSpecs(self, painter):
        """The axis line, tick lines and labels for the current range, in this item's
        coordinates (pyqtgraph's `drawPicture` draws them)."""
        font = self.style["tickFont"]
        if font is not None:
            painter.setFont(font)
        if self._metrics is None:
            self._metrics = QFontMetricsF(painter.font())
        metrics = self._metrics
        bounds = self.mapRectFromParent(self.geometry())
        low, high = (float(v) for v in self.range)
        width = bounds.width()
        axis_spec = (
            self.pen(),
            QPointF(bounds.left() - 1.0, bounds.top() + 1.0),
            QPointF(bounds.right() + 1.0, bounds.top() + 1.0),
        )
        if not (high > low and width > 0):
            self._ticks = []
            return axis_spec, [], []
        widest = metrics.horizontalAdvance(f"{max(abs(low), abs(high)):.3f}")
        major, minor, decimals = time_ticks(low, high, width, widest)
        scale = width / (high - low)
        top = bounds.top()
        tick_length = float(self.style["tickLength"])
        tick_specs = []
        for values, length, alpha in ((major, tick_length, 255), (minor, tick_length / 1.5, 128)):
            pen = _with_alpha(self.tickPen(), alpha)
            xs = (bounds.left() + (values - low) * scale).tolist()
            tick_specs += [(pen, QPointF(x, top), QPointF(x, top + length)) for x in xs]
        texts = [f"{value:.{decimals}f}" for value in major.tolist()]
        height = metrics.height() * 0.8
        y = top + max(0.0, tick_length) + self.style["tickTextOffset"][1]
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        flags |= Qt.TextFlag.TextDontClip
        text_specs = []
        for x, text in zip((bounds.left() + (major - low) * scale).tolist(), texts):
            text_width = metrics.horizontalAdvance(text)
            rect = QRectF(x - text_width / 2, y, text_width, height)
            if bounds.left() <= rect.left() and rect.right() <= bounds.right():
                text_specs.append((rect, flags, text))
        self._ticks = list(zip(major.tolist(), texts))
        self._updateMaxTextSize(height)
        return axis_spec, tick_specs, text_specs


def _with_alpha(pen: QPen, alpha: int) -> QPen:
    """A copy of ``pen`` with its colour at opacity ``alpha`` (0-255)."""
    pen = QPen(pen)
    color = QColor(pen.color())
    color.setAlpha(alpha)
    pen.setColor(color)
    return pen
