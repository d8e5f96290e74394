"""Min/max decimation, per-column extents of a polyline and span rasterization (no Qt)."""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.model.decimation import (
    column_extents,
    column_medians,
    decimate_min_max,
    decimate_min_max_in_chunks,
    rasterize_spans,
    rasterize_spans_top_down,
    running_maximum_down,
    scratch,
    span_rows,
)


def brute_force_envelope(traces, num_columns):
    """Columns of ceil(S / N) samples, each also holding the previous column's last sample."""
    size = -(-traces.shape[0] // num_columns)
    starts = range(0, traces.shape[0], size)
    low = [traces[max(s - 1, 0) : s + size].min(axis=0) for s in starts]
    high = [traces[max(s - 1, 0) : s + size].max(axis=0) for s in starts]
    return np.array(low), np.array(high), np.array(list(starts))


@settings(max_examples=60, deadline=None)
@given(
    num_samples=st.integers(1, 400),
    num_channels=st.integers(1, 4),
    num_columns=st.integers(1, 60),
    seed=st.integers(0, 2**16),
)
def test_envelope_matches_per_column_min_and_max(num_samples, num_channels, num_columns, seed):
    traces = np.random.default_rng(seed).integers(-500, 500, (num_samples, num_channels))
    traces = traces.astype("int16")
    envelope, offsets = decimate_min_max(traces, num_columns)
    if num_samples <= 2 * num_columns:
        assert envelope is traces
        np.testing.assert_array_equal(offsets, np.arange(num_samples))
        return
    low, high, starts = brute_force_envelope(traces, num_columns)
    assert envelope.shape[0] <= 2 * num_columns and envelope.dtype == traces.dtype
    assert offsets.dtype == np.int64
    np.testing.assert_array_equal(envelope[0::2], low)
    np.testing.assert_array_equal(envelope[1::2], high)
    np.testing.assert_array_equal(offsets, np.repeat(starts, 2))


def test_one_second_at_30_khz_fills_the_pixel_width_with_equal_columns():
    traces = np.zeros((30_000, 2), dtype="int16")
    envelope, offsets = decimate_min_max(traces, 1600)
    assert envelope.shape == (2 * 1579, 2)  # ceil(30000 / 1600) = 19 samples per column
    assert np.all(np.diff(offsets[0::2]) == 19)


def test_a_spike_inside_a_column_survives_decimation():
    traces = np.zeros((10_000, 3), dtype="float32")
    traces[5_003, 1] = -80.0
    envelope, offsets = decimate_min_max(traces, 100)
    column = int(np.argmin(envelope[0::2, 1]))
    assert envelope[2 * column, 1] == -80.0 and offsets[2 * column] <= 5_003
    assert envelope[:, [0, 2]].min() == 0.0


@pytest.mark.parametrize(("shape", "num_columns"), [((10,), 5), ((10, 2), 0)])
def test_decimation_rejects_bad_arguments(shape, num_columns):
    with pytest.raises(ValueError, match="traces|num_columns"):
        decimate_min_max(np.zeros(shape), num_columns)


def test_extents_of_a_sparse_ramp_interpolate_across_columns():
    x = np.array([0.0, 10.0])
    y = np.array([[0.0], [100.0]])
    lo, hi = column_extents(x, y, (0.0, 10.0), 10)
    np.testing.assert_allclose(lo[:, 0], np.arange(10) * 10.0)
    np.testing.assert_allclose(hi[:, 0], np.arange(1, 11) * 10.0)


def test_extents_of_an_envelope_cover_its_columns_and_join_neighbours():
    rng = np.random.default_rng(0)
    traces = rng.normal(size=(6_000, 2)).astype("float32")
    envelope, offsets = decimate_min_max(traces, 200)
    lo, hi = column_extents(offsets, envelope, (0.0, 6_000.0), 200)
    assert np.all(lo <= envelope[0::2]) and np.all(hi >= envelope[1::2])
    # each column's span reaches the next one: the drawn line has no gaps
    assert np.all(lo[1:] <= hi[:-1]) and np.all(hi[1:] >= lo[:-1])


def test_columns_the_line_does_not_reach_are_empty():
    lo, hi = column_extents(np.array([0.0, 1.0]), np.array([[1.0], [2.0]]), (0.0, 4.0), 4)
    assert np.all(lo[2:] > hi[2:])
    assert np.all(np.isfinite(lo[:2])) and np.all(np.isfinite(hi[:2]))


def test_extents_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="x"):
        column_extents(np.zeros(3), np.zeros((4, 1)), (0.0, 1.0), 5)


def test_spans_paint_whole_rows_from_the_bottom():
    lo = np.array([[1.2], [np.inf]])
    hi = np.array([[3.7], [-np.inf]])
    image = rasterize_spans(lo, hi, 6)
    assert image.shape == (6, 2)
    assert image[:, 0].tolist() == [False, True, True, True, False, False]
    assert not image[:, 1].any()


def test_spans_are_clipped_to_the_image():
    image = rasterize_spans(np.array([[-5.0], [8.0]]), np.array([[1.0], [20.0]]), 4)
    assert image[:, 0].tolist() == [True, True, False, False]
    assert not image[:, 1].any()


