"""Lazy recording views: channel and frame slices, aggregation, append/concatenate/select/split."""

import pickle

import numpy as np
import probeinterface as pi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import load_extractor
from core.recording.aggregation import ChannelsAggregationRecording, aggregate_channels
from core.recording.binary import BinaryRecordingExtractor
from core.recording.numpy import NumpyRecording
from core.recording.segments import (
    AppendSegmentRecording,
    ConcatenateSegmentRecording,
    SelectSegmentRecording,
    append_recordings,
    concatenate_recordings,
    select_segment_recording,
    split_recording,
)

FS = 1000.0
DTYPES = ["int16", "uint16", "int32", "float32", "float64"]
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


def make_recording(num_samples=(100,), num_channels=3, dtype="int16", seed=0, **kwargs):
    """A NumpyRecording of random values, one segment per entry of ``num_samples``."""
    rng = np.random.default_rng(seed)
    traces = [rng.integers(0, 1000, size=(n, num_channels)).astype(dtype) for n in num_samples]
    return NumpyRecording(traces, sampling_frequency=FS, **kwargs)


def all_traces(recording, segment_index=0):
    return recording.get_traces(segment_index=segment_index)


def linear_probe(num_channels, x_offset=0.0):
    probe = pi.generate_linear_probe(num_elec=num_channels, ypitch=20)
    probe.move([x_offset, 0.0])
    probe.set_device_channel_indices(np.arange(num_channels))
    return probe


@pytest.fixture
def binary_recording(tmp_path):
    """A 2-segment, 4-channel int16 recording in raw files, with gains."""
    rng = np.random.default_rng(7)
    paths = []
    for index, num_samples in enumerate((120, 80)):
        path = tmp_path / f"segment{index}.raw"
        rng.integers(-500, 500, size=(num_samples, 4)).astype("int16").tofile(path)
        paths.append(path)
    return BinaryRecordingExtractor(
        paths, FS, "int16", num_channels=4, gain_to_uV=0.5, offset_to_uV=0.0
    )


@st.composite
def recording_and_window(draw):
    """A mono-segment recording and a window ``(start, end)`` inside it."""
    num_samples = draw(st.integers(1, 60))
    num_channels = draw(st.integers(1, 6))
    recording = make_recording(
        (num_samples,), num_channels, draw(st.sampled_from(DTYPES)), seed=draw(st.integers(0, 100))
    )
    start = draw(st.integers(0, num_samples - 1))
    end = draw(st.integers(start + 1, num_samples))
    return recording, start, end


# ------------------------------------------------------------------ channel and frame slices
@PROPERTY_SETTINGS
@given(case=recording_and_window(), data=st.data())
def test_channel_slice_reads_like_channel_ids(case, data):
    recording, start, end = case
    ids = data.draw(
        st.lists(st.sampled_from(recording.channel_ids.tolist()), min_size=1, unique=True)
    )
    sliced = recording.channel_slice(ids)
    np.testing.assert_array_equal(
        sliced.get_traces(start_frame=start, end_frame=end),
        recording.get_traces(start_frame=start, end_frame=end, channel_ids=ids),
    )


@PROPERTY_SETTINGS
@given(case=recording_and_window(), data=st.data())
def test_frame_slice_reads_the_shifted_window(case, data):
    recording, a, b = case
    s = data.draw(st.integers(0, b - a - 1))
    e = data.draw(st.integers(s + 1, b - a))
    sliced = recording.frame_slice(a, b)
    np.testing.assert_array_equal(
        sliced.get_traces(start_frame=s, end_frame=e),
        recording.get_traces(start_frame=a + s, end_frame=a + e),
    )


def test_probe_follows_channel_slice():
    recording = make_recording(num_channels=5).set_probe(linear_probe(5))
    ids = [4, 0, 2]
    sliced = recording.channel_slice(ids)
    np.testing.assert_array_equal(
        sliced.get_channel_locations(), recording.get_channel_locations(channel_ids=ids)
    )
    assert sliced.get_property("contact_vector")["device_channel_indices"].tolist() == [0, 1, 2]


# ------------------------------------------------------------------ aggregation
@st.composite
def aggregation_case(draw):
    """2-3 recordings with the same layout but their own channel counts."""
    num_segments = draw(st.integers(1, 2))
    num_samples = tuple(draw(st.integers(1, 40)) for _ in range(num_segments))
    dtype = draw(st.sampled_from(DTYPES))
    counts = draw(st.lists(st.integers(1, 4), min_size=2, max_size=3))
    return [
        make_recording(num_samples, count, dtype, seed=index) for index, count in enumerate(counts)
    ]


