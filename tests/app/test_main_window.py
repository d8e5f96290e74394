"""MainWindow driven offscreen: opening every kind of input, errors, recent files, layout, drops,
Open Raw Binary, the status bar and Save Recording As."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialogButtonBox

import core as si
from app.dialogs.open_binary import OpenBinaryDialog
from app.main_window import MainWindow
from app.model.demo import make_demo_dataset

# the offscreen platform cannot pass a top-level window's size constraints on (harmless)
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def demo():
    return make_demo_dataset(duration_s=5.0)


@pytest.fixture
def settings(tmp_path):
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
    return settings


@pytest.fixture(autouse=True)
def windows():
    """Windows made by `make_window`; each is closed after the test, which fails if jobs remain."""
    made: list[MainWindow] = []
    yield made
    for window in made:  # background estimates (unit channels) end by themselves
        window.job_manager.wait_for_all(30_000)
    left_running = [job for window in made for job in window.job_manager.jobs]
    for window in made:
        window.close()
    assert not left_running, f"jobs left running: {left_running}"


@pytest.fixture
def make_window(qtbot, settings, windows):
    """``make_window()`` -> a shown MainWindow on the test settings; errors go to ``.errors``."""

    def make() -> MainWindow:
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        window.errors = []
        window.show_error = lambda title, message: window.errors.append((title, message))
        window.questions = []  # questions of the opener; answered with the last choice

        def answer(title, text, choices):
            window.questions.append((text, [choice.key for choice in choices]))
            return choices[-1]

        window.opener.ask_choice = answer
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    return make


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=4, durations=[0.5], seed=0)


def drop_paths(window: MainWindow, paths) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    return event


# --------------------------------------------------------------------------- the demo
def test_demo_shows_every_dock_with_data(qtbot, window, demo):
    with qtbot.waitSignal(window.trace_view.frame_drawn, timeout=10_000):
        window.open_demo(demo)
    assert all(dock.isVisible() for dock in window.docks.values())
    traces = window.trace_view
    assert traces.drawn_channel_count() == traces.channel_rows.count > 0  # as many as fit
    assert traces.channel_rows.total == 64
    assert np.count_nonzero(traces.stacked_pixels()) > 0
    assert window.probe_view.contact_count() == 64
    rows = dict(window.views["open_data"].rows())
    assert rows["Recording"].startswith("64 channels · 30 kHz")
    assert rows["Sorting"].startswith("24 units")
    assert window.windowTitle() == "demo dataset — SpikeDesk"


# --------------------------------------------------------------------------- opening
def test_open_binary_recording_folder(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    assert window.open_path(tmp_path / "rec")
    assert window.session.recording.get_num_channels() == 4
    assert window.session.source == str(tmp_path / "rec")
    assert window.windowTitle() == "rec — SpikeDesk"


def test_open_zarr_recording(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", format="zarr", progress_bar=False)
    assert window.open_path(tmp_path / "rec.zarr")
    np.testing.assert_array_equal(
        window.session.recording.get_traces(end_frame=100), recording.get_traces(end_frame=100)
    )


def test_open_saved_sorting_folder(window, tmp_path):
    sorting = si.generate_sorting(num_units=5, durations=[1.0], seed=0)
    sorting.save(folder=tmp_path / "sorting")
    assert window.open_path(tmp_path / "sorting")
    assert window.session.sorting.get_num_units() == 5
    assert window.session.recording is None


def test_open_phy_folder(window, tmp_path):
    folder = tmp_path / "phy"
    folder.mkdir()
    (folder / "params.py").write_text("n_channels_dat = 4\ndtype = 'int16'\nsample_rate = 30000.\n")
    np.save(folder / "spike_times.npy", np.array([10, 20, 30], dtype="uint64"))
    np.save(folder / "spike_clusters.npy", np.array([0, 1, 0], dtype="int32"))
    assert window.open_path(folder)
    assert window.session.sorting.unit_ids.tolist() == [0, 1]


def test_open_npz_sorting(window, tmp_path):
    sorting = si.generate_sorting(num_units=3, durations=[1.0], seed=0)
    si.NpzSortingExtractor.write_sorting(sorting, tmp_path / "sorting.npz")
    assert window.open_path(tmp_path / "sorting.npz")
    assert window.session.sorting.get_num_units() == 3
    assert dict(window.views["open_data"].rows())["Sorting"].startswith("3 units")


def test_open_several_paths_together(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    sorting = si.generate_sorting(num_units=2, durations=[0.5], seed=0)
    sorting.save(folder=tmp_path / "sorting")
    assert window.open_paths([tmp_path / "rec", tmp_path / "sorting"])
    assert window.session.recording is not None and window.session.sorting is not None


def test_broken_folder_shows_one_error_naming_it(window, demo, tmp_path):
    window.open_demo(demo)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "si_folder.json").write_text("{ not json")
    assert not window.open_path(broken)
    assert len(window.errors) == 1
    title, message = window.errors[0]
    assert "broken" in title and str(broken) in message
    assert window.session.source == "demo dataset"


def test_open_folder_menu(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    window.ask_open_folder = lambda caption: str(tmp_path / "rec")
    window.menus.actions["open_folder"].trigger()
    assert window.session.recording is not None


def test_missing_path_shows_an_error(window, tmp_path):
    assert not window.open_path(tmp_path / "nothing-here")
    assert "no such file or folder" in window.errors[0][1]


def test_unrecognised_raw_file_offers_the_binary_dialog(window, tmp_path):
    path = tmp_path / "data.raw"
    np.arange(800, dtype="int16").tofile(path)
    asked = []
    window.opener.ask_binary_recording = lambda p: asked.append(p)
    assert not window.open_path(path)
    assert asked == [path] and window.errors == []


# --------------------------------------------------------------------------- recent files
def test_recent_files_persist_and_missing_ones_are_dropped(qtbot, make_window, recording, tmp_path):
    first = make_window()
    for name in ("a", "b"):
        recording.save(folder=tmp_path / name, progress_bar=False)
        with qtbot.waitSignal(first.trace_view.frame_drawn):
            first.open_path(tmp_path / name)
    assert first.recent_files.paths() == [str(tmp_path / "b"), str(tmp_path / "a")]
    first.close()
    shutil.rmtree(tmp_path / "b")
    second = make_window()
    assert second.recent_files.paths() == [str(tmp_path / "a")]
    recent_texts = [a.text() for a in second.menus.recent_menu.actions() if a.text()]
    assert recent_texts[0] == f"&1  {tmp_path / 'a'}"


def test_open_recent_missing_path_is_removed_with_a_message(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    window.open_path(tmp_path / "rec")
    window.recent_files.add(tmp_path / "gone")
    window.open_recent((str(tmp_path / "gone"),))
    assert str(tmp_path / "gone") in window.errors[0][1]
    assert window.recent_files.paths() == [str(tmp_path / "rec")]


# --------------------------------------------------------------------------- layout
def test_layout_is_restored_and_reset(make_window):
    first = make_window()
    first.docks["probe"].toggleViewAction().trigger()
    assert first.docks["probe"].isHidden()
    first.close()
    second = make_window()
    assert second.docks["probe"].isHidden()
    assert not second.docks["probe"].toggleViewAction().isChecked()
    second.menus.actions["reset_layout"].trigger()
    assert all(dock.isVisible() for dock in second.docks.values())
    assert second.dockWidgetArea(second.docks["probe"]) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_view_menu_toggles_every_dock(window):
    view_actions = window.menus.menus["View"].actions()
    for dock in window.docks.values():
        assert dock.toggleViewAction() in view_actions


# --------------------------------------------------------------------------- drag and drop
def test_dropping_a_folder_opens_it(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    event = drop_paths(window, [tmp_path / "rec"])
    assert event.isAccepted()
    assert window.session.source == str(tmp_path / "rec")


def test_drag_enter_accepts_files_only(window, tmp_path):
    files, text = QMimeData(), QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    text.setText("not a file")
    for mime, accepted in ((files, True), (text, False)):
        event = QDragEnterEvent(
            QPoint(10, 10),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        window.dragEnterEvent(event)
        assert event.isAccepted() is accepted


# --------------------------------------------------------------------------- raw binary
@pytest.fixture
def binary_file(tmp_path):
    path = tmp_path / "data.bin"
    header = np.zeros(16, dtype="uint8")
    data = np.arange(3000 * 6, dtype="int16").reshape(3000, 6)
    path.write_bytes(header.tobytes() + data.tobytes())
    return path, data


def test_binary_dialog_says_when_the_size_does_not_fit(qtbot, binary_file):
    dialog = OpenBinaryDialog(binary_file[0])
    qtbot.addWidget(dialog)
    dialog.num_channels.setValue(6)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert "Does not fit" in dialog.summary.text() and not ok.isEnabled()
    dialog.file_offset.setValue(16)
    assert "fits a whole number of frames" in dialog.summary.text() and ok.isEnabled()
    assert "3,000 samples" in dialog.summary.text() and "0.100 s" in dialog.summary.text()


def test_binary_dialog_builds_the_described_recording(qtbot, binary_file):
    path, data = binary_file
    dialog = OpenBinaryDialog(path)
    qtbot.addWidget(dialog)
    dialog.num_channels.setValue(6)
    dialog.file_offset.setValue(16)
    dialog.sampling_frequency.setValue(20_000.0)
    dialog.gain_to_uV.setValue(0.5)
    recording = dialog.recording()
    assert recording.sampling_frequency == 20_000.0 and recording.get_num_samples() == 3000
    np.testing.assert_array_equal(recording.get_traces(), data)
    np.testing.assert_allclose(recording.get_traces(return_scaled=True), data * 0.5)


def test_open_raw_binary_menu(window, binary_file):
    path, _ = binary_file
    window.ask_open_file = lambda caption, name_filter: str(path)
    window.opener.ask_binary_recording = lambda p: si.BinaryRecordingExtractor(
        p, 30_000.0, "int16", 6, file_offset=16
    )
    window.menus.actions["open_binary"].trigger()
    assert window.session.recording.get_num_samples() == 3000
    assert window.recent_files.paths() == [str(path)]


# --------------------------------------------------------------------------- status bar
def test_status_bar_follows_the_cursor(window, demo):
    window.open_demo(demo)
    window.trace_view.cursor_moved.emit(1.25, 7, -42.5)
    status = window.cursor_status
    assert status.time_label.text() == "t 1.2500 s"
    assert status.channel_label.text() == "channel 7"
    assert status.value_label.text() == "-42.5 µV"


# --------------------------------------------------------------------------- saving
def test_save_recording_as_runs_a_job_and_writes_a_loadable_folder(
    qtbot, window, recording, tmp_path
):
    window.open_path(_saved(recording, tmp_path / "source"))
    target = tmp_path / "copy"
    window.ask_save_recording = lambda rec: (target, {"format": "binary", "n_jobs": 1})
    with qtbot.waitSignal(window.job_manager.job_finished, timeout=20_000):
        window.menus.actions["save_recording"].trigger()
    saved = si.load_extractor(target)
    np.testing.assert_array_equal(saved.get_traces(), recording.get_traces())
    assert window.recent_files.paths()[0] == str(target)


def test_failed_save_shows_the_error(qtbot, window, recording, tmp_path):
    window.open_path(_saved(recording, tmp_path / "source"))
    (tmp_path / "a-file").write_text("")
    window.ask_save_recording = lambda rec: (tmp_path / "a-file" / "copy", {"format": "binary"})
    with qtbot.waitSignal(window.job_manager.job_finished, timeout=20_000):
        window.menus.actions["save_recording"].trigger()
    assert window.errors and "failed" in window.errors[0][0]


def test_save_recording_is_disabled_without_a_recording(window):
    assert not window.menus.actions["save_recording"].isEnabled()


def _saved(recording, folder: Path) -> Path:
    recording.save(folder=folder, progress_bar=False)
    return folder


# --------------------------------------------------------------------------- window and docks
def test_a_new_window_takes_most_of_the_screen(window):
    available = window.screen().availableGeometry()
    smallest = window.minimumSizeHint()  # the offscreen screen is smaller than the docks need
    assert window.width() == pytest.approx(max(0.9 * available.width(), smallest.width()), abs=2)
    assert window.height() == pytest.approx(max(0.9 * available.height(), smallest.height()), abs=2)


def test_the_traces_get_the_space_and_small_panels_stay_small(window):
    traces, probe = window.docks["traces"], window.docks["probe"]
    assert traces.width() > 0.4 * window.width()
    assert probe.width() < 0.3 * window.width()
    assert window.docks["open_data"].height() < 0.35 * window.height()


def test_layout_version_changes_with_the_dock_table():
    from app.dock_table import DOCKS, layout_version

    assert layout_version(DOCKS) != layout_version(DOCKS[:-1])


def test_recent_entry_reopens_the_set_opened_together(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    sorting = si.generate_sorting(num_units=2, durations=[0.5], seed=0)
    sorting.save(folder=tmp_path / "sorting")
    window.open_paths([tmp_path / "rec", tmp_path / "sorting"])
    entry = window.recent_files.entries()[0]
    assert entry == (str(tmp_path / "rec"), str(tmp_path / "sorting"))
    window.close_all()
    assert not window.session.has_data()
    window.menus.recent_menu.actions()[0].trigger()
    assert window.session.recording is not None and window.session.sorting is not None


def test_recent_menu_follows_the_list_without_being_told(window, tmp_path):
    (tmp_path / "x").mkdir()
    window.recent_files.add(tmp_path / "x")
    texts = [a.text() for a in window.menus.recent_menu.actions()]
    assert texts[0] == f"&1  {tmp_path / 'x'}"


def test_close_all_is_enabled_only_with_data(window, demo):
    action = window.menus.actions["close_all"]
    assert not action.isEnabled()
    window.open_demo(demo)
    assert action.isEnabled()
    action.trigger()
    assert not window.session.has_data() and not action.isEnabled()


def test_opening_a_sorting_adds_it_to_the_open_recording(window, recording, tmp_path):
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    window.open_path(tmp_path / "rec")
    sorting = si.generate_sorting(num_units=2, durations=[0.5], seed=0)
    sorting.save(folder=tmp_path / "sorting")
    window.open_path(tmp_path / "sorting")
    assert window.session.recording is not None and window.session.sorting is not None
    assert window.questions == []
    # the unit views show the first unit at once
    assert window.session.selected_unit_ids == (window.session.sorting.unit_ids[0],)


def test_unit_channels_are_found_in_the_background(qtbot, window, demo):
    with qtbot.waitSignal(window.session.signals.unit_channel_ids, timeout=20_000):
        window.open_demo(demo)
    channels = window.session.unit_channel_ids
    assert set(channels) == set(demo.sorting.unit_ids.tolist())
    assert set(channels.values()) <= set(demo.recording.channel_ids.tolist())