def test_overlapping_spans_of_several_channels_merge():
    image = rasterize_spans(np.array([[0.0, 2.0]]), np.array([[3.0, 5.0]]), 8)
    assert image[:, 0].tolist() == [True] * 6 + [False] * 2


def painted_pixel_by_pixel(lo, hi, height):
    """The reference: each span's rows set one by one (row 0 at the bottom)."""
    expected = np.zeros((height, lo.shape[0]), dtype=bool)
    for column in range(lo.shape[0]):
        for channel in range(lo.shape[1]):
            first = int(np.clip(lo[column, channel], 0, height))
            stop = int(np.clip(hi[column, channel] + 1, 0, height))
            expected[first:stop, column] = True
    return expected


@settings(max_examples=80, deadline=None)
@given(
    num_columns=st.integers(1, 12),
    num_channels=st.integers(1, 5),
    height=st.integers(1, 30),
    seed=st.integers(0, 2**16),
)
def test_painted_spans_equal_a_pixel_by_pixel_painting(num_columns, num_channels, height, seed):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-10, height + 10, (num_columns, num_channels))
    hi = lo + rng.uniform(-3, 15, (num_columns, num_channels))
    lo[rng.random(lo.shape) < 0.1], hi[rng.random(lo.shape) < 0.1] = np.inf, -np.inf
    expected = painted_pixel_by_pixel(lo, hi, height)
    image = rasterize_spans(lo, hi, height)
    top_down = rasterize_spans_top_down(lo, hi, height)
    np.testing.assert_array_equal(image, expected)
    np.testing.assert_array_equal(top_down, expected[::-1])
    assert top_down.flags.c_contiguous


def test_stacked_traces_with_spans_sharing_their_first_row_equal_a_pixel_by_pixel_painting():
    # a screen-like image: many channels stacked, noise, large excursions crossing neighbours,
    # spans clipped at both edges (so that many start on the same pixel), empty spans
    rng = np.random.default_rng(3)
    num_columns, num_channels, height = 120, 64, 200
    baselines = (np.arange(num_channels) + 1) * height / (num_channels + 1)
    lo = baselines + rng.normal(0, 2, (num_columns, num_channels))
    hi = lo + np.abs(rng.normal(0, 2, lo.shape))
    spikes = rng.random(lo.shape) < 0.05
    lo[spikes] -= rng.uniform(0, 3 * height, spikes.sum())
    hi[spikes] += rng.uniform(0, 3 * height, spikes.sum())
    lo[rng.random(lo.shape) < 0.05], hi[rng.random(lo.shape) < 0.05] = np.inf, -np.inf
    top_down = rasterize_spans_top_down(lo, hi, height)
    np.testing.assert_array_equal(top_down, painted_pixel_by_pixel(lo, hi, height)[::-1])
    assert top_down.flags.c_contiguous
    assert top_down[0].any() and top_down[-1].any()  # spans clipped at both edges


