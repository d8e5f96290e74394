"""Curation from the window: menu actions, undo/redo, history panel, exports, restore."""

import json

import numpy as np
import pytest
from PySide6.QtCore import QSettings

import core as si
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
def make_window(qtbot, tmp_path):
    made = []

    def make():
        settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
        settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        window.errors = []
        window.show_error = lambda title, message: window.errors.append(message)
        window.ask_yes_no = lambda title, text: True
        made.append(window)
        return window

    yield make
    for window in made:
        window.job_manager.wait_for_all(30_000)
        window.close()


@pytest.fixture
def window(make_window, data):
    window = make_window()
    window.open_paths([data / "rec", data / "sorting"])
    return window


def trigger(window, name):
    action = window.menus.actions[name]
    assert action.isEnabled(), f"{name} is disabled"
    action.trigger()


def test_merge_undo_redo_from_the_menu(window):
    session = window.session
    assert not window.menus.actions["merge"].isEnabled()
    session.select_units([1, 2])
    trigger(window, "merge")
    assert session.sorting.unit_ids.tolist() == [3, 4] and session.selected_unit_ids == (4,)
    trigger(window, "undo")
    assert session.sorting.unit_ids.tolist() == [1, 2, 3]
    trigger(window, "redo")
    assert session.sorting.unit_ids.tolist() == [3, 4]
    assert window.menus.actions["undo"].shortcut().toString() == "Ctrl+Z"
    assert window.menus.actions["redo"].shortcut().toString() == "Ctrl+Shift+Z"


def test_labels_remove_and_the_history_panel(window):
    session, history = window.session, window.views["history"]
    session.select_units([3])
    trigger(window, "label_noise")
    trigger(window, "remove")
    assert 3 not in session.sorting.unit_ids.tolist()
    assert history.texts() == [("1. Label 3 as noise", True), ("2. Remove 3", True)]
    trigger(window, "undo")
    assert history.texts()[1] == ("2. Remove 3", False)
    history._on_clicked(history.list.item(1))  # back to "Remove 3"
    assert 3 not in session.sorting.unit_ids.tolist()
    assert history.texts()[1] == ("2. Remove 3", True)
    assert history.list.item(1).foreground() == history.list.item(0).foreground()
    first = history.list.item(0)
    trigger(window, "undo")
    session.select_units([1, 2])
    trigger(window, "merge")  # the undone removal leaves the history
    assert history.texts() == [("1. Label 3 as noise", True), ("2. Merge 1, 2 into 4", True)]
    assert history.list.item(0) is first  # rows are updated in place
    assert not history.list.item(1).font().italic()


def test_split_the_lassoed_spikes(window):
    session = window.session
    session.select_units([1])
    assert not window.menus.actions["split"].isEnabled()
    session.select_spikes(1, np.arange(10))
    trigger(window, "split")
    assert 1 not in session.sorting.unit_ids.tolist()
    new, rest = session.selected_unit_ids
    assert session.sorting.get_unit_spike_train(new).tolist() == list(range(100, 4100, 400))
    assert session.sorting.get_unit_spike_train(rest).size == 48 - 10


def test_next_and_previous_unit(window):
    session = window.session
    assert session.selected_unit_ids == (1,)  # the first unit is selected when a sorting opens
    trigger(window, "next_unit")
    assert session.selected_unit_ids == (2,)
    trigger(window, "next_unit")
    assert session.selected_unit_ids == (3,)
    trigger(window, "previous_unit")
    assert session.selected_unit_ids == (2,)
    session.select_units([])
    trigger(window, "next_unit")
    assert session.selected_unit_ids == (1,)


def test_export_the_curation_as_spikeinterface_json(window, tmp_path):
    window.session.select_units([1, 2])
    trigger(window, "merge")
    window.ask_save_file = lambda caption, name_filter: str(tmp_path / "curation")
    trigger(window, "export_curation")
    content = json.loads((tmp_path / "curation.json").read_text())
    assert content["format_version"] == "2" and content["merges"][0]["unit_ids"] == [1, 2]
    curated = (
        si.apply_curation(si.load_extractor(tmp_path / "sorting"), content)
        if hasattr(si, "apply_curation")
        else None
    )
    if curated is not None:
        assert curated.unit_ids.tolist() == [3, 4]


