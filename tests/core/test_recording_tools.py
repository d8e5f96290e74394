"""Recording tools: random chunks, noise levels, chunks with margins, distances, depth order."""

import numpy as np
import pytest

import core as si
from core.generate.noise import NoiseGeneratorRecording
from core.recording.tools import (
    get_channel_distances,
    get_chunk_with_margin,
    get_closest_channels,
    get_noise_levels,
    get_random_data_chunks,
    order_channels_by_depth,
)


def ramp_recording(num_samples=100, num_channels=2, dtype="float64"):
    """Traces whose value tells where they come from: sample * 10 + channel."""
    traces = (np.arange(num_samples)[:, None] * 10 + np.arange(num_channels)).astype(dtype)
    return si.NumpyRecording([traces], sampling_frequency=1000.0)


def noise_recording(noise_level=3.0, durations=(20.0,)):
    return NoiseGeneratorRecording(
        4,
        10000.0,
        list(durations),
        noise_level=noise_level,
        seed=0,
        strategy="on_the_fly",
        noise_block_size=10000,
    )


def located_recording(locations):
    locations = np.asarray(locations, dtype=float)
    traces = np.zeros((10, len(locations)), dtype="float32")
    recording = si.NumpyRecording([traces], sampling_frequency=1000.0)
    recording.set_channel_locations(locations)
    return recording


def segment_of(recording):
    return recording._recording_segments[0]


# ---------------------------------------------------------------------- get_random_data_chunks
def test_random_chunks_concatenated_shape():
    recording = noise_recording(durations=(2.0, 1.0))
    chunks = get_random_data_chunks(recording, num_chunks_per_segment=3, chunk_size=500)
    assert chunks.shape == (2 * 3 * 500, 4)


def test_random_chunks_list_of_chunks():
    recording = noise_recording(durations=(2.0, 1.0))
    chunks = get_random_data_chunks(
        recording, num_chunks_per_segment=3, chunk_size=500, concatenated=False
    )
    assert len(chunks) == 6
    assert all(chunk.shape == (500, 4) for chunk in chunks)


def test_random_chunks_are_deterministic_for_a_seed():
    recording = noise_recording()
    first = get_random_data_chunks(recording, chunk_size=100, seed=3)
    second = get_random_data_chunks(recording, chunk_size=100, seed=3)
    assert np.array_equal(first, second)


def test_random_chunks_differ_between_seeds():
    recording = noise_recording()
    first = get_random_data_chunks(recording, chunk_size=100, seed=3)
    second = get_random_data_chunks(recording, chunk_size=100, seed=4)
    assert not np.array_equal(first, second)


def test_random_chunks_stay_clear_of_margins():
    recording = ramp_recording(num_samples=100, num_channels=1)
    chunks = get_random_data_chunks(
        recording, num_chunks_per_segment=50, chunk_size=10, margin_frames=30, concatenated=False
    )
    starts = np.array([chunk[0, 0] / 10 for chunk in chunks])
    assert starts.min() >= 30 and starts.max() + 10 <= 100 - 30


def test_random_chunks_are_contiguous_samples():
    recording = ramp_recording()
    chunk = get_random_data_chunks(recording, num_chunks_per_segment=1, chunk_size=7)
    assert np.array_equal(np.diff(chunk[:, 0]), np.full(6, 10.0))


def test_oversized_chunk_shrinks_with_warning():
    recording = ramp_recording(num_samples=100)
    with pytest.warns(UserWarning, match="chunk_size"):
        chunks = get_random_data_chunks(
            recording, num_chunks_per_segment=2, chunk_size=500, concatenated=False
        )
    assert chunks[0].shape == (99, 2)


def test_chunk_filling_the_segment_between_margins():
    recording = ramp_recording(num_samples=100)
    chunk = get_random_data_chunks(
        recording, num_chunks_per_segment=1, chunk_size=80, margin_frames=10
    )
    assert chunk[0, 0] == 100.0 and chunk.shape == (80, 2)


