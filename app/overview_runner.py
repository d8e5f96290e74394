"""Keeps the session's display pyramid: finds it in the cache or builds it in a background job."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.jobs import Job, JobManager
from app.model.display_pyramid import DisplayPyramid, clear_pyramid_cache
from app.model.latest_worker import LatestWorker, WorkResult
from app.model.session import Session
from app.model.window_source import (
    BUILDING,
    IDLE,
    LOOKING,
    NO_OVERVIEW,
    READY,
    REQUESTED,
    OverviewState,
)

_log = logging.getLogger(__name__)

#: Recordings at least this long (any segment, seconds) get their pyramid built when opened;
#: shorter ones when a view first needs it (`Session.request_overview`).
AUTO_BUILD_MIN_S = 120.0


class OverviewRunner(QObject):
    """Gives the session the display pyramid of the open recording (`Session.overview`).

    When a recording is opened, a worker thread looks for its pyramid in the cache (computing
    the recording's identity stats its files, which may be slow on a network share). A complete
    one is published at once; otherwise the pyramid is built by a job (progress and Cancel in
    the jobs panel; a cancelled build resumes next time) if the recording is long, or as soon as
    a view asks for it. A recording without lasting identity (in-memory arrays) gets a private
    pyramid in a temporary folder, removed when it is closed.

    Parameters
    ----------
    session : Session
    job_manager : JobManager
    cache_dir : str | Path
        The overview cache (the application's cache location).
    """

    _found = Signal(object)  # WorkResult from the worker thread, delivered in the GUI thread

    def __init__(self, session: Session, job_manager: JobManager, cache_dir: str | Path) -> None:
        super().__init__()
        self._session = session
        self._jobs = job_manager
        self.cache_dir = Path(cache_dir)
        self._recording = None
        self._job: Job | None = None
        self._private_dir: Path | None = None
        self._worker = LatestWorker("OverviewRunner")
        self._found.connect(self._on_found)
        session.signals.recording.connect(self.refresh)
        session.signals.overview.connect(self._on_overview)
        self.refresh()

    @property
    def job(self) -> Job | None:
        """The build job while it runs."""
        return self._job

    @property
    def pyramid(self) -> DisplayPyramid | None:
        """The pyramid of the open recording (built or not)."""
        return self._session.overview.pyramid

    def refresh(self, *_) -> None:
        """Follow the session's recording: drop the old pyramid, look for the new one."""
        recording = self._session.recording
        if recording is self._recording:
            return
        self._drop()
        self._recording = recording
        if recording is None:
            return
        self._session.set_overview(OverviewState(LOOKING))
        cache_dir = self.cache_dir
        self._worker.submit(lambda: _find(recording, cache_dir), self._found.emit)

    def build(self) -> None:
        """Build the pyramid of the open recording now (if it is not built or being built)."""
        state = self._session.overview
        if state.pyramid is None or state.status in (READY, BUILDING):
            return
        pyramid = state.pyramid
        job = Job(
            f"Overview of {_short_name(self._session)}",
            lambda progress, cancel: pyramid.build(progress_callback=progress, cancel_token=cancel),
        )
        job.signals.progress.connect(self._on_progress)
        job.signals.finished.connect(self._on_finished)
        job.signals.cancelled.connect(self._on_stopped)
        job.signals.failed.connect(self._on_stopped)
        self._job = job
        self._session.set_overview(OverviewState(BUILDING, pyramid, pyramid.build_fraction()))
        self._jobs.submit(job)

    def clear_cache(self) -> int:
        """Remove every cached pyramid (the open recording's too, which is then built anew when
        needed); return the bytes freed."""
        recording = self._recording
        self._drop()
        self._worker.wait_until_idle(30.0)
        freed = clear_pyramid_cache(self.cache_dir)
        self._recording = None
        if recording is self._session.recording:
            self.refresh()
        return freed

    def shutdown(self) -> None:
        """Cancel the build, stop the worker, remove the private pyramid (call on close)."""
        self._drop()
        self._worker.close()

    def wait_until_idle(self, timeout: float | None = None) -> bool:
        """Block until the cache lookup is done (tests)."""
        return self._worker.wait_until_idle(timeout)

    # ------------------------------------------------------------------ internals
    def _drop(self) -> None:
        self._worker.cancel()
        job, self._job = self._job, None
        if job is not None and job.state.is_active:
            job.cancel()
        else:
            job = None
        pyramid = self._session.overview.pyramid
        if self._session.overview.status != NO_OVERVIEW:
            self._session.set_overview(OverviewState())
        if pyramid is not None:
            pyramid.close()  # thread-safe: a read in flight fails cleanly; a build has own files
        private_dir, self._private_dir = self._private_dir, None
        if private_dir is not None:
            if job is None:
                shutil.rmtree(private_dir, ignore_errors=True)
            else:  # the cancelled build still writes there until it stops

                def remove(*_args) -> None:
                    shutil.rmtree(private_dir, ignore_errors=True)

                for signal in (job.signals.finished, job.signals.cancelled, job.signals.failed):
                    signal.connect(remove)

    def _on_found(self, result: WorkResult) -> None:
        if result.error is not None:
            _log.warning("no overview for %s: %s", self._session.source, result.error)
            if self._session.overview.status == LOOKING:
                self._session.set_overview(OverviewState())  # windows read raw, as without
            return
        recording, pyramid, complete, private_dir = result.value
        if recording is not self._session.recording or recording is not self._recording:
            pyramid.close()
            if private_dir is not None:
                shutil.rmtree(private_dir, ignore_errors=True)
            return
        self._private_dir = private_dir
        if complete:
            self._session.set_overview(OverviewState(READY, pyramid, 1.0))
            return
        self._session.set_overview(OverviewState(IDLE, pyramid, pyramid.build_fraction()))
        durations = [
            recording.get_num_samples(segment) / recording.get_sampling_frequency()
            for segment in range(recording.get_num_segments())
        ]
        if max(durations, default=0.0) >= AUTO_BUILD_MIN_S:
            self.build()

    def _on_overview(self, state: OverviewState) -> None:
        if state.status == REQUESTED:
            self.build()

    def _on_progress(self, done: int, total: int) -> None:
        state = self._session.overview
        if (
            self._job is not None
            and self.sender() is self._job.signals
            and state.status == BUILDING
        ):
            self._session.set_overview(OverviewState(BUILDING, state.pyramid, done / max(total, 1)))

    def _on_finished(self, _result) -> None:
        state = self._session.overview
        if self._job is not None and self.sender() is self._job.signals:
            self._job = None
            self._session.set_overview(OverviewState(READY, state.pyramid, 1.0))

    def _on_stopped(self, *_args) -> None:
        state = self._session.overview
        if self._job is not None and self.sender() is self._job.signals:
            self._job = None
            self._session.set_overview(
                OverviewState(IDLE, state.pyramid, state.pyramid.build_fraction())
            )


def _find(recording, cache_dir: Path):
    """Worker thread: the recording's pyramid, whether it is complete, its private folder."""
    pyramid = DisplayPyramid(recording, cache_dir)
    private_dir = None
    if not pyramid.cacheable:
        private_dir = Path(tempfile.mkdtemp(prefix="spikedesk-overview-"))
        pyramid = DisplayPyramid(recording, private_dir, private=True)
    return recording, pyramid, pyramid.is_complete(), private_dir


def _short_name(session: Session) -> str:
    source = session.source.split(";")[0].strip() or "the recording"
    return Path(source).name or source
