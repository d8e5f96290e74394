"""Templates, unit locations, InjectTemplatesRecording and generate_ground_truth_recording."""

import pickle
import tracemalloc

import numpy as np
import pytest

from core.base import BaseExtractor
from core.generate.ground_truth import generate_ground_truth_recording
from core.generate.injection import InjectTemplatesRecording, inject_templates
from core.generate.noise import NoiseGeneratorRecording
from core.generate.templates import generate_templates, generate_unit_locations
from core.recording.numpy import NumpyRecording
from core.sorting.numpy import NumpySorting

FS = 10000.0


@pytest.fixture(scope="module")
def ground_truth():
    return generate_ground_truth_recording(
        durations=[3.0], sampling_frequency=FS, num_channels=6, num_units=5, seed=42
    )


def injected_by_hand(sorting, templates, nbefore, num_samples, segment_index=0, factors=None):
    """Sum of the templates at the spikes, one spike at a time (the reference)."""
    width = templates.shape[1]
    padded = np.zeros((num_samples + 2 * width, templates.shape[2]))
    spikes = sorting.to_spike_vector(concatenated=False)[segment_index]
    for i, spike in enumerate(spikes):
        first = width + spike["sample_index"] - nbefore
        scale = 1.0 if factors is None else factors[i]
        padded[first : first + width] += scale * templates[spike["unit_index"]]
    return padded[width : width + num_samples]


def small_injection(spike_frames, num_samples=200, **kwargs):
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(2, 10, 3)).astype("float32")
    frames = np.asarray(spike_frames)
    sorting = NumpySorting.from_times_labels(
        [frames], [np.arange(frames.size) % 2], FS, unit_ids=np.array([0, 1])
    )
    recording = InjectTemplatesRecording(
        sorting, templates, nbefore=4, num_samples=num_samples, **kwargs
    )
    return recording, sorting, templates


# ---------------------------------------------------------------------- templates
def test_templates_have_units_samples_channels_shape():
    channels = np.array([[0.0, 0.0], [0.0, 20.0], [20.0, 0.0]])
    units = np.array([[0.0, 0.0, 10.0], [20.0, 0.0, 30.0]])
    templates = generate_templates(channels, units, FS, ms_before=1.0, ms_after=2.0, seed=0)
    assert templates.shape == (2, 30, 3) and templates.dtype == np.float32


def test_template_trough_is_at_nbefore_on_the_nearest_channel():
    channels = np.array([[0.0, 0.0], [0.0, 40.0], [40.0, 0.0]])
    units = np.array([[0.0, 40.0, 10.0], [40.0, 0.0, 15.0]])
    templates = generate_templates(channels, units, FS, ms_before=1.0, ms_after=2.0, seed=1)
    assert np.argmax(np.abs(templates).max(axis=1), axis=1).tolist() == [1, 2]
    assert np.argmin(templates[0, :, 1]) == 10 and np.argmin(templates[1, :, 2]) == 10
    assert templates[0, :, 1].max() > 0  # biphasic: a positive after-potential


def test_template_amplitude_decays_as_one_over_distance():
    channels = np.array([[0.0, 0.0], [0.0, 30.0], [0.0, 90.0]])
    unit = np.array([[0.0, 0.0, 20.0]])
    templates = generate_templates(channels, unit, FS, 1.0, 2.0, seed=2, dtype="float64")
    distances = np.linalg.norm(np.hstack([channels, np.zeros((3, 1))]) - unit, axis=1)
    peak = np.abs(templates[0]).max(axis=0)
    assert np.allclose(peak * distances, peak[0] * distances[0])


def test_upsampled_templates_are_sub_sample_shifts():
    channels = np.array([[0.0, 0.0]])
    unit = np.array([[0.0, 0.0, 20.0]])
    params = dict(seed=3, dtype="float64", upsample_factor=4)
    upsampled = generate_templates(channels, unit, FS, 1.0, 2.0, **params)
    assert upsampled.shape == (1, 30, 1, 4)
    plain = generate_templates(channels, unit, FS, 1.0, 2.0, seed=3, dtype="float64")
    assert np.allclose(upsampled[..., 0], plain)
    assert not np.allclose(upsampled[..., 2], plain)


def test_unknown_template_parameter_is_rejected():
    with pytest.raises(ValueError, match="unit_params"):
        generate_templates([[0.0, 0.0]], [[0.0, 0.0, 10.0]], FS, 1.0, 1.0, unit_params={"x": 1})