@PROPERTY_SETTINGS
@given(recordings=aggregation_case(), data=st.data())
def test_aggregate_channels_reads_the_stacked_traces(recordings, data):
    aggregated = aggregate_channels(recordings)
    segment_index = data.draw(st.integers(0, aggregated.get_num_segments() - 1))
    num_samples = aggregated.get_num_samples(segment_index)
    start = data.draw(st.integers(0, num_samples - 1))
    end = data.draw(st.integers(start + 1, num_samples))
    expected = np.hstack([all_traces(r, segment_index) for r in recordings])[start:end]
    np.testing.assert_array_equal(
        aggregated.get_traces(segment_index=segment_index, start_frame=start, end_frame=end),
        expected,
    )


@PROPERTY_SETTINGS
@given(recordings=aggregation_case(), data=st.data())
def test_aggregate_channels_reads_any_channel_subset(recordings, data):
    aggregated = aggregate_channels(recordings)
    ids = data.draw(
        st.lists(st.sampled_from(aggregated.channel_ids.tolist()), min_size=1, unique=True)
    )
    expected = np.hstack([all_traces(r) for r in recordings])[:, ids]
    np.testing.assert_array_equal(aggregated.get_traces(segment_index=0, channel_ids=ids), expected)


def test_aggregate_channels_numbers_ids_from_zero():
    recordings = [
        make_recording(num_channels=2, channel_ids=["a", "b"]),
        make_recording(num_channels=3, channel_ids=["c", "d", "e"]),
    ]
    assert aggregate_channels(recordings).channel_ids.tolist() == [0, 1, 2, 3, 4]


def test_aggregate_channels_renames_ids():
    recordings = [make_recording(num_channels=2), make_recording(num_channels=1)]
    aggregated = aggregate_channels(recordings, renamed_channel_ids=["x", "y", "z"])
    assert aggregated.channel_ids.tolist() == ["x", "y", "z"]


@pytest.mark.parametrize(
    ("renamed", "message"),
    [
        (["x", "y"], "renamed_channel_ids has 2 ids for 3 channels"),
        (["x", "x", "y"], "renamed_channel_ids has duplicates"),
    ],
)
def test_aggregate_channels_rejects_bad_renamed_ids(renamed, message):
    recordings = [make_recording(num_channels=2), make_recording(num_channels=1)]
    with pytest.raises(ValueError, match=message):
        aggregate_channels(recordings, renamed_channel_ids=renamed)


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (
            NumpyRecording(np.zeros((100, 2), "int16"), sampling_frequency=2000.0),
            r"recording_list\[1\] has sampling frequency 2000.0 Hz.*1000.0 Hz",
        ),
        (make_recording(num_channels=2, dtype="float32"), r"recording_list\[1\] has dtype float32"),
        (make_recording((100, 100), num_channels=2), r"recording_list\[1\] has 2 segments"),
        (make_recording((90,), num_channels=2), r"recording_list\[1\] segment 0 has 90 samples"),
        (
            make_recording(num_channels=2, t_starts=[3.0]),
            r"recording_list\[1\] segment 0 starts at",
        ),
    ],
)
def test_aggregate_channels_names_the_mismatch(other, message):
    with pytest.raises(ValueError, match=message):
        aggregate_channels([make_recording(num_channels=2), other])


def test_aggregate_channels_rejects_different_time_vectors():
    other = make_recording(num_channels=2)
    other.set_times(np.arange(100) / FS + 10.0, with_warning=False)
    with pytest.raises(ValueError, match=r"recording_list\[1\] segment 0 has time vector"):
        aggregate_channels([make_recording(num_channels=2), other])


def test_aggregate_channels_keeps_shared_times():
    recordings = [
        make_recording(num_channels=1, t_starts=[5.0]),
        make_recording(num_channels=2, t_starts=[5.0]),
    ]
    assert aggregate_channels(recordings).get_times()[0] == 5.0


def test_aggregate_channels_keeps_only_properties_every_recording_has():
    first, second = make_recording(num_channels=2), make_recording(num_channels=1)
    first.set_property("quality", ["good", "bad"])
    second.set_property("quality", ["mua"])
    first.set_property("only_first", [1, 2])
    aggregated = aggregate_channels([first, second])
    assert aggregated.get_property("quality").tolist() == ["good", "bad", "mua"]
    assert "only_first" not in aggregated.get_property_keys()


