"""Reduce trace windows to what a screen can show: min/max envelopes and per-pixel spans (no Qt).

A window of ``S`` samples drawn ``N`` pixels wide needs at most two values per pixel column: the
lowest and the highest sample in it. `decimate_min_max` computes that envelope (run off the GUI
thread by `TraceFetcher`), `column_extents` turns any polyline - an envelope or raw samples - into
the exact vertical extent of the line inside each pixel column, and `rasterize_spans` paints those
extents into a boolean image, which draws hundreds of stacked traces in a few milliseconds where a
vector path of the same lines takes ten times as long.
"""

from __future__ import annotations

import numpy as np

#: Columns reduced together by `decimate_min_max` (their samples stay in the CPU cache).
COLUMNS_PER_BLOCK = 16


def decimate_min_max(traces: np.ndarray, num_columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max envelope of a ``(samples, channels)`` window for at most ``num_columns`` columns.

    Columns hold ``q = ceil(num_samples / num_columns)`` consecutive samples each (the last one
    may hold fewer), so that every column spans the same time and maps onto the screen uniformly.
    A column's range also includes the last sample of the column before it: drawn as vertical
    strokes, neighbouring columns then always touch, as the line between two samples does.

    Parameters
    ----------
    traces : np.ndarray
        ``(num_samples, num_channels)`` window (a memmap view is read once, never copied whole).
    num_columns : int
        Pixel columns available (>= 1).

    Returns
    -------
    envelope : np.ndarray
        ``(2 * c, num_channels)`` of the input dtype for ``c = ceil(num_samples / q) <=
        num_columns`` columns: row ``2 i`` is column ``i``'s minimum and row ``2 i + 1`` its
        maximum. When ``num_samples <= 2 * num_columns`` the window itself is returned unchanged
        (exact passthrough).
    offsets : np.ndarray
        int64 sample of each returned row, counted from the start of the window: the first sample
        of the row's column (``i * q``, on both of its rows), or ``0, 1, 2, ...`` for a
        passthrough.

    Raises
    ------
    ValueError
        If ``traces`` is not two-dimensional or ``num_columns < 1``.
    """
    traces = np.asanyarray(traces)
    if traces.ndim != 2:
        raise ValueError(f"traces must be (samples, channels), got shape {traces.shape}")
    if num_columns < 1:
        raise ValueError(f"num_columns must be >= 1, got {num_columns}")
    num_samples, num_channels = traces.shape
    if num_samples <= 2 * num_columns:
        return traces, np.arange(num_samples, dtype="int64")
    size = -(-num_samples // num_columns)
    count = -(-num_samples // size)
    full = (count - 1) * size
    envelope = np.empty((2 * count, num_channels), dtype=traces.dtype)
    low, high = envelope[0::2], envelope[1::2]
    # reductions over a reshaped block are several times faster than ufunc.reduceat; taking the
    # min and the max of a few columns at a time reads the samples from the cache the second time
    body = traces[:full].reshape(count - 1, size, num_channels)
    for first in range(0, count - 1, COLUMNS_PER_BLOCK):
        block = slice(first, first + COLUMNS_PER_BLOCK)
        body[block].min(axis=1, out=low[:-1][block])
        body[block].max(axis=1, out=high[:-1][block])
    traces[full:].min(axis=0, out=low[-1])
    traces[full:].max(axis=0, out=high[-1])
    previous = traces[size - 1 : full : size]
    np.minimum(low[1:], previous, out=low[1:])
    np.maximum(high[1:], previous, out=high[1:])
    offsets = np.repeat(np.arange(count, dtype="int64") * size, 2)
    return envelope, offsets


def column_extents(
    x: np.ndarray, y: np.ndarray, x_range: tuple[float, float], num_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest value a polyline reaches inside each pixel column.

    Each channel is the line through the points ``(x[k], y[k, channel])``; ``x_range`` spans the
    ``num_columns`` columns. A column's extent covers its own points and the line where it crosses
    the column's edges, so extents of neighbouring columns join into a continuous trace whether
    the points are sparser (zoomed in) or denser (a min/max envelope) than the pixels.

    Parameters
    ----------
    x : np.ndarray
        ``(num_points,)`` non-decreasing x positions.
    y : np.ndarray
        ``(num_points, num_channels)`` values.
    x_range : tuple of float
        ``(x_start, x_stop)`` mapped to the left edge of column 0 and the right edge of the last.
    num_columns : int
        Number of pixel columns (>= 1).

    Returns
    -------
    lo, hi : np.ndarray
        ``(num_columns, num_channels)`` float32 extents; ``lo = +inf`` and ``hi = -inf`` where the
        line does not reach a column (an empty span).

    Raises
    ------
    ValueError
        If the shapes disagree, the range is empty or ``num_columns < 1``.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y)
    if y.ndim != 2 or x.shape != (y.shape[0],):
        raise ValueError(f"x {x.shape} and y {y.shape} must be (points,) and (points, channels)")
    x_start, x_stop = float(x_range[0]), float(x_range[1])
    if not x_stop > x_start:
        raise ValueError(f"x_range must be increasing, got {x_range}")
    if num_columns < 1:
        raise ValueError(f"num_columns must be >= 1, got {num_columns}")
    y = y.astype("float32", copy=False)
    px = (x - x_start) * (num_columns / (x_stop - x_start))

    # where the line crosses each column edge (NaN outside the polyline)
    edges = np.arange(num_columns + 1, dtype="float64")
    after = np.searchsorted(px, edges, side="right")
    crossing = (after > 0) & (after < px.size)
    right = after[crossing]
    left = right - 1
    fraction = ((edges[crossing] - px[left]) / (px[right] - px[left])).astype("float32")
    at_edge = np.full((num_columns + 1, y.shape[1]), np.nan, dtype="float32")
    at_edge[crossing] = y[left] + fraction[:, None] * (y[right] - y[left])
    lo = np.fmin(at_edge[:-1], at_edge[1:])
    hi = np.fmax(at_edge[:-1], at_edge[1:])

    # the points inside each column: x is sorted, so a column's points are adjacent; visit them by
    # their rank within the column (a few passes) rather than with ufunc.reduceat, which is slow
    # on many short segments
    inside = np.flatnonzero((px >= 0) & (px <= num_columns))
    columns = np.minimum(px[inside].astype("int64"), num_columns - 1)
    new_column = np.diff(columns, prepend=-1) != 0
    run_starts = np.flatnonzero(new_column)
    rank = np.arange(columns.size) - run_starts[np.cumsum(new_column) - 1]
    for position in range(int(rank.max(initial=-1)) + 1):
        at = rank == position
        column = columns[at]
        values = y[inside[at]]
        lo[column] = np.fmin(lo[column], values)
        hi[column] = np.fmax(hi[column], values)
    lo[np.isnan(lo)] = np.inf
    hi[np.isnan(hi)] = -np.inf
    return lo, hi


def rasterize_spans(lo_rows: np.ndarray, hi_rows: np.ndarray, height: int) -> np.ndarray:
    """Paint vertical spans into a boolean image, one span per (column, channel).

    Parameters
    ----------
    lo_rows, hi_rows : np.ndarray
        ``(num_columns, num_channels)`` span ends in pixel rows counted from the bottom; row ``r``
        covers ``[r, r + 1)``. Parts outside ``[0, height)`` are clipped; ``lo_rows > hi_rows``
        (e.g. ``+inf`` and ``-inf``) is an empty span. No NaN.
    height : int
        Image height in pixels.

    Returns
    -------
    np.ndarray
        ``(height, num_columns)`` bool image, row 0 at the bottom, True where a span covers the
        pixel (a view of `rasterize_spans_top_down` flipped upside down).
    """
    return rasterize_spans_top_down(lo_rows, hi_rows, height)[::-1]


def rasterize_spans_top_down(lo_rows: np.ndarray, hi_rows: np.ndarray, height: int) -> np.ndarray:
    """`rasterize_spans` as a C-contiguous image with the top row first, as the screen shows it.

    Parameters
    ----------
    lo_rows, hi_rows : np.ndarray
        ``(num_columns, num_channels)`` span ends in pixel rows counted from the bottom (see
        `rasterize_spans`).
    height : int
        Image height in pixels.

    Returns
    -------
    np.ndarray
        ``(height, num_columns)`` C-contiguous bool image, row 0 at the top.
    """
    num_columns = lo_rows.shape[0]
    start, stop = span_rows(lo_rows, hi_rows, height)
    painted = int(stop.sum(dtype="int64")) - int(start.sum(dtype="int64"))
    if painted <= num_columns * height * SPARSE_FRACTION:
        # rows counted from the top: a span [start, stop) from the bottom is [height - stop,
        # height - start) from the top
        lengths = (stop - start).astype("int64")
        top = np.subtract(height, stop, dtype="int64")
        return _paint_each_span(top, lengths, num_columns, height)
    image = np.empty((height, num_columns), dtype=bool)
    # a few columns at a time, so that the counts stay in the CPU cache: +1 where a span starts
    # and -1 past its end, in a block one row taller; a cumulative sum down the rows counts the
    # spans covering each pixel
    width = max(1, BLOCK_CELLS // (height + 1))
    offsets = np.arange(width, dtype="int64")[:, None]
    for first in range(0, num_columns, width):
        block = slice(first, first + width)
        count = min(width, num_columns - first)
        size = count * (height + 1)
        column = offsets[:count]
        top = np.subtract(height, stop[block], dtype="int64")
        counts = np.bincount((top * count + column).ravel(), minlength=size)
        bottom = np.subtract(height, start[block], dtype="int64")
        counts -= np.bincount((bottom * count + column).ravel(), minlength=size)
        coverage = counts.reshape(height + 1, count)
        np.cumsum(coverage, axis=0, out=coverage)
        np.greater(coverage[:height], 0, out=image[:, block])
    return image


def span_rows(
    lo_rows: np.ndarray, hi_rows: np.ndarray, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixel rows ``[start, stop)`` that `rasterize_spans` paints for span ends
    ``lo_rows``, ``hi_rows`` (any shape; int32; ``start <= stop``)."""
    # clipping to [0, height] first makes the integer conversion a floor
    start = np.clip(lo_rows, 0, height).astype("int32")
    stop = np.clip(hi_rows + 1, 0, height).astype("int32")
    np.maximum(stop, start, out=stop)
    return start, stop


#: Spans covering at most this fraction of the image are painted one by one (cost follows the
#: pixels painted); more are counted down each column (cost follows the image size).
SPARSE_FRACTION = 0.1
#: Pixels of one block of columns counted at once by `rasterize_spans_top_down` (its int64
#: counts, 512 KiB, stay in the CPU cache).
BLOCK_CELLS = 65_536


def _paint_each_span(
    top: np.ndarray, lengths: np.ndarray, num_columns: int, height: int
) -> np.ndarray:
    """`rasterize_spans_top_down` by setting each covered pixel: for spans covering little of
    the image. ``top`` is each span's first row from the top, ``(columns, channels)``;
    ``lengths`` its length in rows, alike."""
    image = np.zeros((height, num_columns), dtype=bool)
    lengths = lengths.ravel()
    total = int(lengths.sum())
    if total:
        firsts = (top * num_columns + np.arange(num_columns, dtype="int64")[:, None]).ravel()
        steps = np.arange(total, dtype="int64") - np.repeat(np.cumsum(lengths) - lengths, lengths)
        image.reshape(-1)[np.repeat(firsts, lengths) + steps * num_columns] = True
    return image
