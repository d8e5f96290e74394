"""Trace frames: baselines, extents reused between restyles, only the rows on screen painted,
heat-map colours (no Qt)."""

import numpy as np
import pytest

from app.model.decimation import decimate_min_max
from app.model.trace_fetcher import TraceWindow
from app.model.trace_frame import HEATMAP, STACKED, TraceStyle, render_frame

RATE = 30_000.0


def window_of(traces, num_pixels, request_id=1):
    data, offsets = decimate_min_max(traces, num_pixels)
    return TraceWindow(
        request_id=request_id,
        segment_index=0,
        start_frame=0,
        end_frame=traces.shape[0],
        channel_ids=np.arange(traces.shape[1]),
        return_scaled=False,
        num_pixels=num_pixels,
        times=offsets / RATE,
        data=data,
        raw_shape=traces.shape,
    )


def style_of(num_channels, first=0, count=None, mode=STACKED, height=200, spacing=100.0):
    return TraceStyle(
        mode=mode,
        height=height,
        gain=1.0,
        spacing=spacing,
        shown=np.arange(num_channels),
        first=first,
        count=num_channels - first if count is None else count,
        selected=np.empty(0, dtype="int64"),
        colors=(0xFF000001, 0xFF000002),
    )


def render(window, style, previous=None):
    return render_frame(window, style, RATE, lambda s: s / RATE, previous)


@pytest.mark.parametrize("num_pixels", [300, 301, 500, 1000])
def test_baselines_are_the_middle_of_the_traces_whatever_the_width(num_pixels):
    rng = np.random.default_rng(0)
    traces = (rng.normal(0, 10, (30_000, 3)) + [0, 500, -200]).astype("float32")
    frame = render(window_of(traces, num_pixels), style_of(3))
    np.testing.assert_allclose(frame.centres, [0, 500, -200], atol=3)


def test_a_restyle_reuses_the_extents_of_the_same_window():
    traces = np.random.default_rng(1).normal(0, 10, (3_000, 4)).astype("float32")
    window = window_of(traces, 100)
    first = render(window, style_of(4))
    again_window = TraceWindow(**{**window.__dict__, "request_id": 2})
    again = render(again_window, style_of(4, spacing=50.0), previous=first)
    assert again.lo is first.lo and again.window.request_id == 2
    assert not np.array_equal(again.pixels, first.pixels)
    other = render(window_of(traces * 2, 100), style_of(4), previous=first)
    assert other.lo is not first.lo


def test_a_superseded_frame_is_not_painted():
    traces = np.random.default_rng(2).normal(0, 10, (3_000, 4)).astype("float32")
    window, asked = window_of(traces, 100), []

    def superseded(answer):
        asked.append(answer)
        return answer

    assert (
        render_frame(window, style_of(4), RATE, lambda s: s / RATE, None, lambda: superseded(True))
        is None
    )
    frame = render_frame(
        window, style_of(4), RATE, lambda s: s / RATE, None, lambda: superseded(False)
    )
    assert asked == [True, False]
    np.testing.assert_array_equal(frame.pixels, render(window, style_of(4)).pixels)
    assert (frame.pixels == 0xFF000001).any()


def test_only_the_rows_on_screen_and_their_margin_are_painted():
    traces = np.zeros((3_000, 20), dtype="float32")
    traces[::7, 0] = 1e4  # a huge trace on the deepest channel, far below the screen
    frame = render(window_of(traces, 100), style_of(20, first=10, count=5))
    bottom_row = frame.pixels.shape[0] - 1 - int(200 / 6)
    assert frame.pixels[bottom_row].all()  # channel 10 is drawn at its baseline
    assert not np.isin(frame.pixels, [0xFF000001]).all(axis=0).any()  # channel 0 is not
    assert frame.style.y_range() == (9.0, 15.0)


