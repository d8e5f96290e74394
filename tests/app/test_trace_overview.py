"""Trace view with the display pyramid, display filters and bad channels."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

import core as si
from app.model.display_filters import DisplayContext, DisplayFilter, read_display_traces
from app.model.display_pyramid import DisplayPyramid, LayoutParameters
from app.model.trace_fetcher import TraceFetcher
from app.model.window_source import BUILDING, IDLE, READY, REQUESTED, OverviewState
from app.theme import current_theme
from app.views.spike_marker_colors import argb
from app.views.trace_controls import DIM_BAD, HIDE_BAD, SHOW_BAD
from app.views.traces import TraceView
from tests.app.trace_view_helpers import open_session, wait_drawn

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NUM_SAMPLES = 120_000  # 4 s at 30 kHz
NUM_CHANNELS = 4
BUDGET = 3_000 * NUM_CHANNELS * 2  # windows over 0.1 s need the pyramid


@pytest.fixture
def recording(tmp_path):
    rng = np.random.default_rng(7)
    traces = rng.integers(-300, 300, (NUM_SAMPLES, NUM_CHANNELS)).astype("int16")
    traces.tofile(tmp_path / "t.raw")
    recording = si.BinaryRecordingExtractor(
        [str(tmp_path / "t.raw")], 30_000.0, "int16", NUM_CHANNELS
    )
    recording.set_channel_gains(0.5)
    recording.set_channel_offsets(0.0)
    recording.set_channel_locations(np.c_[np.zeros(NUM_CHANNELS), np.arange(NUM_CHANNELS) * 20.0])
    return recording


@pytest.fixture
def pyramid(recording, tmp_path):
    pyramid = DisplayPyramid(recording, tmp_path / "cache", LayoutParameters(16, 4, 8))
    pyramid.build()
    yield pyramid
    pyramid.close()


@pytest.fixture
def make_view(qtbot):
    views, fetchers = [], []

    def make(session):
        fetcher = TraceFetcher(max_raw_bytes=BUDGET)
        fetchers.append(fetcher)
        view = TraceView(session, fetcher=fetcher)
        qtbot.addWidget(view)
        views.append(view)
        view.resize(900, 500)
        view.show()
        qtbot.waitExposed(view)
        wait_drawn(qtbot, view)
        return view

    yield make
    for view in views:
        view.close()
    for fetcher in fetchers:
        fetcher.close()


def zoom_to(qtbot, view, session, start, end):
    session.set_frame_window(start, end)
    wait_drawn(qtbot, view)


def test_a_long_window_is_drawn_from_the_pyramid(qtbot, recording, pyramid, make_view):
    session = open_session(recording=recording)
    session.set_overview(OverviewState(READY, pyramid, 1.0))
    view = make_view(session)
    zoom_to(qtbot, view, session, 0, NUM_SAMPLES)
    window = view.displayed_window()
    assert window.source.startswith("overview x") and window.decimated
    assert view.stacked_pixels() is not None and (view.stacked_pixels() != 0).any()


def test_while_building_a_long_window_says_so_then_appears(qtbot, recording, pyramid, make_view):
    session = open_session(recording=recording)
    session.set_overview(OverviewState(BUILDING, pyramid, 0.3))
    view = make_view(session)
    zoom_to(qtbot, view, session, 0, NUM_SAMPLES)
    assert view.pending_message() == "building overview… 30%"
    assert view.displayed_window() is None and view.stacked_pixels() is None
    top_left = view.plot_widget.view_box.viewRange()
    assert view.plot_widget.message.pos().y() == pytest.approx(top_left[1][1])  # seen, on top
    assert view.plot_widget.message.pos().x() == pytest.approx(top_left[0][0])
    with qtbot.waitSignal(view.frame_drawn, timeout=10_000):
        session.set_overview(OverviewState(BUILDING, pyramid, 0.8))
    assert view.pending_message() == "building overview… 80%"
    with qtbot.waitSignal(view.frame_drawn, timeout=10_000):
        session.set_overview(OverviewState(READY, pyramid, 1.0))
    wait_drawn(qtbot, view)
    assert view.pending_message() == "" and view.displayed_window().source.startswith("overview")


def test_zooming_out_beyond_raw_reads_asks_for_the_overview(qtbot, recording, pyramid, make_view):
    session = open_session(recording=recording)
    session.set_overview(OverviewState(IDLE, pyramid, 0.0))
    session.set_frame_window(0, 2_000)
    view = make_view(session)
    assert view.displayed_window().source == "raw" and session.overview.status == IDLE
    zoom_to(qtbot, view, session, 0, NUM_SAMPLES)
    assert session.overview.status == REQUESTED and "building overview" in view.pending_message()


def test_the_filter_button_shows_filtered_traces(qtbot, recording, make_view):
    session = open_session(recording=recording)
    session.set_frame_window(30_000, 30_500)
    view = make_view(session)
    menu = view.toolbar.filter_button.menu()
    cmr = next(a for a in menu.actions() if a.text().startswith("Common median"))
    cmr.trigger()  # choosing a reference turns the filter on
    wait_drawn(qtbot, view)
    display_filter = view.display_filter
    assert display_filter.enabled and display_filter.reference == "median"
    assert view.toolbar.filter_button.isChecked()
    window = view.displayed_window()
    context = DisplayContext.for_recording(recording, display_filter)
    expected = read_display_traces(recording, 0, 30_000, 30_500, None, context, True)
    assert window.source == "filtered"
    assert window.data.min() == pytest.approx(expected.min(), rel=1e-4)
    qtbot.mouseClick(view.toolbar.filter_button, Qt.MouseButton.LeftButton)  # back to raw
    wait_drawn(qtbot, view)
    assert not view.display_filter.enabled and view.displayed_window().source == "raw"


def test_whitening_is_estimated_in_the_background_then_applied(qtbot, recording, make_view):
    session = open_session(recording=recording)
    session.set_frame_window(30_000, 30_500)
    view = make_view(session)
    view.set_display_filter(DisplayFilter(enabled=True, whiten=True))
    qtbot.waitUntil(lambda: view.is_current() and view._filtering.note == "", timeout=20_000)
    wait_drawn(qtbot, view)
    assert view.displayed_window().source == "filtered"
    assert view._filtering.context(recording, 0, True).whitening is not None


def test_a_filter_the_recording_cannot_take_is_said_and_the_traces_stay_raw(qtbot, make_view):
    slow = si.NumpyRecording([np.zeros((3000, 2), "int16")], sampling_frequency=1000.0)
    session = open_session(recording=slow)
    view = make_view(session)
    view.set_display_filter(DisplayFilter(enabled=True, band="bandpass"))
    wait_drawn(qtbot, view)
    assert view.displayed_window().source == "raw" and "Nyquist" in view.note()


def bad_recording(recording):
    recording.set_property("bad_channel", np.array([False, True, False, False]))
    return recording


def test_bad_channels_are_dimmed_by_default(qtbot, recording, make_view):
    session = open_session(recording=bad_recording(recording))
    view = make_view(session)
    assert view.bad_channel_mode == DIM_BAD and view.bad_channel_ids().tolist() == [1]
    assert view.displayed_frame().style.dimmed.tolist() == [1]
    dim = argb(current_theme().bad_channel)
    assert (view.stacked_pixels() == dim).any()
    assert view.toolbar.bad_button.isEnabled()


def test_bad_channels_can_be_hidden_or_shown(qtbot, recording, make_view):
    session = open_session(recording=bad_recording(recording))
    view = make_view(session)
    hide = view.toolbar.bad_actions[HIDE_BAD]
    hide.trigger()
    wait_drawn(qtbot, view)
    assert 1 not in view.channel_order().tolist() and view.channel_rows.total == 3
    view.set_bad_channel_mode(SHOW_BAD)
    wait_drawn(qtbot, view)
    dim = argb(current_theme().bad_channel)
    assert view.channel_rows.total == 4 and not (view.stacked_pixels() == dim).any()


def test_without_bad_channels_the_button_is_off(qtbot, recording, make_view):
    view = make_view(open_session(recording=recording))
    assert not view.toolbar.bad_button.isEnabled() and view.bad_channel_ids().size == 0
