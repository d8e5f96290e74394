"""BaseRecording: traces, scaling, sizes, times and probes."""

import numpy as np
import probeinterface as pi
import pytest

import core as si


def make_recording(num_samples=(1000, 500), num_channels=4, dtype="int16", channel_ids=None):
    rng = np.random.default_rng(0)
    traces = [rng.integers(-1000, 1000, size=(n, num_channels)).astype(dtype) for n in num_samples]
    return si.NumpyRecording(traces, sampling_frequency=1000.0, channel_ids=channel_ids), traces


def linear_probe(num_channels=4, wiring=None):
    probe = pi.generate_linear_probe(num_elec=num_channels, ypitch=20)
    probe.set_device_channel_indices(np.arange(num_channels) if wiring is None else wiring)
    return probe


def test_sizes_and_durations():
    recording, _ = make_recording()
    assert recording.get_num_segments() == 2
    assert recording.get_num_samples(segment_index=1) == 500
    assert recording.get_total_samples() == 1500
    assert recording.get_total_duration() == 1.5
    assert recording.get_memory_size(0) == 1000 * 4 * 2


def test_multi_segment_needs_segment_index():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="segment_index"):
        recording.get_traces()


def test_segment_index_out_of_range_is_an_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="out of range"):
        recording.get_traces(segment_index=2)


def test_get_traces_window_and_channel_order():
    recording, traces = make_recording(channel_ids=["a", "b", "c", "d"])
    window = recording.get_traces(
        segment_index=0, start_frame=10, end_frame=20, channel_ids=["d", "a"]
    )
    np.testing.assert_array_equal(window, traces[0][10:20][:, [3, 0]])


def test_end_frame_past_the_end_is_clipped():
    recording, traces = make_recording()
    window = recording.get_traces(segment_index=1, start_frame=490, end_frame=10_000)
    np.testing.assert_array_equal(window, traces[1][490:])


def test_negative_start_frame_is_an_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="start_frame"):
        recording.get_traces(segment_index=0, start_frame=-5, end_frame=10)


def test_order_f_returns_fortran_array():
    recording, _ = make_recording()
    assert recording.get_traces(segment_index=0, order="F").flags.f_contiguous


def test_return_scaled_uses_gains_and_offsets_in_float32():
    recording, traces = make_recording()
    recording.set_channel_gains([0.5, 1.0, 2.0, 4.0])
    recording.set_channel_offsets(10.0)
    scaled = recording.get_traces(segment_index=0, end_frame=5, return_scaled=True)
    assert scaled.dtype == np.float32
    expected = traces[0][:5].astype("float32") * np.float32([0.5, 1, 2, 4]) + np.float32(10)
    np.testing.assert_array_equal(scaled, expected)


def test_return_scaled_without_gains_is_a_clear_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="gain_to_uV"):
        recording.get_traces(segment_index=0, return_scaled=True)


def test_cast_unsigned_centres_values():
    recording, traces = make_recording(dtype="uint16")
    cast = recording.get_traces(segment_index=0, end_frame=3, cast_unsigned=True)
    assert cast.dtype == np.int16
    np.testing.assert_array_equal(cast, (traces[0][:3].astype(int) - 32768).astype("int16"))


def test_default_times_use_t_start():
    traces = np.zeros((100, 2), dtype="float32")
    recording = si.NumpyRecording([traces], 100.0, t_starts=[5.0])
    assert recording.get_times()[0] == 5.0
    assert recording.sample_index_to_time(10) == pytest.approx(5.1)
    assert recording.time_to_sample_index(5.1) == 10


def test_set_times_replaces_time_vector():
    recording, _ = make_recording()
    times = np.arange(1000) / 1000.0 + 300
    with pytest.warns(UserWarning):
        recording.set_times(times, segment_index=0)
    assert recording.has_time_vector(0)
    assert not recording.has_time_vector(1)
    assert recording.get_times(0)[0] == 300
    assert recording.time_to_sample_index(300.5, segment_index=0) == 500


def test_set_times_wrong_length_is_an_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="500 samples"):
        recording.set_times(np.arange(10.0), segment_index=1)


def test_set_probe_orders_channels_by_wiring():
    recording, _ = make_recording()
    with_probe = recording.set_probe(linear_probe(wiring=[3, 2, 1, 0]))
    locations = with_probe.get_channel_locations()
    np.testing.assert_array_equal(locations[:, 1], [60, 40, 20, 0])
    assert with_probe.has_probe() and not recording.has_probe()


def test_set_probe_drops_unwired_channels():
    recording, _ = make_recording(channel_ids=["a", "b", "c", "d"])
    probe = linear_probe(wiring=[0, 2, -1, -1])
    with pytest.warns(UserWarning, match="not wired"):
        with_probe = recording.set_probe(probe)
    assert with_probe.channel_ids.tolist() == ["a", "c"]


def test_set_probe_wiring_beyond_channels_is_an_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="only 4 channels"):
        recording.set_probe(linear_probe(num_channels=5))