def test_random_chunks_scaled_apply_gains():
    recording = ramp_recording()
    recording.set_channel_gains(2.0)
    recording.set_channel_offsets(1.0)
    raw = get_random_data_chunks(recording, chunk_size=10, seed=1)
    scaled = get_random_data_chunks(recording, chunk_size=10, seed=1, return_scaled=True)
    assert np.allclose(scaled, raw * 2.0 + 1.0)


@pytest.mark.parametrize("argument", ["num_chunks_per_segment", "chunk_size"])
def test_random_chunks_reject_non_positive_sizes(argument):
    with pytest.raises(ValueError, match=argument):
        get_random_data_chunks(ramp_recording(), **{argument: 0})


def test_random_chunks_reject_negative_margin():
    with pytest.raises(ValueError, match="margin_frames"):
        get_random_data_chunks(ramp_recording(), margin_frames=-1)


# ---------------------------------------------------------------------- get_noise_levels
@pytest.mark.parametrize("method", ["mad", "std"])
def test_noise_levels_match_generated_std(method):
    recording = noise_recording(noise_level=3.0)
    levels = get_noise_levels(recording, return_scaled=False, method=method)
    assert levels.shape == (4,)
    assert np.allclose(levels, 3.0, rtol=0.03)


def test_noise_levels_are_cached_in_a_property():
    recording = noise_recording()
    levels = get_noise_levels(recording, return_scaled=False)
    assert np.array_equal(recording.get_property("noise_level_mad_raw"), levels)


def test_cached_noise_levels_are_reused():
    recording = noise_recording()
    recording.set_property("noise_level_std_raw", np.full(4, 42.0))
    assert get_noise_levels(recording, return_scaled=False, method="std").tolist() == [42.0] * 4


def test_force_recompute_ignores_the_cache():
    recording = noise_recording(noise_level=3.0)
    recording.set_property("noise_level_std_raw", np.full(4, 42.0))
    levels = get_noise_levels(recording, return_scaled=False, method="std", force_recompute=True)
    assert np.allclose(levels, 3.0, rtol=0.03)
    assert np.array_equal(recording.get_property("noise_level_std_raw"), levels)


def test_scaled_noise_levels_use_gains():
    recording = noise_recording(noise_level=3.0)
    recording.set_channel_gains(0.5)
    recording.set_channel_offsets(0.0)
    raw = get_noise_levels(recording, return_scaled=False)
    scaled = get_noise_levels(recording)
    assert np.allclose(scaled, raw * 0.5, rtol=1e-5)
    assert "noise_level_mad_scaled" in recording.get_property_keys()


def test_scaled_noise_levels_without_gains_say_to_pass_return_scaled_false():
    with pytest.raises(ValueError, match="return_scaled=False"):
        get_noise_levels(noise_recording())


def test_noise_levels_reject_unknown_method():
    with pytest.raises(ValueError, match="method"):
        get_noise_levels(noise_recording(), return_scaled=False, method="rms")


def test_noise_levels_pass_random_chunk_arguments():
    recording = noise_recording()
    first = get_noise_levels(recording, return_scaled=False, seed=1, chunk_size=50)
    second = get_noise_levels(
        recording, return_scaled=False, seed=2, chunk_size=50, force_recompute=True
    )
    assert not np.array_equal(first, second)


# ---------------------------------------------------------------------- get_chunk_with_margin
def test_chunk_inside_gets_full_margins():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(segment_of(recording), 10, 20, None, 5)
    assert (left, right) == (5, 5)
    assert np.array_equal(traces, recording.get_traces()[5:25])


def test_margin_shrinks_at_the_start():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(segment_of(recording), 2, 20, None, 5)
    assert (left, right) == (2, 5)
    assert np.array_equal(traces, recording.get_traces()[0:25])


def test_margin_shrinks_at_the_end():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(segment_of(recording), 80, 98, None, 5)
    assert (left, right) == (5, 2)
    assert np.array_equal(traces, recording.get_traces()[75:100])


