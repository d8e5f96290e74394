"""snippets_from_sorting and generate_snippets."""

import numpy as np
import pytest

import core as si


def make_pair(frames_per_segment):
    rng = np.random.default_rng(0)
    traces = [rng.integers(-100, 100, size=(1000, 3)).astype("int16") for _ in frames_per_segment]
    recording = si.NumpyRecording(traces, 1000.0)
    recording.set_channel_gains([0.5, 1.0, 2.0])
    recording.set_channel_offsets(0.0)
    times = [np.asarray(f) for f in frames_per_segment]
    labels = [np.zeros(len(f), dtype=int) for f in frames_per_segment]
    sorting = si.NumpySorting.from_times_labels(times, labels, 1000.0)
    return recording, sorting, traces


def test_one_snippet_per_spike_cut_at_its_frame():
    recording, sorting, traces = make_pair([[100, 500, 900]])
    snippets = si.snippets_from_sorting(recording, sorting, nbefore=5, nafter=10)
    assert snippets.get_num_snippets() == 3
    assert snippets.get_frames().tolist() == [100, 500, 900]
    np.testing.assert_array_equal(snippets.get_snippets()[1], traces[0][495:510])


def test_spikes_at_segment_edges_are_zero_padded():
    recording, sorting, traces = make_pair([[2, 997]])
    cut = si.snippets_from_sorting(recording, sorting, nbefore=5, nafter=10).get_snippets()
    np.testing.assert_array_equal(cut[0][:3], 0)
    np.testing.assert_array_equal(cut[0][3:], traces[0][:12])
    np.testing.assert_array_equal(cut[1][:8], traces[0][992:])
    np.testing.assert_array_equal(cut[1][8:], 0)


def test_multi_segment_and_gains_copied():
    recording, sorting, traces = make_pair([[100], [200, 300]])
    snippets = si.snippets_from_sorting(recording, sorting, nbefore=2, nafter=3)
    assert snippets.get_num_segments() == 2
    assert snippets.get_num_snippets(segment_index=1) == 2
    np.testing.assert_array_equal(snippets.get_property("gain_to_uV"), [0.5, 1.0, 2.0])
    np.testing.assert_array_equal(snippets.get_snippets(segment_index=1)[1], traces[1][298:303])


def test_the_sorting_is_left_unchanged():
    recording, sorting, _ = make_pair([[100, 200]])
    before = sorting.to_spike_vector().copy()
    si.snippets_from_sorting(recording, sorting)
    np.testing.assert_array_equal(sorting.to_spike_vector(), before)


def test_spikes_past_the_recording_are_an_error():
    recording, _, _ = make_pair([[100]])
    sorting = si.NumpySorting.from_times_labels([np.array([5000])], [np.array([0])], 1000.0)
    with pytest.raises(ValueError, match="past the recording"):
        si.snippets_from_sorting(recording, sorting)


def test_generate_snippets_as_in_the_user_documentation():
    snippets = si.generate_snippets(
        nbefore=20,
        nafter=40,
        num_channels=2,
        sampling_frequency=30000.0,
        durations=[10.325, 3.5],
        set_probe=True,
        num_units=5,
    )
    assert snippets.snippet_len == 60 and snippets.nbefore == 20
    assert snippets.get_num_channels() == 2
    assert snippets.get_total_snippets() == snippets.sorting.count_total_num_spikes()
    snippets_only, sorting = snippets
    assert isinstance(snippets_only, si.NumpySnippets)
    assert sorting.get_num_units() == 5
    assert snippets_only.has_probe()