def test_set_probe_without_wiring_is_an_error():
    recording, _ = make_recording()
    probe = pi.generate_linear_probe(num_elec=4)
    with pytest.raises(ValueError, match="device_channel_indices"):
        recording.set_probe(probe)


def test_set_probe_in_place_needs_full_ordered_wiring():
    recording, _ = make_recording()
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="in_place"):
        recording.set_probe(linear_probe(wiring=[0, 1, 2, -1]), in_place=True)
    recording.set_probe(linear_probe(), in_place=True)
    assert recording.has_probe()


def test_group_mode_by_shank():
    recording, _ = make_recording(num_channels=8)
    probe = pi.generate_multi_shank(num_shank=2, num_columns=1, num_contact_per_column=4)
    probe.set_device_channel_indices(np.arange(8))
    with_probe = recording.set_probe(probe, group_mode="by_shank")
    assert with_probe.get_channel_groups().tolist() == [0] * 4 + [1] * 4
    assert len(with_probe.split_by("group")) == 2


def test_probegroup_of_two_probes_sets_groups_by_probe():
    recording, _ = make_recording(num_channels=8)
    first, second = linear_probe(), linear_probe()
    second.move([100, 0])
    second.set_device_channel_indices(np.arange(4, 8))
    group = pi.ProbeGroup()
    group.add_probe(first)
    group.add_probe(second)
    with_probes = recording.set_probegroup(group)
    assert with_probes.get_channel_groups().tolist() == [0] * 4 + [1] * 4
    assert len(with_probes.get_probegroup().probes) == 2


def test_get_probe_round_trips_contacts_and_contour():
    recording, _ = make_recording()
    probe = linear_probe(wiring=[2, 3, 0, 1])
    probe.create_auto_shape()
    with_probe = recording.set_probe(probe)
    back = with_probe.get_probe()
    assert back.get_contact_count() == 4
    assert back.probe_planar_contour is not None
    np.testing.assert_array_equal(back.device_channel_indices, [0, 1, 2, 3])


def test_probe_follows_channel_slice():
    recording, _ = make_recording(channel_ids=["a", "b", "c", "d"])
    with_probe = recording.set_probe(linear_probe())
    sliced = with_probe.channel_slice(["d", "b"])
    np.testing.assert_array_equal(sliced.get_channel_locations()[:, 1], [60, 20])
    assert sliced.get_probe().device_channel_indices.tolist() == [0, 1]


def test_set_channel_locations_refused_with_probe():
    recording, _ = make_recording()
    with_probe = recording.set_probe(linear_probe())
    with pytest.raises(ValueError, match="probe"):
        with_probe.set_channel_locations(np.zeros((4, 2)))


def test_no_locations_is_a_clear_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="no channel locations"):
        recording.get_channel_locations()


def test_dummy_probe_from_locations():
    recording, _ = make_recording()
    recording.set_dummy_probe_from_locations(np.array([[0, 0], [0, 10], [0, 20], [0, 30.0]]))
    assert recording.has_probe()
    np.testing.assert_array_equal(recording.get_channel_locations()[:, 1], [0, 10, 20, 30])


def test_split_by_missing_property_is_an_error():
    recording, _ = make_recording()
    with pytest.raises(ValueError, match="'quality'"):
        recording.split_by("quality")


def test_remove_channels_accepts_both_spellings():
    recording, _ = make_recording(channel_ids=["a", "b", "c", "d"])
    assert recording.remove_channels(["b"]).channel_ids.tolist() == ["a", "c", "d"]
    assert recording.remove_channels(channel_ids=["a"]).channel_ids.tolist() == ["b", "c", "d"]


def test_rename_channels():
    recording, traces = make_recording()
    renamed = recording.rename_channels(["w", "x", "y", "z"])
    np.testing.assert_array_equal(
        renamed.get_traces(segment_index=0, channel_ids=["y"]), traces[0][:, [2]]
    )


def test_frame_slice_keeps_absolute_time():
    traces = np.zeros((1000, 2), dtype="float32")
    recording = si.NumpyRecording([traces], 1000.0, t_starts=[10.0])
    sliced = recording.frame_slice(100, 200)
    assert sliced.get_num_samples() == 100
    assert sliced.get_times()[0] == pytest.approx(10.1)


def test_frame_slice_out_of_range_names_the_argument():
    recording = si.NumpyRecording([np.zeros((100, 2), "float32")], 1000.0)
    with pytest.raises(ValueError, match="end_frame"):
        recording.frame_slice(0, 200)


def test_numpy_recording_needs_sampling_frequency():
    with pytest.raises(TypeError, match="sampling_frequency"):
        si.NumpyRecording(traces_list=[np.zeros((10, 2))])


def test_numpy_recording_rejects_mixed_dtypes():
    with pytest.raises(ValueError, match="dtype"):
        si.NumpyRecording([np.zeros((10, 2), "int16"), np.zeros((10, 2), "float32")], 1000.0)
