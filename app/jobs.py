"""Background jobs: `Job` wraps a ``core`` call, `JobManager` runs them (no widgets here).

`app.views.jobs_panel.JobsPanel` shows them.

A job runs ``fn(progress_callback, cancel_token)`` on a worker thread of the manager's pool.
``run()`` never touches a widget: it only emits the signals of its `JobSignals`, a QObject that
lives in the GUI thread, so every slot (progress bars, the error dialog) runs in the GUI thread.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.jobs import CancelToken, JobCancelled

from .model.job_location import JobLocation

__all__ = [
    "Job",
    "JobManager",
    "JobSignals",
    "JobState",
    "compute_sparsity_job",
    "extract_waveforms_job",
    "save_recording_job",
]

ProgressCallback = Callable[[int, int], None]
JobFunction = Callable[[ProgressCallback, CancelToken], Any]

_log = logging.getLogger(__name__)

#: Minimum seconds between two progress signals of a job (at most ~20 per second).
PROGRESS_INTERVAL_S = 0.05
#: Longest a job's thread running Python code keeps the GIL from the GUI thread (seconds).
#: Python's default (5 ms) is paid again at each of the GUI thread's calls that let the GIL
#: go (numpy, Qt): a paint or a slot waits tens to hundreds of ms while a job computes.
GIL_SWITCH_INTERVAL_S = 0.0005
#: Niceness added to the threads that run jobs: on 2 cores, 2 jobs and the GUI thread would
#: otherwise get a third of the CPU each, and the GUI stall for hundreds of ms.
WORKER_NICENESS = 10


def lower_thread_priority() -> None:
    """Make the calling (worker) thread yield the CPU to the GUI thread (Linux: the thread's
    nice value; elsewhere nothing). Jobs call it when they start; so should other worker
    threads of the views."""
    if not sys.platform.startswith("linux"):
        return
    thread_id = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        if current < WORKER_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread_id, WORKER_NICENESS)
    except OSError:  # not allowed: the thread keeps its priority
        pass


class JobState(StrEnum):
    """Life cycle of a `Job`: queued, then running, then one of three final states."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """bool: Whether the job is queued or running."""
        return self in (JobState.QUEUED, JobState.RUNNING)


class JobSignals(QObject):
    """Signals of a `Job` (a QRunnable is not a QObject); created in, and delivered to, the GUI
    thread.

    Signals
    -------
    progress(int done, int total)
        Throttled progress of the running job; the last step (``done == total``) always arrives.
    finished(object result)
        The job returned ``result``.
    failed(str title, str message)
        The job raised; ``message`` names the exception.
    cancelled()
        The job stopped because it was cancelled.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()


