"""The trace plot's time axis: tick values, labels and their places."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QImage, QPainter

from app.views.time_axis import LABEL_GAP_PX, MINOR_DIVISIONS, time_ticks
from tests.app import trace_view_helpers
from tests.app.trace_view_helpers import wait_drawn

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


def step_of(values):
    return float(np.min(np.diff(values)))


@settings(max_examples=200, deadline=None)
@given(
    low=st.floats(-10.0, 8_000.0),
    span_exponent=st.floats(-4.0, 4.0),
    length_px=st.floats(200.0, 3_000.0),
    label_px=st.floats(10.0, 80.0),
)
@example(low=4096.0, span_exponent=-4.0, length_px=2001.0, label_px=10.0)  # µs ticks at 4096 s
def test_major_ticks_are_round_steps_as_fine_as_the_labels_allow(
    low, span_exponent, length_px, label_px
):
    high = low + 10.0**span_exponent
    major, minor, decimals = time_ticks(low, high, length_px, label_px)
    smallest = (high - low) * (label_px + LABEL_GAP_PX) / length_px
    # tick values are float64 times: far from zero, their spacing is only good to a few ulps
    resolution = 4 * np.spacing(max(abs(low), abs(high)))
    if major.size < 2:  # a coarse step: the one below it is too fine for the labels
        return
    exponent = math.floor(math.log10(step_of(major)) + 1e-6)
    digit = round(step_of(major) / 10.0**exponent)
    step = digit * 10.0**exponent
    assert digit in MINOR_DIVISIONS
    assert step >= smallest * (1 - 1e-9)
    finer = {1: 0.5, 2: 1.0, 5: 2.0}[digit] * 10.0**exponent
    assert finer < smallest
    # every multiple of the step in the range (a millionth of a step of tolerance at the
    # ends, whichever way rounding takes a tick exactly there), each written exactly
    inside = np.arange(math.ceil(low / step + 2e-6), math.floor(high / step - 2e-6) + 1) * step
    assert major.min() >= low - step * 2e-6 and major.max() <= high + step * 2e-6
    np.testing.assert_allclose(np.diff(major), step, rtol=1e-6, atol=resolution)
    assert np.isclose(major[:, None], inside[None, :], rtol=0, atol=step * 1e-6).any(0).all()
    labels = [f"{v:.{decimals}f}" for v in major]
    assert len(set(labels)) == len(labels)
    np.testing.assert_allclose([float(t) for t in labels], major, atol=step * 1e-6)
    # minor ticks evenly between the major ones, never on them
    ticks = np.sort(np.concatenate([major, minor]))
    np.testing.assert_allclose(
        np.diff(ticks), step / MINOR_DIVISIONS[digit], rtol=1e-6, atol=resolution
    )
    assert not np.isclose(minor[:, None], major[None, :], rtol=0, atol=step * 1e-6).any()


def test_an_empty_range_has_no_ticks():
    major, minor, _ = time_ticks(1.0, 1.0, 500, 40)
    assert major.size == minor.size == 0


def test_the_plots_time_labels_sit_under_their_times(qtbot, make_view, session):
    view = make_view(session)
    session.set_frame_window(3_000, 9_000)  # 0.1 .. 0.3 s
    wait_drawn(qtbot, view)
    axis = view.plot_widget.getPlotItem().getAxis("bottom")
    (low, high), _ = view.plot_widget.view_box.viewRange()
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _, tick_specs, text_specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    ticks = axis.ticks()
    assert len(ticks) >= 3
    bounds = axis.mapRectFromParent(axis.geometry())
    scale = bounds.width() / (high - low)
    values = {text: value for value, text in ticks}
    assert text_specs
    for rect, _, text in text_specs:
        assert low <= values[text] <= high
        assert rect.center().x() == pytest.approx(bounds.left() + (values[text] - low) * scale)
    tick_xs = sorted(p1.x() for _, p1, _ in tick_specs)
    assert len(tick_xs) > len(ticks)  # minor ticks too
    for value, _ in ticks:
        x = bounds.left() + (value - low) * scale
        assert min(abs(t - x) for t in tick_xs) < 1e-6