def test_none_bounds_mean_whole_segment_without_margins():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(segment_of(recording), None, None, None, 5)
    assert (left, right) == (0, 0)
    assert np.array_equal(traces, recording.get_traces())


def test_channel_indices_select_channels():
    recording = ramp_recording(num_channels=3)
    traces, _, _ = get_chunk_with_margin(segment_of(recording), 10, 20, [2, 0], 5)
    assert np.array_equal(traces, recording.get_traces()[5:25][:, [2, 0]])


def test_zero_padding_at_the_start():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(
        segment_of(recording), 2, 20, None, 5, add_zeros=True
    )
    expected = np.concatenate([np.zeros((3, 2)), recording.get_traces()[0:25]])
    assert (left, right) == (5, 5)
    assert np.array_equal(traces, expected)


def test_zero_padding_at_the_end():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(
        segment_of(recording), 90, 100, None, 5, add_zeros=True
    )
    expected = np.concatenate([recording.get_traces()[85:100], np.zeros((5, 2))])
    assert (left, right) == (5, 5)
    assert np.array_equal(traces, expected)


def test_reflect_padding_at_the_start():
    recording = ramp_recording()
    traces, left, right = get_chunk_with_margin(
        segment_of(recording), 2, 20, None, 5, add_reflect_padding=True
    )
    data = recording.get_traces()
    expected = np.concatenate([data[[3, 2, 1]], data[0:25]])
    assert (left, right) == (5, 5)
    assert np.array_equal(traces, expected)


def test_reflect_padding_at_the_end():
    recording = ramp_recording()
    traces, _, _ = get_chunk_with_margin(
        segment_of(recording), 90, 100, None, 3, add_reflect_padding=True
    )
    data = recording.get_traces()
    assert np.array_equal(traces, np.concatenate([data[87:100], data[[98, 97, 96]]]))


def test_window_on_margin_tapers_both_margins():
    recording = ramp_recording()
    traces, _, _ = get_chunk_with_margin(
        segment_of(recording), 10, 20, None, 4, add_zeros=True, window_on_margin=True
    )
    taper = (1 - np.cos(np.arange(4) / 4 * np.pi)) / 2
    expected = recording.get_traces()[6:24].copy()
    expected[:4] *= taper[:, None]
    expected[-4:] *= taper[::-1, None]
    assert np.allclose(traces, expected)


def test_window_on_margin_needs_add_zeros():
    recording = ramp_recording()
    with pytest.raises(ValueError, match="add_zeros"):
        get_chunk_with_margin(segment_of(recording), 10, 20, None, 4, window_on_margin=True)


def test_both_paddings_are_rejected():
    recording = ramp_recording()
    with pytest.raises(ValueError, match="add_reflect_padding"):
        get_chunk_with_margin(
            segment_of(recording), 10, 20, None, 4, add_zeros=True, add_reflect_padding=True
        )


@pytest.mark.parametrize("add_zeros", [False, True])
def test_dtype_casts_the_chunk(add_zeros):
    recording = ramp_recording(dtype="int16")
    traces, _, _ = get_chunk_with_margin(
        segment_of(recording), 10, 20, None, 4, add_zeros=add_zeros, dtype="float32"
    )
    assert traces.dtype == np.dtype("float32")
    assert np.array_equal(traces, recording.get_traces()[6:24].astype("float32"))


def test_negative_margin_is_rejected():
    with pytest.raises(ValueError, match="margin"):
        get_chunk_with_margin(segment_of(ramp_recording()), 10, 20, None, -1)


def test_end_frame_past_the_segment_is_rejected():
    with pytest.raises(ValueError, match="end_frame"):
        get_chunk_with_margin(segment_of(ramp_recording()), 10, 200, None, 4)


# ---------------------------------------------------------------------- distances and neighbours
SQUARE = [[0, 0], [0, 10], [20, 0], [20, 10]]


