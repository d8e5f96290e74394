"""The trace view's plot and its layers: traces as pixels or a heat map, spikes, events."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage

import core as si
from app.model.trace_fetcher import TraceWindow
from app.model.trace_frame import STACKED, TraceFrame
from app.theme import Theme
from app.views.trace_controls import TraceViewBox
from core.event.base import event_times

#: Spikes a unit needs before its largest channel stops being re-estimated.
SPIKES_PER_ESTIMATE = 10
#: Half-width of the samples searched for a spike's trough, in seconds.
TROUGH_HALF_WIDTH_S = 0.0005
#: More spikes than this in the window are not marked (zoom in to see them).
MAX_SPIKE_MARKERS = 20_000
#: More events than this per event channel in the window are not drawn.
MAX_EVENT_ITEMS = 200
#: Smallest distance between channel labels, in pixels.
LABEL_SPACING_PX = 14
#: Width of the channel axis (labels and title), in pixels.
CHANNEL_AXIS_WIDTH_PX = 56


class TracePlot(pg.PlotWidget):
    """The trace view's plot: a frame's pixels or heat map, spikes, events and channel labels.

    Its view box reports the wheel and clicks instead of changing the ranges, which follow the
    frame on display.

    Parameters
    ----------
    theme : Theme
        Colours.
    """

    def __init__(self, theme: Theme) -> None:
        self.view_box = TraceViewBox()
        super().__init__(viewBox=self.view_box, background=theme.background)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        plot = self.getPlotItem()
        plot.hideButtons()
        plot.disableAutoRange()
        for name, label in (("left", "Channel"), ("bottom", "Time (s)")):
            axis = plot.getAxis(name)
            axis.setPen(theme.foreground)
            axis.setTextPen(theme.foreground)
            axis.setLabel(label)
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(CHANNEL_AXIS_WIDTH_PX)
        self.trace_item = TraceImageItem()
        self.heatmap_item = pg.ImageItem(axisOrder="col-major")
        self.heatmap_item.setColorMap(pg.colormap.get("CET-D1"))
        self.message = pg.TextItem(color=theme.event, anchor=(0, 0))
        for item in (self.trace_item, self.heatmap_item, self.message):
            plot.addItem(item)
        self.spike_markers = SpikeMarkers(plot, theme)
        self.event_markers = EventMarkers(plot, theme)

    def pixel_size(self) -> tuple[int, int]:
        """Device pixels of the data area: ``(columns, rows)``."""
        ratio = self.devicePixelRatioF()
        return (
            max(int(round(self.view_box.width() * ratio)), 1),
            max(int(round(self.view_box.height() * ratio)), 1),
        )

    def show_frame(self, frame: TraceFrame, x_range: tuple[float, float]) -> None:
        """Show a painted frame over the time range ``x_range`` (seconds)."""
        count = len(frame.style.rank_of_channel)
        (left, right), y_range = frame.x_span, (-1.0, float(count))
        self.message.setText("")
        if frame.style.mode == STACKED:
            self.heatmap_item.hide()
            self.trace_item.set_pixels(frame.pixels, QRectF(left, -1.0, right - left, count + 1))
            self.trace_item.show()
        else:
            y_range = (-0.5, count - 0.5)
            self.trace_item.hide()
            self.heatmap_item.setImage(
                frame.pixels, levels=(-frame.level, frame.level), autoLevels=False
            )
            self.heatmap_item.setRect(QRectF(left, -0.5, right - left, count))
            self.heatmap_item.show()
        self.view_box.setRange(xRange=x_range, yRange=y_range, padding=0)

    def show_error(self, text: str) -> None:
        """Show nothing but ``text`` (top left)."""
        self.clear_layers()
        self.message.setText(text)
        self.message.setPos(*self.view_box.viewRect().topLeft().toTuple())

    def clear_layers(self) -> None:
        """Remove traces, spikes and events."""
        self.trace_item.clear()
        self.heatmap_item.clear()
        self.spike_markers.clear()
        self.event_markers.clear()

    def set_channel_labels(self, channel_ids: np.ndarray) -> None:
        """Label the channel axis (bottom to top), as densely as the height allows."""
        rows_per_label = len(channel_ids) * LABEL_SPACING_PX / max(self.view_box.height(), 1.0)
        step = _nice_step(rows_per_label)
        ticks = [(rank, str(channel_ids[rank])) for rank in range(0, len(channel_ids), step)]
        self.getPlotItem().getAxis("left").setTicks([ticks, []])


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
        """Blit in device coordinates: no flip or scaling when the sizes match."""
        if self._image is None:
            return
        target = painter.transform().mapRect(self._rect)
        painter.save()
        painter.resetTransform()
        painter.drawImage(target, self._image)
        painter.restore()


class ExtremumChannels:
    """The channel where each unit's spikes are largest (most negative), per unit.

    Estimated from the trace windows on display - their data are already in memory, so no extra
    read is needed - until each unit has `SPIKES_PER_ESTIMATE` spikes; or given once from a
    waveform extractor's templates.

    Parameters
    ----------
    num_units, num_channels : int
        Sizes of the sorting and the recording.
    """

    def __init__(self, num_units: int, num_channels: int) -> None:
        self._sums = np.zeros((num_units, num_channels))
        self._counts = np.zeros(num_units, dtype="int64")

    @classmethod
    def from_waveform_extractor(cls, waveform_extractor, recording) -> ExtremumChannels:
        """Channels of the templates' extrema (final: nothing left to learn)."""
        extremum = si.get_template_extremum_channel(waveform_extractor, outputs="id")
        channels = cls(len(extremum), recording.get_num_channels())
        indices = recording.ids_to_indices(list(extremum.values()))
        channels._sums[np.arange(len(indices)), indices] = 1.0
        channels._counts[:] = SPIKES_PER_ESTIMATE
        return channels

    @classmethod
    def from_unit_channels(cls, unit_channel_ids: dict, sorting, recording) -> ExtremumChannels:
        """Channels given by unit id (final: nothing left to learn)."""
        channels = cls(sorting.get_num_units(), recording.get_num_channels())
        known = set(recording.channel_ids.tolist())
        for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
            channel_id = unit_channel_ids.get(unit_id)
            if channel_id in known:
                channels._sums[unit_index, recording.ids_to_indices([channel_id])[0]] = 1.0
        channels._counts[:] = SPIKES_PER_ESTIMATE
        return channels

    def learn(
        self, window: TraceWindow, centres: np.ndarray, spike_times: np.ndarray, units: np.ndarray
    ) -> None:
        """Add the troughs of spikes in ``window`` for units still being estimated.

        Parameters
        ----------
        window : TraceWindow
            Window with every channel, in recording order.
        centres : np.ndarray
            Baseline of each channel in the window.
        spike_times : np.ndarray
            Times (seconds) of the spikes in the window.
        units : np.ndarray
            Unit index of each spike.
        """
        if window.data.shape[0] < 2:
            return
        half_width = max(TROUGH_HALF_WIDTH_S, float(window.times[1] - window.times[0]))
        firsts = np.searchsorted(window.times, spike_times - half_width, side="left")
        lasts = np.searchsorted(window.times, spike_times + half_width, side="right")
        for first, last, unit in zip(firsts, lasts, units):
            if self._counts[unit] < SPIKES_PER_ESTIMATE and last > first:
                self._sums[unit] += centres - window.data[first:last].min(axis=0)
                self._counts[unit] += 1

    def channel_indices(self) -> np.ndarray:
        """Channel index (recording order) of each unit's largest mean trough."""
        return np.argmax(self._sums, axis=1)


