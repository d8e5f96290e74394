"""Lazy sorting views: unit selection, frame slices, aggregation, append/concatenate/split/select."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.loading import load_extractor
from core.recording.numpy import NumpyRecording
from core.recording.segments import concatenate_recordings
from core.sorting.aggregation import UnitsAggregationSorting, aggregate_units
from core.sorting.base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from core.sorting.numpy import NumpySorting
from core.sorting.segments import (
    AppendSegmentSorting,
    ConcatenateSegmentSorting,
    SelectSegmentSorting,
    SplitSegmentSorting,
    append_sortings,
    concatenate_sortings,
    select_segment_sorting,
    split_sorting,
)
from core.sorting.slicing import FrameSliceSorting, UnitsSelectionSorting
from core.sorting.spike_vector import sort_spike_vector

FS = 1000.0
PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)


class TrainsSortingSegment(BaseSortingSegment):
    def __init__(self, trains: dict) -> None:
        super().__init__()
        self._trains = trains

    def get_unit_spike_train(self, unit_id, start_frame, end_frame):
        train = self._trains[unit_id]
        start = 0 if start_frame is None else np.searchsorted(train, start_frame)
        end = train.size if end_frame is None else np.searchsorted(train, end_frame)
        return train[start:end]


class TrainsSorting(BaseSorting):
    """A copy of a sorting without spike vector cache: views of it must go unit by unit."""

    def __init__(self, source: BaseSorting) -> None:
        super().__init__(source.sampling_frequency, source.unit_ids)
        for segment_index in range(source.get_num_segments()):
            trains = {
                u: source.get_unit_spike_train(u, segment_index) for u in source.unit_ids.tolist()
            }
            self.add_sorting_segment(TrainsSortingSegment(trains))


def make_sorting(spikes=(), unit_ids=(0, 1, 2), num_segments=1, fs=FS):
    """A NumpySorting from ``(sample, unit_index, segment)`` triples."""
    vector = np.zeros(len(spikes), dtype=minimum_spike_dtype)
    for row, (sample, unit, segment) in enumerate(spikes):
        vector[row] = (sample, unit, segment)
    return NumpySorting(sort_spike_vector(vector), fs, list(unit_ids), num_segments=num_segments)


def simple_sorting(fs=FS):
    """Three units, one segment: unit 0 at 1 and 9, unit 1 at 5, unit 2 at 12."""
    return make_sorting([(1, 0, 0), (5, 1, 0), (9, 0, 0), (12, 2, 0)], fs=fs)


def recording(num_samples, num_segments=1):
    return NumpyRecording([np.zeros((num_samples, 1), "int16")] * num_segments, FS)


def spikes_of(sorting):
    return [tuple(row) for row in sorting.to_spike_vector().tolist()]


def assert_matches(view, expected, window=(0, 10)):
    """The view's spike vector and its per-unit trains equal ``expected`` (any tie order)."""
    expected = sort_spike_vector(expected)
    for segment_index in range(view.get_num_segments()):
        in_segment = expected[expected["segment_index"] == segment_index]
        for unit_index, unit_id in enumerate(view.unit_ids):
            frames = in_segment["sample_index"][in_segment["unit_index"] == unit_index]
            train = view.get_unit_spike_train(unit_id, segment_index=segment_index)
            np.testing.assert_array_equal(train, frames)
            start, end = window
            uncached = view.get_unit_spike_train(
                unit_id, segment_index, start_frame=start, end_frame=end, use_cache=False
            )
            np.testing.assert_array_equal(uncached, frames[(frames >= start) & (frames < end)])
    np.testing.assert_array_equal(view.to_spike_vector(), expected)


