"""SpikeInterface's ``generate``, ``testing``, ``zarrextractors`` and ``template`` helpers."""

import numpy as np
import pytest
import zarr
from core.zarrextractors import (
    ZarrRecordingExtractor,
    ZarrSortingExtractor,
    add_recording_to_zarr_group,
    add_sorting_to_zarr_group,
    add_traces_to_zarr,
    resolve_zarr_path,
)

import core as si
from core.generate import (
    TransformSorting,
    default_unit_params_range,
    exp_growth,
    generate_channel_locations,
    generate_single_fake_waveform,
    generate_sorting_to_inject,
    generate_templates,
    synthesize_poisson_spike_vector,
)
from core.testing import (
    check_extractor_annotations_equal,
    check_extractor_properties_equal,
    check_recordings_equal,
    check_sorted_arrays_equal,
    check_sortings_equal,
)


def _unit_dict(trains: dict, fs: float = 20000.0):
    return si.NumpySorting.from_unit_dict({k: np.array(v) for k, v in trains.items()}, fs)


# --------------------------------------------------------------------------- TransformSorting
def test_transform_sorting_adds_spikes_of_existing_and_new_units():
    sorting = TransformSorting.add_from_sorting(
        _unit_dict({0: [12]}), _unit_dict({0: [150], 3: [12, 150]})
    )
    assert sorting.unit_ids.tolist() == [0, 3]
    assert sorting.count_num_spikes_per_unit(outputs="array").tolist() == [2, 2]
    assert sorting.get_unit_spike_train(0).tolist() == [12, 150]
    assert sorting.get_added_spikes_from_existing_indices().tolist() == [2]
    assert sorting.get_added_spikes_from_new_indices().tolist() == [1, 3]
    assert sorting.get_added_units_inds().tolist() == [3]


def test_transform_sorting_renumbers_units_of_the_added_sorting():
    sorting = TransformSorting.add_from_sorting(
        _unit_dict({46: [0, 150]}), _unit_dict({0: [100, 2000], 3: [200, 4000]})
    )
    assert sorting.unit_ids.tolist() == [46, 0, 3]
    assert sorting.get_unit_spike_train(3).tolist() == [200, 4000]


def test_transform_sorting_refractory_period_drops_only_added_spikes():
    original = _unit_dict({0: [100, 1000]})
    added = original.to_spike_vector().copy()
    added["sample_index"] += [10, 500]  # 0.5 ms and 25 ms after the originals
    sorting = TransformSorting(original, added, refractory_period_ms=1.0)
    assert sorting.get_unit_spike_train(0).tolist() == [100, 1000, 1500]


def test_transform_sorting_refuses_existing_new_ids():
    with pytest.raises(ValueError, match="already exist"):
        TransformSorting(_unit_dict({0: [1]}), new_unit_ids=[0])


def test_transform_sorting_add_from_unit_dict_and_reload():
    sorting = TransformSorting.add_from_unit_dict(_unit_dict({0: [5]}), {7: np.array([1, 9])})
    reloaded = si.load_extractor(sorting.to_dict(recursive=True))
    assert reloaded.get_unit_spike_train(7).tolist() == [1, 9]


# --------------------------------------------------------------------------- other generators
def test_generate_sorting_to_inject_respects_refractory_periods():
    sorting = si.generate_sorting(num_units=4, durations=[20.0], firing_rates=5.0, seed=0)
    injected = generate_sorting_to_inject(sorting, [20 * 30000], refractory_period_ms=1.5, seed=1)
    limit = int(round(1.5 * 30))
    for unit_id in sorting.unit_ids:
        existing = sorting.get_unit_spike_train(unit_id)
        new = injected.get_unit_spike_train(unit_id)
        assert 0 < new.size <= existing.size
        assert np.all(np.diff(new) >= limit)
        assert np.abs(new[:, None] - existing[None, :]).min() >= limit


def test_synthesize_poisson_spike_vector():
    frames, units = synthesize_poisson_spike_vector(num_units=3, duration=10.0, firing_rates=5.0)
    assert np.all(np.diff(frames) >= 0) and set(units.tolist()) == {0, 1, 2}
    for unit in range(3):
        assert np.diff(frames[units == unit]).min() >= 4 * 30  # 4 ms refractory period


