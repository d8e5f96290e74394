"""Helpers of the trace view tests: a shown view, waiting for frames, small recordings."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

import core as si
from app.model.session import Session
from app.views.traces import TraceView


@pytest.fixture
def make_view(qtbot):
    """``make_view(session)`` -> a shown TraceView with its first window drawn."""
    views = []

    def make(session, width=1000, height=900):
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


def band_has_trace(pixels, row, rows_on_screen, half_rows=2):
    """Fraction of columns with a painted pixel near the baseline of screen row ``row`` (0: the
    bottom row on screen)."""
    height = pixels.shape[0]
    y = height - 1 - int((row + 1) * height / (rows_on_screen + 1))
    band = pixels[max(y - half_rows, 0) : y + half_rows + 1]
    return float(np.mean((band != 0).any(axis=0)))


def baseline_pixel_row(view, position):
    """Pixel row (top row 0) of the baseline of list position ``position``."""
    style = view.displayed_frame().style
    return style.height - 1 - int((position - style.first + 1) * style.height / (style.count + 1))


def viewport_point(view, x, y):
    """Viewport coordinates of the data point (x, y)."""
    view_box = view.plot_widget.getPlotItem().getViewBox()
    return view.plot_widget.mapFromScene(view_box.mapViewToScene(QPointF(x, y)))
