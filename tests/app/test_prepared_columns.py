"""Metric columns prepared in the jobs (values and texts made off the GUI thread) show what a
column set value by value shows; a column of other units falls back to values by unit."""

import numpy as np
import probeinterface as pi
import pytest

import core as si
from app.model.session import Session
from app.model.unit_metrics import spike_train_metrics
from app.model.unit_table import (
    PENDING_TEXT,
    PreparedColumn,
    UnitTable,
    build_unit_table,
    prepare_columns,
)
from app.views.units_table import UnitsTableView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

KEYS = ("num_spikes", "firing_rate", "isi_violations_ratio", "presence_ratio")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 6 s, 8-channel recording and its 6-unit sorting (one unit without spikes), saved as
    folders and reloaded lazily."""
    folder = tmp_path_factory.mktemp("prepared")
    probe = pi.generate_linear_probe(num_elec=8, ypitch=25)
    probe.set_device_channel_indices(np.arange(8))
    recording, sorting = si.generate_ground_truth_recording(
        durations=[6.0], num_channels=8, num_units=5, probe=probe, seed=5
    )
    trains = {u: sorting.get_unit_spike_train(u) for u in sorting.unit_ids.tolist()}
    trains[99] = np.zeros(0, dtype="int64")
    with_silent = si.NumpySorting.from_unit_dict(trains, sorting.sampling_frequency)
    recording.save(folder=folder / "rec", progress_bar=False, n_jobs=1)
    with_silent.save(folder=folder / "sort")
    return si.load_extractor(folder / "rec"), si.load_extractor(folder / "sort")


def value_by_value(sorting, recording):
    """The table with the spike-train columns set from ``{unit_id: value}`` mappings."""
    sorting.register_recording(recording, check_spike_frames=False)
    table = build_unit_table(sorting, recording)
    for key, values in spike_train_metrics(sorting).items():
        table.set_column(key, values)
    return table


def test_prepared_columns_show_the_values_and_texts_of_columns_set_by_unit(saved):
    recording, sorting = saved
    expected = value_by_value(sorting, recording)
    prepared = prepare_columns(spike_train_metrics(sorting), sorting.unit_ids)
    table = build_unit_table(sorting, recording)
    for key in KEYS:
        assert isinstance(prepared[key], PreparedColumn)
        assert table.set_prepared(key, prepared[key])
        assert table.state(key) == "ready"
        assert table.texts(key) == expected.texts(key)
        np.testing.assert_array_equal(table.values(key), expected.values(key))
        assert len(table.widest_text(key)) == len(expected.widest_text(key))
    # the unit without spikes: 0 spikes, rate 0, no ISI ratio... formatted as by set_column
    row = table.row_of(99)
    assert table.text(row, "num_spikes") == "0"
    assert table.text(row, "isi_violations_ratio") == expected.text(row, "isi_violations_ratio")


def test_a_unit_a_metric_leaves_out_has_no_value_unless_the_table_holds_one(saved):
    _, sorting = saved
    ids = sorting.unit_ids.tolist()
    some = {u: 1.5 for u in ids[:3]}
    prepared = prepare_columns({"snr": some, "not_a_metric": {0: 1}}, sorting.unit_ids)
    column = prepared["snr"]
    assert prepared["not_a_metric"] == {0: 1}
    assert column.present.tolist() == [True] * 3 + [False] * (len(ids) - 3)
    assert column.as_mapping() == some
    table = build_unit_table(sorting)
    assert table.set_prepared("snr", column)
    assert table.texts("snr") == ["1.5"] * 3 + ["–"] * (len(ids) - 3)
    # a value the table holds for a unit left out stays (as set_column keeps it): refused
    table.set_column("snr", {ids[-1]: 7.0})
    assert not table.set_prepared("snr", column)
    assert table.text(table.row_of(ids[-1]), "snr") == "7.0"


def test_a_column_prepared_for_other_units_is_refused_and_changes_nothing(saved):
    _, sorting = saved
    ids = sorting.unit_ids.tolist()
    column = prepare_columns({"snr": {u: 2.0 for u in ids}}, sorting.unit_ids)["snr"]
    table = UnitTable(ids[::-1], build_unit_table(sorting).columns)
    assert not table.set_prepared("snr", column)
    assert table.state("snr") == "pending" and table.texts("snr") == [PENDING_TEXT] * len(ids)
    table.set_column("snr", column.as_mapping())  # what the view does then
    assert table.text(table.row_of(ids[0]), "snr") == "2.0"


def test_the_view_fills_its_spike_train_columns_from_prepared_columns(qtbot, saved):
    recording, sorting = saved
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    taken = []
    original = UnitTable.set_prepared

    def recording_set_prepared(table, key, column):
        taken.append(key)
        return original(table, key, column)

    UnitTable.set_prepared = recording_set_prepared
    try:
        session.open(recording=recording, sorting=sorting, source="files")
        qtbot.waitUntil(
            lambda: view.table is not None and all(view.table.state(k) == "ready" for k in KEYS),
            timeout=30_000,
        )
    finally:
        UnitTable.set_prepared = original
    assert set(KEYS) <= set(taken)
    expected = value_by_value(sorting, recording)
    model = view.model
    for key in KEYS:
        column = view.table.keys.index(key)
        shown = [model.data(model.index(row, column)) for row in range(model.rowCount())]
        assert shown == expected.texts(key)
        # sized to its widest text
        width = view.table_view.fontMetrics().horizontalAdvance(expected.widest_text(key))
        assert view.table_view.horizontalHeader().sectionSize(column) >= min(width, 240)
    view.shutdown()


def test_a_table_of_some_columns_keeps_their_prepared_widest_text_and_can_be_set(saved):
    recording, sorting = saved
    prepared = prepare_columns(spike_train_metrics(sorting), sorting.unit_ids)
    table = build_unit_table(sorting, recording)
    table.set_prepared("num_spikes", prepared["num_spikes"])
    part = table.select_columns(["unit_id", "num_spikes", "snr"])
    assert part.widest_text("num_spikes") == prepared["num_spikes"].widest
    part.set_column("snr", {u: 3.0 for u in sorting.unit_ids.tolist()})
    assert part.texts("snr") == ["3.0"] * sorting.get_num_units()
    assert table.state("snr") == "pending"  # the table it came from is not changed