def test_aggregate_channels_drops_property_of_mixed_dtype_kinds():
    first, second = make_recording(num_channels=2), make_recording(num_channels=1)
    first.set_property("score", [1.5, 2.5])
    second.set_property("score", ["high"])
    with pytest.warns(UserWarning, match="property 'score' is dropped"):
        aggregated = aggregate_channels([first, second])
    assert "score" not in aggregated.get_property_keys()


def test_aggregate_channels_merges_probes_as_distinct_probes():
    first = make_recording(num_channels=3).set_probe(linear_probe(3))
    second = make_recording(num_channels=2).set_probe(linear_probe(2, x_offset=100.0))
    aggregated = aggregate_channels([first, second])
    contact_vector = aggregated.get_property("contact_vector")
    assert contact_vector["device_channel_indices"].tolist() == [0, 1, 2, 3, 4]
    assert contact_vector["probe_index"].tolist() == [0, 0, 0, 1, 1]
    assert len(aggregated.get_probegroup().probes) == 2
    np.testing.assert_array_equal(
        aggregated.get_channel_locations(),
        np.vstack([first.get_channel_locations(), second.get_channel_locations()]),
    )


def test_aggregate_channels_rejects_duplicate_locations():
    first = make_recording(num_channels=2).set_probe(linear_probe(2))
    second = make_recording(num_channels=2).set_probe(linear_probe(2))
    with pytest.raises(ValueError, match="locations are not unique"):
        aggregate_channels([first, second])


@pytest.mark.parametrize(("filtered", "expected"), [((True, True), True), ((True, False), False)])
def test_aggregate_channels_is_filtered_only_when_all_are(filtered, expected):
    recordings = [make_recording(num_channels=1), make_recording(num_channels=1)]
    for recording, is_filtered in zip(recordings, filtered):
        recording.annotate(is_filtered=is_filtered)
    assert aggregate_channels(recordings).is_filtered() is expected


def test_aggregate_channels_reads_only_the_needed_recording(monkeypatch):
    recordings = [make_recording(num_channels=2, seed=1), make_recording(num_channels=2, seed=2)]
    reads = []
    for index, recording in enumerate(recordings):
        segment = recording._recording_segments[0]
        read = segment.get_traces

        def counting_read(*args, _read=read, _index=index, **kwargs):
            reads.append(_index)
            return _read(*args, **kwargs)

        monkeypatch.setattr(segment, "get_traces", counting_read)
    aggregate_channels(recordings).get_traces(channel_ids=[3, 2])
    assert reads == [1]


# ------------------------------------------------------------------ concatenate
@st.composite
def concatenation_case(draw):
    """Recordings of 1-3 segments (some maybe empty) and a window of their concatenation."""
    dtype = draw(st.sampled_from(DTYPES))
    lengths_list = draw(
        st.lists(
            st.lists(st.integers(0, 20), min_size=1, max_size=3), min_size=1, max_size=3
        ).filter(lambda ls: sum(map(sum, ls)) > 0)
    )
    recordings = [
        make_recording(tuple(lengths), 2, dtype, seed=index)
        for index, lengths in enumerate(lengths_list)
    ]
    total = sum(map(sum, lengths_list))
    start = draw(st.integers(0, total - 1))
    end = draw(st.integers(start + 1, total))
    return recordings, start, end


def stacked_segments(recordings):
    return np.vstack([all_traces(r, i) for r in recordings for i in range(r.get_num_segments())])


@PROPERTY_SETTINGS
@given(case=concatenation_case())
def test_concatenate_recordings_reads_windows_across_boundaries(case):
    recordings, start, end = case
    concatenated = concatenate_recordings(recordings)
    np.testing.assert_array_equal(
        concatenated.get_traces(start_frame=start, end_frame=end),
        stacked_segments(recordings)[start:end],
    )


def test_concatenate_recordings_makes_one_segment_of_all_samples():
    recordings = [make_recording((30, 20)), make_recording((50,))]
    concatenated = concatenate_recordings(recordings)
    assert concatenated.get_num_segments() == 1
    assert concatenated.get_num_samples() == 100


def test_concatenate_recordings_drops_times():
    concatenated = concatenate_recordings([make_recording(t_starts=[4.0])])
    assert concatenated.get_time_info()["t_start"] is None
    assert concatenated.get_times()[0] == 0.0


