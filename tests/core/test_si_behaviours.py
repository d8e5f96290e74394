"""Behaviours SpikeInterface scripts rely on: frames given as floats, SpikeInterface's exceptions
and warnings for the same misuse, shared-memory attributes, what aggregation keeps."""

import warnings

import numpy as np
import pytest
from core.recording_tools import get_chunk_with_margin

import core as si
from core.errors import ExistingPathError, InvalidInputError
from core.jobs import job_kwargs as job_kwargs_module

FS = 30000.0


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=3, durations=[4.0], seed=0)


@pytest.fixture
def sorting():
    return si.NumpySorting.from_unit_dict(
        {0: np.array([10, 90000, 100000]), 1: np.array([95000])}, FS
    )


# --------------------------------------------------------------------------- integral floats
def test_recording_frame_slice_takes_integral_floats(recording):
    sliced = recording.frame_slice(start_frame=90000.0, end_frame=100000.0)
    np.testing.assert_array_equal(
        sliced.get_traces(), recording.get_traces(start_frame=90000, end_frame=100000)
    )


def test_sorting_frame_slice_takes_integral_floats(sorting):
    sliced = sorting.frame_slice(start_frame=90000.0, end_frame=100000.0)
    assert sliced.get_unit_spike_train(0).tolist() == [0]
    assert sliced.get_unit_spike_train(1).tolist() == [5000]


def test_fractional_frames_are_refused(sorting):
    # truncating 1.5 (as SpikeInterface's int() does) would silently shift the slice
    with pytest.raises(ValueError, match="whole number"):
        sorting.frame_slice(start_frame=1.5, end_frame=100000.0)


def test_frames_that_are_not_numbers_are_refused(sorting):
    with pytest.raises(TypeError, match="start_frame"):
        sorting.frame_slice(start_frame="10", end_frame=20)


def test_spike_train_bounds_take_floats(sorting):
    assert sorting.get_unit_spike_train(0, start_frame=10.0, end_frame=90000.0).tolist() == [10]


# --------------------------------------------------------------------------- SpikeInterface's exceptions
def test_property_of_the_wrong_length_is_a_value_and_assertion_error(recording):
    with pytest.raises(ValueError, match="expected 3 values"):
        recording.set_property("depth", [1.0, 2.0])
    with pytest.raises(AssertionError):
        recording.set_property("depth", [1.0, 2.0])


def test_property_of_another_type_is_refused(recording):
    recording.set_property("quality", ["good", "bad"], ids=[0, 1])
    with pytest.raises(InvalidInputError, match="dtype"):
        recording.set_property("quality", [1.5], ids=[2])


def test_missing_value_of_another_type_is_refused(recording):
    # a NaN would be stored as the string "nan"
    with pytest.raises(AssertionError, match="missing_value"):
        recording.set_property("label", ["a", "b"], ids=[0, 1], missing_value=np.nan)
    recording.set_property("label", ["a", "b"], ids=[0, 1], missing_value="none")
    assert recording.get_property("label").tolist() == ["a", "b", "none"]


def test_integer_property_needs_a_missing_value(recording):
    with pytest.raises(ValueError, match="missing_value"):
        recording.set_property("count", [5, 6], ids=[1, 2])
    recording.set_property("count", [5, 6], ids=[1, 2], missing_value=-1)
    assert recording.get_property("count").tolist() == [-1, 5, 6]


@pytest.mark.parametrize(
    "make",
    [
        lambda rec, srt: si.ChannelSliceRecording(rec, [0, 1], renamed_channel_ids=[5, 5]),
        lambda rec, srt: si.UnitsSelectionSorting(srt, [0, 1], renamed_unit_ids=["a", "a"]),
        lambda rec, srt: rec.set_property("x", [1.0, 2.0], ids=[0, 0]),
        lambda rec, srt: si.NumpySorting.from_unit_dict({}, FS).__class__(
            np.zeros(0, si.minimum_spike_dtype), FS, [1, 1]
        ),
    ],
    ids=["channel_slice", "select_units", "property_ids", "extractor_ids"],
)
def test_ids_that_are_not_unique_raise_value_and_assertion_errors(recording, sorting, make):
    with pytest.raises(InvalidInputError, match="unique"):
        make(recording, sorting)


def test_unknown_global_job_kwargs_raise_assertion_error(monkeypatch):
    monkeypatch.setattr(
        job_kwargs_module, "_global_job_kwargs", dict(job_kwargs_module._global_job_kwargs)
    )
    with pytest.raises(AssertionError, match="not_a_job_key"):
        si.set_global_job_kwargs(not_a_job_key=1)
    with pytest.raises(ValueError, match="not_a_job_key"):
        si.fix_job_kwargs({"not_a_job_key": 1})


