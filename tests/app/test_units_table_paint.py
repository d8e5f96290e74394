"""The units table's paint path: cells painted from texts and styles prepared once per column
change (one call into Python per cell), bars drawn by Qt from a gradient, the unit's check box
toggled by a click, and numbers still sorting numerically."""

import sys

import numpy as np
import probeinterface as pi
import pytest
from PySide6.QtCore import QAbstractTableModel, QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

import core as si
from app.model.session import Session
from app.views.unit_table_model import BAR_ALPHA, BAR_ROLE, UnitTableModel
from app.views.units_table import UnitsTableView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

PAINTED_ROLES = (
    Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.TextAlignmentRole,
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.DecorationRole,
    Qt.ItemDataRole.CheckStateRole,
)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A 4 s, 4-channel recording and a 4-unit sorting saved as folders, reloaded lazily."""
    folder = tmp_path_factory.mktemp("paint")
    probe = pi.generate_linear_probe(num_elec=4, ypitch=25)
    probe.set_device_channel_indices(np.arange(4))
    recording = si.generate_recording(num_channels=4, durations=[4.0], seed=0).set_probe(probe)
    trains = {u: np.arange(1, 1 + 10 * (u + 1)) * 1000 for u in range(4)}
    sorting = si.NumpySorting.from_unit_dict(trains, recording.sampling_frequency)
    sorting.set_property("KSLabel", np.array(["good", "mua", "noise", "good"]))
    recording.save(folder=folder / "rec", progress_bar=False, n_jobs=1)
    sorting.save(folder=folder / "sort")
    return si.load_extractor(folder / "rec"), si.load_extractor(folder / "sort")


@pytest.fixture
def view(qtbot, saved):
    recording, sorting = saved
    session = Session()
    view = UnitsTableView(session)
    qtbot.addWidget(view)
    view.resize(900, 300)
    view.show()
    session.open(recording=recording, sorting=sorting, source="files")
    qtbot.waitUntil(lambda: view.table is not None and view.table.state("num_spikes") == "ready")
    yield view
    view.shutdown()


class _RoleByRoleModel(UnitTableModel):
    """Qt's own multiData: asks data() for every role (the path before prepared cells)."""

    def multiData(self, index, role_data_span) -> None:
        QAbstractTableModel.multiData(self, index, role_data_span)


def _grab(view):
    view.table_view.viewport().repaint()
    return view.table_view.viewport().grab().toImage()


def _column(view, key):
    return view.table.keys.index(key)


def test_cells_show_the_texts_prepared_for_each_column(view):
    table, model = view.table, view.model
    table.set_column("firing_rate", [1.0, 12.345, float("nan"), float("inf")])
    view._columns_changed(("firing_rate",))
    assert table.texts("firing_rate") == ["1.00", "12.35", "–", "∞"]
    column = _column(view, "firing_rate")
    assert [model.data(model.index(r, column)) for r in range(4)] == ["1.00", "12.35", "–", "∞"]
    table.set_column("presence_ratio", {2: 0.5}, complete=False)
    assert table.texts("presence_ratio")[2] == "0.50"
    assert table.texts("presence_ratio")[0] != "…"  # computed at opening, kept


def _calls_while_painting(view) -> dict[str, int]:
    """Calls of the model's methods while the table repaints (the profiler sees every one)."""
    watched = {
        getattr(UnitTableModel, name).__code__: name
        for name in ("data", "multiData", "index", "rowCount", "columnCount")
    }
    calls = dict.fromkeys(watched.values(), 0)

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in watched:
            calls[watched[frame.f_code]] += 1

    sys.setprofile(profile)
    try:
        view.table_view.viewport().repaint()
    finally:
        sys.setprofile(None)
    return calls


def test_painting_asks_python_once_per_cell_and_paints_what_data_gives(view):
    view.table.set_column("isi_violations_ratio", [0.0, 0.25, 1.0, 0.6])
    view._columns_changed(("isi_violations_ratio",))
    view._session.set_hidden_units([2])
    view._session.select_units([])
    view.table_view.selectionModel().clearCurrentIndex()
    prepared = _grab(view)
    model = view.model
    calls = _calls_while_painting(view)
    cells = model.rowCount() * model.columnCount()
    assert 0 < calls["multiData"] <= cells  # one call per cell painted
    assert calls["index"] == calls["multiData"]
    assert calls["data"] == 0
    assert calls["rowCount"] + calls["columnCount"] <= 4  # per paint, not per cell
    # the same pixels as when Qt asks every role of data() one at a time
    reference = _RoleByRoleModel(view._session)
    reference.set_table(view.table)
    widths = [view.table_view.columnWidth(c) for c in range(model.columnCount())]
    view.table_view.setModel(reference)
    for column, width in enumerate(widths):
        view.table_view.setColumnWidth(column, width)
        reference.column_resized(column, width)
    assert _grab(view) == prepared
    for row in range(4):
        for column in range(model.columnCount()):
            for role in PAINTED_ROLES:
                expected = reference.data(reference.index(row, column), role)
                assert model.data(model.index(row, column), role) == expected


