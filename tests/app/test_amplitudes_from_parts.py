"""Amplitudes of a merged or split unit taken from its parts' equal those read anew."""

import numpy as np
import pytest

import core as si
from app.model import spike_amplitudes
from app.model.spike_amplitudes import amplitudes_from_parts, unit_amplitudes
from core.curation import CurationSession


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("amplitudes-parts")
    recording, sorting = si.generate_ground_truth_recording(
        durations=[3.0, 2.0], num_channels=4, num_units=4, seed=2
    )
    recording = recording.save(folder=folder / "rec", progress_bar=False)
    return recording, sorting


def read(sorting, unit_id, recording, segment=1, channel=2):
    return unit_amplitudes(sorting, unit_id, segment, recording, channel_id=channel)


def assert_same(derived, fresh) -> None:
    assert derived is not None
    np.testing.assert_array_equal(derived.spike_indices, fresh.spike_indices)
    np.testing.assert_array_equal(derived.times, fresh.times)
    np.testing.assert_array_equal(derived.amplitudes, fresh.amplitudes)
    assert derived.total_spikes == fresh.total_spikes and derived.scaled == fresh.scaled


def test_a_merged_unit_takes_its_parts_amplitudes(data, tmp_path):
    recording, sorting = data
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    parts = [read(before, u, recording) for u in (0, 1)]
    other = read(before, 3, recording)  # read on the channel too, no spike of the merge
    merged = curation.merge([0, 1])
    after = curation.sorting
    derived = amplitudes_from_parts(after, merged, 1, before, [*parts, other])
    assert_same(derived, read(after, merged, recording))
    # a part missing: its spikes cannot be had without reading
    assert amplitudes_from_parts(after, merged, 1, before, parts[:1]) is None


def test_split_parts_take_the_split_units_amplitudes(data, tmp_path):
    recording, sorting = data
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    whole = read(before, 2, recording)
    count = before.count_num_spikes_per_unit()[2]
    new_ids = curation.split(2, indices=[np.arange(0, count, 3)])
    after = curation.sorting
    for unit_id in new_ids:
        assert_same(
            amplitudes_from_parts(after, unit_id, 1, before, [whole]),
            read(after, unit_id, recording),
        )


def test_a_sampled_unit_gives_its_split_parts_the_sampled_spikes(data, tmp_path, monkeypatch):
    recording, sorting = data
    monkeypatch.setattr(spike_amplitudes, "MAX_SPIKES", 10)
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    whole = read(before, 2, recording)
    assert whole.amplitudes.size == 10 < whole.total_spikes
    count = before.count_num_spikes_per_unit()[2]
    new_ids = curation.split(2, indices=[np.arange(0, count, 2)])
    after = curation.sorting
    monkeypatch.setattr(spike_amplitudes, "MAX_SPIKES", 10_000)
    taken = 0
    for unit_id in new_ids:
        derived = amplitudes_from_parts(after, unit_id, 1, before, [whole])
        fresh = read(after, unit_id, recording)  # every spike: the same values at each
        assert derived.total_spikes == fresh.total_spikes
        at = np.searchsorted(fresh.spike_indices, derived.spike_indices)
        np.testing.assert_array_equal(fresh.spike_indices[at], derived.spike_indices)
        np.testing.assert_array_equal(fresh.amplitudes[at], derived.amplitudes)
        taken += derived.amplitudes.size
    assert taken == 10


def test_spikes_at_one_sample_are_matched_by_their_row(data, tmp_path):
    """Two spikes of a unit at the same sample: matched by their place in the base spike
    vector, the split parts get the right amplitude at the right position."""
    recording, _ = data
    rng = np.random.default_rng(4)
    frames = [recording.get_num_samples(s) for s in range(recording.get_num_segments())]
    trains = []
    for num_frames in frames:
        train = np.sort(rng.integers(100, num_frames - 100, 60))
        trains.append({"a": np.sort(np.concatenate([train, train[:5]])), "b": train[5:20]})
    sorting = si.NumpySorting.from_unit_dict(trains, recording.sampling_frequency)
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    whole = read(before, "a", recording)
    count = before.count_num_spikes_per_unit()["a"]
    # the second half: segment 1's spikes, duplicates included, in one part
    new_ids = curation.split("a", indices=[np.arange(count // 2, count)])
    after = curation.sorting
    train = after.get_unit_spike_train(new_ids[0], segment_index=1)
    assert np.any(np.diff(train) == 0)
    assert_same(
        amplitudes_from_parts(after, new_ids[0], 1, before, [whole]),
        read(after, new_ids[0], recording),
    )


def test_a_merge_of_sampled_units_takes_their_sampled_spikes_at_one_rate(
    data, tmp_path, monkeypatch
):
    """Parts read as samples: the merged unit shows their read spikes thinned to the lowest
    rate among them (every spike equally likely), with the values a full read gives."""
    recording, sorting = data
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    counts = [before.get_unit_spike_train(u, segment_index=1).size for u in (0, 1)]
    monkeypatch.setattr(spike_amplitudes, "MAX_SPIKES", min(counts) // 2)
    parts = [read(before, u, recording) for u in (0, 1)]
    assert all(p.amplitudes.size < p.total_spikes for p in parts)
    merged = curation.merge([0, 1])
    after = curation.sorting
    derived = amplitudes_from_parts(after, merged, 1, before, parts)
    assert derived is not None and derived.total_spikes == sum(counts)
    assert derived.amplitudes.size <= spike_amplitudes.MAX_SPIKES + 1
    monkeypatch.setattr(spike_amplitudes, "MAX_SPIKES", 10_000)
    fresh = read(after, merged, recording)  # every spike
    at = np.searchsorted(fresh.spike_indices, derived.spike_indices)
    np.testing.assert_array_equal(fresh.spike_indices[at], derived.spike_indices)
    np.testing.assert_array_equal(fresh.amplitudes[at], derived.amplitudes)
    np.testing.assert_array_equal(fresh.times[at], derived.times)
    # one rate for both parts: each part shows the same share of its spikes
    train_of = {u: before.get_unit_spike_train(u, segment_index=1) for u in (0, 1)}
    shown = after.get_unit_spike_train(merged, segment_index=1)[
        derived.spike_indices - (after.get_unit_spike_train(merged, segment_index=0).size)
    ]
    rates = [np.isin(shown, train_of[u]).sum() / counts[i] for i, u in enumerate((0, 1))]
    assert rates[0] == pytest.approx(rates[1], abs=1.5 / min(counts))
    # every shown spike is one its part read
    read_spikes = np.concatenate(
        [train_of[u][p.spike_indices - before.get_unit_spike_train(u, segment_index=0).size]
         for u, p in zip((0, 1), parts)]
    )  # fmt: skip
    assert np.isin(shown, read_spikes).all()


def test_a_merge_with_a_part_not_wholly_in_it_is_not_taken(data, tmp_path):
    """Units whose spikes the unit holds only some of (a half of a merge of 0 and 1, split
    off later, against 0 and 1 read completely) give nothing: not a merge of them."""
    recording, sorting = data
    curation = CurationSession(sorting, journal_folder=tmp_path)
    before = curation.sorting
    parts = [read(before, u, recording) for u in (0, 1)]
    merged = curation.merge([0, 1])
    after = curation.sorting
    count = after.count_num_spikes_per_unit()[merged]
    halves = curation.split(merged, indices=[np.arange(0, count // 2)])
    split = curation.sorting
    assert amplitudes_from_parts(split, halves[0], 1, before, parts) is None