def test_concatenate_recordings_refuses_times_when_not_ignored():
    recordings = [make_recording(), make_recording((10, 20), t_starts=[None, 2.0])]
    with pytest.raises(ValueError, match=r"recording_list\[1\] segment 1 has a t_start"):
        concatenate_recordings(recordings, ignore_times=False)


def test_concatenate_recordings_empty_window_has_the_right_shape():
    concatenated = concatenate_recordings([make_recording(), make_recording()])
    assert concatenated.get_traces(start_frame=200, end_frame=200).shape == (0, 3)


# ------------------------------------------------------------------ append
@PROPERTY_SETTINGS
@given(
    lengths_list=st.lists(
        st.lists(st.integers(0, 20), min_size=1, max_size=3), min_size=1, max_size=3
    ),
    dtype=st.sampled_from(DTYPES),
)
def test_append_recordings_appends_every_segment(lengths_list, dtype):
    recordings = [
        make_recording(tuple(lengths), 2, dtype, seed=index)
        for index, lengths in enumerate(lengths_list)
    ]
    appended = append_recordings(recordings)
    parts = [(r, i) for r in recordings for i in range(r.get_num_segments())]
    assert appended.get_num_segments() == len(parts)
    for segment_index, (recording, parent_index) in enumerate(parts):
        np.testing.assert_array_equal(
            all_traces(appended, segment_index), all_traces(recording, parent_index)
        )


def test_append_recordings_keeps_segment_times():
    appended = append_recordings([make_recording(t_starts=[1.0]), make_recording(t_starts=[9.0])])
    assert [appended.get_times(i)[0] for i in range(2)] == [1.0, 9.0]


def test_append_recordings_copies_metadata_of_the_first():
    first, second = make_recording(), make_recording()
    first.set_property("quality", ["a", "b", "c"])
    first.annotate(is_filtered=True)
    appended = append_recordings([first, second])
    assert appended.get_property("quality").tolist() == ["a", "b", "c"]
    assert appended.is_filtered()


@pytest.mark.parametrize("combine", [append_recordings, concatenate_recordings])
@pytest.mark.parametrize(
    ("other", "message"),
    [
        (make_recording(dtype="float32"), r"recording_list\[1\] has dtype float32"),
        (make_recording(num_channels=4), r"recording_list\[1\] has 4 channels"),
        (
            make_recording(channel_ids=[0, 1, 5]),
            r"recording_list\[1\] has channel id 5 at position 2",
        ),
        (
            NumpyRecording(np.zeros((10, 3), "int16"), sampling_frequency=FS + 1),
            r"recording_list\[1\] has sampling frequency 1001.0 Hz.*sampling_frequency_max_diff=0",
        ),
    ],
)
def test_segment_utilities_name_the_mismatch(combine, other, message):
    with pytest.raises(ValueError, match=message):
        combine([make_recording(), other])


def test_sampling_frequency_within_max_diff_warns():
    other = NumpyRecording(np.zeros((10, 3), "int16"), sampling_frequency=FS + 0.5)
    with pytest.warns(UserWarning, match="within sampling_frequency_max_diff"):
        appended = append_recordings([make_recording(), other], sampling_frequency_max_diff=1)
    assert appended.sampling_frequency == FS


def test_segment_utilities_reject_an_empty_list():
    with pytest.raises(ValueError, match="recording_list is empty"):
        append_recordings([])


# ------------------------------------------------------------------ select and split
def test_split_recording_gives_mono_segment_views():
    recording = make_recording((10, 20, 30))
    parts = split_recording(recording)
    assert [part.get_num_segments() for part in parts] == [1, 1, 1]
    for index, part in enumerate(parts):
        np.testing.assert_array_equal(all_traces(part), all_traces(recording, index))


def test_append_of_split_round_trips():
    recording = make_recording((10, 20, 30))
    rebuilt = append_recordings(split_recording(recording))
    for index in range(3):
        np.testing.assert_array_equal(all_traces(rebuilt, index), all_traces(recording, index))


@pytest.mark.parametrize(("indices", "expected"), [(2, [2]), ([2, 0], [2, 0])])
def test_select_segment_recording_keeps_the_given_segments(indices, expected):
    recording = make_recording((10, 20, 30))
    selected = select_segment_recording(recording, segment_indices=indices)
    assert [selected.get_num_samples(i) for i in range(len(expected))] == [
        recording.get_num_samples(i) for i in expected
    ]


