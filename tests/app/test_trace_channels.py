"""TraceView channels on screen: channels per screen, scrolling, following the selection,
selected channels only, labels."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

import core as si
from app.theme import current_theme
from tests.app import trace_view_helpers
from tests.app.trace_view_helpers import (
    band_has_trace,
    open_session,
    viewport_point,
    wait_drawn,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


@pytest.fixture(scope="module")
def probe_recording():
    """96 channels on a 2-column probe, listed in reverse depth order."""
    traces = np.random.default_rng(1).normal(0, 10, (15_000, 96)).astype("float32")
    recording = si.NumpyRecording([traces], sampling_frequency=30_000.0)
    depths = np.arange(96)[::-1] // 2 * 20.0
    recording.set_channel_locations(np.c_[np.arange(96) % 2 * 20.0, depths])
    return recording


@pytest.fixture
def view(make_view, probe_recording):
    return make_view(open_session(recording=probe_recording), height=700)


def selection_pixels(view):
    return view.stacked_pixels() == np.uint32(0xFF000000 | current_theme().selection.rgb())


def test_spin_box_sets_the_channels_per_screen(qtbot, view):
    assert view.drawn_channel_count() == 48
    view.toolbar.channels_spin.setValue(16)
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 16
    assert all(band_has_trace(view.stacked_pixels(), row, 16) > 0.9 for row in range(16))
    first = view.channel_rows.first
    assert first == 16  # zoomed around the middle of the screen (row 23.5)
    (_, _), (bottom, top) = view.plot_widget.view_box.viewRange()
    assert (bottom, top) == (first - 1.0, first + 16.0)


def test_shift_up_and_down_step_through_channels_per_screen(qtbot, view):
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert view.channel_rows.count == 32
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert view.channel_rows.count == 64
    assert view.toolbar.channels_spin.value() == 64
    assert view.gain == 1.0  # Shift+Up/Down leave the gain alone


def wheel(view, x, y, steps, modifiers):
    position = viewport_point(view, x, y)
    event = QWheelEvent(
        QPointF(position),
        QPointF(view.plot_widget.viewport().mapToGlobal(position)),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.plot_widget.viewport(), event)


def test_ctrl_wheel_zooms_the_channels_around_the_cursor(qtbot, view):
    view.set_channels_per_screen(48)
    view.scroll_channels(20)  # rows 20..67 on screen
    frame_window = view._session.frame_window
    wheel(view, 0.2, 32.0, 1, Qt.KeyboardModifier.ControlModifier)
    rows = view.channel_rows
    assert rows.count == 32
    assert rows.first <= 32 < rows.first + rows.count
    assert abs((32 - rows.first) / 32 - (32 - 20) / 48) < 0.05  # row 32 stays put on screen
    assert view._session.frame_window == frame_window  # the time window is untouched


def test_shift_wheel_scrolls_the_channels(qtbot, view):
    wheel(view, 0.2, 10.0, 2, Qt.KeyboardModifier.ShiftModifier)
    assert view.channel_rows.first == 12  # 2 notches of 48 // 8 rows
    wait_drawn(qtbot, view)
    assert view.displayed_frame().style.first == 12


def test_vertical_scrollbar_scrolls_the_channels(qtbot, view):
    bar = view.channel_scrollbar
    assert (bar.minimum(), bar.maximum(), bar.pageStep()) == (0, 48, 48)
    bar.setValue(30)
    wait_drawn(qtbot, view)
    np.testing.assert_array_equal(view.visible_channel_ids(), view.channel_order()[30:78])
    labels = [text for _, text in view.plot_widget.channel_labels()]
    assert labels == [str(c) for c in view.channel_order()[30:78].tolist()]
    (_, _), (bottom, top) = view.plot_widget.view_box.viewRange()
    assert (bottom, top) == (29.0, 78.0)


def test_keys_scroll_the_channels(qtbot, view):
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert view.channel_rows.first == 12
    qtbot.keyClick(view, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ShiftModifier)
    assert view.channel_rows.first == 48  # clamped: the top screenful
    assert view.channel_scrollbar.value() == 48
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert view.channel_rows.first == 36


def test_selecting_channels_elsewhere_scrolls_them_into_view(qtbot, view):
    top = view.channel_order()[90].item()
    view._session.select_channels([top])  # e.g. from the probe view
    wait_drawn(qtbot, view)
    rows = view.channel_rows
    assert rows.first <= 90 < rows.first + rows.count
    highlight = selection_pixels(view)
    assert band_has_trace(highlight, 90 - rows.first, rows.count) > 0.9


def test_selection_already_on_screen_does_not_scroll(qtbot, view):
    view.scroll_channels(10)
    view._session.select_channels([view.channel_order()[30].item()])
    assert view.channel_rows.first == 10


def test_selected_channels_only(qtbot, view):
    order = view.channel_order()
    chosen = [order[70].item(), order[3].item(), order[40].item()]
    view._session.select_channels(chosen)
    qtbot.mouseClick(view.toolbar.selected_only_button, Qt.MouseButton.LeftButton)
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 3
    assert view.visible_channel_ids().tolist() == [order[3], order[40], order[70]]
    assert all(band_has_trace(view.stacked_pixels(), row, 3) > 0.9 for row in range(3))
    assert not selection_pixels(view).any()  # listed alone, they are not highlighted too
    assert view.toolbar.channels_spin.text() == "3 of 3 ch"
    view._session.select_channels([])
    wait_drawn(qtbot, view)
    assert view.drawn_channel_count() == 48  # nothing selected: every channel again


def test_every_visible_channel_is_labelled_when_there_is_room(qtbot, view):
    view.set_channels_per_screen(24)
    wait_drawn(qtbot, view)
    positions = [y for y, _ in view.plot_widget.channel_labels()]
    first = view.channel_rows.first
    assert positions == list(range(first, first + 24))


def test_labels_thin_out_when_rows_are_too_small(qtbot, view):
    view.set_channels_per_screen(96)
    wait_drawn(qtbot, view)
    positions = [int(y) for y, _ in view.plot_widget.channel_labels()]
    assert positions == list(range(0, 96, 2))


def test_depth_labels(qtbot, view, probe_recording):
    view.set_channels_per_screen(8)
    view.channel_scrollbar.setValue(0)
    view.toolbar.depth_button.click()
    wait_drawn(qtbot, view)
    labels = [text for _, text in view.plot_widget.channel_labels()]
    ids = view.channel_order()[:8]
    depths = probe_recording.get_channel_locations(channel_ids=ids)[:, 1]
    assert labels == [f"{c} · {d:g} µm" for c, d in zip(ids.tolist(), depths)]