@st.composite
def sortings(draw, num_segments=None, unit_ids=None):
    """``(sorting, spike vector)``: a sorting with or without cached vector, and its spikes."""
    if unit_ids is None:
        num_units = draw(st.integers(0, 4))
        if draw(st.booleans()):
            ids = st.lists(st.integers(0, 99), min_size=num_units, max_size=num_units, unique=True)
        else:
            ids = st.lists(st.sampled_from("abcdefgh"), min_size=num_units, max_size=num_units)
            ids = ids.filter(lambda x: len(set(x)) == len(x))
        unit_ids = draw(ids)
    num_units = len(unit_ids)
    num_segments = num_segments or draw(st.integers(1, 3))
    count = draw(st.integers(0, 25)) if num_units else 0
    spikes = np.zeros(count, dtype=minimum_spike_dtype)
    for field, high in (("sample_index", 60), ("unit_index", max(num_units - 1, 0))):
        spikes[field] = draw(st.lists(st.integers(0, high), min_size=count, max_size=count))
    spikes["segment_index"] = draw(
        st.lists(st.integers(0, num_segments - 1), min_size=count, max_size=count)
    )
    spikes = sort_spike_vector(spikes)
    sorting = NumpySorting(spikes, FS, unit_ids, num_segments=num_segments)
    return (TrainsSorting(sorting) if draw(st.booleans()) else sorting), spikes


def shifted(spikes, sample=0, unit=0, segment=0):
    out = spikes.copy()
    out["sample_index"] += sample
    out["unit_index"] += unit
    out["segment_index"] += segment
    return out


# ------------------------------------------------------------------ properties vs numpy by hand
@PROPERTY_SETTINGS
@given(case=sortings(num_segments=1), data=st.data())
def test_frame_slice_keeps_spikes_in_the_window_shifted(case, data):
    sorting, spikes = case
    start = data.draw(st.integers(0, 70))
    end = data.draw(st.integers(start + 1, 80))
    keep = (spikes["sample_index"] >= start) & (spikes["sample_index"] < end)
    assert_matches(sorting.frame_slice(start, end), shifted(spikes[keep], sample=-start))


@PROPERTY_SETTINGS
@given(case=sortings(), data=st.data())
def test_select_units_filters_and_renumbers(case, data):
    sorting, spikes = case
    chosen = data.draw(st.permutations(range(sorting.get_num_units())))
    chosen = chosen[: data.draw(st.integers(0, len(chosen)))]
    renamed = [f"n{i}" for i in chosen]
    view = sorting.select_units(sorting.unit_ids[chosen], renamed_unit_ids=renamed)
    lookup = np.full(sorting.get_num_units(), -1)
    lookup[chosen] = np.arange(len(chosen))
    expected = spikes[np.isin(spikes["unit_index"], chosen)]
    expected["unit_index"] = lookup[expected["unit_index"]]
    assert_matches(view, expected)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_aggregate_units_stacks_units_with_offsets(data):
    num_segments = data.draw(st.integers(1, 3))
    cases = data.draw(st.lists(sortings(num_segments=num_segments), min_size=1, max_size=3))
    view = aggregate_units([sorting for sorting, _ in cases])
    offsets = np.cumsum([0] + [sorting.get_num_units() for sorting, _ in cases])
    expected = np.concatenate([shifted(s, unit=o) for (_, s), o in zip(cases, offsets)])
    assert list(view.unit_ids) == list(range(offsets[-1]))
    assert_matches(view, expected)


@PROPERTY_SETTINGS
@given(case=sortings(), repeats=st.integers(1, 3))
def test_append_sortings_appends_segments(case, repeats):
    sorting, spikes = case
    view = append_sortings([sorting] * repeats)
    n = sorting.get_num_segments()
    assert view.get_num_segments() == n * repeats
    assert_matches(view, np.concatenate([shifted(spikes, segment=i * n) for i in range(repeats)]))


@PROPERTY_SETTINGS
@given(first=sortings(num_segments=1), data=st.data())
def test_concatenate_sortings_shifts_by_cumulative_lengths(first, data):
    unit_ids = first[0].unit_ids.tolist()
    others = data.draw(st.lists(sortings(num_segments=1, unit_ids=unit_ids), max_size=2))
    cases = [first, *others]
    lengths = [
        int(spikes["sample_index"].max(initial=-1)) + 1 + data.draw(st.integers(0, 5))
        for _, spikes in cases
    ]
    view = concatenate_sortings([sorting for sorting, _ in cases], total_samples_list=lengths)
    offsets = np.cumsum([0, *lengths])
    assert view.get_num_samples() == offsets[-1]
    expected = [shifted(spikes, sample=o) for (_, spikes), o in zip(cases, offsets)]
    assert_matches(view, np.concatenate(expected))


