"""Bad input gets a clear error naming the argument or file (issue 16 §2).

Every test gives one mistake a user can make and checks the exception type and that the
message names what is wrong; files are real files in ``tmp_path``.
"""

import numpy as np
import pytest

import core as si
from core.recording.mapped_file import MappedRawFile

FS = 30000.0
NUM_CHANNELS = 4


def write_raw(path, num_samples=1000, num_channels=NUM_CHANNELS):
    traces = np.arange(num_samples * num_channels, dtype="int16").reshape(-1, num_channels)
    traces.tofile(path)
    return traces


def open_raw(path, **kwargs):
    options = {"sampling_frequency": FS, "dtype": "int16", "num_channels": NUM_CHANNELS}
    options.update(kwargs)
    return si.read_binary(path, **options)


@pytest.fixture
def raw(tmp_path):
    write_raw(tmp_path / "data.raw")
    return open_raw(tmp_path / "data.raw")


def sorting_at(rate, trains=None):
    return si.NumpySorting.from_unit_dict(trains or {0: np.array([100, 500])}, rate)


# --------------------------------------------------------------------------- binary files
def test_raw_file_not_a_whole_number_of_frames_names_the_file(tmp_path):
    (tmp_path / "odd.raw").write_bytes(b"\x00" * (NUM_CHANNELS * 2 * 10 + 3))
    with pytest.raises(ValueError, match=r"odd\.raw.*3 bytes left over"):
        open_raw(tmp_path / "odd.raw")


def test_binary_folder_with_a_partial_frame_names_the_file(tmp_path):
    write_raw(tmp_path / "data.raw")
    open_raw(tmp_path / "data.raw").save(folder=tmp_path / "saved", verbose=False)
    with open(tmp_path / "saved" / "traces_cached_seg0.raw", "ab") as file:
        file.write(b"\x00")
    with pytest.raises(ValueError, match=r"traces_cached_seg0\.raw.*not a whole number"):
        si.load_extractor(tmp_path / "saved")


@pytest.mark.parametrize("dtype", ["U4", object, "bool", "complex64"])
def test_non_numeric_dtype_is_refused(tmp_path, dtype):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(TypeError, match="dtype must be an integer or float dtype"):
        open_raw(tmp_path / "data.raw", dtype=dtype)