@settings(max_examples=60, deadline=None)
@given(
    num_rows=st.integers(1, 40),
    num_columns=st.integers(1, 6),
    dtype=st.sampled_from(["int16", "float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_column_medians_equal_numpy_medians(num_rows, num_columns, dtype, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 50, (num_rows, num_columns)).astype(dtype)
    values[rng.random(values.shape) < 0.2] = 3  # ties
    expected = np.median(values, axis=0)
    medians = column_medians(values)
    assert medians.dtype == expected.dtype
    np.testing.assert_array_equal(medians, expected)


def test_a_column_holding_nan_has_a_nan_median():
    values = np.arange(12, dtype="float32").reshape(6, 2)
    values[4, 1] = np.nan
    medians = column_medians(values)
    assert medians[0] == np.median(values[:, 0]) and np.isnan(medians[1])


@settings(max_examples=120, deadline=None)
@given(
    num_columns=st.integers(1, 40),
    extra=st.integers(1, 2_000),
    chunk_samples=st.integers(1, 3_000),
    seed=st.integers(0, 2**16),
)
def test_decimating_in_chunks_equals_decimating_the_whole_window(
    num_columns, extra, chunk_samples, seed
):
    num_samples = 2 * num_columns + extra
    traces = np.random.default_rng(seed).integers(-500, 500, (num_samples, 3)).astype("int16")
    reads = []

    def read(start, stop):
        reads.append((start, stop))
        return traces[start:stop]

    envelope, offsets = decimate_min_max_in_chunks(read, num_samples, num_columns, chunk_samples)
    expected, expected_offsets = decimate_min_max(traces, num_columns)
    np.testing.assert_array_equal(envelope, expected)
    np.testing.assert_array_equal(offsets, expected_offsets)
    assert envelope.dtype == traces.dtype
    # adjacent pieces of whole columns covering the window once, none much above the chunk
    assert reads[0][0] == 0 and reads[-1][1] == num_samples
    assert all(a[1] == b[0] for a, b in zip(reads, reads[1:]))
    size = -(-num_samples // num_columns)
    assert all(stop - start <= max(chunk_samples, size) for start, stop in reads)


def test_decimating_in_chunks_refuses_a_window_short_enough_to_pass_through():
    with pytest.raises(ValueError, match="num_samples"):
        decimate_min_max_in_chunks(lambda a, b: np.zeros((b - a, 1)), 20, 10, 5)
    with pytest.raises(ValueError, match="num_columns"):
        decimate_min_max_in_chunks(lambda a, b: np.zeros((b - a, 1)), 20, 0, 5)


def brute_force_extents(x, y, x_range, num_columns):
    """Per column: the line's values at the column's edges (where it crosses them) and at its
    points inside, min and max; empty columns +inf / -inf (float64, NaN samples ignored)."""
    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    px = (x - x_range[0]) * num_columns / (x_range[1] - x_range[0])
    lo = np.full((num_columns, y.shape[1]), np.inf)
    hi = np.full((num_columns, y.shape[1]), -np.inf)
    for column in range(num_columns):
        values = []
        for edge in (column, column + 1):
            after = np.searchsorted(px, edge, side="right")
            if 0 < after < px.size:
                t = (edge - px[after - 1]) / (px[after] - px[after - 1])
                values.append(y[after - 1] + t * (y[after] - y[after - 1]))
        inside = (
            (px >= 0)
            & (px <= num_columns)
            & (np.minimum(px.astype(int), num_columns - 1) == column)
        )
        values += list(y[inside])
        if values:
            stacked = np.array(values)
            with warnings.catch_warnings():  # an all-NaN channel is an empty span
                warnings.simplefilter("ignore", RuntimeWarning)
                lo[column] = np.where(np.isnan(stacked).all(0), np.inf, np.nanmin(stacked, 0))
                hi[column] = np.where(np.isnan(stacked).all(0), -np.inf, np.nanmax(stacked, 0))
    return lo, hi


@settings(max_examples=100, deadline=None)
@given(
    num_points=st.integers(0, 60),
    num_columns=st.integers(1, 50),
    shift=st.floats(-0.5, 0.5),
    zoom=st.floats(0.2, 3.0),
    with_nan=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_extents_equal_the_line_evaluated_column_by_column(
    num_points, num_columns, shift, zoom, with_nan, seed
):
    rng = np.random.default_rng(seed)
    x = np.unique(rng.uniform(0, 10, num_points))  # sorted, distinct
    y = rng.normal(0, 100, (x.size, 3)).astype("float32")
    if with_nan and y.size:
        y[rng.integers(0, x.size), 1] = np.nan
    x_range = (shift * 10, shift * 10 + 10 * zoom)
    lo, hi = column_extents(x, y, x_range, num_columns)
    expected_lo, expected_hi = brute_force_extents(x, y, x_range, num_columns)
    np.testing.assert_allclose(lo, expected_lo, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(hi, expected_hi, rtol=1e-4, atol=1e-3)


def test_scratch_arrays_are_reused_by_name_within_a_thread_only():
    a = scratch("test-a", (4, 5), np.int32)
    assert a.shape == (4, 5) and a.dtype == np.int32
    assert np.shares_memory(scratch("test-a", (2, 3), np.int32), a)  # smaller: the same buffer
    assert not np.shares_memory(scratch("test-b", (4, 5), np.int32), a)
    assert not np.shares_memory(scratch("test-a", (4, 5), np.float32), a)
    assert scratch("test-a", (50, 50), np.int32).shape == (50, 50)  # grown
    other = []
    thread = threading.Thread(target=lambda: other.append(scratch("test-a", (50, 50), np.int32)))
    thread.start()
    thread.join()
    assert not np.shares_memory(other[0], scratch("test-a", (50, 50), np.int32))


def test_rasterized_images_are_not_overwritten_by_the_next_one():
    rng = np.random.default_rng(3)
    spans = [rng.uniform(-5, 45, (30, 4)) for _ in range(4)]
    first = rasterize_spans_top_down(spans[0], spans[0] + 3, 40)
    expected = first.copy()
    second = rasterize_spans_top_down(spans[1], spans[1] + 8, 40)
    np.testing.assert_array_equal(first, expected)
    assert not np.shares_memory(first, second)
    # a float64 and a float32 input of the same spans paint the same pixels as a span by span
    # painting (the work arrays take each input's dtype)
    low = spans[2]
    for lo, hi in ((low, low + 2.5), (low.astype("float32"), (low + 2.5).astype("float32"))):
        image = rasterize_spans_top_down(lo, hi, 40)
        start, stop = span_rows(lo, hi, 40)
        brute = np.zeros((40, 30), dtype=bool)
        for column, channel in np.ndindex(lo.shape):
            brute[40 - stop[column, channel] : 40 - start[column, channel], column] = True
        np.testing.assert_array_equal(image, brute)


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 70), columns=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_running_maximum_down_equals_an_accumulate_down_each_column(rows, columns, seed):
    # rows around and across multiples of the block size: no block, one, several and a rest
    image = np.random.default_rng(seed).integers(-500, 500, (rows, columns)).astype("int16")
    expected = np.maximum.accumulate(image, axis=0)
    running_maximum_down(image)
    np.testing.assert_array_equal(image, expected)
