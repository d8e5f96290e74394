"""Background jobs: Job, JobManager, JobsPanel and the save-recording job."""

import gc
import sys
import threading
import weakref

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThreadPool, QTimer

import core as si
from app.jobs import Job, JobManager, JobState, save_recording_job
from app.views.jobs_panel import JobsPanel, format_seconds
from core.jobs import JobCancelled


@pytest.fixture(autouse=True)
def no_jobs_left_running(monkeypatch):
    """Fail a test that leaves a job queued or running (then stop them for the next test)."""
    managers = []
    original_init = JobManager.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        managers.append(self)

    monkeypatch.setattr(JobManager, "__init__", tracking_init)
    yield
    left_running = [job for manager in managers for job in manager.jobs]
    for manager in managers:
        manager.shutdown(10_000)
    assert not left_running, f"jobs left running: {left_running}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0


@pytest.fixture
def manager():
    return JobManager()


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=64, durations=[3.0], seed=0)


def count_to_three(progress, cancel_token):
    for done in range(1, 4):
        progress(done, 3)
    return "counted"


def wait_for_cancel(progress, cancel_token):
    progress(1, 2)
    cancel_token.wait()
    cancel_token.raise_if_cancelled()


def test_job_reports_progress_and_finishes_with_its_result(qtbot, manager):
    job = Job("Count", count_to_three)
    reports = []
    job.signals.progress.connect(lambda done, total: reports.append((done, total)))
    with qtbot.waitSignal(job.signals.finished) as blocker:
        manager.submit(job)
    assert blocker.args == ["counted"]
    assert reports[0] == (1, 3) and reports[-1] == (3, 3)
    assert job.state is JobState.FINISHED


def test_progress_signals_are_throttled_but_the_last_step_arrives(qtbot, manager):
    def many_steps(progress, cancel_token):
        for done in range(1, 10_001):
            progress(done, 10_000)

    job = Job("Many steps", many_steps)
    reports = []
    job.signals.progress.connect(lambda done, total: reports.append(done))
    with qtbot.waitSignal(job.signals.finished):
        manager.submit(job)
    assert len(reports) < 100 and reports[-1] == 10_000


def test_failing_job_routes_its_message_to_error_occurred_once(qtbot, manager):
    def broken(progress, cancel_token):
        raise ValueError("channel 'A7' does not exist")

    errors = []
    manager.error_occurred.connect(lambda title, message: errors.append((title, message)))
    job = Job("Filter", broken)
    with qtbot.waitSignal(manager.job_finished):
        manager.submit(job)
    assert errors == [("Filter failed", "ValueError: channel 'A7' does not exist")]
    assert job.state is JobState.FAILED


@pytest.mark.parametrize("format", ["binary", "zarr"])
def test_cancelling_a_running_save_leaves_no_folder(qtbot, manager, recording, tmp_path, format):
    job = save_recording_job(recording, tmp_path / "saved", format=format, chunk_duration="10ms")
    seen_while_running = []

    def cancel_now(done, total):
        # runs in the worker thread, so the save is mid-way whatever the machine's speed
        seen_while_running.extend(path.name for path in tmp_path.iterdir())
        job.cancel()

    job.signals.progress.connect(cancel_now, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(job.signals.cancelled, timeout=20_000):
        manager.submit(job)
    assert job.state is JobState.CANCELLED
    assert any(".partial-" in name for name in seen_while_running)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("format", "folder_name"), [("binary", "saved"), ("zarr", "saved.zarr")])
def test_finished_save_reloads_with_identical_traces(
    qtbot, manager, recording, tmp_path, format, folder_name
):
    job = save_recording_job(
        recording, tmp_path / "saved", format=format, chunk_duration="100ms", n_jobs=2
    )
    with qtbot.waitSignal(job.signals.finished, timeout=20_000) as blocker:
        manager.submit(job)
    loaded = si.load_extractor(tmp_path / folder_name)
    np.testing.assert_array_equal(loaded.get_traces(), recording.get_traces())
    assert blocker.args[0].get_num_channels() == 64


def test_a_job_runs_off_the_gui_thread_while_the_gui_keeps_handling_events(qtbot, manager):
    """The job waits for a timer that only the GUI thread's event loop can fire: it ends only
    if the GUI thread keeps running while the job runs."""
    gui_thread = threading.current_thread()
    released = threading.Event()

    def wait_for_the_gui(progress, cancel):
        return threading.current_thread(), released.wait(20)

    QTimer.singleShot(50, released.set)
    job = Job("Wait for the GUI", wait_for_the_gui)
    with qtbot.waitSignal(job.signals.finished, timeout=30_000) as blocker:
        manager.submit(job)
    thread, was_released = blocker.args[0]
    assert thread is not gui_thread and was_released


def test_jobs_panel_shows_a_row_per_job_with_progress_reaching_100(qtbot, manager):
    panel = JobsPanel(manager, clear_after_ms=None)
    qtbot.addWidget(panel)
    jobs = [manager.submit(Job(f"Count {index}", count_to_three)) for index in range(2)]
    assert [row.title_label.text() for row in panel.rows] == ["Count 0", "Count 1"]
    qtbot.waitUntil(lambda: all(job.state is JobState.FINISHED for job in jobs))
    qtbot.waitUntil(lambda: [row.progress_bar.format() for row in panel.rows] == ["Done"] * 2)
    assert [row.progress_bar.value() for row in panel.rows] == [100, 100]