@PROPERTY_SETTINGS
@given(case=sortings(num_segments=1), lengths=st.lists(st.integers(1, 30), min_size=1, max_size=4))
def test_split_sorting_cuts_at_recording_lengths(case, lengths):
    sorting, spikes = case
    lengths[-1] += 61  # the last piece reaches past every spike
    bounds = np.cumsum([0, *lengths])
    piece = np.searchsorted(bounds, spikes["sample_index"], side="right") - 1
    expected = spikes.copy()
    expected["segment_index"] = piece
    expected["sample_index"] -= bounds[piece]
    view = split_sorting(sorting, [recording(n) for n in lengths])
    assert [view.get_num_samples(i) for i in range(len(lengths))] == lengths
    assert_matches(view, expected)


@PROPERTY_SETTINGS
@given(case=sortings(), data=st.data())
def test_select_segment_sorting_keeps_the_given_segments(case, data):
    sorting, spikes = case
    segment = st.integers(0, sorting.get_num_segments() - 1)
    indices = data.draw(st.lists(segment, min_size=1, max_size=3, unique=True))
    parts = [spikes[spikes["segment_index"] == old] for old in indices]
    expected = np.concatenate(
        [shifted(part, segment=new - old) for new, (part, old) in enumerate(zip(parts, indices))]
    )
    assert_matches(select_segment_sorting(sorting, indices), expected)


@PROPERTY_SETTINGS
@given(case=sortings(num_segments=1), data=st.data())
def test_views_of_views_compose(case, data):
    sorting, spikes = case
    start = data.draw(st.integers(0, 30))
    chosen = data.draw(st.permutations(range(sorting.get_num_units())))
    inner_view = sorting.frame_slice(start, 70).select_units(sorting.unit_ids[chosen])
    view = aggregate_units([inner_view, sorting])
    inner = shifted(spikes[spikes["sample_index"] >= start], sample=-start)
    lookup = np.argsort(np.asarray(chosen, dtype="int64")) if chosen else np.zeros(0, "int64")
    inner["unit_index"] = lookup[inner["unit_index"]]
    assert_matches(view, np.concatenate([inner, shifted(spikes, unit=len(chosen))]))


# ------------------------------------------------------------------ select_units
def test_select_units_keeps_the_given_order():
    view = simple_sorting().select_units([2, 0])
    assert view.unit_ids.tolist() == [2, 0]
    assert spikes_of(view) == [(1, 1, 0), (9, 1, 0), (12, 0, 0)]


def test_select_units_copies_metadata_of_the_kept_units():
    sorting = simple_sorting()
    sorting.set_property("quality", np.array(["good", "bad", "noise"]))
    sorting.annotate(sorter="ks")
    view = sorting.select_units([2, 1])
    assert view.get_property("quality").tolist() == ["noise", "bad"]
    assert view.get_annotation("sorter") == "ks"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_ids": [0, 7]}, "unit_ids: .*7.* is not among the unit_ids"),
        ({"unit_ids": [0, 0]}, "unit_ids has duplicates"),
        ({"unit_ids": [0, 1], "renamed_unit_ids": [5]}, "renamed_unit_ids has 1 ids for 2"),
        ({"unit_ids": [0, 1], "renamed_unit_ids": [5, 5]}, "renamed_unit_ids has duplicates"),
    ],
)
def test_select_units_rejects_bad_ids(kwargs, message):
    with pytest.raises(ValueError, match=message):
        UnitsSelectionSorting(simple_sorting(), **kwargs)


def test_select_units_keeps_the_registered_recording():
    sorting = simple_sorting()
    sorting.register_recording(recording(20))
    assert sorting.select_units([1])._recording is sorting._recording


