"""The units table follows a curation action row by row: after a label, a removal, a merge, a
split and their undo the rows equal a freshly built table's (ids, texts, order, under a sort
and a filter), the selection is kept, and the model is never reset."""

import numpy as np
import pytest

from app.model.unit_table import (
    SPIKE_TRAIN_COLUMNS,
    TEXT,
    ColumnSpec,
    UnitTable,
    build_unit_table,
    prepare_columns,
)
from app.unit_metrics_runner import TRACE_KEYS
from app.views.units_table import UnitsTableView
from tests.app.folders_window import window_on_folders, write_ground_truth_folders

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_ground_truth_folders(
        tmp_path_factory.mktemp("table-curation"), num_units=8, seed=5
    )


@pytest.fixture
def window(qtbot, tmp_path, folders):
    with window_on_folders(qtbot, tmp_path, folders) as window:
        yield window


class ModelEvents:
    """Counts the structural signals of the table's model."""

    def __init__(self, model) -> None:
        self.counts = dict.fromkeys(("reset", "removed", "inserted", "layout", "changed"), 0)
        self.changed_cells: list[tuple[int, int, int, int]] = []
        model.modelReset.connect(lambda: self._count("reset"))
        model.rowsRemoved.connect(lambda *_: self._count("removed"))
        model.rowsInserted.connect(lambda *_: self._count("inserted"))
        model.layoutChanged.connect(lambda *_: self._count("layout"))
        model.dataChanged.connect(self._changed)

    def _count(self, name: str) -> None:
        self.counts[name] += 1

    def _changed(self, first, last, *_) -> None:
        self.counts["changed"] += 1
        self.changed_cells.append((first.row(), last.row(), first.column(), last.column()))

    def clear(self) -> None:
        self.counts = dict.fromkeys(self.counts, 0)
        self.changed_cells = []


def rows(view: UnitsTableView) -> dict:
    """What the view shows: the column keys, and per row on display its unit and the text
    of every column but amplitude and SNR (estimated from a random sample of spikes: a table
    computed afresh gets other digits; the table keeps the values of the units an action
    left, see `trace_values`)."""
    model = view.model
    keys = view.table.keys
    return {
        "keys": keys,
        "rows": [
            (
                model.unit_id(r),
                tuple(
                    model.index(r, c).data()
                    for c in range(model.columnCount())
                    if keys[c] not in TRACE_KEYS
                ),
            )
            for r in range(model.rowCount())
        ],
    }


def trace_values(view: UnitsTableView) -> dict:
    """``{unit_id: (amplitude, snr)}`` of the table's units."""
    table = view.table
    return {
        u: tuple(table.values(k)[table.row_of(u)] for k in TRACE_KEYS)
        for u in table.unit_ids.tolist()
    }


def fresh_rows(qtbot, window, sort_key: str, descending: bool, expression: str) -> dict:
    """The rows of a units table built afresh for the session, sorted and filtered alike."""
    fresh = UnitsTableView(window.session)
    qtbot.addWidget(fresh)
    try:
        qtbot.waitUntil(lambda: computed(fresh), timeout=30_000)
        fresh.sort_by(sort_key, descending)
        fresh.set_filter(expression)
        return rows(fresh)
    finally:
        fresh.shutdown()


def computed(view: UnitsTableView) -> bool:
    """Whether the view's metric jobs ended and no cell is pending."""
    table = view.table
    return not view.metric_jobs and all(table.state(key) != "pending" for key in table.keys)


def settle(qtbot, window, view) -> None:
    """Wait for the table to show the session's sorting with every value computed."""
    session = window.session
    built = build_unit_table(session.sorting, None, None, session.label_definitions)
    qtbot.waitUntil(
        lambda: (
            view.table.unit_ids.tolist() == built.unit_ids.tolist()
            and view.table.texts("label") == built.texts("label")
        )
    )
    window.job_manager.wait_for_all(30_000)
    qtbot.waitUntil(lambda: computed(view), timeout=30_000)
    window.job_manager.wait_for_all(30_000)


