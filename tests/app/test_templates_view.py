"""TemplateView (pytest-qt, offscreen): templates at their contacts from waveform folders of every
kind and cut from a recording and sorting, N waveforms, the flat mode, sparsity marks."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

import core as si
from app.model.session import Session
from app.model.unit_channels import estimate_unit_channels
from app.theme import current_theme
from app.views.template_controls import DEFAULT_CHANNELS
from app.views.templates import TemplateView
from tests.app.ground_truth import two_shank_ground_truth

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

FIXTURES = Path("/work/shared/fixtures/spikeinterface")
ZARR_STORE = Path(__file__).resolve().parents[1] / "data" / "si_0.100.8_waveforms_zarr"


def fixture_copy(tmp_path: Path, source: Path) -> Path:
    if not source.exists():
        pytest.skip(f"SpikeInterface fixture {source} is not on this machine")
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def ground_truth():
    """16 channels on two shanks, 5 units, 3 s."""
    return two_shank_ground_truth()


@pytest.fixture
def make_view(qtbot):
    made = []

    def make(session: Session) -> TemplateView:
        view = TemplateView(session)
        qtbot.addWidget(view)
        view.resize(600, 700)
        view.show()
        made.append(view)
        return view

    yield make
    for view in made:
        view.shutdown()


def select(qtbot, view: TemplateView, session: Session, unit_ids) -> None:
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.select_units(unit_ids)


def drawn_template(view: TemplateView, unit_id, channel_id) -> np.ndarray:
    """The mean waveform drawn on one channel, back in data values."""
    return view.template_values(unit_id, channel_id)


def view_times(view: TemplateView) -> np.ndarray:
    return view._units[0].times_ms()


# --------------------------------------------------------------------------- recording + sorting
def test_without_selection_a_hint_is_shown(make_view, ground_truth):
    session = Session()
    session.open(recording=ground_truth[0], sorting=ground_truth[1])
    view = make_view(session)
    assert "Select units" in view.hint_text() and view.drawn_unit_ids() == []


def test_a_recording_without_locations_says_why(make_view):
    session = Session()
    recording = si.NumpyRecording(np.zeros((100, 2), "float32"), 1000.0)
    session.open(recording=recording, sorting=si.NumpySorting.from_unit_dict({0: [5]}, 1000.0))
    view = make_view(session)
    assert "cannot be drawn" in view.hint_text() and "no channel locations" in view.hint_text()


def test_templates_cut_from_the_recording_sit_at_their_contacts(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[2].item()
    select(qtbot, view, session, [unit])
    assert view.drawn_unit_ids() == [unit] and "cut from the recording" in view.info_text()
    locations = recording.get_channel_locations()
    groups = recording.get_channel_groups()
    shown = view.shown_channel_ids()
    assert len(shown) == min(DEFAULT_CHANNELS, 8)  # the nearest channels of the unit's shank
    assert len(set(groups[recording.ids_to_indices(shown)].tolist())) == 1
    for channel in shown:
        x, y = view.channel_anchor(channel)
        index = recording.ids_to_indices([channel])[0]
        centre = 0.5 * (view_times(view)[0] + view_times(view)[-1])
        assert x + centre * view._placement.x_per_ms == pytest.approx(locations[index, 0])
        assert y == pytest.approx(locations[index, 1])


def test_the_drawn_template_dips_at_the_spike_on_the_extremum_channel(
    qtbot, make_view, ground_truth
):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[0].item()
    select(qtbot, view, session, [unit])
    extremum = view._units[0].extremum_channel_id()
    template = drawn_template(view, unit, extremum)
    times = view_times(view)
    assert abs(times[np.argmin(template)]) < 0.5  # ms from the spike
    expected = view._units[0].template[:, list(recording.channel_ids).index(extremum)]
    np.testing.assert_allclose(template, expected, rtol=1e-5, atol=1e-3)


def test_n_waveforms_are_overlaid_and_adjustable(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[1].item()
    select(qtbot, view, session, [unit])
    assert view.waveform_count(unit) == 20
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_waveform_count(5)
    x, y = view.unit_curve(unit, "waveforms")
    pieces = np.count_nonzero(np.isnan(y))
    assert view.waveform_count(unit) == 5 and pieces == 5 * len(view.shown_channel_ids())
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_waveform_count(0)
    assert view.unit_curve(unit, "waveforms")[0].size == 0


def test_colour_is_the_units_colour_and_several_units_overlay(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    units = sorting.unit_ids[[3, 0]].tolist()
    select(qtbot, view, session, units)
    assert view.drawn_unit_ids() == units
    for unit in units:
        pen = view._unit_items[unit]["mean"].pen()
        expected = current_theme().unit_color(session.unit_color_index(unit))
        assert pen.color().rgb() == expected.rgb()


def test_hidden_units_are_not_drawn(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    units = sorting.unit_ids[:2].tolist()
    select(qtbot, view, session, units)
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.set_hidden_units(units[:1])
    assert view.drawn_unit_ids() == units[1:]


def test_std_band_is_filled_and_can_be_hidden(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[0].item()
    select(qtbot, view, session, [unit])
    assert not view.band_path(unit).isEmpty()
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_std_visible(False)
    assert view.band_path(unit).isEmpty()


def test_flat_mode_lays_channels_side_by_side_by_depth(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    select(qtbot, view, session, [sorting.unit_ids[0].item()])
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_mode("flat")
    shown = view.shown_channel_ids()
    depths = recording.get_channel_locations()[recording.ids_to_indices(shown), 1]
    assert np.all(np.diff(depths) >= 0)
    anchors = np.array([view.channel_anchor(c) for c in shown])
    assert np.all(np.diff(anchors[:, 0]) > 0) and np.all(anchors[:, 1] == 0)
    ticks = view.plot_widget.getAxis("bottom")._tickLevels[1]
    assert [label for _, label in ticks] == [str(c) for c in shown]
    assert view.plot_widget.getAxis("left").labelText.startswith("amplitude (µV)")


def test_scale_bars_name_milliseconds_and_microvolts(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    select(qtbot, view, session, [sorting.unit_ids[0].item()])
    time_text, value_text = view.scale_bar_texts()
    assert time_text == "1 ms" and value_text.endswith(" µV")
    assert float(value_text.split()[0]) > 0


# --------------------------------------------------------------------------- sparsity marks
def test_sparsity_channels_are_marked_and_follow_the_method(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[0].item()
    select(qtbot, view, session, [unit])
    assert view.marked_channel_ids(unit) == []
    radius = si.estimate_sparsity(recording, sorting, method="radius", radius_um=30.0)
    with qtbot.waitSignal(view.drawn):
        session.set_sparsity(radius)
    expected = set(radius.unit_id_to_channel_ids[unit].tolist())
    assert set(view.marked_channel_ids(unit)) == expected & set(view.shown_channel_ids())
    best = si.estimate_sparsity(recording, sorting, method="best_channels", num_channels=2)
    with qtbot.waitSignal(view.drawn):
        session.set_sparsity(best)
    assert set(view.marked_channel_ids(unit)) == set(best.unit_id_to_channel_ids[unit].tolist())
    assert view.unit_curve(unit, "outside")[0].size > 0  # the other channels, dashed
    assert view._unit_items[unit]["outside"].pen().style() == Qt.PenStyle.DashLine


# --------------------------------------------------------------------------- waveform folders
def test_templates_of_a_sparse_waveform_folder(qtbot, make_view, ground_truth, tmp_path):
    recording, sorting = ground_truth
    si.extract_waveforms(
        recording, sorting, tmp_path / "wf", sparse=True, method="radius", radius_um=40.0,
        max_spikes_per_unit=40, seed=0, progress_bar=False, n_jobs=1,
    )  # fmt: skip
    we = si.load_waveforms(tmp_path / "wf")
    session = Session()
    session.open(recording=we.recording, waveform_extractor=we)
    view = make_view(session)
    unit = we.unit_ids[1].item()
    select(qtbot, view, session, [unit])
    sparse = we.sparsity.unit_id_to_channel_ids[unit].tolist()
    assert set(view.shown_channel_ids()) <= set(sparse)
    assert set(view.marked_channel_ids(unit)) == set(sparse)  # the folder's sparsity
    assert "40 waveforms" in view.info_text()
    channel = view._units[0].extremum_channel_id()
    template = we.get_template(unit)[:, sparse.index(channel)]
    np.testing.assert_allclose(drawn_template(view, unit, channel), template, atol=1e-3)


def test_templates_of_a_spikeinterface_0100_folder(qtbot, make_view, tmp_path):
    folder = fixture_copy(tmp_path, FIXTURES / "si_0.100.8" / "waveforms_sparse_folder")
    sorting_folder = fixture_copy(tmp_path, FIXTURES / "si_0.100.8" / "sorting_default_folder")
    sorting = si.load_extractor(sorting_folder / "sorting")
    we = si.load_waveforms(folder / "waveforms", with_recording=False, sorting=sorting)
    session = Session()
    session.open(waveform_extractor=we)
    view = make_view(session)
    select(qtbot, view, session, [2])
    locations = we.get_channel_locations()
    for channel in view.shown_channel_ids():
        index = list(we.channel_ids).index(channel)
        assert view.channel_anchor(channel)[1] == pytest.approx(locations[index, 1])
    count = we.get_waveforms(2).shape[0]
    assert view.drawn_unit_ids() == [2] and f"unit 2: {count} waveforms" in view.info_text()


@pytest.mark.filterwarnings("ignore:rec_attributes lacks")
def test_templates_of_a_spikeinterface_0100_zarr_store(qtbot, make_view, tmp_path):
    folder = fixture_copy(tmp_path, ZARR_STORE)
    we = si.load_waveforms(folder / "waveforms.zarr", with_recording=False)
    session = Session()
    session.open(waveform_extractor=we)
    view = make_view(session)
    select(qtbot, view, session, ["u1"])
    assert view.drawn_unit_ids() == ["u1"]
    assert set(view.shown_channel_ids()) <= set(we.sparsity.unit_id_to_channel_ids["u1"].tolist())
    assert view.waveform_count("u1") == min(20, we.get_waveforms("u1").shape[0])


def test_templates_of_a_sorting_analyzer_folder(qtbot, make_view, tmp_path):
    folder = fixture_copy(tmp_path, FIXTURES / "si_0.105.3" / "sorting_analyzer_binary_folder")
    we = si.load_waveforms(folder / "analyzer")
    session = Session()
    session.open(waveform_extractor=we)
    view = make_view(session)
    select(qtbot, view, session, ["3"])
    channel = view._units[0].extremum_channel_id()
    sparse = we.sparsity.unit_id_to_channel_ids["3"].tolist()
    template = we.get_template("3")[:, sparse.index(channel)]
    np.testing.assert_allclose(drawn_template(view, "3", channel), template, atol=1e-3)


def test_units_far_apart_on_a_long_probe_keep_their_true_depths(qtbot, make_view):
    from probeinterface import generate_linear_probe

    probe = generate_linear_probe(num_elec=64, ypitch=20)
    probe.set_device_channel_indices(np.arange(64))
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0], num_channels=64, num_units=12, probe=probe, seed=2
    )
    recording = recording.set_probe(probe)
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_channel_count(4)
    channels = estimate_unit_channels(recording, sorting)
    locations = recording.get_channel_locations()
    depths = {u: locations[list(recording.channel_ids).index(c), 1] for u, c in channels.items()}
    low, high = min(depths, key=depths.get), max(depths, key=depths.get)
    assert depths[high] - depths[low] > 400
    select(qtbot, view, session, [low, high])
    placement = view._placement
    assert len(placement.breaks) == 1  # one stretch of probe without drawn channels is cut
    assert np.ptp(placement.y0) < depths[high] - depths[low]
    labels = [float(text) for _, text in view.plot_widget.getAxis("left")._tickLevels[0]]
    shown = set(locations[recording.ids_to_indices(view.shown_channel_ids()), 1].tolist())
    assert set(labels) <= shown  # true depths, not the shortened positions
    assert max(labels) > depths[high] - 100 and min(labels) < depths[low] + 100


def test_flat_mode_draws_a_unit_on_its_sparsity(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[0].item()
    select(qtbot, view, session, [unit])
    best = si.estimate_sparsity(recording, sorting, method="best_channels", num_channels=3)
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.set_sparsity(best)
    assert len(view.shown_channel_ids()) == 8  # on the probe: the nearest channels too
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_mode("flat")
    assert set(view.shown_channel_ids()) == set(best.unit_id_to_channel_ids[unit].tolist())


def test_clicking_a_channels_window_selects_the_channel(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    select(qtbot, view, session, [sorting.unit_ids[0].item()])
    view.fit()
    channel = view.shown_channel_ids()[3]
    x, y = view.channel_anchor(channel)
    position = view.plot_widget.mapFromScene(view.viewbox.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert session.selected_channel_ids == (channel,)


def test_ctrl_wheel_changes_the_gain(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    unit = sorting.unit_ids[0].item()
    select(qtbot, view, session, [unit])
    before = view._placement.y_per_value
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.viewbox.gain_wheel.emit(2.0)
    assert view._placement.y_per_value / before == pytest.approx(1.25**2, rel=0.01)


def second_channel(view: TemplateView):
    return view.shown_channel_ids()[1]


def test_channel_labels_follow_the_drawn_channels_and_are_reused(qtbot, make_view, ground_truth):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = make_view(session)
    view.set_channel_count(4)  # nothing selected yet: nothing to read
    first, second = sorting.unit_ids[0].item(), sorting.unit_ids[3].item()
    select(qtbot, view, session, [first])
    labels = view.channel_labels()
    assert sorted(labels) == sorted(view.shown_channel_ids())
    for channel, (text, x, y) in labels.items():
        anchor_x, anchor_y = view.channel_anchor(channel)
        assert text == str(channel)
        assert x < anchor_x and y > anchor_y  # above the window's zero, left of the spike
    item = view._channel_labels
    select(qtbot, view, session, [second])
    assert sorted(view.channel_labels()) == sorted(view.shown_channel_ids())
    assert view._channel_labels is item  # one item draws every label, moved or emptied
    assert item.boundingRect().contains(QPointF(*view.channel_labels()[second_channel(view)][1:]))
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_mode("flat")
    assert view.channel_labels() == {}
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        view.set_mode("probe")
    assert sorted(view.channel_labels()) == sorted(view.shown_channel_ids())
    session.select_units([])
    assert view.channel_labels() == {}


def test_the_pixmap_cache_holds_the_renderings_of_every_cached_item(qtbot, make_view, ground_truth):
    from PySide6.QtGui import QPixmapCache
    from PySide6.QtWidgets import QGraphicsItem

    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    limit = QPixmapCache.cacheLimit()
    QPixmapCache.setCacheLimit(64)  # kB: too small for one rendering of the plot
    try:
        view = make_view(session)
        units = sorting.unit_ids.tolist()
        select(qtbot, view, session, units)
        viewport = view.plot_widget.viewport()
        ratio = viewport.devicePixelRatioF()
        rendering_kb = viewport.width() * viewport.height() * ratio * ratio * 4 / 1024
        cached = [
            item
            for item in view.viewbox.addedItems
            if item.isVisible() and item.cacheMode() != QGraphicsItem.CacheMode.NoCache
        ]
        assert len(cached) >= 4 * len(units)  # each unit's mean, outline, band, off-sparsity
        assert QPixmapCache.cacheLimit() >= len(cached) * rendering_kb
        # a larger plot: more room
        before = QPixmapCache.cacheLimit()
        view.resize(900, 1000)
        qtbot.waitUntil(lambda: QPixmapCache.cacheLimit() > before, timeout=5_000)
    finally:
        QPixmapCache.setCacheLimit(limit)
