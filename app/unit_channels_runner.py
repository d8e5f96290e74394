"""Keeps ``session.unit_channel_ids`` up to date: from templates at once, or estimated in a job."""

from __future__ import annotations

import logging

from app.jobs import Job, JobManager
from app.model.session import Session
from app.model.unit_channels import channels_from_templates, estimate_unit_channels

_log = logging.getLogger(__name__)


class UnitChannelsRunner:
    """Finds each unit's extremum channel whenever the recording, sorting or waveforms change.

    With a waveform extractor that has templates the channels are set at once; otherwise a
    background job estimates them from a few spikes per unit (shown in the jobs panel, cancelled
    when the data changes again). Units that already have a channel keep it: after a curation
    action only the new units are estimated.

    Parameters
    ----------
    session : Session
    job_manager : JobManager
    """

    def __init__(self, session: Session, job_manager: JobManager) -> None:
        self._session = session
        self._jobs = job_manager
        self._job: Job | None = None
        for name in ("recording", "sorting", "waveform_extractor"):
            getattr(session.signals, name).connect(self.refresh)
        self.refresh()

    @property
    def job(self) -> Job | None:
        """The estimating job, while it runs."""
        return self._job

    def refresh(self, *_) -> None:
        """Find the channels of the units that have none yet (all of a new sorting; the new
        units of a curated one)."""
        self.shutdown()
        session = self._session
        if session.sorting is None:
            return
        known = session.unit_channel_ids
        missing = [u for u in session.sorting.unit_ids.tolist() if u not in known]
        if not missing:
            return
        we = session.waveform_extractor
        if we is not None:
            try:
                from_templates = channels_from_templates(we)
            except Exception as error:  # e.g. an analyzer without templates: estimate instead
                _log.info("no templates for the unit channels: %s", error)
            else:
                found = {u: from_templates[u] for u in missing if u in from_templates}
                if found:
                    session.set_unit_channels({**known, **found})
                missing = [u for u in missing if u not in found]
        recording, sorting = session.recording, session.sorting
        if not missing or recording is None or recording.get_num_channels() < 2:
            return
        subset = (
            sorting if len(missing) == sorting.get_num_units() else sorting.select_units(missing)
        )
        job = Job(
            "Finding each unit's channel",
            lambda progress, cancel: estimate_unit_channels(
                recording, subset, progress=progress, cancel_token=cancel
            ),
        )

        def done(channels: dict) -> None:
            if self._job is not job:
                return  # cancelled or superseded (the window may be closing)
            self._job = None
            if session.recording is recording and session.sorting is sorting:
                session.set_unit_channels({**session.unit_channel_ids, **channels})

        job.signals.finished.connect(done)
        self._job = job
        self._jobs.submit(job)

    def shutdown(self) -> None:
        """Cancel the estimate that runs, if any."""
        if self._job is not None and self._job.state.is_active:
            self._job.cancel()
        self._job = None
