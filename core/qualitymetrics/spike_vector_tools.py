"""Per-unit counts over the spike vector, fast enough for 10 M spikes in a units table.

The spike vector is sorted by segment and sample, so the spikes of a time bin are one slice of
it: binned counts are one ``np.bincount`` of the unit indices per bin (no division or sort of
every spike). Spike counts per unit are kept for the sorting's cached spike vector, since every
metric asks for them.
"""

from __future__ import annotations

import weakref

import numpy as np

__all__ = ["binned_unit_counts", "unit_spike_counts"]

# id(spike vector) -> (weak reference to it, spikes per unit); an entry goes with its
# spike vector (arrays cannot be keys of a WeakKeyDictionary: they are not hashable)
_COUNTS: dict[int, tuple[weakref.ref, np.ndarray]] = {}

# above this many bins, one vectorised pass beats a bincount per bin
_MAX_BINS_SLICED = 4096
# spikes counted per np.bincount: it holds the GIL, and a GUI thread must not wait for it long
_COUNT_SLICE = 1_000_000


def unit_spike_counts(sorting) -> np.ndarray:
    """Spikes of each unit over all segments (int64, unit order); cached per spike vector."""
    spikes = sorting.to_spike_vector()
    num_units = len(sorting.unit_ids)
    key = id(spikes)
    cached = _COUNTS.get(key)
    if cached is not None and cached[0]() is spikes and cached[1].size == num_units:
        return cached[1]
    counts = np.zeros(num_units, dtype="int64")
    for first in range(0, spikes.size, _COUNT_SLICE):
        # copied first (a copy releases the GIL): the first read of a memory-mapped vector
        # waits for the disk, which must not happen inside np.bincount, which holds the GIL
        units = np.array(spikes["unit_index"][first : first + _COUNT_SLICE])
        counts += np.bincount(units, minlength=num_units)[:num_units]
    counts.flags.writeable = False
    try:
        reference = weakref.ref(spikes, lambda _dead, key=key: _COUNTS.pop(key, None))
    except TypeError:  # not weak-referenceable: no cache
        return counts
    _COUNTS[key] = (reference, counts)
    return counts


def binned_unit_counts(
    times: np.ndarray, units: np.ndarray, num_units: int, bin_size: int, num_bins: int
) -> np.ndarray:
    """``(num_units, num_bins)`` spikes per bin ``[k * bin_size, (k + 1) * bin_size)``.

    As ``np.histogram`` with those edges: the last bin also takes ``num_bins * bin_size``;
    spikes before 0 or after it are not counted.

    Parameters
    ----------
    times : np.ndarray
        Sorted spike samples.
    units : np.ndarray
        Unit index of each spike.
    num_units, bin_size, num_bins : int
    """
    counts = np.zeros((num_units, num_bins), dtype="int64")
    if num_bins == 0 or times.size == 0:
        return counts
    edges = np.arange(num_bins + 1, dtype="int64") * bin_size
    bounds = np.searchsorted(times, edges, side="left")
    bounds[-1] = np.searchsorted(times, edges[-1], side="right")
    if num_bins <= _MAX_BINS_SLICED:
        for k in range(num_bins):
            if bounds[k + 1] > bounds[k]:
                counts[:, k] = np.bincount(units[bounds[k] : bounds[k + 1]], minlength=num_units)
        return counts
    inside = slice(bounds[0], bounds[-1])
    bins = np.minimum(np.asarray(times[inside]) // bin_size, num_bins - 1)
    flat = np.bincount(np.asarray(units[inside]) * num_bins + bins, minlength=num_units * num_bins)
    return flat.reshape(num_units, num_bins)
