"""Work on 10 M spikes done in slices (so that a GUI thread never waits long for the GIL) gives
the same answers as in one go; trains are split once however many threads ask; noise levels
are computed a block of channels at a time."""

from __future__ import annotations

import threading
import time
import tracemalloc

import numpy as np

import core as si
import core.sorting.spike_vector as spike_vector_module
from core.qualitymetrics import spike_vector_tools
from core.recording import tools as recording_tools
from core.sorting.spike_vector import vector_to_list_of_spiketrain_numpy


def random_sorting(num_units=7, num_spikes=5000, seed=0):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(0, 100_000, num_spikes))
    labels = rng.integers(0, num_units, num_spikes)
    return si.NumpySorting.from_times_labels(times, labels, 30_000.0)


def test_unit_spike_counts_in_slices_equal_one_bincount(monkeypatch):
    monkeypatch.setattr(spike_vector_tools, "_COUNT_SLICE", 333)
    sorting = random_sorting()
    units = sorting.to_spike_vector()["unit_index"]
    counts = spike_vector_tools.unit_spike_counts(sorting)
    assert np.array_equal(counts, np.bincount(units, minlength=7))


def test_split_in_slices_gives_each_units_train_in_order(monkeypatch):
    monkeypatch.setattr(spike_vector_module, "_SPLIT_SLICE", 257)
    spikes = random_sorting(num_units=5).to_spike_vector()
    trains = vector_to_list_of_spiketrain_numpy(spikes["sample_index"], spikes["unit_index"], 6)
    assert len(trains) == 6 and trains[5].size == 0
    for unit in range(5):
        expected = spikes["sample_index"][spikes["unit_index"] == unit]
        assert trains[unit].dtype == np.int64
        assert np.array_equal(trains[unit], expected)
    # views of one new array, not of the spike vector
    assert not np.shares_memory(trains[0], spikes)


