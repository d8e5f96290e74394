"""Spike vector construction and conversion, vectorised (no Python loop over spikes)."""

from __future__ import annotations

import numpy as np

from .base import minimum_spike_dtype

#: Spikes copied or gathered per step when splitting a spike vector into trains.
_SPLIT_SLICE = 500_000


def sort_spike_vector(spikes: np.ndarray) -> np.ndarray:
    """Sort spikes by segment, then sample, then unit index (stable, O(n log n)).

    One stable argsort on a combined key is several times faster than a three-key lexsort, and
    near-sorted input (the usual case) sorts fastest; lexsort is the fallback when the key could
    overflow.
    """
    if spikes.size == 0:
        return spikes
    num_units = int(spikes["unit_index"].max()) + 1
    max_sample = int(spikes["sample_index"].max()) + 1
    num_segments = int(spikes["segment_index"].max()) + 1
    if num_units * max_sample * num_segments < 2**62:
        key = (spikes["segment_index"] * max_sample + spikes["sample_index"]) * num_units + spikes[
            "unit_index"
        ]
        return spikes[np.argsort(key, kind="stable")]
    order = np.lexsort((spikes["unit_index"], spikes["sample_index"], spikes["segment_index"]))
    return spikes[order]


def is_sorted_spike_vector(spikes: np.ndarray) -> bool:
    """Whether spikes are ordered by segment then sample."""
    if spikes.size < 2:
        return True
    segment_steps = np.diff(spikes["segment_index"])
    sample_steps = np.diff(spikes["sample_index"])
    return bool(np.all((segment_steps > 0) | ((segment_steps == 0) & (sample_steps >= 0))))


def spike_vector_from_trains(trains_per_segment: list[list[np.ndarray]]) -> np.ndarray:
    """Build the spike vector from per-segment lists of per-unit sorted spike trains.

    Parameters
    ----------
    trains_per_segment : list of list of np.ndarray
        ``trains_per_segment[segment][unit_index]``: sorted sample indices.

    Returns
    -------
    np.ndarray
        ``minimum_spike_dtype``, sorted by segment, sample and unit index.
    """
    parts = []
    for segment_index, trains in enumerate(trains_per_segment):
        counts = np.array([t.size for t in trains], dtype="int64")
        spikes = np.zeros(int(counts.sum()), dtype=minimum_spike_dtype)
        if spikes.size == 0:
            continue
        spikes["sample_index"] = np.concatenate(trains)
        spikes["unit_index"] = np.repeat(np.arange(len(trains), dtype="int64"), counts)
        spikes["segment_index"] = segment_index
        order = np.lexsort((spikes["unit_index"], spikes["sample_index"]))
        parts.append(spikes[order])
    if not parts:
        return np.zeros(0, dtype=minimum_spike_dtype)
    return np.concatenate(parts)


def vector_to_list_of_spiketrain_numpy(
    sample_indices: np.ndarray, unit_indices: np.ndarray, num_units: int
) -> list[np.ndarray]:
    """Split one segment's spikes into per-unit spike trains.

    Parameters
    ----------
    sample_indices, unit_indices : np.ndarray
        Of the spikes, in spike vector order.
    num_units : int

    Returns
    -------
    list of np.ndarray
        ``num_units`` int64 arrays of sample indices, each in spike vector order: consecutive
        views of one new array (no copy of each train, and no reference to the inputs).
    """
    unit_indices = np.asarray(unit_indices)
    sample_indices = np.asarray(sample_indices)
    # the counts below hold the GIL: done in slices so that another thread (a GUI) never waits
    # long for it, each copied first (a copy releases the GIL, and the first read of a memory
    # map may wait for the disk)
    counts = np.zeros(num_units, dtype=np.int64)
    for first in range(0, unit_indices.size, _SPLIT_SLICE):
        part = np.array(unit_indices[first : first + _SPLIT_SLICE])
        counts += np.bincount(part, minlength=num_units)[:num_units]
    bounds = np.concatenate([[0], np.cumsum(counts)])
    samples = _split_time_sorted(sample_indices, unit_indices, num_units, bounds)
    if samples is None:  # not in time order: a stable sort by unit keeps each train's order
        samples = _split_by_stable_sort(sample_indices, unit_indices, num_units)
    return [samples[bounds[i] : bounds[i + 1]] for i in range(num_units)]


