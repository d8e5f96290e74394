"""The units table's data (no Qt): columns from a sorting and a recording, sorting by a column,
filter expressions (valid, invalid with a message, property columns)."""

import numpy as np
import probeinterface as pi
import pytest

import core as si
from app.model.unit_filter import FilterError, apply_filter
from app.model.unit_table import (
    MISSING_TEXT,
    PENDING_TEXT,
    TEXT,
    ColumnSpec,
    UnitTable,
    build_unit_table,
    filter_name,
)


@pytest.fixture
def recording():
    recording = si.generate_recording(num_channels=4, durations=[2.0], seed=0)
    probe = pi.generate_linear_probe(num_elec=4, ypitch=25)
    probe.set_device_channel_indices(np.arange(4))
    probe.set_shank_ids(np.array(["0", "0", "1", "1"]))
    return recording.set_probe(probe, group_mode="by_shank")


@pytest.fixture
def sorting(recording):
    sorting = si.NumpySorting.from_unit_dict(
        {3: np.array([10, 500, 900]), 7: np.array([100]), 11: np.array([19_000, 20_000])},
        sampling_frequency=recording.sampling_frequency,
    )
    sorting.set_property("KSLabel", np.array(["good", "mua", "good"]))
    sorting.set_property("Amplitude", np.array([80.5, 20.0, 41.0]))
    sorting.set_property("depth", np.array([1.0, 2.0, 3.0]))  # clashes with the table's own
    return sorting


@pytest.fixture
def table(sorting, recording):
    return build_unit_table(sorting, recording, {3: 2, 7: 0, 11: 3})


def test_one_row_per_unit_with_probe_columns_from_the_extremum_channel(table):
    assert table.unit_ids.tolist() == [3, 7, 11]
    assert table.values("unit_id").tolist() == [3, 7, 11]
    assert table.values("depth").tolist() == [50.0, 0.0, 75.0]
    assert table.values("shank").tolist() == [1, 0, 1]
    assert table.values("channel").tolist() == [2, 0, 3]


def test_every_sorting_property_is_a_column_and_label_comes_from_kslabel(table):
    assert {"KSLabel", "Amplitude", "sorting_depth"} <= set(table.keys)
    assert table.values("label").tolist() == ["good", "mua", "good"]
    assert table.values("Amplitude").tolist() == [80.5, 20.0, 41.0]
    assert table.column("sorting_depth").title == "depth"


def test_metric_columns_show_pending_until_set_then_values(table):
    assert table.text(0, "snr") == PENDING_TEXT
    table.set_column("snr", {3: 5.25, 11: 12.0})
    assert [table.text(r, "snr") for r in range(3)] == ["5.2", MISSING_TEXT, "12.0"]


def test_probe_columns_wait_for_the_unit_channels(sorting, recording):
    table = build_unit_table(sorting, recording, {})
    assert table.text(0, "depth") == PENDING_TEXT
    assert table.text(0, "label") == "good"


def test_sorting_by_a_number_column_is_numeric_and_puts_missing_values_last(table):
    table.set_column("num_spikes", {3: 3, 7: 100, 11: 20})
    assert table.unit_ids[table.sorted_rows("num_spikes")].tolist() == [3, 11, 7]
    assert table.unit_ids[table.sorted_rows("num_spikes", descending=True)].tolist() == [7, 11, 3]
    table.set_column("snr", {3: 2.0, 11: 1.0})
    assert table.unit_ids[table.sorted_rows("snr", descending=True)].tolist() == [3, 11, 7]


def test_sorting_text_is_natural_and_stable():
    table = UnitTable(["u10", "u2", "U1", "u2b"], [ColumnSpec("unit_id", "Unit", TEXT)])
    table.set_column("unit_id", ["u10", "u2", "U1", "u2b"])
    assert table.unit_ids[table.sorted_rows("unit_id")].tolist() == ["U1", "u2", "u2b", "u10"]


def test_filter_on_metrics_and_properties(table):
    table.set_column("snr", {3: 6.0, 7: 8.0, 11: 2.0})
    table.set_column("firing_rate", {3: 1.5, 7: 0.2, 11: 1.0})
    table.set_column("num_spikes", {3: 3, 7: 150, 11: 2})
    kept = table.apply_filter("snr > 5 and firing_rate > 0.5")
    assert kept.mask.tolist() == [True, False, False]
    assert set(kept.columns) == {"snr", "firing_rate"}
    assert table.apply_filter('label == "good"').mask.tolist() == [True, False, True]
    either = table.apply_filter('num_spikes >= 100 or KSLabel == "good"')
    assert either.mask.tolist() == [True, True, True]
    assert table.apply_filter("Amplitude / 2 > 30").mask.tolist() == [True, False, False]
    assert table.apply_filter('KSLabel in ("mua", "noise")').mask.tolist() == [False, True, False]
    assert table.apply_filter("1 < snr <= 6").mask.tolist() == [True, False, True]
    assert table.apply_filter("not (snr > 5)").mask.tolist() == [False, False, True]
    assert table.apply_filter("SNR > 7").mask.tolist() == [False, True, False]  # any case