class SpikeMarkers:
    """Dots in their unit's colour where spikes of the sorting are, on the unit's largest channel.

    Parameters
    ----------
    plot_item : pg.PlotItem
        Where to draw.
    theme : Theme
        Unit colours.
    """

    def __init__(self, plot_item: pg.PlotItem, theme: Theme) -> None:
        self.item = pg.ScatterPlotItem(size=7, pen=None, pxMode=True)
        self.item.setZValue(10)
        plot_item.addItem(self.item)
        self._theme = theme
        self._brushes: dict[int, pg.QtGui.QBrush] = {}
        self._channels: ExtremumChannels | None = None

    def reset(self) -> None:
        """Forget the extremum channels (the sorting, recording or waveforms changed)."""
        self._channels = None
        self.item.clear()

    def clear(self) -> None:
        """Remove the markers."""
        self.item.clear()

    def update(
        self,
        session,
        window: TraceWindow,
        centres: np.ndarray,
        rank_of_channel: np.ndarray,
    ) -> None:
        """Mark the spikes within ``window``.

        Parameters
        ----------
        session : Session
            Gives the sorting, recording and waveform extractor.
        window : TraceWindow
            The window on display (all channels, recording order).
        centres : np.ndarray
            Baseline of each channel in the window (recording order).
        rank_of_channel : np.ndarray
            Position of each recording channel in the depth order of the display, which is also
            the y coordinate of its trace.
        """
        sorting, recording = session.sorting, session.recording
        vectors = [] if sorting is None else sorting.to_spike_vector(concatenated=False)
        if recording is None or window.segment_index >= len(vectors):
            self.item.clear()
            return
        spikes = vectors[window.segment_index]
        first, last = np.searchsorted(
            spikes["sample_index"], [window.start_frame, window.end_frame], side="left"
        )
        spikes = spikes[first:last]
        if spikes.size == 0 or spikes.size > MAX_SPIKE_MARKERS:
            self.item.clear()
            return
        times = np.asarray(
            recording.sample_index_to_time(spikes["sample_index"], window.segment_index)
        )
        units = spikes["unit_index"]
        channels = self._extremum_channels(session, window, centres, times, units)
        self.item.setData(
            x=times,
            y=rank_of_channel[channels.channel_indices()[units]],
            brush=[self._brush(unit) for unit in units.tolist()],
        )

    def _extremum_channels(self, session, window, centres, times, units) -> ExtremumChannels:
        recording = session.recording
        if session.unit_channel_ids:
            return ExtremumChannels.from_unit_channels(
                session.unit_channel_ids, session.sorting, recording
            )
        if self._channels is None:
            if session.waveform_extractor is not None:
                self._channels = ExtremumChannels.from_waveform_extractor(
                    session.waveform_extractor, recording
                )
            else:
                self._channels = ExtremumChannels(
                    session.sorting.get_num_units(), recording.get_num_channels()
                )
        self._channels.learn(window, centres, times, units)
        return self._channels

    def _brush(self, unit_index: int):
        if unit_index not in self._brushes:
            self._brushes[unit_index] = pg.mkBrush(self._theme.unit_color(unit_index))
        return self._brushes[unit_index]


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
