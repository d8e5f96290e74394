"""The sorting, in-memory, event, snippet, generator and multi-segment-sorting examples of
``core-module.txt``, run against ``core`` with only the import changed (one test per section)."""

import numpy as np
import pytest

import core as si
from core import (
    NumpyEvent,
    NumpySorting,
    aggregate_units,
    append_sortings,
    clean_refractory_period,
    concatenate_sortings,
    generate_snippets,
    generate_sorting,
    inject_some_duplicate_units,
    inject_some_split_units,
    read_npz_sorting,
    select_segment_sorting,
    split_sorting,
    synthesize_random_firings,
    synthetize_spike_train_bad_isi,
)


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=4, durations=[20.0], seed=0)


@pytest.fixture
def sorting():
    return generate_sorting(num_units=10, durations=[20.0], firing_rates=10.0, seed=0)


def test_sorting_section(sorting, recording):
    unit_ids = sorting.unit_ids
    num_units = sorting.get_num_units()
    sampling_frequency = sorting.sampling_frequency
    assert num_units == 10

    unit0 = unit_ids[0]
    spike_train = sorting.get_unit_spike_train(unit_id=unit0, segment_index=0)
    spike_train_slice = sorting.get_unit_spike_train(
        unit_id=unit0, start_frame=100, end_frame=200, segment_index=0
    )
    assert np.all((spike_train_slice >= 100) & (spike_train_slice < 200))
    assert spike_train.dtype == np.int64

    sorting.set_property(key="quality", values=["good"] * num_units)
    assert sorting.get_property("quality").tolist() == ["good"] * 10
    assert "quality" in sorting.get_property_keys()
    sorting.annotate(date="Spike sorted today")

    sorting_slice_frames = sorting.frame_slice(
        start_frame=0, end_frame=int(10 * sampling_frequency)
    )
    sorting_select_units = sorting.select_units(unit_ids=unit_ids[:4])
    assert sorting_select_units.get_num_units() == 4
    assert sorting_slice_frames.to_spike_vector()["sample_index"].max() < 300_000

    sorting.register_recording(recording)
    spike_train_s = sorting.get_unit_spike_train(unit_id=unit0, segment_index=0, return_times=True)
    np.testing.assert_allclose(spike_train_s, spike_train / sampling_frequency)


def test_in_memory_sorting_section():
    sampling_frequency = 30_000.0
    num_samples = int(10.0 * sampling_frequency)
    num_units = 10
    num_spikes_unit = 1000
    rng = np.random.default_rng(0)
    spike_trains = []
    labels = []
    for i in range(num_units):
        spike_trains_i = rng.integers(low=0, high=num_samples, size=num_spikes_unit)
        labels_i = [i] * num_spikes_unit
        spike_trains += list(spike_trains_i)
        labels += labels_i
    sorting_memory = NumpySorting.from_times_labels(
        times=spike_trains, labels=labels, sampling_frequency=sampling_frequency
    )
    assert sorting_memory.count_total_num_spikes() == 10_000

    sorting_np = sorting_memory.to_numpy_sorting()
    sorting_shm = sorting_memory.to_shared_memory_sorting()
    np.testing.assert_array_equal(sorting_np.to_spike_vector(), sorting_shm.to_spike_vector())


def test_event_section():
    dtype = [("time", "<f8"), ("duration", "<f8"), ("label", "<U100")]
    events = np.array([(0.5, 0.1, "stim"), (1.5, 0.2, "reward")], dtype=dtype)
    event = NumpyEvent.from_dict([{"ttl": events, "lick": events[:1]}])

    channel_ids = event.channel_ids
    num_channels = event.get_num_channels()
    event_dtype = event.get_dtype(channel_ids[0])
    assert num_channels == 2 and event_dtype == np.dtype(dtype)
    got = event.get_events(channel_id=channel_ids[0], segment_index=0)
    event_times = event.get_event_times(channel_id=channel_ids[0], segment_index=0)
    assert got["label"].tolist() == ["stim", "reward"]
    np.testing.assert_array_equal(event_times, [0.5, 1.5])