def test_cancel_button_of_a_row_cancels_its_job(qtbot, manager):
    panel = JobsPanel(manager, clear_after_ms=None)
    qtbot.addWidget(panel)
    job = Job("Wait", wait_for_cancel)
    with qtbot.waitSignal(job.signals.progress):
        manager.submit(job)
    row = panel.row_for(job)
    with qtbot.waitSignal(job.signals.cancelled):
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert row.progress_bar.format() == "Cancelled"


def test_eta_appears_after_progress(qtbot, manager):
    panel = JobsPanel(manager)
    qtbot.addWidget(panel)
    job = Job("Wait", wait_for_cancel)
    manager.submit(job)
    row = panel.row_for(job)
    assert row.eta_label.text() == ""
    qtbot.waitUntil(lambda: row.eta_label.text().startswith("ETA "))
    assert row.progress_bar.value() == 50
    with qtbot.waitSignal(job.signals.cancelled):
        job.cancel()


def test_quiet_jobs_get_a_row_only_if_they_last(qtbot, manager):
    from app.views.jobs_panel import QUIET_ROW_DELAY_MS

    panel = JobsPanel(manager, clear_after_ms=None)
    qtbot.addWidget(panel)
    quick = Job("Quick", lambda progress, cancel: 1, announce=False)
    with qtbot.waitSignal(quick.signals.finished):
        manager.submit(quick)
    lasting = Job("Lasting", wait_for_cancel, announce=False)
    manager.submit(lasting)
    assert panel.rows == []  # not at once
    qtbot.wait(QUIET_ROW_DELAY_MS + 100)
    assert [row.job for row in panel.rows] == [lasting]  # the quick one never got a row
    with qtbot.waitSignal(lasting.signals.cancelled):
        lasting.cancel()
    qtbot.waitUntil(lambda: panel.rows[0].progress_bar.format() == "Cancelled")


def test_finished_rows_clear_after_the_delay(qtbot, manager):
    panel = JobsPanel(manager, clear_after_ms=50)
    qtbot.addWidget(panel)
    manager.submit(Job("Count", count_to_three))
    qtbot.waitUntil(lambda: panel.rows == [])
    assert panel.empty_label.isVisibleTo(panel)


def test_shutdown_cancels_and_waits_for_running_and_queued_jobs(qtbot, manager):
    jobs = [manager.submit(Job(f"Wait {index}", wait_for_cancel)) for index in range(3)]
    assert manager.shutdown(10_000)
    assert [job.state for job in jobs] == [JobState.CANCELLED] * 3
    assert manager.jobs == []


def test_a_cancelled_queued_job_never_runs(qtbot, manager):
    calls = []
    for index in range(2):  # occupy both threads of the pool
        manager.submit(Job(f"Wait {index}", wait_for_cancel))
    queued = manager.submit(Job("Queued", lambda progress, token: calls.append("ran")))
    queued.cancel()
    with qtbot.waitSignal(queued.signals.cancelled):
        manager.cancel_all()
    assert calls == [] and queued.state is JobState.CANCELLED
    assert manager.wait_for_all(10_000)


def test_a_job_runs_once(qtbot, manager):
    job = manager.submit(Job("Count", count_to_three))
    with pytest.raises(ValueError, match="runs once"):
        manager.submit(job)
    manager.wait_for_all()


def test_job_cancelled_inside_fn_ends_cancelled(qtbot, manager):
    def gives_up(progress, cancel_token):
        raise JobCancelled("stopped")

    job = Job("Give up", gives_up)
    with qtbot.waitSignal(job.signals.cancelled):
        manager.submit(job)
    assert job.state is JobState.CANCELLED


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00"), (75.4, "1:15"), (3723, "1:02:03")])
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text


def test_a_job_releases_its_function_once_it_ended(qtbot, manager):
    class Work:
        def __call__(self, progress, cancel_token):
            return "done"

    work = Work()
    released = weakref.ref(work)
    job = Job("Work", work)
    del work
    with qtbot.waitSignal(job.signals.finished):
        manager.submit(job)
    gc.collect()
    assert released() is None


def test_job_manager_lowers_the_gil_switch_interval_for_the_gui_thread():
    from app.jobs import GIL_SWITCH_INTERVAL_S

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # Python's default
        JobManager()
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL_S)
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_S / 2)
        JobManager()  # never raised back
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL_S / 2)
    finally:
        sys.setswitchinterval(before)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread niceness is Linux's")
def test_jobs_run_at_a_lower_cpu_priority_than_the_gui_thread(qtbot, manager):
    import os

    from app.jobs import WORKER_NICENESS

    def niceness(progress, cancel_token):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    job = Job("nice", niceness)
    with qtbot.waitSignal(job.signals.finished, timeout=10_000) as finished:
        manager.submit(job)
    assert finished.args[0] >= WORKER_NICENESS
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < WORKER_NICENESS
