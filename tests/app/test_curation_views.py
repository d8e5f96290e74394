"""After a curation action every view shows the curated sorting: the merged unit's row, raster
row, correlogram, spike marks and template (cut from its own spikes), none of the old units."""

import numpy as np
import pytest

import core as si
from app.model.raster_data import OverviewCounts, SpikeIndex
from app.model.unit_channels import estimate_unit_templates
from app.model.unit_metrics import spike_train_metrics
from app.unit_metrics_runner import SPIKE_TRAIN_KEYS, TRACE_KEYS
from tests.app.folders_window import window_on_folders, write_ground_truth_folders

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_ground_truth_folders(
        tmp_path_factory.mktemp("curation-views"), num_units=3, seed=3
    )


@pytest.fixture
def window(qtbot, tmp_path, folders):
    errors: list[str] = []
    with window_on_folders(qtbot, tmp_path, folders, lambda t, m: errors.append(m)) as window:
        window.errors = errors
        yield window


@pytest.fixture
def merged(qtbot, window):
    """Units 0 and 1 merged into unit 3 (selected); the channel of unit 3 is known."""
    session = window.session
    window.channels_before = dict(session.unit_channel_ids)
    session.select_units([0, 1])
    window.menus.actions["merge"].trigger()
    assert session.sorting.unit_ids.tolist() == [2, 3] and session.selected_unit_ids == (3,)
    qtbot.waitUntil(lambda: 3 in session.unit_channel_ids, timeout=30_000)
    window.job_manager.wait_for_all(30_000)
    return window


def merged_train(window):
    return window.session.sorting.get_unit_spike_train(3)


def test_the_units_table_has_the_merged_row_and_not_the_old_ones(qtbot, merged):
    table_view = merged.views["units_table"]
    qtbot.waitUntil(lambda: table_view.table.unit_ids.tolist() == [2, 3], timeout=10_000)
    row = table_view.table.row_of(3)
    assert table_view.table.values("num_spikes")[row] == merged_train(merged).size
    assert table_view.selected_rows_unit_ids() == [3]


def test_the_rasters_draw_the_merged_unit(qtbot, merged):
    rasters = merged.views["rasters"]
    qtbot.waitUntil(lambda: sorted(rasters.row_unit_ids()) == [2, 3], timeout=10_000)
    qtbot.waitUntil(rasters.is_ready, timeout=10_000)
    samples, units = rasters.spikes_in_window()
    start, end = merged.session.frame_window
    train = merged_train(merged)
    expected = train[(train >= start) & (train < end)]
    ids = merged.session.sorting.unit_ids
    np.testing.assert_array_equal(np.sort(samples[ids[units] == 3]), expected)


def test_the_correlograms_are_the_merged_units(qtbot, merged):
    view = merged.views["correlograms"]
    qtbot.waitUntil(lambda: view.data is not None and view.data.ccgs.shape[:2] == (1, 1))
    expected, _ = si.compute_correlograms(
        merged.session.sorting.select_units([3]), window_ms=50.0, bin_ms=1.0
    )
    np.testing.assert_array_equal(view.data.ccgs, expected)


def test_the_traces_mark_the_merged_units_spikes(qtbot, merged):
    view = merged.trace_view
    qtbot.waitUntil(lambda: view.spike_marks() is not None and view.is_current(), timeout=20_000)
    marks = view.spike_marks()
    ids = merged.session.sorting.unit_ids[marks.unit_indices]
    start, end = merged.session.frame_window
    train = merged_train(merged)
    expected = train[(train >= start) & (train < end)]
    assert expected.size > 0
    np.testing.assert_array_equal(np.sort(marks.sample_indices[ids == 3]), expected)
    assert not set(ids.tolist()) & {0, 1}


def test_the_template_of_the_merged_unit_is_cut_from_its_spikes(qtbot, merged):
    view = merged.views["templates"]
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [3], timeout=20_000)
    unit = view._units[0]
    assert not unit.from_extractor and unit.num_spikes == min(100, merged_train(merged).size)


def test_the_coarse_templates_of_the_merged_unit_come_from_its_spikes(qtbot, merged):
    runner = merged.unit_channels
    qtbot.waitUntil(lambda: 3 in runner.templates, timeout=20_000)
    session = merged.session
    expected = estimate_unit_templates(session.recording, session.sorting.select_units([3]))
    np.testing.assert_allclose(runner.templates[3], expected[3], rtol=1e-5, atol=1e-3)
    assert set(runner.coarse_templates()) == {2, 3}


def test_undo_brings_back_the_units_with_their_templates_and_channels(qtbot, merged):
    runner, session = merged.unit_channels, merged.session
    channels = {u: merged.channels_before[u] for u in (0, 1)}
    merged.menus.actions["undo"].trigger()
    assert session.sorting.unit_ids.tolist() == [0, 1, 2]
    assert runner.job is None  # nothing to estimate: the templates of 0 and 1 were kept
    assert {u: session.unit_channel_ids.get(u) for u in (0, 1)} == channels
    session.select_units([0, 2])
    merged.menus.actions["merge"].trigger()
    assert session.sorting.unit_ids.tolist() == [1, 4]  # 3 named other spikes: not reused
    assert 4 not in session.unit_channel_ids and runner.job is not None


