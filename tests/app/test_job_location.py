"""Where jobs run: JobLocation, its dialog, the jobs panel, the save dialog and the window."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialogButtonBox

import core as si
from app.dialogs.job_location import JobLocationDialog
from app.dialogs.save_recording import SaveRecordingDialog
from app.jobs import JobManager, extract_waveforms_job, save_recording_job
from app.model.job_location import SETTINGS_KEY, JobLocation
from app.views.jobs_panel import JobsPanel

CLUSTER = JobLocation("tcp://scheduler:8786")


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)


# --------------------------------------------------------------------------- JobLocation
@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("", None),
        ("  ", None),
        ("scheduler:8786", "tcp://scheduler:8786"),
        ("tls://10.1.2.3:8786", "tls://10.1.2.3:8786"),
        ("[::1]:8786", "tcp://[::1]:8786"),
    ],
)
def test_parse_accepts_this_machine_and_scheduler_addresses(text, address):
    assert JobLocation.parse(text).scheduler_address == address


@pytest.mark.parametrize("text", ["scheduler", "scheduler:0", "http://host:80", "a b:1", "h:99999"])
def test_parse_refuses_what_is_not_an_address(text):
    with pytest.raises(ValueError, match="scheduler address"):
        JobLocation.parse(text)


def test_job_kwargs_send_core_calls_to_the_cluster():
    assert JobLocation().job_kwargs() == {}
    assert CLUSTER.job_kwargs() == {"pool_engine": "dask", "dask_client": "tcp://scheduler:8786"}
    assert CLUSTER.describe() == "Dask scheduler tcp://scheduler:8786"


def test_location_is_remembered_in_the_settings(settings):
    assert JobLocation.from_settings(settings).is_local
    CLUSTER.to_settings(settings)
    assert JobLocation.from_settings(settings) == CLUSTER
    settings.setValue(SETTINGS_KEY, "not an address")
    assert JobLocation.from_settings(settings).is_local


# --------------------------------------------------------------------------- the dialog
def ok_button(dialog):
    return dialog.button_box.button(QDialogButtonBox.StandardButton.Ok)


def test_dialog_starts_on_the_current_location(qtbot):
    dialog = JobLocationDialog(CLUSTER, dask_available=True)
    qtbot.addWidget(dialog)
    assert dialog.dask_radio.isChecked()
    assert dialog.address_edit.text() == "tcp://scheduler:8786"
    assert dialog.location() == CLUSTER


def test_dialog_disables_ok_for_a_bad_address(qtbot):
    dialog = JobLocationDialog(JobLocation(), dask_available=True)
    qtbot.addWidget(dialog)
    dialog.dask_radio.setChecked(True)
    assert not ok_button(dialog).isEnabled()
    dialog.address_edit.setText("scheduler")
    assert "host:port" in dialog.message_label.text()
    assert not ok_button(dialog).isEnabled()
    dialog.address_edit.setText("scheduler:8786")
    assert ok_button(dialog).isEnabled()
    assert dialog.location() == CLUSTER
    dialog.local_radio.setChecked(True)
    assert not dialog.address_edit.isEnabled()
    assert dialog.location() == JobLocation()


def test_dialog_names_the_extra_when_dask_is_not_installed(qtbot):
    dialog = JobLocationDialog(CLUSTER, dask_available=False)
    qtbot.addWidget(dialog)
    assert not dialog.dask_radio.isEnabled()
    assert dialog.local_radio.isChecked()
    assert "spikedesk[distributed]" in dialog.message_label.text()


# --------------------------------------------------------------------------- the jobs panel
def test_jobs_panel_shows_and_changes_where_jobs_run(qtbot):
    manager = JobManager()
    asked = []

    def ask(current, parent):
        asked.append(current)
        return CLUSTER

    panel = JobsPanel(manager, ask_location=ask)
    qtbot.addWidget(panel)
    assert panel.location_label.text() == "Jobs run on this machine"
    with qtbot.waitSignal(manager.location_changed):
        panel.location_button.click()
    assert asked == [JobLocation()]
    assert manager.location == CLUSTER
    assert panel.location_label.text() == "Jobs run on Dask scheduler tcp://scheduler:8786"


def test_a_cancelled_choice_changes_nothing(qtbot):
    manager = JobManager()
    panel = JobsPanel(manager, ask_location=lambda current, parent: None)
    qtbot.addWidget(panel)
    panel.choose_location()
    assert manager.location.is_local


# --------------------------------------------------------------------------- the save dialog
def test_save_dialog_on_a_cluster_gives_dask_options(qtbot, tmp_path):
    recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
    dialog = SaveRecordingDialog(recording, location=CLUSTER)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    assert not dialog.n_jobs_spin.isEnabled()
    assert dialog.location_label.text() == "Dask scheduler tcp://scheduler:8786"
    options = dialog.options()
    assert options["pool_engine"] == "dask"
    assert options["dask_client"] == "tcp://scheduler:8786"
    assert "n_jobs" not in options
    assert dialog.validation_error() == ""


def test_save_dialog_refuses_an_in_memory_recording_on_a_cluster(qtbot, tmp_path):
    in_memory = si.NumpyRecording([np.zeros((1000, 2), dtype="int16")], sampling_frequency=1e3)
    dialog = SaveRecordingDialog(in_memory, location=CLUSTER)
    qtbot.addWidget(dialog)
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    assert "held in this program's memory" in dialog.validation_error()
    assert not dialog.button_box.button(QDialogButtonBox.StandardButton.Save).isEnabled()


def test_job_titles_say_when_they_run_on_the_cluster(tmp_path):
    recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
    save = save_recording_job(recording, tmp_path / "rec", **CLUSTER.job_kwargs())
    assert save.title == "Save recording as rec on the Dask cluster"
    extract = extract_waveforms_job(recording, None, tmp_path / "wf", location=CLUSTER)
    assert extract.title == "Extract waveforms to wf on the Dask cluster"
    assert (
        extract_waveforms_job(recording, None, tmp_path / "wf").title == "Extract waveforms to wf"
    )


# --------------------------------------------------------------------------- the window
@pytest.fixture
def make_window(qtbot, settings):
    from app.main_window import MainWindow

    made = []

    def make():
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.job_manager.wait_for_all(30_000)
        window.close()


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_window_menu_changes_the_location_and_remembers_it(make_window, settings):
    window = make_window()
    assert window.job_manager.location.is_local
    window.views["jobs"]._ask_location = lambda current, parent: CLUSTER
    window.menus.actions["job_location"].trigger()
    assert window.job_manager.location == CLUSTER
    assert make_window().job_manager.location == CLUSTER  # a new window reads the settings


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_window_save_dialog_gets_the_location(make_window, monkeypatch):
    window = make_window()
    window.job_manager.set_location(CLUSTER)
    seen = []
    monkeypatch.setattr(
        SaveRecordingDialog, "ask", staticmethod(lambda r, p, location: seen.append(location))
    )
    window.ask_save_recording(si.generate_recording(num_channels=2, durations=[0.5], seed=0))
    assert seen == [CLUSTER]


def test_extract_waveforms_job_without_a_folder_extracts_in_memory(qtbot):
    recording, sorting = si.generate_ground_truth_recording(
        durations=[1.0], num_channels=4, num_units=2, seed=1
    )
    job = extract_waveforms_job(recording, sorting, sparse=False, n_jobs=1)
    assert job.title == "Extract waveforms in memory"
    manager = JobManager()
    with qtbot.waitSignal(job.signals.finished, timeout=30_000) as finished:
        manager.submit(job)
    manager.wait_for_all(10_000)
    we = finished.args[0]
    assert we.folder is None
    assert we.get_waveforms(sorting.unit_ids[0]).shape[1:] == (75, 4)