def test_unit_locations_respect_bounds_and_distance():
    channels = np.array([[x, y] for x in (0.0, 20.0) for y in range(0, 200, 20)])
    locations = generate_unit_locations(
        8, channels, margin_um=10.0, minimum_z=5.0, maximum_z=50.0, minimum_distance=20, seed=0
    )
    assert locations.shape == (8, 3)
    assert np.all((locations[:, 0] >= -10) & (locations[:, 0] <= 30))
    assert np.all((locations[:, 2] >= 5) & (locations[:, 2] <= 50))
    distances = np.linalg.norm(locations[:, None] - locations[None], axis=2)
    assert distances[np.triu_indices(8, k=1)].min() >= 20


def test_impossible_distance_raises_when_strict():
    with pytest.raises(ValueError, match="minimum_distance"):
        generate_unit_locations(
            30, [[0.0, 0.0]], minimum_distance=500, max_iteration=3, distance_strict=True, seed=0
        )


# ---------------------------------------------------------------------- injection
def test_injection_equals_templates_summed_by_hand():
    recording, sorting, templates = small_injection([4, 7, 50, 52, 120])
    expected = injected_by_hand(sorting, templates, 4, 200)
    assert np.allclose(recording.get_traces(), expected, atol=1e-6)


def test_every_window_equals_the_same_samples_of_the_whole_segment():
    recording, _, _ = small_injection([3, 40, 47, 120, 197])
    whole = recording.get_traces()
    for start in range(0, 200, 3):
        for length in (1, 6, 11):
            window = recording.get_traces(start_frame=start, end_frame=start + length)
            assert np.array_equal(window, whole[start : start + length])


def test_spikes_at_the_edges_add_partial_templates():
    recording, sorting, templates = small_injection([0, 2, 196, 199])
    expected = injected_by_hand(sorting, templates, 4, 200)
    assert np.allclose(recording.get_traces(), expected, atol=1e-6)
    assert np.allclose(recording.get_traces(start_frame=195, end_frame=200), expected[195:])


def test_default_nbefore_puts_each_template_peak_at_its_spike():
    templates = np.zeros((1, 10, 2), dtype="float32")
    templates[0, 6, 1] = -3.0
    sorting = NumpySorting.from_times_labels([np.array([40])], [np.array([0])], FS)
    recording = InjectTemplatesRecording(sorting, templates, num_samples=100)
    traces = recording.get_traces()
    assert traces[40, 1] == -3.0 and np.count_nonzero(traces) == 1


def test_check_borders_rejects_templates_outside_the_segment():
    with pytest.raises(ValueError, match="check_borders"):
        small_injection([2, 100], check_borders=True)


def test_amplitude_factor_scales_each_spike():
    factors = np.array([2.0, 0.5, -1.0])
    recording, sorting, templates = small_injection([20, 60, 100], amplitude_factor=factors)
    expected = injected_by_hand(sorting, templates, 4, 200, factors=factors)
    assert np.allclose(recording.get_traces(), expected, atol=1e-6)


def test_upsample_vector_picks_the_version_of_each_spike():
    versions = np.random.default_rng(1).normal(size=(1, 10, 2, 3))
    sorting = NumpySorting.from_times_labels([np.array([30, 90])], [np.array([0, 0])], FS)
    recording = inject_templates(
        sorting, versions, nbefore=4, num_samples=150, upsample_vector=np.array([2, 0])
    )
    traces = recording.get_traces()
    assert np.allclose(traces[26:36], versions[0, :, :, 2])
    assert np.allclose(traces[86:96], versions[0, :, :, 0])


def test_channel_selection_matches_columns_of_all_channels():
    recording, _, _ = small_injection([10, 80, 150])
    everything = recording.get_traces()
    assert np.array_equal(recording.get_traces(channel_ids=[2, 0]), everything[:, [2, 0]])


def test_parent_traces_are_added_and_left_untouched():
    parent_traces = np.ones((200, 3), dtype="float32")
    parent = NumpyRecording([parent_traces], sampling_frequency=FS)
    templates = np.full((1, 10, 3), 5.0, dtype="float32")
    sorting = NumpySorting.from_times_labels([np.array([50])], [np.array([0])], FS)
    recording = InjectTemplatesRecording(sorting, templates, nbefore=0, parent_recording=parent)
    assert recording.get_traces()[50:60].tolist() == [[6.0] * 3] * 10
    assert np.all(parent_traces == 1.0)