def test_threads_asking_for_trains_at_once_split_the_spike_vector_once(monkeypatch):
    sorting = random_sorting()
    sorting.to_spike_vector()  # cached: trains come from it
    splits = []
    split = spike_vector_module.spike_vector_to_spike_trains

    def slow_split(*args):
        splits.append(1)
        time.sleep(0.05)  # long enough for the other threads to ask meanwhile
        return split(*args)

    monkeypatch.setattr(spike_vector_module, "spike_vector_to_spike_trains", slow_split)
    results = {}

    def ask(unit_id):
        results[unit_id] = sorting.get_unit_spike_train(unit_id, segment_index=0)

    threads = [threading.Thread(target=ask, args=(u,)) for u in sorting.unit_ids.tolist()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(splits) == 1
    spikes = sorting.to_spike_vector()
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        expected = spikes["sample_index"][spikes["unit_index"] == unit_index]
        assert np.array_equal(results[unit_id], expected)


def test_noise_levels_by_channel_block_equal_all_channels_at_once(monkeypatch):
    recording = si.generate_recording(num_channels=10, durations=[3.0], seed=1)
    chunks = recording_tools.get_random_data_chunks(recording, return_scaled=False)
    expected_mad = recording_tools._mad_noise(chunks)
    expected_std = np.std(chunks, axis=0)
    monkeypatch.setattr(recording_tools, "_NOISE_CHANNEL_BLOCK", 3)
    for method, expected in (("mad", expected_mad), ("std", expected_std)):
        levels = recording_tools.get_noise_levels(
            recording, return_scaled=False, method=method, force_recompute=True
        )
        np.testing.assert_allclose(levels, expected, rtol=1e-6)


def test_mad_noise_levels_never_copy_every_channel_of_the_chunks():
    traces = np.random.default_rng(2).normal(size=(90_000, 128)).astype("float32")
    recording = si.NumpyRecording(traces, sampling_frequency=30_000.0)
    chunk_bytes = 20 * 10_000 * 128 * 4
    tracemalloc.start()
    try:
        si.get_noise_levels(recording, return_scaled=False, force_recompute=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the chunks once, then a block of channels at a time (all channels at once: 4 times)
    assert peak < 1.5 * chunk_bytes


def test_all_templates_copied_in_steps_are_a_copy_of_every_unit(tmp_path, monkeypatch):
    from core.waveforms import extractor_templates

    monkeypatch.setattr(extractor_templates, "_UNITS_PER_COPY", 2)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[4.0], num_units=5, num_channels=4, seed=0
    )
    we = si.extract_waveforms(
        recording, sorting, mode="memory", max_spikes_per_unit=20, sparse=False, seed=0
    )
    templates = we.get_all_templates()
    assert templates.shape[0] == 5
    for index, unit_id in enumerate(sorting.unit_ids.tolist()):
        np.testing.assert_array_equal(templates[index], we.get_template(unit_id))
    templates[:] = 0  # a copy: the extractor's stay
    assert np.abs(we.get_all_templates()).sum() > 0
    subset = we.get_all_templates(unit_ids=sorting.unit_ids[[3, 1]])
    np.testing.assert_array_equal(subset[0], we.get_template(sorting.unit_ids[3]))


def test_unit_spike_counts_are_counted_once_per_spike_vector(tmp_path, monkeypatch):
    calls = []
    bincount = np.bincount

    def counting(*args, **kwargs):
        calls.append(1)
        return bincount(*args, **kwargs)

    random_sorting().save(folder=tmp_path / "sorting")
    memory = random_sorting(seed=1)
    folder = si.load_extractor(tmp_path / "sorting")  # a memory-mapped spike vector
    assert isinstance(folder.to_spike_vector(), np.memmap)
    monkeypatch.setattr(spike_vector_tools.np, "bincount", counting)
    for sorting in (memory, folder):
        calls.clear()
        first = spike_vector_tools.unit_spike_counts(sorting)
        assert spike_vector_tools.unit_spike_counts(sorting) is first
        assert len(calls) == 1  # 5000 spikes: one slice, counted once
        expected = bincount(sorting.to_spike_vector()["unit_index"], minlength=7)
        assert np.array_equal(first, expected)
    # an entry goes with its spike vector
    key = id(memory.to_spike_vector())
    assert key in spike_vector_tools._COUNTS
    del memory, sorting
    import gc

    gc.collect()
    assert key not in spike_vector_tools._COUNTS


def expected_trains(samples, units, num_units):
    """Each unit's samples in input order, by a boolean mask per unit."""
    return [samples[units == unit] for unit in range(num_units)]


def test_split_of_time_ordered_spikes_by_sorted_keys_equals_a_mask_per_unit(monkeypatch):
    monkeypatch.setattr(spike_vector_module, "_SPLIT_SLICE", 100)
    rng = np.random.default_rng(3)
    samples = np.sort(rng.integers(0, 2_000, 1_000))  # many spikes share a sample
    units = rng.integers(0, 9, samples.size)
    sorted_split = spike_vector_module._split_time_sorted
    calls = []
    monkeypatch.setattr(
        spike_vector_module,
        "_split_time_sorted",
        lambda *args: calls.append(sorted_split(*args)) or calls[-1],
    )
    trains = vector_to_list_of_spiketrain_numpy(samples, units, 7)  # units 7, 8 left out
    assert calls[0] is not None and len(trains) == 7  # the sorted-keys path
    for train, expected in zip(trains, expected_trains(samples, units, 7), strict=True):
        assert train.dtype == np.int64 and np.array_equal(train, expected)
    assert not np.shares_memory(trains[0], samples)


def test_split_of_spikes_out_of_time_order_keeps_each_units_input_order(monkeypatch):
    monkeypatch.setattr(spike_vector_module, "_SPLIT_SLICE", 64)
    rng = np.random.default_rng(4)
    samples = rng.integers(0, 5_000, 500)  # not sorted
    units = rng.integers(0, 4, samples.size)
    trains = vector_to_list_of_spiketrain_numpy(samples, units, 4)
    for train, expected in zip(trains, expected_trains(samples, units, 4), strict=True):
        assert np.array_equal(train, expected)
    # sorted within each slice, but a slice starts before the previous one ends
    samples = np.concatenate([np.arange(100, 164), np.arange(0, 64)])
    units = np.tile([0, 1], 64)
    trains = vector_to_list_of_spiketrain_numpy(samples, units, 2)
    for train, expected in zip(trains, expected_trains(samples, units, 2), strict=True):
        assert np.array_equal(train, expected)


def test_split_of_negative_samples_or_no_spikes():
    samples, units = np.array([-5, -1, 3, 7]), np.array([1, 0, 1, 0])
    trains = vector_to_list_of_spiketrain_numpy(samples, units, 2)
    assert [t.tolist() for t in trains] == [[-1, 7], [-5, 3]]
    empty = vector_to_list_of_spiketrain_numpy(np.zeros(0, "int64"), np.zeros(0, "int64"), 3)
    assert [t.size for t in empty] == [0, 0, 0] and all(t.dtype == np.int64 for t in empty)


def test_binary_windows_of_some_megabytes_are_read_by_pread_not_a_populated_map(
    tmp_path, monkeypatch
):
    """Python holds the GIL through ``mmap.mmap`` (whose MAP_POPULATE reads the window) but
    not through ``os.preadv``: windows of a few MB (noise-level chunks, extraction chunks) are
    read with one pread (through the page cache or direct) and equal the file's frames; only far
    larger ones are mapped and populated (a map without MAP_POPULATE, which reads nothing, only
    asks the kernel which pages are cached)."""
    import mmap
    import os

    num_channels = 384
    path = tmp_path / "traces.raw"
    rng = np.random.default_rng(0)
    num_frames = (80 << 20) // (2 * num_channels)  # 80 MiB: past the pread limit
    with open(path, "wb") as file:
        file.truncate(num_frames * num_channels * 2)
    written = rng.integers(-1000, 1000, (12_000, num_channels), dtype=np.int16)
    with open(path, "r+b") as file:
        file.seek(100_000 * num_channels * 2)
        file.write(written.tobytes())
    recording = si.read_binary(path, 30_000.0, "int16", num_channels=num_channels)
    calls = {"preadv": 0, "populated map": 0}
    real_preadv, real_mmap = os.preadv, mmap.mmap

    def preadv(*args):
        calls["preadv"] += 1
        return real_preadv(*args)

    def mapped(*args, **kwargs):
        if kwargs.get("flags", 0) & mmap.MAP_POPULATE:
            calls["populated map"] += 1
        return real_mmap(*args, **kwargs)

    monkeypatch.setattr(os, "preadv", preadv)
    monkeypatch.setattr(mmap, "mmap", mapped)
    traces = recording.get_traces(start_frame=99_000, end_frame=112_000)  # 10 MB
    assert traces.nbytes > 8 << 20 and calls["preadv"] >= 1 and calls["populated map"] == 0
    np.testing.assert_array_equal(traces[1_000:13_000], written)
    assert not traces[:1_000].any()
    whole = recording.get_traces()  # 80 MiB: mapped
    assert calls["populated map"] == 1
    np.testing.assert_array_equal(whole[100_000:112_000], written)


def test_a_repeated_id_lookup_is_answered_again_and_never_stale(monkeypatch):
    """`ids_to_indices` keeps its last lookup (a reader asks for the same channels for each of
    thousands of windows): the same ids give the same positions without a new search; other
    ids, ids changed in place, a changed answer and other main ids are never served from it."""
    from core.base import BaseExtractor

    recording = si.NumpyRecording(
        [np.zeros((10, 5), dtype="int16")], 1000.0, channel_ids=[10, 20, 30, 40, 50]
    )
    searches = []
    lookup = BaseExtractor._lookup_indices

    def counted(self, ids):
        searches.append(ids.tolist())
        return lookup(self, ids)

    monkeypatch.setattr(BaseExtractor, "_lookup_indices", counted)
    ids = np.array([40, 20])
    first = recording.ids_to_indices(ids)
    again = recording.ids_to_indices(ids)
    assert first.tolist() == again.tolist() == [3, 1] and searches == [[40, 20]]
    again[0] = 99  # the caller's copy: the kept answer stays
    assert recording.ids_to_indices([40, 20]).tolist() == [3, 1] and len(searches) == 1
    ids[0] = 50  # changed in place: searched again
    assert recording.ids_to_indices(ids).tolist() == [4, 1] and len(searches) == 2
    assert recording.ids_to_indices([20, 30, 40], prefer_slice=True) == slice(1, 4)
    renamed = recording.rename_channels(["a", "b", "c", "d", "e"])
    assert renamed.ids_to_indices(["d", "b"]).tolist() == [3, 1]
    with np.testing.assert_raises(ValueError):
        recording.ids_to_indices([60])
