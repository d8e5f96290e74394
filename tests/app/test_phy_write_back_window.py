"""Curation ▸ Write Back to phy Folder from the window, twice: a new backup each time, the
original files kept, the user told to reopen the folder in phy."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings

import core as si
from app.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def write_phy_folder(folder):
    folder.mkdir()
    (folder / "params.py").write_text(
        "dat_path = 'raw.bin'\nn_channels_dat = 8\ndtype = 'int16'\noffset = 0\n"
        "sample_rate = 30000.0\nhp_filtered = True\n"
    )
    times = np.array([100, 2_000, 4_000, 9_000, 12_000, 50_000, 60_000], dtype=np.uint64)
    clusters = np.array([7, 7, 12, 7, 30, 12, 31], dtype=np.int32)
    np.save(folder / "spike_times.npy", times)
    np.save(folder / "spike_clusters.npy", clusters)
    (folder / "cluster_group.tsv").write_text(
        "cluster_id\tgroup\n7\tgood\n12\tnoise\n30\tmua\n31\tgood\n"
    )
    return folder


@pytest.fixture
def window(qtbot, tmp_path):
    folder = write_phy_folder(tmp_path / "phy")
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.errors, window.questions, window.messages = [], [], []
    window.show_error = lambda title, message: window.errors.append(message)
    window.show_info = lambda title, message: window.messages.append(message)

    def ask(title, text):
        window.questions.append(text)
        return True

    window.ask_yes_no = ask
    assert window.open_path(folder)
    window.phy = folder
    yield window
    window.job_manager.wait_for_all(30_000)
    window.close()


def merge(window, unit_ids):
    window.session.select_units(unit_ids)
    window.menus.actions["merge"].trigger()


def test_writing_back_twice_keeps_every_version_and_says_to_reopen_in_phy(window):
    folder = window.phy
    original = (folder / "spike_clusters.npy").read_bytes()
    merge(window, [7, 12])
    action = window.menus.actions["phy_write_back"]
    assert action.isEnabled()
    action.trigger()
    assert not window.errors
    assert "written back" not in window.questions[0]
    assert "Reopen the folder in phy" in window.messages[0]
    (first,) = (folder / "spikedesk_backups").iterdir()
    assert str(first) in window.messages[0]
    assert (first / "spike_clusters.npy").read_bytes() == original
    written_once = (folder / "spike_clusters.npy").read_bytes()

    merge(window, [30, 31])  # the curation goes on, then is written back again
    action.trigger()
    assert not window.errors, window.errors
    assert "written back 1 time(s) before" in window.questions[1]
    assert str(first) in window.questions[1] and str(first) in window.messages[1]
    second = max((folder / "spikedesk_backups").iterdir())
    assert second != first
    assert (first / "spike_clusters.npy").read_bytes() == original
    assert (second / "spike_clusters.npy").read_bytes() == written_once
    clusters = np.load(folder / "spike_clusters.npy")
    times = np.load(folder / "spike_times.npy")
    groups = {frozenset(times[clusters == c].tolist()) for c in np.unique(clusters)}
    assert groups == {frozenset([100, 2_000, 4_000, 9_000, 50_000]), frozenset([12_000, 60_000])}
    assert si.read_phy(folder).get_num_units() == 2


def test_a_folder_phy_changed_since_is_refused_with_the_reason(window):
    merge(window, [7, 12])
    window.menus.actions["phy_write_back"].trigger()
    (window.phy / "cluster_group.tsv").write_text("cluster_id\tgroup\n7\tgood\n")  # phy saved
    merge(window, [30, 31])
    window.menus.actions["phy_write_back"].trigger()
    assert window.errors and "open it again" in window.errors[0]
    assert len(list((window.phy / "spikedesk_backups").iterdir())) == 1