def test_pending_values_never_match(table):
    assert table.apply_filter("snr > 0").mask.tolist() == [False, False, False]
    assert table.apply_filter("").mask.tolist() == [True, True, True]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("snrr > 5", "unknown column 'snrr' \\(did you mean snr\\?\\)"),
        ("snr >", "invalid filter at character"),
        ('label = "good"', "compare with =="),
        ("__import__('os').system('true')", "a function call is not allowed"),
        ("snr.real > 1", "an attribute"),
        ("snr ** 2 > 1", "power"),
        ("label > 3", "'label' is text and '3' is not"),
        ("snr", "must be a condition"),
        ("snr > 1 and firing_rate", "'and' joins conditions"),
        ("[x for x in snr]", "comprehension"),
        ("snr in 5", 'after "in" give a list'),
    ],
)
def test_invalid_filters_say_why(table, expression, message):
    with pytest.raises(FilterError, match=message):
        table.apply_filter(expression)


def test_filter_never_evaluates_code(tmp_path):
    marker = tmp_path / "ran"
    columns = {"snr": np.array([1.0])}
    with pytest.raises(FilterError):
        apply_filter(f"open({str(marker)!r}, 'w')", columns, 1)
    assert not marker.exists()


def test_property_names_become_filter_names():
    assert filter_name("n spikes") == "n_spikes"
    assert filter_name("2d") == "_2d"
    assert filter_name("KSLabel") == "KSLabel"


def test_a_sorting_without_recording_has_no_probe_columns(sorting):
    table = build_unit_table(sorting, None, None)
    assert table.state("depth") == "unavailable"
    assert table.text(0, "depth") == MISSING_TEXT


def test_cells_past_the_usual_thresholds_are_flagged(table):
    table.set_column("isi_violations_ratio", {3: 0.1, 7: 0.9, 11: 0.5})
    table.set_column("presence_ratio", {3: 0.95, 7: 0.5, 11: np.nan})
    assert [table.flagged(r, "isi_violations_ratio") for r in range(3)] == [False, True, False]
    assert [table.flagged(r, "presence_ratio") for r in range(3)] == [False, True, False]
    assert not table.flagged(0, "snr")  # no threshold (and still pending)
    assert table.value_range("isi_violations_ratio") == (0.1, 0.9)
    assert table.value_range("snr") is None


def test_unit_signatures_tell_unchanged_units_whatever_the_slicing(monkeypatch):
    from app.model import unit_metrics

    empty = np.array([], dtype="int64")
    a = si.NumpySorting.from_unit_dict(
        [{0: np.array([5, 90, 400]), 1: np.array([7])}, {0: np.array([3]), 1: empty}], 1000.0
    )
    b = si.NumpySorting.from_unit_dict(
        [
            {1: np.array([7]), 0: np.array([5, 90, 400]), 2: empty},
            {1: empty, 0: np.array([3]), 2: empty},
        ],
        1000.0,
    )
    moved = si.NumpySorting.from_unit_dict(
        [{0: np.array([5, 91, 400]), 1: np.array([7])}, {0: np.array([3]), 1: empty}], 1000.0
    )
    monkeypatch.setattr(unit_metrics, "SIGNATURE_SLICE", 2)
    first, second = unit_metrics.unit_signatures(a), unit_metrics.unit_signatures(b)
    assert first[0] == second[0] == (4, 5 + 90 + 400 + 3, 1)
    assert first[1] == second[1] and second[2] == (0, 0, 0)
    assert unit_metrics.unit_signatures(moved)[0] != first[0]


def test_column_state_follows_partial_complete_and_unavailable_values(table):
    assert table.state("snr") == "pending"
    table.set_column("snr", {3: 5.0}, complete=False)
    assert table.state("snr") == "pending" and not table.is_pending(0, "snr")
    table.set_column("snr", {7: 2.0, 11: 1.0}, complete=False)
    assert table.state("snr") == "ready"
    table.set_unavailable("snr", "no waveforms")
    assert table.state("snr") == "unavailable"
    table.set_column("snr", {3: 5.0})
    assert table.state("snr") == "ready"


