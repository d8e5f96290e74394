"""A trace window made ready to draw: per-pixel-column extents, pixels and spike marks (no Qt).

The trace view hands `render_frame` to the fetcher, which runs it on its worker thread right
after a window is read, so that the GUI thread only shows finished pixels. Every change of the
display (gain, spacing, channels on screen, selection, units) is a new request: the fetcher
reuses the window it read last when the window is the same, and `render_frame` reuses that
window's extents, so a restyle only repaints - off the GUI thread, newest request wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from app.model.decimation import (
    column_extents,
    column_medians,
    rasterize_spans_top_down,
    scratch,
)
from app.model.spike_marks import SpikeMarkerStyle, SpikeMarks, find_spike_marks
from app.model.spike_marks import paint_spike_marks as _paint_marks
from app.model.trace_fetcher import TraceWindow

STACKED = "stacked"
HEATMAP = "heatmap"
#: Rows used to estimate each channel's baseline (a strided subsample of the window).
CENTRE_ROWS = 256
#: Heat-map colour levels: +/- this percentile of the absolute values.
HEATMAP_PERCENTILE = 99.0
#: Channels painted beyond each edge of the screen (their large excursions reach into view).
MARGIN_ROWS = 2
#: Narrowest spike mark, in pixel columns (odd: centred on the spike).
MIN_MARK_COLUMNS = 3
#: A click finds traces reaching this many rows away from their baseline.
TRACE_HIT_ROWS = 3


@dataclass(frozen=True, eq=False)
class TraceStyle:
    """Everything the pixels of a window depend on besides the window: a snapshot of the view.

    Attributes
    ----------
    mode : str
        ``"stacked"`` or ``"heatmap"``.
    height : int
        Pixel rows of the plot.
    gain, spacing : float
        Traces are multiplied by ``gain / spacing`` in units of the distance between channels.
    shown : np.ndarray
        Recording indices of the listed channels, bottom to top: row ``p`` is drawn at ``y = p``.
    first, count : int
        Rows ``first .. first + count - 1`` of ``shown`` are on screen.
    selected : np.ndarray
        Recording indices of the highlighted channels.
    colors : tuple of int
        ARGB32 of the traces and of the highlighted traces.
    spikes : SpikeMarkerStyle | None
        How to mark spikes (None: no sorting).
    lut : np.ndarray | None
        Heat map: 256 ARGB32 colours from ``-level`` to ``+level``.
    outline : int
        Heat map: ARGB32 of the border around spike ticks.
    dimmed : np.ndarray
        Recording indices of the channels drawn dimmed (bad channels), in ``dim_color``:
        under the other traces when stacked, a flat band in a heat map.
    dim_color : int
        ARGB32 of the dimmed channels.
    """

    mode: str
    height: int
    gain: float
    spacing: float
    shown: np.ndarray
    first: int
    count: int
    selected: np.ndarray
    colors: tuple[int, int]
    spikes: SpikeMarkerStyle | None = None
    lut: np.ndarray | None = None
    outline: int = 0xFF000000
    dimmed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="int64"))
    dim_color: int = 0xFFB0B0B0

    def same_as(self, other: TraceStyle) -> bool:
        """Whether ``other`` gives the same pixels."""
        same_spikes = (
            other.spikes is None if self.spikes is None else self.spikes.same_as(other.spikes)
        )
        return (
            same_spikes
            and (self.mode, self.height, self.gain, self.spacing, self.first, self.count)
            == (other.mode, other.height, other.gain, other.spacing, other.first, other.count)
            and (self.colors, self.outline, self.dim_color)
            == (other.colors, other.outline, other.dim_color)
            and (self.lut is other.lut or np.array_equal(self.lut, other.lut))
            and np.array_equal(self.shown, other.shown)
            and np.array_equal(self.selected, other.selected)
            and np.array_equal(self.dimmed, other.dimmed)
        )

    def painted_rows(self) -> tuple[int, int]:
        """``(first, stop)`` rows painted: the screen and `MARGIN_ROWS` beyond each edge."""
        margin = MARGIN_ROWS if self.mode == STACKED else 0
        return max(self.first - margin, 0), min(self.first + self.count + margin, len(self.shown))

    def y_range(self) -> tuple[float, float]:
        """The y range on screen (row ``p`` at ``y = p``)."""
        if self.mode == STACKED:
            return float(self.first - 1), float(self.first + self.count)
        return self.first - 0.5, self.first + self.count - 0.5


@dataclass(frozen=True)
class TraceFrame:
    """A window ready to draw.

    Attributes
    ----------
    window : TraceWindow
        The window (all channels, recording order).
    centres : np.ndarray
        Baseline of each channel (median of the window): drawn at the channel's y.
    lo, hi : np.ndarray
        ``(columns, channels)`` lowest and highest value of each channel in each column
        (``+inf``/``-inf`` where nothing is drawn).
    x_span : tuple of float
        Times of the left edge of the first column and the right edge of the last one.
    style : TraceStyle
        What ``pixels`` were painted for.
    pixels : np.ndarray | None
        ``(height, columns)`` ARGB32, top row first (None for a window with an error).
    heat : np.ndarray | None
        Heat map: ``(columns, count)`` peak values (from the baseline) of the channels on
        screen, bottom to top, that the pixels show in colour.
    level : float
        Heat map: values at +/- ``level`` get the ends of the colour map.
    marks : SpikeMarks | None
        The spikes marked (painted into the stacked pixels; drawn as ticks over a heat map).
    """

    window: TraceWindow
    centres: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    x_span: tuple[float, float]
    style: TraceStyle
    pixels: np.ndarray | None = None
    heat: np.ndarray | None = None
    level: float = 1.0
    marks: SpikeMarks | None = None

    def row_at(self, y: float) -> int | None:
        """The row on screen nearest to ``y`` (a list position of ``style.shown``), or None."""
        row, style = int(round(y)), self.style
        return row if style.first <= row < style.first + style.count else None

    def column_at(self, x: float) -> int | None:
        """The pixel column at time ``x`` (seconds), or None outside the window."""
        (left, right), columns = self.x_span, self.lo.shape[0]
        if not columns or right <= left:
            return None
        column = int(np.floor((x - left) / (right - left) * columns))
        return column if 0 <= column < columns else None

    def value_at(self, x: float, y: float) -> tuple[int, float] | None:
        """``(row, value)``: the row under ``(x, y)`` and the value drawn there (the end of the
        column's extent farthest from the baseline), or None off the traces."""
        row, column = self.row_at(y), self.column_at(x)
        if row is None or column is None:
            return None
        channel = self.style.shown[row]
        low, high = float(self.lo[column, channel]), float(self.hi[column, channel])
        centre = float(self.centres[channel])
        return row, (low if abs(low - centre) > abs(high - centre) else high)

    def trace_at(self, x: float, y: float, tolerance_px: float) -> int | None:
        """The row whose trace is drawn within ``tolerance_px`` pixels of ``(x, y)`` (the one
        with the nearest baseline when several are; a spike reaching into a neighbour's row
        counts), or None; in a heat map, the row under the point."""
        column = self.column_at(x)
        if column is None or self.pixels is None:
            return None
        style = self.style
        if style.mode == HEATMAP:
            return self.row_at(y)
        nearest = int(round(y))
        rows = np.arange(
            max(nearest - TRACE_HIT_ROWS, style.first),
            min(nearest + TRACE_HIT_ROWS + 1, style.first + style.count),
        )
        if rows.size == 0:
            return None
        channels = style.shown[rows]
        per_unit = style.gain / style.spacing  # y per data unit
        low = rows + (self.lo[column, channels] - self.centres[channels]) * per_unit
        high = rows + (self.hi[column, channels] - self.centres[channels]) * per_unit
        tolerance = tolerance_px * (style.count + 1) / max(style.height, 1)
        hit = (low - tolerance <= y) & (y <= high + tolerance)
        if not hit.any():
            return None
        return int(rows[hit][np.argmin(np.abs(rows[hit] - y))])


def render_frame(
    window: TraceWindow,
    style: TraceStyle,
    sampling_frequency: float,
    sample_to_time: Callable[[np.ndarray], np.ndarray],
    previous: TraceFrame | None = None,
    superseded: Callable[[], bool] | None = None,
) -> TraceFrame | None:
    """Reduce a window to per-column extents, mark its spikes and paint it (Qt-free).

    Parameters
    ----------
    window : TraceWindow
        A reply of the fetcher.
    style : TraceStyle
        How to paint it.
    sampling_frequency : float
        Of the recording (gives the duration of the columns).
    sample_to_time : callable
        Sample indices of the window's segment to seconds (for the spike marks).
    previous : TraceFrame | None
        The frame rendered last: its extents are reused when it shows the same data.
    superseded : callable | None
        Asked before painting: True when nobody will show the frame any more (a newer window
        was asked for), and then the frame is not painted.

    Returns
    -------
    TraceFrame | None
        The painted frame, or None when superseded.
    """
    if previous is not None and previous.window.data is window.data and window.error is None:
        frame = replace(previous, window=window)
    else:
        frame = prepare_frame(window, style, sampling_frequency)
    marks = None
    if style.spikes is not None and frame.lo.size:
        position = np.full(len(frame.centres), -1, dtype="int64")
        position[style.shown] = np.arange(len(style.shown))
        marks = find_spike_marks(
            style.spikes,
            window.segment_index,
            window.start_frame,
            window.end_frame,
            position,
            (style.first, style.first + style.count),
            sample_to_time,
        )
    if superseded is not None and superseded():
        return None
    return paint_frame(replace(frame, marks=marks), style)


def prepare_frame(window: TraceWindow, style: TraceStyle, sampling_frequency: float) -> TraceFrame:
    """Reduce a window to per-column extents (not painted yet).

    Parameters
    ----------
    window : TraceWindow
        A reply of the fetcher.
    style : TraceStyle
        Recorded on the frame.
    sampling_frequency : float
        Of the recording (gives the duration of the columns).

    Returns
    -------
    TraceFrame
    """
    if window.error is not None or window.data.shape[0] == 0:
        empty = np.empty((0, 0), dtype="float32")
        return TraceFrame(window, np.empty(0), empty, empty, (0.0, 1.0), style)
    data, times = window.data, window.times
    if window.decimated:  # the middle of each column's extent (rows alternate min and max)
        step = max(1, data.shape[0] // (2 * CENTRE_ROWS))
        middles = (data[0::2][::step].astype("float32") + data[1::2][::step]) / 2
        centres = column_medians(middles).astype("float32")
    else:
        step = max(1, data.shape[0] // CENTRE_ROWS)
        centres = column_medians(data[::step]).astype("float32")
    if window.decimated:
        num_columns = data.shape[0] // 2
        if num_columns > 1:
            column_s = times[2] - times[0]
        else:
            column_s = window.raw_shape[0] / sampling_frequency
        x_span = (float(times[0]), float(times[0] + column_s * num_columns))
        lo, hi = data[0::2], data[1::2]
    else:
        x_span = (float(times[0]), float(times[0] + data.shape[0] / sampling_frequency))
        lo, hi = column_extents(times, data, x_span, window.num_pixels)
    return TraceFrame(window, centres, lo, hi, x_span, style)


def paint_frame(frame: TraceFrame, style: TraceStyle) -> TraceFrame:
    """``frame`` with its pixels painted for ``style`` (Qt-free)."""
    if frame.window.error is not None or frame.lo.size == 0:
        return replace(frame, style=style, pixels=None)
    if style.mode == HEATMAP:
        return _paint_heatmap(frame, style)
    # stacked: the baseline of row p is at y = p and the screen shows y in
    # [first - 1, first + count]; centring is folded into the offsets so that each value is
    # touched once
    first, stop = style.painted_rows()
    channels = style.shown[first:stop]
    rows_per_unit = style.height / (style.count + 1)
    scale = np.float32(style.gain / style.spacing * rows_per_unit)
    baselines = (np.arange(first, stop) - style.first + 1) * rows_per_unit
    offsets = (baselines - frame.centres[channels] * scale).astype("float32")
    if channels.size == frame.lo.shape[1]:
        # every channel is painted: their spans are painted in the recording's order (the
        # painting does not depend on it), one pass over contiguous memory where picking
        # them in list order gathers every value (3 ms for 384 channels)
        in_order = np.empty(channels.size, dtype="float32")
        in_order[channels] = offsets
        lo_rows = _rows_in_order(frame.lo, scale, in_order, "lo_rows")
        hi_rows = _rows_in_order(frame.hi, scale, in_order, "hi_rows")
        column_of = channels  # the column of lo_rows / hi_rows of each painted row
    else:
        lo_rows = _rows_of(frame.lo, channels, scale, offsets, "lo_rows")
        hi_rows = _rows_of(frame.hi, channels, scale, offsets, "hi_rows")
        column_of = np.arange(channels.size)
    height, (trace_color, selected_color) = style.height, style.colors
    dimmed = np.isin(channels, style.dimmed)
    if dimmed.any():  # bad channels in their colour, under the others
        normal = column_of[~dimmed]
        traces = rasterize_spans_top_down(lo_rows[:, normal], hi_rows[:, normal], height)
        dim = column_of[dimmed]
        faint = rasterize_spans_top_down(lo_rows[:, dim], hi_rows[:, dim], height)
        pixels = np.where(traces, np.uint32(trace_color), np.uint32(0))
        pixels[faint & ~traces] = style.dim_color
    else:
        traces = rasterize_spans_top_down(lo_rows, hi_rows, height)
        pixels = np.multiply(traces, np.uint32(trace_color), dtype="uint32")
    highlighted = column_of[np.isin(channels, style.selected)]
    if highlighted.size:
        selected = rasterize_spans_top_down(
            lo_rows[:, highlighted], hi_rows[:, highlighted], height
        )
        pixels[selected] = selected_color
    if frame.marks is not None and len(frame.marks):
        # the marks name list positions: the column of each one's row, counted from 0
        marks = replace(frame.marks, positions=column_of[frame.marks.positions - first])
        _paint_marks(pixels, marks, mark_columns(frame), (lo_rows, hi_rows), (0, channels.size))
    return replace(frame, style=style, pixels=pixels)


def _rows_of(
    extents: np.ndarray, channels: np.ndarray, scale: np.float32, offsets: np.ndarray, name: str
) -> np.ndarray:
    """``extents[:, channels] * scale + offsets`` in float32, computed in place in this thread's
    work array ``name`` (valid until the thread's next frame)."""
    rows = scratch(name, (extents.shape[0], len(channels)), np.float32)
    if extents.dtype == rows.dtype:
        # "clip": an out= take in the default mode fills a temporary first (the indices are
        # list positions of the channels shown, always valid)
        np.take(extents, channels, axis=1, out=rows, mode="clip")
    else:
        rows[...] = np.take(extents, channels, axis=1)
    rows *= scale
    rows += offsets
    return rows


def _rows_in_order(
    extents: np.ndarray, scale: np.float32, offsets: np.ndarray, name: str
) -> np.ndarray:
    """``extents * scale + offsets`` in float32 (every channel, in the recording's order),
    computed in this thread's work array ``name`` (valid until the thread's next frame)."""
    rows = scratch(name, extents.shape, np.float32)
    # float32 arithmetic on float32 values, as `_rows_of` computes them
    np.multiply(extents, scale, out=rows, dtype=np.float32, casting="unsafe")
    rows += offsets
    return rows


def _paint_heatmap(frame: TraceFrame, style: TraceStyle) -> TraceFrame:
    """Each channel on screen as a band of rows coloured by its peak value in each column."""
    visible = style.shown[style.first : style.first + style.count]
    lo = frame.lo[:, visible] - frame.centres[visible]
    hi = frame.hi[:, visible] - frame.centres[visible]
    peaks = np.where(np.abs(lo) > np.abs(hi), lo, hi)
    peaks[~np.isfinite(peaks)] = 0.0
    level = float(np.percentile(np.abs(peaks), HEATMAP_PERCENTILE)) if peaks.size else 0.0
    level = level or 1.0
    lut = style.lut if style.lut is not None else _grey_lut()
    last = len(lut) - 1
    index = np.clip(np.rint((peaks / level + 1.0) * (last / 2)), 0, last).astype("int64")
    count, height = style.count, style.height
    band_of_row = count - 1 - (np.arange(height) * count) // height  # top row first
    pixels = np.ascontiguousarray(lut[index.T[band_of_row]], dtype="uint32")
    dimmed_bands = np.flatnonzero(np.isin(visible, style.dimmed))
    if dimmed_bands.size:  # bad channels as flat bands
        pixels[np.isin(band_of_row, dimmed_bands)] = style.dim_color
    if frame.marks is not None and len(frame.marks):
        _paint_ticks(pixels, frame, style)
    return replace(frame, style=style, pixels=pixels, heat=peaks, level=level)


def _paint_ticks(pixels: np.ndarray, frame: TraceFrame, style: TraceStyle) -> None:
    """Heat map: a tick across the middle of the spike's channel band, with a dark border."""
    count, height, num_columns = style.count, style.height, pixels.shape[1]
    bands = np.arange(count + 1) * height / count
    inset = (bands[1] - bands[0]) * 0.15
    start = np.floor(bands[:-1] + inset)
    stop = np.maximum(np.ceil(bands[1:] - inset), start + 1)
    rows = (  # span ends as the traces give them: rows start .. stop - 1
        np.broadcast_to(start, (num_columns, count)),
        np.broadcast_to(stop - 1, (num_columns, count)),
    )
    screen = (style.first, style.first + style.count)
    first, last = mark_columns(frame)
    outline = replace(frame.marks, colors=np.full(len(frame.marks), style.outline, "uint32"))
    _paint_marks(pixels, outline, (first - 1, last + 1), rows, screen, thicken=0)
    _paint_marks(pixels, frame.marks, (first, last), rows, screen, thicken=0)


def _grey_lut() -> np.ndarray:
    grey = np.arange(256, dtype="uint32")
    return 0xFF000000 | (grey << 16) | (grey << 8) | grey


def mark_columns(frame: TraceFrame) -> tuple[np.ndarray, np.ndarray]:
    """First and last pixel column (inclusive, unclipped) of each spike mark of ``frame``:
    the columns of the samples coloured, and at least `MIN_MARK_COLUMNS` around the spike."""
    marks = frame.marks
    left, right = frame.x_span
    columns_per_s = frame.lo.shape[0] / (right - left)

    def column(times: np.ndarray) -> np.ndarray:
        return np.floor((times - left) * columns_per_s).astype("int64")

    centre, half = column(marks.times), MIN_MARK_COLUMNS // 2
    first = np.minimum(column(marks.first_times), centre - half)
    last = np.maximum(column(marks.last_times), centre + half)
    return first, last
