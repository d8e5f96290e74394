"""TraceView on screen: each new window painted once, its pixels copied one for one."""

import numpy as np
import pytest
from PySide6.QtGui import QImage

from tests.app import trace_view_helpers
from tests.app.paint_counting import PaintCounter
from tests.app.trace_view_helpers import open_session, ramp_recording, wait_drawn

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


def test_each_new_window_is_painted_once(qtbot, make_view, session):
    view = make_view(session)
    counter = PaintCounter(view.plot_widget.viewport())
    qtbot.wait(100)  # what the first frame still had to paint
    start, end = session.frame_window
    for shift in (1, 2, 3):
        counter.count = 0
        session.set_frame_window(start + 300 * shift, end + 300 * shift)
        wait_drawn(qtbot, view)
        qtbot.wait(100)
        # a range change must not leave the plot's transform to be set during the paint,
        # which marks the traces dirty again and paints them a second time
        assert counter.count == 1


def test_the_traces_are_copied_pixel_for_pixel_to_the_screen(qtbot, make_view):
    # fewer samples than pixel columns: the frame has a column per pixel of the plot
    # (a decimated window has whole columns of samples, stretched over the plot's width)
    session = open_session(recording=ramp_recording(num_channels=8, gain=0.5))
    session.set_frame_window(1_000, 1_400)
    view = make_view(session, width=900, height=700)
    view.set_gain(3.0)  # large excursions: many pixels painted
    wait_drawn(qtbot, view)
    plot, item = view.plot_widget, view.plot_widget.trace_item

    def target():
        return (item.sceneTransform() * plot.viewportTransform()).mapRect(item.boundingRect())

    def fits() -> bool:  # once the axis has its width, the frame is painted for the plot's
        rect, pixels = target(), item.pixels
        return view.is_current() and abs(rect.width() - pixels.shape[1]) < 1

    qtbot.waitUntil(fits)
    pixels, target = item.pixels, target()
    assert abs(target.height() - pixels.shape[0]) < 1
    shot = plot.viewport().grab().toImage().convertToFormat(QImage.Format.Format_ARGB32)
    screen = np.frombuffer(shot.constBits(), dtype="uint32").reshape(shot.height(), -1)
    left, top = round(target.left()), round(target.top())
    height, width = pixels.shape
    # the left half (the scale bar sits in the top-right corner)
    drawn = screen[top : top + height, left : left + width // 2]
    painted = pixels[:, : width // 2]
    assert (painted != 0).sum() > 2_000
    np.testing.assert_array_equal(drawn[painted != 0], painted[painted != 0])
    values, counts = np.unique(drawn[painted == 0], return_counts=True)
    assert counts.max() > 0.99 * counts.sum()  # the background (and a little text, e.g. a note)