def test_select_units_of_every_unit_shares_the_parent_vector():
    sorting = simple_sorting()
    view = sorting.select_units(sorting.unit_ids)
    assert np.shares_memory(view.to_spike_vector(), sorting.to_spike_vector())


def test_select_units_orders_simultaneous_spikes_by_new_unit_index():
    sorting = make_sorting([(4, 0, 0), (4, 1, 0), (4, 2, 0)])
    assert spikes_of(sorting.select_units([2, 0, 1])) == [(4, 0, 0), (4, 1, 0), (4, 2, 0)]


def test_views_derive_their_vector_from_cached_vectors():
    inner = simple_sorting().frame_slice(2, 20)
    outer = inner.select_units([0])
    outer.to_spike_vector()
    assert inner._cached_spike_vector is not None


def test_view_spike_vector_is_read_only():
    with pytest.raises(ValueError, match="read-only"):
        simple_sorting().select_units([2, 0]).to_spike_vector()["sample_index"][0] = 99


# ------------------------------------------------------------------ frame_slice
def test_frame_slice_default_end_is_after_the_last_spike():
    assert simple_sorting().frame_slice(2, None).end_frame == 13


def test_frame_slice_works_when_every_unit_is_empty():
    view = make_sorting([]).frame_slice(0, None)
    assert view.count_total_num_spikes() == 0
    assert view.get_unit_spike_train(0).size == 0


def test_frame_slice_works_when_some_units_are_empty():
    view = make_sorting([(3, 1, 0)]).frame_slice(1, None)
    assert view.count_num_spikes_per_unit() == {0: 0, 1: 1, 2: 0}


def test_frame_slice_after_the_last_spike_is_empty_with_an_explicit_end():
    assert simple_sorting().frame_slice(50, 60).count_total_num_spikes() == 0


def test_frame_slice_after_the_last_spike_needs_an_end_without_a_recording():
    # as SpikeInterface: the default end is the frame after the last spike
    with pytest.raises(AssertionError, match="default end_frame"):
        simple_sorting().frame_slice(50, None)


def test_frame_slice_default_end_is_the_recording_length():
    sorting = simple_sorting()
    sorting.register_recording(recording(40))
    view = sorting.frame_slice(10, None)
    assert (view.end_frame, view.get_num_samples()) == (40, 30)


def test_frame_slice_registers_the_sliced_recording_with_absolute_times():
    sorting = simple_sorting()
    sorting.register_recording(recording(40))
    view = sorting.frame_slice(4, 30)
    np.testing.assert_allclose(view.get_unit_spike_train(0, return_times=True), [0.009])


def test_frame_slice_times_stay_absolute_without_a_recording():
    view = simple_sorting().frame_slice(4, 30)
    np.testing.assert_allclose(view.get_unit_spike_train(0, return_times=True), [0.009])


def test_register_recording_warns_of_spikes_past_its_end():
    sorting = simple_sorting()
    with pytest.warns(UserWarning, match="unit 2 has a spike at sample 12 of segment 0"):
        sorting.register_recording(recording(10))
    assert sorting.has_recording()


def test_frame_slice_refuses_spikes_beyond_the_recording():
    sorting = simple_sorting()
    sorting.register_recording(recording(10), check_spike_frames=False)
    with pytest.raises(ValueError, match="up to frame 12"):
        sorting.frame_slice(0, 5)


def test_frame_slice_can_skip_the_spike_check():
    sorting = simple_sorting()
    sorting.register_recording(recording(10), check_spike_frames=False)
    assert spikes_of(sorting.frame_slice(0, 5, check_spike_frames=False)) == [(1, 0, 0)]


@pytest.mark.parametrize(
    ("start", "end", "error", "message"),
    [
        (-1, 5, ValueError, "start_frame must be >= 0"),
        (5, 5, ValueError, r"end_frame \(5\) must be after start_frame \(5\)"),
        (0, 50, ValueError, r"end_frame \(50\) is beyond the registered recording"),
        (1.5, 5, ValueError, "start_frame must be a whole number"),
        ("1", 5, TypeError, "start_frame must be an integer"),
    ],
)
def test_frame_slice_rejects_bad_frames(start, end, error, message):
    sorting = simple_sorting()
    sorting.register_recording(recording(40))
    with pytest.raises(error, match=message):
        sorting.frame_slice(start, end)


