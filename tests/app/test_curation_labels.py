"""User-defined label categories in the window: dialog, table column, context menu, restore."""

import json

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialogButtonBox

import core as si
from app.dialogs.label_category import LabelCategory, LabelCategoryDialog
from app.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
FS = 10_000.0


@pytest.fixture
def data(tmp_path):
    recording = si.generate_recording(num_channels=4, durations=[2.0], sampling_frequency=FS)
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    sorting = si.NumpySorting.from_unit_dict(
        {1: np.arange(100, 19_000, 400), 2: np.arange(300, 19_000, 700), 3: np.array([50, 60])},
        FS,
    )
    sorting.save(folder=tmp_path / "sorting")
    return tmp_path


@pytest.fixture
def make_window(qtbot, tmp_path, data):
    made = []

    def make():
        settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
        settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        window.errors = []
        window.show_error = lambda title, message: window.errors.append(message)
        window.ask_yes_no = lambda title, text: True
        window.open_paths([data / "rec", data / "sorting"])
        made.append(window)
        return window

    yield make
    for window in made:
        window.job_manager.wait_for_all(30_000)
        window.close()


def add_category(window, name, options, exclusive):
    window.ask_label_category = lambda existing: LabelCategory(name, tuple(options), exclusive)
    action = window.menus.actions["add_label_category"]
    assert action.isEnabled()
    action.trigger()


def column_texts(qtbot, window, title):
    table_view = window.views["units_table"]
    qtbot.waitUntil(lambda: table_view.table is not None and title in _titles(table_view))
    qtbot.waitUntil(lambda: not table_view._rebuild_timer.isActive())
    table = table_view.table
    key = next(c.key for c in table.columns if c.title == title)
    return {u: table.text(table.row_of(u), key) for u in table.unit_ids.tolist()}


def _titles(table_view):
    return [c.title for c in table_view.table.columns]


def menu_entries(window, unit_ids):
    menu = window.views["units_table"].label_menu(unit_ids)
    return {
        action.text(): [a.text() for a in action.menu().actions() if a.text()]
        for action in menu.actions()
        if action.menu() is not None
    }, menu


def choose(menu, section, option):
    submenu = next(a.menu() for a in menu.actions() if a.text() == section)
    next(a for a in submenu.actions() if a.text() == option).trigger()


def test_the_dialog_checks_what_is_typed(qtbot):
    dialog = LabelCategoryDialog(existing=["quality"])
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and dialog.problem() == "Name the category."
    dialog.name_edit.setText("quality")
    assert "already" in dialog.problem() and not ok.isEnabled()
    dialog.name_edit.setText(" shape ")
    dialog.options_edit.setText("narrow")
    assert "two options" in dialog.problem()
    dialog.options_edit.setText("narrow, wide,, axonal ")
    dialog.exclusive_box.setChecked(False)
    assert ok.isEnabled()
    assert dialog.category() == LabelCategory("shape", ("narrow", "wide", "axonal"), False)


def test_a_new_category_gets_a_column_and_menu_entries(qtbot, make_window):
    window = make_window()
    add_category(window, "shape", ["narrow", "wide"], True)
    assert column_texts(qtbot, window, "shape") == {1: "", 2: "", 3: ""}
    entries, menu = menu_entries(window, [1, 3])
    assert entries["Label quality"] == ["good", "mua", "noise", "Clear"]
    assert entries["Label shape"] == ["narrow", "wide", "Clear"]
    choose(menu, "Label shape", "wide")
    assert column_texts(qtbot, window, "shape") == {1: "wide", 2: "", 3: "wide"}
    assert window.curation.labels_of(1) == {"shape": ("wide",)}
    _, menu = menu_entries(window, [1])
    choose(menu, "Label shape", "Clear")
    assert column_texts(qtbot, window, "shape")[1] == ""


def test_non_exclusive_options_are_ticked_one_by_one(qtbot, make_window):
    window = make_window()
    add_category(window, "tags", ["burst", "drift"], False)
    _, menu = menu_entries(window, [1])
    choose(menu, "Label tags", "burst")
    _, menu = menu_entries(window, [1, 2])
    choose(menu, "Label tags", "drift")
    assert column_texts(qtbot, window, "tags") == {1: "burst, drift", 2: "drift", 3: ""}
    assert "burst" not in _titles(window.views["units_table"])  # no column per option
    entries, menu = menu_entries(window, [1, 2])
    tags = next(a.menu() for a in menu.actions() if a.text() == "Label tags")
    ticked = {a.text(): a.isChecked() for a in tags.actions()}
    assert ticked == {"burst": False, "drift": True}
    choose(menu, "Label tags", "drift")  # untick for both
    assert column_texts(qtbot, window, "tags") == {1: "burst", 2: "", 3: ""}


def test_categories_survive_reopening_and_are_exported(qtbot, make_window, tmp_path):
    first = make_window()
    add_category(first, "shape", ["narrow", "wide"], True)
    _, menu = menu_entries(first, [2])
    choose(menu, "Label shape", "narrow")
    first.close()
    second = make_window()  # the journal is looked for and restored in the background
    qtbot.waitUntil(lambda: list(second.session.label_definitions) == ["quality", "shape"])
    assert column_texts(qtbot, second, "shape") == {1: "", 2: "narrow", 3: ""}
    second.ask_save_file = lambda caption, name_filter: str(tmp_path / "curation.json")
    second.menus.actions["export_curation"].trigger()
    content = json.loads((tmp_path / "curation.json").read_text())
    assert content["label_definitions"]["shape"]["label_options"] == ["narrow", "wide"]
    assert {"unit_id": 2, "labels": {"shape": ["narrow"]}} in content["manual_labels"]


def test_a_category_that_clashes_is_reported(make_window):
    window = make_window()
    add_category(window, "tags", ["quality", "other"], False)
    assert window.errors and "quality" in window.errors[0]
    assert list(window.session.label_definitions) == ["quality"]
