"""Keeps each unit's extremum channel in the session, and coarse templates of every unit for
similarity: from a waveform extractor's templates at once, or estimated in a background job."""

from __future__ import annotations

import logging

import numpy as np

from app.jobs import Job, JobManager
from app.model.session import Session
from app.model.unit_channels import channels_from_templates, channels_of, estimate_unit_templates
from core.curation import CuratedSorting

_log = logging.getLogger(__name__)


class UnitChannelsRunner:
    """Finds each unit's extremum channel and coarse template when the data change.

    With a waveform extractor that has templates the channels are set at once. When the
    recording is open, a background job estimates a coarse template of each unit from a few
    spikes (shown in the jobs panel, cancelled when the data change again): it gives the channels
    of the units without any, and the templates `most_similar`-style commands compare. Units
    that already have them keep them: after a curation action only the new units (a merged
    unit, the parts of a split) are estimated, from their own spikes; templates of units an
    action took away are kept for an undo. Curations never give a new unit the id of another
    unit they showed (`core.curation.CurationSession`), so within one curated sorting an id
    names the same spikes; another sorting starts over.

    Parameters
    ----------
    session : Session
    job_manager : JobManager

    Attributes
    ----------
    templates : dict
        ``{unit_id: (samples, channels) float32}`` estimated so far (raw units, baseline-free).
    """

    def __init__(self, session: Session, job_manager: JobManager) -> None:
        self._session = session
        self._jobs = job_manager
        self._job: Job | None = None
        self._recording = None
        self._units_of = None  # the sorting (before any curation) the templates are of
        self.templates: dict = {}
        for name in ("recording", "sorting", "waveform_extractor"):
            getattr(session.signals, name).connect(self.refresh)
        self.refresh()

    @property
    def job(self) -> Job | None:
        """The estimating job, while it runs."""
        return self._job

    def refresh(self, *_) -> None:
        """Find what the units of the session's sorting lack."""
        self.shutdown()
        session = self._session
        units_of = _before_curation(session.sorting)
        if session.recording is not self._recording or units_of is not self._units_of:
            self.templates = {}
            self._recording = session.recording
            self._units_of = units_of
        if session.sorting is None:
            return
        unit_ids = session.sorting.unit_ids.tolist()
        self._channels_from_waveforms(unit_ids)
        self._channels_from_kept_templates(unit_ids)
        missing = [u for u in unit_ids if u not in self.templates]
        recording = session.recording
        if missing and recording is not None and recording.get_num_channels() >= 2:
            self._estimate(recording, session.sorting, missing)

    def shutdown(self) -> None:
        """Cancel the estimate that runs, if any."""
        if self._job is not None and self._job.state.is_active:
            self._job.cancel()
        self._job = None

    def _channels_from_waveforms(self, unit_ids: list) -> None:
        session = self._session
        we = session.waveform_extractor
        known = session.unit_channel_ids
        missing = [u for u in unit_ids if u not in known]
        if we is None or not missing:
            return
        try:
            from_templates = channels_from_templates(we)
        except Exception as error:  # e.g. an analyzer without templates: estimate instead
            _log.info("no templates for the unit channels: %s", error)
            return
        found = {u: from_templates[u] for u in missing if u in from_templates}
        if found:
            session.set_unit_channels({**known, **found})

    def _channels_from_kept_templates(self, unit_ids: list) -> None:
        """Units back after an undo: their channels from the templates kept for them."""
        session = self._session
        known = session.unit_channel_ids
        kept = {u: self.templates[u] for u in unit_ids if u not in known and u in self.templates}
        if kept and session.recording is not None:
            channels = channels_of(kept, session.recording.channel_ids)
            if channels:
                session.set_unit_channels({**known, **channels})

    def _estimate(self, recording, sorting, missing: list) -> None:
        session = self._session
        subset = (
            sorting if len(missing) == sorting.get_num_units() else sorting.select_units(missing)
        )

        def estimate(progress, cancel) -> tuple[dict, dict]:
            # the channels too: hundreds of small reductions are no work for the GUI thread
            templates = estimate_unit_templates(
                recording, subset, progress=progress, cancel_token=cancel
            )
            return templates, channels_of(templates, recording.channel_ids)

        job = Job(
            "Finding each unit's channel",
            estimate,
            announce=subset is sorting,  # new units of a curation: quietly
        )

        def done(result: tuple[dict, dict]) -> None:
            if self._job is not job:
                return  # cancelled or superseded (the window may be closing)
            self._job = None
            if session.recording is not recording or session.sorting is not sorting:
                return
            templates, estimated = result
            self.templates.update(templates)
            known = session.unit_channel_ids
            channels = {u: c for u, c in estimated.items() if u not in known}
            if channels:
                session.set_unit_channels({**known, **channels})

        job.signals.finished.connect(done)
        self._job = job
        self._jobs.submit(job)

    def coarse_templates(self) -> dict:
        """Templates to compare units with, of the units of the session's sorting: the estimated
        ones, or the waveform extractor's when nothing was estimated (no recording)."""
        if self.templates:
            sorting = self._session.sorting
            present = set() if sorting is None else set(sorting.unit_ids.tolist())
            return {u: t for u, t in self.templates.items() if u in present}
        we = self._session.waveform_extractor
        if we is None:
            return {}
        try:
            dense = we.get_all_templates()
        except Exception:  # an extractor without templates: nothing to compare
            return {}
        return {u: np.asarray(t) for u, t in zip(we.unit_ids.tolist(), dense)}


def _before_curation(sorting):
    """The sorting a curated sorting curates (the sorting itself if it is not curated)."""
    return sorting.base_sorting if isinstance(sorting, CuratedSorting) else sorting