def test_unknown_dtype_string_is_named(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(TypeError, match="dtype 'int17' is not a numpy dtype"):
        open_raw(tmp_path / "data.raw", dtype="int17")


def test_negative_file_offset_is_refused(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(ValueError, match="file_offset must be >= 0"):
        open_raw(tmp_path / "data.raw", file_offset=-8)


def test_fractional_num_channels_is_refused(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(ValueError, match="num_channels must be a whole number"):
        open_raw(tmp_path / "data.raw", num_channels=3.5)


@pytest.mark.parametrize("rate", [np.inf, -np.inf, np.nan, 0.0, -30000.0])
def test_impossible_sampling_frequency_is_refused(tmp_path, rate):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(ValueError, match="sampling_frequency must be a finite positive"):
        open_raw(tmp_path / "data.raw", sampling_frequency=rate)


@pytest.mark.parametrize("rate", ["30000", None, True])
def test_sampling_frequency_that_is_not_a_number_is_refused(tmp_path, rate):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(TypeError, match="sampling_frequency must be a number of Hz"):
        open_raw(tmp_path / "data.raw", sampling_frequency=rate)


def test_empty_file_paths_is_refused():
    with pytest.raises(ValueError, match="file_paths is empty"):
        si.read_binary([], FS, "int16", num_channels=NUM_CHANNELS)


def test_folder_given_as_a_raw_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="is a folder: file_paths takes the raw files"):
        open_raw(tmp_path)


def test_start_times_that_are_not_numbers_are_refused(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(TypeError, match="t_starts must hold numbers of seconds"):
        open_raw(tmp_path / "data.raw", t_starts=["10 s"])


def test_start_times_of_the_wrong_count_are_refused(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(ValueError, match="t_starts has 2 values for 1 segments"):
        open_raw(tmp_path / "data.raw", t_starts=[0.0, 1.0])


def test_writing_binary_files_of_a_string_dtype_is_refused(raw, tmp_path):
    with pytest.raises(TypeError, match="dtype must be an integer or float dtype"):
        si.write_binary_recording(raw, tmp_path / "out.raw", dtype="U2")
    assert not (tmp_path / "out.raw").exists()


# --------------------------------------------------------------------------- frames and channels
def test_non_integral_start_frame_is_refused(raw):
    with pytest.raises(ValueError, match="start_frame must be a whole number of samples.*10.5"):
        raw.get_traces(start_frame=10.5)


def test_non_integral_end_frame_is_refused(raw):
    with pytest.raises(ValueError, match="end_frame must be a whole number"):
        raw.get_traces(end_frame=np.float32(20.25))


def test_integral_float_frames_are_accepted(tmp_path):
    write_raw(tmp_path / "long.raw", num_samples=100_000, num_channels=2)
    recording = open_raw(tmp_path / "long.raw", num_channels=2)
    np.testing.assert_array_equal(
        recording.get_traces(start_frame=90000.0, end_frame=np.float64(90010)),
        recording.get_traces(start_frame=90000, end_frame=90010),
    )


def test_frame_given_as_a_string_is_refused(raw):
    with pytest.raises(TypeError, match="start_frame must be an integer sample index"):
        raw.get_traces(start_frame="10")


def test_end_frame_before_start_frame_is_refused(raw):
    with pytest.raises(ValueError, match="end_frame 10 is before start_frame 20"):
        raw.get_traces(start_frame=20, end_frame=10)


def test_scalar_channel_ids_are_refused(raw):
    with pytest.raises(TypeError, match="channel_ids must be a list"):
        raw.get_traces(channel_ids=0)


def test_scalar_channel_ids_of_a_channel_slice_are_refused(raw):
    with pytest.raises(TypeError, match="channel_ids must be a list"):
        raw.channel_slice(1)


def test_unknown_channel_id_is_named(raw):
    with pytest.raises(ValueError, match=r"9 is not among the channel_ids \(\[0, 1, 2, 3\]\)"):
        raw.get_traces(channel_ids=[0, 9])


def test_channel_id_of_the_wrong_type_is_named(raw):
    with pytest.raises(ValueError, match="'0' is not among the channel_ids: they are integers"):
        raw.get_traces(channel_ids=["0"])


@pytest.mark.parametrize(("segment_index", "error"), [(1, ValueError), (-1, ValueError)])
def test_segment_index_out_of_range_is_refused(raw, segment_index, error):
    with pytest.raises(error, match=f"segment_index {segment_index} out of range"):
        raw.get_traces(segment_index=segment_index)


@pytest.mark.parametrize("segment_index", [0.0, 0.5, True, "0"])
def test_segment_index_that_is_not_an_int_is_refused(raw, segment_index):
    with pytest.raises(TypeError, match="segment_index must be an int"):
        raw.get_traces(segment_index=segment_index)


def test_non_integral_frame_slice_is_refused(raw):
    with pytest.raises(ValueError, match="start_frame must be a whole number"):
        raw.frame_slice(2.5, 10)


def test_integral_float_frames_slice_a_sorting():
    sorting = sorting_at(FS)
    view = sorting.frame_slice(50.0, 600.0)
    assert view.get_unit_spike_train(0).tolist() == [50, 450]


def test_non_integral_frame_of_a_spike_train_is_refused():
    with pytest.raises(ValueError, match="end_frame must be a whole number"):
        sorting_at(FS).get_unit_spike_train(0, end_frame=400.5)


# --------------------------------------------------------------------------- files changing
def test_raw_file_truncated_after_opening_is_named(tmp_path):
    write_raw(tmp_path / "data.raw")
    recording = open_raw(tmp_path / "data.raw")
    with open(tmp_path / "data.raw", "r+b") as file:
        file.truncate(100)
    with pytest.raises(ValueError, match=r"data\.raw: the file was truncated"):
        recording.get_traces(start_frame=900, end_frame=1000)


def test_time_axis_1_file_truncated_after_opening_is_named(tmp_path):
    write_raw(tmp_path / "data.raw")
    recording = open_raw(tmp_path / "data.raw", time_axis=1)
    with open(tmp_path / "data.raw", "r+b") as file:
        file.truncate(100)
    with pytest.raises(ValueError, match=r"data\.raw: the file was truncated"):
        recording.get_traces(start_frame=0, end_frame=10)


def test_raw_file_removed_after_opening_is_named(tmp_path):
    write_raw(tmp_path / "data.raw")
    recording = open_raw(tmp_path / "data.raw")
    (tmp_path / "data.raw").unlink()
    with pytest.raises(
        FileNotFoundError, match=r"data\.raw: the file was removed after it was opened"
    ):
        recording.get_traces(start_frame=0, end_frame=10)


def test_mapped_raw_file_truncated_after_opening_is_named(tmp_path):
    write_raw(tmp_path / "data.raw")
    rows = MappedRawFile(tmp_path / "data.raw", np.int16, NUM_CHANNELS, 0, 1000)
    rows.rows(0, 10)  # mapped while whole
    with open(tmp_path / "data.raw", "r+b") as file:
        file.truncate(800)
    with pytest.raises(ValueError, match=r"data\.raw: the file was truncated"):
        rows.rows(500, 600)


def test_saved_sorting_truncated_after_opening_is_named(tmp_path):
    trains = {0: np.arange(0, 100_000, 10)}
    saved = sorting_at(FS, trains).save(folder=tmp_path / "sorting", verbose=False)
    with open(tmp_path / "sorting" / "spikes.npy", "r+b") as file:
        file.truncate(300)
    with pytest.raises(ValueError, match=r"spikes\.npy: the file was truncated"):
        saved.get_unit_spike_train(0)


def test_saved_snippets_truncated_after_opening_are_named(tmp_path):
    arrays = [np.zeros((1000, 10, 3), dtype="float32")]
    snippets = si.NumpySnippets(arrays, [np.arange(1000) * 20], FS, nbefore=4)
    saved = snippets.save(folder=tmp_path / "snippets", verbose=False)
    with open(tmp_path / "snippets" / "traces_cached_seg0.npy", "r+b") as file:
        file.truncate(300)
    with pytest.raises(ValueError, match=r"traces_cached_seg0\.npy: the file was truncated"):
        saved.get_snippets(segment_index=0)


def test_saved_events_truncated_after_opening_are_named(tmp_path):
    events = si.NumpyEvent.from_dict([{"ttl": np.arange(10_000) / 10.0}])
    saved = events.save(folder=tmp_path / "events", verbose=False)
    with open(tmp_path / "events" / "events_seg0_ch0.npy", "r+b") as file:
        file.truncate(200)
    with pytest.raises(ValueError, match=r"events_seg0_ch0\.npy: not a readable \.npy"):
        saved.get_event_times("ttl")


# --------------------------------------------------------------------------- time vectors
@pytest.mark.parametrize("length", [999, 1001])
def test_time_vector_of_the_wrong_length_is_refused(raw, length):
    with pytest.raises(ValueError, match=f"times: {length} times for a segment of 1000 samples"):
        raw.set_times(np.arange(length) / FS, with_warning=False)


def test_saved_time_vector_of_the_wrong_length_names_the_file(tmp_path):
    write_raw(tmp_path / "data.raw")
    open_raw(tmp_path / "data.raw").save(folder=tmp_path / "saved", verbose=False)
    np.save(tmp_path / "saved" / "times_cached_seg0.npy", np.arange(10) / FS)
    with pytest.raises(ValueError, match=r"times_cached_seg0\.npy: 10 times for a segment"):
        si.load_extractor(tmp_path / "saved")


def test_time_vector_of_strings_is_refused(raw):
    with pytest.raises(TypeError, match="times must be numbers"):
        raw.set_times(np.array(["a"] * 1000), with_warning=False)


# --------------------------------------------------------------------------- in-memory objects
def test_spike_vector_unit_index_past_the_units_is_refused():
    spikes = np.zeros(2, dtype=si.minimum_spike_dtype)
    spikes["sample_index"] = [10, 20]
    spikes["unit_index"] = [0, 2]
    with pytest.raises(ValueError, match="unit_index values outside 0..1"):
        si.NumpySorting(spikes, FS, unit_ids=[5, 6])


@pytest.mark.parametrize("values", [np.full((10, 2), "a"), np.zeros((10, 2), dtype=object)])
def test_non_numeric_traces_are_refused(values):
    with pytest.raises(TypeError, match=r"traces_list\[0\] must hold integers or floats"):
        si.NumpyRecording([values], FS)


def test_one_dimensional_traces_are_refused():
    with pytest.raises(TypeError, match="traces_list must be a 2-D"):
        si.NumpyRecording(np.zeros(10), FS)


def test_mixed_type_channel_ids_are_refused():
    with pytest.raises(TypeError, match=r"channel_ids mixes integers and strings"):
        si.NumpyRecording([np.zeros((10, 3))], FS, channel_ids=[0, "a", 1])


def test_mixed_type_unit_ids_are_refused():
    with pytest.raises(TypeError, match=r"unit_ids mixes integers and strings"):
        si.NumpySorting.from_unit_dict({0: np.array([1]), "a": np.array([2])}, FS)


def test_mixed_type_labels_are_refused():
    with pytest.raises(TypeError, match=r"labels_list\[0\] mixes integers and strings"):
        si.NumpySorting.from_times_labels(np.array([1, 2]), [0, "a"], FS)


def test_float_ids_are_refused():
    with pytest.raises(TypeError, match="channel_ids must be integers or strings"):
        si.NumpyRecording([np.zeros((10, 2))], FS, channel_ids=[0.5, 1.5])


def test_duplicated_unit_ids_are_named():
    spikes = np.zeros(0, dtype=si.minimum_spike_dtype)
    with pytest.raises(ValueError, match=r"unit_ids must be unique: \[3\] appear"):
        si.NumpySorting(spikes, FS, unit_ids=[3, 4, 3])


def test_unit_dict_that_is_not_a_dict_is_refused():
    with pytest.raises(TypeError, match="units_dict_list must be a dict"):
        si.NumpySorting.from_unit_dict([np.array([1, 2])], FS)


def test_channel_locations_of_the_wrong_shape_are_refused(raw):
    with pytest.raises(ValueError, match=r"locations must have shape \(num_channels, 2\)"):
        raw.set_channel_locations(np.zeros(NUM_CHANNELS))


def test_non_numeric_gains_are_refused(raw):
    with pytest.raises(TypeError, match="gains must be numbers"):
        raw.set_channel_gains("high")


def test_cast_to_a_string_dtype_is_refused(raw):
    with pytest.raises(TypeError, match="dtype must be an integer or float dtype"):
        raw.astype("U4")


@pytest.mark.parametrize(
    "build",
    [
        lambda: si.generate_recording(sampling_frequency=0),
        lambda: si.generate_sorting(sampling_frequency=np.inf),
        lambda: si.generate_ground_truth_recording(sampling_frequency=-1.0),
    ],
)
def test_generators_refuse_impossible_sampling_frequencies(build):
    with pytest.raises(ValueError, match="sampling_frequency must be a finite positive"):
        build()


# --------------------------------------------------------------------------- waveforms
@pytest.fixture(scope="module")
def ground_truth():
    return si.generate_ground_truth_recording(durations=[2.0], num_units=3, seed=0)


@pytest.mark.parametrize(
    "window", [{"ms_before": 0}, {"ms_before": -1.0}, {"ms_after": 0.0}, {"ms_after": np.nan}]
)
def test_waveform_window_of_zero_or_less_is_refused(ground_truth, window):
    recording, sorting = ground_truth
    name = next(iter(window))
    with pytest.raises(ValueError, match=f"{name} must be a finite number of milliseconds > 0"):
        si.extract_waveforms(recording, sorting, mode="memory", **window)


def test_waveform_window_refused_before_the_folder_is_made(ground_truth, tmp_path):
    recording, sorting = ground_truth
    with pytest.raises(ValueError, match="ms_after"):
        si.extract_waveforms(recording, sorting, folder=tmp_path / "wf", ms_after=0)
    assert not (tmp_path / "wf").exists()


def test_estimate_sparsity_refuses_a_window_of_zero(ground_truth):
    recording, sorting = ground_truth
    with pytest.raises(ValueError, match="ms_before must be"):
        si.estimate_sparsity(recording, sorting, ms_before=0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"max_spikes_per_unit": 0}, ValueError, "max_spikes_per_unit must be >= 1"),
        ({"max_spikes_per_unit": 2.5}, TypeError, "max_spikes_per_unit must be a positive int"),
        ({"num_spikes_for_sparsity": 0}, ValueError, "num_spikes_for_sparsity must be >= 1"),
        ({"dtype": "U4"}, TypeError, "dtype must be an integer or float dtype"),
    ],
)
def test_extraction_options_out_of_range_are_refused(ground_truth, options, error, message):
    recording, sorting = ground_truth
    with pytest.raises(error, match=message):
        si.extract_waveforms(recording, sorting, mode="memory", **options)


def test_recording_and_sorting_swapped_are_refused(ground_truth):
    recording, sorting = ground_truth
    with pytest.raises(TypeError, match="recording must be a recording, got GeneratedSorting"):
        si.extract_waveforms(sorting, recording, mode="memory")


# --------------------------------------------------------------------------- rate mismatches
def assert_names_both_rates(call, first, second):
    with pytest.raises(ValueError, match="sampling frequency") as info:
        call()
    assert str(first) in str(info.value) and str(second) in str(info.value)


def test_aggregate_channels_rate_mismatch_says_sampling_frequency():
    a = si.NumpyRecording([np.zeros((10, 2))], 30000.0)
    b = si.NumpyRecording([np.zeros((10, 2))], 20000.0)
    assert_names_both_rates(lambda: si.aggregate_channels([a, b]), 30000.0, 20000.0)


def test_concatenate_recordings_rate_mismatch_says_sampling_frequency():
    a = si.NumpyRecording([np.zeros((10, 2))], 30000.0)
    b = si.NumpyRecording([np.zeros((10, 2))], 20000.0)
    assert_names_both_rates(lambda: si.concatenate_recordings([a, b]), 30000.0, 20000.0)


def test_aggregate_units_rate_mismatch_says_sampling_frequency():
    assert_names_both_rates(
        lambda: si.aggregate_units([sorting_at(30000.0), sorting_at(20000.0)]), 30000.0, 20000.0
    )


def test_register_recording_rate_mismatch_says_sampling_frequency(raw):
    sorting = sorting_at(20000.0)
    assert_names_both_rates(lambda: sorting.register_recording(raw), 30000.0, 20000.0)


def test_extract_waveforms_rate_mismatch_says_sampling_frequency(ground_truth):
    recording, _ = ground_truth
    sorting = sorting_at(20000.0)
    assert_names_both_rates(
        lambda: si.extract_waveforms(recording, sorting, mode="memory", sparse=False),
        recording.sampling_frequency,
        20000.0,
    )