class Job(QRunnable):
    """A ``core`` call run in the background with progress and cancel.

    Parameters
    ----------
    title : str
        Shown in the jobs panel and in error messages.
    fn : callable
        ``fn(progress_callback, cancel_token) -> result``, run on a worker thread; it reports
        ``progress_callback(done, total)`` and stops by raising `core.jobs.JobCancelled` once
        ``cancel_token`` is cancelled (``core`` functions do both when given these arguments).
    progress_interval_s : float, default: 0.05
        Minimum time between two ``progress`` signals.
    announce : bool, default: True
        Bring the jobs panel forward when it starts (False for the work the window does by
        itself to follow a change: metrics, unit channels, curation indexing).

    Attributes
    ----------
    title : str
    signals : JobSignals
    state : JobState
    """

    def __init__(
        self,
        title: str,
        fn: JobFunction,
        progress_interval_s: float = PROGRESS_INTERVAL_S,
        announce: bool = True,
    ) -> None:
        super().__init__()
        self.announce = announce
        # Python owns the job: with autoDelete the pool would delete it in the worker thread
        # while the GUI thread may still read its state.
        self.setAutoDelete(False)
        self.title = title
        self.signals = JobSignals()
        self.state = JobState.QUEUED
        self._fn: JobFunction | None = fn
        self._cancel_token = CancelToken()
        self._progress_interval_s = progress_interval_s
        self._last_emit = -math.inf
        # (done, total, monotonic time) as one tuple, so the GUI thread never reads a torn update
        self._progress: tuple[int, int, float] | None = None
        self._started: float | None = None
        self._ended: float | None = None

    def cancel(self) -> None:
        """Ask the job to stop; safe from any thread. A queued job ends without running ``fn``."""
        self._cancel_token.cancel()

    @property
    def cancel_requested(self) -> bool:
        """bool: Whether `cancel` was called."""
        return self._cancel_token.cancelled

    @property
    def progress(self) -> tuple[int, int] | None:
        """tuple of int or None: The latest ``(done, total)`` reported, unthrottled."""
        return None if self._progress is None else self._progress[:2]

    @property
    def elapsed(self) -> float:
        """float: Seconds since the job started running (until it ended); 0 while queued."""
        if self._started is None:
            return 0.0
        return (self._ended or time.monotonic()) - self._started

    @property
    def eta(self) -> float | None:
        """float or None: Estimated seconds left, from the progress rate; None when unknown."""
        progress, started = self._progress, self._started
        if self.state is not JobState.RUNNING or progress is None or started is None:
            return None
        done, total, _ = progress
        if done <= 0 or done >= total:
            return None
        # the average rate so far, measured up to now: a stalled job's ETA grows
        return (time.monotonic() - started) * (total - done) / done

    def run(self) -> None:
        """Run ``fn`` once and emit exactly one of ``finished``, ``failed`` or ``cancelled``."""
        self._started = time.monotonic()
        # PySide's pool keeps a reference to every job it started: drop fn (and the data its
        # closure holds, such as a recording) so that only a small shell stays behind
        fn, self._fn = self._fn, None
        if fn is None or self._cancel_token.cancelled:
            self._end(JobState.CANCELLED)
            return
        self.state = JobState.RUNNING
        lower_thread_priority()
        try:
            outcome = (JobState.FINISHED, fn(self._report_progress, self._cancel_token))
        except JobCancelled:
            outcome = (JobState.CANCELLED,)
        except Exception as error:
            # the dialog gets the message, the log keeps the traceback
            _log.error("job %r failed", self.title, exc_info=error)
            outcome = (JobState.FAILED, f"{self.title} failed", f"{type(error).__name__}: {error}")
        del fn  # released before the GUI thread hears that the job ended
        self._end(*outcome)

    def _end(self, state: JobState, *signal_args: Any) -> None:
        self._ended = time.monotonic()
        self.state = state
        signals = self.signals
        final_signal = {
            JobState.FINISHED: signals.finished,
            JobState.FAILED: signals.failed,
            JobState.CANCELLED: signals.cancelled,
        }[state]
        final_signal.emit(*signal_args)

    def _report_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        self._progress = (int(done), int(total), now)
        if done >= total or now - self._last_emit >= self._progress_interval_s:
            self._last_emit = now
            self.signals.progress.emit(int(done), int(total))

    def __repr__(self) -> str:
        return f"Job({self.title!r}, state={self.state.value})"


class JobManager(QObject):
    """Runs jobs on its own thread pool and keeps them alive until they end.

    Creating one lowers the interpreter's GIL switch interval to `GIL_SWITCH_INTERVAL_S` (never
    raises it), so that the GUI thread stays responsive while jobs run Python code.

    Parameters
    ----------
    parent : QObject or None, default: None
    max_threads : int, default: 2
        Jobs running at the same time; later ones wait in the queue.

    Signals
    -------
    job_added(Job)
        A job was submitted.
    job_finished(Job)
        A job ended, whatever its final `JobState`.
    error_occurred(str title, str message)
        A job failed: the one route to the error dialog.
    location_changed(JobLocation)
        Where the long jobs (saves, waveform extraction) run changed.

    Attributes
    ----------
    location : JobLocation
        Where Save Recording As and Extract Waveforms run: this machine by default, or a Dask
        cluster (the jobs still run from this manager's threads, which wait on the cluster).
    """

    job_added = Signal(object)
    job_finished = Signal(object)
    error_occurred = Signal(str, str)
    location_changed = Signal(object)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._jobs: list[Job] = []
        self.location = JobLocation()

    def set_location(self, location: JobLocation) -> None:
        """Run the next long jobs at ``location`` (running ones stay where they are)."""
        if not isinstance(location, JobLocation):
            raise TypeError(f"location must be a JobLocation, got {type(location).__name__}")
        if location != self.location:
            self.location = location
            self.location_changed.emit(location)

    @property
    def jobs(self) -> list[Job]:
        """list of Job: Queued and running jobs, in submission order."""
        return [job for job in self._jobs if job.state.is_active]

    def submit(self, job: Job) -> Job:
        """Queue ``job`` and return it.

        Raises
        ------
        ValueError
            If the job was submitted before (a job runs once).
        """
        if job in self._jobs or job.state is not JobState.QUEUED:
            raise ValueError(f"{job!r} was already submitted; a job runs once")
        self._jobs.append(job)
        # bound methods, not closures over the job: a closure stored in the C++ connection would
        # keep the job (and the recording its fn holds) alive forever
        job.signals.finished.connect(self._on_job_ended)
        job.signals.cancelled.connect(self._on_job_ended)
        job.signals.failed.connect(self.error_occurred)
        job.signals.failed.connect(self._on_job_ended)
        self.job_added.emit(job)
        self._pool.start(job)
        return job

    def cancel_all(self) -> None:
        """Ask every queued and running job to stop."""
        for job in self.jobs:
            job.cancel()

    def wait_for_all(self, timeout_ms: int = -1) -> bool:
        """Block until no job runs or ``timeout_ms`` passed (-1: no limit); True if all ended."""
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = -1) -> bool:
        """Cancel every job and wait for them; call it from the main window's ``closeEvent``.

        Returns
        -------
        bool
            Whether all jobs ended within ``timeout_ms``.
        """
        self.cancel_all()
        return self.wait_for_all(timeout_ms)

    def _on_job_ended(self, *_signal_args: Any) -> None:
        job = next((job for job in self._jobs if job.signals is self.sender()), None)
        if job is not None:
            self._jobs.remove(job)
            self.job_finished.emit(job)


