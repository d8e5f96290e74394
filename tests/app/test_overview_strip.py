"""Overview strip: activity image from the pyramid, window marked, click or drag to navigate."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

import core as si
from app.model.display_pyramid import DisplayPyramid
from app.model.session import Session
from app.model.window_source import BUILDING, IDLE, READY, REQUESTED, OverviewState
from app.views.overview_strip import NavigationViewBox, OverviewStrip, TimeAxis

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

NUM_SAMPLES = 60_000  # 6 s at 10 kHz


@pytest.fixture
def recording(tmp_path):
    traces = np.random.default_rng(0).integers(-50, 50, (NUM_SAMPLES, 4)).astype("int16")
    traces[30_000:40_000, 3] *= 20  # a burst on one channel between 3 s and 4 s
    traces.tofile(tmp_path / "t.raw")
    recording = si.BinaryRecordingExtractor([str(tmp_path / "t.raw")], 10_000.0, "int16", 4)
    recording.set_channel_locations(np.array([[0, 40], [0, 30], [0, 20], [0, 10]]))
    return recording


@pytest.fixture
def pyramid(recording, tmp_path):
    pyramid = DisplayPyramid(recording, tmp_path / "cache")
    pyramid.build()
    yield pyramid
    pyramid.close()


@pytest.fixture
def strip(qtbot, recording):
    session = Session()
    session.open(recording=recording)
    strip = OverviewStrip(session)
    qtbot.addWidget(strip)
    strip.resize(600, 120)
    strip.show()
    yield strip
    strip.shutdown()


def show_ready(qtbot, strip, pyramid):
    with qtbot.waitSignal(strip.drawn, timeout=10_000):
        strip._session.set_overview(OverviewState(READY, pyramid, 1.0))


def test_without_a_recording_the_strip_says_what_to_do(qtbot):
    strip = OverviewStrip(Session())
    qtbot.addWidget(strip)
    strip.show()
    assert "Open a recording" in strip.message.text() and strip.image is None
    assert not strip.window_region.isVisible() and not strip.window_line.isVisible()
    strip.shutdown()


def test_an_idle_overview_can_be_built_from_the_strip(qtbot, strip, pyramid):
    session = strip._session
    session.set_overview(OverviewState(IDLE, pyramid, 0.0))
    assert strip.build_button.isVisible()
    qtbot.mouseClick(strip.build_button, Qt.MouseButton.LeftButton)
    assert session.overview.status == REQUESTED
    assert strip.progress.isVisible() and not strip.build_button.isVisible()


def test_a_strip_on_screen_asks_once_for_the_pyramid_it_needs(qtbot, strip, pyramid):
    session = strip._session
    session.set_overview(OverviewState(IDLE, pyramid, 0.0))
    qtbot.waitUntil(lambda: session.overview.status == REQUESTED, timeout=5_000)
    session.set_overview(OverviewState(IDLE, pyramid, 0.3))  # the user cancelled the build
    qtbot.wait(50)
    assert session.overview.status == IDLE


def test_a_hidden_strip_does_not_ask_for_a_build(qtbot, recording, pyramid):
    session = Session()
    session.open(recording=recording)
    strip = OverviewStrip(session)
    qtbot.addWidget(strip)
    session.set_overview(OverviewState(IDLE, pyramid, 0.0))
    qtbot.wait(50)
    assert session.overview.status == IDLE
    strip.shutdown()


def test_the_build_progress_is_shown(strip, pyramid):
    strip._session.set_overview(OverviewState(BUILDING, pyramid, 0.42))
    assert strip.progress.value() == 42 and strip.message.text() == "Building overview…"
    assert strip.image is None and strip.status_row.isVisible()


def test_a_ready_overview_shows_activity_by_depth_over_the_segment(qtbot, strip, pyramid):
    show_ready(qtbot, strip, pyramid)
    image = strip.image
    assert not strip.status_row.isVisible()
    assert image.channel_order.tolist() == [3, 2, 1, 0]  # tip (y = 10) at the bottom row
    drawn = strip.image_item.image
    assert drawn.shape == (4, image.values.shape[0])
    columns = np.arange(image.values.shape[0]) * image.column_frames / 10_000.0
    burst = (columns >= 3.0) & (columns < 3.9)
    assert drawn[0, burst].min() > 5 * drawn[0, ~burst & (columns < 2.9)].max()
    view_range = strip.plot_widget.getPlotItem().viewRange()
    assert view_range[0] == pytest.approx([0.0, 6.0])


def test_the_trace_window_is_marked_and_follows_the_session(qtbot, strip, pyramid):
    show_ready(qtbot, strip, pyramid)
    strip._session.set_frame_window(20_000, 25_000)
    assert strip.window_region.getRegion() == pytest.approx((2.0, 2.5))
    assert strip.window_line.value() == pytest.approx(2.25)


def test_a_click_or_a_drag_centres_the_traces_there(qtbot, strip, pyramid):
    show_ready(qtbot, strip, pyramid)
    session = strip._session
    session.set_frame_window(0, 10_000)
    strip._view_box.moved_to.emit(4.0)
    assert session.frame_window == (35_000, 45_000)


class FakeMouseEvent:
    def __init__(self, button, position):
        self._button, self._position = button, position
        self.accepted = None

    def button(self):
        return self._button

    def pos(self):
        return self._position

    def accept(self):
        self.accepted = True

    def ignore(self):
        self.accepted = False


def test_the_view_box_reports_left_clicks_and_drags_in_data_coordinates(qtbot):
    view_box = NavigationViewBox()
    view_box.resize(200, 100)
    view_box.setRange(xRange=(10.0, 20.0), padding=0)
    reported = []
    view_box.moved_to.connect(reported.append)
    middle = view_box.mapFromView(QPointF(15.0, 0.5))
    for handler in (view_box.mouseClickEvent, view_box.mouseDragEvent):
        handler(FakeMouseEvent(Qt.MouseButton.LeftButton, middle))
    right = FakeMouseEvent(Qt.MouseButton.RightButton, middle)
    view_box.mouseDragEvent(right)
    assert reported == pytest.approx([15.0, 15.0]) and right.accepted is False


def test_long_times_read_as_hours_minutes_seconds():
    axis = TimeAxis("bottom")
    assert axis.tickStrings([0.0, 95.0, 7325.0], 1.0, 60.0) == ["0:00", "1:35", "2:02:05"]


def test_without_an_image_the_strip_still_spans_the_segment_with_the_window(strip, pyramid):
    session = strip._session
    session.set_overview(OverviewState(IDLE, pyramid, 0.0))
    session.set_frame_window(50_000, 60_000)
    assert strip.plot_widget.getPlotItem().viewRange()[0] == pytest.approx([0.0, 6.0])
    assert strip.window_region.getRegion() == pytest.approx((5.0, 6.0))
