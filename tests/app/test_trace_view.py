"""TraceView: drawn windows, navigation, modes, scales, overlays, focus and the mouse."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

import core as si
from app.model.decimation import decimate_min_max
from app.theme import current_theme
from app.views.trace_controls import ICON_SCALES
from app.views.trace_overlays import SCALE_BAR_PX
from tests.app import trace_view_helpers
from tests.app.trace_view_helpers import (
    band_has_trace,
    open_session,
    ramp_recording,
    viewport_point,
    wait_drawn,
)

# the offscreen platform's note when a top-level window is shown
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


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


def test_384_channels_open_with_a_screenful_of_the_deepest_channels(make_view):
    recording = si.generate_recording(num_channels=384, durations=[1.0], seed=0)
    view = make_view(open_session(recording=recording), width=1600, height=900)
    height = view.plot_widget.view_box.height()
    assert view.drawn_channel_count() == 64 and height / 65 >= 12  # rows of 12 px at least
    assert view.toolbar.channels_spin.text() == "64 of 384 ch"
    np.testing.assert_array_equal(view.visible_channel_ids(), view.channel_order()[:64])
    pixels = view.stacked_pixels()
    assert all(band_has_trace(pixels, row, 64) > 0.9 for row in range(64))


def test_channels_per_screen_follow_the_height_until_chosen(qtbot, make_view):
    recording = si.generate_recording(num_channels=384, durations=[1.0], seed=0)
    view = make_view(open_session(recording=recording), width=1000, height=450)
    assert view.drawn_channel_count() == 24  # a plot of about 390 px: 24 rows of 15 px
    view.resize(1000, 900)
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 64
    view.toolbar.channels_spin.setValue(20)
    view.resize(1000, 450)
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 20  # the user's choice stays


def test_all_384_channels_fit_on_one_screen_when_asked(qtbot, make_view):
    recording = si.generate_recording(num_channels=384, durations=[1.0], seed=0)
    view = make_view(open_session(recording=recording), width=1600, height=900)
    view.toolbar.channels_spin.setValue(384)
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 384
    pixels = view.stacked_pixels()
    assert all(band_has_trace(pixels, row, 384, half_rows=1) > 0.9 for row in range(384))
    view.set_mode("heatmap")
    wait_drawn(qtbot, view)
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
    assert combo.count() == 2 and combo.isVisible()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert session.segment_index == 1
    wait_drawn(qtbot, view)
    window = view.displayed_window()
    assert window.segment_index == 1 and window.end_frame == 15_000
    expected, _ = decimate_min_max(recording.get_traces(1, 0, 15_000), window.num_pixels)
    np.testing.assert_array_equal(window.data, expected)


def two_segments_at_their_own_times():
    """Segments of 60 s starting at 0 s and at 120 s (1 kHz)."""
    traces = [np.zeros((60_000, 2), dtype="int16")] * 2
    return si.NumpyRecording(traces, sampling_frequency=1_000.0, t_starts=[0.0, 120.0])


def test_segment_list_shows_start_end_and_duration(make_view):
    view = make_view(open_session(recording=two_segments_at_their_own_times()))
    combo = view.toolbar.segment_combo
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == ["0: 0.0–60.0 s (60.0 s)", "1: 120.0–180.0 s (60.0 s)"]


def test_go_to_a_time_of_another_segment_switches_segment(qtbot, make_view):
    session = open_session(recording=two_segments_at_their_own_times())
    view = make_view(session)
    qtbot.keyClicks(view.toolbar.time_edit, "150")
    qtbot.keyClick(view.toolbar.time_edit, Qt.Key.Key_Return)
    assert session.segment_index == 1
    assert session.frame_window == (29_500, 30_500)
    assert view.toolbar.segment_combo.currentIndex() == 1
    wait_drawn(qtbot, view)
    assert view.displayed_window().segment_index == 1
    assert view.displayed_window().times[0] == pytest.approx(149.5)


def test_a_single_segment_hides_the_segment_list(make_view, session):
    view = make_view(session)
    assert not view.toolbar.segment_combo.isVisible()


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
    wait_drawn(qtbot, view)
    assert view.mode == "heatmap" and view.stacked_pixels() is None
    image = view.heatmap_image()
    window = view.displayed_window()
    assert image.shape == (window.data.shape[0] // 2, 64)
    channel = int(np.argmin(window.data.min(axis=0)))  # the largest trough of the window
    rank = int(np.flatnonzero(view.channel_order() == window.channel_ids[channel])[0])
    assert np.argmin(image[:, rank]) == np.argmin(window.data[0::2, channel])


def test_heatmap_has_a_colour_bar_with_its_uv_levels(qtbot, make_view, session):
    view = make_view(session)
    bar = view.plot_widget.color_bar
    assert not bar.isVisible()
    view.set_mode("heatmap")
    wait_drawn(qtbot, view)
    level = view.displayed_frame().level
    assert bar.isVisible() and bar.scene() is view.plot_widget.scene()
    assert bar.levels() == pytest.approx((-level, level))
    assert bar.axis.labelText == "µV"
    view.set_mode("stacked")
    wait_drawn(qtbot, view)
    assert not bar.isVisible()


def test_heatmap_pixels_follow_the_colour_map(qtbot, make_view, session):
    view = make_view(session)
    view.set_mode("heatmap")
    wait_drawn(qtbot, view)
    frame = view.displayed_frame()
    lut = view.plot_widget.heatmap_lut()
    column, row = np.unravel_index(np.argmin(frame.heat), frame.heat.shape)  # deepest trough
    pixel_row = frame.pixels.shape[0] - 1 - int((row + 0.5) * frame.pixels.shape[0] / 64)
    assert frame.pixels[pixel_row, column] == lut[0]  # the blue end of the map


def test_stacked_traces_have_a_uv_scale_bar_of_a_round_value(qtbot, make_view, session):
    view = make_view(session)
    bar = view.plot_widget.scale_bar
    assert bar.isVisible() and bar.text.endswith(" µV")
    value = bar.value
    assert value / 10 ** np.floor(np.log10(value)) in (1, 2, 5)
    row_px = view.plot_widget.view_box.height() / 65
    assert bar.length_px == pytest.approx(value / view.spacing * row_px)
    view.set_gain(2.0)
    wait_drawn(qtbot, view)
    assert bar.length_px == pytest.approx(bar.value * 2.0 / view.spacing * row_px)
    assert bar.length_px <= SCALE_BAR_PX
    # the same scale again is not laid out again, but a taller plot is
    box = bar.boundingRect()
    view.resize(view.width(), view.height() + 200)
    wait_drawn(qtbot, view)
    row_px = view.plot_widget.view_box.height() / (view.channel_rows.count + 1)
    assert bar.length_px == pytest.approx(bar.value * 2.0 / view.spacing * row_px)
    assert bar.boundingRect().height() >= box.height()
    assert bar.pos().x() + bar.boundingRect().width() < view.plot_widget.view_box.width()


def test_scale_bar_says_raw_without_gains(make_view):
    view = make_view(open_session(recording=ramp_recording()))
    assert view.plot_widget.scale_bar.text.endswith("(raw)")


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


def test_auto_scale_fits_the_noise_whatever_the_width(make_view, session, demo):
    narrow, wide = make_view(session, width=500), make_view(session, width=1500)
    assert narrow.spacing == pytest.approx(wide.spacing)
    start, end = session.frame_window
    traces = demo.recording.get_traces(0, start, end, return_scaled=True)
    mad = np.median(np.median(np.abs(traces - np.median(traces, axis=0)), axis=0))
    assert narrow.spacing == pytest.approx(20 * mad, rel=0.1)


def test_a_flat_first_window_leaves_the_scale_to_be_fitted_to_the_first_noisy_one(qtbot, make_view):
    # zeros before the acquisition started, then noise; channel 7 flat all along (a dead
    # channel): the spacing fits the noise of the channels that have some, once there is any
    noise = np.random.default_rng(4).normal(0, 10, (30_000, 8)).astype("float32")
    noise[:, 7] = 0.0
    traces = np.concatenate([np.zeros((30_000, 8), dtype="float32"), noise])
    session = open_session(recording=si.NumpyRecording([traces], sampling_frequency=30_000.0))
    view = make_view(session)
    assert session.frame_window[1] <= 30_000 and view.spacing == 1.0
    session.set_frame_window(30_000, 60_000)
    wait_drawn(qtbot, view)
    mad = np.median(np.abs(noise[:, :7] - np.median(noise[:, :7], axis=0)), axis=0)
    assert view.spacing == pytest.approx(20 * np.median(mad), rel=0.15)


def test_changing_the_gain_repaints_without_reading_again(qtbot, make_view):
    reads = []

    class Counted(si.NumpyRecording):
        def get_traces(self, *args, **kwargs):
            reads.append(kwargs.get("start_frame"))
            return super().get_traces(*args, **kwargs)

    traces = np.random.default_rng(0).normal(0, 10, (30_000, 8)).astype("float32")
    view = make_view(open_session(recording=Counted([traces], sampling_frequency=30_000.0)))
    before_pixels, before_reads = view.stacked_pixels().copy(), len(reads)
    view.set_gain(3.0)
    wait_drawn(qtbot, view)
    assert len(reads) == before_reads
    assert not np.array_equal(view.stacked_pixels(), before_pixels)


def test_selected_channels_are_highlighted(qtbot, make_view, session):
    view = make_view(session)
    rank = 10
    session.select_channels([view.channel_order()[rank].item()])
    wait_drawn(qtbot, view)
    pixels = view.stacked_pixels()
    highlight = pixels == np.uint32(0xFF000000 | current_theme().selection.rgb())
    assert band_has_trace(highlight, rank, 64) > 0.9
    assert band_has_trace(highlight, rank + 3, 64) < 0.1


# ---------------------------------------------------------------------- overlays
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


# ---------------------------------------------------------------------- mouse and keyboard
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


def click(qtbot, view, x, y, modifiers=Qt.KeyboardModifier.NoModifier):
    position = viewport_point(view, x, y)
    qtbot.mouseClick(
        view.plot_widget.viewport(), Qt.MouseButton.LeftButton, modifiers, pos=position
    )


def test_click_on_a_trace_selects_its_channel(qtbot, make_view, session):
    view = make_view(session)
    start_s = session.frame_to_time(session.frame_window[0])
    click(qtbot, view, start_s + 0.5, 5.0)
    assert session.selected_channel_ids == (view.channel_order()[5].item(),)


def test_click_between_traces_keeps_the_selection(qtbot, make_view):
    session = open_session(recording=ramp_recording(num_channels=8))
    view = make_view(session)
    session.select_channels([view.channel_order()[3].item()])
    click(qtbot, view, 0.5, 5.5)  # the ramp spans a fraction of a row around each baseline
    assert session.selected_channel_ids == (view.channel_order()[3].item(),)
    assert view.hasFocus()


def test_ctrl_click_toggles_a_channel_and_escape_clears(qtbot, make_view, session):
    view = make_view(session)
    order = view.channel_order()
    session.select_channels([order[2].item()])
    ctrl = Qt.KeyboardModifier.ControlModifier
    click(qtbot, view, 0.5, 7.3, ctrl)  # anywhere in the channel's row
    assert session.selected_channel_ids == (order[2].item(), order[7].item())
    click(qtbot, view, 0.5, 2.0, ctrl)
    assert session.selected_channel_ids == (order[7].item(),)
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert session.selected_channel_ids == ()


def enter(view):
    local = QPointF(view.width() / 2, view.height() / 2)
    event = QEnterEvent(local, local, QPointF(view.mapToGlobal(local.toPoint())))
    QApplication.sendEvent(view, event)


def test_the_view_takes_the_focus_when_the_mouse_enters(qtbot, make_view, session):
    view = make_view(session)
    view.toolbar.auto_button.setFocus()
    assert not view.hasFocus()
    enter(view)
    assert view.hasFocus()
    assert session.selected_channel_ids == ()


def test_the_view_leaves_the_focus_to_a_text_field_being_typed_in(qtbot, make_view, session):
    view = make_view(session)
    view.toolbar.time_edit.setFocus()
    enter(view)
    assert view.toolbar.time_edit.hasFocus()


def test_without_a_recording_the_view_says_how_to_open_one(qtbot, make_view, tmp_path):
    sorting = si.NumpySorting.from_unit_dict({0: np.array([10, 20])}, 30_000.0)
    sorting.save(folder=tmp_path / "sorting")
    session = open_session(sorting=si.load_extractor(tmp_path / "sorting"))
    view = make_view(session)
    message = view.plot_widget.message
    assert message.toPlainText().startswith("No recording open") and message.isVisible()
    assert not view.toolbar.isEnabled()
    recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
    recording.save(folder=tmp_path / "recording", n_jobs=1, progress_bar=False)
    session.add(recording=si.load_extractor(tmp_path / "recording"))
    wait_drawn(qtbot, view)
    assert view.toolbar.isEnabled() and "No recording" not in message.toPlainText()
    assert not message.isVisible()  # nothing to say over the traces: not painted at all


def test_toolbar_icons_are_drawn_from_pixmaps_in_the_theme_colour(make_view, session):
    view = make_view(session)
    button = view.toolbar.heatmap_button
    icon, size = button.icon(), button.iconSize()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert sizes == {(size.width() * k, size.height() * k) for k in ICON_SCALES}
    image = icon.pixmap(size).toImage().convertToFormat(QImage.Format.Format_ARGB32)
    drawn = image.constBits().tobytes()
    pixels = np.frombuffer(drawn, dtype="uint32")
    opaque = pixels[pixels >> 24 == 0xFF] & 0xFFFFFF
    assert opaque.size > 10  # the glyph is there
    foreground = current_theme().foreground
    assert (opaque == (foreground.rgb() & 0xFFFFFF)).mean() > 0.5  # in the theme's colour