def save_recording_job(
    recording: Any, folder: str | Path, format: str = "binary", **save_kwargs: Any
) -> Job:
    """A job that saves ``recording`` to ``folder`` and returns the saved copy.

    Parameters
    ----------
    recording : core.BaseRecording
        Source; it is only read.
    folder : str or Path
        Target folder (zarr adds the ``.zarr`` suffix); written atomically, so a cancelled or
        failed save leaves no folder.
    format : {"binary", "zarr"}, default: "binary"
    **save_kwargs
        Format options and job keyword arguments of ``recording.save``, for example from
        `app.dialogs.save_recording.SaveRecordingDialog.options` (with
        ``pool_engine="dask"`` the save runs on the cluster and the title says so).

    Returns
    -------
    Job
        Its ``finished`` signal carries the recording loaded from the saved folder.
    """
    folder = Path(folder)
    where = " on the Dask cluster" if save_kwargs.get("pool_engine") == "dask" else ""

    def save(progress_callback: ProgressCallback, cancel_token: CancelToken) -> Any:
        return recording.save(
            folder=folder,
            format=format,
            progress_callback=progress_callback,
            cancel_token=cancel_token,
            progress_bar=False,
            verbose=False,
            **save_kwargs,
        )

    return Job(f"Save recording as {folder.name}{where}", save)


def extract_waveforms_job(
    recording: Any,
    sorting: Any,
    folder: str | Path | None = None,
    location: JobLocation | None = None,
    **options: Any,
) -> Job:
    """A job that runs ``core.extract_waveforms`` and returns the WaveformExtractor.

    Parameters
    ----------
    recording, sorting : core.BaseRecording, core.BaseSorting
        Sources; only read.
    folder : str, Path or None, default: None
        Target folder (``mode="folder"``), written atomically: a cancelled or failed extraction
        leaves no folder. None extracts in memory.
    location : JobLocation or None, default: None
        Where to run (this machine when None), e.g. the job manager's ``location``; on a Dask
        cluster its job keyword arguments win over any in ``options``.
    **options
        Keyword arguments of ``extract_waveforms`` (window, spikes per unit, sparsity, job
        options...), for example from `app.dialogs.extract_waveforms.ExtractWaveformsDialog`.

    Returns
    -------
    Job
        Its ``finished`` signal carries the WaveformExtractor.
    """
    from core import extract_waveforms

    target = None if folder is None else Path(folder)
    mode = "memory" if target is None else "folder"
    location = JobLocation() if location is None else location
    kwargs = {**options, **location.job_kwargs()}

    def extract(progress_callback: ProgressCallback, cancel_token: CancelToken) -> Any:
        return extract_waveforms(
            recording,
            sorting,
            folder=target,
            mode=mode,
            progress_callback=progress_callback,
            cancel_token=cancel_token,
            progress_bar=False,
            **kwargs,
        )

    where = "in memory" if target is None else f"to {target.name}"
    if not location.is_local:
        where += " on the Dask cluster"
    return Job(f"Extract waveforms {where}", extract)


def compute_sparsity_job(description: str, **arguments: Any) -> Job:
    """A job that computes a sparsity of the open units (see
    `app.model.sparsity_methods.compute_session_sparsity`, which gets ``arguments``).

    Returns
    -------
    Job
        Its ``finished`` signal carries the ChannelSparsity.
    """
    from app.model.sparsity_methods import compute_session_sparsity

    def compute(progress_callback: ProgressCallback, cancel_token: CancelToken) -> Any:
        return compute_session_sparsity(
            progress_callback=progress_callback, cancel_token=cancel_token, **arguments
        )

    return Job(f"Compute sparsity ({description})", compute)