def test_a_bar_covers_its_fraction_of_the_cell_width(view):
    table = view.table
    table.set_column("isi_violations_ratio", [0.0, 0.25, 1.0, 0.5])
    view._columns_changed(("isi_violations_ratio",))
    view._session.select_units([])
    view.table_view.selectionModel().clearCurrentIndex()
    column = _column(view, "isi_violations_ratio")
    model = view.model
    assert [model.data(model.index(r, column), BAR_ROLE) for r in range(4)] == [0, 0.25, 1, 0.5]
    image = _grab(view)
    ratio = image.width() / view.table_view.viewport().width()

    def color(row, fraction):
        rect = view.table_view.visualRect(model.index(row, column))
        x = rect.left() + 2 + fraction * (rect.width() - 4)
        return QColor(image.pixel(int(x * ratio), int((rect.top() + 3) * ratio)))

    bar = QColor(model._bar_color)
    assert bar.alpha() == BAR_ALPHA
    assert color(2, 0.0) == color(2, 1.0) != color(0, 0.5)  # the full bar spans the cell
    assert color(1, 0.1) != color(1, 0.6)  # a quarter bar stops a quarter of the way
    assert color(1, 0.6) == color(1, 0.9)
    assert color(3, 0.4) != color(3, 0.6)


def test_clicking_the_check_box_hides_and_shows_the_unit(qtbot, view):
    table_view = view.table_view
    index = view.model.index(1, 0)
    option = QStyleOptionViewItem()
    table_view.initViewItemOption(option)
    option.rect = table_view.visualRect(index)
    delegate = table_view.itemDelegateForColumn(0)
    delegate.initStyleOption(option, index)
    box = table_view.style().subElementRect(
        QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, table_view
    )
    qtbot.mouseClick(table_view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert view._session.hidden_unit_ids == (view.model.unit_id(1),)
    qtbot.mouseClick(table_view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    assert view._session.hidden_unit_ids == ()
    # a click on the id itself selects the row and leaves the box alone
    text = table_view.visualRect(index).right() - 4
    qtbot.mouseClick(
        table_view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(text, box.center().y())
    )
    assert view._session.hidden_unit_ids == ()
    assert view.selected_rows_unit_ids() == [view.model.unit_id(1)]


def test_sorting_by_a_number_column_is_numeric_not_by_its_text(view):
    view.table.set_column("firing_rate", [10.0, 9.0, 100.0, 9.5])
    view._columns_changed(("firing_rate",))
    view.sort_by("firing_rate")
    column = _column(view, "firing_rate")
    model = view.model
    assert [model.data(model.index(r, column)) for r in range(4)] == [
        "9.00",
        "9.50",
        "10.00",
        "100.00",
    ]
    view.sort_by("firing_rate", descending=True)
    assert model.shown_unit_ids() == [2, 0, 3, 1]


def test_a_column_set_without_notice_is_not_painted_stale(view):
    model = view.model
    column = _column(view, "firing_rate")
    assert model.data(model.index(0, column)) != "42.00"
    view.table.set_column("firing_rate", [42.0, 1.0, 2.0, 3.0])  # no columns_changed
    assert model.data(model.index(0, column)) == "42.00"


def test_bar_backgrounds_are_each_cells_bar_brush(qtbot):
    model = UnitTableModel(Session())
    bars = [None, 0.0, 0.25, 1.0, 1.7, 0.25, float("nan"), 1e-9, 0.5]
    bars = [None if b != b else b for b in bars]
    brushes = model._bar_backgrounds(bars, 120)
    assert brushes == [None if f is None else model._bar_brush(f, 120) for f in bars]
    assert brushes[2] is brushes[5] and brushes[3] is brushes[4]  # one brush per bar length
    assert brushes[0] is None and brushes[1] is None and brushes[7] is not None
