"""The window's long jobs on a Dask LocalCluster (two single-thread worker processes): Save
Recording As and Extract Waveforms, with the same progress and cancel as on this machine."""

import filecmp

import numpy as np
import pytest

import core as si
from app.dialogs.save_recording import SaveRecordingDialog
from app.jobs import JobManager, JobState, extract_waveforms_job, save_recording_job
from app.model.job_location import JobLocation

distributed = pytest.importorskip(
    "distributed",
    reason="Dask distributed is not installed (pip install 'spikedesk[distributed]')",
)

# the offscreen platform cannot pass a top-level window's size constraints on (harmless)
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def cluster():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    yield cluster
    cluster.close()


@pytest.fixture
def on_cluster(cluster):
    return JobLocation(cluster.scheduler_address)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A recording and sorting saved where the workers can read them."""
    folder = tmp_path_factory.mktemp("saved")
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0], num_channels=4, num_units=3, seed=7
    )
    recording = recording.save(folder=folder / "recording", n_jobs=1, progress_bar=False)
    return recording, sorting.save(folder=folder / "sorting")


@pytest.fixture
def manager():
    manager = JobManager()
    yield manager
    manager.shutdown(60_000)


def test_window_saves_a_recording_on_the_cluster(qtbot, saved, on_cluster, tmp_path):
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    recording, _ = saved
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.errors = []
    window.show_error = lambda title, message: window.errors.append((title, message))
    window.open_path(recording.to_dict()["kwargs"]["folder_path"])
    window.job_manager.set_location(on_cluster)

    def fill_dialog(opened):
        dialog = SaveRecordingDialog(opened, location=window.job_manager.location)
        dialog.folder_edit.setText(str(tmp_path / "copy"))
        dialog.chunk_duration_edit.setText("250ms")
        return dialog.target_folder(), dialog.options()

    window.ask_save_recording = fill_dialog
    progress = []
    with qtbot.waitSignal(window.job_manager.job_added) as added:
        window.menus.actions["save_recording"].trigger()
    job = added.args[0]
    job.signals.progress.connect(lambda done, total: progress.append((done, total)))
    qtbot.waitUntil(lambda: not job.state.is_active, timeout=60_000)
    window.job_manager.wait_for_all(10_000)
    window.close()
    assert window.errors == []
    assert job.state is JobState.FINISHED
    assert job.title.endswith("on the Dask cluster")
    assert progress[-1] == (8, 8)
    assert filecmp.cmp(
        tmp_path / "copy" / "traces_cached_seg0.raw",
        recording.to_dict()["kwargs"]["folder_path"] + "/traces_cached_seg0.raw",
        shallow=False,
    )


def test_cancelling_a_save_on_the_cluster_leaves_no_folder(
    qtbot, manager, saved, on_cluster, tmp_path
):
    recording, _ = saved
    job = save_recording_job(
        recording, tmp_path / "copy", chunk_duration="20ms", **on_cluster.job_kwargs()
    )
    job.signals.progress.connect(lambda done, total: job.cancel() if done >= 2 else None)
    with qtbot.waitSignal(job.signals.cancelled, timeout=60_000):
        manager.submit(job)
    manager.wait_for_all(10_000)
    assert job.state is JobState.CANCELLED
    assert list(tmp_path.iterdir()) == []


def test_extract_waveforms_job_on_the_cluster_matches_this_machine(
    qtbot, manager, saved, on_cluster, tmp_path
):
    recording, sorting = saved
    kwargs = {"ms_before": 1.0, "ms_after": 2.0, "sparse": False, "seed": 0}
    local = extract_waveforms_job(recording, sorting, tmp_path / "local", n_jobs=1, **kwargs)
    remote = extract_waveforms_job(
        recording, sorting, tmp_path / "remote", location=on_cluster, **kwargs
    )
    for job in (local, remote):
        with qtbot.waitSignal(job.signals.finished, timeout=60_000) as finished:
            manager.submit(job)
        assert finished.args[0].folder is not None
    for unit_id in sorting.unit_ids:
        name = f"waveforms/waveforms_{unit_id}.npy"
        assert filecmp.cmp(tmp_path / "local" / name, tmp_path / "remote" / name, shallow=False)
    waveforms = np.load(tmp_path / "remote" / f"waveforms/waveforms_{sorting.unit_ids[0]}.npy")
    assert waveforms.shape[1:] == (75, 4)  # 3 ms at 25 kHz, 4 channels


def test_units_menu_extracts_waveforms_on_the_cluster(qtbot, saved, on_cluster, tmp_path):
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    recording, sorting = saved
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.errors = []
    window.show_error = lambda title, message: window.errors.append((title, message))
    window.session.open(recording=recording, sorting=sorting, source="saved")
    window.job_manager.set_location(on_cluster)
    options = {"sparse": False, "seed": 0, "max_spikes_per_unit": 20, "n_jobs": 1}
    window.units.ask_extraction = lambda rec, sort, folder: (tmp_path / "wf", options)
    with qtbot.waitSignal(window.job_manager.job_added) as added:
        window.menus.actions["extract_waveforms"].trigger()
    job = added.args[0]
    qtbot.waitUntil(lambda: not job.state.is_active, timeout=60_000)
    window.job_manager.wait_for_all(30_000)
    window.close()
    assert window.errors == []
    assert job.state is JobState.FINISHED
    assert job.title == "Extract waveforms to wf on the Dask cluster"
    we = si.load_waveforms(tmp_path / "wf")
    assert we.get_waveforms(sorting.unit_ids[0]).shape == (20, 75, 4)
