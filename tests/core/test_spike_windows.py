"""read_spike_windows and sample_unit_spikes: windows equal the traces, padded only past the ends."""

import numpy as np
import pytest

import core as si
from core.waveforms.spike_windows import (
    read_spike_windows,
    sample_unit_spikes,
    spike_position_dtype,
)


@pytest.fixture
def recording():
    traces = [
        np.arange(200 * 3, dtype="int16").reshape(200, 3),
        -np.arange(90 * 3, dtype="int16").reshape(90, 3),
    ]
    return si.NumpyRecording(traces, sampling_frequency=1000.0)


def positions(*pairs):
    spikes = np.zeros(len(pairs), dtype=spike_position_dtype)
    spikes["sample_index"], spikes["segment_index"] = zip(*pairs) if pairs else ((), ())
    return spikes


def test_windows_inside_the_segment_equal_the_traces(recording):
    spikes = positions((50, 0), (52, 0), (150, 0), (40, 1))
    windows = read_spike_windows(recording, spikes, nbefore=3, nafter=5)
    for window, (sample, segment) in zip(windows, spikes.tolist()):
        expected = recording.get_traces(
            segment_index=segment, start_frame=sample - 3, end_frame=sample + 5
        )
        np.testing.assert_array_equal(window, expected)


def test_windows_keep_the_order_of_the_spikes(recording):
    spikes = positions((150, 0), (40, 1), (50, 0))
    windows = read_spike_windows(recording, spikes, nbefore=2, nafter=2)
    assert (
        windows[0, 2, 0]
        == recording.get_traces(segment_index=0, start_frame=150, end_frame=151)[0, 0]
    )
    assert (
        windows[1, 2, 0]
        == recording.get_traces(segment_index=1, start_frame=40, end_frame=41)[0, 0]
    )


def test_windows_past_the_ends_repeat_the_edge_samples_never_zeros(recording):
    windows = read_spike_windows(recording, positions((1, 0), (198, 0)), nbefore=3, nafter=4)
    traces = recording.get_traces(segment_index=0)
    np.testing.assert_array_equal(windows[0, :2], traces[[0, 0]])
    np.testing.assert_array_equal(windows[0, 2:], traces[0:5])
    np.testing.assert_array_equal(windows[1, :5], traces[195:200])
    np.testing.assert_array_equal(windows[1, 5:], traces[[199, 199]])


def test_chosen_channels_in_their_order_and_scaled(recording):
    recording.set_channel_gains(2.0)
    recording.set_channel_offsets(1.0)
    windows = read_spike_windows(
        recording, positions((10, 0)), 1, 1, channel_ids=[2, 0], return_scaled=True
    )
    traces = recording.get_traces(segment_index=0, start_frame=9, end_frame=11, channel_ids=[2, 0])
    assert windows.dtype == np.float32
    np.testing.assert_allclose(windows[0], traces * 2.0 + 1.0)


def test_bad_window_is_refused(recording):
    with pytest.raises(ValueError, match="nafter"):
        read_spike_windows(recording, positions((10, 0)), 2, 0)


def test_sampling_draws_at_most_the_number_asked_in_time_order():
    trains = {0: np.arange(0, 1000, 10), 1: np.array([5])}
    sorting = si.NumpySorting.from_unit_dict(
        [trains, {0: np.array([3, 7]), 1: np.array([], "int64")}], 1000.0
    )
    drawn = sample_unit_spikes(sorting, 0, max_spikes=20, seed=1)
    assert drawn.size == 20
    keys = drawn["segment_index"] * 10_000 + drawn["sample_index"]
    assert np.all(np.diff(keys) > 0)
    assert np.array_equal(drawn, sample_unit_spikes(sorting, 0, max_spikes=20, seed=1))
    assert sample_unit_spikes(sorting, 1, max_spikes=20).tolist() == [(5, 0)]


def test_sampling_leaves_out_spikes_within_the_margin_of_the_ends():
    sorting = si.NumpySorting.from_unit_dict({0: np.array([1, 50, 98])}, 1000.0)
    drawn = sample_unit_spikes(sorting, 0, 10, num_samples=[100], margin=5)
    assert drawn["sample_index"].tolist() == [50]


def test_sampling_refuses_a_negative_count():
    sorting = si.NumpySorting.from_unit_dict({0: np.array([1])}, 1000.0)
    with pytest.raises(ValueError, match="max_spikes"):
        sample_unit_spikes(sorting, 0, -1)


def test_many_windows_over_segments_equal_the_clipped_traces(recording, monkeypatch):
    """Random spikes (duplicates, both ends of both segments, any order), a channel subset
    and scaled values: each window is its rows of the segment, clipped at the ends; spikes
    starting within 4 windows of a read's first spike share its read."""
    recording.set_channel_gains([0.5, 2.0, 1.0])
    recording.set_channel_offsets([1.0, 0.0, -3.0])
    rng = np.random.default_rng(5)
    segment = rng.integers(0, 2, 300)
    sample = (rng.random(300) * np.where(segment == 0, 200, 90)).astype(int)
    sample[:4], segment[:4] = [0, 199, 0, 89], [0, 0, 1, 1]
    spikes = positions(*zip(sample.tolist(), segment.tolist()))
    reads = []
    get_traces = type(recording).get_traces

    def counted(self, *args, **kwargs):
        reads.append((kwargs["segment_index"], kwargs["start_frame"]))
        return get_traces(self, *args, **kwargs)

    monkeypatch.setattr(type(recording), "get_traces", counted)
    windows = read_spike_windows(
        recording, spikes, nbefore=4, nafter=6, channel_ids=[2, 0], return_scaled=True
    )
    monkeypatch.undo()
    assert windows.shape == (300, 10, 2) and windows.dtype == np.float32
    for index, (s, seg) in enumerate(spikes.tolist()):
        full = recording.get_traces(segment_index=seg, channel_ids=[2, 0], return_scaled=True)
        rows = np.clip(np.arange(s - 4, s + 6), 0, full.shape[0] - 1)
        np.testing.assert_array_equal(windows[index], full[rows])
    expected_reads = []
    for seg in (0, 1):
        starts = np.sort(sample[segment == seg])
        i = 0
        while i < starts.size:
            expected_reads.append((seg, max(int(starts[i]) - 4, 0)))
            i = int(np.searchsorted(starts, starts[i] + 40, side="right"))
    assert reads == expected_reads