def test_channel_distances_of_a_known_layout():
    distances = get_channel_distances(located_recording(SQUARE))
    hypotenuse = np.hypot(20, 10)
    assert np.allclose(
        distances,
        [
            [0, 10, 20, hypotenuse],
            [10, 0, hypotenuse, 20],
            [20, hypotenuse, 0, 10],
            [hypotenuse, 20, 10, 0],
        ],
    )


def test_closest_channels_sorted_by_distance():
    indices, distances = get_closest_channels(located_recording(SQUARE))
    assert indices.tolist() == [[1, 2, 3], [0, 3, 2], [3, 0, 1], [2, 1, 0]]
    assert np.allclose(distances[0], [10, 20, np.hypot(20, 10)])


def test_closest_channels_limited_number():
    indices, distances = get_closest_channels(located_recording(SQUARE), num_channels=1)
    assert indices.tolist() == [[1], [0], [3], [2]]
    assert distances.shape == (4, 1)


def test_closest_channels_relative_to_channel_ids():
    indices, _ = get_closest_channels(located_recording(SQUARE), channel_ids=[3, 2, 0])
    assert indices.tolist() == [[1, 2], [0, 2], [1, 0]]


def test_closest_channels_never_list_the_channel_itself():
    indices, distances = get_closest_channels(located_recording([[0, 0], [0, 0], [0, 5]]))
    assert indices.tolist() == [[1, 2], [0, 2], [0, 1]]
    assert distances[:, 0].tolist() == [0.0, 0.0, 5.0]


def test_closest_channels_reject_too_many():
    with pytest.raises(ValueError, match="num_channels"):
        get_closest_channels(located_recording(SQUARE), num_channels=4)


# ---------------------------------------------------------------------- order_channels_by_depth
GRID = [[20, 0], [0, 10], [0, 0], [20, 10]]


def test_order_by_depth_uses_last_dimension_as_primary_key():
    order_f, _ = order_channels_by_depth(located_recording(GRID))
    assert order_f.tolist() == [2, 0, 1, 3]


def test_order_by_reversed_dimensions():
    order_f, _ = order_channels_by_depth(located_recording(GRID), dimensions=("y", "x"))
    assert order_f.tolist() == [2, 1, 0, 3]


def test_order_by_single_dimension_is_stable():
    order_f, _ = order_channels_by_depth(located_recording(GRID), dimensions="y")
    assert order_f.tolist() == [0, 2, 1, 3]


def test_order_flip_reverses():
    order_f, _ = order_channels_by_depth(located_recording(GRID), flip=True)
    assert order_f.tolist() == [3, 1, 0, 2]


@pytest.mark.parametrize("flip", [False, True])
def test_order_r_inverts_order_f(flip):
    order_f, order_r = order_channels_by_depth(located_recording(GRID), flip=flip)
    assert order_f[order_r].tolist() == [0, 1, 2, 3]
    assert order_r[order_f].tolist() == [0, 1, 2, 3]


def test_order_of_some_channels():
    order_f, _ = order_channels_by_depth(located_recording(GRID), channel_ids=[3, 0, 1])
    assert order_f.tolist() == [1, 2, 0]


def test_order_by_depth_on_a_3d_probe():
    recording = si.NumpyRecording([np.zeros((10, 3), dtype="float32")], sampling_frequency=1000.0)
    recording.set_channel_locations([[0, 0, 30], [0, 0, 10], [0, 0, 20]])
    order_f, _ = order_channels_by_depth(recording, dimensions="z")
    assert order_f.tolist() == [1, 2, 0]


@pytest.mark.parametrize("dimensions", ["w", ("x", "q"), "xy", ()])
def test_order_rejects_unknown_dimensions(dimensions):
    with pytest.raises(ValueError, match="dimensions"):
        order_channels_by_depth(located_recording(GRID), dimensions=dimensions)


def test_order_rejects_missing_z():
    with pytest.raises(ValueError, match="dimensions"):
        order_channels_by_depth(located_recording(GRID), dimensions="z")
