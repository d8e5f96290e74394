"""Counting spike pairs by lag: all-pairs correlograms and lags within each unit, in numpy.

Correlograms count every ordered pair of distinct spikes ``(a, b)`` of one segment whose lag
``t_a - t_b`` lies in ``[-window_size, window_size)``, in the bin ``floor(lag / bin_size)``.
:func:`correlograms_of_segment` enumerates each unordered pair once, from its earlier spike, and
derives both orders from the lag of that pair (an exact multiple of the bin size lands one bin
further on the negative side). Pairs are enumerated unit by unit: the earlier spikes of one unit,
sorted by how many spikes follow them within the window, take rectangular blocks of that many
following spikes (rows of a sliding-window view of the time-sorted spikes, each spike packed in
one int64 as sample and unit code), so each step is a few numpy passes over a block that fits in
the CPU cache, and the counts land in one unit's small table.

:func:`correlograms_involving` counts only the pairs that involve some of the spikes (those of
the units a curation action changed), the same way, from those spikes alone.

:func:`lags_within_units` counts, for each unit, the pairs of its own spikes closer than a limit
(refractory-period metrics) by shifting along each unit's train while any pair is still close.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..jobs import CancelToken

__all__ = [
    "correlograms_involving",
    "correlograms_of_segment",
    "group_by_unit",
    "lags_within_units",
    "small_label_dtype",
]

# Elements of one block (rows x following spikes): 1 MB of int64, so that it and its
# temporaries stay in the CPU cache.
_BLOCK_ELEMENTS = 1 << 17
# Rows with a column at least, per column of the longest row, above which rows are counted
# column by column (a pass per column then has enough rows to be worth its numpy calls), when
# the longest row has at most so many columns (each pass reads the rows' columns again: with
# many close spikes per row, blocks read each row's columns once, in order).
_ROWS_PER_COLUMN_PASS = 256
_MAX_COLUMN_PASSES = 32


def small_label_dtype(num_labels: int) -> np.dtype:
    """The smallest unsigned dtype holding ``num_labels`` labels (numpy radix-sorts 16 bits)."""
    return np.dtype("uint16") if num_labels <= np.iinfo(np.uint16).max else np.dtype("int64")


def group_by_unit(unit_indices: np.ndarray, num_units: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the spikes of each unit, keeping their order.

    Parameters
    ----------
    unit_indices : np.ndarray
        Unit index of each spike.
    num_units : int
        Number of units.

    Returns
    -------
    order : np.ndarray
        Spike positions grouped by unit (a stable sort of ``unit_indices``).
    bounds : np.ndarray
        ``order[bounds[u]:bounds[u + 1]]`` are the spikes of unit ``u``.
    """
    labels = unit_indices.astype(small_label_dtype(num_units), copy=False)
    order = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=num_units)
    return order, np.concatenate([[0], np.cumsum(counts)]).astype("int64")


def _fold_unit_counts(
    correlograms: np.ndarray, unit: int, counts: np.ndarray, num_half_bins: int
) -> None:
    """Add one unit's pair counts (pairs where it holds the earlier spike) to the correlograms.

    ``counts[other, q, exact]`` counts the pairs whose lag ``d >= 0`` has ``d // bin_size == q``,
    ``exact`` telling whether ``d`` is a multiple of the bin size. Given the transposed
    correlograms, it adds pairs where the unit holds the later spike.
    """
    all_pairs = counts.sum(axis=2)  # (num_units, num_half_bins + 1)
    exact = counts[:, :, 1]
    # the later spike's unit minus this unit: lag d, bin q (d < window only)
    correlograms[:, unit, num_half_bins:] += all_pairs[:, :num_half_bins]
    # this unit minus the later one: lag -d, bin -q - 1, or -q when d is a multiple
    correlograms[unit, :, num_half_bins - 1 :: -1] += (all_pairs - exact)[:, :num_half_bins]
    correlograms[unit, :, num_half_bins::-1] += exact