def test_frame_slice_needs_a_mono_segment_sorting():
    with pytest.raises(ValueError, match="mono-segment"):
        FrameSliceSorting(make_sorting([], num_segments=2), 0, 5)


# ------------------------------------------------------------------ aggregate_units
def test_aggregate_units_is_the_class():
    assert aggregate_units is UnitsAggregationSorting


def test_aggregate_units_renames_ids():
    view = aggregate_units([simple_sorting(), simple_sorting()], renamed_unit_ids=list("abcdef"))
    assert view.unit_ids.tolist() == list("abcdef")
    np.testing.assert_array_equal(view.get_unit_spike_train("d"), [1, 9])


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (simple_sorting(fs=2000.0), r"sorting_list\[1\] has sampling frequency 2000.0 Hz"),
        (make_sorting([], num_segments=2), r"sorting_list\[1\] has 2 segments"),
    ],
)
def test_aggregate_units_names_the_mismatch(other, message):
    with pytest.raises(ValueError, match=message):
        aggregate_units([simple_sorting(), other])


def test_aggregate_units_rejects_renamed_ids_of_the_wrong_size():
    with pytest.raises(ValueError, match="renamed_unit_ids has 2 ids for 6 units"):
        aggregate_units([simple_sorting(), simple_sorting()], renamed_unit_ids=[1, 2])


def test_aggregate_units_keeps_annotations_equal_in_all():
    first, second = simple_sorting(), simple_sorting()
    first.annotate(lab="x", probe=np.arange(3), day=1)
    second.annotate(lab="x", probe=np.arange(3), day=2)
    view = aggregate_units([first, second])
    assert sorted(view.get_annotation_keys()) == ["lab", "probe"]


def test_aggregate_units_fills_missing_properties_with_defaults():
    first, second = simple_sorting(), simple_sorting()
    first.set_property("snr", np.array([1.0, 2.0, 3.0]))
    second.set_property("label", np.array(["a", "b", "c"]))
    view = aggregate_units([first, second])
    np.testing.assert_array_equal(view.get_property("snr"), [1, 2, 3] + [np.nan] * 3)
    assert view.get_property("label").tolist() == ["", "", "", "a", "b", "c"]


def test_aggregate_units_drops_a_missing_property_without_default():
    first = simple_sorting()
    first.set_property("count", np.array([1, 2, 3]))
    with pytest.warns(UserWarning, match="'count' is dropped"):
        view = aggregate_units([first, simple_sorting()])
    assert "count" not in view.get_property_keys()


def test_aggregate_units_drops_a_property_of_mixed_kinds():
    first, second = simple_sorting(), simple_sorting()
    first.set_property("x", np.array([1.0, 2.0, 3.0]))
    second.set_property("x", np.array(["a", "b", "c"]))
    with pytest.warns(UserWarning, match="'x' is dropped"):
        view = aggregate_units([first, second])
    assert "x" not in view.get_property_keys()


def test_aggregate_units_exposes_the_sortings():
    sortings_list = [simple_sorting(), simple_sorting()]
    assert aggregate_units(sortings_list).sortings == sortings_list


# ------------------------------------------------------------------ append / concatenate
def test_segment_functions_are_the_classes():
    assert append_sortings is AppendSegmentSorting
    assert concatenate_sortings is ConcatenateSegmentSorting
    assert select_segment_sorting is SelectSegmentSorting
    assert split_sorting is SplitSegmentSorting


def test_append_sortings_names_different_unit_ids():
    other = simple_sorting().rename_units([0, 1, 5])
    with pytest.raises(ValueError, match=r"sorting_list\[1\] has unit id 5 at position 2"):
        append_sortings([simple_sorting(), other])


def test_append_sortings_refuses_rates_too_far_apart():
    with pytest.raises(ValueError, match="sampling_frequency_max_diff"):
        append_sortings([simple_sorting(), simple_sorting(fs=1001.0)])