def test_sampled_spikes_come_per_unit_away_from_the_ends_in_spike_vector_order():
    from app.model.unit_metrics import sample_spikes_per_unit

    rng = np.random.default_rng(4)
    times = [np.sort(rng.integers(0, 20_000, 4000)), np.sort(rng.integers(0, 9_000, 1500))]
    labels = [rng.integers(0, 6, 4000), rng.integers(0, 6, 1500)]
    sorting = si.NumpySorting.from_times_labels(times, labels, 30_000.0)
    spikes = sample_spikes_per_unit(sorting, 40, seed=2, num_samples=[20_000, 9_000], margin=100)
    vector = sorting.to_spike_vector()
    assert spikes.dtype == vector.dtype
    assert np.bincount(spikes["unit_index"], minlength=6).tolist() == [40] * 6
    limits = np.array([20_000, 9_000])[spikes["segment_index"]]
    assert np.all(spikes["sample_index"] >= 100) and np.all(spikes["sample_index"] < limits - 100)
    rows = {tuple(row) for row in vector.tolist()}
    assert all(tuple(row) in rows for row in spikes.tolist())
    order = np.lexsort((spikes["unit_index"], spikes["sample_index"], spikes["segment_index"]))
    assert np.array_equal(order, np.arange(spikes.size))
    again = sample_spikes_per_unit(sorting, 40, seed=2, num_samples=[20_000, 9_000], margin=100)
    assert np.array_equal(spikes, again)


def test_sampling_spikes_makes_no_copy_of_the_spike_vector():
    import tracemalloc

    from app.model.unit_metrics import sample_spikes_per_unit

    rng = np.random.default_rng(5)
    times = np.sort(rng.integers(0, 3_000_000, 500_000))
    sorting = si.NumpySorting.from_times_labels(times, rng.integers(0, 20, times.size), 30_000.0)
    sorting.get_unit_spike_train(0)  # the trains, cached as the metric jobs leave them
    tracemalloc.start()
    try:
        sample_spikes_per_unit(sorting, 50, num_samples=[3_000_000], margin=90)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < sorting.to_spike_vector().nbytes / 10


def test_widest_text_is_as_long_as_the_longest_cell(table):
    def longest(key):
        return max(len(table.text(r, key)) for r in range(table.num_rows))

    assert len(table.widest_text("snr")) == longest("snr")  # pending
    table.set_column("snr", {3: -1234.5, 7: np.nan}, complete=False)
    assert table.widest_text("snr") == "-1234.5"
    table.set_column("snr", {3: 2.0, 7: np.inf, 11: 99999.25})
    assert table.widest_text("snr") == "99999.2"
    table.set_column("firing_rate", [np.nan, np.nan, 1.0])
    assert len(table.widest_text("firing_rate")) == longest("firing_rate")
    for key in ("label", "KSLabel", "unit_id", "depth"):
        assert len(table.widest_text(key)) == longest(key)


def test_set_rows_fills_some_cells_as_set_column_with_a_mapping(sorting, recording):
    by_rows = build_unit_table(sorting, recording, {3: 2, 7: 0, 11: 3})
    by_mapping = build_unit_table(sorting, recording, {3: 2, 7: 0, 11: 3})
    rows = by_rows.rows_of([11, 99, 3])
    assert rows.tolist() == [by_rows.row_of(11), -1, by_rows.row_of(3)]
    by_rows.set_rows("snr", rows[[0, 2]], np.array([12.0, 5.25]))
    by_mapping.set_column("snr", {3: 5.25, 11: 12.0}, complete=False)
    np.testing.assert_array_equal(by_rows.values("snr"), by_mapping.values("snr"))
    np.testing.assert_array_equal(by_rows.pending_rows("snr"), by_mapping.pending_rows("snr"))
    assert by_rows.texts("snr") == by_mapping.texts("snr")
    assert by_rows.state("snr") == by_mapping.state("snr") == "pending"  # unit 7 still is
    with pytest.raises(ValueError, match="2 rows but 1 values"):
        by_rows.set_rows("snr", rows[[0, 2]], np.array([1.0]))


def test_set_rows_with_texts_keeps_the_others_and_shows_the_given_ones(sorting, recording):
    formatted = build_unit_table(sorting, recording, {3: 2, 7: 0, 11: 3})
    copied = build_unit_table(sorting, recording, {3: 2, 7: 0, 11: 3})
    for table in (formatted, copied):
        table.set_column("snr", {7: 1.5}, complete=False)
    rows = formatted.rows_of([11, 3])
    formatted.set_rows("snr", rows, np.array([12.0, 5.25]))
    copied.set_rows("snr", rows, np.array([12.0, 5.25]), ["12.0", "5.2"])
    assert copied.texts("snr") == formatted.texts("snr")
    assert copied.text(copied.row_of(7), "snr") == formatted.text(copied.row_of(7), "snr")
    np.testing.assert_array_equal(copied.pending_rows("snr"), formatted.pending_rows("snr"))
    assert copied.state("snr") == formatted.state("snr") == "ready"
    assert copied.widest_text("snr") == formatted.widest_text("snr")
    with pytest.raises(ValueError, match="2 rows but 1 texts"):
        copied.set_rows("snr", rows, np.array([1.0, 2.0]), ["1.0"])