def test_each_action_and_its_undo_change_rows_not_the_whole_table(qtbot, window):
    session = window.session
    view = window.views["units_table"]
    settle(qtbot, window, view)
    view.sort_by("num_spikes", descending=True)
    expression = "num_spikes > 10"
    view.set_filter(expression)
    events = ModelEvents(view.model)
    actions = window.menus.actions
    ids = session.sorting.unit_ids.tolist()
    known = trace_values(view)

    def check(name: str) -> None:
        settle(qtbot, window, view)
        assert events.counts["reset"] == 0, name
        values = trace_values(view)
        for unit_id, kept in known.items():
            if unit_id in values:  # a unit the action left keeps its values
                np.testing.assert_array_equal(values[unit_id], kept, err_msg=name)
        assert np.isfinite(list(values.values())).all(), name
        known.clear()
        known.update(values)
        mine, fresh = rows(view), fresh_rows(qtbot, window, "num_spikes", True, expression)
        assert mine == fresh, name
        selected = set(view.selected_rows_unit_ids())
        assert selected == set(session.selected_unit_ids) & set(view.model.shown_unit_ids())

    # a label: one cell of the label column changes, no row comes or goes
    session.select_units([ids[2]])
    events.clear()
    actions["label_good"].trigger()
    label_column = view.table.keys.index("label")
    row = view.model.view_row(ids[2])
    qtbot.waitUntil(lambda: view.table.text(view.table.row_of(ids[2]), "label") == "good")
    check("label")
    assert events.counts["removed"] == events.counts["inserted"] == 0
    label_cells = [c for c in events.changed_cells if c[2] <= label_column <= c[3]]
    assert label_cells == [(row, row, label_column, label_column)]
    assert view.selected_rows_unit_ids() == [ids[2]]

    # a removal: its row goes, the selection of the others stays
    session.select_units([ids[4]])
    events.clear()
    actions["remove"].trigger()
    check("remove")
    assert events.counts["removed"] == 1 and events.counts["inserted"] == 0
    assert ids[4] not in view.model.shown_unit_ids()

    # a merge: the two rows go, the merged unit's row comes (selected)
    session.select_units([ids[0], ids[1]])
    events.clear()
    actions["merge"].trigger()
    (merged,) = set(session.sorting.unit_ids.tolist()) - set(ids)
    check("merge")
    assert events.counts["inserted"] >= 1 and events.counts["removed"] >= 1
    assert view.selected_rows_unit_ids() == [merged]

    # its undo: the merged row goes, the two come back
    events.clear()
    actions["undo"].trigger()
    check("undo merge")
    assert {ids[0], ids[1]} <= set(view.model.shown_unit_ids())
    assert merged not in view.model.shown_unit_ids()

    # a split of the largest unit: half of its spikes, picked
    counts = session.sorting.count_num_spikes_per_unit()
    unit = max(counts, key=counts.get)
    session.select_units([unit])
    session.select_spikes(unit, np.arange(0, counts[unit], 2))
    before = set(session.sorting.unit_ids.tolist())
    events.clear()
    actions["split"].trigger()
    parts = set(session.sorting.unit_ids.tolist()) - before
    assert len(parts) == 2
    check("split")
    assert unit not in view.model.shown_unit_ids()

    # undo the split, then the removal, then the label
    for name in ("undo split", "undo remove", "undo label"):
        events.clear()
        actions["undo"].trigger()
        check(name)
    assert session.sorting.unit_ids.tolist() == ids
    assert view.table.text(view.table.row_of(ids[2]), "label") != "good"

    # redo brings the label back as one changed cell
    events.clear()
    actions["redo"].trigger()
    check("redo label")


def test_a_label_in_the_filter_moves_rows_in_and_out(qtbot, window):
    session = window.session
    view = window.views["units_table"]
    settle(qtbot, window, view)
    view.set_filter('label == "good"')
    assert view.model.rowCount() == 0
    events = ModelEvents(view.model)
    ids = session.sorting.unit_ids.tolist()
    session.select_units([ids[3]])
    window.menus.actions["label_good"].trigger()
    settle(qtbot, window, view)
    assert view.model.shown_unit_ids() == [ids[3]]
    assert events.counts["reset"] == 0 and events.counts["inserted"] == 1
    window.menus.actions["undo"].trigger()
    settle(qtbot, window, view)
    assert view.model.rowCount() == 0
    assert events.counts["reset"] == 0 and events.counts["removed"] == 1


def test_property_columns_an_action_adds_are_inserted(qtbot, window):
    """A merge adds the sorting's ``is_merged`` property; its undo drops it."""
    session = window.session
    view = window.views["units_table"]
    settle(qtbot, window, view)
    view.sort_by("unit_id", descending=True)
    keys = view.table.keys
    events = ModelEvents(view.model)
    columns = []
    view.model.columnsInserted.connect(lambda _p, first, last: columns.append(("+", first)))
    view.model.columnsRemoved.connect(lambda _p, first, last: columns.append(("-", first)))
    ids = session.sorting.unit_ids.tolist()
    session.select_units(ids[:2])
    window.menus.actions["merge"].trigger()
    settle(qtbot, window, view)
    assert "is_merged" in view.table.keys and "is_merged" not in keys
    assert columns == [("+", view.table.keys.index("is_merged"))]
    assert rows(view) == fresh_rows(qtbot, window, "unit_id", True, "")
    window.menus.actions["undo"].trigger()
    settle(qtbot, window, view)
    assert view.table.keys == keys
    assert columns[1:] == [("-", len(keys))]
    assert rows(view) == fresh_rows(qtbot, window, "unit_id", True, "")
    assert events.counts["reset"] == 0


def test_a_table_of_some_columns_shares_their_values_texts_and_states():
    columns = [c for c in SPIKE_TRAIN_COLUMNS if c.key in ("num_spikes", "firing_rate")]
    label = ColumnSpec("label", "Label", TEXT)
    table = UnitTable([4, 7, 9], [*columns, label])
    prepared = prepare_columns({"num_spikes": {4: 10, 7: 2000, 9: 3}}, [4, 7, 9])
    assert table.set_prepared("num_spikes", prepared["num_spikes"])
    table.set_unavailable("firing_rate", "no recording")
    table.set_column("label", ["good", "", "mua"])
    part = table.select_columns({"num_spikes", "firing_rate"})
    assert part.keys == ("num_spikes", "firing_rate")
    assert part.texts("num_spikes") is table.texts("num_spikes")
    assert part.widest_text("num_spikes") == "2000"
    assert part.state("firing_rate") == "unavailable" and part.reason("firing_rate")
    assert part.row_of(9) == 2 and part.unit_ids is table.unit_ids
    with pytest.raises(KeyError, match="depth"):
        table.select_columns({"depth"})