def test_append_sortings_warns_for_rates_within_the_max_diff():
    with pytest.warns(UserWarning, match="within sampling_frequency_max_diff"):
        append_sortings(
            [simple_sorting(), simple_sorting(fs=1001.0)], sampling_frequency_max_diff=2
        )


def test_append_sortings_keeps_trailing_empty_segments():
    view = append_sortings([make_sorting([(1, 0, 0)], num_segments=3), simple_sorting()])
    assert view.get_num_segments() == 4
    assert view.get_unit_spike_train(0, segment_index=2).size == 0


def test_concatenate_sortings_knows_its_length_without_a_recording():
    view = concatenate_sortings([simple_sorting(), simple_sorting()], total_samples_list=[20, 15])
    assert (view.get_num_samples(), view.get_total_samples()) == (35, 35)


def test_concatenate_sortings_registers_the_concatenated_recording():
    first, second = simple_sorting(), simple_sorting()
    first.register_recording(recording(20))
    second.register_recording(recording(30))
    view = concatenate_sortings([first, second])
    assert view.get_num_samples() == view._recording.get_num_samples() == 50
    np.testing.assert_array_equal(view.get_unit_spike_train(0), [1, 9, 21, 29])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give total_samples_list"),
        ({"total_samples_list": [20]}, "total_samples_list has 1 values for 2 sortings"),
        ({"total_samples_list": [20, 10]}, r"sorting_list\[1\] segment 0 has a spike at frame 12"),
        ({"total_samples_list": [20, -1]}, r"total_samples_list\[1\] must be an integer >= 0"),
        ({"total_samples_list": [20, 20], "ignore_times": False}, "need ignore_times=True"),
    ],
)
def test_concatenate_sortings_rejects_bad_lengths(kwargs, message):
    with pytest.raises(ValueError, match=message):
        concatenate_sortings([simple_sorting(), simple_sorting()], **kwargs)


def test_concatenate_sortings_needs_mono_segment_sortings_without_recordings():
    with pytest.raises(ValueError, match=r"sorting_list\[0\] has 2 segments"):
        concatenate_sortings([make_sorting([], num_segments=2)], total_samples_list=[10])


def test_concatenate_sortings_refuses_lengths_with_recordings():
    sorting = simple_sorting()
    sorting.register_recording(recording(20))
    with pytest.raises(ValueError, match="total_samples_list must be None"):
        concatenate_sortings([sorting], total_samples_list=[20])


# ------------------------------------------------------------------ split / select
def test_split_sorting_uses_the_parts_of_a_concatenated_recording():
    parts = [recording(10), recording(5, num_segments=2)]
    view = split_sorting(simple_sorting(), concatenate_recordings(parts))
    assert [view.get_num_samples(i) for i in range(3)] == [10, 5, 5]
    assert spikes_of(view) == [(1, 0, 0), (5, 1, 0), (9, 0, 0), (2, 2, 1)]


def test_split_sorting_pieces_have_times_from_zero():
    view = split_sorting(simple_sorting(), [recording(10), recording(10)])
    np.testing.assert_allclose(view.get_unit_spike_train(2, 1, return_times=True), [0.002])


def test_split_sorting_warns_about_spikes_after_the_recordings():
    with pytest.warns(UserWarning, match="spikes after frame 10"):
        view = split_sorting(simple_sorting(), [recording(10)])
    assert view.count_total_num_spikes() == 3


def test_split_sorting_needs_a_recording():
    with pytest.raises(ValueError, match="no registered recording"):
        split_sorting(simple_sorting())


def test_split_sorting_rejects_other_objects():
    with pytest.raises(TypeError, match="recording_or_recording_list must be"):
        split_sorting(simple_sorting(), "recording")


def test_split_sorting_rejects_an_empty_list():
    with pytest.raises(ValueError, match="recording_or_recording_list is empty"):
        split_sorting(simple_sorting(), [])


