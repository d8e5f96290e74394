"""A trace window made ready to draw: per-pixel-column extents and pixels (no Qt).

The trace view runs `prepare_frame` on the fetcher's worker thread right after the window is read,
so that the GUI thread only hands finished pixels to the plot; `paint_frame` repaints a prepared
frame when only the style changed (gain, spacing, selection, mode or size).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from app.model.decimation import column_extents, rasterize_spans
from app.model.trace_fetcher import TraceWindow

STACKED = "stacked"
HEATMAP = "heatmap"
#: Rows used to estimate each channel's baseline (a strided subsample of the window).
CENTRE_ROWS = 256
#: Heat-map colour levels: +/- this percentile of the absolute values.
HEATMAP_PERCENTILE = 99.0


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
    rank_of_channel : np.ndarray
        Position of each recording channel from the bottom (its y coordinate).
    selected : np.ndarray
        Recording indices of the highlighted channels.
    colors : tuple of int
        ARGB32 of the traces and of the highlighted traces.
    """

    mode: str
    height: int
    gain: float
    spacing: float
    rank_of_channel: np.ndarray
    selected: np.ndarray
    colors: tuple[int, int]

    def same_as(self, other: TraceStyle) -> bool:
        """Whether ``other`` gives the same pixels."""
        return (self.mode, self.height, self.gain, self.spacing, self.colors) == (
            other.mode,
            other.height,
            other.gain,
            other.spacing,
            other.colors,
        ) and all(
            np.array_equal(a, b)
            for a, b in (
                (self.rank_of_channel, other.rank_of_channel),
                (self.selected, other.selected),
            )
        )


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
        Stacked: ``(height, columns)`` ARGB32, top row first. Heat map: ``(columns, channels)``
        peak values with channels by depth. None for a window with an error.
    level : float
        Heat map: values at +/- ``level`` get the ends of the colour map.
    """

    window: TraceWindow
    centres: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    x_span: tuple[float, float]
    style: TraceStyle
    pixels: np.ndarray | None = None
    level: float = 1.0


def prepare_frame(window: TraceWindow, style: TraceStyle, sampling_frequency: float) -> TraceFrame:
    """Reduce a window to per-column extents and paint it (Qt-free: runs on the worker thread).

    Parameters
    ----------
    window : TraceWindow
        A reply of the fetcher.
    style : TraceStyle
        How to paint it.
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
    step = max(1, data.shape[0] // CENTRE_ROWS)
    centres = np.median(data[::step], axis=0).astype("float32")
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
    return paint_frame(TraceFrame(window, centres, lo, hi, x_span, style), style)


def paint_frame(frame: TraceFrame, style: TraceStyle) -> TraceFrame:
    """``frame`` with its pixels painted for ``style`` (Qt-free)."""
    if frame.window.error is not None or frame.lo.size == 0:
        return replace(frame, style=style, pixels=None)
    if style.mode == HEATMAP:
        depth_order = np.argsort(style.rank_of_channel)
        centres = frame.centres[depth_order]
        lo = frame.lo[:, depth_order] - centres
        hi = frame.hi[:, depth_order] - centres
        peaks = np.where(np.abs(lo) > np.abs(hi), lo, hi)
        peaks[~np.isfinite(peaks)] = 0.0
        level = float(np.percentile(np.abs(peaks), HEATMAP_PERCENTILE)) or 1.0
        return replace(frame, style=style, pixels=peaks, level=level)
    # stacked: the baseline of the channel of rank r is at y = r, the plot shows y in
    # [-1, channels]; centring is folded into the offsets so that each value is touched once
    rows_per_unit = style.height / (len(style.rank_of_channel) + 1)
    scale = np.float32(style.gain / style.spacing * rows_per_unit)
    offsets = ((style.rank_of_channel + 1) * rows_per_unit - frame.centres * scale).astype(
        "float32"
    )
    lo_rows = frame.lo * scale + offsets
    hi_rows = frame.hi * scale + offsets
    traces = rasterize_spans(lo_rows, hi_rows, style.height)
    pixels = np.multiply(np.ascontiguousarray(traces[::-1]), style.colors[0], dtype="uint32")
    if style.selected.size:
        selected = rasterize_spans(
            lo_rows[:, style.selected], hi_rows[:, style.selected], style.height
        )
        pixels[selected[::-1]] = style.colors[1]
    return replace(frame, style=style, pixels=pixels)