class _LagCounter:
    """Counts pairs of a row spike and the column spikes after it, by column unit and lag.

    Column spikes are packed in one int64 each, sample above and unit code below, in time
    order (one gather gives lags and units); a row's columns are the spikes from its first
    column on, within the window. Blocks of rows read as many columns as their longest row:
    those past a row's last column lie past the window (later spikes, or padding) and land in
    a trash half of the counts.
    """

    def __init__(self, num_units: int, window_size: int, bin_size: int) -> None:
        self.num_units = num_units
        self.window_size = window_size
        self.num_half_bins = window_size // bin_size
        self.width = 2 * (self.num_half_bins + 1)  # (bin q in 0..half) x (lag a multiple or not)
        lags = np.arange(window_size + 2)
        self.lag_code = 2 * (lags // bin_size) + (lags % bin_size == 0)
        self.lag_code[window_size + 1] = num_units * self.width  # past the window: the trash
        self.shift = int(num_units * self.width).bit_length()
        self.code_mask = (1 << self.shift) - 1
        self.past_window = (window_size + 1) << self.shift
        self.counts = np.zeros(2 * num_units * self.width, dtype="int64")

    def columns(self, times: np.ndarray, unit_indices: np.ndarray, num_columns: int):
        """The packed spikes of ``times`` (sorted), followed by ``num_columns`` spikes past the
        window of every row, and the spikes' packed samples."""
        size = times.size
        packed = np.empty(size + num_columns, dtype="int64")
        np.left_shift(times, self.shift, out=packed[:size])
        packed[:size] |= unit_indices.astype("int64") * self.width
        packed[size:] = (times[-1] + self.window_size + 1) << self.shift
        return packed, packed[:size] & ~self.code_mask

    def count(
        self,
        packed: np.ndarray,
        first_columns: np.ndarray,
        row_samples: np.ndarray,
        num_columns: np.ndarray,
    ) -> np.ndarray:
        """``(num_units, num_half_bins + 1, 2)`` counts of the rows' pairs.

        ``first_columns``: each row's first column in ``packed`` (`columns`); ``row_samples``:
        its packed sample; ``num_columns``: how many columns are within the window, the rows
        sorted by it.

        Many rows with few columns each (a few units' trains) are counted column by column:
        the k-th columns of the rows that have k or more, exactly the pairs, in a few numpy
        passes each. Otherwise (rows with many close spikes) by blocks of rows.
        """
        self.counts[:] = 0
        start = int(np.searchsorted(num_columns, 1))  # rows before it have no column
        if start < num_columns.size:
            longest = int(num_columns[-1])
            if longest <= _MAX_COLUMN_PASSES and (
                num_columns.size - start >= _ROWS_PER_COLUMN_PASS * longest
            ):
                self._count_by_column(packed, first_columns, row_samples, num_columns, start)
            else:
                self._count_by_block(packed, first_columns, row_samples, num_columns, start)
        size = self.num_units * self.width
        return self.counts[:size].reshape(self.num_units, self.num_half_bins + 1, 2)

    def _count_by_column(self, packed, first_columns, row_samples, num_columns, start) -> None:
        counts, column = self.counts, 0
        while start < num_columns.size:
            # lag << shift | code of the column's unit (all within the window)
            lag = packed[first_columns[start:] + column]
            lag -= row_samples[start:]
            code = self.lag_code[lag >> self.shift]
            lag &= self.code_mask
            code += lag
            np.add.at(counts, code, 1)
            column += 1
            start = int(np.searchsorted(num_columns, column + 1))

    def _count_by_block(self, packed, first_columns, row_samples, num_columns, start) -> None:
        counts = self.counts
        windows = sliding_window_view(packed, int(num_columns[-1]))
        while start < num_columns.size:
            # rows sorted by their number of columns: a block's width is its last
            width_guess = int(num_columns[min(num_columns.size - 1, start + 255)])
            stop = min(num_columns.size, start + max(16, _BLOCK_ELEMENTS // width_guess))
            block_width = int(num_columns[stop - 1])
            # lag << shift | code of the column's unit; lags past the window become the trash
            block = windows[first_columns[start:stop], :block_width]
            block -= row_samples[start:stop, None]
            np.minimum(block, self.past_window, out=block)
            code = self.lag_code[block >> self.shift]
            block &= self.code_mask
            code += block
            np.add.at(counts, code.ravel(), 1)
            start = stop


def _rows_by_unit(rows: np.ndarray, unit_indices: np.ndarray, num_units: int, keys: np.ndarray):
    """For each unit with rows, its rows (positions in ``unit_indices``) sorted by ``keys``."""
    order, bounds = group_by_unit(unit_indices[rows], num_units)
    key_dtype = small_label_dtype(int(keys.max(initial=0)) + 1)
    for unit in range(num_units):
        if bounds[unit] == bounds[unit + 1]:
            continue
        positions = order[bounds[unit] : bounds[unit + 1]]
        positions = positions[np.argsort(keys[positions].astype(key_dtype), kind="stable")]
        yield unit, positions


def correlograms_of_segment(
    times: np.ndarray,
    unit_indices: np.ndarray,
    num_units: int,
    window_size: int,
    bin_size: int,
    correlograms: np.ndarray | None = None,
    cancel_token: CancelToken | None = None,
    unit_done: Callable[[], None] | None = None,
) -> np.ndarray:
    """Auto- and cross-correlograms of the spikes of one segment.

    Parameters
    ----------
    times : np.ndarray
        Spike samples, sorted.
    unit_indices : np.ndarray
        Unit index of each spike, in ``[0, num_units)``.
    num_units : int
        Number of units.
    window_size : int
        Half window in samples, a multiple of ``bin_size``.
    bin_size : int
        Bin width in samples (>= 1).
    correlograms : np.ndarray or None, default: None
        ``(num_units, num_units, 2 * window_size // bin_size)`` int64 array to add to; a new
        one when None.
    cancel_token : CancelToken or None, default: None
        Checked between units.
    unit_done : callable or None, default: None
        Called after each unit.

    Returns
    -------
    np.ndarray
        ``correlograms[a, b, k]``: pairs of a spike of ``a`` and another spike of ``b`` with
        ``t_a - t_b`` in ``[(k - half) * bin_size, (k - half + 1) * bin_size)``, where ``half =
        window_size // bin_size``.
    """
    num_half_bins = window_size // bin_size
    if correlograms is None:
        correlograms = np.zeros((num_units, num_units, 2 * num_half_bins), dtype="int64")
    times = np.asarray(times, dtype="int64")
    if times.size < 2:
        return correlograms
    following = _following_within(times, window_size)
    max_following = int(following.max())
    if max_following == 0:
        return correlograms
    counter = _LagCounter(num_units, window_size, bin_size)
    packed, samples = counter.columns(times, unit_indices, max_following + 1)
    order, bounds = group_by_unit(unit_indices, num_units)
    following_keys = following.astype(small_label_dtype(max_following + 1), copy=False)
    for unit in range(num_units):
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        spikes = order[bounds[unit] : bounds[unit + 1]]
        spikes = spikes[np.argsort(following_keys[spikes], kind="stable")]
        counts = counter.count(packed, spikes + 1, samples[spikes], following[spikes])
        _fold_unit_counts(correlograms, unit, counts, num_half_bins)
        if unit_done is not None:
            unit_done()
    return correlograms


def correlograms_involving(
    times: np.ndarray,
    unit_indices: np.ndarray,
    num_units: int,
    involved: np.ndarray,
    window_size: int,
    bin_size: int,
    correlograms: np.ndarray | None = None,
    cancel_token: CancelToken | None = None,
) -> np.ndarray:
    """The pairs of :func:`correlograms_of_segment` that involve some spikes: what it counts,
    less what it counts on the other spikes alone.

    A curation action changes a few units: correlograms of the others are known, and only
    the pairs with a spike of the changed units need counting (see
    `app.views.correlograms`). Each such pair is met once: from its involved spike when that
    is the earlier one (all later spikes within the window), else from its later, involved,
    spike (the earlier spikes that are not involved, searched in their own time-reversed
    array). The work is in proportion to those pairs.

    Parameters
    ----------
    times, unit_indices, num_units, window_size, bin_size, correlograms, cancel_token
        As :func:`correlograms_of_segment`.
    involved : np.ndarray
        Boolean, for each spike: whether its pairs count.

    Returns
    -------
    np.ndarray
        ``correlograms_of_segment(times, ...) - correlograms_of_segment(times[~involved],
        ...)``, added to ``correlograms``.
    """
    num_half_bins = window_size // bin_size
    if correlograms is None:
        correlograms = np.zeros((num_units, num_units, 2 * num_half_bins), dtype="int64")
    times = np.asarray(times, dtype="int64")
    involved = np.asarray(involved, dtype=bool)
    if times.shape != involved.shape:
        raise ValueError(
            f"involved must have one value per spike ({times.size}), got shape {involved.shape}"
        )
    rows = np.flatnonzero(involved)
    if times.size < 2 or rows.size == 0:
        return correlograms
    counter = _LagCounter(num_units, window_size, bin_size)
    # pairs whose earlier spike is involved: the later spikes
    following = np.searchsorted(times, times[rows] + window_size, side="right") - rows - 1
    if following.max() > 0:
        packed, samples = counter.columns(times, unit_indices, int(following.max()) + 1)
        for unit, at in _rows_by_unit(rows, unit_indices, num_units, following):
            if cancel_token is not None:
                cancel_token.raise_if_cancelled()
            counts = counter.count(packed, rows[at] + 1, samples[rows[at]], following[at])
            _fold_unit_counts(correlograms, unit, counts, num_half_bins)
    # pairs whose later spike only is involved: the earlier spikes not involved, in reverse
    others = np.flatnonzero(~involved)
    if others.size == 0:
        return correlograms
    other_times = times[others]
    before = rows - np.arange(rows.size)  # spikes not involved before each row
    preceding = before - np.searchsorted(other_times, times[rows] - window_size, side="left")
    if preceding.max() == 0:
        return correlograms
    packed, samples = counter.columns(
        -other_times[::-1], unit_indices[others][::-1], int(preceding.max()) + 1
    )
    row_samples = np.left_shift(-times[rows], counter.shift)
    first_columns = others.size - before
    transposed = correlograms.transpose(1, 0, 2)  # rows hold the later spike
    for unit, at in _rows_by_unit(rows, unit_indices, num_units, preceding):
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        counts = counter.count(packed, first_columns[at], row_samples[at], preceding[at])
        _fold_unit_counts(transposed, unit, counts, num_half_bins)
    return correlograms


def _following_within(times: np.ndarray, window_size: int) -> np.ndarray:
    """For each spike, how many later spikes are at most ``window_size`` after it.

    Searched block by block in the nearby spikes only, which keeps the search in the cache.
    """
    following = np.empty(times.size, dtype="int64")
    block = 1 << 16
    for start in range(0, times.size, block):
        stop = min(times.size, start + block)
        end = int(np.searchsorted(times, times[stop - 1] + window_size, side="right"))
        local = np.searchsorted(times[start:end], times[start:stop] + window_size, side="right")
        following[start:stop] = local - np.arange(1, stop - start + 1)
    return following


def lags_within_units(
    samples: np.ndarray, bounds: np.ndarray, bin_size: int, num_bins: int
) -> np.ndarray:
    """Per unit, pairs of its own spikes by lag bin, for lags below ``bin_size * num_bins``.

    Parameters
    ----------
    samples : np.ndarray
        Spike samples of one segment grouped by unit, each unit's in time order
        (:func:`~core.postprocessing.unit_trains.trains_by_unit`).
    bounds : np.ndarray
        ``samples[bounds[u]:bounds[u + 1]]`` are unit ``u``'s spikes.
    bin_size : int
        Bin width in samples (>= 1).
    num_bins : int
        Number of bins from lag 0.

    Returns
    -------
    np.ndarray
        ``(num_units, num_bins)`` int64: ``[u, q]`` counts the pairs ``i < j`` of spikes of
        ``u`` (in time order) with ``(t_j - t_i) // bin_size == q``.
    """
    num_units = bounds.size - 1
    counts = np.zeros(num_units * num_bins, dtype="int64")
    if samples.size < 2 or num_bins < 1:
        return counts.reshape(num_units, num_bins)
    limit = bin_size * num_bins
    # the later spike of each close pair, shift by shift along each unit's train
    later = np.arange(1, samples.size)
    shift = 1
    while later.size:
        earlier = later - shift
        lag = samples[later] - samples[earlier]
        close = lag < limit
        later, lag = later[close], lag[close]
        # pairs that reach back into the previous unit's train do not count, and stop there
        same_unit = np.searchsorted(bounds, later, side="right") == np.searchsorted(
            bounds, later - shift, side="right"
        )
        later, lag = later[same_unit], lag[same_unit]
        units = np.searchsorted(bounds, later, side="right") - 1
        np.add.at(counts, units * num_bins + lag // bin_size, 1)
        shift += 1
        later = later[later - shift >= 0]
    return counts.reshape(num_units, num_bins)
