"""Objects SpikeDesk builds are described in JSON and rebuild identically (issue 16 §5).

Generators are seeded and deterministic; views and aggregations of JSON-describable objects are
JSON-describable. Each case dumps the object to a JSON file in ``tmp_path``, loads it back and
compares the data; a waveform folder made from `generate_ground_truth_recording` reopens with
its recording and without any pickle.
"""

import json

import numpy as np
import pytest

import core as si
from core.generate.generated_sorting import GeneratedSorting


def ground_truth(durations=(1.0,), num_channels=4):
    return si.generate_ground_truth_recording(
        durations=list(durations), num_channels=num_channels, num_units=3, seed=0
    )


def noise(num_channels=2, seed=1):
    return si.generate_recording(
        num_channels=num_channels, durations=[1.0], set_probe=False, seed=seed
    )


def generated_sorting():
    return si.generate_sorting(num_units=4, durations=[1.0, 0.5], seed=3)


RECORDINGS = {
    "generate_recording": lambda: noise(),
    "generate_recording_by_size": lambda: si.generate_recording_by_size(1e-4, 4, seed=1),
    "NoiseGeneratorRecording on the fly": lambda: si.NoiseGeneratorRecording(
        num_channels=2, sampling_frequency=30000.0, durations=[1.0], seed=5, strategy="on_the_fly"
    ),
    "generate_ground_truth_recording": lambda: ground_truth(durations=(1.0, 0.5))[0],
    "ground truth with upsampled templates": lambda: si.generate_ground_truth_recording(
        durations=[0.5], num_units=2, upsample_factor=3, seed=2
    )[0],
    "inject_templates without parent": lambda: si.inject_templates(
        si.generate_sorting(num_units=2, durations=[0.5], seed=3),
        np.ones((2, 20, 3), dtype="float32"),
        nbefore=5,
        num_samples=[15000],
    ),
    "channel_slice": lambda: ground_truth()[0].channel_slice([1, 3]),
    "remove_channels": lambda: ground_truth()[0].remove_channels([0]),
    "frame_slice": lambda: ground_truth()[0].frame_slice(10, 1000),
    "select_segments": lambda: ground_truth(durations=(0.5, 0.4))[0].select_segments([1]),
    "astype": lambda: ground_truth()[0].astype("float64"),
    "aggregate_channels": lambda: si.aggregate_channels([noise(2, 1), noise(3, 2)]),
    "concatenate_recordings": lambda: si.concatenate_recordings([noise(), noise()]),
    "append_recordings": lambda: si.append_recordings([noise(), noise()]),
}

SORTINGS = {
    "generate_sorting": generated_sorting,
    "ground truth sorting": lambda: ground_truth()[1],
    "inject_some_duplicate_units": lambda: si.inject_some_duplicate_units(
        generated_sorting(), num=2, seed=6
    ),
    "inject_some_split_units": lambda: si.inject_some_split_units(
        generated_sorting(), split_ids=[1], seed=7
    ),
    "add_synchrony_to_sorting": lambda: si.add_synchrony_to_sorting(generated_sorting(), seed=8),
    "select_units": lambda: generated_sorting().select_units([0, 2]),
    "rename_units": lambda: generated_sorting().rename_units([10, 11, 12, 13]),
    "frame_slice": lambda: si.generate_sorting(num_units=2, durations=[1.0], seed=3).frame_slice(
        0, 1000
    ),
    "aggregate_units": lambda: si.aggregate_units([generated_sorting(), generated_sorting()]),
    "append_sortings": lambda: si.append_sortings([generated_sorting(), generated_sorting()]),
}


def json_round_trip(extractor, tmp_path):
    assert extractor.check_if_json_serializable()
    extractor.dump_to_json(tmp_path / "description.json")
    return si.load_extractor(tmp_path / "description.json")


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_recording_built_by_spikedesk_rebuilds_from_json(name, tmp_path):
    recording = RECORDINGS[name]()
    loaded = json_round_trip(recording, tmp_path)
    assert loaded.get_dtype() == recording.get_dtype()
    for segment_index in range(recording.get_num_segments()):
        np.testing.assert_array_equal(
            loaded.get_traces(segment_index=segment_index),
            recording.get_traces(segment_index=segment_index),
        )