def test_save_the_curated_sorting(qtbot, window, tmp_path):
    window.session.select_units([3])
    trigger(window, "remove")
    window.ask_save_file = lambda caption, name_filter: str(tmp_path / "curated")
    with qtbot.waitSignal(window.job_manager.job_finished, timeout=20_000):
        trigger(window, "save_curated")
    assert si.load_extractor(tmp_path / "curated").unit_ids.tolist() == [1, 2]


def test_reopening_restores_the_journalled_curation(qtbot, make_window, data):
    first = make_window()
    first.open_paths([data / "rec", data / "sorting"])
    first.session.select_units([1, 2])
    trigger(first, "merge")
    first.close()  # or a crash: the journal is on disk after every action
    second = make_window()
    second.open_paths([data / "rec", data / "sorting"])  # restored in the background
    qtbot.waitUntil(lambda: second.session.sorting.unit_ids.tolist() == [3, 4], timeout=20_000)
    assert second.views["history"].texts() == [("1. Merge 1, 2 into 4", True)]


def test_errors_of_an_action_are_reported(window):
    window.session.select_units([1])  # one unit: the command reports instead of raising
    window.menus.actions["merge"].setEnabled(True)
    window.menus.actions["merge"].trigger()
    assert window.errors and "at least two" in window.errors[0]


def test_shortcuts_help_lists_the_curation_keys(window):
    rows = window.menus.shortcut_table()
    keys = {entry: key for _, entry, key in rows}
    assert keys["Label Good"] == "Alt+G" and keys["Merge Selected Units"] == "Ctrl+M"


def test_select_and_merge_the_most_similar_unit(qtbot, make_window, tmp_path):
    recording = si.generate_ground_truth_recording(
        durations=[3.0], num_channels=8, num_units=3, seed=1
    )[0]
    recording.save(folder=tmp_path / "gt", progress_bar=False)
    base = si.generate_ground_truth_recording(durations=[3.0], num_channels=8, num_units=3, seed=1)[
        1
    ]
    train = base.get_unit_spike_train(base.unit_ids[0])
    sorting = si.NumpySorting.from_unit_dict(
        {0: train[::2], 1: base.get_unit_spike_train(base.unit_ids[1]), 2: train[1::2]},
        base.sampling_frequency,
    )  # unit 0 split in two halves: 0 and 2 look alike
    sorting.save(folder=tmp_path / "halves")
    window = make_window()
    with qtbot.waitSignal(window.session.signals.unit_channel_ids, timeout=30_000):
        window.open_paths([tmp_path / "gt", tmp_path / "halves"])
    window.job_manager.wait_for_all(30_000)
    qtbot.waitUntil(lambda: len(window.unit_channels.templates) == 3, timeout=10_000)
    window.session.select_units([0])
    trigger(window, "select_similar")
    assert window.session.selected_unit_ids == (0, 2)
    window.session.select_units([2])
    trigger(window, "merge_similar")
    assert window.session.sorting.unit_ids.tolist() == [1, 3]


def test_the_curation_is_prepared_in_the_background_and_journalled_from_the_first_action(
    qtbot, window, tmp_path
):
    controller = window.curation
    qtbot.waitUntil(lambda: controller._prepared is not None, timeout=20_000)
    assert controller.curation is None
    journals = tmp_path / "sorting" / "spikedesk-curation"
    assert not journals.exists()  # opening alone writes nothing
    window.session.select_units([1, 2])
    trigger(window, "merge")
    assert controller.curation.journal_path.parent == journals
    lines = controller.curation.journal_path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["action"]["type"] == "merge"


def test_the_history_stays_in_front_while_the_views_follow_an_action(qtbot, window):
    window.show()
    window.job_manager.wait_for_all(30_000)
    window.docks["history"].raise_()
    qtbot.waitUntil(window.views["history"].isVisible)
    window.session.select_units([1, 2])
    with qtbot.waitSignal(window.job_manager.job_added, timeout=10_000):
        trigger(window, "merge")  # metrics and channels of the new unit: in the background
    window.job_manager.wait_for_all(30_000)
    assert window.views["history"].isVisible()