def test_sparsity_mask_of_the_wrong_shape_is_an_assertion_error():
    with pytest.raises(AssertionError, match="shape"):
        si.ChannelSparsity(np.ones((2, 3), bool), [0, 1], [0, 1])


def test_existing_sparsity_temp_folder_is_refused_for_every_method(tmp_path):
    recording, sorting = si.generate_ground_truth_recording(durations=[1.0], num_units=2, seed=0)
    (tmp_path / "temp").mkdir()
    with pytest.raises(ExistingPathError, match="temp"):
        si.precompute_sparsity(recording, sorting, temp_folder=tmp_path / "temp", method="radius")
    assert issubclass(ExistingPathError, FileExistsError)
    assert issubclass(ExistingPathError, AssertionError)


def test_frame_slice_without_recording_ends_after_the_last_spike(sorting):
    single = sorting.select_units([1])
    with pytest.raises(AssertionError, match="default end_frame"):
        single.frame_slice(96000, None)
    assert single.frame_slice(0, None).end_frame == 95001


# --------------------------------------------------------------------------- SpikeInterface's warnings
def test_registering_a_short_recording_warns(sorting):
    short = si.NumpyRecording([np.zeros((50000, 1), "float32")], sampling_frequency=FS)
    with pytest.warns(UserWarning, match="outside the recording"):
        sorting.register_recording(short)
    assert sorting.has_recording()


def test_fix_job_kwargs_warns_until_job_kwargs_are_set(monkeypatch):
    monkeypatch.setattr(job_kwargs_module, "_global_job_kwargs_set", False)
    with pytest.warns(UserWarning, match="n_jobs"):
        si.fix_job_kwargs({})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        si.fix_job_kwargs({"n_jobs": 1})


def test_deprecated_loaders_warn(recording):
    from core.base import load_extractor_from_dict

    with pytest.warns(UserWarning, match="load_extractor"):
        loaded = load_extractor_from_dict(recording.to_dict())
    assert loaded.get_num_channels() == 3


# --------------------------------------------------------------------------- shared memory
def test_shared_memory_recording_exposes_its_blocks(recording):
    shared = si.SharedMemoryRecording.from_recording(recording, n_jobs=1)
    assert len(shared.shms) == 1
    assert shared.to_dict()["kwargs"]["shm_names"] == [shared.shms[0].name]


def test_shared_memory_sorting_exposes_its_block(sorting):
    shared = sorting.to_shared_memory_sorting()
    assert shared.shm.name == shared.to_dict()["kwargs"]["shm_name"]


# --------------------------------------------------------------------------- aggregation
def _units(n, **properties):
    sorting = si.NumpySorting.from_unit_dict({u: np.array([u + 1]) for u in range(n)}, FS)
    for key, values in properties.items():
        sorting.set_property(key, values)
    return sorting


def test_aggregate_units_drops_properties_whose_dtypes_differ():
    # as SpikeInterface: "good" (<U4) and "bad" (<U3) are different dtypes
    with pytest.warns(UserWarning, match="quality"):
        aggregated = si.aggregate_units(
            [_units(2, quality=["good", "good"]), _units(2, quality=["bad", "bad"])]
        )
    assert "quality" not in aggregated.get_property_keys()


def test_aggregate_units_fills_incomplete_float_properties():
    aggregated = si.aggregate_units([_units(2, rate=[1.0, 2.0]), _units(1)])
    np.testing.assert_array_equal(aggregated.get_property("rate"), [1.0, 2.0, np.nan])


def test_aggregate_units_drops_incomplete_integer_properties():
    with pytest.warns(UserWarning, match="count"):
        aggregated = si.aggregate_units([_units(2, count=[1, 2]), _units(1)])
    assert "count" not in aggregated.get_property_keys()


def test_aggregate_channels_keeps_only_properties_every_recording_has():
    first = si.NumpyRecording([np.zeros((10, 2))], FS)
    second = si.NumpyRecording([np.zeros((10, 1))], FS)
    first.set_property("depth", [1.0, 2.0])
    first.set_property("shared", [1.0, 2.0])
    second.set_property("shared", [3.0])
    aggregated = si.aggregate_channels([first, second])
    assert "depth" not in aggregated.get_property_keys()
    assert aggregated.get_property("shared").tolist() == [1.0, 2.0, 3.0]


# --------------------------------------------------------------------------- chunks with margins
def test_chunk_with_zeros_may_end_past_the_segment(recording):
    segment = recording._recording_segments[0]
    length = segment.get_num_samples()
    traces, left, right = get_chunk_with_margin(
        segment, length - 500, length + 500, None, 10, add_zeros=True
    )
    assert traces.shape[0] == 1020 and (left, right) == (10, 510)
    np.testing.assert_array_equal(traces[-510:], 0)
    np.testing.assert_array_equal(traces[:510], segment.get_traces(length - 510, length, None))
