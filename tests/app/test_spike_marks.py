"""Spike marks: found on each unit's channel, painted over the trace only (no Qt)."""

import numpy as np

import core as si
from app.model.spike_marks import (
    MAX_SPIKE_MARKS,
    SpikeMarkerStyle,
    SpikeTrainIndex,
    find_spike_marks,
    paint_spike_marks,
)


def marker_style(sorting, unit_channels, emphasised=None):
    num_units = sorting.get_num_units()
    return SpikeMarkerStyle(
        spikes=SpikeTrainIndex(sorting),
        unit_channels=np.asarray(unit_channels),
        colors=np.arange(num_units, dtype="uint32") + 0xFF000010,
        emphasised=np.zeros(num_units, bool) if emphasised is None else np.asarray(emphasised),
        samples_before=2,
        samples_after=3,
    )


def sorting():
    return si.NumpySorting.from_unit_dict(
        {"a": np.array([10, 50, 90]), "b": np.array([20, 60]), "c": np.array([30])},
        sampling_frequency=1_000.0,
    )


def find(style, rows=(0, 10), position_of_channel=None, start=0, end=100):
    if position_of_channel is None:
        position_of_channel = np.arange(8)
    return find_spike_marks(style, 0, start, end, position_of_channel, rows, lambda s: s / 1e3)


def test_marks_are_the_windows_spikes_on_their_units_rows():
    marks = find(marker_style(sorting(), [4, 1, 6]), start=15, end=70)
    assert marks.sample_indices.tolist() == [20, 30, 50, 60]
    assert marks.positions.tolist() == [1, 6, 4, 1]
    assert marks.colors.tolist() == [0xFF000011, 0xFF000012, 0xFF000010, 0xFF000011]
    np.testing.assert_allclose(marks.first_times, [0.018, 0.028, 0.048, 0.058])
    np.testing.assert_allclose(marks.last_times, [0.023, 0.033, 0.053, 0.063])


def test_units_without_a_channel_or_off_screen_are_left_out():
    marks = find(marker_style(sorting(), [4, -1, 6]), rows=(0, 5))
    assert set(marks.unit_indices.tolist()) == {0}
    unlisted = np.array([0, 1, 2, 3, -1, 5, 6, 7])  # channel 4 not listed
    assert len(find(marker_style(sorting(), [4, -1, -1]), position_of_channel=unlisted)) == 0


def test_emphasised_marks_come_last():
    marks = find(marker_style(sorting(), [1, 2, 3], emphasised=[False, True, False]))
    assert marks.unit_indices.tolist()[-2:] == [1, 1]


def test_too_many_spikes_are_not_marked():
    many = si.NumpySorting.from_unit_dict(
        {0: np.arange(MAX_SPIKE_MARKS + 1)}, sampling_frequency=1_000.0
    )
    marks = find(marker_style(many, [0]), end=MAX_SPIKE_MARKS + 1)
    assert len(marks) == 0 and marks.skipped == MAX_SPIKE_MARKS + 1


def test_painting_colours_only_the_trace_pixels_under_the_mark():
    height, columns = 40, 30
    start = np.full((columns, 2), 10.0)  # channel 0: rows 10..12
    stop = np.full((columns, 2), 12.0)
    start[:, 1], stop[:, 1] = 25.0, 25.0  # channel 1: row 25
    pixels = np.zeros((height, columns), dtype="uint32")
    trace = np.zeros((height, columns), bool)
    trace[height - 13 : height - 10, :] = True
    trace[height - 26, :] = True
    pixels[trace] = 1
    marks = find(marker_style(sorting(), [0, 1, 0]), start=15, end=35)  # b@20 on row 1, c@30 row 0
    paint_spike_marks(
        pixels, marks, (np.array([4, 14]), np.array([6, 16])), (start, stop), (0, 2), thicken=0
    )
    coloured = pixels > 1
    assert np.array_equal(coloured, trace & coloured)  # never outside the trace
    assert coloured[height - 26, 4:7].all() and not coloured[height - 26, 7:].any()
    assert coloured[height - 13 : height - 10, 14:17].all()


def test_emphasised_and_thickened_marks_grow_around_the_trace():
    start = np.full((20, 1), 10.0)
    stop = start.copy()  # row 10
    pixels = np.zeros((30, 20), dtype="uint32")
    marks = find(marker_style(sorting(), [0, -1, -1], emphasised=[True, False, False]), end=15)
    paint_spike_marks(pixels, marks, (np.array([8]), np.array([10])), (start, stop), (0, 1))
    rows, cols = np.nonzero(pixels)
    assert (cols.min(), cols.max()) == (7, 11)  # a column wider each side
    assert (30 - 1 - rows.max(), 30 - 1 - rows.min()) == (8, 12)  # 2 rows thicker each side


def test_the_spike_index_reads_the_spike_vector_once_and_per_segment():
    two = si.NumpySorting.from_unit_dict(
        [{"a": np.array([5, 40]), "b": np.array([20])}, {"a": np.array([7]), "b": np.array([8])}],
        sampling_frequency=1_000.0,
    )
    calls = []
    original = two.to_spike_vector

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    two.to_spike_vector = counted
    index = SpikeTrainIndex(two)
    assert index.spikes_between(0, 10, 50)["sample_index"].tolist() == [20, 40]
    assert index.spikes_between(1, 0, 10)["unit_index"].tolist() == [0, 1]
    assert index.spikes_between(2, 0, 10).size == 0
    assert len(calls) == 1
