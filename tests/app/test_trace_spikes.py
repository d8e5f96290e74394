"""TraceView spike marks: on each unit's own channel (session.unit_channel_ids), coloured
strokes over the waveform, visible units only, selected units emphasised."""

import numpy as np
import pytest

import core as si
from app.theme import current_theme
from app.views.spike_marker_colors import DIMMED_WEIGHT
from tests.app import trace_view_helpers
from tests.app.trace_view_helpers import (
    baseline_pixel_row,
    open_session,
    wait_drawn,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


def argb(color):
    return 0xFF000000 | color.rgb() & 0xFFFFFF


@pytest.fixture
def spread(demo):
    """Unit ``i`` on channel ``(7 i) % 64`` of the demo."""
    channel_ids = demo.recording.channel_ids
    return {
        unit: channel_ids[(7 * i) % 64].item()
        for i, unit in enumerate(demo.sorting.unit_ids.tolist())
    }


@pytest.fixture
def session_with_channels(demo, spread):
    session = open_session(recording=demo.recording, sorting=demo.sorting)
    session.set_unit_channels(spread)
    return session


def spikes_in_window(session, demo):
    start, end = session.frame_window
    spikes = demo.sorting.to_spike_vector(concatenated=False)[0]
    return spikes[(spikes["sample_index"] >= start) & (spikes["sample_index"] < end)]


def test_marks_sit_on_each_units_channel_in_its_colour(make_view, session_with_channels, demo):
    session = session_with_channels
    view = make_view(session)
    marks = view.spike_marks()
    spikes = spikes_in_window(session, demo)
    assert len(marks) == spikes.size > 0
    order = np.argsort(marks.sample_indices, kind="stable")
    np.testing.assert_array_equal(marks.sample_indices[order], spikes["sample_index"])
    unit_ids = demo.sorting.unit_ids[marks.unit_indices]
    channel_order = view.channel_order().tolist()
    expected_rows = [channel_order.index(session.unit_channel_ids[u]) for u in unit_ids.tolist()]
    assert marks.positions.tolist() == expected_rows
    theme = current_theme()
    expected_colours = [argb(theme.unit_color(session.unit_color_index(u))) for u in unit_ids]
    assert marks.colors.tolist() == expected_colours


def test_marks_colour_the_trace_at_the_spike(make_view, session_with_channels):
    view = make_view(session_with_channels)
    marks, frame = view.spike_marks(), view.displayed_frame()
    pixels = view.stacked_pixels()
    left, right = frame.x_span
    for index in range(0, len(marks), max(len(marks) // 20, 1)):
        column = int((marks.times[index] - left) / (right - left) * pixels.shape[1])
        row = baseline_pixel_row(view, marks.positions[index])
        band = pixels[row - 12 : row + 12, max(column - 1, 0) : column + 2]
        assert np.any(np.isin(band, marks.colors)), f"no mark at spike {index}"


def test_units_without_a_known_channel_get_no_mark_until_it_is_known(
    qtbot, make_view, demo, spread
):
    session = open_session(recording=demo.recording, sorting=demo.sorting)
    view = make_view(session)
    assert len(view.spike_marks()) == 0
    theme = current_theme()
    colours = [argb(theme.unit_color(i)) for i in range(len(spread))]
    assert not np.any(np.isin(view.stacked_pixels(), colours))
    first_unit = demo.sorting.unit_ids[0].item()
    session.set_unit_channels({first_unit: spread[first_unit]})
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    assert len(marks) > 0 and set(marks.unit_indices.tolist()) == {0}


def test_a_unit_keeps_its_channel_when_channels_are_removed(
    qtbot, make_view, session_with_channels, demo, spread
):
    session = session_with_channels
    view = make_view(session)
    unit = demo.sorting.unit_ids[3].item()
    kept = [
        c
        for c in demo.recording.channel_ids.tolist()
        if c != spread[demo.sorting.unit_ids[0].item()]
    ]
    session.replace_recording(demo.recording.channel_slice(channel_ids=kept))
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    rows = marks.positions[marks.unit_indices == 3]
    assert rows.size > 0
    assert set(view.channel_order()[rows].tolist()) == {spread[unit]}
    assert 0 not in marks.unit_indices  # its channel is gone: no guess elsewhere


def test_a_unit_keeps_its_channel_in_every_window(qtbot, make_view, session_with_channels, demo):
    session = session_with_channels
    view = make_view(session)
    seen = {}
    for start_s in (0.0, 3.0, 7.5):
        session.set_time_window(start_s, start_s + 1.0)
        wait_drawn(qtbot, view)
        marks = view.spike_marks()
        for unit, row in zip(marks.unit_indices.tolist(), marks.positions.tolist()):
            seen.setdefault(unit, set()).add(row)
    assert seen and all(len(rows) == 1 for rows in seen.values())


def test_hidden_units_are_not_marked(qtbot, make_view, session_with_channels, demo):
    session = session_with_channels
    view = make_view(session)
    hidden = demo.sorting.unit_ids[:5].tolist()
    session.set_hidden_units(hidden)
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    assert len(marks) > 0 and not np.any(marks.unit_indices < 5)


def test_selected_units_are_emphasised_and_the_others_dimmed(
    qtbot, make_view, session_with_channels, demo
):
    session = session_with_channels
    view = make_view(session)
    selected = demo.sorting.unit_ids[2].item()
    session.select_units([selected])
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    chosen = marks.unit_indices == 2
    assert np.all(marks.emphasised == chosen) and chosen.any()
    assert np.all(np.flatnonzero(chosen) >= np.flatnonzero(~chosen).max())  # drawn on top
    theme = current_theme()
    other = int(marks.unit_indices[~chosen][0])
    colour = theme.unit_color(session.unit_color_index(demo.sorting.unit_ids[other].item()))
    dimmed = marks.colors[~chosen][0]
    red = (dimmed >> 16) & 0xFF
    expected = round(DIMMED_WEIGHT * colour.red() + (1 - DIMMED_WEIGHT) * theme.trace.red())
    assert red == expected
    assert marks.colors[chosen][0] == argb(theme.unit_color(session.unit_color_index(selected)))


def test_only_units_whose_channel_is_on_screen_are_marked(qtbot, make_view, session_with_channels):
    view = make_view(session_with_channels)
    view.set_channels_per_screen(16)
    view.channel_scrollbar.setValue(0)
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    assert len(marks) > 0 and np.all(marks.positions < 16)


def test_heatmap_marks_spikes_with_ticks_in_the_channel_band(
    qtbot, make_view, session_with_channels
):
    view = make_view(session_with_channels)
    view.set_mode("heatmap")
    wait_drawn(qtbot, view)
    marks, frame = view.spike_marks(), view.displayed_frame()
    pixels = frame.pixels
    index = 0
    left, right = frame.x_span
    column = int((marks.times[index] - left) / (right - left) * pixels.shape[1])
    band = pixels.shape[0] / 64
    row = pixels.shape[0] - 1 - int((marks.positions[index] + 0.5) * band)
    assert marks.colors[index] in pixels[row, max(column - 3, 0) : column + 4]
    outline = argb(current_theme().foreground)
    assert outline in pixels[row, max(column - 4, 0) : column + 5]


def test_too_many_spikes_on_screen_are_not_marked_and_the_view_says_so(qtbot, make_view, demo):
    busy = si.NumpySorting.from_unit_dict(
        {"busy": np.arange(0, 300_000, 10)}, sampling_frequency=30_000.0
    )
    session = open_session(recording=demo.recording, sorting=busy)
    session.set_unit_channels({"busy": demo.recording.channel_ids[0].item()})
    view = make_view(session)
    assert len(view.spike_marks()) == 3_000 and view.note() == ""
    session.set_time_window(0.0, 10.0)
    wait_drawn(qtbot, view)
    assert len(view.spike_marks()) == 0 and view.spike_marks().skipped == 30_000
    assert "30,000 spikes on screen: zoom in" in view.note()
    session.set_time_window(0.0, 0.5)
    wait_drawn(qtbot, view)
    assert len(view.spike_marks()) == 1_500 and view.note() == ""


def test_selecting_a_unit_brings_its_channel_on_screen(qtbot, make_view, session_with_channels):
    session = session_with_channels
    view = make_view(session)
    view.set_channels_per_screen(8)
    view.channel_scrollbar.setValue(0)
    order = view.channel_order().tolist()
    unit = next(u for u, c in session.unit_channel_ids.items() if order.index(c) > 40)
    session.select_units([unit])
    wait_drawn(qtbot, view)
    rows = view.channel_rows
    row = order.index(session.unit_channel_ids[unit])
    assert rows.first <= row < rows.first + rows.count
    marks = view.spike_marks()
    assert np.any(marks.emphasised) and set(marks.positions[marks.emphasised]) == {row}
