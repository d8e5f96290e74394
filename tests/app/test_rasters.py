"""RasterView on real files: ticks of the window's spikes in unit colours and rows, hidden and
selected units, row orders, clicking a spike or the overview moves the time window, segments."""

import numpy as np
import probeinterface as pi
import pytest
from PySide6.QtCore import QPointF, Qt

import core as si
from app.model.session import Session
from app.theme import current_theme
from app.views.rasters import ORDER_DEPTH, ORDER_ID, ORDER_TABLE, RasterView

# the offscreen platform cannot pass a top-level window's size constraints on (harmless)
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 20 s, 8-channel recording and a 4-unit sorting with known spikes, saved as folders."""
    folder = tmp_path_factory.mktemp("rasters")
    fs = 10_000.0
    probe = pi.generate_linear_probe(num_elec=8, ypitch=25)
    probe.set_device_channel_indices(np.arange(8))
    recording = si.generate_recording(
        num_channels=8, durations=[20.0], sampling_frequency=fs, seed=0
    ).set_probe(probe)
    sorting = si.NumpySorting.from_unit_dict(
        {
            10: np.array([2_000, 5_000, 15_000, 150_000]),
            20: np.array([4_000, 5_500]),
            30: np.array([1_000, 9_000, 190_000]),
            40: np.array([7_000]),
        },
        sampling_frequency=fs,
    )
    recording.save(folder=folder / "rec", progress_bar=False, n_jobs=1)
    sorting.save(folder=folder / "sort")
    return si.load_extractor(folder / "rec"), si.load_extractor(folder / "sort")


@pytest.fixture
def session(saved):
    recording, sorting = saved
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.set_frame_window(0, 10_000)  # the first second
    # depths 0, 25, 50, 75 µm: unit 40 is the shallowest
    session.set_unit_channels({10: 0, 20: 1, 30: 2, 40: 3})
    return session


@pytest.fixture
def view(qtbot, session):
    view = RasterView(session)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(view.is_ready, timeout=10_000)
    qtbot.waitUntil(lambda: view.overview_pixels() is not None, timeout=10_000)
    view.redraw()
    yield view
    view.shutdown()


def tick_pixels(view, row):
    """Columns of the raster that hold a tick in raster row ``row``."""
    pixels = view.spike_pixels()
    top, bottom = view.row_pixel_span(row)
    middle = (top + bottom) // 2
    return np.flatnonzero(pixels[middle] >> 24)  # non-transparent


def test_rows_follow_depth_with_the_shallowest_on_top(view):
    assert view.order == ORDER_DEPTH
    assert view.row_unit_ids() == [40, 30, 20, 10]


def test_each_spike_of_the_window_is_a_tick_in_its_unit_colour(view, session):
    width = view.spike_pixels().shape[1]
    columns = tick_pixels(view, 3)  # unit 10: spikes at 0.2 s and 0.5 s of the 1 s window
    expected = [int(0.2 * width), int(0.5 * width)]
    assert [c for c in expected if c in columns] == expected
    assert len(columns) <= 2 * 2  # two ticks, two pixels wide
    top, bottom = view.row_pixel_span(3)
    color = view.spike_pixels()[(top + bottom) // 2, expected[0]]
    unit_color = current_theme().unit_color(session.unit_color_index(10))
    assert ((color >> 16) & 255, (color >> 8) & 255, color & 255) == unit_color.getRgb()[:3]
    # unit 40 fires once at 0.7 s
    assert int(0.7 * width) in tick_pixels(view, 0)


def test_spikes_outside_the_window_are_not_drawn(qtbot, view, session):
    with qtbot.waitSignal(view.drawn):
        session.set_frame_window(140_000, 160_000)  # 14-16 s: one spike of unit 10
    assert len(tick_pixels(view, 3)) == 2
    assert all(len(tick_pixels(view, row)) == 0 for row in (0, 1, 2))
    assert "1 spikes in window" in view.info_label.text()


def test_hidden_units_get_no_row(qtbot, view, session):
    with qtbot.waitSignal(view.drawn):
        session.set_hidden_units([30])
    assert view.row_unit_ids() == [40, 20, 10]


def test_selected_units_are_on_top_and_the_others_dimmed(qtbot, view, session):
    with qtbot.waitSignal(view.drawn):
        session.select_units([20])
    pixels = view.spike_pixels()
    width = pixels.shape[1]
    top, bottom = view.row_pixel_span(2)  # unit 20
    assert pixels[(top + bottom) // 2, int(0.4 * width)] >> 24 == 255
    assert pixels[top, 5] >> 24 > 0  # the selected row is highlighted
    top, bottom = view.row_pixel_span(3)  # unit 10, not selected
    assert 0 < pixels[(top + bottom) // 2, int(0.2 * width)] >> 24 < 255


def test_rows_can_follow_the_table_order_or_the_ids(qtbot, view, session):
    session.set_unit_order([20, 40, 10, 30])
    view.set_order(ORDER_TABLE)
    assert view.row_unit_ids() == [20, 40, 10, 30]
    view.set_order(ORDER_ID)
    assert view.row_unit_ids() == [10, 20, 30, 40]
    with pytest.raises(ValueError, match="order must be one of"):
        view.set_order("random")


def test_a_new_table_order_restyles_only_rows_in_table_order(qtbot, view, session):
    """The table shares its order after every curation action: rows in depth or id order
    are not drawn again for it."""
    view.set_order(ORDER_ID)
    drawn = []
    view.drawn.connect(lambda: drawn.append(1))
    session.set_unit_order([30, 20, 40, 10])
    qtbot.wait(50)
    assert drawn == [] and view.row_unit_ids() == [10, 20, 30, 40]
    view.set_order(ORDER_TABLE)
    assert view.row_unit_ids() == [30, 20, 40, 10]
    with qtbot.waitSignal(view.drawn):
        session.set_unit_order([10, 40, 20, 30])
    assert view.row_unit_ids() == [10, 40, 20, 30]


def click_raster(qtbot, view, time_s, row, modifier=Qt.KeyboardModifier.NoModifier):
    scene = view.data_to_raster_scene(time_s, row)
    position = view.raster_plot.mapFromScene(scene)
    qtbot.mouseClick(view.raster_plot.viewport(), Qt.MouseButton.LeftButton, modifier, position)


def test_clicking_a_spike_centres_the_window_on_it_and_selects_its_unit(qtbot, view, session):
    with qtbot.waitSignal(view.drawn):
        session.set_frame_window(120_000, 160_000)  # 12-16 s: unit 10 fires at 15 s
    click_raster(qtbot, view, 15.004, 3)  # 4 ms off: within a few pixels
    assert session.selected_unit_ids == (10,)
    assert session.frame_window == (130_000, 170_000)


def test_clicking_beside_the_spikes_moves_nothing(qtbot, view, session):
    with qtbot.waitSignal(view.drawn):
        session.set_frame_window(120_000, 160_000)
    click_raster(qtbot, view, 13.0, 3)
    click_raster(qtbot, view, 15.0, 1)  # the time of unit 10's spike, in unit 30's row
    assert session.frame_window == (120_000, 160_000)
    assert session.selected_unit_ids == ()


def test_ctrl_click_adds_the_unit_to_the_selection(qtbot, view, session):
    session.select_units([40])
    view.redraw()
    click_raster(qtbot, view, 0.4, 2, Qt.KeyboardModifier.ControlModifier)
    assert set(session.selected_unit_ids) == {40, 20}


def test_the_overview_shows_every_spike_by_depth_and_navigates(qtbot, view, session):
    image = view.overview_pixels()
    assert image is not None and image.sum() > 0
    # 10 spikes of visible units binned over the whole 20 s segment
    counts = np.expm1(image)
    assert round(float(counts.sum())) == 10
    middle = view.overview_box.viewRect().center().y()
    target = view.overview_box.mapViewToScene(QPointF(15.0, middle))
    position = view.overview_plot.mapFromScene(target)
    with qtbot.waitSignal(view.drawn):
        qtbot.mouseClick(view.overview_plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
    start, end = session.frame_window
    assert abs((start + end) / 2 / 10_000 - 15.0) < 0.05
    assert view.window_region.getRegion() == pytest.approx((start / 1e4, end / 1e4))


def test_dragging_the_window_marker_moves_the_window(qtbot, view, session):
    view.window_line.setValue(12.0)
    view.window_line.sigDragged.emit(view.window_line)
    start, end = session.frame_window
    assert (start + end) // 2 == 120_000


def test_segments_show_their_own_spikes(qtbot, si_fixtures):
    folder = si_fixtures / "si_0.100.8"
    session = Session()
    session.open(
        recording=si.load_extractor(folder / "recording_binary" / "recording"),
        sorting=si.load_extractor(folder / "sorting_default_folder" / "sorting"),
    )
    view = RasterView(session)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    qtbot.waitUntil(view.is_ready, timeout=10_000)
    view.set_order(ORDER_ID)
    session.set_segment(1)
    session.set_frame_window(0, 12_000)
    view.redraw()
    samples, units = view.spikes_in_window()
    assert samples.size == 26 + 6 + 13 + 2 + 15 + 1  # every spike of segment 1
    width = view.spike_pixels().shape[1]
    first_of_unit_5 = int(samples[units == 5][0])
    assert int(first_of_unit_5 / 12_000 * width) in tick_pixels(view, 5)


def test_no_recording_no_window(qtbot):
    session = Session()
    session.open(
        sorting=si.NumpySorting.from_unit_dict({0: np.array([5, 50])}, sampling_frequency=1000.0)
    )
    view = RasterView(session)
    qtbot.addWidget(view)
    qtbot.waitUntil(view.is_ready, timeout=10_000)
    assert "Open a recording" in view.message.textItem.toPlainText()
    qtbot.waitUntil(lambda: view.overview_pixels() is not None, timeout=10_000)
    view.shutdown()


def test_the_overview_marks_the_selected_units_depths(qtbot, view, session):
    with qtbot.waitSignal(view.overview_drawn):
        session.select_units([20, 40])
    assert sorted(line.value() for line in view._unit_lines) == [25.0, 75.0]


def test_overview_counts_equal_a_histogram_whatever_the_slicing(monkeypatch):
    from app.model import raster_data

    rng = np.random.default_rng(0)
    samples = np.sort(rng.integers(0, 600_000, 1_000))
    units = rng.integers(0, 5, 1_000)
    expected = raster_data.OverviewCounts(samples, units, 5, 600_000, 40, 10_000.0).counts
    monkeypatch.setattr(raster_data, "CHUNK_SPIKES", 7)
    sliced = raster_data.OverviewCounts(samples, units, 5, 600_000, 40, 10_000.0)
    histogram, _, _ = np.histogram2d(units, samples, bins=[np.arange(6), np.linspace(0, 6e5, 41)])
    assert sliced.num_bins == 40
    np.testing.assert_array_equal(sliced.counts, histogram.astype(int))
    np.testing.assert_array_equal(expected, sliced.counts)


def test_painted_ticks_cover_their_row_and_columns():
    from app.model.raster_data import RasterStyle, paint_raster, tick_spans

    style = RasterStyle(
        row_of_unit=np.array([1, -1, 0]),
        num_rows=2,
        colors=np.array([[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]], dtype=np.uint8),
        selected=np.zeros(3, dtype=bool),
    )
    pixels = paint_raster(
        np.array([10, 50, 90]), np.array([0, 1, 2]), 0, 100, 100, 40, style, tick_width=1
    )
    top, bottom = tick_spans(2, 40)
    assert np.all(pixels[top[1] : bottom[1], 10] == 0xFFFF0000)  # unit 0, red, bottom row
    assert np.all(pixels[:, 50] == 0)  # unit 1 is hidden
    assert np.all(pixels[top[0] : bottom[0], 90] == 0xFF0000FF)  # unit 2, blue, top row
    assert np.count_nonzero(pixels) == (bottom - top).sum()


def test_selected_only_shows_one_row_per_selected_unit(qtbot, view, session):
    view.set_selected_only(True)
    assert view.row_unit_ids() == [40, 30, 20, 10]  # nothing selected: every unit
    with qtbot.waitSignal(view.drawn):
        session.select_units([10, 40])
    assert view.row_unit_ids() == [40, 10]
    width = view.spike_pixels().shape[1]
    assert int(0.2 * width) in tick_pixels(view, 1)  # unit 10 now in the second row
    view.set_selected_only(False)
    assert view.row_unit_ids() == [40, 30, 20, 10]


def test_hovering_a_row_names_its_unit(qtbot, view):
    scene = view.data_to_raster_scene(0.5, 2)
    view._on_mouse_moved(scene)
    assert view.hover_label.text() == "unit 20 · 0.500 s"


def test_overview_image_sums_the_units_of_each_position():
    from app.model.raster_data import OverviewCounts

    samples = np.array([0, 10, 20, 30, 40, 50])
    units = np.array([0, 1, 2, 3, 1, 0])
    overview = OverviewCounts(samples, units, 4, 60, num_bins=6, sampling_frequency=1.0)
    positions = np.array([2, -1, 2, 0])  # unit 1 hidden; units 0 and 2 share position 2
    image = overview.image(positions, 3)
    expected = np.zeros((3, 6))
    expected[2] = overview.counts[0] + overview.counts[2]
    expected[0] = overview.counts[3]
    np.testing.assert_array_equal(image, expected)


def test_without_a_sorting_the_overview_marks_no_window(qtbot, saved):
    recording, sorting = saved
    session = Session()
    session.open(recording=recording)
    view = RasterView(session)
    qtbot.addWidget(view)
    view.show()
    assert not view.window_region.isVisible() and not view.window_line.isVisible()
    session.add(sorting=sorting)
    qtbot.waitUntil(view.is_ready, timeout=10_000)
    assert view.window_region.isVisible() and view.window_line.isVisible()
    view.shutdown()


def test_overview_image_of_many_positions_equals_a_sum_per_unit():
    from app.model.raster_data import OverviewCounts

    rng = np.random.default_rng(2)
    samples = np.sort(rng.integers(0, 90_000, 5_000))
    units = rng.integers(0, 60, samples.size)
    overview = OverviewCounts(samples, units, 60, 90_000, num_bins=30, sampling_frequency=1.0)
    positions = rng.integers(-1, 25, 60)  # some hidden, some alone, some shared
    expected = np.zeros((25, 30))
    for unit, position in enumerate(positions):
        if position >= 0:
            expected[position] += overview.counts[unit]
    image = overview.image(positions, 25)
    assert image.dtype == np.float32
    np.testing.assert_array_equal(image, expected)


def test_overview_image_of_one_unit_per_position_equals_its_counts():
    """Rows mode: each visible unit alone at its position (one assignment, no loop)."""
    from app.model.raster_data import OverviewCounts

    rng = np.random.default_rng(3)
    samples = np.sort(rng.integers(0, 90_000, 5_000))
    units = rng.integers(0, 40, samples.size)
    overview = OverviewCounts(samples, units, 40, 90_000, num_bins=30, sampling_frequency=1.0)
    positions = np.full(40, -1)
    shown = rng.permutation(40)[:30]
    positions[shown] = rng.permutation(30)
    image = overview.image(positions, 30)
    expected = np.zeros((30, 30), dtype=np.float32)
    for unit in shown:
        expected[positions[unit]] = overview.counts[unit]
    assert image.dtype == np.float32
    np.testing.assert_array_equal(image, expected)


def test_the_overview_is_computed_off_the_gui_thread_as_before(qtbot, view, session, monkeypatch):
    """The image and levels come from a worker thread; they equal what the view computed on
    the GUI thread before (log1p of the counts by depth, 99th percentile of the non-zero)."""
    import threading

    import app.views.rasters as rasters

    threads = []
    picture = rasters.overview_picture

    def recorded(*args):
        threads.append(threading.current_thread().name)
        return picture(*args)

    monkeypatch.setattr(rasters, "overview_picture", recorded)
    with qtbot.waitSignal(view.overview_drawn):
        session.set_hidden_units([30])
    assert threads == ["RasterOverview"]
    overview = view._overviews[0]
    depths = np.array([0.0, 25.0, 50.0, 75.0])  # units 10, 20, 30, 40 on channels 0-3
    from app.model.raster_data import depth_positions

    positions, _, num_bins = depth_positions(depths, np.array([True, True, False, True]))
    expected = np.log1p(overview.image(positions, num_bins))
    np.testing.assert_array_equal(view.overview_pixels(), expected)
    top = float(np.percentile(expected[expected > 0], 99))
    assert view.overview_image.levels == pytest.approx([0.0, top])


def test_an_overview_asked_for_before_another_is_never_shown(qtbot, view, session, monkeypatch):
    """Newest wins: an overview computed for an earlier state (hidden units) is dropped."""
    import threading

    import app.views.rasters as rasters

    release = threading.Event()
    picture = rasters.overview_picture

    def slow(*args):
        release.wait(5.0)
        return picture(*args)

    monkeypatch.setattr(rasters, "overview_picture", slow)
    drawn = []
    view.overview_drawn.connect(lambda: drawn.append(view.overview_pixels().copy()))
    view.set_order(ORDER_ID)  # restyle: an overview of every unit (blocked in the worker)
    session.set_hidden_units([10, 20, 30])
    view._restyle()  # the newest: unit 40 alone
    release.set()
    qtbot.waitUntil(lambda: len(drawn) >= 1, timeout=5_000)
    view.wait_until_idle(5.0)
    qtbot.wait(50)
    assert len(drawn) == 1
    assert round(float(np.expm1(drawn[0]).sum())) == 1  # unit 40's single spike