def test_exp_growth_starts_at_start_and_heads_for_end():
    ramp = exp_growth(0.0, 1.0, duration_ms=1.0, tau_ms=0.5, sampling_frequency=10000.0)
    curve = np.exp(np.arange(11) / 10000.0 * 1000.0 / 0.5)
    expected = (curve - curve[0]) / (curve[-1] - curve[0])
    np.testing.assert_allclose(ramp, expected[:-1])
    flipped = exp_growth(0.0, 1.0, 1.0, 0.5, 10000.0, flip=True)
    np.testing.assert_allclose(flipped, (1 - expected)[::-1][:-1])


def test_single_fake_waveform_troughs_at_nbefore():
    wf = generate_single_fake_waveform(
        sampling_frequency=30000.0, ms_before=1.0, ms_after=3.0, smooth_ms=0.0
    )
    assert wf.shape == (120,) and wf.dtype == np.float32
    # the trough (-1) plus the tail of the after-potential (0.15, 0.6 ms later, 1.1 ms wide)
    expected_trough = -1 + 0.15 * np.exp(-0.5 * (0.6 / 1.1) ** 2)
    assert np.argmin(wf) == 30 and wf[30] == pytest.approx(expected_trough, rel=1e-6)
    assert wf.max() > 0


def test_generate_channel_locations():
    np.testing.assert_array_equal(
        generate_channel_locations(4, 2, 20.0), [[0, 0], [0, 20], [20, 0], [20, 20]]
    )
    np.testing.assert_array_equal(generate_channel_locations(3, 1, 10.0)[:, 1], [0, 10, 20])
    with pytest.raises(ValueError, match="divide"):
        generate_channel_locations(5, 2, 20.0)


def test_generate_templates_accepts_spikeinterface_parameters():
    channels = generate_channel_locations(4, 1, 50.0)
    units = np.array([[0.0, 0.0, 10.0]])
    base = generate_templates(channels, units, 30000.0, 1.0, 2.0, seed=0)
    smooth = generate_templates(
        channels, units, 30000.0, 1.0, 2.0, seed=0, unit_params_range=dict(smooth_ms=(0.1, 0.1))
    )
    delayed = generate_templates(
        channels, units, 30000.0, 1.0, 2.0, seed=0, unit_params=dict(propagation_speed=100.0)
    )
    # smoothing lowers the trough; a farther channel peaks later with a propagation speed
    assert smooth[0, :, 0].min() > base[0, :, 0].min()
    assert np.argmin(delayed[0, :, 3]) > np.argmin(delayed[0, :, 0]) == np.argmin(base[0, :, 3])
    assert {"smooth_ms", "propagation_speed"} <= set(default_unit_params_range)


def test_inject_templates_recording_exposes_its_templates():
    recording, _ = si.generate_ground_truth_recording(durations=[1.0], num_units=2, seed=0)
    assert recording.templates.ndim == 3 and recording.nbefore.shape == (2,)


# --------------------------------------------------------------------------- testing checks
def test_checks_pass_on_equal_objects():
    recording = si.generate_recording(num_channels=2, durations=[0.5], seed=0)
    check_recordings_equal(recording, recording.clone(), return_scaled=False)
    sorting = si.generate_sorting(num_units=2, durations=[0.5], seed=0)
    check_sortings_equal(sorting, sorting.to_numpy_sorting())
    check_sorted_arrays_equal([3, 1, 2], np.array([1, 2, 3]))


def test_check_recordings_equal_finds_other_traces():
    first = si.NumpyRecording([np.zeros((10, 2), "float32")], sampling_frequency=1000.0)
    second = si.NumpyRecording([np.ones((10, 2), "float32")], sampling_frequency=1000.0)
    with pytest.raises(AssertionError, match="traces differ"):
        check_recordings_equal(first, second, return_scaled=False)


