"""Reduce trace windows to what a screen can show: min/max envelopes and per-pixel spans (no Qt).

A window of ``S`` samples drawn ``N`` pixels wide needs at most two values per pixel column: the
lowest and the highest sample in it. `decimate_min_max` computes that envelope (run off the GUI
thread by `TraceFetcher`), `column_extents` turns any polyline - an envelope or raw samples - into
the exact vertical extent of the line inside each pixel column, and `rasterize_spans` paints those
extents into a boolean image, which draws hundreds of stacked traces in a few milliseconds where a
vector path of the same lines takes ten times as long.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

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
    size, count = column_layout(num_samples, num_columns)
    envelope = np.empty((2 * count, num_channels), dtype=traces.dtype)
    _reduce_columns(traces, size, envelope)
    return envelope, np.repeat(np.arange(count, dtype="int64") * size, 2)


def column_layout(num_samples: int, num_columns: int) -> tuple[int, int]:
    """``(q, c)``: samples per column and number of columns `decimate_min_max` gives a window of
    ``num_samples`` (> ``2 * num_columns``) samples."""
    size = -(-num_samples // num_columns)
    return size, -(-num_samples // size)


def decimate_min_max_in_chunks(
    read: Callable[[int, int], np.ndarray], num_samples: int, num_columns: int, chunk_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """`decimate_min_max` of a window read a few columns at a time, so that each piece is reduced
    while it is in the CPU cache and no read holds more than a piece.

    Parameters
    ----------
    read : callable
        ``read(start, stop)`` -> ``(stop - start, channels)`` samples ``start .. stop - 1`` of
        the window (counted from its start); called with increasing, adjacent ranges.
    num_samples : int
        Length of the window (> ``2 * num_columns``: a window that short is passed through by
        `decimate_min_max`, read it whole).
    num_columns : int
        Pixel columns available (>= 1).
    chunk_samples : int
        About how many samples to read at a time (whole columns; at least one column).

    Returns
    -------
    envelope, offsets : np.ndarray
        Equal to ``decimate_min_max(read(0, num_samples), num_columns)``.

    Raises
    ------
    ValueError
        If the window is short enough to be passed through, or ``num_columns < 1``.
    """
    if num_columns < 1:
        raise ValueError(f"num_columns must be >= 1, got {num_columns}")
    if num_samples <= 2 * num_columns:
        raise ValueError(
            f"num_samples must be > 2 * num_columns ({2 * num_columns}) to be reduced, "
            f"got {num_samples}"
        )
    size, count = column_layout(num_samples, num_columns)
    columns_per_chunk = max(1, chunk_samples // size)
    envelope = None
    carried = None  # the last sample of the piece before
    for first in range(0, count, columns_per_chunk):
        stop = min(first + columns_per_chunk, count)
        traces = np.asanyarray(read(first * size, min(stop * size, num_samples)))
        if envelope is None:
            envelope = np.empty((2 * count, traces.shape[1]), dtype=traces.dtype)
        part = envelope[2 * first : 2 * stop]
        _reduce_columns(traces, size, part)
        if carried is not None:  # the piece's first column joins the column before it too
            np.minimum(part[0], carried, out=part[0])
            np.maximum(part[1], carried, out=part[1])
        carried = np.array(traces[-1])
    return envelope, np.repeat(np.arange(count, dtype="int64") * size, 2)


def _reduce_columns(traces: np.ndarray, size: int, envelope: np.ndarray) -> None:
    """Each column of ``size`` samples of ``traces`` (the last one may hold fewer) into its rows
    of ``envelope`` (``2 i``: minimum, ``2 i + 1``: maximum), its range joined to the last
    sample of the column before it in ``traces``."""
    count, num_channels = envelope.shape[0] // 2, traces.shape[1]
    full = (count - 1) * size
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


def column_medians(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)``, several times faster for a window's ``(rows, channels)``.

    Each channel is partitioned in contiguous memory (a transposed copy) instead of along the
    rows' stride, and only around the middle.

    Parameters
    ----------
    values : np.ndarray
        ``(rows, columns)``, ``rows >= 1``.

    Returns
    -------
    np.ndarray
        The median of each column, of the dtype `np.median` gives (NaN where a column holds one).
    """
    values = np.asarray(values)
    rows = values.shape[0]
    if rows == 0 or values.ndim != 2:
        return np.median(values, axis=0)
    by_column = np.ascontiguousarray(values.T)
    if not np.issubdtype(by_column.dtype, np.inexact):
        by_column = by_column.astype("float64")  # as np.median averages integers
    half = rows // 2
    by_column.partition(half, axis=1)  # one order statistic: two of them take 5x longer
    medians = by_column[:, half].copy()
    if rows % 2 == 0:  # the other middle value is the largest of the lower half
        medians += by_column[:, :half].max(axis=1)
        medians /= 2
    if np.issubdtype(values.dtype, np.inexact):
        medians[np.isnan(values).any(axis=0)] = np.nan
    return medians


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

    # where the line crosses each column edge (NaN outside the polyline): computed for every
    # edge with the indices clipped (no masked copies of the whole image), then the few edges
    # beyond the line's ends set to NaN
    edges = np.arange(num_columns + 1, dtype="float64")
    after = np.searchsorted(px, edges, side="right")
    crossing = (after > 0) & (after < px.size)
    if px.size < 2:  # no segment to cross an edge
        at_edge = np.full((num_columns + 1, y.shape[1]), np.nan, dtype="float32")
    else:
        right = np.clip(after, 1, px.size - 1)
        left = right - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = ((edges - px[left]) / (px[right] - px[left])).astype("float32")
        fraction[~crossing] = 0.0
        at_edge = np.take(y, right, axis=0)
        low_end = np.take(y, left, axis=0)
        at_edge -= low_end
        at_edge *= fraction[:, None]
        at_edge += low_end
        at_edge[~crossing] = np.nan
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
    if np.isnan(y).any():  # NaN samples too: every NaN extent is empty
        lo[np.isnan(lo)] = np.inf
        hi[np.isnan(hi)] = -np.inf
    else:  # only the columns with no crossing edge and no point are NaN
        with_points = np.zeros(num_columns, dtype=bool)
        with_points[columns] = True
        empty = ~(crossing[:-1] | crossing[1:] | with_points)
        lo[empty] = np.inf
        hi[empty] = -np.inf
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

    Notes
    -----
    A few passes over the spans and over the image, whatever the spans' lengths: each pixel
    where a span starts (counted from the top) gets the row past the lowest end of the spans
    starting there (``np.maximum.at``); a running maximum down each column then gives, at every
    row, how far down the spans begun above it reach, and a pixel is painted when that is below
    it.
    """
    lo_rows, hi_rows = np.asarray(lo_rows), np.asarray(hi_rows)
    num_columns = lo_rows.shape[0]
    # the work arrays are this thread's, reused from frame to frame: fresh ones of a few MB
    # each would fault their pages in again at every frame
    shape = lo_rows.shape
    dtype = np.int16 if height < np.iinfo(np.int16).max else np.int32
    # as span_rows, counted from the top: a span [start, stop) from the bottom is [height - stop,
    # height - start) from the top. Clipping to [0, height] first makes the conversion to
    # integers (as the clip writes them) a floor. A span with stop < start ends above its
    # first row and paints nothing.
    end = np.clip(lo_rows, 0, height, out=scratch("end", shape, dtype), casting="unsafe")
    np.subtract(height, end, out=end)
    high = np.add(hi_rows, 1, out=scratch("high", shape, np.result_type(hi_rows, 1)))
    first = np.clip(high, 0, height, out=scratch("first", shape, np.intp), casting="unsafe")
    # the flat index of the pixel where each span starts: (height - stop) * columns + column
    first *= -num_columns
    first += np.arange(height * num_columns, (height + 1) * num_columns, dtype=np.intp)[:, None]
    # one row more for the empty spans clipped below the image (they start at row ``height``)
    reach = scratch("reach", (height + 1, num_columns), dtype)
    reach.fill(0)
    np.maximum.at(reach.reshape(-1), first.reshape(-1), end.reshape(-1))
    running_maximum_down(reach[:height])
    return np.greater(reach[:height], np.arange(height, dtype=dtype)[:, None])


#: Rows per block of `running_maximum_down`.
RUNNING_MAXIMUM_BLOCK = 16


def running_maximum_down(image: np.ndarray) -> None:
    """Replace each pixel of a C-contiguous ``(rows, columns)`` image by the maximum of its
    column from the top row down to it, in place.

    Each step is one vector operation over contiguous rows (an accumulate down axis 0 walks the
    columns with a stride and is three times slower). Done block by block: the k-th rows of all
    blocks at once, then the blocks' last rows one after the other, then each block raised to
    the last row of the block above - about a fifth of the steps of a row by row loop.
    """
    rows, block = image.shape[0], RUNNING_MAXIMUM_BLOCK
    count = rows // block
    if count:
        blocks = image[: count * block].reshape(count, block, -1)
        for row in range(1, block):
            np.maximum(blocks[:, row], blocks[:, row - 1], out=blocks[:, row])
        last = blocks[:, -1]
        for index in range(1, count):
            np.maximum(last[index], last[index - 1], out=last[index])
        np.maximum(blocks[1:, :-1], last[:-1, None], out=blocks[1:, :-1])
    for row in range(max(count * block, 1), rows):  # the rows after the last whole block
        np.maximum(image[row], image[row - 1], out=image[row])


_SCRATCH = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    """A work array of the calling thread named ``name``, of ``shape`` and ``dtype``, reused from
    call to call (its contents are left over from the last use).

    Each name keeps one flat buffer per dtype, grown when a larger array is asked for: the
    array returned is a view of it, valid until the same thread asks for the same name again.
    """
    dtype = np.dtype(dtype)
    buffers = getattr(_SCRATCH, "buffers", None)
    if buffers is None:
        buffers = _SCRATCH.buffers = {}
    size = int(np.prod(shape))
    buffer = buffers.get((name, dtype))
    if buffer is None or buffer.size < size:
        buffer = buffers[(name, dtype)] = np.empty(size, dtype=dtype)
    return buffer[:size].reshape(shape)


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