@pytest.mark.parametrize("name", list(SORTINGS))
def test_sorting_built_by_spikedesk_rebuilds_from_json(name, tmp_path):
    sorting = SORTINGS[name]()
    loaded = json_round_trip(sorting, tmp_path)
    np.testing.assert_array_equal(loaded.unit_ids, sorting.unit_ids)
    np.testing.assert_array_equal(loaded.to_spike_vector(), sorting.to_spike_vector())


def test_generated_sorting_without_seed_stores_the_seed_it_drew(tmp_path):
    sorting = si.generate_sorting(num_units=3, durations=[1.0])
    loaded = json_round_trip(sorting, tmp_path)
    np.testing.assert_array_equal(loaded.to_spike_vector(), sorting.to_spike_vector())


def test_ground_truth_sorting_keeps_its_unit_locations_in_json(tmp_path):
    sorting = ground_truth()[1]
    loaded = json_round_trip(sorting, tmp_path)
    np.testing.assert_array_equal(
        loaded.get_property("gt_unit_locations"), sorting.get_property("gt_unit_locations")
    )


def test_a_sorting_made_from_user_arrays_is_not_described_in_json():
    parent = si.NumpySorting.from_unit_dict({0: np.array([10, 20]), 1: np.array([15])}, 30000.0)
    assert not si.add_synchrony_to_sorting(parent, seed=1).check_if_json_serializable()


def test_description_names_only_registered_generators():
    with pytest.raises(ValueError, match="not one of SpikeDesk's sorting generators"):
        GeneratedSorting("os.system", {"command": "true"})


def test_waveform_folder_of_ground_truth_reopens_with_its_recording(tmp_path):
    recording, sorting = ground_truth(durations=(2.0,))
    we = si.extract_waveforms(recording, sorting, folder=tmp_path / "waveforms", sparse=False)
    assert (tmp_path / "waveforms" / "recording.json").is_file()
    assert not list((tmp_path / "waveforms").glob("*.pickle"))
    # the sorting is saved in the folder, in a layout SpikeInterface reads too
    sorting_json = json.loads((tmp_path / "waveforms" / "sorting.json").read_text())
    assert sorting_json["class"] == "spikeinterface.core.sortingfolder.NumpyFolderSorting"
    loaded = si.load_waveforms(folder=tmp_path / "waveforms")
    assert loaded.has_recording()
    np.testing.assert_array_equal(loaded.recording.get_traces(), recording.get_traces())
    np.testing.assert_array_equal(loaded.sorting.to_spike_vector(), sorting.to_spike_vector())
    np.testing.assert_array_equal(
        loaded.get_template(sorting.unit_ids[0]), we.get_template(sorting.unit_ids[0])
    )


@pytest.fixture(scope="module")
def tetrodes():
    """Two tetrodes, groups set on the channels only (the sorting has no "group")."""
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0], num_channels=8, num_units=4, seed=11
    )
    recording.set_property("group", np.array([0, 0, 0, 0, 1, 1, 1, 1]))
    return recording, sorting


def test_sparsity_by_group_takes_each_unit_group_from_its_extremum_channel(tetrodes):
    recording, sorting = tetrodes
    we = si.extract_waveforms(recording, sorting, mode="memory", sparse=False)
    sparsity = si.compute_sparsity(we, method="by_property", by_property="group")
    extremum = si.get_template_extremum_channel(we, outputs="index")
    groups = recording.get_channel_groups()
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        expected = groups == groups[extremum[unit_id]]
        np.testing.assert_array_equal(sparsity.mask[unit_index], expected)


def test_extract_waveforms_sparse_by_group_with_groups_on_channels_only(tetrodes):
    recording, sorting = tetrodes
    we = si.extract_waveforms(
        recording, sorting, mode="memory", method="by_property", by_property="group"
    )
    assert all(we.sparsity.mask.sum(axis=1) == 4)