def test_snippets_section():
    snippets, _ = generate_snippets(num_channels=16, durations=[2.0], num_units=3)
    channel_ids = snippets.channel_ids
    num_channels = snippets.get_num_channels()
    num_snippets = snippets.get_num_snippets(segment_index=0)
    total_snippets = snippets.get_total_snippets()
    nbefore = snippets.nbefore
    nsamples_per_snippet = snippets.snippet_len
    nafter = nsamples_per_snippet - nbefore
    frames = snippets.get_frames(segment_index=0)
    snippet_cutouts = snippets.get_snippets(segment_index=0)
    snippet_cutouts_slice = snippets.get_snippets(channel_ids=channel_ids[:4], segment_index=0)
    assert num_channels == 16 and num_snippets == total_snippets == frames.size
    assert snippet_cutouts.shape == (num_snippets, nbefore + nafter, 16)
    assert snippet_cutouts_slice.shape == (num_snippets, 64, 4)


def test_saving_sorting_and_snippets_section(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    snippets, sorting = generate_snippets(num_channels=4, durations=[1.0])
    snippets_saved = snippets.save(folder="snippets")
    sorting_saved = sorting.save(folder="sorting")
    assert snippets_saved.get_total_snippets() == snippets.get_total_snippets()
    np.testing.assert_array_equal(sorting_saved.to_spike_vector(), sorting.to_spike_vector())
    assert si.load_extractor("sorting").get_num_units() == sorting.get_num_units()


def test_aggregating_sortings_section(tmp_path):
    for name, seed in (("sortingA.npz", 1), ("sortingB.npz", 2)):
        source = generate_sorting(num_units=10, durations=[5.0], seed=seed)
        si.NpzSortingExtractor.write_sorting(source, tmp_path / name)
    sortingA = read_npz_sorting(tmp_path / "sortingA.npz")
    sortingB = read_npz_sorting(tmp_path / "sortingB.npz")
    sorting_20_units = aggregate_units([sortingA, sortingB])
    assert sorting_20_units.get_num_units() == 20


def test_multi_segment_sorting_section():
    sorting2 = generate_sorting(num_units=3, durations=[1.0, 2.0], seed=1)
    sorting3 = generate_sorting(num_units=3, durations=[1.0, 0.5, 0.25], seed=2)
    sorting5 = append_sortings([sorting2, sorting3])
    assert sorting5.get_num_segments() == 5
    recording2 = si.generate_recording(num_channels=2, durations=[1.0, 2.0], seed=1)
    sorting2.register_recording(recording2)
    sorting_mono = concatenate_sortings(
        [select_segment_sorting(sorting2, 0), select_segment_sorting(sorting2, 1)]
    )
    assert sorting_mono.get_num_segments() == 1
    assert sorting_mono.count_total_num_spikes() == sorting2.count_total_num_spikes()
    recording_mono = si.concatenate_recordings([recording2])
    sorting_split = split_sorting(sorting_mono)
    assert sorting_split.get_num_segments() == 2
    np.testing.assert_array_equal(
        sorting_split.get_unit_spike_train(0, segment_index=1),
        sorting2.get_unit_spike_train(0, segment_index=1),
    )
    assert recording_mono.get_num_segments() == 1
    sorting_select = select_segment_sorting(sorting5, segment_indices=[0, 4])
    assert sorting_select.get_num_segments() == 2


def test_generators_section():
    sorting = generate_sorting(
        num_units=5,
        sampling_frequency=30000.0,
        durations=[10.325, 3.5],
        firing_rate=15,
        refractory_period=1.5,
    )
    assert sorting.get_num_units() == 5 and sorting.get_num_segments() == 2
    snippets = generate_snippets(
        nbefore=20,
        nafter=40,
        num_channels=2,
        sampling_frequency=30000.0,
        durations=[10.325, 3.5],
        set_probe=True,
        num_units=5,
    )
    assert snippets.snippet_len == 60

    times, labels = synthesize_random_firings(num_units=4, duration=10, seed=0)
    assert times.size == labels.size and np.all(np.diff(times) >= 0)
    cleaned = clean_refractory_period(np.array([0.0, 0.0005, 0.01]), 0.001)
    assert cleaned.tolist() == [0.0, 0.01]
    with_duplicates = inject_some_duplicate_units(sorting, num=2, seed=0)
    assert with_duplicates.get_num_units() == 7
    with_splits = inject_some_split_units(sorting, split_ids=[0], num_split=2, seed=0)
    assert with_splits.get_num_units() == 6
    bad_isi = synthetize_spike_train_bad_isi(duration=10, baseline_rate=5, num_violations=3)
    assert np.sum(np.diff(bad_isi) < 0.001) == 3