def test_split_sorting_needs_a_mono_segment_sorting():
    with pytest.raises(ValueError, match="must be mono-segment"):
        split_sorting(make_sorting([], num_segments=2), [recording(10)])


def test_select_segment_sorting_keeps_the_recording_segments():
    sorting = make_sorting([(3, 0, 1)], num_segments=3)
    sorting.register_recording(NumpyRecording([np.zeros((n, 1)) for n in (10, 20, 30)], FS))
    view = select_segment_sorting(sorting, [2, 1])
    assert [view.get_num_samples(i) for i in range(2)] == [30, 20]


def test_select_segment_sorting_keeps_a_trailing_empty_segment():
    view = select_segment_sorting(make_sorting([(3, 0, 0)], num_segments=3), 2)
    assert (view.get_num_segments(), view.count_total_num_spikes()) == (1, 0)


@pytest.mark.parametrize(
    ("indices", "error", "message"),
    [
        (3, ValueError, "3 is out of range, the sorting has 3 segments"),
        ([], ValueError, "segment_indices is empty"),
        ([True], TypeError, "segment_indices must be an int or a list of ints"),
    ],
)
def test_select_segment_sorting_rejects_bad_indices(indices, error, message):
    with pytest.raises(error, match=message):
        select_segment_sorting(make_sorting([], num_segments=3), indices)


def test_sorting_lists_must_hold_sortings():
    with pytest.raises(TypeError, match=r"sorting_list\[1\] must be a sorting"):
        append_sortings([simple_sorting(), recording(10)])


# ------------------------------------------------------------------ serialization
VIEWS = {
    "select_units": lambda s: s.select_units([2, 0], renamed_unit_ids=["a", "b"]),
    "frame_slice": lambda s: s.frame_slice(2, 11),
    "aggregate": lambda s: aggregate_units([s, s.select_units([1])]),
    "append": lambda s: append_sortings([s, s]),
    "concatenate": lambda s: concatenate_sortings([s, s], total_samples_list=[13, 20]),
    "split": lambda s: split_sorting(s, [recording(6), recording(30)]),
    "select_segments": lambda s: select_segment_sorting(append_sortings([s, s]), [1]),
}


@pytest.mark.parametrize("name", VIEWS)
def test_clone_rebuilds_the_view(name):
    view = VIEWS[name](simple_sorting())
    view.set_property("note", np.array(["x"] * view.get_num_units()))
    copy = view.clone()
    assert type(copy) is type(view)
    assert copy.get_property("note").tolist() == view.get_property("note").tolist()
    assert spikes_of(copy) == spikes_of(view)


@pytest.mark.parametrize("name", VIEWS)
def test_pickle_rebuilds_the_view(name):
    view = VIEWS[name](simple_sorting())
    copy = pickle.loads(pickle.dumps(view))
    assert copy.unit_ids.tolist() == view.unit_ids.tolist()
    assert spikes_of(copy) == spikes_of(view)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("select_units", "unitsselectionsorting.UnitsSelectionSorting"),
        ("frame_slice", "frameslicesorting.FrameSliceSorting"),
        ("aggregate", "unitsaggregationsorting.UnitsAggregationSorting"),
        ("append", "segmentutils.AppendSegmentSorting"),
        ("concatenate", "segmentutils.ConcatenateSegmentSorting"),
        ("split", "segmentutils.SplitSegmentSorting"),
        ("select_segments", "segmentutils.SelectSegmentSorting"),
    ],
)
def test_views_are_described_with_spikeinterface_class_paths(name, path):
    assert VIEWS[name](simple_sorting()).to_dict()["class"] == f"spikeinterface.core.{path}"


@pytest.mark.parametrize("name", [name for name in VIEWS if name != "split"])
def test_json_dump_and_load_rebuild_the_view_of_a_saved_sorting(name, tmp_path):
    saved = simple_sorting().save(folder=tmp_path / "sorting", verbose=False)
    view = VIEWS[name](saved)
    view.dump_to_json(tmp_path / "view.json")
    assert spikes_of(load_extractor(tmp_path / "view.json")) == spikes_of(view)