def test_select_segments_method_uses_select_segment_recording():
    selected = make_recording((10, 20)).select_segments([1])
    assert isinstance(selected, SelectSegmentRecording)
    assert selected.get_num_samples() == 20


def test_select_segment_recording_rejects_out_of_range_index():
    with pytest.raises(ValueError, match="segment_indices: 3 is out of range"):
        select_segment_recording(make_recording((10, 20)), segment_indices=[0, 3])


def test_select_segment_recording_leaves_parent_segments_alone():
    recording = make_recording((10, 20))
    select_segment_recording(recording, 1)
    assert recording._recording_segments[1].parent_extractor is recording


# ------------------------------------------------------------------ nesting
@PROPERTY_SETTINGS
@given(data=st.data())
def test_slice_of_aggregation_of_concatenation(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    lengths = data.draw(st.lists(st.integers(1, 15), min_size=1, max_size=3))
    left = [make_recording((n,), 2, dtype, seed=i) for i, n in enumerate(lengths)]
    right = [make_recording((n,), 3, dtype, seed=10 + i) for i, n in enumerate(lengths)]
    view = aggregate_channels([concatenate_recordings(left), concatenate_recordings(right)])
    ids = data.draw(st.lists(st.integers(0, 4), min_size=1, unique=True))
    total = sum(lengths)
    start = data.draw(st.integers(0, total - 1))
    end = data.draw(st.integers(start + 1, total))
    nested = view.channel_slice(ids).frame_slice(start, end)
    expected = np.hstack([stacked_segments(left), stacked_segments(right)])[start:end, ids]
    np.testing.assert_array_equal(all_traces(nested), expected)


# ------------------------------------------------------------------ serialisation
VIEWS = {
    "channel_slice": lambda rec: rec.channel_slice([3, 1]),
    "frame_slice": lambda rec: split_recording(rec)[0].frame_slice(10, 90),
    "aggregation": lambda rec: aggregate_channels([rec, rec.channel_slice([0])]),
    "append": lambda rec: append_recordings([rec, rec]),
    "concatenate": lambda rec: concatenate_recordings([rec, rec]),
    "select": lambda rec: select_segment_recording(rec, [1, 0]),
}


def assert_same_recording(copy, view):
    assert type(copy) is type(view)
    assert copy.channel_ids.tolist() == view.channel_ids.tolist()
    for index in range(view.get_num_segments()):
        np.testing.assert_array_equal(all_traces(copy, index), all_traces(view, index))


@pytest.mark.parametrize("name", VIEWS)
def test_clone_rebuilds_the_view(binary_recording, name):
    view = VIEWS[name](binary_recording)
    assert_same_recording(view.clone(), view)


@pytest.mark.parametrize("name", VIEWS)
def test_pickle_rebuilds_the_view(binary_recording, name):
    view = VIEWS[name](binary_recording)
    assert_same_recording(pickle.loads(pickle.dumps(view)), view)


def test_json_dump_and_load_rebuild_a_nested_view(binary_recording, tmp_path):
    view = concatenate_recordings([binary_recording]).channel_slice([2, 0])
    view.dump_to_json(tmp_path / "view.json")
    assert_same_recording(load_extractor(tmp_path / "view.json"), view)


@pytest.mark.parametrize(
    ("cls", "path"),
    [
        (
            ChannelsAggregationRecording,
            "spikeinterface.core.channelsaggregationrecording.ChannelsAggregationRecording",
        ),
        (AppendSegmentRecording, "spikeinterface.core.segmentutils.AppendSegmentRecording"),
        (
            ConcatenateSegmentRecording,
            "spikeinterface.core.segmentutils.ConcatenateSegmentRecording",
        ),
        (SelectSegmentRecording, "spikeinterface.core.segmentutils.SelectSegmentRecording"),
    ],
)
def test_views_are_described_with_spikeinterface_class_paths(binary_recording, cls, path):
    view = {
        ChannelsAggregationRecording: VIEWS["aggregation"],
        AppendSegmentRecording: VIEWS["append"],
        ConcatenateSegmentRecording: VIEWS["concatenate"],
        SelectSegmentRecording: VIEWS["select"],
    }[cls](binary_recording)
    assert view.to_dict()["class"] == path


def test_clone_keeps_aggregated_gains(binary_recording):
    view = aggregate_channels([binary_recording, binary_recording.channel_slice([0])])
    np.testing.assert_array_equal(view.clone().get_channel_gains(), [0.5] * 5)
