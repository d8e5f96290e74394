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
    num_spikes = unit_indices.size
    key_dtype = np.uint16 if num_units <= np.iinfo(np.uint16).max else unit_indices.dtype
    # the copies, gathers and counts below hold the GIL: done in slices so that another
    # thread (a GUI) never waits long for it; the sort itself releases the GIL
    keys = np.empty(num_spikes, dtype=key_dtype)  # numpy sorts 16-bit keys by radix
    counts = np.zeros(num_units, dtype=np.int64)
    for first in range(0, num_spikes, _SPLIT_SLICE):
        part = unit_indices[first : first + _SPLIT_SLICE]
        keys[first : first + part.size] = part
        counts += np.bincount(part, minlength=num_units)[:num_units]
    order = np.argsort(keys, kind="stable")
    del keys
    samples = np.empty(num_spikes, dtype=np.int64)
    for first in range(0, num_spikes, _SPLIT_SLICE):
        samples[first : first + _SPLIT_SLICE] = sample_indices[order[first : first + _SPLIT_SLICE]]
    del order
    bounds = np.concatenate([[0], np.cumsum(counts)])
    return [samples[bounds[i] : bounds[i + 1]] for i in range(num_units)]


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
