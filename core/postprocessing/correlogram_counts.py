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

:func:`lags_within_units` counts, for each unit, the pairs of its own spikes closer than a limit
(refractory-period metrics) by shifting along each unit's train while any pair is still close.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..jobs import CancelToken

__all__ = [
    "correlograms_of_segment",
    "group_by_unit",
    "lags_within_units",
    "small_label_dtype",
]

# Elements of one block (rows x following spikes): 1 MB of int64, so that it and its
# temporaries stay in the CPU cache.
_BLOCK_ELEMENTS = 1 << 17


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
    ``exact`` telling whether ``d`` is a multiple of the bin size.
    """
    all_pairs = counts.sum(axis=2)  # (num_units, num_half_bins + 1)
    exact = counts[:, :, 1]
    # the later spike's unit minus this unit: lag d, bin q (d < window only)
    correlograms[:, unit, num_half_bins:] += all_pairs[:, :num_half_bins]
    # this unit minus the later one: lag -d, bin -q - 1, or -q when d is a multiple
    correlograms[unit, :, num_half_bins - 1 :: -1] += (all_pairs - exact)[:, :num_half_bins]
    correlograms[unit, :, num_half_bins::-1] += exact


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
    num_spikes = times.size
    if num_spikes < 2:
        return correlograms
    following = _following_within(times, window_size)
    max_following = int(following.max())
    if max_following == 0:
        return correlograms

    width = 2 * (num_half_bins + 1)  # (bin q in 0..half) x (lag an exact multiple or not)
    lags = np.arange(window_size + 2)
    lag_code = 2 * (lags // bin_size) + (lags % bin_size == 0)
    lag_code[window_size + 1] = num_units * width  # lags past the window: the trash half
    # one int64 per spike: its sample above, its unit's code below (one gather gives both)
    shift = int(num_units * width).bit_length()
    code_mask = (1 << shift) - 1
    padding = max_following + 1  # past the end: a lag past the window for every spike
    packed = np.empty(num_spikes + padding, dtype="int64")
    np.left_shift(times, shift, out=packed[:num_spikes])
    packed[:num_spikes] |= unit_indices.astype("int64") * width
    packed[num_spikes:] = (times[-1] + window_size + 1) << shift
    windows = sliding_window_view(packed, max_following + 1)
    shifted_times = packed[:num_spikes] & ~code_mask
    past_window = (window_size + 1) << shift
    counts = np.zeros(2 * num_units * width, dtype="int64")

    order, bounds = group_by_unit(unit_indices, num_units)
    following_keys = following.astype(small_label_dtype(max_following + 1), copy=False)
    for unit in range(num_units):
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        spikes = order[bounds[unit] : bounds[unit + 1]]
        spikes = spikes[np.argsort(following_keys[spikes], kind="stable")]
        num_following = following[spikes]
        start = int(np.searchsorted(num_following, 1))
        counts[:] = 0
        while start < spikes.size:
            # rows sorted by their number of following spikes: a block's width is its last
            width_guess = int(num_following[min(spikes.size - 1, start + 255)])
            stop = min(spikes.size, start + max(16, _BLOCK_ELEMENTS // width_guess))
            block_width = int(num_following[stop - 1])
            earlier = spikes[start:stop]
            # lag << shift | code of the later spike; lags past the window become the trash
            block = windows[earlier + 1, :block_width]
            block -= shifted_times[earlier][:, None]
            np.minimum(block, past_window, out=block)
            code = lag_code[block >> shift]
            block &= code_mask
            code += block
            np.add.at(counts, code.ravel(), 1)
            start = stop
        unit_counts = counts[: num_units * width].reshape(num_units, num_half_bins + 1, 2)
        _fold_unit_counts(correlograms, unit, unit_counts, num_half_bins)
        if unit_done is not None:
            unit_done()
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
