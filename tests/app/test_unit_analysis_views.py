"""Correlograms, ISI, amplitudes (lasso, click) and firing-rate views on real data."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF

import core as si
from app.model.session import Session
from app.model.spike_amplitudes import unit_amplitudes
from app.views.amplitudes import AmplitudesView, count_axis_ticks
from app.views.correlograms import CorrelogramsView
from app.views.firing_rate import FiringRateView, nice_bin
from app.views.isi import IsiView
from tests.app.paint_counting import PaintCounter

FS = 10_000.0


@pytest.fixture
def recording(tmp_path):
    """A binary folder on disk, reopened lazily."""
    traces = np.zeros((100_000, 3), dtype="int16")
    traces[1000::2000, 1] = -300  # unit "a": a trough of -300 on channel 1 every 2000 samples
    traces[1500::4000, 2] = -120  # unit "b": -120 on channel 2 every 4000 samples
    recording = si.NumpyRecording(traces, FS)
    recording.set_channel_gains(0.5)
    recording.set_channel_offsets(0.0)
    recording.set_channel_locations(np.array([[0.0, 0.0], [0.0, 20.0], [0.0, 40.0]]))
    recording.save(folder=tmp_path / "recording", n_jobs=1, progress_bar=False)
    return si.load_extractor(tmp_path / "recording")


@pytest.fixture
def session(recording, tmp_path):
    sorting = si.NumpySorting.from_unit_dict(
        {"a": np.arange(1000, 100_000, 2000), "b": np.arange(1500, 100_000, 4000)}, FS
    )
    sorting.save(folder=tmp_path / "sorting")
    sorting = si.load_extractor(tmp_path / "sorting")
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.set_unit_channels({"a": 1, "b": 2})
    return session


def make(qtbot, cls, session):
    view = cls(session)
    qtbot.addWidget(view)
    return view


def make_shown(qtbot, cls, session, width: int, height: int):
    """A view of ``cls`` on screen at ``width`` x ``height`` (once exposed)."""
    view = make(qtbot, cls, session)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_correlograms_grid_of_the_selected_units(qtbot, session):
    view = make(qtbot, CorrelogramsView, session)
    assert "Select units" in view.message.text()
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["a", "b"])
    assert len(view.plots) == 4 and view.data.ccgs.shape[:2] == (2, 2)
    sorting = session.sorting.select_units(["a", "b"])
    expected, _ = si.compute_correlograms(sorting, window_ms=50.0, bin_ms=1.0)
    np.testing.assert_array_equal(view.data.ccgs, expected)
    view.shutdown()


def test_correlogram_plots_are_kept_while_the_unit_count_stays(qtbot, session):
    view = make(qtbot, CorrelogramsView, session)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["a", "b"])
    plots = dict(view.plots)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["b", "a"])
    assert view.plots == plots  # the same items, new data
    assert view.plots[(0, 0)].titleLabel.text == "b"
    for (row, col), (plot, curve, shade) in view._cells.items():
        assert plot is plots[(row, col)]
        x, y = curve.getData()
        np.testing.assert_array_equal(y, view.data.ccgs[row, col])
        assert shade.isVisible() and shade.getRegion() == pytest.approx((-1.5, 1.5))
    assert view.plots[(1, 0)].getAxis("bottom").labelText == "lag (ms)"
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["a"])
    assert list(view.plots) == [(0, 0)] and view.plots[(0, 0)] is plots[(0, 0)]
    # the others stay in the grid, hidden
    assert set(view.grid.ci.items) == set(plots.values())
    assert [p for p in view.grid.ci.items if p.isVisible()] == [plots[(0, 0)]]
    assert view.plots[(0, 0)].getAxis("bottom").style["showValues"]
    view.refractory_spin.setValue(0.0)
    assert not view._cells[(0, 0)][2].isVisible()
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["a", "b"])
    assert view.plots == plots and all(p.isVisible() for p in plots.values())
    assert set(view.grid.ci.items) == set(plots.values())
    assert not view.plots[(0, 0)].getAxis("bottom").style["showValues"]
    session.select_units([])  # a message, no plot
    assert view.wait_until_idle()
    assert not any(p.isVisible() for p in view.grid.ci.items)
    assert "Select units" in view.message.text()
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["b"])
    assert view.plots[(0, 0)] is plots[(0, 0)] and view.data.unit_ids == ["b"]
    view.shutdown()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_each_correlogram_grid_is_painted_once_its_plots_filling_the_view(qtbot, session):
    view = make_shown(qtbot, CorrelogramsView, session, 500, 450)
    for units in (["a", "b"], ["a"]):  # the plots of both grids made (not counted)
        with qtbot.waitSignal(view.drawn, timeout=5000):
            session.select_units(units)
    paints = PaintCounter(view.grid.viewport())
    for units in (["a", "b"], ["b"], ["b", "a"], ["a"]):
        qtbot.wait(200)  # every paint asked for is done
        paints.count = 0
        with qtbot.waitSignal(view.drawn, timeout=5000):
            session.select_units(units)
        qtbot.waitUntil(lambda: paints.count > 0)
        qtbot.wait(200)  # and no other paint follows (new ranges reaching the axes late)
        assert paints.count == 1, units
        # the plots of a smaller grid take the room of the hidden ones
        width, height = view.grid.ci.geometry().width(), view.grid.ci.geometry().height()
        for plot in view.plots.values():
            assert plot.isVisible()
            assert plot.geometry().width() > 0.8 * width / len(units)
            assert plot.geometry().height() > 0.7 * height / len(units)
    view.shutdown()


def test_correlogram_window_control_recomputes(qtbot, session):
    view = make(qtbot, CorrelogramsView, session)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_units(["a"])
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.window_spin.setValue(20.0)
    assert view.data.bins[0] == pytest.approx(-10.0) and view.data.bins[-1] == pytest.approx(10.0)
    view.shutdown()


def test_isi_histograms_of_the_selected_units(qtbot, session):
    view = make(qtbot, IsiView, session)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.window_spin.setValue(500.0)
        session.select_units(["a", "b"])
    bins, histograms = view.data.bins, view.data.histograms
    # unit a fires every 200 ms, unit b every 400 ms: all intervals in one bin each
    bin_of = lambda ms: np.searchsorted(bins, ms, side="right") - 1  # noqa: E731
    assert histograms[0].sum() == 49 and histograms[0][bin_of(200.0)] == 49
    assert histograms[1][bin_of(400.0)] == histograms[1].sum() == 24
    view.shutdown()


def test_amplitudes_read_from_the_recording_on_the_unit_channel(session):
    amplitudes = unit_amplitudes(session.sorting, "a", 0, session.recording, channel_id=1)
    assert amplitudes.source == "recording" and amplitudes.scaled
    np.testing.assert_allclose(amplitudes.amplitudes, -150.0)  # -300 raw x 0.5 µV
    assert amplitudes.spike_indices.tolist() == list(range(50))
    np.testing.assert_allclose(amplitudes.times, np.arange(1000, 100_000, 2000) / FS)


def test_amplitudes_without_a_channel_say_what_is_missing(session):
    with pytest.raises(ValueError, match="unit's channel"):
        unit_amplitudes(session.sorting, "a", 0, session.recording, channel_id=None)


def test_amplitudes_come_from_the_extension_when_computed(recording, session, tmp_path):
    we = si.extract_waveforms(
        recording, session.sorting, folder=tmp_path / "wf", max_spikes_per_unit=10, ms_before=0.5,
        ms_after=0.5, progress_bar=False, allow_unfiltered=True,
    )  # fmt: skip
    si.compute_spike_amplitudes(we)
    amplitudes = unit_amplitudes(session.sorting, "b", 0, recording, waveform_extractor=we)
    assert amplitudes.source == "extension"
    np.testing.assert_allclose(amplitudes.amplitudes, -60.0)


def test_amplitude_lasso_picks_spikes_of_the_unit(qtbot, session):
    view = make(qtbot, AmplitudesView, session)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a", "b"])
    assert [u.unit_id for u in view.units] == ["a", "b"]
    # a rectangle around unit a's first 10 s at -150 µV
    corners = [QPointF(0.0, -160.0), QPointF(4.95, -160.0), QPointF(4.95, -140.0), QPointF(0, -140)]
    view._on_lasso(corners, False)
    pick = session.spike_selection
    assert pick.unit_id == "a" and pick.indices.tolist() == list(range(25))
    assert len(view.picked.data) == 25
    view.shutdown()


def test_amplitudes_wait_for_a_units_channel_then_draw(qtbot, session):
    session.set_unit_channels({"a": 1})  # unit b's channel is still being found
    view = make(qtbot, AmplitudesView, session)
    session.select_units(["a", "b"])
    assert view.wait_until_idle()
    assert view.message.text() == "Finding the extremum channel of unit b…"
    assert view.units == []
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.set_unit_channels({"a": 1, "b": 2})
    assert [u.unit_id for u in view.units] == ["a", "b"]
    assert "Cannot" not in view.message.text()
    view.shutdown()


def test_the_histogram_count_axis_labels_zero_and_one_round_count(qtbot, session):
    view = make(qtbot, AmplitudesView, session)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a", "b"])
    most = max(int(curve.xData.max()) for curve in view._histograms if curve.isVisible())
    ticks = view.histogram_plot.getAxis("bottom")._tickLevels
    assert len(ticks) == 1 and ticks[0] == count_axis_ticks(most)
    assert len(ticks[0]) == 2 and 0 < ticks[0][1][0] <= most
    view.shutdown()


def test_count_axis_ticks_are_round_and_never_above_the_largest_count():
    assert count_axis_ticks(0) == [(0.0, "0")]
    assert count_axis_ticks(1) == [(0.0, "0"), (1.0, "1")]
    assert count_axis_ticks(37) == [(0.0, "0"), (20.0, "20")]
    assert count_axis_ticks(60) == [(0.0, "0"), (50.0, "50")]
    assert count_axis_ticks(12_345) == [(0.0, "0"), (10_000.0, "10,000")]


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_clicking_a_spike_centres_the_traces(qtbot, session):
    view = make_shown(qtbot, AmplitudesView, session, 600, 400)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a"])
    view._on_click(QPointF(2.1, -150.0), False)  # spike at 2.1 s
    start, end = session.frame_window
    assert (start + end) // 2 == 21_000
    view.shutdown()


def test_firing_rate_over_the_segment(qtbot, session):
    view = make(qtbot, FiringRateView, session)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.bin_spin.setValue(1.0)
        session.select_units(["a", "b"])
    np.testing.assert_allclose(view.data.rates[0], 5.0)  # a spike every 200 ms
    np.testing.assert_allclose(view.data.rates[1][1:], 2.5, atol=0.5)
    view._on_click(QPointF(7.0, 1.0))
    assert sum(session.frame_window) // 2 == 70_000
    view.shutdown()


def test_nice_bin_widths():
    assert nice_bin(60.0) == 0.5 and nice_bin(3600.0) == 20.0 and nice_bin(7200.0) == 50.0


@pytest.mark.parametrize("cls", [CorrelogramsView, IsiView, AmplitudesView])
def test_signals_of_one_call_make_one_computation(qtbot, session, cls, monkeypatch):
    """A curation action changes the sorting, the units' channels and the selection in one
    call: the view computes (and draws) once, for the state they leave."""
    view = make(qtbot, cls, session)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a"])
    computed = []
    submit = view._worker.submit
    monkeypatch.setattr(
        view._worker, "submit", lambda fn, deliver: computed.append(1) or submit(fn, deliver)
    )
    drawn = []
    view.drawn.connect(lambda: drawn.append(1))
    session.replace_sorting(session.sorting.select_units(["b", "a"]), selected_unit_ids=["b"])
    assert computed == []  # nothing yet: the signals are gathered until the event loop runs
    qtbot.waitUntil(lambda: bool(drawn), timeout=10_000)
    assert view.wait_until_idle()
    qtbot.wait(50)
    assert computed == [1] and drawn == [1]
    shown = [u.unit_id for u in view.units] if cls is AmplitudesView else view.data.unit_ids
    assert shown == ["b"]
    view.shutdown()


def test_amplitudes_the_same_as_on_display_are_not_drawn_again(qtbot, session, monkeypatch):
    """A refresh that gives the amplitudes on display (a new unit's estimated channel is its
    provisional one, another label) draws nothing again; the pick follows."""
    view = make(qtbot, AmplitudesView, session)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a", "b"])
    session.select_spikes("a", [0, 1, 2])
    assert len(view.picked.data) == 3
    items = list(view.dot_items)
    ranged = []
    monkeypatch.setattr(view.scatter_plot, "autoRange", lambda *a: ranged.append(1))
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.set_unit_channels({"a": 1, "b": 2, "c": 0})  # unit channels signal
    assert ranged == [] and view.dot_items == items
    # another version of the sorting: the pick is cleared when its amplitudes are drawn
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.replace_sorting(session.sorting.select_units(["a", "b"]))
        assert len(view.picked.data) == 3  # not yet: the plot is painted once, after
    assert len(view.picked.data) == 0
    view.shutdown()


def test_the_amplitude_axis_keeps_its_width_whatever_the_amplitudes(qtbot, session):
    """Tick labels of other widths do not lay the plots out again after a drawing."""
    from app.views.amplitudes import AMPLITUDE_AXIS_WIDTH

    view = make(qtbot, AmplitudesView, session)
    axis = view.scatter_plot.getAxis("left")
    for units in (["a"], ["b"], ["a", "b"]):
        with qtbot.waitSignal(view.drawn, timeout=10_000):
            session.select_units(units)
        assert axis.width() == AMPLITUDE_AXIS_WIDTH
    assert axis.labelText == "Amplitude (µV)"
    view.shutdown()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_the_amplitude_label_fits_the_axis(qtbot, session):
    """A dock too short for "Amplitude (µV)" along the axis shows the unit alone, never a
    label cut in the middle; a taller one shows it whole again."""
    from PySide6.QtGui import QFontMetrics

    view = make(qtbot, AmplitudesView, session)
    with qtbot.waitSignal(view.drawn, timeout=10_000):
        session.select_units(["a"])
    axis = view.scatter_plot.getAxis("left")
    needed = QFontMetrics(axis.label.font()).horizontalAdvance("Amplitude (µV)")
    view.resize(500, 600)
    view.show()
    qtbot.waitUntil(lambda: axis.geometry().height() > needed + 8)
    qtbot.waitUntil(lambda: axis.labelText == "Amplitude (µV)")
    view.resize(500, 150)
    qtbot.waitUntil(lambda: axis.geometry().height() < needed)
    qtbot.waitUntil(lambda: axis.labelText == "µV")
    view.resize(500, 600)
    qtbot.waitUntil(lambda: axis.labelText == "Amplitude (µV)")
    view.shutdown()