def test_injection_registers_the_spikeinterface_class_path(ground_truth):
    recording, _ = ground_truth
    assert recording.to_dict()["class"] == "spikeinterface.core.generate.InjectTemplatesRecording"


# ---------------------------------------------------------------------- ground-truth recording
def test_traces_minus_noise_are_the_templates_at_the_spikes(ground_truth):
    recording, sorting = ground_truth
    kwargs = recording.to_dict()["kwargs"]
    noise = kwargs["parent_recording"]
    assert isinstance(noise, NoiseGeneratorRecording)
    expected = injected_by_hand(
        sorting, kwargs["templates"], kwargs["nbefore"][0], recording.get_num_samples()
    )
    start, end = 4000, 16000
    signal = recording.get_traces(start_frame=start, end_frame=end) - noise.get_traces(
        start_frame=start, end_frame=end
    )
    assert np.allclose(signal, expected[start:end], atol=1e-3)


def test_windows_split_arbitrarily_give_the_same_traces(ground_truth):
    recording, _ = ground_truth
    whole = recording.get_traces(start_frame=1000, end_frame=12000)
    cuts = np.sort(np.random.default_rng(7).integers(1001, 12000, size=12))
    edges = [1000, *cuts.tolist(), 12000]
    pieces = [recording.get_traces(start_frame=a, end_frame=b) for a, b in zip(edges, edges[1:])]
    assert np.array_equal(np.concatenate(pieces), whole)


def test_long_recording_is_lazy_and_reads_one_window():
    tracemalloc.start()
    recording, _ = generate_ground_truth_recording(durations=[3600.0], num_channels=64, seed=0)
    fs = recording.sampling_frequency
    traces = recording.get_traces(start_frame=int(1800 * fs), end_frame=int(1801 * fs))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert traces.shape == (int(fs), 64)
    assert peak < 0.01 * recording.get_total_memory_size()  # one hour is 0.9 GB of float32


def test_pickle_and_dict_copies_give_identical_traces(ground_truth):
    recording, _ = ground_truth
    window = dict(start_frame=2000, end_frame=9000)
    reference = recording.get_traces(**window)
    pickled = pickle.loads(pickle.dumps(recording))
    rebuilt = BaseExtractor.from_dict(recording.to_dict())
    assert np.array_equal(pickled.get_traces(**window), reference)
    assert np.array_equal(rebuilt.get_traces(**window), reference)


def test_unseeded_recording_is_reproduced_by_its_pickle():
    recording, _ = generate_ground_truth_recording(durations=[1.0], sampling_frequency=FS)
    copy = pickle.loads(pickle.dumps(recording))
    assert np.array_equal(copy.get_traces(), recording.get_traces())


def test_same_seed_gives_the_same_recording():
    params = dict(durations=[1.0], sampling_frequency=FS, num_units=3)
    first, _ = generate_ground_truth_recording(seed=5, **params)
    second, _ = generate_ground_truth_recording(seed=5, **params)
    other, _ = generate_ground_truth_recording(seed=6, **params)
    assert np.array_equal(first.get_traces(), second.get_traces())
    assert not np.array_equal(first.get_traces(), other.get_traces())


def test_recording_is_filtered_with_unit_gains_and_zero_offsets(ground_truth):
    recording, _ = ground_truth
    assert recording.is_filtered()
    assert recording.get_channel_gains().tolist() == [1.0] * 6
    assert recording.get_channel_offsets().tolist() == [0.0] * 6
    assert recording.get_dtype() == np.float32


def test_probe_is_a_two_column_probe_with_one_contact_per_channel(ground_truth):
    recording, _ = ground_truth
    probe = recording.get_probe()
    assert probe.get_contact_count() == 6
    assert np.unique(recording.get_channel_locations()[:, 0]).tolist() == [0.0, 20.0]


def test_sorting_holds_the_unit_locations(ground_truth):
    recording, sorting = ground_truth
    locations = sorting.get_property("gt_unit_locations")
    assert locations.shape == (5, 3)
    assert np.all((locations[:, 2] >= 5) & (locations[:, 2] <= 50))
    assert sorting.get_num_segments() == recording.get_num_segments() == 1


def test_upsampled_ground_truth_uses_one_version_per_spike():
    recording, sorting = generate_ground_truth_recording(
        durations=[1.0], sampling_frequency=FS, num_units=3, upsample_factor=3, seed=9
    )
    kwargs = recording.to_dict()["kwargs"]
    assert kwargs["templates"].shape[3] == 3
    assert kwargs["upsample_vector"].shape == (sorting.count_total_num_spikes(),)