def test_heatmap_paints_each_channel_as_a_band_of_the_colour_map():
    traces = np.zeros((3_000, 4), dtype="float32")
    traces[:, 1] = np.where(np.arange(3_000) % 2, -50.0, 50.0)  # peaks at +-50
    traces[1500, 2] = -400.0
    lut = np.arange(256, dtype="uint32") + 0xFF000000
    style = TraceStyle(HEATMAP, 40, 1.0, 1.0, np.arange(4), 0, 4, np.empty(0, int), (1, 2), lut=lut)
    frame = render(window_of(traces, 100), style)
    assert frame.heat.shape == (100, 4) and frame.pixels.shape == (40, 100)
    level = frame.level
    column = int(np.argmin(frame.heat[:, 2]))
    assert frame.heat[column, 2] == -400.0
    band_of_channel_2 = frame.pixels[10:20, column]  # top row first: channel 3 on top
    expected = lut[int(np.clip(np.rint((-400.0 / level + 1) * 127.5), 0, 255))]
    assert np.all(band_of_channel_2 == expected)
    assert np.all(frame.pixels[30:40] == lut[128])  # channel 0: flat, the middle of the map


def test_rows_columns_values_and_hits_under_the_pointer():
    traces = np.zeros((100, 6), dtype="float32")
    traces[50, 3] = -80.0  # a trough on channel 3 in column 50
    frame = render(window_of(traces, 100), style_of(6, first=2, count=3, height=400))
    assert [frame.row_at(y) for y in (1.4, 2.4, 4.6, 5.0)] == [None, 2, None, None]
    assert frame.column_at(50.5 / RATE) == 50 and frame.column_at(-1.0) is None
    assert frame.value_at(50.5 / RATE, 3.0) == (3, -80.0)
    # 400 px for 4 row spacings: 100 px per row; the trough reaches 0.8 rows below row 3, into
    # row 2's half
    assert frame.trace_at(50.5 / RATE, 2.3, tolerance_px=4) == 3
    assert frame.trace_at(50.5 / RATE, 2.03, tolerance_px=4) == 2  # nearer row 2's baseline
    assert frame.trace_at(10.5 / RATE, 2.7, tolerance_px=4) is None  # between flat traces
    assert frame.trace_at(10.5 / RATE, 3.03, tolerance_px=4) == 3


@pytest.mark.parametrize("first", [0, 3])
def test_painting_every_channel_equals_painting_them_among_more(first):
    # every channel painted (in the recording's order, no gather) gives the pixels of the same
    # channels painted as a part of a larger recording (picked in list order)
    from dataclasses import replace

    from app.model.spike_marks import SpikeMarks
    from app.model.trace_frame import paint_frame

    rng = np.random.default_rng(7)
    traces = rng.normal(0, 30, (6_000, 9)).astype("float32")
    traces[::50, 4] -= 400  # large excursions reach over the neighbours
    shown = rng.permutation(8)  # channel 8 is the extra one, never shown
    marks = SpikeMarks(
        sample_indices=np.array([1_000, 3_000]),
        times=np.array([1_000, 3_000]) / RATE,
        first_times=np.array([990, 2_990]) / RATE,
        last_times=np.array([1_010, 3_010]) / RATE,
        unit_indices=np.array([0, 1]),
        positions=np.array([first + 1, first + 4]),
        colors=np.array([0xFF0000AA, 0xFF00AA00], dtype="uint32"),
        emphasised=np.array([False, True]),
    )
    pictures = []
    for channels in (8, 9):  # painted alone, then among 9
        style = replace(
            style_of(8, first=first, count=8 - first, height=300),
            shown=shown,
            selected=shown[[first + 2]],
            dimmed=shown[[first + 3]],
        )
        frame = render(window_of(traces[:, :channels], 500), style)
        pictures.append(paint_frame(replace(frame, marks=marks), style).pixels)
    colours = set(np.unique(pictures[0]).tolist())
    assert {0xFF000001, 0xFF000002, 0xFFB0B0B0, 0xFF0000AA, 0xFF00AA00} <= colours
    np.testing.assert_array_equal(pictures[0], pictures[1])