def test_check_sortings_equal_finds_other_spikes():
    with pytest.raises(AssertionError, match="unit 0"):
        check_sortings_equal(_unit_dict({0: [10, 100]}), _unit_dict({0: [10, 101]}))


def test_annotation_and_property_checks():
    first = si.NumpyRecording([np.zeros((10, 2))], sampling_frequency=1000.0)
    second = first.clone()
    first.annotate(area="CA1")
    with pytest.raises(AssertionError, match="annotation keys"):
        check_extractor_annotations_equal(first, second)
    first.set_property("depth", [1.0, 2.0])
    second.set_property("depth", [1.0, 3.0])
    with pytest.raises(AssertionError):
        check_extractor_properties_equal(first, second)


# --------------------------------------------------------------------------- zarr helpers
def test_resolve_zarr_path(tmp_path):
    assert resolve_zarr_path("s3://bucket/x.zarr") == ("s3://bucket/x.zarr", "s3://bucket/x.zarr")
    path, text = resolve_zarr_path(tmp_path / "x.zarr")
    assert path == tmp_path / "x.zarr" and text == str((tmp_path / "x.zarr").resolve())


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_sorting_added_to_a_sub_group_reads_back(tmp_path, zarr_format):
    sorting = si.generate_sorting(num_units=3, durations=[1.0, 0.5], seed=0)
    sorting.set_property("quality", ["good", "bad", "good"])
    root = zarr.open_group(tmp_path / "store", mode="w", zarr_format=zarr_format)
    add_sorting_to_zarr_group(sorting, root.create_group("sorting"))
    loaded = ZarrSortingExtractor(tmp_path / "store", zarr_group="sorting")
    np.testing.assert_array_equal(loaded.to_spike_vector(), sorting.to_spike_vector())
    assert loaded.get_property("quality").tolist() == ["good", "bad", "good"]
    again = si.load_extractor(loaded.to_dict())
    np.testing.assert_array_equal(again.to_spike_vector(), sorting.to_spike_vector())


def test_recording_added_to_a_group_reads_back(tmp_path):
    recording = si.generate_recording(num_channels=3, durations=[0.5, 0.25], seed=0)
    root = zarr.open_group(tmp_path / "rec.zarr", mode="w", zarr_format=2)
    add_recording_to_zarr_group(recording, root, chunk_size=1000)
    loaded = ZarrRecordingExtractor(tmp_path / "rec.zarr")
    check_recordings_equal(recording, loaded, return_scaled=False)
    np.testing.assert_array_equal(loaded.get_channel_locations(), recording.get_channel_locations())


def test_add_traces_to_zarr_names_the_arrays(tmp_path):
    recording = si.NumpyRecording([np.arange(12, dtype="int16").reshape(6, 2)], 1000.0)
    root = zarr.open_group(tmp_path / "t.zarr", mode="w", zarr_format=2)
    add_traces_to_zarr(recording, root, "my_traces", chunk_size=4)
    np.testing.assert_array_equal(root["my_traces"][:], recording.get_traces())


# --------------------------------------------------------------------------- Templates, sparsity
def test_templates_in_a_zarr_group_round_trip(tmp_path):
    templates = si.Templates(
        templates_array=np.arange(24, dtype="float32").reshape(2, 4, 3),
        sampling_frequency=30000.0,
        nbefore=1,
    )
    group = zarr.open_group(tmp_path / "store", mode="w", zarr_format=2).create_group("templates")
    templates.add_templates_to_zarr_group(group)
    assert si.Templates.from_zarr_group(group) == templates


def test_sparsify_templates_keeps_active_channels_first():
    mask = np.array([[True, False, True], [False, True, False]])
    sparsity = si.ChannelSparsity(mask, [0, 1], ["a", "b", "c"])
    dense = np.arange(12, dtype="float32").reshape(2, 2, 3)
    sparse = sparsity.sparisfy_templates(dense)
    assert sparse.shape == (2, 2, 2)
    np.testing.assert_array_equal(sparse[0], dense[0][:, [0, 2]])
    np.testing.assert_array_equal(sparse[1], np.column_stack([dense[1][:, 1], [0, 0]]))
