"""Shared helpers for the curation tests: fixture sortings, spike trains as plain lists."""

from __future__ import annotations

import numpy as np
import pytest

from core.loading import load_extractor
from core.sorting.numpy import NumpySorting

FIXTURE_SORTINGS = {
    "si_0.100.8": "si_0.100.8/sorting_default_folder/sorting",  # int ids 0..5, 2 segments
    "si_0.105.3": "si_0.105.3/sorting_default_folder/sorting",  # str ids "0".."4", 2 segments
}


def fixture_sorting(si_fixtures, version: str):
    """A SpikeInterface-written multi-segment sorting (skips when the fixtures are absent)."""
    path = si_fixtures / FIXTURE_SORTINGS[version]
    if not path.is_dir():
        pytest.skip(f"fixture {path} not found")
    return load_extractor(path)


def trains(sorting) -> dict:
    """``{unit_id: [train of segment 0, train of segment 1, ...]}`` as lists."""
    return {
        unit_id: [
            sorting.get_unit_spike_train(unit_id, segment_index=i).tolist()
            for i in range(sorting.get_num_segments())
        ]
        for unit_id in sorting.unit_ids.tolist()
    }


def concatenated_train(sorting, unit_id) -> list[tuple[int, int]]:
    """A unit's spikes as ``(segment, sample)`` pairs, segment after segment."""
    return [
        (segment, int(sample))
        for segment in range(sorting.get_num_segments())
        for sample in sorting.get_unit_spike_train(unit_id, segment_index=segment)
    ]


def trains_from_pairs(pairs, num_segments: int) -> list[list[int]]:
    """``(segment, sample)`` pairs back to one sorted list per segment."""
    out = [[] for _ in range(num_segments)]
    for segment, sample in pairs:
        out[segment].append(sample)
    return [sorted(t) for t in out]


def small_sorting(unit_ids=(0, 1, 2, 3), num_segments: int = 2, seed: int = 0) -> NumpySorting:
    """A small random multi-segment sorting with a float and a string property."""
    rng = np.random.default_rng(seed)
    times, labels = [], []
    for _ in range(num_segments):
        n = 40 * len(unit_ids)
        times.append(np.sort(rng.integers(0, 30_000, n)))
        labels.append(rng.choice(np.asarray(unit_ids), n))
    sorting = NumpySorting.from_times_labels(times, labels, 30_000.0, unit_ids=list(unit_ids))
    sorting.set_property("amplitude", np.arange(len(unit_ids), dtype=float))
    sorting.set_property("KSLabel", np.array(["good"] * len(unit_ids)))
    return sorting
