"""Each unit's spike train of a segment, laid end to end (unit after unit).

Interval and refractory computations work on the spikes of one unit at a time; taking them
from the sorting's own per-unit cache (``get_unit_spike_train``, filled once from the spike
vector) shares that work with every other user of the trains, such as the raster views.
"""

from __future__ import annotations

import numpy as np

__all__ = ["trains_by_unit", "unit_trains"]


def unit_trains(sorting, segment_index: int) -> list[np.ndarray]:
    """Each unit's int64 spike samples in a segment, in unit order (the sorting's cache)."""
    return [
        np.asarray(sorting.get_unit_spike_train(unit_id, segment_index=segment_index), "int64")
        for unit_id in sorting.unit_ids
    ]


def trains_by_unit(sorting, segment_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Spike samples of a segment grouped by unit (in unit order, each unit's in time order).

    Parameters
    ----------
    sorting : BaseSorting
    segment_index : int

    Returns
    -------
    samples : np.ndarray
        int64 samples, unit after unit.
    bounds : np.ndarray
        ``samples[bounds[u]:bounds[u + 1]]`` is unit ``u``'s train (``num_units + 1`` values).
    """
    trains = unit_trains(sorting, segment_index)
    bounds = np.concatenate([[0], np.cumsum([train.size for train in trains])]).astype("int64")
    if not trains:
        return np.zeros(0, dtype="int64"), bounds
    return np.concatenate(trains).astype("int64", copy=False), bounds
