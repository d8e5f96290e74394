"""BaseExtractor: ids, properties, annotations, dictionaries and safe loading."""

import json
import pickle

import numpy as np
import pytest

import core as si
from core.base import BaseExtractor


def make_recording(num_channels=4, channel_ids=None):
    traces = np.arange(100 * num_channels, dtype="int16").reshape(100, num_channels)
    return si.NumpyRecording([traces], sampling_frequency=1000.0, channel_ids=channel_ids)


def test_ids_to_indices_keeps_requested_order():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    assert recording.ids_to_indices(["c", "a"]).tolist() == [2, 0]


def test_ids_to_indices_prefers_slice_for_consecutive_ids():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    assert recording.ids_to_indices(["b", "c"], prefer_slice=True) == slice(1, 3)


def test_unknown_id_names_the_id():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="'z'"):
        recording.ids_to_indices(["a", "z"])


def test_ids_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        make_recording(channel_ids=["a", "a", "b", "c"])


def test_float_ids_are_rejected():
    with pytest.raises(TypeError, match="integers or strings"):
        make_recording(channel_ids=[0.5, 1.5, 2.5, 3.5])


def test_partial_property_fills_floats_with_nan():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    recording.set_property("snr", [5.0, 6.0], ids=["d", "b"])
    values = recording.get_property("snr")
    assert np.isnan(values[0]) and np.isnan(values[2])
    assert values[[1, 3]].tolist() == [6.0, 5.0]


def test_partial_property_fills_strings_with_empty():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    recording.set_property("quality", ["good"], ids=["c"])
    assert recording.get_property("quality").tolist() == ["", "", "good", ""]


def test_partial_int_property_needs_missing_value():
    recording = make_recording()
    with pytest.raises(ValueError, match="missing_value"):
        recording.set_property("depth", np.array([1, 2]), ids=[0, 1])
    recording.set_property("depth", np.array([1, 2]), ids=[0, 1], missing_value=-1)
    assert recording.get_property("depth").tolist() == [1, 2, -1, -1]


def test_property_with_all_ids_in_other_order_is_reordered():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    recording.set_property("rank", np.array([3, 2, 1, 0]), ids=["d", "c", "b", "a"])
    assert recording.get_property("rank").tolist() == [0, 1, 2, 3]


def test_property_of_wrong_length_is_an_error():
    recording = make_recording()
    with pytest.raises(ValueError, match="expected 4 values"):
        recording.set_property("quality", ["good"] * 3)


def test_set_property_none_deletes():
    recording = make_recording()
    recording.set_property("quality", ["good"] * 4)
    recording.set_property("quality", None)
    assert "quality" not in recording.get_property_keys()


def test_set_annotation_refuses_to_overwrite():
    recording = make_recording()
    recording.set_annotation("date", "today")
    with pytest.raises(ValueError, match="date"):
        recording.set_annotation("date", "tomorrow")
    recording.set_annotation("date", "tomorrow", overwrite=True)
    assert recording.get_annotation("date") == "tomorrow"


def test_get_annotation_returns_a_copy():
    recording = make_recording()
    recording.annotate(info={"a": [1]})
    recording.get_annotation("info")["a"].append(2)
    assert recording.get_annotation("info") == {"a": [1]}


def test_copy_metadata_slices_properties_to_ids():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    recording.set_property("quality", ["q0", "q1", "q2", "q3"])
    recording.annotate(experimenter="me")
    other = make_recording(num_channels=2, channel_ids=["x", "y"])
    recording.copy_metadata(other, ids=["d", "b"])
    assert other.get_property("quality").tolist() == ["q3", "q1"]
    assert other.get_annotation("experimenter") == "me"


def test_copy_metadata_only_main_copies_main_properties():
    recording = make_recording()
    recording.set_channel_groups([0, 0, 1, 1])
    recording.set_property("quality", ["good"] * 4)
    other = make_recording()
    recording.copy_metadata(other, only_main=True)
    assert other.get_channel_groups().tolist() == [0, 0, 1, 1]
    assert other.get_property("quality") is None


def test_to_dict_names_spikeinterface_class(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.zeros((10, 2), "int16").tobytes())
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2)
    description = recording.to_dict()
    assert (
        description["class"]
        == "spikeinterface.core.binaryrecordingextractor.BinaryRecordingExtractor"
    )
    assert description["module"] == "spikeinterface"
    assert set(description["properties"]) == {"group", "location", "gain_to_uV", "offset_to_uV"}


