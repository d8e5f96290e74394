"""UnitsTableView on real files: rows, sorting, filtering, selection both ways, hiding units,
phy labels, SpikeInterface folders."""

import numpy as np
import probeinterface as pi
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle

import core as si
from app.model.session import Session
from app.model.unit_metrics import spike_train_metrics
from app.model.unit_table import METRIC_KEYS
from app.views.units_table import UnitsTableView

# the offscreen platform cannot pass a top-level window's size constraints on (harmless)
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 6 s, 8-channel recording and its 5-unit sorting saved as folders, reloaded lazily."""
    folder = tmp_path_factory.mktemp("units")
    probe = pi.generate_linear_probe(num_elec=8, ypitch=25)
    probe.set_device_channel_indices(np.arange(8))
    recording, sorting = si.generate_ground_truth_recording(
        durations=[6.0], num_channels=8, num_units=5, probe=probe, seed=3
    )
    sorting.set_property("KSLabel", np.array(["good", "mua", "good", "noise", "good"]))
    recording.save(folder=folder / "rec", progress_bar=False, n_jobs=1)
    sorting.save(folder=folder / "sort")
    return si.load_extractor(folder / "rec"), si.load_extractor(folder / "sort")


@pytest.fixture
def view(qtbot, saved):
    recording, sorting = saved
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(recording=recording, sorting=sorting, source="files")
    qtbot.waitUntil(lambda: view.table is not None and view.table.num_rows == 5)
    yield view
    view.shutdown()


def column_texts(view, key):
    column = view.table.keys.index(key)
    model = view.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_one_row_per_unit_with_its_colour_and_a_ticked_box(view):
    model = view.model
    assert model.rowCount() == 5
    assert column_texts(view, "unit_id") == ["0", "1", "2", "3", "4"]
    swatch = model.data(model.index(2, 0), Qt.ItemDataRole.DecorationRole)
    assert swatch.isValid() and swatch.alpha() == 255
    assert model.data(model.index(2, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert "5 units" in view.status_label.text()


def test_the_id_column_has_room_for_the_box_the_swatch_and_the_longest_id(qtbot):
    sorting = si.NumpySorting.from_unit_dict(
        [{1234567: np.array([10, 20]), 2: np.array([30])}], sampling_frequency=30_000.0
    )
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(sorting=sorting, source="memory")
    qtbot.waitUntil(lambda: view.table is not None and view.table.num_rows == 2)
    style, metrics = view.table_view.style(), view.table_view.fontMetrics()
    needed = (
        style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
        + style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        + metrics.horizontalAdvance("1234567")
    )
    assert view.table_view.horizontalHeader().sectionSize(0) >= needed + 8
    view.shutdown()


def test_sorting_by_a_column_orders_rows_and_shares_the_order(view):
    view.sort_by("KSLabel")
    assert column_texts(view, "KSLabel") == ["good", "good", "good", "mua", "noise"]
    assert view._session.unit_order == (0, 2, 4, 1, 3)
    view.sort_by("unit_id", descending=True)
    assert column_texts(view, "unit_id") == ["4", "3", "2", "1", "0"]
    assert view._session.ordered_unit_ids() == [4, 3, 2, 1, 0]


def test_a_valid_filter_keeps_matching_rows(view):
    view.set_filter('KSLabel == "good" or label == "mua"')
    assert column_texts(view, "unit_id") == ["0", "1", "2", "4"]
    assert view.filter_error is None
    assert "4 of 5 units match" in view.status_label.text()
    view.set_filter("")
    assert view.model.rowCount() == 5


def test_an_invalid_filter_says_why_and_keeps_the_rows(view):
    view.set_filter('KSLabel == "good"')
    view.set_filter("snrr > 5")
    assert "unknown column 'snrr'" in view.filter_error
    assert "did you mean snr" in view.status_label.text()
    assert view.model.rowCount() == 3  # the last valid filter stays


def test_selecting_rows_selects_the_units_in_the_session(view):
    table = view.table_view
    table.selectRow(1)
    assert view._session.selected_unit_ids == (1,)
    table.selectionModel().select(
        view.model.index(3, 0),
        table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows,
    )
    assert view._session.selected_unit_ids == (1, 3)


def test_the_table_follows_a_selection_made_elsewhere(view):
    view.sort_by("unit_id", descending=True)
    view._session.select_units([0, 2])
    assert view.selected_rows_unit_ids() == [2, 0]
    selected_rows = sorted(i.row() for i in view.table_view.selectionModel().selectedRows())
    assert selected_rows == [2, 4]


def test_selection_survives_sorting_and_filtering(view):
    view._session.select_units([3])
    view.sort_by("KSLabel")
    assert view.selected_rows_unit_ids() == [3]
    view.set_filter("unit_id >= 2")
    assert view.selected_rows_unit_ids() == [3]
    assert view._session.selected_unit_ids == (3,)


def test_unticking_a_unit_hides_it_everywhere(view):
    model = view.model
    model.setData(model.index(1, 0), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert view._session.hidden_unit_ids == (1,)
    assert model.data(model.index(1, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.data(model.index(1, 0), Qt.ItemDataRole.DecorationRole).alpha() < 255
    assert "1 hidden" in view.status_label.text()
    view.show_all()
    assert view._session.hidden_unit_ids == ()


def test_hide_all_and_show_only_matching(view):
    view.hide_all()
    assert set(view._session.hidden_unit_ids) == {0, 1, 2, 3, 4}
    view.set_filter('KSLabel != "good"')
    view.show_only_matching()
    assert set(view._session.hidden_unit_ids) == {0, 2, 4}


def test_space_toggles_the_selected_units(qtbot, view):
    view._session.select_units([0, 4])
    qtbot.keyClick(view.table_view, Qt.Key.Key_Space)
    assert set(view._session.hidden_unit_ids) == {0, 4}
    qtbot.keyClick(view.table_view, Qt.Key.Key_Space)
    assert view._session.hidden_unit_ids == ()


def test_probe_columns_fill_in_when_the_unit_channels_are_known(view, saved):
    recording, _ = saved
    assert column_texts(view, "depth")[0] == "…"
    view._session.set_unit_channels({u: recording.channel_ids[u].item() for u in range(5)})
    assert column_texts(view, "depth") == ["0", "25", "50", "75", "100"]
    assert column_texts(view, "channel") == ["0", "1", "2", "3", "4"]


def write_phy_folder(folder, sampling_frequency=30_000.0):
    folder.mkdir()
    (folder / "params.py").write_text(
        f"dat_path = 'raw.bin'\nn_channels_dat = 8\ndtype = 'int16'\noffset = 0\n"
        f"sample_rate = {sampling_frequency}\nhp_filtered = True\n"
    )
    times = np.array([100, 2_000, 4_000, 9_000, 12_000, 50_000], dtype=np.uint64)
    clusters = np.array([7, 7, 12, 7, 30, 12], dtype=np.int32)
    np.save(folder / "spike_times.npy", times)
    np.save(folder / "spike_clusters.npy", clusters)
    (folder / "cluster_group.tsv").write_text("cluster_id\tgroup\n7\tgood\n12\tnoise\n30\tmua\n")
    (folder / "cluster_KSLabel.tsv").write_text("cluster_id\tKSLabel\n7\tgood\n12\tmua\n30\tgood\n")


def test_a_phy_folder_shows_its_groups_as_labels(qtbot, tmp_path):
    write_phy_folder(tmp_path / "phy")
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(sorting=si.read_phy(tmp_path / "phy"))
    qtbot.waitUntil(lambda: view.table is not None)
    assert column_texts(view, "unit_id") == ["7", "12", "30"]
    assert column_texts(view, "label") == ["good", "noise", "mua"]
    assert column_texts(view, "KSLabel") == ["good", "mua", "good"]
    view.set_filter('label == "good" or KSLabel == "good"')
    assert column_texts(view, "unit_id") == ["7", "30"]
    # no recording: no duration, no positions
    assert column_texts(view, "depth") == ["–"] * 2
    view.shutdown()


def test_spikeinterface_folders_with_string_ids_and_2d_properties(qtbot, si_fixtures):
    folder = si_fixtures / "si_0.105.3"
    recording = si.load_extractor(folder / "recording_binary" / "recording")
    sorting = si.load_extractor(folder / "sorting_default_folder" / "sorting")
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(recording=recording, sorting=sorting)
    qtbot.waitUntil(lambda: view.table is not None)
    assert column_texts(view, "unit_id") == ["0", "1", "2", "3", "4"]
    assert "gt_unit_locations" in view.table.keys
    assert column_texts(view, "gt_unit_locations")[0].count(",") == 2
    view.set_filter('main_channel_id == "CH3" or Amplitude >= 125')
    assert view.filter_error is None and view.model.rowCount() >= 2
    view.shutdown()


def wait_for_metrics(qtbot, view):
    qtbot.waitUntil(
        lambda: (
            view.table is not None and all(view.table.state(k) != "pending" for k in METRIC_KEYS)
        ),
        timeout=60_000,
    )


def test_spike_train_metrics_fill_in_with_core_qualitymetrics_values(qtbot, view, saved):
    _, sorting = saved
    qtbot.waitUntil(lambda: view.table.state("num_spikes") == "ready", timeout=30_000)
    assert column_texts(view, "num_spikes") == [
        str(n) for n in sorting.count_num_spikes_per_unit(outputs="array")
    ]
    rates = si.compute_firing_rates(sorting)
    assert view.table.values("firing_rate").tolist() == pytest.approx(list(rates.values()))
    ratios = si.compute_isi_violations(sorting).isi_violations_ratio
    assert view.table.values("isi_violations_ratio").tolist() == pytest.approx(
        list(ratios.values())
    )
    # 6 s: shorter than one 60 s bin, so presence ratios are NaN (SpikeInterface's rule)
    assert column_texts(view, "presence_ratio") == ["–"] * 5


def test_amplitude_and_snr_fill_in_from_sampled_waveforms(qtbot, view, saved):
    recording, sorting = saved
    view._session.set_unit_channels(
        {u: c for u, c in zip(sorting.unit_ids.tolist(), [0, 2, 4, 6, 7])}
    )
    wait_for_metrics(qtbot, view)
    snr = view.table.values("snr")
    amplitude = view.table.values("amplitude_median")
    assert np.all(np.isfinite(snr)) and np.all(snr > 0)
    assert np.all(amplitude > 0)  # µV
    view.sort_by("snr", descending=True)
    shown = [float(t) for t in column_texts(view, "snr")]
    assert shown == sorted(shown, reverse=True)
    view.set_filter("snr > 0 and amplitude_median > 0 and num_spikes >= 1")
    assert view.model.rowCount() == 5


def test_an_open_waveform_extractor_gives_amplitude_and_snr(qtbot, saved):
    recording, sorting = saved
    we = si.extract_waveforms(
        recording, sorting, mode="memory", max_spikes_per_unit=20, sparse=False, seed=0, n_jobs=1
    )
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(recording=recording, sorting=sorting, waveform_extractor=we)
    wait_for_metrics(qtbot, view)
    expected = si.compute_snrs(we)
    assert view.table.values("snr").tolist() == pytest.approx(list(expected.values()))
    view.shutdown()


def test_a_waveform_folder_opened_without_its_recording_has_rates_and_isi(qtbot, saved, tmp_path):
    recording, sorting = saved
    si.extract_waveforms(
        recording, sorting, folder=tmp_path / "wf", max_spikes_per_unit=10, sparse=False,
        seed=0, n_jobs=1,
    )  # fmt: skip
    we = si.load_waveforms(tmp_path / "wf", with_recording=False)
    assert not we.has_recording() and not we.sorting.has_recording()
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    session.open(sorting=we.sorting, waveform_extractor=we)
    qtbot.waitUntil(
        lambda: view.table is not None and view.table.state("firing_rate") == "ready",
        timeout=30_000,
    )
    rates = si.compute_firing_rates(we)  # the folder stores the recording's duration
    assert view.table.values("firing_rate").tolist() == pytest.approx(list(rates.values()))
    ratios = si.compute_isi_violations(we).isi_violations_ratio
    assert view.table.values("isi_violations_ratio").tolist() == pytest.approx(
        list(ratios.values())
    )
    assert not we.sorting.has_recording(), "the open sorting is left as it was"
    view.shutdown()


def test_spike_train_metrics_take_segment_lengths_for_a_sorting_without_recording():
    sorting = si.NumpySorting.from_unit_dict(
        [
            {"a": np.array([10, 500, 900]), "b": np.array([20])},
            {"a": np.array([5]), "b": np.array([], dtype="int64")},
        ],
        1000.0,
    )
    metrics = spike_train_metrics(sorting, [1000, 3000])
    assert metrics["firing_rate"] == {"a": pytest.approx(1.0), "b": pytest.approx(0.25)}
    assert "firing_rate" not in spike_train_metrics(sorting)
    assert not sorting.has_recording()
    with pytest.raises(ValueError, match="segment_lengths: 1 lengths for a sorting of 2"):
        spike_train_metrics(sorting, [1000])


def test_metric_cells_carry_a_bar_and_flags(view):
    from app.views.unit_table_model import BAR_ROLE

    table = view.table
    table.set_column("isi_violations_ratio", [0.0, 0.25, 1.0, 0.5, 0.0])
    view._columns_changed(("isi_violations_ratio",))
    column = table.keys.index("isi_violations_ratio")
    model = view.model
    bars = [model.data(model.index(r, column), BAR_ROLE) for r in range(5)]
    assert bars == [0.0, 0.25, 1.0, 0.5, 0.0]
    flagged = model.data(model.index(2, column), Qt.ItemDataRole.ForegroundRole)
    assert flagged == view.model._theme.event
    assert "threshold of 0.5" in model.data(model.index(2, column), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, column), Qt.ItemDataRole.ForegroundRole) is None


def test_columns_can_be_hidden(view):
    assert view.visible_columns()[:3] == ["unit_id", "num_spikes", "firing_rate"]
    view.set_column_visible("firing_rate", False)
    assert "firing_rate" not in view.visible_columns()
    view.set_column_visible("firing_rate", True)
    assert "firing_rate" in view.visible_columns()


def test_hidden_columns_stay_hidden_for_the_next_sorting(qtbot, view, saved):
    recording, sorting = saved
    view.set_column_visible("presence_ratio", False)
    view._session.add(sorting=sorting.select_units([0, 1]))
    qtbot.waitUntil(lambda: view.table is not None and view.table.num_rows == 2)
    assert "presence_ratio" not in view.visible_columns()


def test_a_new_probe_keeps_the_metrics_and_redoes_the_positions(qtbot, view, saved):
    recording, sorting = saved
    session = view._session
    session.set_unit_channels({u: u for u in range(5)})
    wait_for_metrics(qtbot, view)
    snr = view.table.values("snr").copy()
    jobs_before = len(view._job_manager.jobs)
    probe = pi.generate_linear_probe(num_elec=8, ypitch=40)
    probe.set_device_channel_indices(np.arange(8))
    session.replace_recording(recording.set_probe(probe))
    qtbot.waitUntil(lambda: column_texts(view, "depth") == ["0", "40", "80", "120", "160"])
    np.testing.assert_array_equal(view.table.values("snr"), snr)
    assert len(view._job_manager.jobs) == jobs_before == 0


def test_double_clicking_a_unit_shows_its_next_spike(qtbot, view, saved):
    _, sorting = saved
    session = view._session
    train = sorting.get_unit_spike_train(2)
    session.set_frame_window(0, 3_000)
    view.show()
    qtbot.waitExposed(view)
    row = view.model.view_row(2)
    index = view.model.index(row, 1)
    rect = view.table_view.visualRect(index)
    qtbot.mouseClick(view.table_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    first_after = int(train[np.searchsorted(train, 1_500, side="right")])
    assert sum(session.frame_window) // 2 == max(first_after, 1_500)
    assert session.selected_unit_ids == (2,)
    assert view.go_to_next_spike(2)
    centre = (session.frame_window[0] + session.frame_window[1]) // 2
    assert centre > first_after


def test_a_curation_recomputes_only_the_units_it_changed(qtbot, view, saved):
    recording, sorting = saved
    session = view._session
    session.set_unit_channels({u: u for u in range(5)})
    wait_for_metrics(qtbot, view)
    before = dict(zip(view.table.unit_ids.tolist(), view.table.values("snr")))
    submitted = []
    view._job_manager.job_added.connect(lambda job: submitted.append(job.title))
    trains = {u: sorting.get_unit_spike_train(u) for u in range(5)}
    merged = np.sort(np.concatenate([trains[3], trains[4]]))
    curated = si.NumpySorting.from_unit_dict(
        {0: trains[0], 1: trains[1], 2: trains[2], 9: merged}, sorting.sampling_frequency
    )
    curated.set_property("quality", np.array(["good", "", "mua", "good"]))
    session.replace_sorting(curated)
    qtbot.waitUntil(lambda: view.table.unit_ids.tolist() == [0, 1, 2, 9])
    qtbot.waitUntil(lambda: not view.table.is_pending(0, "snr"), timeout=30_000)
    assert column_texts(view, "snr")[3] == "…"  # unit 9 waits for its channel
    assert column_texts(view, "label") == ["good", "", "mua", "good"]
    session.set_unit_channels({**session.unit_channel_ids, 9: 3})
    wait_for_metrics(qtbot, view)
    assert "Amplitude and SNR of 1 units" in submitted
    snr = dict(zip(view.table.unit_ids.tolist(), view.table.values("snr")))
    assert [snr[u] for u in (0, 1, 2)] == [before[u] for u in (0, 1, 2)]
    assert np.isfinite(snr[9]) and snr[9] > 0


def test_a_label_only_curation_computes_no_amplitudes(qtbot, view, saved):
    _, sorting = saved
    session = view._session
    session.set_unit_channels({u: u for u in range(5)})
    wait_for_metrics(qtbot, view)
    submitted = []
    view._job_manager.job_added.connect(lambda job: submitted.append(job.title))
    labelled = sorting.select_units(sorting.unit_ids)
    labelled.set_property("quality", np.array(["good", "mua", "noise", "good", "good"]))
    session.replace_sorting(labelled)
    qtbot.waitUntil(lambda: column_texts(view, "label")[2] == "noise")
    wait_for_metrics(qtbot, view)
    assert not any(title.startswith("Amplitude") for title in submitted)
    assert "…" not in column_texts(view, "snr")