def test_the_rasters_follow_removals_and_their_overview_counts_the_curated_spikes(qtbot, merged):
    rasters, session = merged.views["rasters"], merged.session
    qtbot.waitUntil(rasters.is_ready, timeout=10_000)
    session.select_units([2])
    merged.menus.actions["remove"].trigger()
    qtbot.waitUntil(rasters.is_ready, timeout=10_000)
    assert rasters.row_unit_ids() == [3]
    with qtbot.waitSignal(rasters.drawn, timeout=10_000):
        session.set_frame_window(0, session.num_samples)
    samples, units = rasters.spikes_in_window()
    np.testing.assert_array_equal(np.sort(samples), merged_train(merged))
    plain = si.NumpySorting.from_unit_dict({3: merged_train(merged)}, session.sampling_frequency)
    overview = rasters._overviews[0]
    expected = OverviewCounts(
        *SpikeIndex(plain).segment(0),
        1,
        overview.num_samples,
        sampling_frequency=session.sampling_frequency,
    )
    np.testing.assert_array_equal(overview.counts, expected.counts)


def test_the_table_keeps_the_metrics_of_the_units_an_action_left_alone(qtbot, merged):
    table_view, session = merged.views["units_table"], merged.session
    qtbot.waitUntil(
        lambda: all(table_view.table.state(k) == "ready" for k in SPIKE_TRAIN_KEYS + TRACE_KEYS),
        timeout=20_000,
    )
    merged.menus.actions["undo"].trigger()  # 0 and 1 come back, 2 stays as it was
    qtbot.waitUntil(lambda: table_view.table.unit_ids.tolist() == [0, 1, 2], timeout=10_000)
    table = table_view.table
    assert not table.is_pending(table.row_of(2), "isi_violations_ratio")  # kept at once
    assert table.is_pending(table.row_of(0), "isi_violations_ratio")  # computed again
    qtbot.waitUntil(
        lambda: all(table_view.table.state(k) == "ready" for k in SPIKE_TRAIN_KEYS),
        timeout=20_000,
    )
    expected = spike_train_metrics(session.sorting)
    table = table_view.table
    for key in SPIKE_TRAIN_KEYS:
        for unit in (0, 1, 2):
            got = table.values(key)[table.row_of(unit)]
            assert got == pytest.approx(expected[key][unit], nan_ok=True), (key, unit)


def test_a_label_keeps_the_raster_index_and_draws_at_once(qtbot, merged):
    rasters, session = merged.views["rasters"], merged.session
    qtbot.waitUntil(rasters.is_ready, timeout=10_000)
    before = rasters._index
    session.select_units([2])
    with qtbot.waitSignal(rasters.drawn, timeout=10_000):
        merged.menus.actions["label_good"].trigger()
    index = rasters._index
    assert index is not before and index.sorting is session.sorting  # at once, no worker
    assert index._samples is before._samples and index._units is before._units
    assert sorted(rasters.row_unit_ids()) == [2, 3]
    samples, units = rasters.spikes_in_window()
    start, end = session.frame_window
    for unit_index, unit_id in enumerate(session.sorting.unit_ids.tolist()):
        train = session.sorting.get_unit_spike_train(unit_id)
        np.testing.assert_array_equal(
            np.sort(samples[units == unit_index]), train[(train >= start) & (train < end)]
        )


def test_quick_actions_compute_only_the_units_they_made(qtbot, merged):
    session, table_view = merged.session, merged.views["units_table"]
    qtbot.waitUntil(lambda: table_view.table.state("snr") == "ready", timeout=30_000)
    titles = []
    merged.job_manager.job_added.connect(lambda job: titles.append(job.title))
    session.select_units([2])
    session.select_spikes(2, np.arange(5))
    merged.menus.actions["split"].trigger()
    new_ids = sorted(set(session.sorting.unit_ids.tolist()) - {3})
    qtbot.waitUntil(lambda: table_view.table.unit_ids.tolist() == [3, *new_ids])
    assert table_view.table.is_pending(0, "num_spikes") is False
    # before the split's jobs end: unit 3 keeps every value it had
    session.select_units([3])
    merged.menus.actions["label_good"].trigger()
    merged.job_manager.wait_for_all(30_000)
    qtbot.waitUntil(lambda: table_view.table.state("snr") == "ready", timeout=30_000)
    metric_jobs = [t for t in titles if t.startswith("Spike-train metrics")]
    assert metric_jobs == [f"Spike-train metrics of {len(new_ids)} new unit(s)"] * 2
    table = table_view.table
    expected = spike_train_metrics(session.sorting)
    for key in SPIKE_TRAIN_KEYS:
        for unit_id in session.sorting.unit_ids.tolist():
            assert table.values(key)[table.row_of(unit_id)] == pytest.approx(
                expected[key][unit_id], nan_ok=True
            )
    for key in TRACE_KEYS:
        assert np.isfinite(table.values(key)).all()


def test_a_label_or_a_removal_starts_no_metrics_job(qtbot, merged):
    session, table_view = merged.session, merged.views["units_table"]
    qtbot.waitUntil(lambda: table_view.table.state("snr") == "ready", timeout=30_000)
    before = {u: table_view.table.values("num_spikes")[table_view.table.row_of(u)] for u in [2, 3]}
    titles = []
    merged.job_manager.job_added.connect(lambda job: titles.append(job.title))
    session.select_units([3])
    merged.menus.actions["label_mua"].trigger()
    qtbot.waitUntil(lambda: table_view.table.text(table_view.table.row_of(3), "quality") == "mua")
    session.select_units([2])
    merged.menus.actions["remove"].trigger()
    qtbot.waitUntil(lambda: table_view.table.unit_ids.tolist() == [3])
    merged.job_manager.wait_for_all(30_000)
    assert not [t for t in titles if "metrics" in t or "Amplitude" in t]
    table = table_view.table
    assert table.values("num_spikes")[0] == before[3]
    assert all(table.state(k) == "ready" for k in (*SPIKE_TRAIN_KEYS, *TRACE_KEYS))
