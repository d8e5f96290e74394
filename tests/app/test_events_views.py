"""Event lanes (ticks, epochs, labels, jumps, clicks) and the peri-event raster and PSTH."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

import core as si
from app.model.session import Session
from app.views.event_lanes import EventLanesView
from app.views.peri_event import PeriEventView


@pytest.fixture
def recording(tmp_path):
    """A binary folder on disk, reopened lazily."""
    generated = si.generate_recording(num_channels=2, durations=[10.0], sampling_frequency=1000.0)
    generated.save(folder=tmp_path / "recording", n_jobs=1, progress_bar=False)
    return si.load_extractor(tmp_path / "recording")


@pytest.fixture
def events(tmp_path):
    """TTL ticks and labelled epochs saved as an events folder, reopened."""
    dtype = [("time", "<f8"), ("duration", "<f8"), ("label", "<U8")]
    epochs = np.array([(1.0, 0.5, "stim"), (4.0, 0.5, "stim")], dtype=dtype)
    events = si.NumpyEvent.from_dict({"stim": epochs, "lick": np.array([0.3, 1.2, 6.0])})
    events.save(folder=tmp_path / "events")
    return si.load_extractor(tmp_path / "events")


@pytest.fixture
def session(recording, events, tmp_path):
    sorting = si.NumpySorting.from_unit_dict(
        {"u1": np.array([1010, 1020, 4010, 9000]), "u2": np.array([1500, 4500])}, 1000.0
    )
    sorting.save(folder=tmp_path / "sorting")
    sorting = si.load_extractor(tmp_path / "sorting")
    session = Session()
    session.open(recording=recording, sorting=sorting, events=events)
    session.set_time_window(0.0, 2.0)
    return session


@pytest.fixture
def lanes(qtbot, session):
    view = EventLanesView(session)
    qtbot.addWidget(view)
    return view


def test_one_lane_per_event_channel(lanes):
    assert lanes.lane_names() == ["stim", "lick"]


def test_window_shows_ticks_bars_and_labels_of_the_window_only(lanes):
    assert lanes.tick_times().tolist() == [0.3, 1.2]
    assert lanes.bar_spans() == [(1.0, 1.5)]
    assert lanes.label_texts() == ["stim"]


def test_lanes_follow_the_trace_window(lanes, session):
    session.set_time_window(3.0, 7.0)
    assert lanes.tick_times().tolist() == [6.0] and lanes.bar_spans() == [(4.0, 4.5)]


def test_bracket_keys_jump_to_the_next_event_of_the_chosen_channel(qtbot, lanes, session):
    lanes.channel_box.setCurrentText("stim")
    qtbot.keyClick(lanes, Qt.Key.Key_BracketRight)
    assert sum(session.frame_window) // 2 == 4000
    qtbot.keyClick(lanes, Qt.Key.Key_BracketLeft)
    assert sum(session.frame_window) // 2 == 1000


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_clicking_an_event_centres_the_traces_on_it(qtbot, lanes, session):
    lanes.resize(800, 200)
    lanes.show()
    qtbot.waitExposed(lanes)
    lanes._view_box.clicked.emit(QPointF(1.201, 1.0))  # the "lick" lane, near 1.2 s
    assert sum(session.frame_window) // 2 == 1200


def test_without_events_the_lanes_say_so(qtbot, recording):
    session = Session()
    session.open(recording=recording)
    view = EventLanesView(session)
    qtbot.addWidget(view)
    assert view.lane_names() == [] and view.plot_widget.isHidden()


@pytest.fixture
def peri(qtbot, session):
    view = PeriEventView(session)
    qtbot.addWidget(view)
    yield view
    view.shutdown()


def test_peri_event_asks_for_a_selection_first(peri):
    assert "Select units" in peri.message.text() and peri.data is None


def test_peri_event_aligns_the_selected_units_on_the_chosen_channel(qtbot, peri, session):
    peri.channel_box.setCurrentText("stim")
    peri.before_spin.setValue(-0.1)
    peri.after_spin.setValue(0.6)
    with qtbot.waitSignal(peri.drawn, timeout=5000):
        session.select_units(["u1", "u2"])
    data = peri.data
    assert data.unit_ids == ["u1", "u2"] and data.num_events == 2
    assert data.trials[0].tolist() == [0, 0, 1]
    np.testing.assert_allclose(data.offsets[0], [0.01, 0.02, 0.01])
    np.testing.assert_allclose(data.offsets[1], [0.5, 0.5])
    assert len(peri._raster_items) == 2 and len(peri._psth_items) == 2


def test_peri_event_follows_the_window_controls(qtbot, peri, session):
    peri.channel_box.setCurrentText("stim")
    with qtbot.waitSignal(peri.drawn, timeout=5000):
        session.select_units(["u1"])
    with qtbot.waitSignal(peri.drawn, timeout=5000):
        peri.bin_spin.setValue(100.0)
    assert np.allclose(np.diff(peri.data.edges), 0.1)