def test_to_dict_relative_paths_round_trip_after_moving(tmp_path):
    data_folder = tmp_path / "session"
    data_folder.mkdir()
    (data_folder / "data.raw").write_bytes(np.arange(20, dtype="int16").tobytes())
    recording = si.read_binary(data_folder / "data.raw", 1000.0, "int16", num_channels=2)
    description = recording.to_dict(relative_to=data_folder, recursive=True)
    assert description["relative_paths"] is True
    assert description["kwargs"]["file_paths"] == ["data.raw"]
    moved = tmp_path / "moved"
    data_folder.rename(moved)
    loaded = si.load_extractor(description, base_folder=moved)
    assert loaded.get_traces().ravel().tolist() == list(range(20))


def test_relative_to_needs_recursive(tmp_path):
    recording = make_recording()
    with pytest.raises(ValueError, match="recursive"):
        recording.to_dict(relative_to=tmp_path)


def test_to_dict_does_not_mutate_the_object(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.zeros((10, 2), "int16").tobytes())
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2)
    before = json.dumps(recording.to_dict(), default=str)
    recording.to_dict(
        include_annotations=True, include_properties=True, relative_to=tmp_path, recursive=True
    )
    assert json.dumps(recording.to_dict(), default=str) == before


def test_clone_keeps_all_properties_and_annotations():
    recording = make_recording(channel_ids=["a", "b", "c", "d"])
    recording.set_property("quality", ["good", "bad", "good", "good"])
    recording.annotate(session="s1")
    clone = recording.clone()
    assert clone is not recording
    assert clone.channel_ids.tolist() == ["a", "b", "c", "d"]
    assert clone.get_property("quality").tolist() == ["good", "bad", "good", "good"]
    assert clone.get_annotation("session") == "s1"


def test_pickle_keeps_non_main_metadata(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.zeros((10, 2), "int16").tobytes())
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2)
    recording.set_property("quality", ["good", "bad"])
    recording.annotate(session="s1")
    restored = pickle.loads(pickle.dumps(recording))
    assert restored.get_property("quality").tolist() == ["good", "bad"]
    assert restored.get_annotation("session") == "s1"


def test_serializability_of_numpy_recording():
    recording = make_recording()
    assert recording.check_if_memory_serializable()
    assert not recording.check_if_json_serializable()
    view = recording.channel_slice([0, 1])
    assert not view.check_if_json_serializable()


def test_dump_to_json_and_load(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.arange(20, dtype="int16").tobytes())
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2)
    recording.annotate(session="s1")
    recording.dump(tmp_path / "rec.json")
    loaded = si.load_extractor(tmp_path / "rec.json")
    assert loaded.get_annotation("session") == "s1"
    assert loaded.get_traces().ravel().tolist() == list(range(20))


def test_loading_unknown_class_never_imports_it(tmp_path):
    description = {
        "class": "os.system",
        "module": "os",
        "kwargs": {"command": "echo hacked"},
        "version": "0.100.0",
        "annotations": {},
        "properties": {},
        "relative_paths": False,
    }
    with pytest.raises(ValueError, match="unknown extractor class 'os.system'"):
        BaseExtractor.from_dict(description)


def test_pickle_file_needs_allow_pickle(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.zeros((10, 2), "int16").tobytes())
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2)
    recording.dump(tmp_path / "rec.pkl")
    with pytest.raises(ValueError, match="allow_pickle=True"):
        si.load_extractor(tmp_path / "rec.pkl")
    assert si.load_extractor(tmp_path / "rec.pkl", allow_pickle=True).get_num_channels() == 2


def test_load_missing_path_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here"):
        si.load_extractor(tmp_path / "nothing_here")


def test_load_folder_without_description_says_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match="si_folder.json"):
        si.load_extractor(tmp_path)


def test_invalid_json_names_the_file(tmp_path):
    (tmp_path / "si_folder.json").write_text("{not json")
    with pytest.raises(ValueError, match="si_folder.json"):
        si.load_extractor(tmp_path)


def test_object_property_file_is_skipped_without_allow_pickle(tmp_path):
    recording = make_recording()
    saved = recording.save(folder=tmp_path / "rec", progress_bar=False)
    np.save(
        tmp_path / "rec" / "properties" / "meta.npy",
        np.array([{"a": 1}] * 4, dtype=object),
        allow_pickle=True,
    )
    with pytest.warns(UserWarning, match="'meta'"):
        loaded = si.load_extractor(tmp_path / "rec")
    assert loaded.get_property("meta") is None
    assert saved.get_num_channels() == 4
