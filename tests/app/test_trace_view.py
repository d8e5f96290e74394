"""TraceView: drawn windows, navigation, modes, units, overlays and the cursor readout."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

import core as si
from app.model.decimation import decimate_min_max
from app.model.session import Session
from app.theme import current_theme
from app.views.traces import TraceView

# the offscreen platform's note when a top-level window is shown
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def make_view(qtbot):
    """``make_view(session)`` -> a shown TraceView with its first window drawn."""
    views = []

    def make(session, width=1000, height=600):
        view = TraceView(session)
        qtbot.addWidget(view)
        views.append(view)
        view.resize(width, height)
        view.show()
        qtbot.waitExposed(view)
        wait_drawn(qtbot, view)
        return view

    yield make
    for view in views:
        view.close()


def wait_drawn(qtbot, view):
    """Wait until the newest window asked for is on display."""
    if not view.is_current():
        with qtbot.waitSignal(
            view.frame_drawn, timeout=20_000, check_params_cb=lambda _: view.is_current()
        ):
            pass


def open_session(**objects):
    session = Session()
    session.open(**objects)
    return session


def ramp_recording(num_samples=30_000, num_channels=4, t_start=None, gain=None):
    """int16 traces (channel c = c * 100 + ramp) with a linear probe; optional gains."""
    ramp = (np.arange(num_samples) % 200).astype("int16")
    traces = ramp[:, None] + (np.arange(num_channels) * 100).astype("int16")
    recording = si.NumpyRecording(
        [traces], sampling_frequency=30_000.0, t_starts=None if t_start is None else [t_start]
    )
    recording.set_channel_locations(np.c_[np.zeros(num_channels), np.arange(num_channels) * 20.0])
    if gain is not None:
        recording.set_channel_gains(gain)
        recording.set_channel_offsets(0.0)
    return recording


def band_has_trace(pixels, rank, num_channels, half_rows=2):
    """Fraction of columns with a painted pixel near the baseline of the channel of ``rank``."""
    height = pixels.shape[0]
    row = height - 1 - int((rank + 1) * height / (num_channels + 1))
    band = pixels[max(row - half_rows, 0) : row + half_rows + 1]
    return float(np.mean((band != 0).any(axis=0)))


def viewport_point(view, x, y):
    """Viewport coordinates of the data point (x, y)."""
    view_box = view.plot_widget.getPlotItem().getViewBox()
    return view.plot_widget.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))


# ---------------------------------------------------------------------- the drawn window
def test_first_window_shows_the_decimated_traces_of_the_session_window(make_view, session, demo):
    view = make_view(session)
    window = view.displayed_window()
    start, end = session.frame_window
    assert view.displayed_frame_window() == (start, end)
    traces = demo.recording.get_traces(0, start, end, return_scaled=True)
    expected, _ = decimate_min_max(traces, window.num_pixels)
    np.testing.assert_array_equal(window.data, expected)
    assert window.num_pixels >= 0.9 * view.plot_widget.width() - 60


def test_every_channel_is_drawn_at_its_baseline(make_view, session):
    view = make_view(session)
    pixels = view.stacked_pixels()
    assert view.drawn_channel_count() == 64
    assert all(band_has_trace(pixels, rank, 64) > 0.9 for rank in range(64))


def test_channels_are_ordered_by_depth_bottom_to_top(make_view, session, demo):
    view = make_view(session)
    order, _ = si.order_channels_by_depth(demo.recording)
    np.testing.assert_array_equal(view.channel_order(), demo.recording.channel_ids[order])
    depths = demo.recording.get_channel_locations(channel_ids=view.channel_order())[:, 1]
    assert np.all(np.diff(depths) >= 0)


def test_384_channels_are_all_drawn(make_view):
    recording = si.generate_recording(num_channels=384, durations=[1.0], seed=0)
    view = make_view(open_session(recording=recording), width=1600, height=900)
    assert view.drawn_channel_count() == 384
    pixels = view.stacked_pixels()
    assert all(band_has_trace(pixels, rank, 384, half_rows=1) > 0.9 for rank in range(384))
    view.set_mode("heatmap")
    assert view.heatmap_image().shape[1] == 384


# ---------------------------------------------------------------------- navigation
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (Qt.Key.Key_Right, lambda s, w, n: (s + w // 10, s + w // 10 + w)),
        (Qt.Key.Key_PageDown, lambda s, w, n: (s + w, s + 2 * w)),
        (Qt.Key.Key_End, lambda s, w, n: (n - w, n)),
        (Qt.Key.Key_Plus, lambda s, w, n: (s + w // 4, s + w // 4 + w // 2)),
    ],
)
def test_keys_move_the_window_and_redraw(qtbot, make_view, session, key, expected):
    session.set_frame_window(60_000, 90_000)
    view = make_view(session)
    qtbot.keyClick(view, key)
    assert session.frame_window == expected(60_000, 30_000, session.num_samples)
    wait_drawn(qtbot, view)
    assert view.displayed_frame_window() == session.frame_window


def test_left_page_up_home_and_minus_keys(qtbot, make_view, session):
    session.set_frame_window(90_000, 120_000)
    view = make_view(session)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert session.frame_window == (87_000, 117_000)
    qtbot.keyClick(view, Qt.Key.Key_PageUp)
    assert session.frame_window == (57_000, 87_000)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert session.frame_window == (42_000, 102_000)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert session.frame_window == (0, 60_000)


def test_scrollbar_moves_the_window_and_follows_the_session(qtbot, make_view, session):
    view = make_view(session)
    view.scrollbar.setValue(45_000)
    assert session.frame_window == (45_000, 75_000)
    wait_drawn(qtbot, view)
    assert view.displayed_frame_window() == (45_000, 75_000)
    session.go_to_time(5.0)
    assert view.scrollbar.value() == 135_000
    assert view.scrollbar.pageStep() == 30_000


def test_wheel_zooms_around_the_cursor(qtbot, make_view, session):
    session.set_frame_window(60_000, 90_000)
    view = make_view(session)
    anchor_time = 2.25  # a quarter into the window
    position = viewport_point(view, anchor_time, 10.0)
    event = QWheelEvent(
        QPointF(position),
        QPointF(view.plot_widget.viewport().mapToGlobal(position)),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.plot_widget.viewport(), event)
    start, end = session.frame_window
    assert end - start == 24_000
    assert abs(start - (67_500 - 0.8 * 7_500)) <= 40  # the time under the cursor stays put
    wait_drawn(qtbot, view)
    assert view.displayed_frame_window() == (start, end)


def test_go_to_time_box_centres_the_window(qtbot, make_view, session):
    view = make_view(session)
    qtbot.keyClicks(view.toolbar.time_edit, "4.5")
    qtbot.keyClick(view.toolbar.time_edit, Qt.Key.Key_Return)
    assert session.frame_window == (120_000, 150_000)


def test_segment_selector_shows_the_other_segment(qtbot, make_view):
    recording = si.generate_recording(num_channels=4, durations=[1.0, 0.5], seed=0)
    session = open_session(recording=recording)
    view = make_view(session)
    combo = view.toolbar.segment_combo
    assert combo.count() == 2 and combo.isEnabled()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert session.segment_index == 1
    wait_drawn(qtbot, view)
    window = view.displayed_window()
    assert window.segment_index == 1 and window.end_frame == 15_000
    expected, _ = decimate_min_max(recording.get_traces(1, 0, 15_000), window.num_pixels)
    np.testing.assert_array_equal(window.data, expected)


def test_time_axis_uses_the_recordings_own_times(qtbot, make_view):
    recording = ramp_recording()
    recording.set_times(100.0 + np.arange(30_000) / 30_000.0, with_warning=False)
    session = open_session(recording=recording)
    session.set_frame_window(3_000, 9_000)
    view = make_view(session)
    assert view.displayed_window().times[0] == pytest.approx(100.1)
    (x0, x1), _ = view.plot_widget.getPlotItem().getViewBox().viewRange()
    assert (x0, x1) == pytest.approx((100.1, 100.3))
    qtbot.keyClicks(view.toolbar.time_edit, "100.5")
    qtbot.keyClick(view.toolbar.time_edit, Qt.Key.Key_Return)
    assert session.frame_window == (12_000, 18_000)


# ---------------------------------------------------------------------- modes and scale
def test_heatmap_mode_shows_channels_by_depth_as_an_image(qtbot, make_view, session):
    view = make_view(session)
    qtbot.mouseClick(view.toolbar.heatmap_button, Qt.MouseButton.LeftButton)
    assert view.mode == "heatmap" and view.stacked_pixels() is None
    image = view.heatmap_image()
    window = view.displayed_window()
    assert image.shape == (window.data.shape[0] // 2, 64)
    channel = int(np.argmin(window.data.min(axis=0)))  # the largest trough of the window
    rank = int(np.flatnonzero(view.channel_order() == window.channel_ids[channel])[0])
    assert np.argmin(image[:, rank]) == np.argmin(window.data[0::2, channel])


def test_raw_toggle_shows_raw_values_divided_by_the_gain(qtbot, make_view):
    session = open_session(recording=ramp_recording(gain=0.5))
    view = make_view(session)
    scaled = view.displayed_window().data
    assert view.toolbar.scaled_button.isEnabled() and view.toolbar.scaled_button.isChecked()
    qtbot.mouseClick(view.toolbar.scaled_button, Qt.MouseButton.LeftButton)
    assert session.return_scaled is False
    wait_drawn(qtbot, view)
    raw = view.displayed_window().data
    assert raw.dtype == np.int16
    np.testing.assert_array_equal(scaled, raw * np.float32(0.5))
    assert view.toolbar.spacing_spin.suffix() == ""


def test_raw_toggle_is_disabled_without_gains(make_view):
    view = make_view(open_session(recording=ramp_recording()))
    assert not view.toolbar.scaled_button.isEnabled()


def test_spacing_gain_and_auto_scale(qtbot, make_view, session):
    view = make_view(session)
    fitted = view.spacing
    assert fitted > 0 and view.toolbar.spacing_spin.value() == pytest.approx(fitted, rel=1e-3)
    view.toolbar.spacing_spin.setValue(1000.0)
    assert view.spacing == 1000.0
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.gain == pytest.approx(1.25) and view.toolbar.gain_spin.value() == 1.25
    qtbot.mouseClick(view.toolbar.auto_button, Qt.MouseButton.LeftButton)
    assert (view.spacing, view.gain) == (pytest.approx(fitted), 1.0)


def test_selected_channels_are_highlighted(make_view, session):
    view = make_view(session)
    rank = 10
    session.select_channels([view.channel_order()[rank].item()])
    pixels = view.stacked_pixels()
    highlight = pixels == np.uint32(0xFF000000 | current_theme().selection.rgb())
    assert band_has_trace(highlight, rank, 64) > 0.9
    assert band_has_trace(highlight, rank + 3, 64) < 0.1


# ---------------------------------------------------------------------- overlays
def test_spike_markers_sit_at_spike_times_in_unit_colours(make_view, session, demo):
    view = make_view(session)
    start, end = session.frame_window
    spikes = demo.sorting.to_spike_vector(concatenated=False)[0]
    spikes = spikes[(spikes["sample_index"] >= start) & (spikes["sample_index"] < end)]
    item = view.plot_widget.spike_markers.item
    x, y = item.getData()
    np.testing.assert_allclose(x, spikes["sample_index"] / demo.recording.sampling_frequency)
    theme = current_theme()
    colours = [brush.color().name() for brush in item.data["brush"]]
    assert colours == [theme.unit_color(u).name() for u in spikes["unit_index"]]
    assert np.all((y >= 0) & (y < 64))


def test_spike_markers_use_the_session_unit_channels(make_view, demo):
    recording, sorting = demo.recording, demo.sorting
    session = open_session(recording=recording, sorting=sorting)
    session.set_unit_channels({unit: recording.channel_ids[7] for unit in sorting.unit_ids})
    view = make_view(session)
    _, y = view.plot_widget.spike_markers.item.getData()
    rank = int(np.flatnonzero(view.channel_order() == recording.channel_ids[7])[0])
    assert y.size > 0 and np.all(y == rank)


def test_events_without_duration_are_vertical_lines(make_view, demo):
    pulses = si.NumpyEvent.from_dict({"pulse": np.array([0.25, 0.75, 3.0])})
    view = make_view(open_session(recording=demo.recording, events=pulses))
    assert [line.value() for line in view.plot_widget.event_markers.lines] == [0.25, 0.75]
    assert (
        view.plot_widget.event_markers.regions == []
        and "pulse" in view.plot_widget.event_markers.lines[0].toolTip()
    )


def test_demo_epochs_in_the_window_are_shaded_with_labels(make_view, session):
    view = make_view(session)
    regions = view.plot_widget.event_markers.regions
    assert [tuple(np.round(r.getRegion(), 3)) for r in regions] == [(0.5, 1.0), (1.0, 1.05)]
    assert "stim" in regions[0].toolTip() and "reward" in regions[1].toolTip()


# ---------------------------------------------------------------------- responsiveness
def test_stale_replies_are_not_drawn(qtbot, make_view, session):
    view = make_view(session)
    drawn = []
    view.frame_drawn.connect(lambda _: drawn.append(view.displayed_frame_window()))
    starts = list(range(3_000, 63_000, 3_000))
    for start in starts:
        session.set_frame_window(start, start + 30_000)
        QApplication.processEvents()  # each window is requested before the previous arrives
    wait_drawn(qtbot, view)
    assert view.displayed_frame_window() == (starts[-1], starts[-1] + 30_000)
    drawn_starts = [window[0] for window in drawn]
    assert drawn_starts == sorted(drawn_starts) and len(drawn_starts) < len(starts)


def test_read_errors_are_shown_in_the_plot(make_view):
    class Unreadable(si.NumpyRecording):
        def get_traces(self, *args, **kwargs):
            raise OSError("disk unplugged")

    recording = Unreadable([np.zeros((3_000, 2), dtype="int16")], sampling_frequency=30_000.0)
    view = make_view(open_session(recording=recording))
    assert "disk unplugged" in view.error_message()
    assert view.displayed_window() is None and view.stacked_pixels() is None


def test_closing_the_view_stops_its_fetcher(make_view, session):
    view = make_view(session)
    view.close()
    assert not view._fetcher.is_alive


# ---------------------------------------------------------------------- mouse
def test_cursor_reports_time_channel_and_value(qtbot, make_view):
    session = open_session(recording=ramp_recording(num_samples=3_000))
    view = make_view(session)
    position = viewport_point(view, 0.05, 2.0)
    with qtbot.waitSignal(view.cursor_moved) as blocker:
        qtbot.mouseMove(view.plot_widget.viewport(), position)
    time_s, channel_id, value = blocker.args
    assert time_s == pytest.approx(0.05, abs=2e-4)
    assert channel_id == view.channel_order()[2].item()
    assert 200 <= value < 400  # channel 2 holds 200 + a ramp of 0..199


def test_click_selects_the_channel_under_the_cursor(qtbot, make_view, session):
    view = make_view(session)
    start_s = session.frame_to_time(session.frame_window[0])
    position = viewport_point(view, start_s + 0.5, 5.0)
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert session.selected_channel_ids == (view.channel_order()[5].item(),)
