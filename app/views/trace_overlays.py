"""The trace view's plot and its layers: painted traces, colour bar, µV scale bar, events."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPen

from app.model.trace_frame import HEATMAP, TraceFrame
from app.theme import Theme
from app.views.time_axis import TimeAxis
from app.views.trace_controls import TraceViewBox
from core.event.base import event_times

#: More events than this per event channel in the window are not drawn.
MAX_EVENT_ITEMS = 200
#: Smallest distance between channel labels, in pixels.
LABEL_SPACING_PX = 11
#: Narrowest and widest channel axis (labels and title), in pixels.
CHANNEL_AXIS_WIDTH_PX = (56, 170)
#: Point size of the channel labels.
LABEL_POINT_SIZE = 8
#: Colour map of the heat map (diverging: troughs blue, peaks red).
HEATMAP_COLORMAP = "CET-D1"
#: The µV scale bar stands for the largest 1-2-5 value drawn at most this many pixels tall.
SCALE_BAR_PX = 45


class TracePlot(pg.PlotWidget):
    """The trace view's plot: painted traces (or heat map), channel labels, colour bar, µV scale
    bar and events.

    Its view box reports the wheel and clicks instead of changing the ranges, which follow the
    frame on display.

    Parameters
    ----------
    theme : Theme
        Colours.
    """

    def __init__(self, theme: Theme) -> None:
        self.view_box = TraceViewBox()
        super().__init__(
            viewBox=self.view_box, background=theme.background, axisItems={"bottom": TimeAxis()}
        )
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.disableAutoRange()
        self._label_font = QFont()
        self._label_font.setPointSize(LABEL_POINT_SIZE)
        for name, label in (("left", "Channel"), ("bottom", "Time (s)")):
            axis = plot.getAxis(name)
            axis.setPen(theme.foreground)
            axis.setTextPen(theme.foreground)
            axis.setLabel(label)
        for name in ("bottom", "left", "top", "right"):  # hidden ones too: else every range
            plot.getAxis(name).enableAutoSIPrefix(False)  # change lays out each axis title again
        left = plot.getAxis("left")
        left.setStyle(tickFont=self._label_font, autoReduceTextSpace=False)
        left.setWidth(CHANNEL_AXIS_WIDTH_PX[0])
        colormap = pg.colormap.get(HEATMAP_COLORMAP)
        rgb = colormap.getLookupTable(nPts=256, alpha=False).astype("uint32")
        self._heatmap_lut = 0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        self.trace_item = TraceImageItem()
        self.message = pg.TextItem(color=theme.event, anchor=(0, 0), fill=_translucent(theme))
        self.message.setZValue(30)
        for item in (self.trace_item, self.message):
            plot.addItem(item)
        self.color_bar = pg.ColorBarItem(
            values=(-1.0, 1.0),
            colorMap=colormap,
            interactive=False,
            width=14,
            label="",
            pen=theme.foreground,
            colorMapMenu=False,
        )
        for axis in (self.color_bar.axis,):
            axis.setPen(theme.foreground)
            axis.setTextPen(theme.foreground)
        self.color_bar.hide()
        self.scale_bar = VerticalScaleBar(self.view_box, theme)
        self.event_markers = EventMarkers(plot, theme)

    def pixel_size(self) -> tuple[int, int]:
        """Device pixels of the data area: ``(columns, rows)``."""
        ratio = self.devicePixelRatioF()
        return (
            max(int(round(self.view_box.width() * ratio)), 1),
            max(int(round(self.view_box.height() * ratio)), 1),
        )

    def heatmap_lut(self) -> np.ndarray:
        """Opaque ARGB32 of the heat-map colour map, 256 entries from -level to +level."""
        return self._heatmap_lut

    def show_frame(
        self, frame: TraceFrame, x_range: tuple[float, float], unit: str, note: str = ""
    ) -> None:
        """Show a painted frame over the time range ``x_range`` (seconds); ``unit`` names the
        values (``"µV"``, or ``""`` for raw values); ``note`` is said over the traces."""
        style = frame.style
        (left, right), (bottom, top) = frame.x_span, style.y_range()
        skipped = 0 if frame.marks is None else frame.marks.skipped
        notes = [note] if note else []
        if skipped:
            notes.append(f"{skipped:,} spikes on screen: zoom in to mark them")
        self._say("\n".join(notes), x_range[0], top)
        self.trace_item.set_pixels(frame.pixels, QRectF(left, bottom, right - left, top - bottom))
        self.trace_item.show()
        self._show_color_bar(frame, unit)
        if style.mode == HEATMAP:
            self.scale_bar.hide()
        else:
            self.scale_bar.set_scale(style.spacing / style.gain, style.count, unit)
            self.scale_bar.show()
        self.view_box.setRange(xRange=x_range, yRange=(bottom, top), padding=0)
        # pyqtgraph defers the new transform to the next paint, where setting it marks the
        # traces dirty again: a second paint of the data area at every frame
        self.view_box.updateMatrix()

    def show_error(self, text: str) -> None:
        """Show nothing but ``text`` (top left)."""
        self.clear_layers()
        rect = self.view_box.viewRect()  # y grows upwards: the rectangle's bottom is the top
        self._say(text, rect.left(), rect.bottom())

    def _say(self, text: str, x: float, y: float) -> None:
        """Show ``text`` with its top left at ``(x, y)``; no text hides the message (an empty
        one would still be laid out and painted at every frame)."""
        self.message.setText(text)
        if text:
            self.message.setPos(x, y)
        self.message.setVisible(bool(text))

    def clear_layers(self) -> None:
        """Remove traces, scales and events."""
        self.trace_item.clear()
        self.scale_bar.hide()
        self._remove_color_bar()
        self.event_markers.clear()

    def set_channel_labels(self, labels: list[tuple[int, str]]) -> None:
        """Label rows (``(y, text)``, bottom to top), every row when there is room, else every
        2nd, 5th, 10th...; the axis widens to fit the labels."""
        rows = max(len(labels), 1)
        rows_per_label = rows * LABEL_SPACING_PX / max(self.view_box.height(), 1.0)
        step = _nice_step(rows_per_label)
        ticks = [(float(y), text) for y, text in labels if y % step == 0]
        axis = self.getPlotItem().getAxis("left")
        metrics = QFontMetrics(self._label_font)
        widest = max((metrics.horizontalAdvance(text) for _, text in ticks), default=0)
        low, high = CHANNEL_AXIS_WIDTH_PX
        axis.setWidth(int(min(max(widest + 34, low), high)))
        axis.setTicks([ticks, []])

    def channel_labels(self) -> list[tuple[float, str]]:
        """The labels on the channel axis (``(y, text)``)."""
        ticks = self.getPlotItem().getAxis("left")._tickLevels
        return [] if not ticks else list(ticks[0])

    def _show_color_bar(self, frame: TraceFrame, unit: str) -> None:
        if frame.style.mode != HEATMAP:
            self._remove_color_bar()
            return
        bar = self.color_bar
        bar.setLevels((-frame.level, frame.level))
        bar.axis.setLabel(unit or "raw")
        if not bar.isVisible():
            self.getPlotItem().layout.addItem(bar, 2, 5)
            bar.show()

    def _remove_color_bar(self) -> None:
        if self.color_bar.isVisible():
            self.getPlotItem().layout.removeItem(self.color_bar)
            self.color_bar.hide()


class TraceImageItem(pg.GraphicsObject):
    """Draws an ARGB32 pixel array over a rectangle of the plot, blitted 1:1 to the screen."""

    def __init__(self) -> None:
        super().__init__()
        self._pixels: np.ndarray | None = None
        self._image: QImage | None = None
        self._rect = QRectF()

    @property
    def pixels(self) -> np.ndarray | None:
        """``(rows, columns)`` uint32 on display (top row first), or None."""
        return self._pixels

    def set_pixels(self, pixels: np.ndarray, rect: QRectF) -> None:
        """Show ``pixels`` (top row first) stretched over ``rect`` (data coordinates)."""
        self.prepareGeometryChange()
        self._pixels = np.ascontiguousarray(pixels, dtype="uint32")
        height, width = self._pixels.shape
        # premultiplied ARGB32 is what the raster engine blends without converting
        self._image = QImage(
            self._pixels, width, height, 4 * width, QImage.Format.Format_ARGB32_Premultiplied
        )
        self._rect = QRectF(rect)
        self.update()

    def clear(self) -> None:
        """Show nothing."""
        self.prepareGeometryChange()
        self._pixels, self._image, self._rect = None, None, QRectF()
        self.update()

    def boundingRect(self) -> QRectF:
        """The rectangle the pixels cover."""
        return QRectF(self._rect)

    def paint(self, painter, *args) -> None:
        """Blit in device coordinates: copied pixel for pixel at a whole pixel when the sizes
        match to within a pixel (the plot's layout may give it a fraction of a pixel more or
        less, and a stretch by that fraction would resample the whole image); stretched
        otherwise (the image was painted for another size, until the next frame)."""
        if self._image is None:
            return
        target = painter.transform().mapRect(self._rect)
        image = self._image
        painter.save()
        painter.resetTransform()
        if (
            abs(target.width() - image.width()) < 1.0
            and abs(target.height() - image.height()) < 1.0
        ):
            painter.drawImage(QPoint(round(target.left()), round(target.top())), image)
        else:
            painter.drawImage(target, image)
        painter.restore()


class VerticalScaleBar(pg.GraphicsObject):
    """A labelled vertical bar of a round value (e.g. "100 µV") in the top-right corner of the
    traces, as tall as that value is drawn.

    Parameters
    ----------
    view_box : pg.ViewBox
        The traces' view box (the bar lives in its pixel coordinates, not in data coordinates).
    theme : Theme
        Colours.
    """

    def __init__(self, view_box: pg.ViewBox, theme: Theme) -> None:
        super().__init__(view_box)
        self._view_box = view_box
        self._pen = QPen(theme.foreground, 2)
        self._text_color = QColor(theme.foreground)
        self._fill = QColor(theme.background)
        self._fill.setAlpha(170)
        self._font = QFont()
        self._font.setPointSize(LABEL_POINT_SIZE + 1)
        self._length_px, self._text, self._value = 0.0, "", 1.0
        self._units_per_row, self._rows, self._unit = 1.0, 1, ""
        self._rect = QRectF()
        self.setZValue(20)
        self.hide()
        view_box.sigResized.connect(self._layout)

    @property
    def text(self) -> str:
        """The label, e.g. ``"100 µV"``."""
        return self._text

    @property
    def length_px(self) -> float:
        """Height of the bar in pixels."""
        return self._length_px

    @property
    def value(self) -> float:
        """The value the bar stands for, in data units."""
        return self._value

    def set_scale(self, units_per_row: float, rows: int, unit: str) -> None:
        """The traces show ``units_per_row`` data units per row spacing with ``rows`` rows on
        screen (plus one row of margin); ``unit`` is ``"µV"`` or ``""`` (raw)."""
        scale = (float(units_per_row), int(rows), unit)
        if scale == (self._units_per_row, self._rows, self._unit) and not self._rect.isEmpty():
            return  # every frame sets it: lay out (and measure the text) only when it changes
        self._units_per_row, self._rows, self._unit = scale
        self._layout()

    def _layout(self) -> None:
        row_px = self._view_box.height() / (self._rows + 1)
        px_per_unit = row_px / self._units_per_row if self._units_per_row > 0 else 0.0
        self._value = _round_value(SCALE_BAR_PX, px_per_unit)
        self._length_px = self._value * px_per_unit
        number = f"{self._value:g}"
        self._text = f"{number} {self._unit}" if self._unit else f"{number} (raw)"
        self.prepareGeometryChange()
        metrics = QFontMetrics(self._font)
        width = metrics.horizontalAdvance(self._text) + 22
        height = max(self._length_px, metrics.height()) + 8
        self._rect = QRectF(0, 0, width, height)
        self.setPos(self._view_box.width() - width - 8, 8)
        self.update()

    def boundingRect(self) -> QRectF:
        """Label and bar, with a margin."""
        return QRectF(self._rect)

    def paint(self, painter, *args) -> None:
        """A translucent box, the bar on its right, the label beside it."""
        rect = self.boundingRect()
        painter.fillRect(rect, self._fill)
        x = rect.width() - 8
        top, bottom = 4.0, 4.0 + self._length_px
        painter.setPen(self._pen)
        painter.drawLine(QPointF(x, top), QPointF(x, bottom))
        painter.drawLine(QPointF(x - 3, top), QPointF(x + 3, top))
        painter.drawLine(QPointF(x - 3, bottom), QPointF(x + 3, bottom))
        painter.setFont(self._font)
        painter.setPen(self._text_color)
        text_rect = QRectF(2, 0, rect.width() - 14, rect.height())
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            self._text,
        )


class EventMarkers:
    """Vertical lines at event times and shaded regions over epochs, with their label as tooltip.

    Parameters
    ----------
    plot_item : pg.PlotItem
        Where to draw.
    theme : Theme
        ``event`` and ``epoch`` colours.
    """

    def __init__(self, plot_item: pg.PlotItem, theme: Theme) -> None:
        self._plot_item = plot_item
        self._pen = pg.mkPen(theme.event, width=1)
        self._hover_pen = pg.mkPen(theme.event, width=3)
        self._brush = pg.mkBrush(theme.epoch)
        self.lines: list[pg.InfiniteLine] = []
        self.regions: list[pg.LinearRegionItem] = []

    def clear(self) -> None:
        """Remove every marker."""
        for item in self.lines + self.regions:
            self._plot_item.removeItem(item)
        self.lines, self.regions = [], []

    def update(self, events, segment_index: int, start_time: float, end_time: float) -> None:
        """Draw the events of every channel of ``events`` within ``[start_time, end_time]``."""
        self.clear()
        if events is None or segment_index >= events.get_num_segments():
            return
        for channel_id in events.channel_ids.tolist():
            found = events.get_events(
                channel_id=channel_id,
                segment_index=segment_index,
                start_time=start_time,
                end_time=end_time,
                include_overlapping=True,
            )[:MAX_EVENT_ITEMS]
            names = found.dtype.names or ()
            times = np.asarray(event_times(found), dtype="float64")
            durations = found["duration"] if "duration" in names else np.zeros(found.size)
            labels = found["label"] if "label" in names else [""] * found.size
            for time, duration, label in zip(times.tolist(), durations.tolist(), labels):
                tip = _tooltip(channel_id, label, time, duration)
                if duration > 0:
                    self._add_region(time, duration, tip)
                else:
                    self._add_line(time, tip)

    def _add_line(self, time: float, tip: str) -> None:
        line = pg.InfiniteLine(pos=time, angle=90, movable=False, pen=self._pen)
        line.setHoverPen(self._hover_pen)
        line.setToolTip(tip)
        line.setZValue(6)
        self._plot_item.addItem(line)
        self.lines.append(line)

    def _add_region(self, time: float, duration: float, tip: str) -> None:
        region = pg.LinearRegionItem(
            values=(time, time + duration), movable=False, brush=self._brush, pen=self._pen
        )
        region.setToolTip(tip)
        region.setZValue(5)
        self._plot_item.addItem(region)
        self.regions.append(region)


def _translucent(theme: Theme) -> QColor:
    fill = QColor(theme.background)
    fill.setAlpha(200)
    return fill


def channel_label_texts(recording, channels: np.ndarray, with_depth: bool) -> list[str]:
    """Labels of recording channel indices: the channel id, and its depth (y, µm) when asked
    for and known."""
    texts = [str(c) for c in recording.channel_ids[channels].tolist()]
    if not with_depth:
        return texts
    try:
        depths = np.asarray(recording.get_channel_locations())[channels, 1]
    except (ValueError, AttributeError, IndexError):  # no locations
        return texts
    return [f"{t} · {d:g} µm" for t, d in zip(texts, depths.tolist())]


def _tooltip(channel_id, label, time: float, duration: float) -> str:
    text = f"{channel_id}: {label}" if label else str(channel_id)
    text += f"\nat {time:.4f} s"
    if duration > 0:
        text += f" for {duration:.4f} s"
    return text


def _nice_step(minimum: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= ``minimum``."""
    base = 1
    while True:
        for factor in (1, 2, 5):
            if base * factor >= minimum:
                return base * factor
        base *= 10


def _round_value(length_px: float, px_per_unit: float) -> float:
    """The largest 1-2-5 value drawn at most ``length_px`` pixels tall (so at least
    ``length_px / 2.5``)."""
    if not px_per_unit > 0 or not math.isfinite(px_per_unit):
        return 1.0
    largest = length_px / px_per_unit
    exponent = math.floor(math.log10(largest))
    for factor in (5, 2, 1):
        value = factor * 10.0**exponent
        if value <= largest:
            return value
    return 10.0**exponent
