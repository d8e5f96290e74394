"""`sample_spikes_per_unit` gathers only the drawn spikes of each unit: the same spikes, for
the same seed, as the per-unit concatenation it replaces (so amplitude and SNR values stay)."""

import numpy as np
import pytest

import core as si
from app.model.unit_metrics import sample_spikes_per_unit


def concatenating_sample(sorting, max_spikes, seed=0, num_samples=None, margin=0):
    """The former implementation: each unit's trains concatenated, then indexed by its draws."""
    dtype = sorting.to_spike_vector().dtype
    num_segments = sorting.get_num_segments()
    rng = np.random.default_rng(seed)
    chosen = []
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        trains = []
        for segment_index in range(num_segments):
            train = sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            if num_samples is not None and margin > 0:
                first, last = np.searchsorted(
                    train, [margin, num_samples[segment_index] - margin], side="left"
                )
                train = train[first:last]
            trains.append(train)
        count = sum(train.size for train in trains)
        ranks = np.arange(count)
        if count > max_spikes:
            ranks = np.sort(rng.choice(count, size=max_spikes, replace=False))
        unit_spikes = np.zeros(ranks.size, dtype=dtype)
        unit_spikes["sample_index"] = np.concatenate(trains)[ranks] if count else []
        unit_spikes["segment_index"] = np.repeat(
            np.arange(num_segments), [train.size for train in trains]
        )[ranks]
        unit_spikes["unit_index"] = unit_index
        chosen.append(unit_spikes)
    spikes = np.concatenate(chosen)
    order = np.lexsort((spikes["unit_index"], spikes["sample_index"], spikes["segment_index"]))
    return spikes[order]


def saved_sorting(tmp_path, durations, seed):
    """A folder sorting of 30 units with 0 to ~2,000 spikes each, on ``durations`` segments."""
    rng = np.random.default_rng(seed)
    fs = 10_000.0
    segments = []
    for duration in durations:
        num_samples = int(duration * fs)
        trains = {}
        for unit in range(30):
            size = 0 if unit == 7 else int(rng.integers(1, 2_000)) if unit % 3 else 20
            trains[unit * 2 + 1] = np.sort(rng.integers(0, num_samples, size))
        segments.append(trains)
    sorting = si.NumpySorting.from_unit_dict(segments, sampling_frequency=fs)
    sorting.save(folder=tmp_path / "sorting")
    return si.load_extractor(tmp_path / "sorting"), [int(d * fs) for d in durations]


@pytest.mark.parametrize(
    ("durations", "max_spikes", "margin", "seed"),
    [
        ([30.0], 50, 90, 0),
        ([30.0], 50, 0, 4),
        ([20.0, 9.0, 0.5], 40, 100, 2),
        ([12.0, 7.0], 5, 0, 1),
    ],
)
def test_drawn_spikes_equal_those_of_the_concatenating_sampler(
    tmp_path, durations, max_spikes, margin, seed
):
    sorting, num_samples = saved_sorting(tmp_path, durations, seed)
    spikes = sample_spikes_per_unit(sorting, max_spikes, seed, num_samples, margin=margin)
    expected = concatenating_sample(sorting, max_spikes, seed, num_samples, margin=margin)
    assert spikes.dtype == expected.dtype
    np.testing.assert_array_equal(spikes, expected)
    counts = np.bincount(spikes["unit_index"], minlength=30)
    assert counts[7] == 0  # unit 15 (index 7) has no spike
    assert counts.max() == max_spikes and (counts <= max_spikes).all()
    if margin:
        limits = np.asarray(num_samples)[spikes["segment_index"]]
        assert (spikes["sample_index"] >= margin).all()
        assert (spikes["sample_index"] < limits - margin).all()