def _split_time_sorted(
    sample_indices: np.ndarray, unit_indices: np.ndarray, num_units: int, bounds: np.ndarray
) -> np.ndarray | None:
    """The samples grouped by unit (``bounds[u]:bounds[u + 1]`` for unit ``u``), or None when the
    spikes are not in time order (or do not fit the key below).

    A slice at a time, the spikes are sorted by one int64 key, unit then sample (numpy's
    vectorised sort, about 3x faster than a stable argsort by unit and a gather of the samples),
    and each unit's part goes after the unit's parts of the slices before: in time order, that
    is the spike vector's order. Each sort holds the GIL for a few milliseconds only.
    """
    size = sample_indices.size
    if size == 0 or int(sample_indices[0]) < 0:
        return None if size else np.zeros(0, dtype=np.int64)
    shift = max(int(sample_indices[-1]).bit_length(), 1)  # the last is the largest when sorted
    if max(num_units, 1).bit_length() + shift > 62:
        return None
    unit_starts = np.arange(num_units + 1, dtype=np.int64) << shift
    samples = np.empty(int(bounds[-1]), dtype=np.int64)
    filled = bounds[:-1].copy()  # where each unit's next part goes
    previous_last = 0
    for first in range(0, size, _SPLIT_SLICE):
        times = np.array(sample_indices[first : first + _SPLIT_SLICE])  # contiguous
        if times[0] < previous_last or not np.all(times[1:] >= times[:-1]):
            return None
        previous_last = times[-1]
        keys = unit_indices[first : first + _SPLIT_SLICE].astype(np.int64)
        if keys.min() < 0 or int(keys.max()).bit_length() + shift > 62:
            return None  # (units past num_units sort last and are left out)
        keys <<= shift
        keys |= times
        keys.sort()
        edges = np.searchsorted(keys, unit_starts)
        sizes = np.diff(edges)
        keys &= (1 << shift) - 1
        destination = np.arange(int(edges[-1]), dtype=np.int64)
        destination += np.repeat(filled - edges[:-1], sizes)
        samples[destination] = keys[: edges[-1]]
        filled += sizes
    return samples


def _split_by_stable_sort(
    sample_indices: np.ndarray, unit_indices: np.ndarray, num_units: int
) -> np.ndarray:
    """The samples grouped by unit, each unit's in the input's order (any order of spikes)."""
    num_spikes = unit_indices.size
    key_dtype = np.uint16 if num_units <= np.iinfo(np.uint16).max else unit_indices.dtype
    # the copies and gathers below hold the GIL: done in slices; the sort releases it
    keys = np.empty(num_spikes, dtype=key_dtype)  # numpy sorts 16-bit keys by radix
    for first in range(0, num_spikes, _SPLIT_SLICE):
        keys[first : first + _SPLIT_SLICE] = unit_indices[first : first + _SPLIT_SLICE]
    order = np.argsort(keys, kind="stable")
    del keys
    samples = np.empty(num_spikes, dtype=np.int64)
    for first in range(0, num_spikes, _SPLIT_SLICE):
        samples[first : first + _SPLIT_SLICE] = sample_indices[order[first : first + _SPLIT_SLICE]]
    return samples


def get_numba_vector_to_list_of_spiketrain():
    """The fastest function splitting spikes into spike trains (SpikeInterface's getter).

    SpikeInterface compiles a loop with numba here; the sort-based
    `vector_to_list_of_spiketrain_numpy` is as fast and needs no compiler, so it is returned.

    Returns
    -------
    callable
        ``f(sample_indices, unit_indices, num_units) -> list of np.ndarray``.
    """
    return vector_to_list_of_spiketrain_numpy


def spike_vector_to_spike_trains(spike_vector: list[np.ndarray], unit_ids) -> dict:
    """Per-segment spike vectors to ``{segment_index: {unit_id: int64 sample indices}}``.

    One stable sort per segment splits all units at once.

    Parameters
    ----------
    spike_vector : list of np.ndarray
        ``sorting.to_spike_vector(concatenated=False)``: one vector per segment.
    unit_ids : array-like

    Returns
    -------
    dict
    """
    unit_ids = np.asarray(unit_ids)
    trains = {}
    for segment_index, spikes in enumerate(spike_vector):
        split = vector_to_list_of_spiketrain_numpy(
            spikes["sample_index"], spikes["unit_index"], unit_ids.size
        )
        trains[segment_index] = dict(zip(unit_ids.tolist(), split))
    return trains


def segment_bounds(spikes: np.ndarray, num_segments: int) -> np.ndarray:
    """Row index where each segment starts, plus the end: ``num_segments + 1`` values."""
    return np.searchsorted(spikes["segment_index"], np.arange(num_segments + 1))
